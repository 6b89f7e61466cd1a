package dashboard_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

// TestDetailProgress: the task page shows a running task's progress,
// indented and escaped, and shows none before one is written.
func TestDetailProgress(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	task := b.create(t, store.NewTask{Type: "import"})
	claimed, err := b.store.Claim(context.Background(), "w1", 1, time.Minute)
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	require.NotContains(t, b.get(t, "/ui/tasks/"+task.ID), `id="progress"`)

	_, err = b.store.HeartbeatProgress(context.Background(), "w1", []string{task.ID}, []store.Progress{{
		TaskID: task.ID, Attempt: claimed[0].Attempts, Value: json.RawMessage(`{"done":40,"of":100,"file":"<b>a.csv</b>"}`),
	}}, time.Minute)
	require.NoError(t, err)
	body := b.get(t, "/ui/tasks/"+task.ID)
	require.Contains(t, body, `<dt>Progress</dt>`)
	require.Contains(t, body, `&#34;done&#34;: 40`, "the progress, indented")
	require.Contains(t, body, `&lt;b&gt;a.csv&lt;/b&gt;`)
	require.NotContains(t, body, `<b>a.csv`)
}
