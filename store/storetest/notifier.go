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
// A notifier that is a [store.TaskNotifier] also delivers a task's claim
// and completion to that task's subscribers, each event naming it (or no
// task), and never an event naming another task.
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

	t.Run("TaskSubscription", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		b, n := open(t)
		tn, ok := n.(store.TaskNotifier)
		if !ok {
			t.Skip("the notifier delivers no task's events alone")
		}
		watched := mustCreate(t, ctx, b, store.NewTask{Hold: true})
		other := mustCreate(t, ctx, b, store.NewTask{Hold: true})
		events, unsubscribe := tn.SubscribeTask(watched.ID)
		defer unsubscribe()
		otherEvents, unsubscribeOther := tn.SubscribeTask(other.ID)
		defer unsubscribeOther()
		about := func(id string) func(store.Event) bool {
			return func(ev store.Event) bool {
				require.NotEqual(t, store.EventReady, ev.Kind, "a task subscriber never gets EventReady")
				return ev.Kind == store.EventChanged && ev.TaskID == id
			}
		}
		// Repeated writes are harmless: the first is the run, the rest
		// fail as the task is no longer created.
		awaitEvent(t, events, "EventChanged naming the task when it is run", func() {
			_, _ = b.Run(ctx, watched.ID)
		}, about(watched.ID))
		running := claimID(t, ctx, b, watched.ID, "w1", time.Minute)
		awaitEvent(t, events, "EventChanged naming the task when it is claimed", func() {}, about(watched.ID))
		if pb, ok := b.(store.ProgressHeartbeater); ok {
			awaitEvent(t, events, "EventChanged naming the task when its progress is written", func() {
				_, err := pb.HeartbeatProgress(ctx, "w1", []string{watched.ID}, []store.Progress{
					{TaskID: watched.ID, Attempt: running.Attempts, Value: []byte(`{"done": 1}`)}}, time.Minute)
				require.NoError(t, err)
			}, about(watched.ID))
		}
		require.NoError(t, finish(t, ctx, b, outcome(running, store.OutcomeComplete)))
		awaitEvent(t, events, "EventChanged naming the task when it completes", func() {}, about(watched.ID))
		for {
			select {
			case ev := <-otherEvents:
				require.NotEqual(t, watched.ID, ev.TaskID, "an event of another task")
				continue
			default:
			}
			break
		}
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
