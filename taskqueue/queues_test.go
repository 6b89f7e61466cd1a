package taskqueue_test

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// TestQueuesRunApart: a pool serving two queues runs each with its own
// concurrency. The slow queue's tasks all block; the fast queue's tasks
// still run, and the slow queue never runs more than its own limit.
func TestQueuesRunApart(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		release := make(chan struct{})
		var slowRunning, slowMax atomic.Int32
		mux := taskqueue.NewMux()
		require.NoError(t, mux.Handle("slow", taskqueue.DispatcherFunc(func(ctx context.Context, _ *store.Task) (json.RawMessage, error) {
			n := slowRunning.Add(1)
			defer slowRunning.Add(-1)
			for {
				m := slowMax.Load()
				if n <= m || slowMax.CompareAndSwap(m, n) {
					break
				}
			}
			select {
			case <-release:
				return nil, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		})))
		require.NoError(t, mux.Handle("fast", taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
			return nil, nil
		})))
		p, _ := startPool(t, taskqueue.PoolConfig{
			Queue: e.be, Notifier: e.notifier, Dispatcher: mux, PollInterval: 20 * time.Millisecond, Prefetch: -1,
			Concurrency: 50,
			Queues:      map[string]taskqueue.QueueConfig{"slow": {Concurrency: 2}, "fast": {}},
		})
		require.Equal(t, []string{"fast", "slow"}, p.Queues())
		var slow []store.Task
		for range 10 {
			slow = append(slow, create(t, e.be, store.NewTask{Type: "slow", Queue: "slow"}))
		}
		eventually(t, 10*time.Second, func() bool { return slowRunning.Load() == 2 }, "two slow tasks running")
		for range 5 {
			task := create(t, e.be, store.NewTask{Type: "fast", Queue: "fast"})
			waitStatus(t, e.be, task.ID, store.StatusCompleted, 10*time.Second)
		}
		// A fast task in the default queue, which this pool does not serve,
		// stays queued.
		unserved := create(t, e.be, store.NewTask{Type: "fast"})
		close(release)
		for _, task := range slow {
			waitStatus(t, e.be, task.ID, store.StatusCompleted, 10*time.Second)
		}
		require.Equal(t, int32(2), slowMax.Load(), "the slow queue ran more than its concurrency")
		got, err := e.be.Get(context.Background(), unserved.ID)
		require.NoError(t, err)
		require.Equal(t, store.StatusQueued, got.Status)
	})
}

// TestPausedQueueResumesByNotification: a paused queue's task is not
// run; resuming it wakes the pool through the store's notification (the
// pool's poll is an hour away), and the task runs.
func TestPausedQueueResumesByNotification(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		qm := e.be.(store.QueueManager)
		ctx := context.Background()
		require.NoError(t, qm.SetQueuePaused(ctx, "mail", true))
		var ran sync.Map
		mux := taskqueue.NewMux()
		require.NoError(t, mux.Handle("send", taskqueue.DispatcherFunc(func(_ context.Context, task *store.Task) (json.RawMessage, error) {
			ran.Store(task.ID, true)
			return nil, nil
		})))
		startPool(t, taskqueue.PoolConfig{
			Queue: e.be, Notifier: e.notifier, Dispatcher: mux, PollInterval: time.Hour,
			Queues: map[string]taskqueue.QueueConfig{"mail": {}, store.DefaultQueue: {}},
		})
		paused := create(t, e.be, store.NewTask{Type: "send", Queue: "mail"})
		// The default queue runs meanwhile, woken by its creation.
		waitStatus(t, e.be, create(t, e.be, store.NewTask{Type: "send"}).ID, store.StatusCompleted, 10*time.Second)
		time.Sleep(50 * time.Millisecond)
		_, done := ran.Load(paused.ID)
		require.False(t, done, "a paused queue's task ran")
		require.NoError(t, qm.SetQueuePaused(ctx, "mail", false))
		waitStatus(t, e.be, paused.ID, store.StatusCompleted, 10*time.Second)
	})
}

func TestPoolQueuesValidation(t *testing.T) {
	t.Parallel()
	d := taskqueue.NewMux()
	for name, qs := range map[string]map[string]taskqueue.QueueConfig{
		"bad name":             {"a/b": {}},
		"empty name":           {"": {}},
		"negative concurrency": {"q": {Concurrency: -1}},
	} {
		_, err := taskqueue.NewPool(taskqueue.PoolConfig{Queue: nopQueue{}, Dispatcher: d, Queues: qs})
		require.ErrorIs(t, err, taskqueue.ErrInvalidConfig, name)
	}
	p, err := taskqueue.NewPool(taskqueue.PoolConfig{Queue: nopQueue{}, Dispatcher: d})
	require.NoError(t, err)
	require.Equal(t, []string{store.DefaultQueue}, p.Queues())
}

// TestFairQueueRotatesPartitions: a pool running one task at a time from
// a fair queue starts a small partition's tasks among the first, though a
// larger partition's backlog was enqueued before them.
func TestFairQueueRotatesPartitions(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		var mu sync.Mutex
		var started []string
		mux := taskqueue.NewMux()
		require.NoError(t, mux.Handle("job", taskqueue.DispatcherFunc(func(_ context.Context, task *store.Task) (json.RawMessage, error) {
			mu.Lock()
			started = append(started, task.Partition)
			mu.Unlock()
			return nil, nil
		})))
		var all []store.Task
		for range 20 {
			all = append(all, create(t, e.be, store.NewTask{Type: "job", Queue: "tenants", Partition: "big"}))
		}
		for range 2 {
			all = append(all, create(t, e.be, store.NewTask{Type: "job", Queue: "tenants", Partition: "small"}))
		}
		startPool(t, taskqueue.PoolConfig{
			Queue: e.be, Notifier: e.notifier, Dispatcher: mux, PollInterval: 20 * time.Millisecond, Prefetch: -1,
			Queues: map[string]taskqueue.QueueConfig{"tenants": {Concurrency: 1, Fair: true}},
		})
		for _, task := range all {
			waitStatus(t, e.be, task.ID, store.StatusCompleted, 10*time.Second)
		}
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, started, 22)
		require.Equal(t, []string{"big", "small", "big", "small"}, started[:4])
	})
}
