package httpapi_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

func TestBearerToken(t *testing.T) {
	t.Parallel()
	check := httpapi.BearerToken("s3cret")
	r := httptest.NewRequest("GET", "/", nil)
	require.ErrorIs(t, check(r), httpapi.ErrUnauthorized)
	r.Header.Set("Authorization", "Bearer nope")
	require.ErrorIs(t, check(r), httpapi.ErrForbidden)
	r.Header.Set("Authorization", "Bearer s3cret")
	require.NoError(t, check(r))
}

// TestBearerSchemeCaseInsensitive: RFC 9110 makes the auth scheme
// case-insensitive, with one or more spaces before the credentials; the
// token itself is compared exactly.
func TestBearerSchemeCaseInsensitive(t *testing.T) {
	t.Parallel()
	check := httpapi.BearerToken("s3cret")
	for _, ok := range []string{"bearer s3cret", "BEARER s3cret", "bEaReR s3cret", "Bearer   s3cret"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", ok)
		require.NoError(t, check(r), ok)
	}
	for _, bad := range []string{"bearer S3CRET", "Basic s3cret", "Bearers3cret", "s3cret", "Bearer s3cret x", "Bearer", "Bearer s3cre"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", bad)
		require.ErrorIs(t, check(r), httpapi.ErrForbidden, bad)
	}
	// An empty token lets nothing through.
	empty := httpapi.BearerToken("")
	for _, v := range []string{"Bearer", "Bearer ", "bearer"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", v)
		require.Error(t, empty(r), v)
	}
}

// TestGuard: a host's own route behind API.Guard answers auth failures
// with the API's JSON error bodies and a request id.
func TestGuard(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	b := setup(t, func(c *httpapi.Config) {
		c.Authorize = httpapi.BearerToken("s3cret")
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	h := b.api.Guard(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("metrics here\n"))
	}))
	serve := func(auth string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := serve("")
	requireError(t, w, http.StatusUnauthorized, httpapi.CodeUnauthorized)
	require.Len(t, w.Header().Get("X-Request-ID"), 32)
	requireError(t, serve("Bearer wrong"), http.StatusForbidden, httpapi.CodeForbidden)
	w = serve("bearer s3cret")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "metrics here\n", w.Body.String())
	require.False(t, json.Valid(w.Body.Bytes()))
	require.True(t, strings.Contains(logs.String(), "httpapi: request"), "guarded requests are logged")
}
