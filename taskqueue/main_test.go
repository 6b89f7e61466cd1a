package taskqueue_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/seedcore/seedcore/internal/pgtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// database/sql keeps one opener goroutine per pool until Close; pools
		// are closed in t.Cleanup, after goleak's per-package check cannot see
		// them, so none is ignored here.
		// lib/pq's Listener may still be tearing down its connection goroutine
		// right after Close returns.
		goleak.IgnoreTopFunction("github.com/lib/pq.(*ListenerConn).listenerConnLoop"),
		goleak.Cleanup(pgtest.Exit),
	)
}
