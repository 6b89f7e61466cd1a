package seedcoretest_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/seedcoretest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// dispatcher runs "ok" (completes with the task's params), "broken"
// (fails permanently) and "flaky" (fails its first attempt with a retry
// in a minute).
func dispatcher(t testing.TB) *taskqueue.Mux {
	mux := taskqueue.NewMux()
	require.NoError(t, mux.Handle("ok", taskqueue.DispatcherFunc(func(_ context.Context, task *store.Task) (json.RawMessage, error) {
		return task.Params, nil
	})))
	require.NoError(t, mux.Handle("broken", taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
		return nil, taskqueue.Permanent(errors.New("broken"))
	})))
	require.NoError(t, mux.Handle("flaky", taskqueue.DispatcherFunc(func(_ context.Context, task *store.Task) (json.RawMessage, error) {
		if task.Attempts == 1 {
			return nil, taskqueue.RetryAfter(time.Minute, errors.New("not yet"))
		}
		return json.RawMessage(`"done"`), nil
	})))
	return mux
}

// apps builds an App per store for the same subtest body.
var apps = []struct {
	name string
	new  func(t *testing.T, cfg seedcore.Config) *seedcore.App
}{
	{"mem", func(t *testing.T, cfg seedcore.Config) *seedcore.App { return seedcoretest.New(t, cfg) }},
	{"pg", func(t *testing.T, cfg seedcore.Config) *seedcore.App { return seedcoretest.NewPostgres(t, cfg) }},
}

func enqueue(t testing.TB, app *seedcore.App, nt store.NewTask) store.Task {
	t.Helper()
	task, created, err := app.Enqueue(context.Background(), nt)
	require.NoError(t, err)
	require.True(t, created)
	return task
}

// TestWaitFor: a served App runs the task and WaitFor returns it in the
// status asked for, with its result, on both stores.
func TestWaitFor(t *testing.T) {
	t.Parallel()
	for _, a := range apps {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			app := a.new(t, seedcore.Config{Dispatcher: dispatcher(t)})
			seedcoretest.Start(t, app)
			task := enqueue(t, app, store.NewTask{Type: "ok", Params: json.RawMessage(`{"n":1}`)})
			got := seedcoretest.WaitFor(t, app, task.ID, store.StatusCompleted)
			require.Equal(t, store.StatusCompleted, got.Status)
			require.JSONEq(t, `{"n":1}`, string(got.Result))
			// A prefix names the task too.
			require.Equal(t, task.ID, seedcoretest.WaitFor(t, app, task.ID[:13], store.StatusCompleted).ID)
		})
	}
}

// TestWaitForTimesOut: a task that never reaches the status fails the
// test after the timeout, with a message saying where it is stuck,
// instead of hanging.
func TestWaitForTimesOut(t *testing.T) {
	t.Parallel()
	app := seedcoretest.New(t, seedcore.Config{Dispatcher: dispatcher(t)})
	task := enqueue(t, app, store.NewTask{Type: "ok", Hold: true})
	rec := &recordingTB{TB: t}
	var got store.Task
	rec.run(func() {
		got = seedcoretest.WaitForTimeout(rec, app, task.ID, store.StatusCompleted, 50*time.Millisecond)
	})
	failed, _, msg := rec.result()
	require.True(t, failed, "WaitFor must fail the test")
	require.Contains(t, msg, "still created after 50ms")
	require.Contains(t, msg, "waited for completed")
	require.Empty(t, got.ID)
}

// TestWaitForOtherEnd: a task that ends in another terminal status fails
// the wait at once, naming the status and the error, long before the
// timeout.
func TestWaitForOtherEnd(t *testing.T) {
	t.Parallel()
	app := seedcoretest.New(t, seedcore.Config{Dispatcher: dispatcher(t)})
	seedcoretest.Start(t, app)
	task := enqueue(t, app, store.NewTask{Type: "broken"})
	rec := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		rec.run(func() { seedcoretest.WaitForTimeout(rec, app, task.ID, store.StatusCompleted, time.Hour) })
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("WaitFor kept waiting for a task that had failed")
	}
	failed, _, msg := rec.result()
	require.True(t, failed)
	require.Contains(t, msg, "ended failed")
	require.Contains(t, msg, "broken")
}

// TestWaitForBadInput: an unknown status or an unknown task fails the
// test at once.
func TestWaitForBadInput(t *testing.T) {
	t.Parallel()
	app := seedcoretest.New(t, seedcore.Config{})
	rec := &recordingTB{TB: t}
	rec.run(func() { seedcoretest.WaitFor(rec, app, store.NewID(), "done") })
	failed, _, msg := rec.result()
	require.True(t, failed)
	require.Contains(t, msg, `"done" is not a status`)

	rec = &recordingTB{TB: t}
	rec.run(func() { seedcoretest.WaitFor(rec, app, store.NewID(), store.StatusCompleted) })
	failed, _, msg = rec.result()
	require.True(t, failed)
	require.Contains(t, msg, "not found")
}

// TestRequireEnqueued: the tasks matching the filter, across pages; no
// match fails the test naming the filter.
func TestRequireEnqueued(t *testing.T) {
	t.Parallel()
	for _, a := range apps {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			app := a.new(t, seedcore.Config{})
			var want []string
			for range 3 {
				want = append(want, enqueue(t, app, store.NewTask{Type: "email.send", Domain: "billing"}).ID)
			}
			enqueue(t, app, store.NewTask{Type: "report"})

			got := seedcoretest.RequireEnqueued(t, app, store.Filter{Type: "email.send", Limit: 1})
			var ids []string
			for _, task := range got {
				ids = append(ids, task.ID)
				require.Equal(t, "email.send", task.Type)
			}
			require.ElementsMatch(t, want, ids, "every page is read")
			require.Len(t, seedcoretest.RequireEnqueued(t, app, store.Filter{}), 4)

			rec := &recordingTB{TB: t}
			rec.run(func() {
				seedcoretest.RequireEnqueued(rec, app, store.Filter{Type: "sms.send", Statuses: []store.Status{store.StatusQueued}})
			})
			failed, _, msg := rec.result()
			require.True(t, failed)
			require.Equal(t, `seedcoretest: no task matches status in [queued], type "sms.send"`, msg)
		})
	}
}

