package httpapi_test

import (
	"net/http/httptest"
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
