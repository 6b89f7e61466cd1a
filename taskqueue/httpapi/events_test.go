package httpapi_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seedcore/seedcore/internal/syncbuf"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

// TestEventStream follows a task from queued to completed through the
// store's notifications, then through polling without a notifier.
func TestEventStream(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		notifier bool
	}{{"notifier", true}, {"polling", false}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(c *httpapi.Config) {
				if !tt.notifier {
					c.Notifier = nil
					c.PollInterval = httpapi.MinPollInterval
				}
			})
			task := b.create(t, `{"type":"x","params":{"n":1}}`)
			_, events := b.openStream(t, context.Background(), task.ID[:8])

			got, ev := nextStatus(t, events)
			require.Equal(t, task.ID, got.ID)
			require.Equal(t, store.StatusQueued, got.Status)
			require.Equal(t, "1", ev.id)

			claimed := b.claim(t)
			got, ev = nextStatus(t, events)
			require.Equal(t, store.StatusRunning, got.Status)
			require.Equal(t, "w", got.LockedBy)
			require.Equal(t, "2", ev.id)

			b.finish(t, claimed, store.OutcomeComplete)
			got, ev = nextStatus(t, events)
			require.Equal(t, store.StatusCompleted, got.Status)
			require.JSONEq(t, `{"ok":true}`, string(got.Result))
			require.Equal(t, "3", ev.id)
			requireEnd(t, events)
		})
	}
}

// TestEventStreamRetryAndCancel checks that each status change is one
// event, and that a cancel request on a running task ends the stream once
// the task is cancelled.
func TestEventStreamRetryAndCancel(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	task := b.create(t, `{"type":"x"}`)
	_, events := b.openStream(t, context.Background(), task.ID)
	statuses := []store.Status{}
	got, _ := nextStatus(t, events)
	statuses = append(statuses, got.Status)

	claimed := b.claim(t)
	got, _ = nextStatus(t, events)
	statuses = append(statuses, got.Status)
	b.finish(t, claimed, store.OutcomeRetry)
	got, _ = nextStatus(t, events)
	statuses = append(statuses, got.Status)
	claimed = b.claim(t)
	got, _ = nextStatus(t, events)
	statuses = append(statuses, got.Status)

	// Asking a running task to cancel changes no status: no event.
	decodeTask(t, b.do(t, http.MethodPost, "/api/v1/tasks/"+task.ID+"/cancel", ""), http.StatusOK)
	b.finish(t, claimed, store.OutcomeComplete) // ends cancelled: cancel was requested
	got, _ = nextStatus(t, events)
	statuses = append(statuses, got.Status)
	require.True(t, got.CancelRequested)
	requireEnd(t, events)
	require.Equal(t, []store.Status{store.StatusQueued, store.StatusRunning, store.StatusRetry, store.StatusRunning, store.StatusCancelled}, statuses)
}

func TestEventStreamTerminalTask(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	task := b.create(t, `{"type":"x"}`)
	decodeTask(t, b.do(t, http.MethodPost, "/api/v1/tasks/"+task.ID+"/cancel", ""), http.StatusOK)
	_, events := b.openStream(t, context.Background(), task.ID)
	got, _ := nextStatus(t, events)
	require.Equal(t, store.StatusCancelled, got.Status)
	requireEnd(t, events)
}

func TestEventStreamKeepAlive(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	httpapi.SetKeepAlive(b.api, 20*time.Millisecond)
	task := b.create(t, `{"type":"x"}`)
	_, events := b.openStream(t, context.Background(), task.ID)
	nextStatus(t, events)
	ev := nextEvent(t, events)
	require.Equal(t, "keep-alive", ev.comment)
	require.Empty(t, ev.event)
	// Status events still come after keep-alives.
	b.claim(t)
	got, _ := nextStatus(t, events)
	require.Equal(t, store.StatusRunning, got.Status)
}

