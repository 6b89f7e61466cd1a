package memstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
)

// A task goes in through the Store half and a worker claims and completes
// it through the Queue half.
func Example() {
	ctx := context.Background()
	s := memstore.New(memstore.Options{})

	task, created, err := s.Create(ctx, store.NewTask{
		Type:           "email",
		Params:         json.RawMessage(`{"to":"ops"}`),
		IdempotencyKey: "welcome-42",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(task.Status, created)

	claimed, err := s.Claim(ctx, "worker-1", 10, 30*time.Second)
	if err != nil {
		panic(err)
	}
	held := claimed[0]
	fmt.Println(held.Status, held.Attempts, held.LockedBy)

	errs, err := s.Finish(ctx, []store.Outcome{{
		TaskID:  held.ID,
		Worker:  "worker-1",
		Attempt: held.Attempts,
		Kind:    store.OutcomeComplete,
		Result:  json.RawMessage(`{"sent":true}`),
	}})
	if err != nil || errs[0] != nil {
		panic(fmt.Sprint(err, errs))
	}
	done, _ := s.Get(ctx, task.ID[:8])
	fmt.Println(done.Status, string(done.Result))

	// Output:
	// queued true
	// running 1 worker-1
	// completed {"sent":true}
}

// Subscribe tells a worker when to look for work instead of polling.
func ExampleStore_Subscribe() {
	ctx := context.Background()
	s := memstore.New(memstore.Options{})
	events, unsubscribe := s.Subscribe()
	defer unsubscribe()

	if _, _, err := s.Create(ctx, store.NewTask{Type: "report"}); err != nil {
		panic(err)
	}
	ev := <-events
	fmt.Println(ev.Kind == store.EventReady)
	// Output: true
}

// An injected clock expires a lease without waiting for it.
func ExampleOptions_now() {
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := memstore.New(memstore.Options{Now: func() time.Time { return now }})

	if _, _, err := s.Create(ctx, store.NewTask{Type: "report"}); err != nil {
		panic(err)
	}
	if _, err := s.Claim(ctx, "worker-1", 1, time.Minute); err != nil {
		panic(err)
	}
	now = now.Add(2 * time.Minute) // the worker went silent
	rescued, err := s.Rescue(ctx, 10)
	if err != nil {
		panic(err)
	}
	fmt.Println(rescued[0].Status)
	// Output: retry
}
