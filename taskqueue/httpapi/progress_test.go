package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

// TestProgress: a running task's progress, once written by a heartbeat,
// is in GET and sent on the task's stream as a "progress" event; the
// status events go on as before.
func TestProgress(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	task := b.create(t, `{"type":"x"}`)
	_, events := b.openStream(t, context.Background(), task.ID)
	got, _ := nextStatus(t, events)
	require.Nil(t, got.Progress)
	require.NotContains(t, b.do(t, http.MethodGet, "/api/v1/tasks/"+task.ID, "").Body.String(), `"progress"`)

	claimed := b.claim(t)
	got, _ = nextStatus(t, events)
	require.Equal(t, store.StatusRunning, got.Status)

	_, err := b.store.HeartbeatProgress(context.Background(), "w", []string{task.ID},
		[]store.Progress{{TaskID: task.ID, Attempt: claimed.Attempts, Value: json.RawMessage(`{"done":2,"of":5}`)}}, time.Minute)
	require.NoError(t, err)
	shown := decodeTask(t, b.do(t, http.MethodGet, "/api/v1/tasks/"+task.ID, ""), http.StatusOK)
	require.JSONEq(t, `{"done":2,"of":5}`, string(shown.Progress))

	ev := nextEvent(t, events)
	require.Equal(t, "progress", ev.event)
	var streamed store.Task
	require.NoError(t, json.Unmarshal([]byte(ev.data), &streamed))
	require.Equal(t, store.StatusRunning, streamed.Status)
	require.JSONEq(t, `{"done":2,"of":5}`, string(streamed.Progress))

	b.finish(t, claimed, store.OutcomeComplete)
	got, _ = nextStatus(t, events)
	require.Equal(t, store.StatusCompleted, got.Status)
	require.JSONEq(t, `{"done":2,"of":5}`, string(got.Progress))
	requireEnd(t, events)
}
