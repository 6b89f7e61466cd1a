package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
	"github.com/seedcore/seedcore/store/pgstore"
	"github.com/seedcore/seedcore/store/storetest"
	"github.com/seedcore/seedcore/taskqueue/dashboard"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

// backend is a store the input tests run against.
type backend struct {
	name string
	open func(t testing.TB) storetest.Backend
}

// backends are the in-memory store and, when TEST_DATABASE_URL is set,
// the PostgreSQL store, each on a fresh schema.
var backends = []backend{
	{"mem", func(testing.TB) storetest.Backend { return memstore.New(memstore.Options{}) }},
	{"pg", func(t testing.TB) storetest.Backend { return openPG(t) }},
}

func openPG(t testing.TB) *pgstore.Store {
	t.Helper()
	env := pgtest.New(t)
	s, err := pgstore.New(env.DB, pgstore.Options{Schema: env.Schema})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, s.Migrate(ctx))
	return s
}

// server serves the API at /api/v1 and the dashboard at /ui over st.
func server(t testing.TB, st storetest.Backend, mutate func(*httpapi.Config)) http.Handler {
	t.Helper()
	cfg := httpapi.Config{Store: st, Enqueuer: httpapi.EnqueuerFunc(st.Create)}
	if mutate != nil {
		mutate(&cfg)
	}
	api, err := httpapi.New(cfg)
	require.NoError(t, err)
	dash, err := dashboard.New(dashboard.Config{Store: st})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/", api.Handler())
	mux.Handle("/ui/", dash.Handler())
	return mux
}

func serve(h http.Handler, method, path, body string, header ...string) *httptest.ResponseRecorder {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, path, nil)
	} else {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// flushCancel is a recorder that ends its request at the first flush: an
// event stream's first event is all a check of its rendering needs.
type flushCancel struct {
	*httptest.ResponseRecorder
	cancel context.CancelFunc
}

func (f flushCancel) Flush() {
	f.ResponseRecorder.Flush()
	f.cancel()
}

// firstEvent opens the event stream of task id and returns its status
// and first event's data.
func firstEvent(h http.Handler, id string) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/v1/tasks/"+id+"/events", nil)
	w := flushCancel{httptest.NewRecorder(), cancel}
	h.ServeHTTP(w, r)
	for line := range strings.Lines(w.Body.String()) {
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			return w.Code, strings.TrimSpace(data)
		}
	}
	return w.Code, ""
}

// requireRenders checks that every read of the store answers: each page
// of the listing, each task's GET, event stream and dashboard page, and
// the dashboard's list. It returns the tasks as the API rendered them.
func requireRenders(t testing.TB, h http.Handler) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	cursor := ""
	for range 1000 {
		q := "/api/v1/tasks?limit=2"
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		w := serve(h, http.MethodGet, q, "")
		require.Equal(t, http.StatusOK, w.Code, "list: %s", w.Body)
		var page struct {
			Tasks      []map[string]any `json:"tasks"`
			NextCursor string           `json:"next_cursor"`
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &page))
		for _, task := range page.Tasks {
			out[task["id"].(string)] = task
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	for id := range out {
		w := serve(h, http.MethodGet, "/api/v1/tasks/"+id, "")
		require.Equal(t, http.StatusOK, w.Code, "get: %s", w.Body)
		code, data := firstEvent(h, id)
		require.Equal(t, http.StatusOK, code)
		require.True(t, json.Valid([]byte(data)), "event data %q", data)
		w = serve(h, http.MethodGet, "/ui/tasks/"+id, "")
		require.Equal(t, http.StatusOK, w.Code, "dashboard detail: %s", w.Body)
	}
	for _, p := range []string{"/ui/", "/ui/tasks"} {
		w := serve(h, http.MethodGet, p, "")
		require.Equal(t, http.StatusOK, w.Code, "dashboard %s: %s", p, w.Body)
	}
	return out
}

// TestRunAfterOutOfRange: a run_after that converts to a year JSON
// cannot write is refused with 400 naming run_after and stores nothing,
// so the listing still answers. It used to be stored and answered 500,
// and from then on every read that met the task failed.
func TestRunAfterOutOfRange(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			st := b.open(t)
			h := server(t, st, nil)
			for _, at := range []string{"9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00+23:59"} {
				w := serve(h, http.MethodPost, "/api/v1/tasks", `{"type":"t","run_after":"`+at+`"}`)
				e := requireError(t, w, http.StatusBadRequest, httpapi.CodeInvalidRequest)
				require.Contains(t, e.Message, "run_after")
			}
			w := serve(h, http.MethodPost, "/api/v1/tasks", `{"type":"t","run_after":"9999-12-31T23:59:59Z"}`)
			require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
			require.Len(t, requireRenders(t, h), 1)
		})
	}
}

