package dashboard_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// No goroutine may outlive the tests: Serve runs in goroutines the
	// tests wait for, test servers are closed in t.Cleanup, and the
	// browser test waits for Chromium and its App to stop.
	goleak.VerifyTestMain(m)
}
