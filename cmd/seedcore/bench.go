package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
	"github.com/seedcore/seedcore/store/pgstore"
	"github.com/seedcore/seedcore/taskqueue"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("bench", "[flags]", `
Measure the library alone (no HTTP, no eventizer): a worker pool with a
no-op dispatcher on the in-memory store or on PostgreSQL.

  burndown  insert -n tasks at once, then time the pool until every one is
            completed in the store: tasks per second.
  latency   create tasks one by one at -rate per second for -duration while
            the pool runs: time from create to the dispatcher's start
            (p50, p90, p99, max).

On PostgreSQL the tasks go to -schema (default seedcore_bench); a schema
the bench created is dropped at the end. Progress goes to stderr, results
to stdout.`)
	backend := fs.String("store", "memory", "memory or postgres")
	db := secretFlag(fs, "db", "DATABASE_URL", "PostgreSQL `URL` for -store postgres (env DATABASE_URL)")
	schema := fs.String("schema", "seedcore_bench", "PostgreSQL schema for -store postgres")
	workload := fs.String("workload", "all", "burndown, latency or all")
	n := fs.Int("n", 20000, "burndown: number of tasks")
	rate := fs.Float64("rate", 200, "latency: tasks created per second")
	duration := fs.Duration("duration", 5*time.Second, "latency: how long to create tasks")
	concurrency := fs.Int("concurrency", taskqueue.DefaultConcurrency, "tasks run at once")
	every := fs.Duration("progress", time.Second, "interval of the progress lines")
	pos, code, done := parse(fs, args, stdout, stderr)
	if done {
		return code
	}
	switch {
	case len(pos) > 0:
		return fail(stderr, "bench", usagef("unexpected argument %q", pos[0]))
	case *backend != "memory" && *backend != "postgres":
		return fail(stderr, "bench", usagef("-store must be memory or postgres, got %q", *backend))
	case *backend == "postgres" && *db == "":
		return fail(stderr, "bench", usagef("-store postgres needs -db or DATABASE_URL"))
	case *workload != "burndown" && *workload != "latency" && *workload != "all":
		return fail(stderr, "bench", usagef("-workload must be burndown, latency or all, got %q", *workload))
	case *n < 1, *rate <= 0, *duration <= 0, *concurrency < 1, *every <= 0:
		return fail(stderr, "bench", usagef("-n, -rate, -duration, -concurrency and -progress must be positive"))
	}
	b := &bench{backend: *backend, db: *db, schema: *schema, concurrency: *concurrency, every: *every, stderr: stderr}
	if *workload != "latency" {
		res, err := b.burndown(ctx, *n)
		if err != nil {
			return fail(stderr, "bench", err)
		}
		fmt.Fprintf(stdout, "burndown store=%s tasks=%d concurrency=%d: %s, %.0f tasks/s\n",
			*backend, *n, *concurrency, res.Round(time.Millisecond), float64(*n)/res.Seconds())
	}
	if *workload != "burndown" {
		lat, err := b.latency(ctx, *rate, *duration)
		if err != nil {
			return fail(stderr, "bench", err)
		}
		fmt.Fprintf(stdout, "latency store=%s rate=%g/s duration=%s: n=%d p50=%s p90=%s p99=%s max=%s\n",
			*backend, *rate, *duration, len(lat), pct(lat, 50), pct(lat, 90), pct(lat, 99), pct(lat, 100))
	}
	return exitOK
}

type bench struct {
	backend, db, schema string
	concurrency         int
	every               time.Duration
	stderr              io.Writer
}

// benchQueue is what a bench needs of a backend.
type benchQueue interface {
	store.Store
	taskqueue.Queue
	CreateMany(ctx context.Context, tasks []store.NewTask) (int, error)
}

// env is a fresh backend with its notifier; close releases it.
type env struct {
	q        benchQueue
	notifier store.Notifier
	close    func()
}

func (b *bench) open(ctx context.Context) (*env, error) {
	if b.backend == "memory" {
		ms := memstore.New(memstore.Options{})
		return &env{q: ms, notifier: ms, close: func() {}}, nil
	}
	s, err := pgstore.Open(ctx, b.db, pgstore.Options{Schema: b.schema})
	if err != nil {
		return nil, err
	}
	v, err := s.SchemaVersion(ctx)
	if err == nil {
		err = s.Migrate(ctx)
	}
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	lctx, stop := context.WithCancel(context.Background())
	l := pgstore.NewListener(b.db, pgstore.ListenerOptions{Schema: b.schema})
	lDone := make(chan struct{})
	go func() { defer close(lDone); _ = l.Serve(lctx) }()
	return &env{q: s, notifier: l, close: func() {
		stop()
		<-lDone
		if v == 0 { // the bench created the schema: remove it
			_, _ = s.DB().ExecContext(context.Background(), `DROP SCHEMA IF EXISTS `+b.schema+` CASCADE`)
		} else {
			_, _ = s.DeleteFinished(context.Background(), 0, 100000)
		}
		_ = s.Close()
	}}, nil
}

