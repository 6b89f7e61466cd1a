package taskqueue_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// TestStopClaiming: after StopClaiming the pool claims nothing more while
// its context is still live (a process whose HTTP server is still
// draining), lets the in-flight task finish, reports not ready, and Serve
// returns only when its context ends.
func TestStopClaiming(t *testing.T) {
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
		p, err := taskqueue.NewPool(taskqueue.PoolConfig{
			Queue: cq, Notifier: e.notifier, Dispatcher: mux, Concurrency: 2,
			DrainTimeout: 10 * time.Second, PollInterval: 10 * time.Millisecond,
		})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- p.Serve(ctx) }()

		first := create(t, e.be, store.NewTask{Type: "slow"})
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("task did not start")
		}
		eventually(t, 5*time.Second, p.Ready, "pool not ready")

		p.StopClaiming()
		p.StopClaiming() // idempotent
		require.False(t, p.Ready(), "a pool that stopped claiming is not ready")
		eventually(t, 5*time.Second, cq.stoppedClaiming, "pool kept claiming")
		late := create(t, e.be, store.NewTask{Type: "slow"})
		due := create(t, e.be, store.NewTask{Type: "slow", RunAfter: time.Now().Add(50 * time.Millisecond)})
		close(release)
		waitStatus(t, e.be, first.ID, store.StatusCompleted, 10*time.Second)

		// Many poll intervals later, with the context still live, nothing
		// more was claimed and Serve has not returned.
		time.Sleep(300 * time.Millisecond)
		for _, id := range []string{late.ID, due.ID} {
			got, err := e.be.Get(context.Background(), id)
			require.NoError(t, err)
			require.Equal(t, store.StatusQueued, got.Status, "claimed after StopClaiming")
			require.Equal(t, 0, got.Attempts)
		}
		select {
		case err := <-done:
			t.Fatalf("Serve returned before its context ended: %v", err)
		default:
		}
		cancel()
		select {
		case err := <-done:
			require.ErrorIs(t, err, context.Canceled)
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return after its context ended")
		}
	})
}
