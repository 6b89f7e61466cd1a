package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	st := memstore.New(memstore.Options{})
	valid := httpapi.Config{Store: st, Enqueuer: httpapi.EnqueuerFunc(st.Create)}
	tests := []struct {
		name   string
		mutate func(*httpapi.Config)
	}{
		{"no store", func(c *httpapi.Config) { c.Store = nil }},
		{"no enqueuer", func(c *httpapi.Config) { c.Enqueuer = nil }},
		{"negative body limit", func(c *httpapi.Config) { c.MaxBodyBytes = -1 }},
		{"negative depth", func(c *httpapi.Config) { c.MaxJSONDepth = -1 }},
		{"negative poll", func(c *httpapi.Config) { c.PollInterval = -time.Second }},
		{"tight poll", func(c *httpapi.Config) { c.PollInterval = time.Millisecond }},
		{"prefix without slash", func(c *httpapi.Config) { c.Prefix = "api" }},
		{"prefix with trailing slash", func(c *httpapi.Config) { c.Prefix = "/api/" }},
		{"root prefix", func(c *httpapi.Config) { c.Prefix = "/" }},
		{"prefix with wildcard", func(c *httpapi.Config) { c.Prefix = "/api/{v}" }},
		{"prefix with empty segment", func(c *httpapi.Config) { c.Prefix = "/api//v1" }},
		{"prefix with dot segment", func(c *httpapi.Config) { c.Prefix = "/api/.." }},
		{"prefix with space", func(c *httpapi.Config) { c.Prefix = "/api v1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := valid
			tt.mutate(&cfg)
			_, err := httpapi.New(cfg)
			require.ErrorIs(t, err, httpapi.ErrInvalidConfig)
		})
	}
	api, err := httpapi.New(valid)
	require.NoError(t, err)
	require.Equal(t, httpapi.DefaultPrefix, api.Prefix())
}

func TestCustomPrefix(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *httpapi.Config) { c.Prefix = "/jobs/v2" })
	w := b.do(t, http.MethodPost, "/jobs/v2/tasks", `{"type":"x"}`)
	task := decodeTask(t, w, http.StatusCreated)
	require.Equal(t, "/jobs/v2/tasks/"+task.ID, w.Header().Get("Location"))
	decodeTask(t, b.do(t, http.MethodGet, "/jobs/v2/tasks/"+task.ID, ""), http.StatusOK)
	requireError(t, b.do(t, http.MethodGet, "/api/v1/tasks/"+task.ID, ""), http.StatusNotFound, httpapi.CodeNotFound)
}

func TestCreateTask(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	// Numbers that float64 cannot hold, odd spacing and HTML characters:
	// the store keeps params byte for byte.
	params := `{ "big": 12345678901234567890123, "tiny": 1e-400, "f": 0.1000000000000000055511151231257827,
	  "html": "<a&b>", "nested": {"a": [1, 2.50, {"b": null}]} }`
	body := `{"type":"email.send","description":"hello","domain":"billing","params":` + params +
		`,"priority":7,"max_attempts":3,"run_after":"2030-01-02T15:04:05.123456Z"}`
	w := b.do(t, http.MethodPost, "/api/v1/tasks", body)
	task := decodeTask(t, w, http.StatusCreated)
	require.Equal(t, "/api/v1/tasks/"+task.ID, w.Header().Get("Location"))
	require.Equal(t, "email.send", task.Type)
	require.Equal(t, "hello", task.Description)
	require.Equal(t, "billing", task.Domain)
	require.Equal(t, store.StatusQueued, task.Status)
	require.Equal(t, 7, task.Priority)
	require.Equal(t, 3, task.MaxAttempts)
	require.Equal(t, time.Date(2030, 1, 2, 15, 4, 5, 123456000, time.UTC), task.RunAfter)

	stored, err := b.store.Get(context.Background(), task.ID)
	require.NoError(t, err)
	require.Equal(t, params, string(stored.Params), "params must be stored byte for byte")
	// The response is compact but keeps every number's digits.
	require.Contains(t, w.Body.String(), `"big":12345678901234567890123`)
	require.Contains(t, w.Body.String(), `"tiny":1e-400`)
	require.Contains(t, w.Body.String(), `"f":0.1000000000000000055511151231257827`)
	require.Contains(t, w.Body.String(), `2.50`)
}

