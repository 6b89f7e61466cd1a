package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/pgstore"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

// TestDatabaseUnreachable: with a PostgreSQL store whose database refuses
// connections, creates, lists, lookups and changes answer 503 unavailable
// with Retry-After, not 500 internal.
func TestDatabaseUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	db, err := sqlx.Open("postgres", fmt.Sprintf("postgres://postgres@%s/test?sslmode=disable&connect_timeout=5", addr))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	st, err := pgstore.New(db, pgstore.Options{})
	require.NoError(t, err)
	api, err := httpapi.New(httpapi.Config{Store: st, Enqueuer: httpapi.EnqueuerFunc(st.Create)})
	require.NoError(t, err)
	b := &testBundle{api: api, h: api.Handler()}

	const id = "00000000-0000-4000-8000-000000000000"
	for _, rt := range []struct{ method, path, body string }{
		{http.MethodPost, "/api/v1/tasks", `{"type":"x"}`},
		{http.MethodGet, "/api/v1/tasks", ""},
		{http.MethodGet, "/api/v1/tasks/" + id, ""},
		{http.MethodPost, "/api/v1/tasks/" + id + "/cancel", ""},
		{http.MethodPost, "/api/v1/tasks/" + id + "/run", ""},
	} {
		w := b.do(t, rt.method, rt.path, rt.body)
		e := requireError(t, w, http.StatusServiceUnavailable, httpapi.CodeUnavailable)
		require.NotContains(t, e.Message, "refused", "%s %s", rt.method, rt.path)
		require.Equal(t, strconv.Itoa(int(httpapi.RetryAfter/time.Second)), w.Header().Get("Retry-After"), "%s %s", rt.method, rt.path)
	}
}

// TestUnavailableErrors: an enqueuer error wrapping store.ErrUnavailable
// or store.ErrClosed is a 503 with Retry-After, logged as a warning; any
// other error is a 500 without one.
func TestUnavailableErrors(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	b := setup(t, func(c *httpapi.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		c.Enqueuer = httpapi.EnqueuerFunc(func(_ context.Context, nt store.NewTask) (store.Task, bool, error) {
			switch nt.Type {
			case "down":
				return store.Task{}, false, fmt.Errorf("pgstore: create: %w: dial tcp: connection refused", store.ErrUnavailable)
			case "closed":
				return store.Task{}, false, fmt.Errorf("app: %w", store.ErrClosed)
			}
			return store.Task{}, false, errors.New("broken")
		})
	})
	for _, typ := range []string{"down", "closed"} {
		w := b.do(t, http.MethodPost, "/api/v1/tasks", `{"type":"`+typ+`"}`)
		requireError(t, w, http.StatusServiceUnavailable, httpapi.CodeUnavailable)
		require.Equal(t, "2", w.Header().Get("Retry-After"))
	}
	require.Contains(t, logs.String(), "level=WARN")
	require.Contains(t, logs.String(), "connection refused")
	w := b.do(t, http.MethodPost, "/api/v1/tasks", `{"type":"other"}`)
	requireError(t, w, http.StatusInternalServerError, httpapi.CodeInternal)
	require.Empty(t, w.Header().Get("Retry-After"))
}
