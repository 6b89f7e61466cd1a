package taskqueue_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
	"github.com/seedcore/seedcore/taskqueue"
)

// TestWorkersWakeForSlowerTasks drains tiny tasks, so the pool learns a
// pace at which a few workers start a whole claim in time, then gives it
// tasks that each wait for all the others to start: the pool must wake
// every worker they call for, although its pace said few would do.
func TestWorkersWakeForSlowerTasks(t *testing.T) {
	t.Parallel()
	s := memstore.New(memstore.Options{})
	const workers = 20
	var tiny atomic.Int64
	var gated atomic.Int64
	all := make(chan struct{})
	d := taskqueue.NewMux()
	require.NoError(t, d.Handle("tiny", taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
		tiny.Add(1)
		return nil, nil
	})))
	require.NoError(t, d.Handle("gate", taskqueue.DispatcherFunc(func(ctx context.Context, _ *store.Task) (json.RawMessage, error) {
		if gated.Add(1) == workers {
			close(all)
		}
		select {
		case <-all:
			return nil, nil
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	})))
	startPool(t, taskqueue.PoolConfig{Queue: s, Notifier: s, Dispatcher: d, Concurrency: workers,
		Timeout: time.Minute, PollInterval: time.Minute})

	ctx := context.Background()
	batch := make([]store.NewTask, 2000)
	for i := range batch {
		batch[i] = store.NewTask{Type: "tiny"}
	}
	_, err := s.CreateMany(ctx, batch)
	require.NoError(t, err)
	eventually(t, 30*time.Second, func() bool { return tiny.Load() == int64(len(batch)) }, "tiny tasks ran")

	gates := make([]store.NewTask, workers)
	for i := range gates {
		gates[i] = store.NewTask{Type: "gate"}
	}
	_, err = s.CreateMany(ctx, gates)
	require.NoError(t, err)
	select {
	case <-all:
	case <-time.After(30 * time.Second):
		t.Fatalf("%d of %d gate tasks running at once after 30s", gated.Load(), workers)
	}
	eventually(t, 30*time.Second, func() bool {
		c, err := s.Counts(ctx)
		require.NoError(t, err)
		return c[store.StatusCompleted] == len(batch)+workers
	}, "every task completed")
}