// TestDrain: Drain runs every due task in the test's goroutine, so the
// results are in the store when it returns; a second Drain finds nothing;
// a serving App refuses it.
func TestDrain(t *testing.T) {
	t.Parallel()
	for _, a := range apps {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			app := a.new(t, seedcore.Config{Dispatcher: dispatcher(t)})
			ok := enqueue(t, app, store.NewTask{Type: "ok", Params: json.RawMessage(`{"n":2}`)})
			broken := enqueue(t, app, store.NewTask{Type: "broken"})
			held := enqueue(t, app, store.NewTask{Type: "ok", Hold: true})

			n, err := seedcoretest.Drain(context.Background(), app)
			require.NoError(t, err)
			require.Equal(t, 2, n)
			for id, want := range map[string]store.Status{
				ok.ID: store.StatusCompleted, broken.ID: store.StatusFailed, held.ID: store.StatusCreated,
			} {
				got, err := app.Store().Get(context.Background(), id)
				require.NoError(t, err)
				require.Equal(t, want, got.Status)
			}
			n, err = seedcoretest.Drain(context.Background(), app)
			require.NoError(t, err)
			require.Zero(t, n)

			seedcoretest.Start(t, app)
			_, err = seedcoretest.Drain(context.Background(), app)
			require.ErrorIs(t, err, taskqueue.ErrPoolBusy)
		})
	}
}

// TestClock: with a Clock as Config.Now, scheduled tasks and retries
// become due when the test advances it, and Drain runs them then.
func TestClock(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := seedcoretest.NewClock(start)
	app := seedcoretest.New(t, seedcore.Config{Dispatcher: dispatcher(t), Now: clock.Now})
	flaky := enqueue(t, app, store.NewTask{Type: "flaky"})
	require.Equal(t, start, flaky.CreatedAt, "stamped by the clock")
	later := enqueue(t, app, store.NewTask{Type: "ok", RunAfter: start.Add(time.Hour)})

	status := func(id string) store.Task {
		got, err := app.Store().Get(context.Background(), id)
		require.NoError(t, err)
		return got
	}
	drain := func() int {
		n, err := seedcoretest.Drain(context.Background(), app)
		require.NoError(t, err)
		return n
	}
	require.Equal(t, 1, drain(), "only the flaky task is due")
	require.Equal(t, store.StatusRetry, status(flaky.ID).Status)
	require.Equal(t, start.Add(time.Minute), status(flaky.ID).RunAfter, "retry in a minute of the clock")

	clock.Advance(59 * time.Second)
	require.Zero(t, drain(), "the retry is not due yet")
	clock.Advance(time.Second)
	require.Equal(t, 1, drain())
	require.Equal(t, store.StatusCompleted, status(flaky.ID).Status)
	require.Equal(t, store.StatusQueued, status(later.ID).Status)

	clock.Advance(time.Hour)
	require.Equal(t, 1, drain())
	require.Equal(t, store.StatusCompleted, status(later.ID).Status)
	require.Equal(t, start.Add(time.Hour+time.Minute), *status(later.ID).FinishedAt)
}

// TestNewPostgresSkips: without TEST_DATABASE_URL a PostgreSQL App skips
// the test with a message naming the variable, and fails it under CI.
// (Not parallel: it sets environment variables.)
func TestNewPostgresSkips(t *testing.T) {
	require.Equal(t, pgtest.EnvVar, seedcoretest.EnvVar, "the variable the project's own tests read")
	t.Setenv(seedcoretest.EnvVar, "")
	t.Setenv("CI", "")
	rec := &recordingTB{TB: t}
	rec.run(func() { seedcoretest.NewPostgres(rec, seedcore.Config{}) })
	_, skipped, msg := rec.result()
	require.True(t, skipped)
	require.Contains(t, msg, "TEST_DATABASE_URL")

	t.Setenv("CI", "true")
	rec = &recordingTB{TB: t}
	rec.run(func() { seedcoretest.NewPostgres(rec, seedcore.Config{}) })
	failed, _, msg := rec.result()
	require.True(t, failed)
	require.Contains(t, msg, "TEST_DATABASE_URL")
}

// TestNewPostgresOwnSchema: each PostgreSQL App has a schema of its own,
// and a Config that picks a database itself is refused.
func TestNewPostgresOwnSchema(t *testing.T) {
	t.Parallel()
	a := seedcoretest.NewPostgres(t, seedcore.Config{})
	b := seedcoretest.NewPostgres(t, seedcore.Config{})
	require.NotNil(t, a.UnredactedPostgreSQL())
	require.NotEqual(t, a.UnredactedPostgreSQL().Schema(), b.UnredactedPostgreSQL().Schema())
	enqueue(t, a, store.NewTask{Type: "ok"})
	page, err := b.Store().List(context.Background(), store.Filter{})
	require.NoError(t, err)
	require.Zero(t, page.Total, "b sees nothing of a")

	rec := &recordingTB{TB: t}
	rec.run(func() { seedcoretest.NewPostgres(rec, seedcore.Config{DatabaseURL: "postgres://elsewhere"}) })
	failed, _, msg := rec.result()
	require.True(t, failed)
	require.True(t, strings.Contains(msg, "must not set DB, DatabaseURL or Schema"), msg)
}