// TestCreateRefusesWhatAStoreCannotHold: the same bodies are refused with
// 400 naming the field on both stores (memory used to answer 201 and
// PostgreSQL 500), and nothing is stored.
func TestCreateRefusesWhatAStoreCannotHold(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body, field string
		header            []string
	}{
		{"NUL in type", `{"type":"a\u0000"}`, "type", nil},
		{"NUL in description", `{"type":"t","description":"a\u0000b"}`, "description", nil},
		{"NUL in domain", `{"type":"t","domain":"\u0000"}`, "domain", nil},
		{"NUL in key", `{"type":"t","idempotency_key":"k\u0000"}`, "idempotency_key", nil},
		{"NUL in params", `{"type":"t","params":{"a":"\u0000"}}`, "params", nil},
		{"NUL in a params name", `{"type":"t","params":{"a":{"\u0000":1}}}`, "params", nil},
		{"lone surrogate in params", `{"type":"t","params":{"a":"\ud800"}}`, "params", nil},
		{"lone surrogate in description", `{"type":"t","description":"\udc00"}`, "description", nil},
		{"raw 0xff in params", "{\"type\":\"t\",\"params\":{\"a\":\"\xff\"}}", "UTF-8", nil},
		{"huge number in params", `{"type":"t","params":{"a":1e999999}}`, "params", nil},
		{"overflowing number in params", `{"type":"t","params":{"a":-1e309}}`, "params", nil},
		{"type of spaces", `{"type":"   "}`, "type", nil},
		{"type with a newline", `{"type":"a\nb"}`, "type", nil},
		{"type with a terminal escape", `{"type":"\u001b[31mred"}`, "type", nil},
		{"domain with a space", `{"type":"t","domain":"a b"}`, "domain", nil},
		{"key with a control character", `{"type":"t","idempotency_key":"k\u0007"}`, "idempotency_key", nil},
		{"header key with a tab", `{"type":"t"}`, "Idempotency-Key", []string{"Idempotency-Key", "k\t1"}},
		{"header key not UTF-8", `{"type":"t"}`, "Idempotency-Key", []string{"Idempotency-Key", "k\xff"}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			st := b.open(t)
			h := server(t, st, nil)
			for _, tc := range cases {
				w := serve(h, http.MethodPost, "/api/v1/tasks", tc.body, tc.header...)
				require.Less(t, w.Code, 500, "%s: %s", tc.name, w.Body)
				var e httpapi.ErrorBody
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &e), tc.name)
				require.Equal(t, http.StatusBadRequest, w.Code, "%s: %s", tc.name, w.Body)
				require.Contains(t, e.Error.Message, tc.field, tc.name)
			}
			require.Empty(t, requireRenders(t, h), "a refused task was stored")
		})
	}
}

// TestListQueryRules: each list parameter has one strict rule; a value
// that breaks it is 400 naming the parameter. limit=+5 and limit=5000 used
// to answer 200 while limit=0 was 400.
func TestListQueryRules(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.create(t, `{"type":"t"}`)
	for _, q := range []string{
		"limit=1", "limit=50", "limit=1000", "status=queued", "status=queued,retry&status=created",
		"type=email.send", "domain=billing", "created_after=2020-01-02T15:04:05Z",
		"created_before=9999-12-31T23:59:59.999999Z",
	} {
		w := b.do(t, http.MethodGet, "/api/v1/tasks?"+q, "")
		require.Equal(t, http.StatusOK, w.Code, "%s: %s", q, w.Body)
	}
	for q, param := range map[string]string{
		"limit=%2B5": "limit", "limit=5000": "limit", "limit=1001": "limit", "limit=0": "limit",
		"limit=-1": "limit", "limit=05": "limit", "limit=%205": "limit", "limit=5%20": "limit",
		"limit=1e3": "limit", "limit=0x10": "limit", "limit=99999999999999999999": "limit", "limit=": "limit",
		"status=queued%20": "status", "status=queued,": "status", "status=Queued": "status", "status=": "status",
		"type=%20%20": "type", "type=a%00": "type", "type=a%1b%5b2J": "type", "type=": "type",
		"domain=a%20b": "domain", "domain=%ff": "domain",
		"created_after=yesterday": "created_after", "created_before=0000-01-01T00:00:00%2B23:59": "created_before",
		"cursor=": "cursor", "limit=5&limit=6": "limit",
	} {
		w := b.do(t, http.MethodGet, "/api/v1/tasks?"+q, "")
		e := requireError(t, w, http.StatusBadRequest, httpapi.CodeInvalidRequest)
		require.Contains(t, e.Message, param, q)
	}
}

