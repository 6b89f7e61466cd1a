package seedcore_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/seedcoretest"
	"github.com/seedcore/seedcore/store"
)

// TestPriorityRule: a zero priority takes the analysis's priority unless
// the caller asks to keep it (from Go with NewTask.KeepPriority, over HTTP
// with "keep_priority": true); a non-zero priority is always kept. Before
// KeepPriority a caller could not ask for priority 0: free text alone
// moved the task ahead.
func TestPriorityRule(t *testing.T) {
	t.Parallel()
	app := seedcoretest.New(t, seedcore.Config{})
	const alarming = "a guest collapsed in room 12, help!" // the analysis gives it 10
	ctx := context.Background()
	enqueue := func(nt store.NewTask) int {
		t.Helper()
		nt.Type, nt.Description = "note", alarming
		task, _, err := app.Enqueue(ctx, nt)
		require.NoError(t, err)
		return task.Priority
	}
	require.Equal(t, 10, enqueue(store.NewTask{}), "a zero priority takes the analysis's")
	require.Equal(t, 0, enqueue(store.NewTask{KeepPriority: true}), "kept at 0")
	require.Equal(t, 3, enqueue(store.NewTask{Priority: 3}), "a priority given is kept")
	require.Equal(t, 3, enqueue(store.NewTask{Priority: 3, KeepPriority: true}))

	srv := httptest.NewServer(app.Handler())
	defer srv.Close()
	for body, want := range map[string]int{
		`{"type":"note","description":"` + alarming + `"}`:                                    10,
		`{"type":"note","description":"` + alarming + `","keep_priority":true}`:               0,
		`{"type":"note","description":"` + alarming + `","priority":0,"keep_priority":true}`:  0,
		`{"type":"note","description":"` + alarming + `","priority":4,"keep_priority":false}`: 4,
		`{"type":"note","description":"` + alarming + `","priority":0,"keep_priority":null}`:  10,
	} {
		resp, b := postJSON(t, srv.URL+"/api/v1/tasks", body)
		require.Equal(t, http.StatusCreated, resp.StatusCode, string(b))
		var task store.Task
		require.NoError(t, json.Unmarshal(b, &task))
		require.Equal(t, want, task.Priority, body)
	}
}
