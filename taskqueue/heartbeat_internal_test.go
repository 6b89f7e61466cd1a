package taskqueue

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
)

// beatQueue records the ids of every heartbeat and answers with a lease
// for each id in alive.
type beatQueue struct {
	mu    sync.Mutex
	beats [][]string
	alive map[string]bool
}

func (q *beatQueue) Claim(context.Context, string, int, time.Duration) ([]store.Task, error) {
	return nil, nil
}

func (q *beatQueue) ClaimMatching(context.Context, string, int, time.Duration, store.ClaimFilter) ([]store.Task, error) {
	return nil, nil
}

func (q *beatQueue) Heartbeat(_ context.Context, _ string, held []string, _ time.Duration) ([]store.Lease, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	ids := slices.Clone(held)
	slices.Sort(ids)
	q.beats = append(q.beats, ids)
	var out []store.Lease
	for _, id := range held {
		if q.alive[id] {
			out = append(out, store.Lease{TaskID: id, Attempt: 1})
		}
	}
	return out, nil
}

func (q *beatQueue) Finish(context.Context, []store.Outcome) ([]error, error) { return nil, nil }

func (q *beatQueue) Rescue(context.Context, int) ([]store.Rescued, error) { return nil, nil }

func (q *beatQueue) count() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.beats)
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newBeatPool(t *testing.T, q *beatQueue, clock *fakeClock, lease, interval time.Duration) *Pool {
	t.Helper()
	p, err := NewPool(PoolConfig{
		Queue: q, Now: clock.Now, Lease: lease, HeartbeatInterval: interval,
		Dispatcher: AnyType(DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) { return nil, nil })),
	})
	require.NoError(t, err)
	return p
}

// hold adds a running attempt of id claimed at claimed, and returns a
// function reporting its context's cause.
func hold(p *Pool, id string, claimed time.Time) func() error {
	ctx, cancel := context.WithCancelCause(context.Background())
	p.mu.Lock()
	p.held[id] = &heldTask{attempt: 1, cancel: cancel, claimed: claimed}
	p.mu.Unlock()
	return func() error { return context.Cause(ctx) }
}

// A periodic heartbeat leaves out the tasks claimed less than youngAge
// ago (their lease outlasts the next periodic heartbeat) and judges only
// the tasks it named; a heartbeat asked for a cancellation names all.
func TestHeartbeatLeavesOutYoungTasks(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	q := &beatQueue{alive: map[string]bool{"old": true}}
	p := newBeatPool(t, q, clock, 9*time.Second, 3*time.Second)
	require.Equal(t, 3*time.Second, p.youngAge())
	t0 := clock.Now()
	oldCause := hold(p, "old", t0)
	lostCause := hold(p, "lost", t0)
	youngCause := hold(p, "young", t0.Add(2500*time.Millisecond))
	clock.Add(3500 * time.Millisecond)

	require.True(t, p.heartbeat(context.Background(), false))
	require.Equal(t, [][]string{{"lost", "old"}}, q.beats)
	require.NoError(t, oldCause())
	require.ErrorIs(t, lostCause(), ErrLeaseLost, "a named task without a lease is lost")
	require.NoError(t, youngCause(), "a task left out is not judged by the answer")

	// All tasks, the young one too (the queue gives it no lease: lost).
	require.True(t, p.heartbeat(context.Background(), true))
	require.Equal(t, []string{"lost", "old", "young"}, q.beats[1])
	require.ErrorIs(t, youngCause(), ErrLeaseLost)

	// An attempt that ended is only kept alive: a young one is left out
	// even of a heartbeat of all tasks, an old one is named.
	hold(p, "ended-young", clock.Now().Add(-time.Second))
	hold(p, "ended-old", t0)
	p.mu.Lock()
	p.held["ended-young"].ended.Store(true)
	p.held["ended-old"].ended.Store(true)
	p.mu.Unlock()
	require.True(t, p.heartbeat(context.Background(), true))
	require.Equal(t, []string{"ended-old", "lost", "old", "young"}, q.beats[2])

	// With a lease shorter than three intervals nothing is left out.
	short := newBeatPool(t, &beatQueue{}, clock, 5*time.Second, 3*time.Second)
	require.Zero(t, short.youngAge())
}