func TestCreateTaskDefaultsAndHold(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	task := b.create(t, `{"type":"x"}`)
	require.Equal(t, store.StatusQueued, task.Status)
	require.JSONEq(t, `{}`, string(task.Params))
	require.Equal(t, store.DefaultMaxAttempts, task.MaxAttempts)

	task = b.create(t, `{"type":"x","run_immediately":null,"params":null,"priority":null,"run_after":""}`)
	require.Equal(t, store.StatusQueued, task.Status)

	held := b.create(t, `{"type":"x","run_immediately":false}`)
	require.Equal(t, store.StatusCreated, held.Status)
	run := decodeTask(t, b.do(t, http.MethodPost, "/api/v1/tasks/"+held.ID+"/run", ""), http.StatusOK)
	require.Equal(t, store.StatusQueued, run.Status)
	require.Equal(t, held.ID, run.ID)
}

func TestCreateTaskMediaTypes(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "application/merge-patch+json"} {
		b.create(t, `{"type":"x"}`) // without a Content-Type
		decodeTask(t, b.do(t, http.MethodPost, "/api/v1/tasks", `{"type":"x"}`, "Content-Type", ct), http.StatusCreated)
	}
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	first := b.create(t, `{"type":"x","idempotency_key":"order-42"}`)
	second := decodeTask(t, b.do(t, http.MethodPost, "/api/v1/tasks", `{"type":"x","idempotency_key":"order-42"}`), http.StatusOK)
	require.Equal(t, first.ID, second.ID)

	// The header carries the key too, and matches the body form.
	third := decodeTask(t, b.do(t, http.MethodPost, "/api/v1/tasks", `{"type":"x"}`, "Idempotency-Key", "order-42"), http.StatusOK)
	require.Equal(t, first.ID, third.ID)
	viaHeader := decodeTask(t, b.do(t, http.MethodPost, "/api/v1/tasks", `{"type":"x"}`, "Idempotency-Key", "order-43"), http.StatusCreated)
	again := decodeTask(t, b.do(t, http.MethodPost, "/api/v1/tasks", `{"type":"x"}`, "Idempotency-Key", "order-43"), http.StatusOK)
	require.Equal(t, viaHeader.ID, again.ID)
	require.NotEqual(t, first.ID, viaHeader.ID)

	requireError(t, b.do(t, http.MethodPost, "/api/v1/tasks", `{"type":"x","idempotency_key":"a"}`, "Idempotency-Key", "b"),
		http.StatusBadRequest, httpapi.CodeInvalidRequest)
}

// TestRedactingEnqueuer shows that the API stores and returns what the
// enqueuer makes of the task, not the request's raw text.
func TestRedactingEnqueuer(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *httpapi.Config) {
		st := c.Store.(*memstore.Store)
		c.Enqueuer = httpapi.EnqueuerFunc(func(ctx context.Context, nt store.NewTask) (store.Task, bool, error) {
			nt.Description = strings.ReplaceAll(nt.Description, "4111 1111 1111 1111", "[card]")
			nt.Events = json.RawMessage(`{"pii":["card"]}`)
			return st.Create(ctx, nt)
		})
	})
	task := b.create(t, `{"type":"pay","description":"card 4111 1111 1111 1111 please"}`)
	require.Equal(t, "card [card] please", task.Description)
	require.JSONEq(t, `{"pii":["card"]}`, string(task.Events))
	stored, err := b.store.Get(context.Background(), task.ID)
	require.NoError(t, err)
	require.Equal(t, "card [card] please", stored.Description)
}

