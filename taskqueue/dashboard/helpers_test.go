package dashboard_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/fakeclock"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
	"github.com/seedcore/seedcore/taskqueue/dashboard"
)

// waitTimeout bounds every wait in these tests.
const waitTimeout = 5 * time.Second

type testBundle struct {
	store *memstore.Store
	dash  *dashboard.Dashboard
	h     http.Handler
	clock *fakeclock.Clock
}

// setup returns a fresh memstore and a dashboard over it, both on a fake
// clock. mutate, when set, edits the config first.
func setup(t *testing.T, mutate func(*dashboard.Config)) *testBundle {
	t.Helper()
	clk := fakeclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	st := memstore.New(memstore.Options{Now: clk.Now})
	cfg := dashboard.Config{Store: st, Notifier: st, Now: clk.Now}
	if mutate != nil {
		mutate(&cfg)
	}
	d, err := dashboard.New(cfg)
	require.NoError(t, err)
	return &testBundle{store: st, dash: d, h: d.Handler(), clock: clk}
}

// create stores a task and returns it.
func (b *testBundle) create(t *testing.T, nt store.NewTask) store.Task {
	t.Helper()
	if nt.Type == "" {
		nt.Type = "test"
	}
	task, created, err := b.store.Create(context.Background(), nt)
	require.NoError(t, err)
	require.True(t, created)
	return task
}

// finish claims the task with the given id (it must be the only ready
// one) and ends it with kind.
func (b *testBundle) finish(t *testing.T, id string, kind store.OutcomeKind) {
	t.Helper()
	claimed, err := b.store.Claim(context.Background(), "w1", 1, time.Minute)
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	require.Equal(t, id, claimed[0].ID)
	out := store.Outcome{TaskID: id, Worker: "w1", Attempt: claimed[0].Attempts, Kind: kind}
	switch kind {
	case store.OutcomeComplete:
		out.Result = json.RawMessage(`{"ok":true,"n":3}`)
	default:
		out.Error = "boom <b>"
	}
	errs, err := b.store.Finish(context.Background(), []store.Outcome{out})
	require.NoError(t, err)
	require.NoError(t, errs[0])
}

// do serves one request; header holds name, value pairs.
func (b *testBundle) do(t *testing.T, method, path string, body url.Values, cookies []*http.Cookie, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	var r *http.Request
	if body != nil {
		r = httptest.NewRequest(method, path, strings.NewReader(body.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, path, nil)
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, r)
	return w
}

// get serves a GET and requires 200.
func (b *testBundle) get(t *testing.T, path string, header ...string) string {
	t.Helper()
	w := b.do(t, http.MethodGet, path, nil, nil, header...)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	return w.Body.String()
}

var tokenRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// session opens path (a page with an action form) as a new browser would
// and returns its session cookie and CSRF token.
func (b *testBundle) session(t *testing.T, path string) (*http.Cookie, string) {
	t.Helper()
	w := b.do(t, http.MethodGet, path, nil, nil)
	require.Equal(t, http.StatusOK, w.Code)
	var cookie *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == dashboard.SessionCookie {
			cookie = c
		}
	}
	require.NotNil(t, cookie, "no session cookie")
	m := tokenRE.FindStringSubmatch(w.Body.String())
	require.NotNil(t, m, "no CSRF token in the page")
	return cookie, m[1]
}

// status returns the stored status of the task id.
func (b *testBundle) status(t *testing.T, id string) store.Status {
	t.Helper()
	task, err := b.store.Get(context.Background(), id)
	require.NoError(t, err)
	return task.Status
}

// eventually fails the test unless cond holds within waitTimeout.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", waitTimeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
