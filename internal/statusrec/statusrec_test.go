package statusrec_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/statusrec"
)

func TestWriter(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	w := &statusrec.Writer{ResponseWriter: rec}
	_, err := w.Write([]byte("x"))
	require.NoError(t, err)
	w.WriteHeader(http.StatusTeapot) // too late: the first status stays
	require.Equal(t, http.StatusOK, w.Status)

	w = &statusrec.Writer{ResponseWriter: httptest.NewRecorder()}
	w.WriteHeader(http.StatusNotFound)
	require.Equal(t, http.StatusNotFound, w.Status)
	require.NoError(t, http.NewResponseController(w).Flush())
}