// sharedPrefixIDs stores two tasks whose IDs share their first 8
// characters and returns the IDs.
func sharedPrefixIDs(t *testing.T, st *memstore.Store) (string, string) {
	t.Helper()
	ids := []string{"0a0a0a0a-0000-7000-8000-000000000001", "0a0a0a0a-1111-7000-8000-000000000002"}
	for _, id := range ids {
		_, _, err := st.Create(context.Background(), store.NewTask{ID: id, Type: "x"})
		require.NoError(t, err)
	}
	return ids[0], ids[1]
}

func TestGetCancelRunByPrefix(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	id1, id2 := sharedPrefixIDs(t, b.store)

	task := decodeTask(t, b.do(t, http.MethodGet, "/api/v1/tasks/"+id1, ""), http.StatusOK)
	require.Equal(t, id1, task.ID)
	task = decodeTask(t, b.do(t, http.MethodGet, "/api/v1/tasks/"+strings.ToUpper(id2[:13]), ""), http.StatusOK)
	require.Equal(t, id2, task.ID)

	task = decodeTask(t, b.do(t, http.MethodPost, "/api/v1/tasks/"+id1[:35]+"/cancel", ""), http.StatusOK)
	require.Equal(t, id1, task.ID)
	require.Equal(t, store.StatusCancelled, task.Status)

	// A running task stays running, asked to cancel.
	b.claim(t)
	task = decodeTask(t, b.do(t, http.MethodPost, "/api/v1/tasks/"+id2+"/cancel", ""), http.StatusOK)
	require.Equal(t, store.StatusRunning, task.Status)
	require.True(t, task.CancelRequested)

	held := b.create(t, `{"type":"x","run_immediately":false}`)
	task = decodeTask(t, b.do(t, http.MethodPost, "/api/v1/tasks/"+held.ID[:13]+"/run", ""), http.StatusOK)
	require.Equal(t, held.ID, task.ID)
	require.Equal(t, store.StatusQueued, task.Status)
}

