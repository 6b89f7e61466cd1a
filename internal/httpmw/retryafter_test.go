package httpmw_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/httpmw"
)

// TestSetRetryAfter: the header carries RetryAfter in whole seconds.
func TestSetRetryAfter(t *testing.T) {
	h := http.Header{}
	httpmw.SetRetryAfter(h)
	require.Equal(t, strconv.Itoa(int(httpmw.RetryAfter/time.Second)), h.Get("Retry-After"))
}

// TestRetryAfterOneSource: the handlers that answer 503 (the HTTP API and
// the dashboard) set Retry-After only through [httpmw.SetRetryAfter], so
// their values cannot drift apart.
func TestRetryAfterOneSource(t *testing.T) {
	for _, dir := range []string{"../../taskqueue/httpapi", "../../taskqueue/dashboard"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		require.NotEmpty(t, files, dir)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			require.NoError(t, err)
			// A header set or added by name: `"Retry-After",` as an argument.
			require.False(t, strings.Contains(string(src), `"Retry-After",`), "%s sets Retry-After itself; use httpmw.SetRetryAfter", f)
		}
	}
}
