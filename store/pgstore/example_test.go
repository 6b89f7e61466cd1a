package pgstore_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/pgstore"
)

// Open a store, migrate it, enqueue a task and work it off.
func ExampleOpen() {
	ctx := context.Background()
	s, err := pgstore.Open(ctx, "postgres://localhost/app?sslmode=disable", pgstore.Options{Schema: "jobs"})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	task, _, err := s.Create(ctx, store.NewTask{Type: "email", Params: []byte(`{"to":"a@example.com"}`)})
	if err != nil {
		log.Fatal(err)
	}
	claimed, err := s.Claim(ctx, "worker-1", 10, time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	outcomes := make([]store.Outcome, 0, len(claimed))
	for _, t := range claimed {
		outcomes = append(outcomes, store.Outcome{
			TaskID: t.ID, Worker: "worker-1", Attempt: t.Attempts, Kind: store.OutcomeComplete,
		})
	}
	if _, err := s.Finish(ctx, outcomes); err != nil {
		log.Fatal(err)
	}
	fmt.Println("created", task.ID)
}

// Wait for work with a Listener instead of polling in a tight loop.
func ExampleListener() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := pgstore.NewListener("postgres://localhost/app?sslmode=disable", pgstore.ListenerOptions{Schema: "jobs"})
	go func() { _ = l.Serve(ctx) }() // or add it to a suture supervisor

	events, unsubscribe := l.Subscribe()
	defer unsubscribe()
	poll := time.NewTicker(5 * time.Second) // the fallback
	defer poll.Stop()
	for {
		select {
		case ev := <-events:
			switch ev.Kind {
			case store.EventReady, store.EventResync:
				fmt.Println("claim now")
			case store.EventCancel:
				fmt.Println("cancel", ev.TaskID)
			}
		case <-poll.C:
			fmt.Println("claim now")
		case <-ctx.Done():
			return
		}
	}
}
