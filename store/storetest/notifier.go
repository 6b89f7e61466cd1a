package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

// RunNotifier checks the notification hints of a backend whose
// [store.Notifier] may be the backend itself or a separate listener: open
// returns a fresh backend and the notifier that watches it.
//
// Events are hints that may be coalesced or arrive late (a listener may
// still be connecting), so each check repeats its write until the expected
// event arrives, within WaitTimeout. The checks: a ready task's creation
// sends [store.EventReady]; asking a running task to cancel sends
// [store.EventCancel] with its TaskID; unsubscribe may be called twice.
func RunNotifier(t *testing.T, open func(t *testing.T) (Backend, store.Notifier)) {
	t.Helper()
	t.Run("ReadyOnCreate", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		b, n := open(t)
		events, unsubscribe := n.Subscribe()
		defer unsubscribe()
		awaitEvent(t, events, "EventReady after a create", func() {
			mustCreate(t, ctx, b, store.NewTask{})
		}, func(ev store.Event) bool { return ev.Kind == store.EventReady })
	})

	t.Run("CancelOfRunningTask", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		b, n := open(t)
		events, unsubscribe := n.Subscribe()
		defer unsubscribe()
		var id string
		awaitEvent(t, events, "EventCancel of a running task", func() {
			task := mustCreate(t, ctx, b, store.NewTask{})
			claimID(t, ctx, b, task.ID, "w1", time.Minute)
			_, err := b.Cancel(ctx, task.ID)
			require.NoError(t, err)
			id = task.ID
		}, func(ev store.Event) bool { return ev.Kind == store.EventCancel && ev.TaskID == id })
	})

	t.Run("UnsubscribeTwice", func(t *testing.T) {
		t.Parallel()
		_, n := open(t)
		_, unsubscribe := n.Subscribe()
		unsubscribe()
		unsubscribe()
	})
}

// awaitEvent runs write, then waits a little for an event that match
// accepts, repeating write until one arrives or WaitTimeout passes.
func awaitEvent(t *testing.T, events <-chan store.Event, what string, write func(), match func(store.Event) bool) {
	t.Helper()
	deadline := time.After(WaitTimeout)
	for {
		write()
		retry := time.After(200 * time.Millisecond)
		for waiting := true; waiting; {
			select {
			case ev := <-events:
				if match(ev) {
					return
				}
			case <-retry:
				waiting = false
			case <-deadline:
				t.Fatalf("timed out after %s waiting for %s", WaitTimeout, what)
			}
		}
	}
}
