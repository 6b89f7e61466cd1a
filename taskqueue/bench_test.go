package taskqueue_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

type bulkBackend interface {
	taskqueue.Backend
	store.BulkCreator
}

// BenchmarkEndToEnd measures a pool with default settings (but for its
// Concurrency: 100, the default, and 2,000) draining b.N no-op tasks that
// were inserted in bulk beforehand: tasks/s from the pool's start until
// the backend counts all of them completed.
//
//	go test -run '^$' -bench EndToEnd -benchtime 20000x ./taskqueue/
func BenchmarkEndToEnd(b *testing.B) {
	for _, workers := range []int{100, 2000} {
		b.Run(fmt.Sprintf("mem/workers=%d", workers), func(b *testing.B) {
			e := newMemEnv(b)
			benchDrain(b, e.be.(bulkBackend), e.notifier, workers)
		})
		b.Run(fmt.Sprintf("pg/workers=%d", workers), func(b *testing.B) {
			if os.Getenv(pgtest.EnvVar) == "" {
				b.Skipf("set %s to benchmark PostgreSQL", pgtest.EnvVar)
			}
			e := newPG(b)
			benchDrain(b, e.s, e.notifier, workers)
		})
	}
}

func benchDrain(b *testing.B, be bulkBackend, n store.Notifier, workers int) {
	ctx := context.Background()
	tasks := make([]store.NewTask, b.N)
	for i := range tasks {
		tasks[i] = store.NewTask{Type: "noop"}
	}
	for i := 0; i < len(tasks); i += 10000 {
		_, err := be.CreateMany(ctx, tasks[i:min(i+10000, len(tasks))])
		require.NoError(b, err)
	}
	var done atomic.Int64
	all := make(chan struct{})
	d := taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
		if done.Add(1) == int64(b.N) {
			close(all)
		}
		return nil, nil
	})
	b.ResetTimer()
	start := time.Now()
	p, err := taskqueue.NewPool(taskqueue.PoolConfig{Queue: be, Notifier: n, Dispatcher: taskqueue.AnyType(d), Concurrency: workers})
	require.NoError(b, err)
	pctx, cancel := context.WithCancel(ctx)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = p.Serve(pctx)
	}()
	<-all
	// Completed as recorded by the backend, not only dispatched.
	for {
		c, err := be.Counts(ctx)
		require.NoError(b, err)
		if c[store.StatusCompleted] == b.N {
			break
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	<-served
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "tasks/s")
}

// BenchmarkPickupLatency inserts b.N single tasks at a steady 200/s into
// PostgreSQL with a default pool running and reports the latency from the
// insert's commit to the handler starting.
//
//	go test -run '^$' -bench PickupLatency -benchtime 3000x ./taskqueue/
func BenchmarkPickupLatency(b *testing.B) {
	if os.Getenv(pgtest.EnvVar) == "" {
		b.Skipf("set %s to benchmark PostgreSQL", pgtest.EnvVar)
	}
	e := newPG(b)
	ctx := context.Background()
	var mu sync.Mutex
	committed := make(map[string]time.Time, b.N)
	lat := make([]time.Duration, 0, b.N)
	all := make(chan struct{})
	d := taskqueue.DispatcherFunc(func(_ context.Context, t *store.Task) (json.RawMessage, error) {
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		c, ok := committed[t.ID]
		if !ok { // the handler can start before Create returns
			committed[t.ID] = now
			c = now
		}
		lat = append(lat, max(now.Sub(c), 0))
		if len(lat) == b.N {
			close(all)
		}
		return nil, nil
	})
	p, err := taskqueue.NewPool(taskqueue.PoolConfig{Queue: e.s, Notifier: e.notifier, Dispatcher: taskqueue.AnyType(d)})
	require.NoError(b, err)
	pctx, cancel := context.WithCancel(ctx)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = p.Serve(pctx)
	}()
	b.ResetTimer()
	tick := time.NewTicker(5 * time.Millisecond) // 200/s
	for range b.N {
		<-tick.C
		task, _, err := e.s.Create(ctx, store.NewTask{Type: "noop"})
		require.NoError(b, err)
		now := time.Now()
		mu.Lock()
		if _, ok := committed[task.ID]; !ok {
			committed[task.ID] = now
		}
		mu.Unlock()
	}
	tick.Stop()
	<-all
	b.StopTimer()
	cancel()
	<-served
	slices.Sort(lat)
	pct := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.90), "p90-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}
