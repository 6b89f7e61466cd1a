package taskqueue_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// TestRunDue: RunDue runs every due task in the calling goroutine, in
// claim order, through the pool's outcome rules, writes each outcome before
// it returns, runs a task that is due again at once in the same call, and
// leaves held, scheduled and delayed-retry tasks alone.
func TestRunDue(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		var mu sync.Mutex
		var order []string
		tries := map[string]int{}
		d := taskqueue.DispatcherFunc(func(_ context.Context, task *store.Task) (json.RawMessage, error) {
			mu.Lock()
			order = append(order, task.Type)
			tries[task.Type]++
			n := tries[task.Type]
			mu.Unlock()
			switch task.Type {
			case "perm":
				return nil, taskqueue.Permanent(errBoom)
			case "later":
				return nil, taskqueue.RetryAfter(time.Hour, errBoom)
			case "again":
				if n < 3 {
					return nil, taskqueue.RetryAfter(0, errBoom)
				}
			}
			return okResult(task.Type), nil
		})
		obs := &countingObserver{}
		p, err := taskqueue.NewPool(taskqueue.PoolConfig{Queue: e.be, Dispatcher: taskqueue.AnyType(d), Observer: obs, WorkerName: "w-" + e.name})
		require.NoError(t, err)

		ok := create(t, e.be, store.NewTask{Type: "ok", Priority: 1})
		hi := create(t, e.be, store.NewTask{Type: "hi", Priority: 9})
		perm := create(t, e.be, store.NewTask{Type: "perm"})
		later := create(t, e.be, store.NewTask{Type: "later"})
		again := create(t, e.be, store.NewTask{Type: "again", MaxAttempts: 5})
		held := create(t, e.be, store.NewTask{Type: "ok", Hold: true})
		future := create(t, e.be, store.NewTask{Type: "ok", RunAfter: time.Now().Add(time.Hour)})

		n, err := p.RunDue(context.Background())
		require.NoError(t, err)
		require.Equal(t, 7, n, "hi, ok, perm, later once, again three times")
		require.Equal(t, "hi", order[0], "highest priority first")
		require.Len(t, order, 7)
		require.Equal(t, 7, obs.claimed())
		require.Equal(t, 7, obs.finished())

		for _, c := range []struct {
			task     store.Task
			status   store.Status
			attempts int
		}{
			{ok, store.StatusCompleted, 1}, {hi, store.StatusCompleted, 1}, {perm, store.StatusFailed, 1},
			{later, store.StatusRetry, 1}, {again, store.StatusCompleted, 3},
			{held, store.StatusCreated, 0}, {future, store.StatusQueued, 0},
		} {
			got, err := e.be.Get(context.Background(), c.task.ID)
			require.NoError(t, err)
			require.Equal(t, c.status, got.Status, c.task.Type)
			require.Equal(t, c.attempts, got.Attempts, c.task.Type)
		}
		got, err := e.be.Get(context.Background(), ok.ID)
		require.NoError(t, err)
		require.JSONEq(t, `"ok"`, string(got.Result), "the outcome is written when RunDue returns")

		n, err = p.RunDue(context.Background())
		require.NoError(t, err)
		require.Zero(t, n, "nothing is due any more")
	})
}

// TestRunDueStops: when ctx ends during an attempt, the attempt's context
// is cancelled with ErrStopping, the task is released uncounted, and
// RunDue returns ctx's error.
func TestRunDueStops(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		started := make(chan struct{})
		var cause error
		d := taskqueue.DispatcherFunc(func(ctx context.Context, _ *store.Task) (json.RawMessage, error) {
			close(started)
			<-ctx.Done()
			cause = context.Cause(ctx)
			return nil, ctx.Err()
		})
		p, err := taskqueue.NewPool(taskqueue.PoolConfig{Queue: e.be, Dispatcher: taskqueue.AnyType(d)})
		require.NoError(t, err)
		task := create(t, e.be, store.NewTask{Type: "slow"})
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-started
			cancel()
		}()
		n, err := p.RunDue(ctx)
		require.ErrorIs(t, err, context.Canceled)
		require.Equal(t, 1, n)
		require.ErrorIs(t, cause, taskqueue.ErrStopping)
		got, err := e.be.Get(context.Background(), task.ID)
		require.NoError(t, err)
		require.Equal(t, store.StatusQueued, got.Status, "released")
	})
}

// TestRunDueWhileServing: a serving pool refuses RunDue.
func TestRunDueWhileServing(t *testing.T) {
	t.Parallel()
	e := newMemEnv(t)
	p, _ := startPool(t, taskqueue.PoolConfig{Queue: e.be, Dispatcher: taskqueue.NewMux()})
	eventually(t, 10*time.Second, p.Ready, "pool never ready")
	_, err := p.RunDue(context.Background())
	require.ErrorIs(t, err, taskqueue.ErrPoolBusy)
}

type countingObserver struct {
	mu           sync.Mutex
	claims, ends int
}

func (o *countingObserver) Claimed(*store.Task) {
	o.mu.Lock()
	o.claims++
	o.mu.Unlock()
}

func (o *countingObserver) Finished(*store.Task, store.OutcomeKind, time.Duration, error) {
	o.mu.Lock()
	o.ends++
	o.mu.Unlock()
}

func (o *countingObserver) claimed() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.claims
}

func (o *countingObserver) finished() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ends
}

// TestRunDueAfterStopClaiming: after StopClaiming, RunDue claims nothing
// and returns ErrClaimingStopped, whether the stop came before the call
// or during an attempt (the attempt's outcome is written, no further task
// is claimed), with one queue or several.
func TestRunDueAfterStopClaiming(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		for _, queues := range []map[string]taskqueue.QueueConfig{nil, {"mail": {}, store.DefaultQueue: {}}} {
			var p *taskqueue.Pool
			stopInside := false
			d := taskqueue.DispatcherFunc(func(_ context.Context, task *store.Task) (json.RawMessage, error) {
				if stopInside {
					p.StopClaiming()
				}
				return okResult(task.Type), nil
			})
			var err error
			p, err = taskqueue.NewPool(taskqueue.PoolConfig{Queue: e.be, Dispatcher: taskqueue.AnyType(d), Queues: queues, WorkerName: "w-" + e.name})
			require.NoError(t, err)

			a := create(t, e.be, store.NewTask{Type: "stop.a", Priority: 9})
			b := create(t, e.be, store.NewTask{Type: "stop.b"})
			stopInside = true
			n, err := p.RunDue(context.Background())
			require.ErrorIs(t, err, taskqueue.ErrClaimingStopped)
			require.Equal(t, 1, n, "the running attempt ends; nothing more is claimed")
			got, err := e.be.Get(context.Background(), a.ID)
			require.NoError(t, err)
			require.Equal(t, store.StatusCompleted, got.Status)

			n, err = p.RunDue(context.Background())
			require.ErrorIs(t, err, taskqueue.ErrClaimingStopped)
			require.Zero(t, n)
			got, err = e.be.Get(context.Background(), b.ID)
			require.NoError(t, err)
			require.Equal(t, store.StatusQueued, got.Status, "not claimed after StopClaiming")
			require.Zero(t, got.Attempts)
			// Leave the backend empty for the next round.
			_, err = e.be.Cancel(context.Background(), b.ID)
			require.NoError(t, err)
		}
	})
}
