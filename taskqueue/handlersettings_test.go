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

// TestHandlerTimeoutAndRetry: a Mux handler's WithTimeout and WithRetry
// replace the pool's for its type only.
func TestHandlerTimeoutAndRetry(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		mux := taskqueue.NewMux()
		block := taskqueue.DispatcherFunc(func(ctx context.Context, _ *store.Task) (json.RawMessage, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		})
		require.NoError(t, mux.Handle("short", block, taskqueue.WithTimeout(30*time.Millisecond)))
		fail := taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
			return nil, context.DeadlineExceeded
		})
		require.NoError(t, mux.Handle("slowretry", fail,
			taskqueue.WithRetry(taskqueue.RetryPolicyFunc(func(int) time.Duration { return time.Hour }))))
		require.NoError(t, mux.Handle("fastretry", fail))
		startPool(t, taskqueue.PoolConfig{
			Queue: e.be, Notifier: e.notifier, Dispatcher: mux, Timeout: time.Hour, RetryPolicy: fastRetry,
			PollInterval: 5 * time.Millisecond,
		})

		short := create(t, e.be, store.NewTask{Type: "short", MaxAttempts: 1})
		failed := waitStatus(t, e.be, short.ID, store.StatusFailed, 20*time.Second)
		require.Contains(t, failed.Error, "after 30ms", "the handler's timeout, not the pool's hour")

		slow := create(t, e.be, store.NewTask{Type: "slowretry", MaxAttempts: 2})
		retry := waitStatus(t, e.be, slow.ID, store.StatusRetry, 20*time.Second)
		require.True(t, retry.RunAfter.After(time.Now().Add(50*time.Minute)), "the handler's hour: %v", retry.RunAfter)
		fast := create(t, e.be, store.NewTask{Type: "fastretry", MaxAttempts: 2})
		require.Equal(t, 2, waitStatus(t, e.be, fast.ID, store.StatusFailed, 20*time.Second).Attempts, "the pool's policy for other types")
	})
}

func TestHandlerOptionsRefuseBadValues(t *testing.T) {
	t.Parallel()
	mux := taskqueue.NewMux()
	noop := taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) { return nil, nil })
	for name, opt := range map[string]taskqueue.HandlerOption{
		"zero timeout":  taskqueue.WithTimeout(0),
		"attempts 0":    taskqueue.WithMaxAttempts(0),
		"attempts 1001": taskqueue.WithMaxAttempts(store.MaxMaxAttempts + 1),
		"nil retry":     taskqueue.WithRetry(nil),
		"priority 0":    taskqueue.WithPriority(0),
		"priority 101":  taskqueue.WithPriority(store.MaxPriority + 1),
	} {
		require.ErrorIs(t, mux.Handle("t", noop, opt), taskqueue.ErrInvalidConfig, name)
	}
	require.NoError(t, mux.Handle("t", noop, taskqueue.WithTimeout(-1), taskqueue.WithMaxAttempts(3),
		taskqueue.WithPriority(7), taskqueue.WithRetry(taskqueue.ExponentialBackoff{})))
	hc, ok := mux.Config("t")
	require.True(t, ok)
	require.Equal(t, 3, hc.MaxAttempts)
	require.Equal(t, 7, hc.Priority)
	require.Equal(t, time.Duration(-1), hc.Timeout)
}
