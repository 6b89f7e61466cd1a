package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

// FuzzCreateTaskStores posts arbitrary bodies with arbitrary
// Idempotency-Key and Content-Type headers to the API over the in-memory
// store and, when TEST_DATABASE_URL is set, the PostgreSQL store. Neither
// may answer 5xx, both must answer alike, and every task either stores
// must then render in its GET, its event stream, a listing and the
// dashboard. `go test` runs the seed corpus; `go test -fuzz
// FuzzCreateTaskStores` explores.
func FuzzCreateTaskStores(f *testing.F) {
	seeds := []struct{ body, key, ctype string }{
		{`{"type":"x"}`, "", ""},
		{`{"type":"x","description":"d","domain":"b","params":{"a":[1,2.5,{"b":null}]},"priority":5,"max_attempts":3,"run_after":"2030-01-02T15:04:05Z","run_immediately":false,"idempotency_key":"k"}`, "", "application/json"},
		{`{"type":"x"}`, "order-1", "application/json; charset=utf-8"},
		{`{"type":"x"}`, "k\t1", ""},
		{`{"type":"x"}`, "k\xff", ""},
		{`{"type":"x"}`, "", "text/plain"},
		{`{"type":"x","run_after":"9999-12-31T23:59:59-23:59"}`, "", ""},
		{`{"type":"x","run_after":"0000-01-01T00:00:00+23:59"}`, "", ""},
		{`{"type":"x","run_after":"9999-12-31T23:59:59.999999999Z"}`, "", ""},
		{`{"type":"x","run_after":"0001-01-01T00:00:00.000001Z"}`, "", ""},
		{`{"type":"a\u0000"}`, "", ""},
		{`{"type":"x","description":"\u0000"}`, "", ""},
		{`{"type":"x","domain":"\u0000"}`, "", ""},
		{`{"type":"x","idempotency_key":"\u0000"}`, "", ""},
		{`{"type":"x","params":{"\u0000":"\u0000"}}`, "", ""},
		{`{"type":"x","params":{"a":"\ud800"}}`, "", ""},
		{`{"type":"x","params":{"a":"\ud83d\ude00"}}`, "", ""},
		{"{\"type\":\"x\",\"params\":{\"a\":\"\xff\"}}", "", ""},
		{`{"type":"x","params":{"a":1e999999}}`, "", ""},
		{`{"type":"x","params":{"a":1e308,"b":1e-400,"c":-0}}`, "", ""},
		{`{"type":"x","params":{"a":0.0000000000000000000000000000001e-10000}}`, "", ""},
		{`{"type":"   "}`, "", ""},
		{`{"type":"\u001b[31m"}`, "", ""},
		{`{"type":"x","params":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{}}}}}}}}}`, "", ""},
		{`{"type":"x","description":"\ud83d"}`, "", ""},
		{`{"type":"x","priority":100,"max_attempts":1000}`, "", ""},
		{`{"type":"x"} trailing`, "", ""},
		{``, "", ""},
	}
	for _, s := range seeds {
		f.Add([]byte(s.body), s.key, s.ctype)
	}
	type target struct {
		name string
		h    http.Handler
	}
	mem := backends[0].open(f)
	targets := []target{{"mem", server(f, mem, limits)}}
	if os.Getenv(pgtest.EnvVar) != "" {
		targets = append(targets, target{"pg", server(f, openPG(f), limits)})
	}
	f.Fuzz(func(t *testing.T, body []byte, key, ctype string) {
		var codes []int
		for _, tg := range targets {
			header := []string{}
			if key != "" {
				header = append(header, "Idempotency-Key", key)
			}
			if ctype != "" {
				header = append(header, "Content-Type", ctype)
			}
			w := serve(tg.h, http.MethodPost, "/api/v1/tasks", string(body), header...)
			codes = append(codes, w.Code)
			if w.Code >= 500 {
				t.Fatalf("%s: status %d for %q: %s", tg.name, w.Code, body, w.Body)
			}
			if w.Code >= 400 {
				var e httpapi.ErrorBody
				if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
					t.Fatalf("%s: error body %s", tg.name, w.Body)
				}
				continue
			}
			var task store.Task
			if err := json.Unmarshal(w.Body.Bytes(), &task); err != nil {
				t.Fatalf("%s: task body is not a task: %s", tg.name, w.Body)
			}
			requireTaskRenders(t, tg.name, tg.h, task)
		}
		// A repeated idempotency key may make one store answer 200 where
		// the other answers 201; acceptance itself must agree.
		for _, c := range codes[1:] {
			if (c < 300) != (codes[0] < 300) {
				t.Fatalf("the stores disagree: %v for %q", codes, body)
			}
		}
	})
}

// limits keeps fuzzed bodies small.
func limits(c *httpapi.Config) {
	c.MaxBodyBytes = 8192
	c.MaxJSONDepth = 8
}

// requireTaskRenders checks every read of task answers 200 with a
// renderable body.
func requireTaskRenders(t *testing.T, name string, h http.Handler, task store.Task) {
	t.Helper()
	for _, p := range []string{
		"/api/v1/tasks/" + task.ID,
		"/api/v1/tasks?limit=1000&type=" + url.QueryEscape(task.Type),
		"/ui/tasks/" + task.ID,
		"/ui/tasks?type=" + url.QueryEscape(task.Type),
	} {
		w := serve(h, http.MethodGet, p, "")
		if w.Code != http.StatusOK {
			t.Fatalf("%s: GET %s: %d %s", name, p, w.Code, w.Body)
		}
		if strings.HasPrefix(p, "/api/") && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s: GET %s is not JSON", name, p)
		}
		if strings.Contains(w.Body.String(), `"invalid"`) {
			t.Fatalf("%s: GET %s: a stored task has invalid fields: %s", name, p, w.Body)
		}
	}
	code, data := firstEvent(h, task.ID)
	if code != http.StatusOK || !json.Valid([]byte(data)) {
		t.Fatalf("%s: event stream: %d %q", name, code, data)
	}
}