// TestBadRequests is the table of refused requests, each with its exact
// status and error code.
func TestBadRequests(t *testing.T) {
	t.Parallel()
	const limit = 512
	b := setup(t, func(c *httpapi.Config) { c.MaxBodyBytes = limit; c.MaxJSONDepth = 4 })
	id1, _ := sharedPrefixIDs(t, b.store)
	done := b.create(t, `{"type":"x"}`)
	_, err := b.store.Cancel(context.Background(), done.ID)
	require.NoError(t, err)
	queued := b.create(t, `{"type":"x"}`)
	missing := "ffffffff-ffff-7fff-bfff-ffffffffffff"

	post := http.MethodPost
	tests := []struct {
		name         string
		method, path string
		body         string
		header       []string
		status       int
		code         string
	}{
		{"malformed json", post, "/api/v1/tasks", `{"type":`, nil, 400, httpapi.CodeInvalidJSON},
		{"not json", post, "/api/v1/tasks", `type=x`, nil, 400, httpapi.CodeInvalidJSON},
		{"empty body", post, "/api/v1/tasks", ``, nil, 400, httpapi.CodeInvalidJSON},
		{"trailing comma", post, "/api/v1/tasks", `{"type":"x",}`, nil, 400, httpapi.CodeInvalidJSON},
		{"trailing data", post, "/api/v1/tasks", `{"type":"x"} {"type":"y"}`, nil, 400, httpapi.CodeInvalidJSON},
		{"trailing garbage", post, "/api/v1/tasks", `{"type":"x"}x`, nil, 400, httpapi.CodeInvalidJSON},
		{"array body", post, "/api/v1/tasks", `[{"type":"x"}]`, nil, 400, httpapi.CodeInvalidRequest},
		{"string body", post, "/api/v1/tasks", `"x"`, nil, 400, httpapi.CodeInvalidRequest},
		{"missing type", post, "/api/v1/tasks", `{"description":"d"}`, nil, 400, httpapi.CodeInvalidRequest},
		{"type a number", post, "/api/v1/tasks", `{"type":1}`, nil, 400, httpapi.CodeInvalidRequest},
		{"description an object", post, "/api/v1/tasks", `{"type":"x","description":{}}`, nil, 400, httpapi.CodeInvalidRequest},
		{"params an array", post, "/api/v1/tasks", `{"type":"x","params":[1]}`, nil, 400, httpapi.CodeInvalidRequest},
		{"params a string", post, "/api/v1/tasks", `{"type":"x","params":"{}"}`, nil, 400, httpapi.CodeInvalidRequest},
		{"priority a fraction", post, "/api/v1/tasks", `{"type":"x","priority":1.5}`, nil, 400, httpapi.CodeInvalidRequest},
		{"priority huge exponent", post, "/api/v1/tasks", `{"type":"x","priority":1e400}`, nil, 400, httpapi.CodeInvalidRequest},
		{"priority exponent", post, "/api/v1/tasks", `{"type":"x","priority":1e1}`, nil, 400, httpapi.CodeInvalidRequest},
		{"priority a string", post, "/api/v1/tasks", `{"type":"x","priority":"5"}`, nil, 400, httpapi.CodeInvalidRequest},
		{"priority overflows int", post, "/api/v1/tasks", `{"type":"x","priority":99999999999999999999}`, nil, 400, httpapi.CodeInvalidRequest},
		{"priority out of range", post, "/api/v1/tasks", `{"type":"x","priority":101}`, nil, 400, httpapi.CodeInvalidRequest},
		{"max_attempts a fraction", post, "/api/v1/tasks", `{"type":"x","max_attempts":2.0}`, nil, 400, httpapi.CodeInvalidRequest},
		{"max_attempts negative", post, "/api/v1/tasks", `{"type":"x","max_attempts":-1}`, nil, 400, httpapi.CodeInvalidRequest},
		{"run_after not RFC 3339", post, "/api/v1/tasks", `{"type":"x","run_after":"tomorrow"}`, nil, 400, httpapi.CodeInvalidRequest},
		{"run_after a number", post, "/api/v1/tasks", `{"type":"x","run_after":1700000000}`, nil, 400, httpapi.CodeInvalidRequest},
		{"run_immediately a string", post, "/api/v1/tasks", `{"type":"x","run_immediately":"no"}`, nil, 400, httpapi.CodeInvalidRequest},
		{"keep_priority a string", post, "/api/v1/tasks", `{"type":"x","keep_priority":"yes"}`, nil, 400, httpapi.CodeInvalidRequest},
		{"field twice", post, "/api/v1/tasks", `{"type":"x","type":"y"}`, nil, 400, httpapi.CodeInvalidRequest},
		{"type too long", post, "/api/v1/tasks", `{"type":"` + strings.Repeat("t", store.MaxTypeLen+1) + `"}`, nil, 400, httpapi.CodeInvalidRequest},
		{"unknown field", post, "/api/v1/tasks", `{"type":"x","colour":"red"}`, nil, 400, httpapi.CodeUnknownField},
		{"unknown field with odd name", post, "/api/v1/tasks", `{"type":"x","a b":1}`, nil, 400, httpapi.CodeUnknownField},
		{"too deep", post, "/api/v1/tasks", `{"type":"x","params":{"a":{"b":{"c":{}}}}}`, nil, 400, httpapi.CodeTooDeep},
		{"too deep array", post, "/api/v1/tasks", strings.Repeat("[", 100) + strings.Repeat("]", 100), nil, 400, httpapi.CodeTooDeep},
		{"unclosed array", post, "/api/v1/tasks", `[[1]`, nil, 400, httpapi.CodeInvalidJSON},
		{"array then garbage", post, "/api/v1/tasks", `[1] x`, nil, 400, httpapi.CodeInvalidJSON},
		{"too deep object", post, "/api/v1/tasks", strings.Repeat(`{"a":`, 100), nil, 400, httpapi.CodeTooDeep},
		{"oversized body", post, "/api/v1/tasks", `{"type":"x","description":"` + strings.Repeat("d", limit) + `"}`, nil, 413, httpapi.CodeBodyTooLarge},
		{"text content type", post, "/api/v1/tasks", `{"type":"x"}`, []string{"Content-Type", "text/plain"}, 415, httpapi.CodeUnsupportedMediaType},
		{"form content type", post, "/api/v1/tasks", `{"type":"x"}`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, httpapi.CodeUnsupportedMediaType},
		{"bad content type", post, "/api/v1/tasks", `{"type":"x"}`, []string{"Content-Type", ";;"}, 415, httpapi.CodeUnsupportedMediaType},
		{"invalid id", http.MethodGet, "/api/v1/tasks/not-a-uuid", ``, nil, 400, httpapi.CodeInvalidID},
		{"wildcard id", http.MethodGet, "/api/v1/tasks/0a%25", ``, nil, 400, httpapi.CodeInvalidID},
		{"id too long", http.MethodGet, "/api/v1/tasks/" + id1 + "0", ``, nil, 400, httpapi.CodeInvalidID},
		{"ambiguous id", http.MethodGet, "/api/v1/tasks/0a0a0a0a", ``, nil, 409, httpapi.CodeAmbiguousID},
		{"unknown id", http.MethodGet, "/api/v1/tasks/" + missing, ``, nil, 404, httpapi.CodeNotFound},
		{"unknown prefix", http.MethodGet, "/api/v1/tasks/ffff", ``, nil, 404, httpapi.CodeNotFound},
		{"cancel finished", post, "/api/v1/tasks/" + done.ID + "/cancel", ``, nil, 409, httpapi.CodeInvalidTransition},
		{"cancel ambiguous", post, "/api/v1/tasks/0a0a0a0a-/cancel", ``, nil, 409, httpapi.CodeAmbiguousID},
		{"cancel invalid id", post, "/api/v1/tasks/xyz/cancel", ``, nil, 400, httpapi.CodeInvalidID},
		{"cancel unknown", post, "/api/v1/tasks/" + missing + "/cancel", ``, nil, 404, httpapi.CodeNotFound},
		{"run queued", post, "/api/v1/tasks/" + queued.ID + "/run", ``, nil, 409, httpapi.CodeInvalidTransition},
		{"run finished", post, "/api/v1/tasks/" + done.ID + "/run", ``, nil, 409, httpapi.CodeInvalidTransition},
		{"run unknown", post, "/api/v1/tasks/" + missing + "/run", ``, nil, 404, httpapi.CodeNotFound},
		{"events invalid id", http.MethodGet, "/api/v1/tasks/zz/events", ``, nil, 400, httpapi.CodeInvalidID},
		{"events unknown", http.MethodGet, "/api/v1/tasks/" + missing + "/events", ``, nil, 404, httpapi.CodeNotFound},
		{"put tasks", http.MethodPut, "/api/v1/tasks", ``, nil, 405, httpapi.CodeMethodNotAllowed},
		{"delete tasks without confirm", http.MethodDelete, "/api/v1/tasks", ``, nil, 400, httpapi.CodeInvalidRequest},
		{"put task", http.MethodPut, "/api/v1/tasks/" + queued.ID, ``, nil, 405, httpapi.CodeMethodNotAllowed},
		{"get cancel", http.MethodGet, "/api/v1/tasks/" + queued.ID + "/cancel", ``, nil, 405, httpapi.CodeMethodNotAllowed},
		{"post health", post, "/health", ``, nil, 405, httpapi.CodeMethodNotAllowed},
		{"unknown route", http.MethodGet, "/api/v1/nothing", ``, nil, 404, httpapi.CodeNotFound},
		{"list bad status", http.MethodGet, "/api/v1/tasks?status=done", ``, nil, 400, httpapi.CodeInvalidRequest},
		{"list bad limit", http.MethodGet, "/api/v1/tasks?limit=ten", ``, nil, 400, httpapi.CodeInvalidRequest},
		{"list zero limit", http.MethodGet, "/api/v1/tasks?limit=0", ``, nil, 400, httpapi.CodeInvalidRequest},
		{"list negative limit", http.MethodGet, "/api/v1/tasks?limit=-1", ``, nil, 400, httpapi.CodeInvalidRequest},
		{"list bad time", http.MethodGet, "/api/v1/tasks?created_after=yesterday", ``, nil, 400, httpapi.CodeInvalidRequest},
		{"list bad cursor", http.MethodGet, "/api/v1/tasks?cursor=nope", ``, nil, 400, httpapi.CodeInvalidRequest},
		{"list unknown parameter", http.MethodGet, "/api/v1/tasks?statuses=queued", ``, nil, 400, httpapi.CodeUnknownField},
		{"list repeated parameter", http.MethodGet, "/api/v1/tasks?type=a&type=b", ``, nil, 400, httpapi.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := b.do(t, tt.method, tt.path, tt.body, tt.header...)
			requireError(t, w, tt.status, tt.code)
			if tt.status == http.StatusMethodNotAllowed {
				require.NotEmpty(t, w.Header().Get("Allow"))
			}
		})
	}
}

