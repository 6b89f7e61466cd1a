package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/pgtest"
)

// TestListTimeoutSilentDatabase: `seedcore list -timeout 1s` against a
// database server that accepts the connection and never answers fails
// (exit 1) at its time limit and says so. Before, it hung in the driver's
// start-up exchange whatever -timeout said.
func TestListTimeoutSilentDatabase(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Silent(t)
	type result struct {
		code   int
		stderr string
	}
	done := make(chan result, 1)
	go func() {
		var out, errOut bytes.Buffer
		code := run([]string{"list", "-db", dsn, "-timeout", "1s"}, &out, &errOut)
		done <- result{code, errOut.String()}
	}()
	const bound = 20 * time.Second // correctness, not speed
	select {
	case r := <-done:
		require.Equal(t, exitFailure, r.code, r.stderr)
		require.Contains(t, r.stderr, "seedcore list: gave up at the time limit (-timeout 1s)")
	case <-time.After(bound):
		t.Fatalf("seedcore list -timeout 1s still running after %s", bound)
	}
}
