package dashboard_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/taskqueue/dashboard"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

// TestLogsCarryNoPath: the dashboard's log lines name the route, never
// the request's path, which is the client's text.
func TestLogsCarryNoPath(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	b := setup(t, func(c *dashboard.Config) {
		c.Authorize = httpapi.BearerToken("s3cret")
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	const pii = "jane.doe@example.com"
	require.Equal(t, http.StatusUnauthorized, b.do(t, http.MethodGet, "/ui/tasks/"+pii, nil, nil).Code)
	require.Equal(t, http.StatusForbidden, b.do(t, http.MethodGet, "/ui/"+pii, nil, nil, "Authorization", "Bearer x").Code)
	require.Equal(t, http.StatusNotFound, b.do(t, http.MethodGet, "/ui/"+pii, nil, nil, "Authorization", "Bearer s3cret").Code)
	require.Contains(t, logs.String(), "dashboard: request not authorized")
	require.NotContains(t, logs.String(), "jane")
}
