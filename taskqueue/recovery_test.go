package taskqueue_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

var errKilled = errors.New("process killed")

// killable wraps a Queue; once killed, every call fails, as if the process
// holding the pool had died and its connection with it.
type killable struct {
	taskqueue.Queue
	dead atomic.Bool
}

func (k *killable) ClaimMatching(ctx context.Context, w string, n int, l time.Duration, f store.ClaimFilter) ([]store.Task, error) {
	if k.dead.Load() {
		return nil, errKilled
	}
	return k.Queue.ClaimMatching(ctx, w, n, l, f)
}

func (k *killable) Heartbeat(ctx context.Context, w string, held []string, l time.Duration) ([]store.Lease, error) {
	if k.dead.Load() {
		return nil, errKilled
	}
	return k.Queue.Heartbeat(ctx, w, held, l)
}

func (k *killable) Finish(ctx context.Context, o []store.Outcome) ([]error, error) {
	if k.dead.Load() {
		return nil, errKilled
	}
	return k.Queue.Finish(ctx, o)
}

// TestCrashRecovery: a pool that stops heart-beating without writing
// outcomes has every task re-run by another pool within lease + sweep, and a
// stale completion from the dead pool is rejected afterwards.
func TestCrashRecovery(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		const n = 5
		const lease = 400 * time.Millisecond
		const sweep = 50 * time.Millisecond

		deadQ := &killable{Queue: e.be}
		started := make(chan *store.Task, n)
		causes := make(chan error, n)
		deadMux := taskqueue.NewMux()
		require.NoError(t, deadMux.Handle("work", taskqueue.DispatcherFunc(func(ctx context.Context, task *store.Task) (json.RawMessage, error) {
			started <- task
			<-ctx.Done()
			causes <- context.Cause(ctx)
			return nil, ctx.Err()
		})))
		dead, stopDead := startPool(t, taskqueue.PoolConfig{
			Queue: deadQ, Dispatcher: deadMux, Concurrency: n, Lease: lease,
			PollInterval: 10 * time.Millisecond, DrainTimeout: 10 * time.Millisecond,
			FlushTimeout: 50 * time.Millisecond,
		})
		ids := map[string]bool{}
		for range n {
			ids[create(t, e.be, store.NewTask{Type: "work"}).ID] = true
		}
		held := map[string]int{}
		for range n {
			select {
			case task := <-started:
				held[task.ID] = task.Attempts
			case <-time.After(10 * time.Second):
				t.Fatal("the doomed pool did not start every task")
			}
		}
		require.Len(t, held, n)

		deadQ.dead.Store(true) // the process is gone: no heartbeat, no outcome
		killedAt := time.Now()

		rec := newRecorder()
		liveMux := taskqueue.NewMux()
		require.NoError(t, liveMux.Handle("work", taskqueue.DispatcherFunc(func(_ context.Context, task *store.Task) (json.RawMessage, error) {
			rec.record(task)
			return okResult("recovered"), nil
		})))
		startPool(t, taskqueue.PoolConfig{Queue: e.be, Notifier: e.notifier, Dispatcher: liveMux, PollInterval: 10 * time.Millisecond})
		rescuer, err := taskqueue.NewRescuer(taskqueue.RescuerConfig{Queue: e.be, Interval: sweep})
		require.NoError(t, err)
		startService(t, rescuer.Serve)

		for id := range ids {
			got := waitStatus(t, e.be, id, store.StatusCompleted, 10*time.Second)
			require.Equal(t, 2, got.Attempts, "attempts are counted once per claim")
			require.Equal(t, 1, rec.count(id))
		}
		recovered := time.Since(killedAt)
		t.Logf("%d tasks of a dead pool re-ran %s after it died (lease %s, sweep %s)", n, recovered, lease, sweep)

		// The dead pool's tasks were cancelled as lost, never completed by it.
		for range n {
			select {
			case c := <-causes:
				require.ErrorIs(t, c, taskqueue.ErrLeaseLost)
			case <-time.After(5 * time.Second):
				t.Fatal("dead pool's tasks were not cancelled after a lease without heartbeat")
			}
		}
		stopDead()

		// A stale completion from the "dead" pool, arriving late, is rejected.
		var outs []store.Outcome
		for id, attempt := range held {
			outs = append(outs, store.Outcome{TaskID: id, Worker: dead.WorkerName(), Attempt: attempt, Kind: store.OutcomeComplete, Result: okResult("stale")})
		}
		results, err := e.be.Finish(context.Background(), outs)
		require.NoError(t, err)
		require.Len(t, results, n)
		for i, r := range results {
			require.ErrorIs(t, r, store.ErrLeaseLost, outs[i].TaskID)
		}
		for id := range ids {
			got, err := e.be.Get(context.Background(), id)
			require.NoError(t, err)
			require.Equal(t, store.StatusCompleted, got.Status)
			require.JSONEq(t, `"recovered"`, string(got.Result))
		}
	})
}

