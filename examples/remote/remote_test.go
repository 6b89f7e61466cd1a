// Package remote_test runs the remote executor example and the worker that
// dispatches to it, as two processes.
package remote_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/proctest"
	"github.com/seedcore/seedcore/store"
)

func TestRemoteWorkerAndExecutor(t *testing.T) {
	t.Parallel()
	exec := proctest.Start(t, proctest.Build(t, "./executor"), []string{"-addr", "127.0.0.1:0"})
	worker := proctest.Start(t, proctest.Build(t, "./worker"),
		[]string{"-addr", "127.0.0.1:0", "-executor", "http://" + exec.Addr + "/execute"})
	base := "http://" + worker.Addr

	create := func(body string) string {
		resp, err := http.Post(base+"/api/v1/tasks", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		require.Equal(t, http.StatusCreated, resp.StatusCode, string(b))
		var task store.Task
		require.NoError(t, json.Unmarshal(b, &task))
		return task.ID
	}
	wait := func(id string) store.Task {
		b := proctest.WaitJSON(t, base+"/api/v1/tasks/"+id, 20*time.Second, func(b []byte) bool {
			var task store.Task
			return json.Unmarshal(b, &task) == nil && task.Status.Terminal()
		})
		var task store.Task
		require.NoError(t, json.Unmarshal(b, &task))
		return task
	}

	upper := wait(create(`{"type":"upper","description":"shout this"}`))
	require.Equal(t, store.StatusCompleted, upper.Status)
	require.JSONEq(t, `{"upper":"SHOUT THIS"}`, string(upper.Result))

	flaky := wait(create(`{"type":"flaky","description":"second time lucky"}`))
	require.Equal(t, store.StatusCompleted, flaky.Status, flaky.Error)
	require.Equal(t, 2, flaky.Attempts, "a 503 is retried")

	// The worker declares the executor's types: it never claims another,
	// so the task waits for a worker that runs it instead of failing.
	unknown := create(`{"type":"unknown","description":"nobody does this"}`)
	wait(create(`{"type":"upper","description":"after it"}`))
	b := proctest.WaitJSON(t, base+"/api/v1/tasks/"+unknown, 20*time.Second, func([]byte) bool { return true })
	var waiting store.Task
	require.NoError(t, json.Unmarshal(b, &waiting))
	require.Equal(t, store.StatusQueued, waiting.Status)
	require.Zero(t, waiting.Attempts)

	require.NoError(t, worker.Stop(t, 30*time.Second))
	require.NoError(t, exec.Stop(t, 30*time.Second))
}
