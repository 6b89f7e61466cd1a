package httpmw_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/httpmw"
)

// serve routes /items/{id} through a ServeMux to h wrapped with o, so
// r.Pattern is set as in the module's handlers, and returns the response
// and the log.
func serve(t *testing.T, o httpmw.Options, h http.HandlerFunc, path string, header ...string) (*httptest.ResponseRecorder, string) {
	t.Helper()
	var logs bytes.Buffer
	o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mux := http.NewServeMux()
	mux.Handle("GET /items/{id}", httpmw.Wrap(o, h))
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec, logs.String()
}

func TestValidRequestID(t *testing.T) {
	t.Parallel()
	for _, good := range []string{"a", "req-1.A_b", strings.Repeat("x", httpmw.MaxRequestIDLen), "0123456789abcdef"} {
		require.True(t, httpmw.ValidRequestID(good), good)
	}
	for _, bad := range []string{"", strings.Repeat("x", httpmw.MaxRequestIDLen+1), "jane.doe@example.com",
		`a"b`, "x=1", "a b", "id/../etc", "caf\u00e9", "<script>", "a\tb", "a\nb"} {
		require.False(t, httpmw.ValidRequestID(bad), bad)
	}
}

// TestRequestID: a valid client id is kept, echoed and logged; an invalid
// one is replaced by 32 hex digits and never reaches the log.
func TestRequestID(t *testing.T) {
	t.Parallel()
	o := httpmw.Options{Name: "test", RequestIDs: true}
	var seen string
	h := func(w http.ResponseWriter, r *http.Request) { seen = httpmw.RequestID(r) }

	rec, logs := serve(t, o, h, "/items/1", httpmw.RequestIDHeader, "req-1.A_b")
	require.Equal(t, "req-1.A_b", rec.Header().Get(httpmw.RequestIDHeader))
	require.Equal(t, "req-1.A_b", seen)
	require.Contains(t, logs, "request_id=req-1.A_b")

	rec, logs = serve(t, o, h, "/items/1", httpmw.RequestIDHeader, "level=ERROR x")
	got := rec.Header().Get(httpmw.RequestIDHeader)
	require.Len(t, got, 32)
	require.Equal(t, got, seen)
	require.NotContains(t, logs, "level=ERROR x")
	require.Contains(t, logs, "request_id="+got)

	_, _ = serve(t, o, h, "/items/1")
	require.Len(t, seen, 32)
}

// TestNoRequestID: with RequestIDs off no id is set, echoed or logged.
func TestNoRequestID(t *testing.T) {
	t.Parallel()
	seen := "unset"
	rec, logs := serve(t, httpmw.Options{Name: "test"}, func(w http.ResponseWriter, r *http.Request) {
		seen = httpmw.RequestID(r)
	}, "/items/1", httpmw.RequestIDHeader, "abc")
	require.Empty(t, seen)
	require.Empty(t, rec.Header().Get(httpmw.RequestIDHeader))
	require.NotContains(t, logs, "request_id")
}

// TestRequestLog: one Debug line per request with the method, the route
// (never the raw path) and the status written.
func TestRequestLog(t *testing.T) {
	t.Parallel()
	rec, logs := serve(t, httpmw.Options{Name: "test"}, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}, "/items/secret-client-text")
	require.Equal(t, http.StatusTeapot, rec.Code)
	require.Equal(t, 1, strings.Count(logs, "\n"), logs)
	require.Contains(t, logs, `level=DEBUG msg="test: request" method=GET route="GET /items/{id}" status=418 duration=`)
	require.NotContains(t, logs, "secret-client-text")

	// A body without a status is a 200.
	_, logs = serve(t, httpmw.Options{Name: "test"}, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok"))
	}, "/items/1")
	require.Contains(t, logs, "status=200")
}

// TestPanic: a panic is logged with the route and answered by OnPanic when
// nothing was written; after a status, OnPanic is not called.
func TestPanic(t *testing.T) {
	t.Parallel()
	calls := 0
	o := httpmw.Options{Name: "test", RequestIDs: true, OnPanic: func(w http.ResponseWriter, r *http.Request) {
		calls++
		require.NotEmpty(t, httpmw.RequestID(r))
		w.WriteHeader(http.StatusInternalServerError)
	}}
	rec, logs := serve(t, o, func(http.ResponseWriter, *http.Request) { panic("boom") }, "/items/1")
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.Equal(t, 1, calls)
	require.Contains(t, logs, `level=ERROR msg="test: handler panicked" request_id=`)
	require.Contains(t, logs, `route="GET /items/{id}" panic=boom`)
	require.Contains(t, logs, "status=500")

	rec, logs = serve(t, o, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		panic("late")
	}, "/items/1")
	require.Equal(t, http.StatusAccepted, rec.Code)
	require.Equal(t, 1, calls, "OnPanic after a status was written")
	require.Contains(t, logs, "panic=late")
	require.Contains(t, logs, "status=202")
}

// TestAbortHandlerPassesThrough: http.ErrAbortHandler is net/http's way to
// abort a response; it is re-panicked, not logged or answered.
func TestAbortHandlerPassesThrough(t *testing.T) {
	t.Parallel()
	called := false
	var logs bytes.Buffer
	h := httpmw.Wrap(httpmw.Options{
		Name:    "test",
		Logger:  slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnPanic: func(http.ResponseWriter, *http.Request) { called = true },
	}, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	require.PanicsWithError(t, http.ErrAbortHandler.Error(), func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	})
	require.False(t, called)
	require.NotContains(t, logs.String(), "panicked")
}

// TestFlushReachesServer: the status recorder handed to h still lets
// http.ResponseController flush the server's writer.
func TestFlushReachesServer(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	h := httpmw.Wrap(httpmw.Options{Name: "test", Logger: slog.New(slog.DiscardHandler)},
		http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			require.NoError(t, http.NewResponseController(w).Flush())
		}))
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	require.True(t, rec.Flushed)
}
