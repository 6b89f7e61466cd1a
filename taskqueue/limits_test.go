package taskqueue_test

import (
	"context"
	"encoding/json"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/pgstore"
	"github.com/seedcore/seedcore/taskqueue"
)

// TestGlobalLimitsAcrossProcesses runs three pools, each on a store with
// connections of its own (as three processes would), on one PostgreSQL
// schema, and proves from the database that the cluster keeps a queue's
// limits: a sampler counts the queue's running tasks the whole time (never
// more than MaxRunning), and the start times the claims recorded never
// hold more than Burst + Rate×span starts in any span.
func TestGlobalLimitsAcrossProcesses(t *testing.T) {
	t.Parallel()
	e := newPG(t)
	ctx := context.Background()
	const maxRunning, rate, burst, tasks = 3, 40.0, 4, 60
	require.NoError(t, e.s.SetQueueLimits(ctx, "capped", store.QueueLimits{MaxRunning: maxRunning}))
	require.NoError(t, e.s.SetQueueLimits(ctx, "paced", store.QueueLimits{Rate: rate, Burst: burst}))

	mux := taskqueue.NewMux()
	require.NoError(t, mux.Handle("work", taskqueue.DispatcherFunc(func(ctx context.Context, task *store.Task) (json.RawMessage, error) {
		if task.Queue == "capped" {
			time.Sleep(15 * time.Millisecond)
		}
		return nil, nil
	})))
	for range 3 {
		db, err := sqlx.Open("postgres", e.db.DSN)
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		s, err := pgstore.New(db, pgstore.Options{Schema: e.db.Schema})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		startPool(t, taskqueue.PoolConfig{Queue: s, Notifier: e.notifier, Dispatcher: mux, Concurrency: 10,
			PollInterval: 10 * time.Millisecond,
			Queues:       map[string]taskqueue.QueueConfig{"capped": {}, "paced": {}}})
	}

	var most atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			default:
			}
			var n int64
			if err := e.db.DB.Get(&n, `SELECT count(*) FROM `+e.db.Schema+`.tasks WHERE queue = 'capped' AND status = 'running'`); err == nil && n > most.Load() {
				most.Store(n)
			}
			time.Sleep(time.Millisecond)
		}
	}()
	batch := make([]store.NewTask, 0, 2*tasks)
	for range tasks {
		batch = append(batch, store.NewTask{Type: "work", Queue: "capped"}, store.NewTask{Type: "work", Queue: "paced"})
	}
	_, err := e.s.CreateMany(ctx, batch)
	require.NoError(t, err)
	eventually(t, time.Minute, func() bool {
		counts, err := e.s.Counts(ctx)
		require.NoError(t, err)
		return counts[store.StatusCompleted] == 2*tasks
	}, "not every task completed")
	close(stop)
	<-sampled
	require.LessOrEqual(t, most.Load(), int64(maxRunning), "the cluster ran more than max_running at once")
	require.GreaterOrEqual(t, most.Load(), int64(2), "the pools never ran the capped queue concurrently")

	var starts []time.Time
	require.NoError(t, e.db.DB.Select(&starts, `SELECT started_at FROM `+e.db.Schema+`.tasks WHERE queue = 'paced'`))
	require.Len(t, starts, tasks)
	sort.Slice(starts, func(i, j int) bool { return starts[i].Before(starts[j]) })
	for i := range starts {
		for j := i; j < len(starts); j++ {
			span := starts[j].Sub(starts[i]).Seconds()
			require.LessOrEqual(t, float64(j-i+1), burst+rate*span+1e-6,
				"%d tasks started within %.3fs: more than burst %d + rate %.0f/s allow", j-i+1, span, burst, rate)
		}
	}
	total := starts[len(starts)-1].Sub(starts[0]).Seconds()
	t.Logf("max running %d (limit %d); %d paced starts over %.2fs (limit %.0f/s, burst %d)", most.Load(), maxRunning, tasks, total, rate, burst)
}