// TestSoftStop: in-flight tasks finish within the drain timeout and nothing
// is claimed after the stop.
func TestSoftStop(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		release := make(chan struct{})
		started := make(chan string, 10)
		mux := taskqueue.NewMux()
		require.NoError(t, mux.Handle("slow", taskqueue.DispatcherFunc(func(ctx context.Context, task *store.Task) (json.RawMessage, error) {
			started <- task.ID
			select {
			case <-release:
				return okResult("done"), nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		})))
		cq := &countingQueue{Queue: e.be}
		_, stop := startPool(t, taskqueue.PoolConfig{
			Queue: cq, Notifier: e.notifier, Dispatcher: mux, Concurrency: 3,
			DrainTimeout: 10 * time.Second, PollInterval: 10 * time.Millisecond,
		})
		var ids []string
		for range 3 {
			ids = append(ids, create(t, e.be, store.NewTask{Type: "slow"}).ID)
		}
		for range 3 {
			select {
			case <-started:
			case <-time.After(10 * time.Second):
				t.Fatal("tasks did not start")
			}
		}
		stopped := make(chan struct{})
		go func() {
			stop()
			close(stopped)
		}()
		// Wait until the pool has stopped claiming, then offer more work.
		eventually(t, 5*time.Second, func() bool { return cq.stoppedClaiming() }, "pool kept claiming")
		late := create(t, e.be, store.NewTask{Type: "slow"})
		close(release)
		select {
		case <-stopped:
		case <-time.After(15 * time.Second):
			t.Fatal("soft stop did not finish")
		}
		for _, id := range ids {
			got, err := e.be.Get(context.Background(), id)
			require.NoError(t, err)
			require.Equal(t, store.StatusCompleted, got.Status, "in-flight task finished during drain")
		}
		got, err := e.be.Get(context.Background(), late.ID)
		require.NoError(t, err)
		require.Equal(t, store.StatusQueued, got.Status, "nothing claimed after stop")
		require.Equal(t, 0, got.Attempts)
	})
}

// TestHardStop: tasks longer than the drain are cancelled, their leases
// released so another pool runs them at once, and the interrupted attempt
// is not counted.
func TestHardStop(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		started := make(chan string, 10)
		causes := make(chan error, 10)
		mux := taskqueue.NewMux()
		require.NoError(t, mux.Handle("long", taskqueue.DispatcherFunc(func(ctx context.Context, task *store.Task) (json.RawMessage, error) {
			started <- task.ID
			<-ctx.Done()
			causes <- context.Cause(ctx)
			return nil, ctx.Err()
		})))
		_, stop := startPool(t, taskqueue.PoolConfig{
			Queue: e.be, Notifier: e.notifier, Dispatcher: mux, Concurrency: 2,
			Lease: time.Minute, DrainTimeout: 30 * time.Millisecond, PollInterval: 10 * time.Millisecond,
		})
		a := create(t, e.be, store.NewTask{Type: "long", MaxAttempts: 1})
		b := create(t, e.be, store.NewTask{Type: "long", MaxAttempts: 1})
		for range 2 {
			select {
			case <-started:
			case <-time.After(10 * time.Second):
				t.Fatal("tasks did not start")
			}
		}
		stop()
		for range 2 {
			require.ErrorIs(t, <-causes, taskqueue.ErrStopping)
		}
		for _, id := range []string{a.ID, b.ID} {
			got, err := e.be.Get(context.Background(), id)
			require.NoError(t, err)
			require.Equal(t, store.StatusQueued, got.Status, "lease released")
			require.Equal(t, 0, got.Attempts, "interrupted attempt not counted")
			require.Empty(t, got.LockedBy)
		}
		// Another pool picks them up at once (the lease was a minute long),
		// and with MaxAttempts 1 they can still complete.
		other := taskqueue.NewMux()
		require.NoError(t, other.Handle("long", taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
			return okResult("second pool"), nil
		})))
		startPool(t, taskqueue.PoolConfig{Queue: e.be, Notifier: e.notifier, Dispatcher: other, PollInterval: 10 * time.Millisecond})
		for _, id := range []string{a.ID, b.ID} {
			got := waitStatus(t, e.be, id, store.StatusCompleted, 5*time.Second)
			require.Equal(t, 1, got.Attempts)
		}
	})
}

// countingQueue notes the time of the last claim, to see when a pool stops
// claiming.
type countingQueue struct {
	taskqueue.Queue
	mu        sync.Mutex
	lastClaim time.Time
}

func (c *countingQueue) ClaimMatching(ctx context.Context, w string, n int, l time.Duration, f store.ClaimFilter) ([]store.Task, error) {
	c.mu.Lock()
	c.lastClaim = time.Now()
	c.mu.Unlock()
	return c.Queue.ClaimMatching(ctx, w, n, l, f)
}

// stoppedClaiming reports whether no claim was made for a while (several
// poll intervals of the pools in these tests).
func (c *countingQueue) stoppedClaiming() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Since(c.lastClaim) > 100*time.Millisecond
}
