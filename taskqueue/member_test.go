package taskqueue_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
	"github.com/seedcore/seedcore/store/pgstore"
	"github.com/seedcore/seedcore/taskqueue"
)

// loseSession ends m's session as a crash would: memstore forgets it,
// PostgreSQL terminates the server process of its connection (found by
// the advisory lock it holds in this test's schema), never another.
func loseSession(t *testing.T, e *env, m *taskqueue.Member) {
	t.Helper()
	id := m.ID()
	require.Positive(t, id, "member %s has not joined", m.Name())
	switch s := e.be.(type) {
	case *memstore.Store:
		s.LoseSession(id)
	case *pgstore.Store:
		var n int
		require.NoError(t, s.DB().GetContext(context.Background(), &n, `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
			WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = $1::oid AND objid = $2::oid
			  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
			s.ClusterLockKey(), id))
		require.Equal(t, 1, n)
	default:
		t.Fatalf("no way to lose a session of %T", e.be)
	}
}

func newMember(t *testing.T, e *env, name string, onChange func(bool)) *taskqueue.Member {
	t.Helper()
	m, err := taskqueue.NewMember(taskqueue.MemberConfig{
		Membership: e.be.(store.Membership), Info: store.ProcessInfo{Name: name},
		Interval: 20 * time.Millisecond, OnLeaderChange: onChange, Logger: testLogger(t),
	})
	require.NoError(t, err)
	return m
}

// serveUntil runs serve until stop is called or the test ends, and returns
// stop, which waits for serve to return.
func serveUntil(t *testing.T, serve func(context.Context) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = serve(ctx)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
	t.Cleanup(stop)
	return stop
}

// leaderProbe is a leader-only service that counts how many of its
// copies run at once.
type leaderProbe struct {
	running *atomic.Int32
	max     *atomic.Int32
	runs    atomic.Int32
}

func (p *leaderProbe) Serve(ctx context.Context) error {
	n := p.running.Add(1)
	for {
		m := p.max.Load()
		if n <= m || p.max.CompareAndSwap(m, n) {
			break
		}
	}
	p.runs.Add(1)
	<-ctx.Done()
	p.running.Add(-1)
	return ctx.Err()
}

// TestMemberLeaderFailover: of two members one leads and runs the
// leader-only service; when it stops, the other takes over, and the
// service never runs twice at once.
func TestMemberLeaderFailover(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		var running, most atomic.Int32
		var changes atomic.Int32
		onChange := func(bool) { changes.Add(1) }
		a := newMember(t, e, "a", onChange)
		b := newMember(t, e, "b", onChange)
		pa, pb := &leaderProbe{running: &running, max: &most}, &leaderProbe{running: &running, max: &most}

		stopA := serveUntil(t, a.Serve)
		serveUntil(t, a.Lead(pa).Serve)
		eventually(t, 10*time.Second, a.Leading, "a to lead")
		serveUntil(t, b.Serve)
		serveUntil(t, b.Lead(pb).Serve)
		eventually(t, 10*time.Second, b.Joined, "b to join")
		eventually(t, 10*time.Second, func() bool { return pa.runs.Load() == 1 }, "the leader's service to run")
		time.Sleep(100 * time.Millisecond) // several of b's ticks
		require.False(t, b.Leading())
		require.Zero(t, pb.runs.Load(), "a standby runs no leader-only service")

		ps, err := e.be.(store.ProcessLister).Processes(context.Background())
		require.NoError(t, err)
		require.Len(t, ps, 2)
		require.True(t, ps[0].Leader)
		require.Equal(t, "a", ps[0].Name)

		stopA()
		require.False(t, a.Leading())
		eventually(t, 10*time.Second, b.Leading, "b to take over")
		eventually(t, 10*time.Second, func() bool { return pb.runs.Load() == 1 }, "the new leader's service to run")
		require.Equal(t, int32(1), most.Load(), "never two leaders' services at once")
		// OnLeaderChange runs after the new state is visible: wait for it.
		eventually(t, 10*time.Second, func() bool { return changes.Load() >= 3 }, "b's leadership callback")
		require.Equal(t, int32(3), changes.Load(), "a gained and lost, b gained")
		require.Equal(t, int64(2), a.LeaderChanges())
	})
}

// TestMemberLostLeaderReplaced: when the leader's session is lost (its
// connection cut while it lives), it stops leading, and the old
// leader stops its leader-only service and joins again. (Until
// the old leader's next check both services may run: they must be safe to
// run twice at once.)
func TestMemberLostLeaderReplaced(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		var running, most atomic.Int32
		a := newMember(t, e, "a", nil)
		b := newMember(t, e, "b", nil)
		pa, pb := &leaderProbe{running: &running, max: &most}, &leaderProbe{running: &running, max: &most}
		serveUntil(t, a.Serve)
		serveUntil(t, a.Lead(pa).Serve)
		eventually(t, 10*time.Second, a.Leading, "a to lead")
		serveUntil(t, b.Serve)
		serveUntil(t, b.Lead(pb).Serve)
		eventually(t, 10*time.Second, b.Joined, "b to join")
		first := a.ID()

		loseSession(t, e, a)
		eventually(t, 10*time.Second, func() bool { return a.Joined() && a.ID() != first }, "a to join again")
		// Either may lead now (a, joined again, stands too), but one does
		// and only its service runs.
		eventually(t, 10*time.Second, func() bool { return a.Leading() != b.Leading() && running.Load() == 1 }, "one leader")
		require.GreaterOrEqual(t, a.LeaderChanges(), int64(2), "a lost its leadership with its session")
	})
}

// TestMemberLostSessionTasks: a process whose session is lost stops the
// attempts it holds; the leader returns their tasks to the queue at once
// (the lease is far from expiring), another process runs them, and the
// lost attempt's late outcome is rejected. The process joins again and
// claims again.
func TestMemberLostSessionTasks(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		causes := make(chan error, 4)
		mux := taskqueue.NewMux()
		require.NoError(t, mux.Handle("block", taskqueue.DispatcherFunc(func(ctx context.Context, task *store.Task) (json.RawMessage, error) {
			if task.Attempts > 1 {
				return okResult(task.Attempts), nil
			}
			<-ctx.Done()
			causes <- context.Cause(ctx)
			// A late outcome: the attempt claims success after its
			// session was lost.
			return okResult("late"), nil
		})))
		leader := newMember(t, e, "leader", nil)
		serveUntil(t, leader.Serve)
		eventually(t, 10*time.Second, leader.Leading, "the leader to lead")

		victim := newMember(t, e, "victim", nil)
		serveUntil(t, victim.Serve)
		_, _ = startPool(t, taskqueue.PoolConfig{
			Queue: e.be, Notifier: e.notifier, Dispatcher: mux, Member: victim,
			Lease: time.Minute, PollInterval: 50 * time.Millisecond, RetryPolicy: fastRetry, Logger: testLogger(t),
		})
		task := create(t, e.be, store.NewTask{Type: "block"})
		running := waitStatus(t, e.be, task.ID, store.StatusRunning, 10*time.Second)
		require.Equal(t, "victim", running.LockedBy)
		first := victim.ID()

		lost := time.Now()
		loseSession(t, e, victim)
		select {
		case cause := <-causes:
			require.ErrorIs(t, cause, taskqueue.ErrLeaseLost)
		case <-time.After(10 * time.Second):
			t.Fatal("the lost session's attempt was not stopped")
		}
		// The victim joins again and may run the task itself: either way
		// it completes long before the minute-long lease, at attempt 2 as
		// a rule. A claim the victim's pool started just before it saw the
		// session lost can take the task the leader has just returned
		// (attempt 2) under the name whose tasks the victim's new join
		// returns; that attempt's outcome is then rejected in turn and
		// attempt 3 completes. Never the late outcome of attempt 1.
		done := waitStatus(t, e.be, task.ID, store.StatusCompleted, 10*time.Second)
		require.Less(t, time.Since(lost), 30*time.Second)
		require.Contains(t, []int{2, 3}, done.Attempts)
		require.JSONEq(t, strconv.Itoa(done.Attempts), string(done.Result), "the late outcome of attempt 1 was rejected")
		eventually(t, 10*time.Second, func() bool { return victim.Joined() && victim.ID() != first }, "the victim to join again")

		// Joined again, it claims again.
		again := create(t, e.be, store.NewTask{Type: "block", MaxAttempts: 3})
		_, err := e.be.Finish(ctx, nil)
		require.NoError(t, err)
		got := waitStatus(t, e.be, again.ID, store.StatusRunning, 10*time.Second)
		require.Equal(t, "victim", got.LockedBy)
	})
}

// TestMemberNameMustMatchPool: a pool and its member share one name.
func TestMemberNameMustMatchPool(t *testing.T) {
	s := memstore.New(memstore.Options{})
	m, err := taskqueue.NewMember(taskqueue.MemberConfig{Membership: s, Info: store.ProcessInfo{Name: "a"}})
	require.NoError(t, err)
	_, err = taskqueue.NewPool(taskqueue.PoolConfig{Queue: s, Dispatcher: taskqueue.NewMux(), Member: m, WorkerName: "b"})
	require.ErrorIs(t, err, taskqueue.ErrInvalidConfig)
	p, err := taskqueue.NewPool(taskqueue.PoolConfig{Queue: s, Dispatcher: taskqueue.NewMux(), Member: m})
	require.NoError(t, err)
	require.Equal(t, "a", p.WorkerName())
	_, err = taskqueue.NewMember(taskqueue.MemberConfig{Membership: s})
	require.True(t, errors.Is(err, taskqueue.ErrInvalidConfig))
}

// testLogger logs to t.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}