func TestErrorMessagesNameTheField(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	tests := []struct{ body, code, want string }{
		{`{"type":"x","colour":"red"}`, httpapi.CodeUnknownField, `unknown field "colour"`},
		{`{"type":"x","Colour":"red"}`, httpapi.CodeUnknownField, `unknown field`},
		{`{"type":"x","priority":1.5}`, httpapi.CodeInvalidRequest, `"priority" must be an integer`},
		{`{"type":"x","params":[]}`, httpapi.CodeInvalidRequest, `"params" must be a JSON object`},
		{`{"type":"x","run_after":"soon"}`, httpapi.CodeInvalidRequest, `"run_after" must be an RFC 3339 time`},
		{`{"type":"x","priority":500}`, httpapi.CodeInvalidRequest, `priority is outside 0..100`},
		{`{"type":"x","domain":"a","domain":"b"}`, httpapi.CodeInvalidRequest, `field "domain" is given twice`},
	}
	for _, tt := range tests {
		e := requireError(t, b.do(t, http.MethodPost, "/api/v1/tasks", tt.body), http.StatusBadRequest, tt.code)
		require.Contains(t, e.Message, tt.want)
	}
}

// TestErrorsNeverEchoText sends the same secret in every position a
// decoding error could quote it and checks neither the answers nor the
// logs contain it.
func TestErrorsNeverEchoText(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	b := setup(t, func(c *httpapi.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.MaxJSONDepth = 3
	})
	const secret = "s3cr3t-4111111111111111"
	bodies := []string{
		`{"type":"x","description":"` + secret + `","priority":"` + secret + `"}`,
		`{"type":"x","description":["` + secret + `"]}`,
		`{"type":"x","params":"` + secret + `"}`,
		`{"type":"x","params":{"k":"` + secret + `"},"run_after":"` + secret + `"}`,
		`{"type":"x","params":{"k":"` + secret + `"},"max_attempts":1.5}`,
		`{"type":"x","` + secret + `":1}`,
		`{"type":"x","description":"` + secret + `"` + secret,
		`{"type":"x","description":"` + secret + `"}` + secret,
		`{"type":"x","description":"` + secret + `","params":{"a":{"b":{"c":1}}}}`,
		`{"type":"` + secret + strings.Repeat("x", store.MaxTypeLen) + `"}`,
		`{"type":"x","description":"` + secret + `","idempotency_key":"` + secret + `"}`,
	}
	for _, body := range bodies {
		w := b.do(t, http.MethodPost, "/api/v1/tasks", body, "Idempotency-Key", "other")
		require.GreaterOrEqual(t, w.Code, 400, "body %s", body)
		require.NotContains(t, w.Body.String(), secret)
	}
	require.NotContains(t, logs.String(), secret)
	require.Contains(t, logs.String(), "request_id=", "requests are logged")
}