// TestEventStreamDeleted ends the stream with an error event when the
// watched task disappears (retention).
func TestEventStreamDeleted(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *httpapi.Config) { c.Notifier = nil; c.PollInterval = httpapi.MinPollInterval })
	task := b.create(t, `{"type":"x"}`)
	_, events := b.openStream(t, context.Background(), task.ID)
	nextStatus(t, events)
	claimed := b.claim(t)
	b.finish(t, claimed, store.OutcomeComplete)
	// Delete at once, likely before the next poll sees running or completed.
	_, err := b.store.DeleteFinished(context.Background(), -time.Hour, 10)
	require.NoError(t, err)
	for {
		ev := nextEvent(t, events)
		if ev.event == "error" {
			require.JSONEq(t, `{"error":{"code":"not_found","message":"the task was deleted"}}`, ev.data)
			break
		}
		require.Equal(t, "status", ev.event, "only status events come before the error")
	}
	requireEnd(t, events)
}

// TestEventStreamClientGone disconnects mid-stream and checks that the
// handler returns and leaves no goroutine behind.
func TestEventStreamClientGone(t *testing.T) {
	// Not parallel: goleak looks at every goroutine of the process.
	ignore := goleak.IgnoreCurrent()
	for _, notifier := range []bool{true, false} {
		t.Run("notifier="+strconv.FormatBool(notifier), func(t *testing.T) {
			b := setup(t, func(c *httpapi.Config) {
				if !notifier {
					c.Notifier = nil
				}
			})
			task := b.create(t, `{"type":"x"}`)
			returned := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer close(returned)
				b.h.ServeHTTP(w, r)
			}))
			ctx, cancel := context.WithCancel(context.Background())
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/tasks/"+task.ID+"/events", nil)
			require.NoError(t, err)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			events := readEvents(bufioReader(resp))
			got, _ := nextStatus(t, events)
			require.Equal(t, store.StatusQueued, got.Status)

			cancel()
			select {
			case <-returned:
			case <-time.After(waitTimeout):
				require.FailNow(t, "the stream handler did not return after the client left")
			}
			_ = resp.Body.Close()
			srv.Close()
			goleak.VerifyNone(t, ignore)
		})
	}
}

// chanNotifier is a Notifier whose events the test sends by hand.
type chanNotifier struct{ ch chan store.Event }

func (n chanNotifier) Subscribe() (<-chan store.Event, func()) { return n.ch, func() {} }

// flakyStore fails the next fail calls to Get.
type flakyStore struct {
	store.Store
	fail atomic.Int32
}

func (s *flakyStore) Get(ctx context.Context, id string) (store.Task, error) {
	if s.fail.Add(-1) >= 0 {
		return store.Task{}, errors.New("flaky: connection reset")
	}
	return s.Store.Get(ctx, id)
}

// TestEventStreamNotifications checks which notifications make the stream
// re-read its task, and that a failed read is retried after PollInterval
// without waiting for another notification.
func TestEventStreamNotifications(t *testing.T) {
	t.Parallel()
	n := chanNotifier{ch: make(chan store.Event, 8)}
	var flaky *flakyStore
	var logs syncbuf.Buffer
	b := setup(t, func(c *httpapi.Config) {
		flaky = &flakyStore{Store: c.Store}
		c.Store = flaky
		c.Notifier = n
		c.PollInterval = httpapi.MinPollInterval
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	task := b.create(t, `{"type":"x"}`)
	_, events := b.openStream(t, context.Background(), task.ID)
	got, _ := nextStatus(t, events)
	require.Equal(t, store.StatusQueued, got.Status)

	// The store changes, but only a resync tells the stream to look.
	claimed := b.claim(t)
	n.ch <- store.Event{Kind: store.EventChanged, TaskID: store.NewID()}
	n.ch <- store.Event{Kind: store.EventReady}
	n.ch <- store.Event{Kind: store.EventResync}
	got, _ = nextStatus(t, events)
	require.Equal(t, store.StatusRunning, got.Status)

	// A change without a task id concerns every stream; the first read
	// fails and is retried.
	b.finish(t, claimed, store.OutcomeComplete)
	flaky.fail.Store(1)
	n.ch <- store.Event{Kind: store.EventChanged}
	got, _ = nextStatus(t, events)
	require.Equal(t, store.StatusCompleted, got.Status)
	requireEnd(t, events)
	require.Contains(t, logs.String(), "flaky: connection reset")
}
