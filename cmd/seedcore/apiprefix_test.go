package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// TestAPIPrefix: -api-prefix points the task commands at an App that
// serves its task API somewhere else than /api/v1, and run releases a
// held task through it.
func TestAPIPrefix(t *testing.T) {
	t.Parallel()
	app, err := seedcore.New(context.Background(), seedcore.Config{
		BasePath:  "/svc",
		APIPrefix: "/tasks/v2",
		Dispatcher: taskqueue.AnyType(taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
			return nil, errors.New("not run in this test")
		})),
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, app.Shutdown(context.Background())) })
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)

	api := []string{"-api", srv.URL, "-token", "", "-api-prefix", "/svc/tasks/v2"}
	cmd := func(name string, args ...string) []string {
		return append(append([]string{name}, api...), args...)
	}
	held := runCmd(t, cmd("enqueue", "-type", "report", "-hold")...).requireCode(t, exitOK).task(t)
	require.Equal(t, store.StatusCreated, held.Status)

	// The default prefix is not where this server serves the API: that is
	// a failure, not a missing task.
	for _, args := range [][]string{
		{"get", held.ID}, {"run", held.ID}, {"list"}, {"enqueue", "-type", "report"},
	} {
		r := runCmd(t, append(args, "-api", srv.URL, "-token", "")...).requireCode(t, exitFailure)
		require.Contains(t, r.stderr, "no seedcore task API at "+srv.URL+"/api/v1", args[0])
	}

	ran := runCmd(t, cmd("run", held.ID[:len(held.ID)-3])...).requireCode(t, exitOK).task(t)
	require.Equal(t, held.ID, ran.ID)
	require.Equal(t, store.StatusQueued, ran.Status)
	stored, err := app.Store().Get(context.Background(), held.ID)
	require.NoError(t, err)
	require.Equal(t, store.StatusQueued, stored.Status, "the server's store has the task queued")

	// Slashes around the prefix do not matter.
	got := runCmd(t, "get", "-api", srv.URL+"/", "-token", "", "-api-prefix", "svc/tasks/v2/", held.ID).requireCode(t, exitOK).task(t)
	require.Equal(t, store.StatusQueued, got.Status)
	runCmd(t, cmd("run", held.ID)...).requireCode(t, exitConflict)
}
