package dashboard_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// No goroutine may outlive the tests: Serve runs in goroutines the
	// tests wait for, and test servers are closed in t.Cleanup.
	goleak.VerifyTestMain(m)
}
