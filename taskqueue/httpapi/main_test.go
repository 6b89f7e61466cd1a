package httpapi_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/seedcore/seedcore/internal/pgtest"
)

func TestMain(m *testing.M) {
	// No goroutine may outlive the tests: event streams run in their
	// request's goroutine and test servers are closed in t.Cleanup.
	goleak.VerifyTestMain(m, goleak.Cleanup(pgtest.Exit))
}