// runPool runs a pool with dispatcher d on e until the returned stop is
// called.
func (b *bench) runPool(e *env, d taskqueue.DispatcherFunc) (stop func(), err error) {
	pool, err := taskqueue.NewPool(taskqueue.PoolConfig{
		Queue: e.q, Notifier: e.notifier, Dispatcher: taskqueue.Typed(d, "noop"), Concurrency: b.concurrency,
		WorkerName: "seedcore-bench-" + strconv.FormatInt(time.Now().UnixNano(), 36),
	})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = pool.Serve(ctx) }()
	return func() { cancel(); <-done }, nil
}

func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(b.stderr, format+"\n", args...)
}

// burndown inserts n ready tasks, then times the pool until all are
// completed in the store.
func (b *bench) burndown(ctx context.Context, n int) (time.Duration, error) {
	e, err := b.open(ctx)
	if err != nil {
		return 0, err
	}
	defer e.close()
	const chunk = 5000
	for done := 0; done < n; {
		batch := make([]store.NewTask, min(chunk, n-done))
		for i := range batch {
			batch[i] = store.NewTask{Type: "noop"}
		}
		if _, err := e.q.CreateMany(ctx, batch); err != nil {
			return 0, err
		}
		done += len(batch)
		b.progress("burndown: inserted %d/%d", done, n)
	}
	var ran atomic.Int64
	start := time.Now()
	stop, err := b.runPool(e, func(context.Context, *store.Task) (json.RawMessage, error) {
		ran.Add(1)
		return nil, nil
	})
	if err != nil {
		return 0, err
	}
	defer stop()
	// The dispatcher's count is cheap to read; the store is asked only once
	// every task has run, to see the outcomes written.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-tick.C:
		}
		if r := ran.Load(); r >= int64(n) {
			c, err := e.q.Counts(ctx)
			if err != nil {
				return 0, err
			}
			if c[store.StatusCompleted] >= n {
				return time.Since(start), nil
			}
		}
		if time.Since(last) >= b.every {
			last = time.Now()
			el := time.Since(start)
			b.progress("burndown: %d/%d run, %s, %.0f tasks/s", ran.Load(), n, el.Round(time.Millisecond), float64(ran.Load())/el.Seconds())
		}
	}
}

// latency creates tasks at rate per second for d while the pool runs and
// returns each task's time from create to dispatch, sorted.
func (b *bench) latency(ctx context.Context, rate float64, d time.Duration) ([]time.Duration, error) {
	e, err := b.open(ctx)
	if err != nil {
		return nil, err
	}
	defer e.close()
	var (
		mu  sync.Mutex
		lat []time.Duration
	)
	stop, err := b.runPool(e, func(_ context.Context, t *store.Task) (json.RawMessage, error) {
		var p struct {
			At int64 `json:"at"`
		}
		if err := json.Unmarshal(t.Params, &p); err == nil && t.Attempts == 1 {
			mu.Lock()
			lat = append(lat, time.Since(time.Unix(0, p.At)))
			mu.Unlock()
		}
		return nil, nil
	})
	if err != nil {
		return nil, err
	}
	defer stop()

	total := int(rate * d.Seconds())
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	last := start
	for i := 0; i < total; i++ {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(wait):
			}
		}
		params := fmt.Sprintf(`{"at":%d}`, time.Now().UnixNano())
		if _, _, err := e.q.Create(ctx, store.NewTask{Type: "noop", Params: json.RawMessage(params)}); err != nil {
			return nil, err
		}
		if time.Since(last) >= b.every {
			last = time.Now()
			mu.Lock()
			got := len(lat)
			mu.Unlock()
			b.progress("latency: %d/%d created, %d started", i+1, total, got)
		}
	}
	// Let the last tasks start.
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		got := len(lat)
		mu.Unlock()
		if got >= total {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("only %d of %d tasks started within 30s", got, total)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	stop()
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(lat)
	return lat, nil
}

// pct returns the p-th percentile of sorted durations.
func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	i = min(max(i-1, 0), len(sorted)-1)
	return sorted[i].Round(time.Microsecond)
}
