package taskqueue_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// TestSetProgress: a running handler's progress reaches the stored task
// with a heartbeat while the handler still runs, the latest value wins,
// and the finished task keeps the last one.
func TestSetProgress(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		step := make(chan struct{})
		errs := make(chan error, 8)
		h := taskqueue.DispatcherFunc(func(ctx context.Context, _ *store.Task) (json.RawMessage, error) {
			errs <- taskqueue.SetProgress(ctx, map[string]any{"done": 1, "of": 3, "stage": "download"})
			<-step
			// Bad values are refused and the last good one stays.
			errs <- taskqueue.SetProgress(ctx, make(chan int))
			errs <- taskqueue.SetProgress(ctx, strings.Repeat("x", store.MaxProgressBytes))
			errs <- taskqueue.SetProgress(ctx, 2.5)
			errs <- taskqueue.SetProgress(ctx, json.RawMessage(`{"done": 2, "of": 3}`))
			<-step
			return nil, nil
		})
		// A lease of an hour leaves a claimed task out of heartbeats for
		// a whole interval; one with progress to write goes in at once.
		startPool(t, taskqueue.PoolConfig{
			Queue: e.be, Notifier: e.notifier, Dispatcher: taskqueue.AnyType(h), PollInterval: 5 * time.Millisecond,
			Lease: time.Hour, HeartbeatInterval: 100 * time.Millisecond,
		})
		task := create(t, e.be, store.NewTask{Type: "report"})
		require.NoError(t, <-errs)
		waitProgress(t, e.be, task.ID, `{"done": 1, "of": 3, "stage": "download"}`)
		require.Equal(t, store.StatusRunning, get(t, e.be, task.ID).Status)

		step <- struct{}{}
		require.Error(t, <-errs, "a value that does not marshal")
		require.ErrorIs(t, <-errs, store.ErrInvalidTask, "a value over MaxProgressBytes")
		require.NoError(t, <-errs)
		require.NoError(t, <-errs)
		waitProgress(t, e.be, task.ID, `{"done": 2, "of": 3}`)
		require.Equal(t, store.StatusRunning, get(t, e.be, task.ID).Status)

		step <- struct{}{}
		done := waitStatus(t, e.be, task.ID, store.StatusCompleted, 20*time.Second)
		require.JSONEq(t, `{"done": 2, "of": 3}`, string(done.Progress))
	})
}

func TestSetProgressOutsideAttempt(t *testing.T) {
	t.Parallel()
	require.ErrorIs(t, taskqueue.SetProgress(context.Background(), 1), taskqueue.ErrNoProgress)
}

// waitProgress waits until task id's stored progress is the JSON want.
func waitProgress(t *testing.T, s store.Store, id, want string) {
	t.Helper()
	var wantV any
	require.NoError(t, json.Unmarshal([]byte(want), &wantV))
	eventually(t, 20*time.Second, func() bool {
		var got any
		p := get(t, s, id).Progress
		return p != nil && json.Unmarshal(p, &got) == nil && jsonEqual(got, wantV)
	}, "task %s: want progress %s", id, want)
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func get(t *testing.T, s store.Store, id string) store.Task {
	t.Helper()
	task, err := s.Get(context.Background(), id)
	require.NoError(t, err)
	return task
}