// Resyncs arriving one after another cost one heartbeat per
// resyncBeatGap, not one each; a heartbeat for a cancellation still goes
// at once.
func TestHeartbeatResyncsCoalesce(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	q := &beatQueue{alive: map[string]bool{"a": true}}
	// A long interval: the ticker never fires and the gap is 15 minutes.
	p := newBeatPool(t, q, clock, 3*time.Hour, time.Hour)
	hold(p, "a", clock.Now().Add(-2*time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.heartbeatLoop(ctx)
	}()
	defer func() { cancel(); <-done }()

	p.heartbeatResync()
	require.Eventually(t, func() bool { return q.count() == 1 }, 5*time.Second, time.Millisecond)
	for range 50 {
		p.heartbeatResync()
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	require.Equal(t, 1, q.count(), "resyncs within the gap share one later heartbeat")

	p.heartbeatSoon()
	require.Eventually(t, func() bool { return q.count() == 2 }, 5*time.Second, time.Millisecond)
}

// overlapQueue is a backend whose heartbeats and outcome writes take a
// while and report whether one ever ran while the other did.
type overlapQueue struct {
	Queue
	inFinish, inBeat atomic.Int32
	overlap          atomic.Bool
	beats, finishes  atomic.Int32
}

func (q *overlapQueue) Heartbeat(ctx context.Context, w string, held []string, lease time.Duration) ([]store.Lease, error) {
	q.inBeat.Add(1)
	defer q.inBeat.Add(-1)
	q.beats.Add(1)
	if q.inFinish.Load() > 0 {
		q.overlap.Store(true)
	}
	time.Sleep(time.Millisecond)
	return q.Queue.Heartbeat(ctx, w, held, lease)
}

func (q *overlapQueue) Finish(ctx context.Context, outs []store.Outcome) ([]error, error) {
	q.inFinish.Add(1)
	defer q.inFinish.Add(-1)
	q.finishes.Add(1)
	if q.inBeat.Load() > 0 {
		q.overlap.Store(true)
	}
	time.Sleep(time.Millisecond)
	return q.Queue.Finish(ctx, outs)
}

// A pool's heartbeats and outcome writes never run at once (they would
// wait for each other's row locks in PostgreSQL).
func TestHeartbeatAndOutcomesTakeTurns(t *testing.T) {
	t.Parallel()
	ms := memstore.New(memstore.Options{})
	q := &overlapQueue{Queue: ms}
	ctx := context.Background()
	const n = 300
	for range n {
		_, _, err := ms.Create(ctx, store.NewTask{Type: "t"})
		require.NoError(t, err)
	}
	var done atomic.Int32
	p, err := NewPool(PoolConfig{
		Queue: q, Notifier: ms, Concurrency: 20, Lease: 300 * time.Millisecond, HeartbeatInterval: 5 * time.Millisecond,
		Dispatcher: AnyType(DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
			time.Sleep(2 * time.Millisecond)
			done.Add(1)
			return nil, nil
		})),
	})
	require.NoError(t, err)
	pctx, cancel := context.WithCancel(ctx)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = p.Serve(pctx)
	}()
	require.Eventually(t, func() bool {
		c, err := ms.Counts(ctx)
		return err == nil && c[store.StatusCompleted] == n
	}, 20*time.Second, time.Millisecond)
	cancel()
	<-served
	require.Positive(t, q.beats.Load())
	require.Positive(t, q.finishes.Load())
	require.False(t, q.overlap.Load(), "a heartbeat ran during an outcome write")
}
