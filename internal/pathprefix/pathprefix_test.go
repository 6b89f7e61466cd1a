package pathprefix_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/pathprefix"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"/api/v1", "/ui", "/a-b_c.d~e"} {
		require.NoError(t, pathprefix.Check(ok), ok)
	}
	for _, bad := range []string{"", "/", "api", "/api/", "//x", "/a/./b", "/a/../b", "/a b", "/a%20"} {
		require.Error(t, pathprefix.Check(bad), bad)
	}
}
