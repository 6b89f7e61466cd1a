package seedcore_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/seedcoretest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// TestAppsWithDifferentHandlersShareADatabase runs two Apps on one
// PostgreSQL schema, as two processes of different services would: one
// handles only "resize", the other only "sleep". Each must run only its
// own type, and neither may fail the other's tasks with "no handler for
// task type", whichever claims first; a type no App handles stays queued.
func TestAppsWithDifferentHandlersShareADatabase(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := context.Background()
	newApp := func(name, taskType string) *seedcore.App {
		mux := taskqueue.NewMux()
		require.NoError(t, mux.Handle(taskType, taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
			return json.Marshal(map[string]string{"app": name})
		})))
		app, err := seedcore.New(ctx, seedcore.Config{DB: db.DB, Schema: db.Schema, Dispatcher: mux, PollInterval: 20 * time.Millisecond})
		require.NoError(t, err)
		t.Cleanup(func() { _ = app.Shutdown(context.Background()) })
		return app
	}
	resize := newApp("resize-app", "resize")
	sleep := newApp("sleep-app", "sleep")
	// Tasks of both types wait before either App serves, so whichever
	// claims first meets the other's tasks.
	var ids []string
	for i := range 20 {
		typ := []string{"resize", "sleep"}[i%2]
		task, _, err := resize.Enqueue(ctx, store.NewTask{Type: typ})
		require.NoError(t, err)
		ids = append(ids, task.ID)
	}
	orphan, _, err := sleep.Enqueue(ctx, store.NewTask{Type: "nobody-handles-this", Priority: 100})
	require.NoError(t, err)
	seedcoretest.Start(t, resize)
	seedcoretest.Start(t, sleep)
	for _, id := range ids {
		got := seedcoretest.WaitFor(t, resize, id, store.StatusCompleted)
		require.Equal(t, store.StatusCompleted, got.Status, "task %s (%s): %s", got.ID, got.Type, got.Error)
		require.JSONEq(t, `{"app":"`+got.Type+`-app"}`, string(got.Result))
	}
	got, err := resize.Store().Get(ctx, orphan.ID)
	require.NoError(t, err)
	require.Equal(t, store.StatusQueued, got.Status)
	require.Zero(t, got.Attempts)
}

// TestHandlerDefaultQueue: a task enqueued without a queue goes to the
// queue its handler declares (WithQueue); one that names a queue keeps
// it. An App serving both queues runs both, synchronously too (Drain).
func TestHandlerDefaultQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mux := taskqueue.NewMux()
	noop := taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) { return nil, nil })
	require.NoError(t, mux.Handle("resize", noop, taskqueue.WithQueue("images")))
	require.NoError(t, mux.Handle("mail", noop))
	app := seedcoretest.New(t, seedcore.Config{Dispatcher: mux,
		Queues: map[string]taskqueue.QueueConfig{"images": {Concurrency: 2}, store.DefaultQueue: {}}})
	resize, _, err := app.Enqueue(ctx, store.NewTask{Type: "resize"})
	require.NoError(t, err)
	require.Equal(t, "images", resize.Queue)
	mail, _, err := app.Enqueue(ctx, store.NewTask{Type: "mail"})
	require.NoError(t, err)
	require.Equal(t, store.DefaultQueue, mail.Queue)
	named, _, err := app.Enqueue(ctx, store.NewTask{Type: "resize", Queue: "default"})
	require.NoError(t, err)
	require.Equal(t, store.DefaultQueue, named.Queue)
	elsewhere, _, err := app.Enqueue(ctx, store.NewTask{Type: "resize", Queue: "elsewhere"})
	require.NoError(t, err)

	n, err := seedcoretest.Drain(ctx, app)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	for _, id := range []string{resize.ID, mail.ID, named.ID} {
		got, err := app.Store().Get(ctx, id)
		require.NoError(t, err)
		require.Equal(t, store.StatusCompleted, got.Status)
	}
	got, err := app.Store().Get(ctx, elsewhere.ID)
	require.NoError(t, err)
	require.Equal(t, store.StatusQueued, got.Status, "a queue no pool serves is not claimed")
}
