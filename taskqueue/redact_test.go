package taskqueue_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/syncbuf"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// maskRedactor replaces every "SECRET" by "XXXXXX".
type maskRedactor struct{}

func (maskRedactor) RedactResult(r json.RawMessage) json.RawMessage {
	return json.RawMessage(strings.ReplaceAll(string(r), "SECRET", "XXXXXX"))
}

func (maskRedactor) RedactText(s string) string { return strings.ReplaceAll(s, "SECRET", "XXXXXX") }

// errObserver remembers the error texts it is shown.
type errObserver struct {
	mu   sync.Mutex
	seen []string
}

func (o *errObserver) Claimed(*store.Task) {}

func (o *errObserver) Finished(t *store.Task, _ store.OutcomeKind, _ time.Duration, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen = append(o.seen, t.Error)
	if err != nil {
		o.seen = append(o.seen, err.Error())
	}
}

// TestPoolRedactor checks that a result, an error and a panic value pass
// the Redactor before the backend, the log or the observer sees them.
func TestPoolRedactor(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		var logs syncbuf.Buffer
		obs := &errObserver{}
		d := taskqueue.DispatcherFunc(func(_ context.Context, task *store.Task) (json.RawMessage, error) {
			switch task.Type {
			case "result":
				return json.RawMessage(`{"token":"SECRET-1","list":["SECRET-2"]}`), nil
			case "error":
				return nil, taskqueue.Permanent(errors.New("upstream refused SECRET-3"))
			default:
				panic("bad value SECRET-4")
			}
		})
		startPool(t, taskqueue.PoolConfig{
			Queue: e.be, Notifier: e.notifier, Dispatcher: taskqueue.AnyType(d), Observer: obs, Redactor: maskRedactor{},
			PollInterval: 10 * time.Millisecond, RetryPolicy: fastRetry,
			Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		})
		res := create(t, e.be, store.NewTask{Type: "result"})
		failed := create(t, e.be, store.NewTask{Type: "error"})
		panicked := create(t, e.be, store.NewTask{Type: "panic", MaxAttempts: 1})

		got := waitStatus(t, e.be, res.ID, store.StatusCompleted, 10*time.Second)
		require.JSONEq(t, `{"token":"XXXXXX-1","list":["XXXXXX-2"]}`, string(got.Result))
		got = waitStatus(t, e.be, failed.ID, store.StatusFailed, 10*time.Second)
		require.Equal(t, "permanent: upstream refused XXXXXX-3", strings.TrimPrefix(got.Error, "taskqueue: "))
		got = waitStatus(t, e.be, panicked.ID, store.StatusFailed, 10*time.Second)
		require.Contains(t, got.Error, "bad value XXXXXX-4")
		require.NotContains(t, got.Error, "SECRET")

		require.Contains(t, logs.String(), "dispatcher panicked")
		require.NotContains(t, logs.String(), "SECRET")
		obs.mu.Lock()
		defer obs.mu.Unlock()
		require.NotContains(t, strings.Join(obs.seen, "\n"), "SECRET")
	})
}
