package seedcore_test

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestModuleHygiene: the library's go.mod declares the oldest supported Go
// release (1.25), so a project on it can import the module without a
// toolchain switch, and it requires nothing that only a test of its own
// needs (the browser driver lives in taskqueue/dashboard/browsertest,
// River in bench), nor OpenTelemetry, which only the otelseed module
// requires.
func TestModuleHygiene(t *testing.T) {
	t.Parallel()
	f, err := os.Open("go.mod")
	require.NoError(t, err)
	defer f.Close()
	var goLine string
	var required []string
	inRequire := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 0:
		case fields[0] == "go" && len(fields) == 2:
			goLine = fields[1]
		case fields[0] == "require" && len(fields) == 2 && fields[1] == "(":
			inRequire = true
		case fields[0] == ")":
			inRequire = false
		case fields[0] == "require" && len(fields) >= 3:
			required = append(required, fields[1])
		case inRequire:
			required = append(required, fields[0])
		}
	}
	require.NoError(t, sc.Err())
	require.Equal(t, "1.25.0", goLine, "the go directive is the oldest release the code needs")
	require.NotEmpty(t, required)
	for _, m := range required {
		for _, testOnly := range []string{"github.com/chromedp/", "github.com/riverqueue/", "github.com/jackc/", "go.opentelemetry.io/"} {
			require.False(t, strings.HasPrefix(m, testOnly), "the library requires %s", m)
		}
	}
}
