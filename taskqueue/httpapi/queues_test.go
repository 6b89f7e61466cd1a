package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

func TestQueuesAPI(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	created := decodeTask(t, b.do(t, http.MethodPost, "/api/v1/tasks", `{"type":"mail","queue":"mail","partition":"customer-7"}`), http.StatusCreated)
	require.Equal(t, "mail", created.Queue)
	require.Equal(t, "customer-7", created.Partition)
	def := decodeTask(t, b.do(t, http.MethodPost, "/api/v1/tasks", `{"type":"mail"}`), http.StatusCreated)
	require.Equal(t, store.DefaultQueue, def.Queue)

	w := b.do(t, http.MethodPost, "/api/v1/queues/mail/pause", "")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.JSONEq(t, `{"name":"mail","paused":true}`, w.Body.String())
	claimed, err := b.store.ClaimMatching(context.Background(), "w", 10, time.Minute, store.ClaimFilter{Queue: "mail"})
	require.NoError(t, err)
	require.Empty(t, claimed, "a paused queue was claimed")

	w = b.do(t, http.MethodGet, "/api/v1/queues", "")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var list struct {
		Queues []store.QueueInfo `json:"queues"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &list))
	require.Len(t, list.Queues, 2)
	require.Equal(t, store.DefaultQueue, list.Queues[0].Name)
	require.False(t, list.Queues[0].Paused)
	require.Equal(t, "mail", list.Queues[1].Name)
	require.True(t, list.Queues[1].Paused)
	require.Equal(t, 1, list.Queues[1].Counts[store.StatusQueued])
	require.Contains(t, w.Body.String(), `"completed":0`, "every status is listed")
	require.Contains(t, w.Body.String(), `"ready_types":[{"type":"mail","ready":1}]`)

	// An API that knows this process's types marks each ready type.
	h := setup(t, func(c *httpapi.Config) { c.Handles = func(typ string) bool { return typ == "mail" } })
	decodeTask(t, h.do(t, http.MethodPost, "/api/v1/tasks", `{"type":"mail"}`), http.StatusCreated)
	decodeTask(t, h.do(t, http.MethodPost, "/api/v1/tasks", `{"type":"resize"}`), http.StatusCreated)
	w = h.do(t, http.MethodGet, "/api/v1/queues", "")
	require.Contains(t, w.Body.String(), `{"type":"mail","ready":1,"handled_here":true}`)
	require.Contains(t, w.Body.String(), `{"type":"resize","ready":1,"handled_here":false}`)

	w = b.do(t, http.MethodPost, "/api/v1/queues/mail/resume", "")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.JSONEq(t, `{"name":"mail","paused":false}`, w.Body.String())

	// Filters.
	w = b.do(t, http.MethodGet, "/api/v1/tasks?queue=mail", "")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var page store.Page
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &page))
	require.Equal(t, 1, page.Total)
	require.Equal(t, created.ID, page.Tasks[0].ID)
	w = b.do(t, http.MethodGet, "/api/v1/tasks?partition=customer-7&queue=default", "")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &page))
	require.Zero(t, page.Total)
}

func TestQueuesAPIBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	for _, path := range []string{
		"/api/v1/queues/a%20b/pause", "/api/v1/queues/-x/resume", "/api/v1/queues/a:b/pause",
		"/api/v1/queues/" + strings.Repeat("q", store.MaxQueueLen+1) + "/pause",
	} {
		w := b.do(t, http.MethodPost, path, "")
		detail := requireError(t, w, http.StatusBadRequest, httpapi.CodeInvalidRequest)
		require.NotContains(t, detail.Message, "a b", "the name is not echoed")
	}
	requireError(t, b.do(t, http.MethodGet, "/api/v1/queues/mail/pause", ""), http.StatusMethodNotAllowed, httpapi.CodeMethodNotAllowed)
	requireError(t, b.do(t, http.MethodGet, "/api/v1/queues?x=1", ""), http.StatusBadRequest, httpapi.CodeUnknownField)
	for _, body := range []string{`{"type":"t","queue":"a/b"}`, `{"type":"t","queue":""}`, `{"type":"t","queue":7}`,
		`{"type":"t","partition":"has space"}`} {
		w := b.do(t, http.MethodPost, "/api/v1/tasks", body)
		if body == `{"type":"t","queue":""}` {
			// Empty is the default queue, as for every optional name.
			require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
			continue
		}
		requireError(t, w, http.StatusBadRequest, httpapi.CodeInvalidRequest)
	}
	for _, q := range []string{"queue=a/b", "queue=", "partition=a%20b"} {
		requireError(t, b.do(t, http.MethodGet, "/api/v1/tasks?"+q, ""), http.StatusBadRequest, httpapi.CodeInvalidRequest)
	}
	// A store without queue state answers 501.
	nq := setup(t, func(c *httpapi.Config) { c.Store = plainStore{c.Store} })
	requireError(t, nq.do(t, http.MethodGet, "/api/v1/queues", ""), http.StatusNotImplemented, httpapi.CodeNotImplemented)
	requireError(t, nq.do(t, http.MethodPost, "/api/v1/queues/mail/pause", ""), http.StatusNotImplemented, httpapi.CodeNotImplemented)
}

// plainStore hides every optional capability of the store it wraps.
type plainStore struct{ store.Store }

func TestQueueLimitsAPI(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	w := b.do(t, http.MethodPut, "/api/v1/queues/mail/limits", `{"max_running":3,"rate":2.5}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.JSONEq(t, `{"name":"mail","limits":{"max_running":3,"rate":2.5,"burst":3}}`, w.Body.String())
	w = b.do(t, http.MethodGet, "/api/v1/queues", "")
	require.Contains(t, w.Body.String(), `"limits":{"max_running":3,"rate":2.5,"burst":3}`)
	w = b.do(t, http.MethodPut, "/api/v1/queues/mail/limits", `{"partition_max_running":2}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.JSONEq(t, `{"name":"mail","limits":{"partition_max_running":2}}`, w.Body.String())
	w = b.do(t, http.MethodGet, "/api/v1/queues", "")
	require.Contains(t, w.Body.String(), `"limits":{"partition_max_running":2}`)
	w = b.do(t, http.MethodPut, "/api/v1/queues/mail/limits", `{}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.JSONEq(t, `{"name":"mail","limits":{}}`, w.Body.String())

	for _, body := range []string{`{"max_running":-1}`, `{"max_running":1.5}`, `{"rate":"fast"}`, `{"burst":2}`,
		`{"rate":1e9}`, `{"max_running":1,"max_running":2}`, `[1]`,
		`{"partition_max_running":-1}`, `{"partition_max_running":2000000}`, `{"partition_max_running":"2"}`} {
		requireError(t, b.do(t, http.MethodPut, "/api/v1/queues/mail/limits", body), http.StatusBadRequest, httpapi.CodeInvalidRequest)
	}
	requireError(t, b.do(t, http.MethodPut, "/api/v1/queues/mail/limits", `{"speed":1}`), http.StatusBadRequest, httpapi.CodeUnknownField)
	requireError(t, b.do(t, http.MethodPut, "/api/v1/queues/a:b/limits", `{}`), http.StatusBadRequest, httpapi.CodeInvalidRequest)
	requireError(t, b.do(t, http.MethodPost, "/api/v1/queues/mail/limits", `{}`), http.StatusMethodNotAllowed, httpapi.CodeMethodNotAllowed)
}
