package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

func TestBatch(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.create(t, `{"type":"x","idempotency_key":"k0"}`)
	body := `{"tasks":[
		{"type":"a","params":{"n":1.50}},
		{"type":"a","idempotency_key":"k0"},
		{"type":"bad type"},
		[1],
		{"type":"b","run_immediately":false,"max_attempts":2}
	]}`
	w := b.do(t, http.MethodPost, "/api/v1/tasks/batch", body)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var resp httpapi.BatchResponse
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp))
	require.Len(t, resp.Results, 5)
	require.Equal(t, 2, resp.Created)
	require.Equal(t, 1, resp.Existing)
	require.Equal(t, 2, resp.Failed)
	for i, r := range resp.Results {
		require.Equal(t, i, r.Index)
	}
	require.Equal(t, http.StatusCreated, resp.Results[0].Status)
	require.JSONEq(t, `{"n":1.50}`, string(resp.Results[0].Task.Params))
	require.Equal(t, http.StatusOK, resp.Results[1].Status, "an existing idempotency key")
	require.Equal(t, http.StatusBadRequest, resp.Results[2].Status)
	require.Equal(t, httpapi.CodeInvalidRequest, resp.Results[2].Error.Code)
	require.Contains(t, resp.Results[2].Error.Message, "type")
	require.Nil(t, resp.Results[2].Task)
	require.Equal(t, http.StatusBadRequest, resp.Results[3].Status)
	require.Equal(t, store.StatusCreated, resp.Results[4].Task.Status)
	require.Equal(t, 2, resp.Results[4].Task.MaxAttempts)

	var page httpapi.ListResponse
	require.NoError(t, json.Unmarshal(b.do(t, http.MethodGet, "/api/v1/tasks", "").Body.Bytes(), &page))
	require.Equal(t, 3, page.Total, "x, then the two created")
}

func TestBatchRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	tooMany := `{"tasks":[` + strings.Repeat(`{"type":"a"},`, httpapi.MaxBatch) + `{"type":"a"}]}`
	for name, body := range map[string]string{
		"no tasks":      `{}`,
		"empty":         `{"tasks":[]}`,
		"not an array":  `{"tasks":{"type":"a"}}`,
		"unknown field": `{"tasks":[{"type":"a"}],"other":1}`,
		"twice":         `{"tasks":[{"type":"a"}],"tasks":[{"type":"a"}]}`,
		"too many":      tooMany,
	} {
		w := b.do(t, http.MethodPost, "/api/v1/tasks/batch", body)
		require.Equal(t, http.StatusBadRequest, w.Code, name+": "+w.Body.String())
	}
	w := b.do(t, http.MethodPost, "/api/v1/tasks/batch", `{"tasks":[{"type":"a"}]}`, "Idempotency-Key", "k")
	require.Equal(t, http.StatusBadRequest, w.Code)
	require.Equal(t, http.StatusMethodNotAllowed, b.do(t, http.MethodGet, "/api/v1/tasks/batch", "").Code)
	var page httpapi.ListResponse
	require.NoError(t, json.Unmarshal(b.do(t, http.MethodGet, "/api/v1/tasks", "").Body.Bytes(), &page))
	require.Zero(t, page.Total, "a refused batch creates nothing")

	// The most a batch holds is accepted.
	full := `{"tasks":[` + strings.Repeat(`{"type":"a"},`, httpapi.MaxBatch-1) + `{"type":"a"}]}`
	w = b.do(t, http.MethodPost, "/api/v1/tasks/batch", full)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String()[:min(200, w.Body.Len())])
	var resp httpapi.BatchResponse
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp))
	require.Equal(t, httpapi.MaxBatch, resp.Created, strconv.Itoa(resp.Failed))
}
