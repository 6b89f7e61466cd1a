package taskqueue_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
	"github.com/seedcore/seedcore/taskqueue"
)

// A Mux routes by task type; typed handlers get their params decoded, and
// errors steer what happens next.
func ExampleHandleFunc() {
	type invoice struct {
		Number string `json:"number"`
	}
	mux := taskqueue.NewMux()
	_ = taskqueue.HandleFunc(mux, "invoice", func(_ context.Context, _ *store.Task, p invoice) (map[string]string, error) {
		if p.Number == "" {
			return nil, taskqueue.Permanent(errors.New("no invoice number")) // fails at once
		}
		return map[string]string{"sent": p.Number}, nil
	})
	res, err := mux.Dispatch(context.Background(), &store.Task{Type: "invoice", Params: []byte(`{"number":"A-17"}`)})
	fmt.Println(string(res), err)
	_, err = mux.Dispatch(context.Background(), &store.Task{Type: "invoice", Params: []byte(`{}`)})
	fmt.Println(errors.Is(err, taskqueue.ErrPermanent))
	_, err = mux.Dispatch(context.Background(), &store.Task{Type: "unknown"})
	fmt.Println(errors.Is(err, taskqueue.ErrUnknownType))
	// Output:
	// {"sent":"A-17"} <nil>
	// true
	// true
}

// A Pool runs tasks from a backend until its context ends; here the
// in-memory store, with a rescuer beside it.
func ExamplePool() {
	s := memstore.New(memstore.Options{})
	done := make(chan string, 1)
	mux := taskqueue.NewMux()
	type person struct {
		Name string `json:"name"`
	}
	_ = taskqueue.HandleFunc(mux, "greet", func(_ context.Context, _ *store.Task, p person) (string, error) {
		done <- "hello, " + p.Name
		return "ok", nil
	})
	pool, err := taskqueue.NewPool(taskqueue.PoolConfig{Queue: s, Notifier: s, Dispatcher: mux})
	if err != nil {
		fmt.Println(err)
		return
	}
	rescuer, _ := taskqueue.NewRescuer(taskqueue.RescuerConfig{Queue: s})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{}, 2)
	go func() { _ = pool.Serve(ctx); stopped <- struct{}{} }()
	go func() { _ = rescuer.Serve(ctx); stopped <- struct{}{} }()

	if _, _, err := s.Create(ctx, store.NewTask{Type: "greet", Params: []byte(`{"name":"ada"}`)}); err != nil {
		fmt.Println(err)
	}
	select {
	case msg := <-done:
		fmt.Println(msg)
	case <-time.After(5 * time.Second):
		fmt.Println("timed out")
	}
	cancel()
	<-stopped
	<-stopped
	// Output: hello, ada
}

// A schedule creates its task once per slot, with a key naming the slot;
// its slots follow the store's clock (here a fixed one).
func ExampleScheduler() {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := memstore.New(memstore.Options{Now: clock})
	sc, err := taskqueue.NewScheduler(taskqueue.SchedulerConfig{
		Store: s, Enqueue: s.Create,
		Schedules: []taskqueue.Schedule{{Name: "tick", Spec: "*/20 * * * * *", Task: store.NewTask{Type: "tick"}}},
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	_, _ = sc.Check(ctx) // the schedule's slots start now
	now = now.Add(time.Minute)
	_, _ = sc.Check(ctx)
	_, _ = sc.Check(ctx) // nothing new: each slot once
	page, _ := s.List(ctx, store.Filter{Type: "tick"})
	var keys []string
	for _, t := range page.Tasks {
		keys = append(keys, t.IdempotencyKey)
	}
	slices.Sort(keys)
	fmt.Println(strings.Join(keys, "\n"))
	// Output:
	// schedule:tick:2030-01-01T12:00:20Z
	// schedule:tick:2030-01-01T12:00:40Z
	// schedule:tick:2030-01-01T12:01:00Z
}
