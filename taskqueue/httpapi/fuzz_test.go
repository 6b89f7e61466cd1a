package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

// knownCodes are the codes POST /tasks may answer with.
var knownCodes = map[string]bool{
	httpapi.CodeInvalidJSON: true, httpapi.CodeInvalidRequest: true, httpapi.CodeUnknownField: true,
	httpapi.CodeBodyTooLarge: true, httpapi.CodeTooDeep: true, httpapi.CodeConflict: true,
	httpapi.CodeUnsupportedMediaType: true,
}

// FuzzCreateTask posts arbitrary bodies: the handler must never panic nor
// answer 5xx, must answer every refusal with a JSON error of a known
// code, and must store params byte for byte when it accepts.
func FuzzCreateTask(f *testing.F) {
	for _, seed := range []string{
		`{"type":"x"}`,
		`{"type":"x","description":"d","domain":"b","params":{"a":[1,2.5,{"b":null}]},"priority":5,"max_attempts":3,"run_after":"2030-01-02T15:04:05Z","run_immediately":false,"idempotency_key":"k"}`,
		`{"type":"x","params":{"big":123456789012345678901234567890}}`,
		`{"type":"x","priority":1.5}`,
		`{"type":"x","priority":1e400}`,
		`{"type":"x","type":"y"}`,
		`{"type":"x"} trailing`,
		`{"type":"x","unknown":1}`,
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`,
		`{"type":"x","params":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{}}}}}}}}}}`,
		`{"type":"\ud800","description":"\u0000"}`,
		`{"type":"x","run_after":"2030-02-30T00:00:00Z"}`,
		`{"type":"x","params":{} }  `,
		"\xef\xbb\xbf{\"type\":\"x\"}",
		`null`,
		`{}`,
		``,
	} {
		f.Add([]byte(seed))
	}
	// One API for every input; each input gets a fresh store through the
	// enqueuer, so the store does not grow over a long run.
	var st *memstore.Store
	api, err := httpapi.New(httpapi.Config{
		Store: memstore.New(memstore.Options{}),
		Enqueuer: httpapi.EnqueuerFunc(func(ctx context.Context, nt store.NewTask) (store.Task, bool, error) {
			return st.Create(ctx, nt)
		}),
		MaxBodyBytes: 4096,
		MaxJSONDepth: 8,
	})
	if err != nil {
		f.Fatal(err)
	}
	h := api.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		st = memstore.New(memstore.Options{})
		r := httptest.NewRequest(http.MethodPost, "/api/v1/tasks", strings.NewReader(string(body)))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)

		if w.Code >= 500 {
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("content type %q", ct)
		}
		if w.Code >= 400 {
			var e httpapi.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
				t.Fatalf("error body is not JSON: %s", w.Body)
			}
			if !knownCodes[e.Error.Code] || e.Error.Message == "" {
				t.Fatalf("unknown code %q or empty message for %q", e.Error.Code, body)
			}
			return
		}
		if w.Code != http.StatusCreated {
			t.Fatalf("status %d for a new task", w.Code)
		}
		var task store.Task
		if err := json.Unmarshal(w.Body.Bytes(), &task); err != nil {
			t.Fatalf("task body is not JSON: %s", w.Body)
		}
		stored, err := st.Get(t.Context(), task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(stored.Params) || stored.Params[0] != '{' {
			t.Fatalf("stored params %q are not an object", stored.Params)
		}
		if len(stored.Params) > 2 && !strings.Contains(string(body), string(stored.Params)) {
			t.Fatalf("stored params %q are not a slice of the body %q", stored.Params, body)
		}
	})
}