func TestInternalErrors(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	b := setup(t, func(c *httpapi.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		c.Enqueuer = httpapi.EnqueuerFunc(func(_ context.Context, nt store.NewTask) (store.Task, bool, error) {
			switch nt.Type {
			case "panic":
				panic("enqueuer broke")
			case "closed":
				return store.Task{}, false, store.ErrClosed
			case "conflict":
				return store.Task{}, false, store.ErrConflict
			case "invalid":
				return store.Task{}, false, store.ErrInvalidTask
			}
			return store.Task{}, false, errors.New("database on fire")
		})
	})
	w := b.do(t, http.MethodPost, "/api/v1/tasks", `{"type":"boom"}`, "X-Request-ID", "req-boom")
	e := requireError(t, w, http.StatusInternalServerError, httpapi.CodeInternal)
	require.NotContains(t, e.Message, "fire")
	require.Contains(t, logs.String(), "database on fire")
	require.Contains(t, logs.String(), "request_id=req-boom")

	w = b.do(t, http.MethodPost, "/api/v1/tasks", `{"type":"panic"}`, "X-Request-ID", "req-panic")
	requireError(t, w, http.StatusInternalServerError, httpapi.CodeInternal)
	require.Contains(t, logs.String(), "request_id=req-panic")

	requireError(t, b.do(t, http.MethodPost, "/api/v1/tasks", `{"type":"closed"}`), http.StatusServiceUnavailable, httpapi.CodeUnavailable)
	requireError(t, b.do(t, http.MethodPost, "/api/v1/tasks", `{"type":"conflict"}`), http.StatusConflict, httpapi.CodeConflict)
	requireError(t, b.do(t, http.MethodPost, "/api/v1/tasks", `{"type":"invalid"}`), http.StatusBadRequest, httpapi.CodeInvalidRequest)
}

