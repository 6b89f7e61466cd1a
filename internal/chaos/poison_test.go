package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/pgstore"
	"github.com/seedcore/seedcore/taskqueue"
)

// serve runs a suture-style service until the test ends.
func serve(t testing.TB, svc func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = svc(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("service did not stop")
		}
	})
}

// TestPoison runs, in one process, pools that meet tasks that always
// panic, always time out, or carry params their handler cannot decode.
// Each ends failed after exactly max_attempts attempts (at once for the
// permanent decode failure), and healthy tasks keep their throughput: the
// healthy rate with poison is measured against the rate without it, in
// the same run, before and after.
func TestPoison(t *testing.T) {
	t.Parallel()
	const (
		rounds      = 4
		healthy     = 300 // per batch
		perPoison   = 5   // panic and decode tasks each, per round
		timeouts    = 1   // per round
		maxAttempts = 3
		workMs      = 10
		timeout     = 100 * time.Millisecond
	)
	env := pgtest.New(t)
	ctx := context.Background()
	st, err := pgstore.New(env.DB, pgstore.Options{Schema: env.Schema})
	require.NoError(t, err)
	require.NoError(t, st.Migrate(ctx))
	listener := pgstore.NewListener(env.DSN, pgstore.ListenerOptions{Schema: env.Schema})
	ready, unsubscribe := listener.Subscribe()
	serve(t, listener.Serve)
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("listener did not connect")
	}
	unsubscribe()

	mux := taskqueue.NewMux()
	require.NoError(t, mux.Handle("healthy", taskqueue.DispatcherFunc(func(ctx context.Context, _ *store.Task) (json.RawMessage, error) {
		select {
		case <-time.After(workMs * time.Millisecond):
			return json.RawMessage(`"ok"`), nil
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	})))
	require.NoError(t, mux.Handle("panic", taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
		panic("poison")
	})))
	require.NoError(t, mux.Handle("timeout", taskqueue.DispatcherFunc(func(ctx context.Context, _ *store.Task) (json.RawMessage, error) {
		<-ctx.Done()
		return nil, context.Cause(ctx)
	})))
	type decodeParams struct {
		N int `json:"n"`
	}
	require.NoError(t, taskqueue.HandleFunc(mux, "decode", func(context.Context, *store.Task, decodeParams) (string, error) {
		return "unreachable", nil
	}))
	for i := range 2 {
		p, err := taskqueue.NewPool(taskqueue.PoolConfig{
			Concurrency: 8, Dispatcher: mux, Notifier: listener, Queue: st,
			Lease: 5 * time.Second, PollInterval: 50 * time.Millisecond, Timeout: timeout,
			RetryPolicy: taskqueue.RetryPolicyFunc(func(int) time.Duration { return 5 * time.Millisecond }),
			WorkerName:  fmt.Sprintf("%s-pool%d", env.Schema, i),
		})
		require.NoError(t, err)
		serve(t, p.Serve)
	}

	// run enqueues the batch and returns the healthy tasks' rate (tasks/s)
	// until all of them completed.
	var mu sync.Mutex
	run := func(batch []store.NewTask, healthyIDs []string) float64 {
		mu.Lock()
		defer mu.Unlock()
		start := time.Now()
		n, err := st.CreateMany(ctx, batch)
		require.NoError(t, err)
		require.Equal(t, len(batch), n)
		eventually(t, 2*time.Minute, func() bool {
			var left int
			require.NoError(t, env.DB.GetContext(ctx, &left, `SELECT count(*) FROM `+env.Schema+
				`.tasks WHERE id = ANY($1::uuid[]) AND status <> 'completed'`, pqArray(healthyIDs)))
			return left == 0
		}, "healthy tasks did not complete")
		return float64(len(healthyIDs)) / time.Since(start).Seconds()
	}
	healthyBatch := func() ([]store.NewTask, []string) {
		var b []store.NewTask
		var ids []string
		for range healthy {
			id := store.NewID()
			ids = append(ids, id)
			b = append(b, store.NewTask{ID: id, Type: "healthy"})
		}
		return b, ids
	}

	// Rounds alternate a healthy batch alone and one behind poison, so
	// the machine's load (shared, noisy) weighs on both alike.
	var poison []store.NewTask
	kinds := map[string]string{}
	add := func(typ, params string, count int) {
		for range count {
			nt := store.NewTask{ID: store.NewID(), Type: typ, MaxAttempts: maxAttempts, Params: json.RawMessage(params)}
			poison = append(poison, nt)
			kinds[nt.ID] = typ
		}
	}
	var without, with []float64
	for range rounds {
		without = append(without, run(healthyBatch()))
		// Poison first in the batch: it is claimed before the healthy tasks.
		poison = poison[:0]
		add("panic", `{}`, perPoison)
		add("decode", `{"n":"not a number"}`, perPoison)
		add("timeout", `{}`, timeouts)
		hb, hids := healthyBatch()
		with = append(with, run(append(poison, hb...), hids))
	}

	eventually(t, time.Minute, func() bool {
		var left int
		require.NoError(t, env.DB.GetContext(ctx, &left, `SELECT count(*) FROM `+env.Schema+
			`.tasks WHERE status NOT IN ('completed', 'failed', 'cancelled')`))
		return left == 0
	}, "poison tasks did not end")

	wantAttempts := map[string]int{"panic": maxAttempts, "timeout": maxAttempts, "decode": 1}
	wantError := map[string]error{"panic": taskqueue.ErrPanic, "timeout": taskqueue.ErrTimeout, "decode": taskqueue.ErrDecodeParams}
	for id, typ := range kinds {
		task, err := st.Get(ctx, id)
		require.NoError(t, err)
		require.Equal(t, store.StatusFailed, task.Status, "%s task %s", typ, id)
		require.Equal(t, wantAttempts[typ], task.Attempts, "%s task %s", typ, id)
		require.Contains(t, task.Error, wantError[typ].Error(), "%s task %s", typ, id)
	}
	counts, err := st.Counts(ctx)
	require.NoError(t, err)
	require.Equal(t, 2*rounds*healthy, counts[store.StatusCompleted])

	ratio := mean(with) / mean(without)
	t.Logf("healthy throughput (tasks/s) per round, without poison %.0f, with %.0f (each round: %d healthy tasks, %d panic, %d decode, %d timeout, max_attempts %d); ratio with/without %.3f",
		without, with, healthy, perPoison, perPoison, timeouts, maxAttempts, ratio)
	// Only a generous bound: the ratio is a measurement on a shared
	// machine, reported above; the target is ≥ 0.9.
	require.Greater(t, ratio, 0.5, "poison tasks slowed healthy tasks down by half")
}

func mean(xs []float64) float64 {
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

// pqArray passes ids as a PostgreSQL array literal.
func pqArray(ids []string) any { return pq.StringArray(ids) }
