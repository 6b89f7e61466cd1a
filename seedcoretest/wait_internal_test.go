package seedcoretest

import (
	"context"
	"testing"
	"time"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/store"
)

// TestWaitForWakesOnNotification: with WaitFor's own rechecks turned
// off, it still returns once the task changes: the store's notification
// woke it. Without the notification it would wait out its timeout and
// fail. (Not parallel: it changes recheckInterval, which parallel tests,
// run after this one, read.)
func TestWaitForWakesOnNotification(t *testing.T) {
	saved := recheckInterval
	recheckInterval = time.Hour
	defer func() { recheckInterval = saved }()

	app := New(t, seedcore.Config{})
	ctx := context.Background()
	task, _, err := app.Enqueue(ctx, store.NewTask{Type: "note", Hold: true})
	if err != nil {
		t.Fatal(err)
	}
	changed := make(chan error, 1)
	go func() {
		// A head start, so the change comes after WaitFor's first read.
		time.Sleep(50 * time.Millisecond)
		_, err := app.Store().Cancel(ctx, task.ID)
		changed <- err
	}()
	got := WaitForTimeout(t, app, task.ID[:8], store.StatusCancelled, time.Minute)
	if err := <-changed; err != nil {
		t.Fatal(err)
	}
	if got.ID != task.ID || got.Status != store.StatusCancelled {
		t.Fatalf("got task %s in %s", got.ID, got.Status)
	}
}
