package taskqueue_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// TestExactlyOnceUnderContention: 8 pools × 16 slots on one PostgreSQL
// database drain 20,000 tasks; every task completes and each (task,
// attempt) ran once.
func TestExactlyOnceUnderContention(t *testing.T) {
	t.Parallel()
	const tasks, pools, slots = 20000, 8, 16
	e := newPG(t)
	ctx := context.Background()

	batch := make([]store.NewTask, tasks)
	for i := range batch {
		batch[i] = store.NewTask{Type: "noop", Params: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))}
	}
	n, err := e.s.CreateMany(ctx, batch)
	require.NoError(t, err)
	require.Equal(t, tasks, n)

	var mu sync.Mutex
	runs := make(map[string]int, tasks) // "id/attempt" → times run
	mux := taskqueue.NewMux()
	require.NoError(t, mux.Handle("noop", taskqueue.DispatcherFunc(func(_ context.Context, task *store.Task) (json.RawMessage, error) {
		mu.Lock()
		runs[fmt.Sprintf("%s/%d", task.ID, task.Attempts)]++
		mu.Unlock()
		return nil, nil
	})))
	start := time.Now()
	for range pools {
		startPool(t, taskqueue.PoolConfig{Queue: e.s, Notifier: e.notifier, Dispatcher: mux, Concurrency: slots, PollInterval: 50 * time.Millisecond})
	}
	eventually(t, 3*time.Minute, func() bool {
		counts, err := e.s.Counts(ctx)
		require.NoError(t, err)
		return counts[store.StatusCompleted] == tasks
	}, "not every task completed")
	t.Logf("%d pools × %d slots drained %d tasks in %s", pools, slots, tasks, time.Since(start))

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, runs, tasks, "every task ran")
	for key, times := range runs {
		require.Equal(t, 1, times, "task attempt %s ran more than once", key)
	}
}

// TestListenConnectionKilled: after the LISTEN connection is terminated,
// new tasks are still picked up within the poll interval, and cancellations
// of running tasks still arrive.
func TestListenConnectionKilled(t *testing.T) {
	t.Parallel()
	e := newPG(t)
	ctx := context.Background()
	const poll = 200 * time.Millisecond

	started := make(chan string, 4)
	mux := taskqueue.NewMux()
	require.NoError(t, mux.Handle("quick", taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
		return okResult("ok"), nil
	})))
	require.NoError(t, mux.Handle("block", taskqueue.DispatcherFunc(func(ctx context.Context, task *store.Task) (json.RawMessage, error) {
		started <- task.ID
		<-ctx.Done()
		return nil, ctx.Err()
	})))
	startPool(t, taskqueue.PoolConfig{
		Queue: e.s, Notifier: e.notifier, Dispatcher: mux, PollInterval: poll,
		Lease: 3 * time.Second, HeartbeatInterval: 300 * time.Millisecond,
	})
	blocked := create(t, e.s, store.NewTask{Type: "block"})
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("blocking task did not start")
	}

	e.cut(t) // every connection of this test, the LISTEN one included

	quick := create(t, e.s, store.NewTask{Type: "quick"})
	waitStatus(t, e.s, quick.ID, store.StatusCompleted, 5*time.Second)

	_, err := e.s.Cancel(ctx, blocked.ID)
	require.NoError(t, err)
	waitStatus(t, e.s, blocked.ID, store.StatusCancelled, 5*time.Second)
}
