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

// env is one test's backend, its notifier and its name.
type env struct {
	name     string
	be       taskqueue.Backend
	notifier store.Notifier
	// cut severs the backend's notification connection, where it has one.
	cut func(t *testing.T)
}

// eventually polls cond every few milliseconds until it holds or the
// timeout passes, then fails the test with msg.
func eventually(t testing.TB, timeout time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s: "+msg, append([]any{timeout}, args...)...)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitStatus waits for task id to reach status.
func waitStatus(t testing.TB, s store.Store, id string, want store.Status, timeout time.Duration) store.Task {
	t.Helper()
	var last store.Task
	eventually(t, timeout, func() bool {
		task, err := s.Get(context.Background(), id)
		require.NoError(t, err)
		last = task
		return task.Status == want
	}, "task %s: want status %s", id, want)
	return last
}

// startPool runs a pool until the test ends (or stop is called) and returns
// a stop function that waits for Serve to return.
func startPool(t testing.TB, cfg taskqueue.PoolConfig) (*taskqueue.Pool, func()) {
	t.Helper()
	p, err := taskqueue.NewPool(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				require.ErrorIs(t, err, context.Canceled)
			case <-time.After(30 * time.Second):
				t.Errorf("pool did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return p, stop
}

// startService runs a suture-style service until the test ends.
func startService(t testing.TB, serve func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = serve(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func create(t testing.TB, s store.Store, nt store.NewTask) store.Task {
	t.Helper()
	task, created, err := s.Create(context.Background(), nt)
	require.NoError(t, err)
	require.True(t, created)
	return task
}

// fastRetry retries almost at once so tests need not wait.
var fastRetry = taskqueue.RetryPolicyFunc(func(int) time.Duration { return time.Millisecond })

// recorder counts attempts per task and remembers each (task, attempt).
type recorder struct {
	mu       sync.Mutex
	attempts map[string][]int
}

func newRecorder() *recorder { return &recorder{attempts: map[string][]int{}} }

func (r *recorder) record(t *store.Task) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts[t.ID] = append(r.attempts[t.ID], t.Attempts)
}

func (r *recorder) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.attempts[id])
}

func okResult(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

var errBoom = errors.New("boom")
