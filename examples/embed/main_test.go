package main_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/proctest"
	"github.com/seedcore/seedcore/store"
)

func TestEmbed(t *testing.T) {
	t.Parallel()
	p := proctest.Start(t, proctest.Build(t, "."), []string{"-addr", "127.0.0.1:0"})
	base := "http://" + p.Addr

	resp, err := http.Get(base + "/")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, "my application\n", string(b), "the host's own route")

	resp, err = http.Post(base+"/greet/ada", "application/json", nil)
	require.NoError(t, err)
	var created map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&created))
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)

	body := proctest.WaitJSON(t, base+"/tasks/api/v1/tasks/"+created["task"], 15*time.Second, func(b []byte) bool {
		var task store.Task
		return json.Unmarshal(b, &task) == nil && task.Status == store.StatusCompleted
	})
	var task store.Task
	require.NoError(t, json.Unmarshal(body, &task))
	require.JSONEq(t, `"hello, ada"`, string(task.Result))

	// Every route the App serves answers under /tasks; the host keeps its
	// own /health.
	for _, path := range []string{"/tasks/health", "/tasks/readyz", "/tasks/api/v1/tasks", "/tasks/ui/", "/tasks/ui/tasks/" + task.ID} {
		resp, err = http.Get(base + path)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
	}
	resp, err = http.Get(base + "/health")
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, "application ok\n", string(b), "the host's own /health")
	require.NoError(t, p.Stop(t, 30*time.Second))
}
