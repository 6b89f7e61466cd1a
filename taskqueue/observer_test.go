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

// slowFinish is a backend whose outcome writes take a while, so an
// observer told before the write would run ahead of the backend.
type slowFinish struct {
	taskqueue.Backend
	delay time.Duration
}

func (s slowFinish) Finish(ctx context.Context, outcomes []store.Outcome) ([]error, error) {
	time.Sleep(s.delay)
	return s.Backend.Finish(ctx, outcomes)
}

// completionCounter counts completions and, at each, reads how many tasks
// the backend holds completed: the count must never lead it.
type completionCounter struct {
	t     *testing.T
	store store.Store

	mu       sync.Mutex
	counted  int
	ahead    int // completions counted before the backend held them
	lostSeen int
}

func (o *completionCounter) Claimed(*store.Task) {}

func (o *completionCounter) Finished(_ *store.Task, kind store.OutcomeKind, _ time.Duration, err error) {
	if err != nil {
		o.mu.Lock()
		o.lostSeen++
		o.mu.Unlock()
		return
	}
	if kind != store.OutcomeComplete {
		return
	}
	counts, cerr := o.store.Counts(context.Background())
	o.mu.Lock()
	defer o.mu.Unlock()
	o.counted++
	if cerr == nil && counts[store.StatusCompleted] < o.counted {
		o.ahead++
	}
}

func TestObserverFinishedAfterWrite(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		const n = 60
		obs := &completionCounter{t: t, store: e.be}
		mux := taskqueue.NewMux()
		require.NoError(t, mux.Handle("obs", taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
			return nil, nil
		})))
		startPool(t, taskqueue.PoolConfig{
			Queue: slowFinish{Backend: e.be, delay: 20 * time.Millisecond}, Notifier: e.notifier,
			Dispatcher: mux, Concurrency: 8, Observer: obs, PollInterval: 20 * time.Millisecond,
		})
		for range n {
			create(t, e.be, store.NewTask{Type: "obs"})
		}
		eventually(t, 30*time.Second, func() bool {
			obs.mu.Lock()
			defer obs.mu.Unlock()
			return obs.counted == n
		}, "the observer to count %d completions", n)
		obs.mu.Lock()
		defer obs.mu.Unlock()
		require.Zero(t, obs.ahead, "completions counted before the backend held them")
		require.Zero(t, obs.lostSeen)
	})
}
