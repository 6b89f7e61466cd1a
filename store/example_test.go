package store_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
)

// A task's life through the Store contract, on the in-memory backend: an
// idempotent create, a held task released, a cancellation, and the
// sentinel errors a caller tests with errors.Is.
func Example() {
	ctx := context.Background()
	var s store.Store = memstore.New(memstore.Options{})

	task, created, err := s.Create(ctx, store.NewTask{
		Type: "email.send", Params: []byte(`{"to":42}`), IdempotencyKey: "order-42", Hold: true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(task.Status, created)

	again, created, _ := s.Create(ctx, store.NewTask{Type: "email.send", IdempotencyKey: "order-42"})
	fmt.Println(again.ID == task.ID, created)

	task, _ = s.Run(ctx, task.ID)
	fmt.Println(task.Status)
	task, _ = s.Cancel(ctx, task.ID)
	fmt.Println(task.Status, task.Status.Terminal())

	_, err = s.Cancel(ctx, task.ID)
	fmt.Println(errors.Is(err, store.ErrInvalidTransition))
	_, err = s.Get(ctx, store.NewID())
	fmt.Println(errors.Is(err, store.ErrNotFound))
	// Output:
	// created true
	// true false
	// queued
	// cancelled true
	// true
	// true
}

// The lifecycle table: which moves are legal.
func ExampleCanTransition() {
	fmt.Println(store.CanTransition(store.StatusQueued, store.StatusRunning))
	fmt.Println(store.CanTransition(store.StatusCompleted, store.StatusQueued))
	// Output:
	// true
	// false
}

// Statuses returns a fresh slice on every call.
func ExampleStatuses() {
	for _, s := range store.Statuses() {
		fmt.Print(s, " terminal=", s.Terminal(), "\n")
	}
	// Output:
	// created terminal=false
	// queued terminal=false
	// running terminal=false
	// retry terminal=false
	// completed terminal=true
	// failed terminal=true
	// cancelled terminal=true
}
