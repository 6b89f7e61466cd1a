package taskqueue_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

func TestSnooze(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		mux := taskqueue.NewMux()
		// later snoozes twice, then completes; always snoozes every time.
		require.NoError(t, mux.Handle("later", taskqueue.DispatcherFunc(func(_ context.Context, task *store.Task) (json.RawMessage, error) {
			if task.Snoozes < 2 {
				return nil, taskqueue.Snooze(5 * time.Millisecond)
			}
			return json.RawMessage(`{"snoozes":` + string(rune('0'+task.Snoozes)) + `}`), nil
		})))
		require.NoError(t, mux.Handle("always", taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
			return nil, taskqueue.Snooze(time.Millisecond)
		})))
		startPool(t, taskqueue.PoolConfig{
			Queue: e.be, Notifier: e.notifier, Dispatcher: mux, MaxSnoozes: 3, PollInterval: 5 * time.Millisecond,
		})

		later := create(t, e.be, store.NewTask{Type: "later", MaxAttempts: 1})
		done := waitStatus(t, e.be, later.ID, store.StatusCompleted, 20*time.Second)
		require.Equal(t, 1, done.Attempts, "snoozes spend no attempt")
		require.Equal(t, 2, done.Snoozes)
		require.JSONEq(t, `{"snoozes":2}`, string(done.Result))
		require.Len(t, done.AttemptHistory, 1)

		// Past MaxSnoozes a snooze counts: the task fails once its
		// attempts are spent.
		always := create(t, e.be, store.NewTask{Type: "always", MaxAttempts: 2})
		failed := waitStatus(t, e.be, always.ID, store.StatusFailed, 20*time.Second)
		require.Equal(t, 3, failed.Snoozes)
		require.Equal(t, 2, failed.Attempts)
		require.Contains(t, failed.Error, "snoozed 3 times, the limit")
	})
}