func TestHealthAndReady(t *testing.T) {
	t.Parallel()
	var readyErr error
	b := setup(t, func(c *httpapi.Config) {
		c.Ready = func(context.Context) error { return readyErr }
	})
	w := b.do(t, http.MethodGet, "/health", "")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "application/json", w.Header().Get("Content-Type"))
	require.JSONEq(t, `{"status":"ok"}`, w.Body.String())

	w = b.do(t, http.MethodGet, "/readyz", "")
	require.Equal(t, http.StatusOK, w.Code)
	require.JSONEq(t, `{"status":"ready"}`, w.Body.String())

	readyErr = errors.New("store: ping failed")
	w = b.do(t, http.MethodGet, "/readyz", "")
	e := requireError(t, w, http.StatusServiceUnavailable, httpapi.CodeNotReady)
	require.NotContains(t, e.Message, "ping failed", "the error's text is logged, not sent")
	require.Equal(t, "2", w.Header().Get("Retry-After"))
	// Liveness does not depend on readiness.
	require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, "/health", "").Code)

	// Without a Ready hook the API is always ready.
	b = setup(t, nil)
	require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, "/readyz", "").Code)
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *httpapi.Config) {
		c.Authorize = func(r *http.Request) error {
			switch r.Header.Get("Authorization") {
			case "Bearer good":
				return nil
			case "":
				return fmt.Errorf("no token: %w", httpapi.ErrUnauthorized)
			case "Bearer reader":
				return fmt.Errorf("read only: %w", httpapi.ErrForbidden)
			}
			return errors.New("token store down")
		}
	})
	task, _, err := b.store.Create(context.Background(), store.NewTask{Type: "x"})
	require.NoError(t, err)
	routes := []struct{ method, path, body string }{
		{http.MethodPost, "/api/v1/tasks", `{"type":"x"}`},
		{http.MethodGet, "/api/v1/tasks", ""},
		{http.MethodGet, "/api/v1/tasks/" + task.ID, ""},
		{http.MethodPost, "/api/v1/tasks/" + task.ID + "/run", ""},
		{http.MethodPost, "/api/v1/tasks/" + task.ID + "/cancel", ""},
		{http.MethodGet, "/api/v1/tasks/" + task.ID + "/events", ""},
		{http.MethodGet, "/readyz", ""},
		{http.MethodGet, "/api/v1/unknown", ""},
		{http.MethodDelete, "/api/v1/tasks", ""},
	}
	for _, rt := range routes {
		requireError(t, b.do(t, rt.method, rt.path, rt.body), http.StatusUnauthorized, httpapi.CodeUnauthorized)
		requireError(t, b.do(t, rt.method, rt.path, rt.body, "Authorization", "Bearer reader"), http.StatusForbidden, httpapi.CodeForbidden)
		e := requireError(t, b.do(t, rt.method, rt.path, rt.body, "Authorization", "Bearer other"), http.StatusForbidden, httpapi.CodeForbidden)
		require.NotContains(t, e.Message, "token store")
	}
	// Authorized requests pass through to the routes.
	decodeTask(t, b.do(t, http.MethodPost, "/api/v1/tasks", `{"type":"x"}`, "Authorization", "Bearer good"), http.StatusCreated)
	decodeTask(t, b.do(t, http.MethodGet, "/api/v1/tasks/"+task.ID, "", "Authorization", "Bearer good"), http.StatusOK)
	require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, "/readyz", "", "Authorization", "Bearer good").Code)
	// /health is never guarded.
	require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, "/health", "").Code)
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	w := b.do(t, http.MethodGet, "/health", "", "X-Request-ID", "abc-123")
	require.Equal(t, "abc-123", w.Header().Get("X-Request-ID"))

	generated := b.do(t, http.MethodGet, "/api/v1/tasks/zz", "").Header().Get("X-Request-ID")
	require.Len(t, generated, 32)
	other := b.do(t, http.MethodGet, "/health", "").Header().Get("X-Request-ID")
	require.NotEqual(t, generated, other)

	// An unusable id (too long, or with control characters) is replaced.
	for _, bad := range []string{strings.Repeat("a", 129), "a b", "a\x01"} {
		got := b.do(t, http.MethodGet, "/health", "", "X-Request-ID", bad).Header().Get("X-Request-ID")
		require.NotEqual(t, bad, got)
		require.Len(t, got, 32)
	}
}

// TestStoreFull checks that a create refused by a full store answers 503
// store_full with a Retry-After, and stores nothing.
func TestStoreFull(t *testing.T) {
	t.Parallel()
	st := memstore.New(memstore.Options{MaxBytes: 2_000})
	api, err := httpapi.New(httpapi.Config{Store: st, Enqueuer: httpapi.EnqueuerFunc(st.Create)})
	require.NoError(t, err)
	b := &testBundle{store: st, api: api, h: api.Handler()}
	b.create(t, `{"type":"t","params":{"a":1}}`)
	w := b.do(t, http.MethodPost, "/api/v1/tasks", `{"type":"t","params":{"blob":"`+strings.Repeat("x", 2_000)+`"}}`)
	requireError(t, w, http.StatusServiceUnavailable, httpapi.CodeStoreFull)
	require.NotEmpty(t, w.Header().Get("Retry-After"))
	require.Equal(t, 1, b.list(t, "").Total, "the refused task is not stored")
}
