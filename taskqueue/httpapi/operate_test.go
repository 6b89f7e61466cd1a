package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

// failed stores a task of type typ and fails its one attempt.
func failed(t *testing.T, b *testBundle, typ string) store.Task {
	t.Helper()
	ctx := context.Background()
	task, _, err := b.store.Create(ctx, store.NewTask{Type: typ, MaxAttempts: 1})
	require.NoError(t, err)
	claimed, err := b.store.Claim(ctx, "w1", 1, time.Minute)
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	errs, err := b.store.Finish(ctx, []store.Outcome{{TaskID: task.ID, Worker: "w1", Attempt: 1, Kind: store.OutcomeRetry, Error: "boom"}})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	got, err := b.store.Get(ctx, task.ID)
	require.NoError(t, err)
	require.Equal(t, store.StatusFailed, got.Status)
	return got
}

func TestRetryAndDeleteOne(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	task := failed(t, b, "x")

	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b.do(t, http.MethodGet, "/api/v1/tasks/"+task.ID, "").Body.Bytes(), &raw))
	var history []map[string]any
	require.NoError(t, json.Unmarshal(raw["attempt_history"], &history))
	require.Len(t, history, 1)
	require.Equal(t, map[string]any{"attempt": 1.0, "worker": "w1", "outcome": "failed", "error": "boom",
		"started_at": history[0]["started_at"], "finished_at": history[0]["finished_at"]}, history[0])

	got := decodeTask(t, b.do(t, http.MethodPost, "/api/v1/tasks/"+task.ID[:8]+"/retry", ""), http.StatusOK)
	require.Len(t, got.AttemptHistory, 1, "a retry keeps the history")
	require.Equal(t, store.StatusQueued, got.Status)
	require.Equal(t, 1, got.Attempts)
	require.Equal(t, 2, got.MaxAttempts)
	requireError(t, b.do(t, http.MethodPost, "/api/v1/tasks/"+task.ID+"/retry", ""), http.StatusConflict, httpapi.CodeInvalidTransition)
	requireError(t, b.do(t, http.MethodDelete, "/api/v1/tasks/"+task.ID, ""), http.StatusConflict, httpapi.CodeInvalidTransition)

	_, err := b.store.Cancel(context.Background(), task.ID)
	require.NoError(t, err)
	w := b.do(t, http.MethodDelete, "/api/v1/tasks/"+task.ID, "")
	require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
	requireError(t, b.do(t, http.MethodGet, "/api/v1/tasks/"+task.ID, ""), http.StatusNotFound, httpapi.CodeNotFound)
	requireError(t, b.do(t, http.MethodDelete, "/api/v1/tasks/"+task.ID, ""), http.StatusNotFound, httpapi.CodeNotFound)
	requireError(t, b.do(t, http.MethodPost, "/api/v1/tasks/"+store.NewID()+"/retry", ""), http.StatusNotFound, httpapi.CodeNotFound)
	requireError(t, b.do(t, http.MethodPost, "/api/v1/tasks/zz/retry", ""), http.StatusBadRequest, httpapi.CodeInvalidID)
}

func TestBulkRetryAndDelete(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	for range 3 {
		failed(t, b, "a")
	}
	failed(t, b, "b")

	var page httpapi.ListResponse
	w := b.do(t, http.MethodGet, "/api/v1/tasks?status=failed&type=a", "")
	require.Equal(t, http.StatusOK, w.Code)
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &page))
	require.Equal(t, 3, page.Total)

	requireError(t, b.do(t, http.MethodPost, "/api/v1/tasks/retry?type=a", ""), http.StatusBadRequest, httpapi.CodeInvalidRequest)
	requireError(t, b.do(t, http.MethodPost, "/api/v1/tasks/retry?type=a&confirm=0", ""), http.StatusBadRequest, httpapi.CodeInvalidRequest)
	requireError(t, b.do(t, http.MethodPost, "/api/v1/tasks/retry?type=a&confirm=10001", ""), http.StatusBadRequest, httpapi.CodeInvalidRequest)
	requireError(t, b.do(t, http.MethodPost, "/api/v1/tasks/retry?type=a&confirm=3&limit=3", ""), http.StatusBadRequest, httpapi.CodeUnknownField)
	requireError(t, b.do(t, http.MethodPost, "/api/v1/tasks/retry?status=queued&confirm=3", ""), http.StatusBadRequest, httpapi.CodeInvalidRequest)
	requireError(t, b.do(t, http.MethodPost, "/api/v1/tasks/retry?type=a%20b&confirm=3", ""), http.StatusBadRequest, httpapi.CodeInvalidRequest)
	e := requireError(t, b.do(t, http.MethodPost, "/api/v1/tasks/retry?confirm=3", ""), http.StatusConflict, httpapi.CodeCountMismatch)
	require.Contains(t, e.Message, "selects 4 tasks")

	w = b.do(t, http.MethodPost, "/api/v1/tasks/retry?status=failed&type=a&confirm=3", "")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.JSONEq(t, `{"retried":3}`, w.Body.String())
	counts, err := b.store.Counts(context.Background())
	require.NoError(t, err)
	require.Equal(t, 3, counts[store.StatusQueued])

	w = b.do(t, http.MethodDelete, "/api/v1/tasks?type=b&confirm=1", "")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.JSONEq(t, `{"deleted":1}`, w.Body.String())
	w = b.do(t, http.MethodGet, "/api/v1/tasks/retry", "")
	require.Equal(t, http.StatusMethodNotAllowed, w.Code)
	require.Equal(t, "POST", w.Header().Get("Allow"))
}