// TestParamsLimitAPI: params are limited to Config.MaxParamsBytes
// (DefaultMaxParamsBytes by default), counted as sent; the error names
// params. A limit above the store's hard cap is a config error.
func TestParamsLimitAPI(t *testing.T) {
	t.Parallel()
	obj := func(n int) string { return `{"a":"` + strings.Repeat("x", n-len(`{"a":""}`)) + `"}` }
	for _, limit := range []int{0, 1000} {
		b := setup(t, func(c *httpapi.Config) { c.MaxParamsBytes = limit; c.MaxBodyBytes = 1 << 20 })
		want := limit
		if want == 0 {
			want = httpapi.DefaultMaxParamsBytes
		}
		b.create(t, `{"type":"t","params":`+obj(want)+`}`)
		e := requireError(t, b.do(t, http.MethodPost, "/api/v1/tasks", `{"type":"t","params":`+obj(want+1)+`}`),
			http.StatusBadRequest, httpapi.CodeInvalidRequest)
		require.Contains(t, e.Message, `"params" is larger than `)
	}
	st := memstore.New(memstore.Options{})
	for _, bad := range []int{-1, store.MaxParamsBytes + 1} {
		_, err := httpapi.New(httpapi.Config{Store: st, Enqueuer: httpapi.EnqueuerFunc(st.Create), MaxParamsBytes: bad})
		require.ErrorIs(t, err, httpapi.ErrInvalidConfig)
	}
}

// TestReadsRowsWrittenByHand: rows that no Create can store any more but
// that a PostgreSQL table may hold (written before the input contract, or
// by hand) never fail a read: each is rendered with the field it cannot
// render as the zero time (or left out) and named in "invalid", and the listing, GET, cancel, event
// stream, claim and dashboard all answer.
func TestReadsRowsWrittenByHand(t *testing.T) {
	t.Parallel()
	env := pgtest.New(t)
	st, err := pgstore.New(env.DB, pgstore.Options{Schema: env.Schema})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, st.Migrate(ctx))
	h := server(t, st, nil)
	good := decodeTask(t, serve(h, http.MethodPost, "/api/v1/tasks", `{"type":"good"}`), http.StatusCreated)

	rows := []struct {
		id, set, invalid string
	}{
		{"0190a0b0-0000-7000-8000-000000000001", `run_after = '10000-01-01 23:58:59+00'`, "run_after"},
		{"0190a0b0-0000-7000-8000-000000000002", `run_after = '0002-01-01 00:00:00+00 BC'`, "run_after"},
		{"0190a0b0-0000-7000-8000-000000000003", `run_after = 'infinity'`, "run_after"},
		{"0190a0b0-0000-7000-8000-000000000004", `status = 'completed', finished_at = 'infinity', started_at = '-infinity'`, "finished_at"},
		{"0190a0b0-0000-7000-8000-000000000005", `updated_at = '20000-06-01 00:00:00+00'`, "updated_at"},
		{"0190a0b0-0000-7000-8000-000000000006", `run_after = '-infinity'`, "run_after"},
	}
	for _, r := range rows {
		_, err := env.DB.ExecContext(ctx, `INSERT INTO `+env.Schema+`.tasks (id, type, status) VALUES ($1, 'odd', 'queued')`, r.id)
		require.NoError(t, err)
		_, err = env.DB.ExecContext(ctx, `UPDATE `+env.Schema+`.tasks SET `+r.set+` WHERE id = $1`, r.id)
		require.NoError(t, err)
	}

	got := requireRenders(t, h)
	require.Len(t, got, len(rows)+1)
	require.NotContains(t, got[good.ID], "invalid")
	for _, r := range rows {
		task := got[r.id]
		require.NotNil(t, task, r.id)
		require.Contains(t, task["invalid"], r.invalid, r.id)
		if v, ok := task[r.invalid]; ok {
			require.Equal(t, "0001-01-01T00:00:00Z", v, "%s: an invalid time is rendered as the zero time", r.id)
		}
	}

	// The -infinity task is due: a claim takes it instead of failing on it.
	claimed, err := st.Claim(ctx, "w", 10, time.Minute)
	require.NoError(t, err)
	ids := make([]string, len(claimed))
	for i, c := range claimed {
		ids[i] = c.ID
	}
	require.Contains(t, ids, rows[5].id)
	require.Contains(t, ids, good.ID)
	for _, c := range claimed {
		_, err := json.Marshal(c)
		require.NoError(t, err)
	}

	w := serve(h, http.MethodPost, "/api/v1/tasks/"+rows[0].id+"/cancel", "")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var cancelled map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &cancelled))
	require.Equal(t, "cancelled", cancelled["status"])
	require.Contains(t, cancelled["invalid"], "run_after")
	requireRenders(t, h)
}

// TestListFilterTextNoTaskHolds: a listing filter with text no task can
// hold (NUL, invalid UTF-8) is 400 on both stores, in the API and the
// dashboard; PostgreSQL used to fail on it with a 500.
func TestListFilterTextNoTaskHolds(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			h := server(t, b.open(t), nil)
			for _, q := range []string{"type=a%00", "domain=%ff", "type=a%00b&domain=x"} {
				for _, p := range []string{"/api/v1/tasks?", "/ui/tasks?"} {
					w := serve(h, http.MethodGet, p+q, "")
					require.Equal(t, http.StatusBadRequest, w.Code, "%s%s: %s", p, q, w.Body)
				}
			}
		})
	}
}
