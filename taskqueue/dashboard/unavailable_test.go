package dashboard_test

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store/pgstore"
	"github.com/seedcore/seedcore/taskqueue/dashboard"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

// TestStoreUnreachable: with a PostgreSQL store whose database refuses
// connections, the pages answer 503 with Retry-After, not 500.
func TestStoreUnreachable(t *testing.T) {
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
	b := setup(t, func(c *dashboard.Config) { c.Store = st; c.Notifier = nil })
	for _, path := range []string{"/ui/tasks", "/ui/tasks/00000000-0000-4000-8000-000000000000"} {
		w := b.do(t, http.MethodGet, path, nil, nil)
		require.Equal(t, http.StatusServiceUnavailable, w.Code, "%s: %s", path, w.Body.String())
		require.Equal(t, strconv.Itoa(int(httpapi.RetryAfter/time.Second)), w.Header().Get("Retry-After"), path)
	}
}
