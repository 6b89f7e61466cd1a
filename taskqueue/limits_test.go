package taskqueue_test

import (
	"context"
	"encoding/json"
	"sort"
	"sync"
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
	startProcesses(t, e, mux, map[string]taskqueue.QueueConfig{"capped": {}, "paced": {}})

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

// TestPartitionCapAcrossProcesses runs three pools, each on a store with
// connections of its own, on one PostgreSQL schema, serving two queues
// that cap each partition at two running tasks, one claimed plainly and
// one fairly, and proves from the database that no partition ever has
// more than two tasks running across the cluster: a sampler counts the
// running tasks of every partition the whole time.
func TestPartitionCapAcrossProcesses(t *testing.T) {
	t.Parallel()
	e := newPG(t)
	ctx := context.Background()
	const partitionCap, perPartition = 2, 20
	partitions := []string{"a", "b", "c", "d"}
	for _, q := range []string{"plain", "fair"} {
		require.NoError(t, e.s.SetQueueLimits(ctx, q, store.QueueLimits{PartitionMaxRunning: partitionCap}))
	}

	mux := taskqueue.NewMux()
	require.NoError(t, mux.Handle("work", taskqueue.DispatcherFunc(func(ctx context.Context, task *store.Task) (json.RawMessage, error) {
		time.Sleep(10 * time.Millisecond)
		return nil, nil
	})))
	startProcesses(t, e, mux, map[string]taskqueue.QueueConfig{"plain": {}, "fair": {Fair: true}})

	type key struct{ Queue, Partition string }
	most := map[key]int{}
	var mostMu sync.Mutex
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
			var rows []struct {
				Queue     string `db:"queue"`
				Partition string `db:"partition"`
				N         int    `db:"n"`
			}
			if err := e.db.DB.Select(&rows, `SELECT queue, partition, count(*) AS n FROM `+e.db.Schema+`.tasks
				WHERE status = 'running' GROUP BY queue, partition`); err == nil {
				mostMu.Lock()
				for _, r := range rows {
					k := key{r.Queue, r.Partition}
					most[k] = max(most[k], r.N)
				}
				mostMu.Unlock()
			}
			time.Sleep(time.Millisecond)
		}
	}()
	var batch []store.NewTask
	for range perPartition {
		for _, q := range []string{"plain", "fair"} {
			for _, p := range partitions {
				batch = append(batch, store.NewTask{Type: "work", Queue: q, Partition: p})
			}
			batch = append(batch, store.NewTask{Type: "work", Queue: q}) // not capped
		}
	}
	_, err := e.s.CreateMany(ctx, batch)
	require.NoError(t, err)
	eventually(t, time.Minute, func() bool {
		counts, err := e.s.Counts(ctx)
		require.NoError(t, err)
		return counts[store.StatusCompleted] == len(batch)
	}, "not every task completed")
	close(stop)
	<-sampled
	mostMu.Lock()
	defer mostMu.Unlock()
	for _, q := range []string{"plain", "fair"} {
		for _, p := range partitions {
			n := most[key{q, p}]
			require.LessOrEqual(t, n, partitionCap, "queue %s partition %s: the cluster ran more than the cap at once", q, p)
			require.Equal(t, partitionCap, n, "queue %s partition %s never reached the cap: the test proves nothing", q, p)
		}
	}
	t.Logf("most running per (queue, partition): %v", most)
}

// startProcesses starts three pools serving queues with mux, each on a
// store with connections of its own (as three processes would) on e's
// schema.
func startProcesses(t *testing.T, e *pgEnv, mux *taskqueue.Mux, queues map[string]taskqueue.QueueConfig) {
	t.Helper()
	for range 3 {
		db, err := sqlx.Open("postgres", e.db.DSN)
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		s, err := pgstore.New(db, pgstore.Options{Schema: e.db.Schema})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		startPool(t, taskqueue.PoolConfig{Queue: s, Notifier: e.notifier, Dispatcher: mux, Concurrency: 10,
			PollInterval: 10 * time.Millisecond, Queues: queues})
	}
}
