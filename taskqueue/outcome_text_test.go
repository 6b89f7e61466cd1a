package taskqueue_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// TestOutcomeTextEveryStoreKeeps: a dispatcher's result or error text
// that PostgreSQL refuses (\u0000 in the result's JSON, NUL or invalid
// UTF-8 in the error) ends its task as every store can record it, while
// good tasks finishing in the same outcome statements complete. On
// PostgreSQL such an outcome used to fail the shared statement, for every
// task in it, on every retry.
func TestOutcomeTextEveryStoreKeeps(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		dispatch := taskqueue.DispatcherFunc(func(_ context.Context, task *store.Task) (json.RawMessage, error) {
			switch task.Type {
			case "nul-result":
				return json.RawMessage(`{"a":"\u0000"}`), nil
			case "surrogate-result":
				return json.RawMessage(`{"a":"\ud800"}`), nil
			case "nul-error":
				return nil, taskqueue.Permanent(errors.New("bad \x00 and \xff bytes"))
			}
			return json.RawMessage(`{"ok":true}`), nil
		})
		startPool(t, taskqueue.PoolConfig{Queue: e.be, Notifier: e.notifier, Dispatcher: taskqueue.AnyType(dispatch), PollInterval: 20 * time.Millisecond})
		var good []store.Task
		for range 20 {
			good = append(good, create(t, e.be, store.NewTask{Type: "good"}))
		}
		nulResult := create(t, e.be, store.NewTask{Type: "nul-result"})
		surrogate := create(t, e.be, store.NewTask{Type: "surrogate-result"})
		nulError := create(t, e.be, store.NewTask{Type: "nul-error"})
		for _, g := range good {
			waitStatus(t, e.be, g.ID, store.StatusCompleted, 10*time.Second)
		}
		for _, bad := range []store.Task{nulResult, surrogate} {
			got := waitStatus(t, e.be, bad.ID, store.StatusFailed, 10*time.Second)
			require.Contains(t, got.Error, "not valid JSON")
		}
		got := waitStatus(t, e.be, nulError.ID, store.StatusFailed, 10*time.Second)
		require.Contains(t, got.Error, "bad \uFFFD and \uFFFD bytes")
	})
}
