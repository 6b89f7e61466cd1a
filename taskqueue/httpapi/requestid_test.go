package httpapi_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

// TestRequestIDFormat: a client's X-Request-ID is kept only when it is 1
// to 64 characters of [A-Za-z0-9._-]; anything else is replaced by a
// generated id and never reaches the log.
func TestRequestIDFormat(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	b := setup(t, func(c *httpapi.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	for _, good := range []string{"a", "req-1.A_b", strings.Repeat("x", httpapi.MaxRequestIDLen), "0123456789abcdef"} {
		got := b.do(t, http.MethodGet, "/health", "", "X-Request-ID", good).Header().Get("X-Request-ID")
		require.Equal(t, good, got)
	}
	bads := []string{
		strings.Repeat("x", httpapi.MaxRequestIDLen+1),
		"jane.doe@example.com",
		`a"b`,
		"x=1",
		"a b",
		"level=ERROR",
		"id/../../etc",
		"caf\u00e9",
		"<script>",
		"a\tb",
	}
	for _, bad := range bads {
		got := b.do(t, http.MethodGet, "/api/v1/tasks", "", "X-Request-ID", bad).Header().Get("X-Request-ID")
		require.NotEqual(t, bad, got)
		require.Len(t, got, 32)
		require.NotContains(t, logs.String(), bad)
	}
	require.Contains(t, logs.String(), "request_id=req-1.A_b")
}
