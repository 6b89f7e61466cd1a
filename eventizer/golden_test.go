package eventizer

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestGolden analyses each testdata/*.txt and compares the whole Result, as
// stored JSON, with testdata/*.golden. Run with -update to accept changes.
func TestGolden(t *testing.T) {
	t.Parallel()
	a := newDefault(t)
	inputs, err := filepath.Glob("testdata/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			t.Parallel()
			text, err := os.ReadFile(in)
			require.NoError(t, err)
			got, err := json.MarshalIndent(a.Analyze(string(text)), "", "  ")
			require.NoError(t, err)
			got = append(got, '\n')
			golden := strings.TrimSuffix(in, ".txt") + ".golden"
			if *update {
				require.NoError(t, os.WriteFile(golden, got, 0o644))
				return
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -run TestGolden -update to create it")
			require.Equal(t, string(want), string(got))
			require.True(t, bytes.Equal(want, got))
		})
	}
}
