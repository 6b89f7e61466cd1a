package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/pgstore"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

// TestEventStreamLimit checks that streams beyond Config.MaxStreams are
// answered 503 too_many_streams with a Retry-After, and that a closed
// stream frees its place.
func TestEventStreamLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *httpapi.Config) { c.MaxStreams = 2 })
	task := b.create(t, `{"type":"x","run_immediately":false}`)
	ctx, closeFirst := context.WithCancel(context.Background())
	first, _ := b.openStream(t, ctx, task.ID)
	b.openStream(t, context.Background(), task.ID)

	w := b.do(t, http.MethodGet, "/api/v1/tasks/"+task.ID+"/events", "")
	requireError(t, w, http.StatusServiceUnavailable, httpapi.CodeTooManyStreams)
	require.NotEmpty(t, w.Header().Get("Retry-After"))

	closeFirst()
	_ = first.Body.Close()
	require.Eventually(t, func() bool {
		srv := httptest.NewServer(b.h)
		defer srv.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/tasks/"+task.ID+"/events", nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, waitTimeout, 10*time.Millisecond, "a closed stream frees its place")
}

// countingStore counts the reads of single tasks.
type countingStore struct {
	store.Store
	gets atomic.Int64
}

func (s *countingStore) Get(ctx context.Context, id string) (store.Task, error) {
	s.gets.Add(1)
	return s.Store.Get(ctx, id)
}

// TestEventStreamsWakeOnlyTheirTask opens streams on many tasks of a
// PostgreSQL store and runs one task through claim and completion: only
// that task's stream reads the store again, because the notifications
// name the tasks they concern and the listener delivers each to the
// streams of that task.
func TestEventStreamsWakeOnlyTheirTask(t *testing.T) {
	t.Parallel()
	const streams = 30
	ctx := t.Context()
	env := pgtest.New(t)
	pg, err := pgstore.New(env.DB, pgstore.Options{Schema: env.Schema})
	require.NoError(t, err)
	require.NoError(t, pg.Migrate(ctx))
	l := pgstore.NewListener(env.DSN, pgstore.ListenerOptions{Schema: env.Schema})
	lctx, stopListener := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- l.Serve(lctx) }()
	t.Cleanup(func() { stopListener(); <-served })
	listening, unsubscribe := l.Subscribe()
	defer unsubscribe()
	select {
	case ev := <-listening:
		require.Equal(t, store.EventResync, ev.Kind, "the listener is in place")
	case <-time.After(waitTimeout):
		t.Fatal("the listener did not start")
	}

	counting := &countingStore{Store: pg}
	api, err := httpapi.New(httpapi.Config{Store: counting, Enqueuer: httpapi.EnqueuerFunc(pg.Create), Notifier: l})
	require.NoError(t, err)
	b := &testBundle{api: api, h: api.Handler()}
	var tasks []store.Task
	var events []<-chan sseEvent
	for range streams {
		task, _, err := pg.Create(ctx, store.NewTask{Type: "x", Hold: true})
		require.NoError(t, err)
		_, ev := b.openStream(t, context.Background(), task.ID)
		got, _ := nextStatus(t, ev)
		require.Equal(t, store.StatusCreated, got.Status)
		tasks, events = append(tasks, task), append(events, ev)
	}
	before := counting.gets.Load()

	watched := tasks[0]
	_, err = pg.Run(ctx, watched.ID)
	require.NoError(t, err)
	got, _ := nextStatus(t, events[0])
	require.Equal(t, store.StatusQueued, got.Status)
	claimed, err := pg.Claim(ctx, "w", 1, time.Minute)
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	got, _ = nextStatus(t, events[0])
	require.Equal(t, store.StatusRunning, got.Status)
	errs, err := pg.Finish(ctx, []store.Outcome{{TaskID: watched.ID, Worker: "w", Attempt: 1, Kind: store.OutcomeComplete}})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	got, _ = nextStatus(t, events[0])
	require.Equal(t, store.StatusCompleted, got.Status)
	requireEnd(t, events[0])

	// A last change, of another task, after which every notification
	// above has reached every stream.
	_, err = pg.Cancel(ctx, tasks[1].ID)
	require.NoError(t, err)
	got, _ = nextStatus(t, events[1])
	require.Equal(t, store.StatusCancelled, got.Status)
	reads := counting.gets.Load() - before
	require.LessOrEqual(t, reads, int64(4), "three changes of one task and one of another: %d reads by %d streams", reads, streams)
}
