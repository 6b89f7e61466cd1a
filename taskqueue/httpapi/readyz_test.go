package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

// reasonsError is a readiness error that can name its reasons, as
// supervisor's do.
type reasonsError struct{ reasons []string }

func (e reasonsError) Error() string {
	return "not ready: check \"store\": pq: password authentication failed for user \"app\" at 10.0.0.7"
}
func (e reasonsError) Reasons() []string { return e.reasons }

// TestReadyzHidesErrorText: /readyz names what is not ready but never
// sends the error's text (a driver's message can name hosts and users);
// the text is logged.
func TestReadyzHidesErrorText(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var readyErr error
	b := setup(t, func(c *httpapi.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		c.Ready = func(context.Context) error { return readyErr }
	})
	readyErr = reasonsError{reasons: []string{`service "workers" is restarting`, `check "store" failed`}}
	w := b.do(t, http.MethodGet, "/readyz", "")
	e := requireError(t, w, http.StatusServiceUnavailable, httpapi.CodeNotReady)
	require.Equal(t, `not ready: service "workers" is restarting; check "store" failed`, e.Message)
	require.NotContains(t, w.Body.String(), "password")
	require.NotContains(t, w.Body.String(), "10.0.0.7")
	require.Contains(t, logs.String(), "password authentication failed", "the text is logged")

	// A wrapped error with reasons is found; one without sends none.
	readyErr = errors.Join(errors.New("pq: secret detail"), reasonsError{reasons: []string{`check "store" failed`}})
	e = requireError(t, b.do(t, http.MethodGet, "/readyz", ""), http.StatusServiceUnavailable, httpapi.CodeNotReady)
	require.Equal(t, `not ready: check "store" failed`, e.Message)
	readyErr = errors.New("dial tcp 10.0.0.7:5432: connection refused")
	e = requireError(t, b.do(t, http.MethodGet, "/readyz", ""), http.StatusServiceUnavailable, httpapi.CodeNotReady)
	require.Equal(t, "not ready", e.Message)
}
