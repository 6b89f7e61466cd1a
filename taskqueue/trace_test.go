package taskqueue_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

type traceKey struct{}

// attemptLog is an AttemptTracer that records every start and end.
type attemptLog struct {
	mu     sync.Mutex
	starts map[string][]int                  // task id → attempts started
	ends   map[string][]taskqueue.AttemptEnd // task id → ends, in order
	carry  map[string]map[string]string      // task id → TraceContext seen
}

func newAttemptLog() *attemptLog {
	return &attemptLog{starts: map[string][]int{}, ends: map[string][]taskqueue.AttemptEnd{}, carry: map[string]map[string]string{}}
}

func (l *attemptLog) StartAttempt(ctx context.Context, t *store.Task) (context.Context, func(taskqueue.AttemptEnd)) {
	l.mu.Lock()
	l.starts[t.ID] = append(l.starts[t.ID], t.Attempts)
	l.carry[t.ID] = t.TraceContext
	l.mu.Unlock()
	id := t.ID
	var once sync.Once
	return context.WithValue(ctx, traceKey{}, id), func(e taskqueue.AttemptEnd) {
		called := false
		once.Do(func() {
			called = true
			l.mu.Lock()
			l.ends[id] = append(l.ends[id], e)
			l.mu.Unlock()
		})
		if !called {
			panic("end called twice")
		}
	}
}

func (l *attemptLog) endsOf(id string) []taskqueue.AttemptEnd {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]taskqueue.AttemptEnd(nil), l.ends[id]...)
}

// TestPoolTracer: the tracer sees each attempt start with the stored task
// (its trace carrier included), the dispatcher runs under the context it
// returned, and each attempt ends exactly once with the outcome the pool
// wrote.
func TestPoolTracer(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		log := newAttemptLog()
		var ctxOK sync.Map // task id → the dispatcher saw the tracer's context
		mux := taskqueue.NewMux()
		require.NoError(t, mux.Handle("ok", taskqueue.DispatcherFunc(func(ctx context.Context, task *store.Task) (json.RawMessage, error) {
			ctxOK.Store(task.ID, ctx.Value(traceKey{}) == task.ID)
			return json.RawMessage(`1`), nil
		})))
		require.NoError(t, mux.Handle("flaky", taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
			return nil, errors.New("boom")
		})))
		require.NoError(t, mux.Handle("panics", taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
			panic("kaboom")
		})))
		_, stop := startPool(t, taskqueue.PoolConfig{
			Queue: e.be, Notifier: e.notifier, Dispatcher: mux, Concurrency: 4,
			RetryPolicy: fastRetry, PollInterval: 20 * time.Millisecond, Tracer: log,
		})
		defer stop()
		carrier := map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
		ok := create(t, e.be, store.NewTask{Type: "ok", TraceContext: carrier})
		flaky := create(t, e.be, store.NewTask{Type: "flaky", MaxAttempts: 2})
		panics := create(t, e.be, store.NewTask{Type: "panics", MaxAttempts: 1})
		waitStatus(t, e.be, ok.ID, store.StatusCompleted, 10*time.Second)
		waitStatus(t, e.be, flaky.ID, store.StatusFailed, 10*time.Second)
		waitStatus(t, e.be, panics.ID, store.StatusFailed, 10*time.Second)
		eventually(t, 5*time.Second, func() bool {
			return len(log.endsOf(ok.ID)) == 1 && len(log.endsOf(flaky.ID)) == 2 && len(log.endsOf(panics.ID)) == 1
		}, "every attempt ended")

		seen, _ := ctxOK.Load(ok.ID)
		require.Equal(t, true, seen, "the dispatcher runs under the tracer's context")
		log.mu.Lock()
		require.Equal(t, carrier, log.carry[ok.ID], "the attempt sees the stored trace carrier")
		require.Nil(t, log.carry[flaky.ID])
		require.Equal(t, []int{1, 2}, log.starts[flaky.ID])
		log.mu.Unlock()

		end := log.endsOf(ok.ID)[0]
		require.Equal(t, store.OutcomeComplete, end.Outcome)
		require.False(t, end.LeaseLost)
		require.False(t, end.Panicked)
		require.GreaterOrEqual(t, end.Ran, time.Duration(0))
		fe := log.endsOf(flaky.ID)
		require.Equal(t, []store.OutcomeKind{store.OutcomeRetry, store.OutcomeFail}, []store.OutcomeKind{fe[0].Outcome, fe[1].Outcome})
		pe := log.endsOf(panics.ID)[0]
		require.Equal(t, store.OutcomeFail, pe.Outcome)
		require.True(t, pe.Panicked)
	})
}

// TestRunDueTracer: attempts run by RunDue start and end through the
// tracer as those of a serving pool do.
func TestRunDueTracer(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		log := newAttemptLog()
		mux := taskqueue.NewMux()
		require.NoError(t, mux.Handle("ok", taskqueue.DispatcherFunc(func(ctx context.Context, task *store.Task) (json.RawMessage, error) {
			if ctx.Value(traceKey{}) != task.ID {
				return nil, taskqueue.Permanent(errors.New("not the tracer's context"))
			}
			return json.RawMessage(`1`), nil
		})))
		p, err := taskqueue.NewPool(taskqueue.PoolConfig{Queue: e.be, Dispatcher: mux, Tracer: log})
		require.NoError(t, err)
		task := create(t, e.be, store.NewTask{Type: "ok"})
		n, err := p.RunDue(context.Background())
		require.NoError(t, err)
		require.Equal(t, 1, n)
		ends := log.endsOf(task.ID)
		require.Len(t, ends, 1)
		require.Equal(t, store.OutcomeComplete, ends[0].Outcome)
	})
}
