package taskqueue_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// BenchmarkFairness measures what one tenant's backlog costs another
// tenant in one queue: partition "big" has a backlog of 100,000 tasks
// (each takes 1 ms in its handler) when partition "small" starts
// enqueueing 100 tasks at 20/s into the same queue, served by a pool of
// 10 workers. It reports small's enqueue-to-start latency (p50, p99), with
// QueueConfig.Fair on and off. Each run is one scenario: use -benchtime 1x.
//
//	go test -run '^$' -bench Fairness -benchtime 1x ./taskqueue/
func BenchmarkFairness(b *testing.B) {
	for _, fair := range []bool{true, false} {
		name := "plain"
		if fair {
			name = "fair"
		}
		b.Run("mem/"+name, func(b *testing.B) {
			e := newMemEnv(b)
			benchFairness(b, e.be.(bulkBackend), e.notifier, fair)
		})
		b.Run("pg/"+name, func(b *testing.B) {
			if os.Getenv(pgtest.EnvVar) == "" {
				b.Skipf("set %s to benchmark PostgreSQL", pgtest.EnvVar)
			}
			e := newPG(b)
			benchFairness(b, e.s, e.notifier, fair)
		})
	}
}

func benchFairness(b *testing.B, be bulkBackend, n store.Notifier, fair bool) {
	const backlog, small, every = 100_000, 100, 50 * time.Millisecond
	ctx := context.Background()
	batch := make([]store.NewTask, 10_000)
	for i := range batch {
		batch[i] = store.NewTask{Type: "job", Queue: "tenants", Partition: "big"}
	}
	for range backlog / len(batch) {
		_, err := be.CreateMany(ctx, batch)
		require.NoError(b, err)
	}
	var mu sync.Mutex
	enqueued := make(map[string]time.Time, small)
	started := make(map[string]time.Time, small)
	all := make(chan struct{})
	d := taskqueue.DispatcherFunc(func(ctx context.Context, t *store.Task) (json.RawMessage, error) {
		if t.Partition == "big" {
			time.Sleep(time.Millisecond)
			return nil, nil
		}
		mu.Lock()
		defer mu.Unlock()
		started[t.ID] = time.Now()
		if len(started) == small {
			close(all)
		}
		return nil, nil
	})
	b.ResetTimer()
	_, stop := startPool(b, taskqueue.PoolConfig{
		Queue: be, Notifier: n, Dispatcher: taskqueue.AnyType(d),
		Queues: map[string]taskqueue.QueueConfig{"tenants": {Concurrency: 10, Fair: fair}},
	})
	tick := time.NewTicker(every)
	for range small {
		<-tick.C
		at := time.Now()
		task, _, err := be.Create(ctx, store.NewTask{Type: "job", Queue: "tenants", Partition: "small"})
		require.NoError(b, err)
		mu.Lock()
		enqueued[task.ID] = at
		mu.Unlock()
	}
	tick.Stop()
	<-all
	b.StopTimer()
	stop()
	lat := make([]time.Duration, 0, small)
	for id, at := range enqueued {
		lat = append(lat, started[id].Sub(at))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
