package seedcoretest_test

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/seedcore/seedcore/internal/pgtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// lib/pq's listener connection goroutine may still be closing.
		goleak.IgnoreTopFunction("github.com/lib/pq.(*ListenerConn).listenerConnLoop"),
		goleak.Cleanup(pgtest.Exit),
	)
}

// recordingTB stands in for a *testing.T where a test checks that a helper
// fails (or skips) the test: it records the message and ends the calling
// goroutine as FailNow and SkipNow do. Call the helper through run.
// Cleanups run when the enclosing test ends, or at finish.
type recordingTB struct {
	testing.TB // nil outside a test: only the methods below are called

	mu       sync.Mutex
	failed   bool
	skipped  bool
	msg      string
	cleanups []func()
	print    bool // print messages (for Examples)
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Name() string { return "example" }

func (r *recordingTB) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	print := r.print
	r.mu.Unlock()
	if print {
		fmt.Println(r.msg)
	}
}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recordingTB) Skipf(format string, args ...any) {
	r.mu.Lock()
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

// run calls f in a goroutine of its own, as the testing package runs a
// test, and waits for it to return or to end with Fatalf or Skipf.
func (r *recordingTB) run(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

// finish runs the cleanups, last registered first.
func (r *recordingTB) finish() {
	r.mu.Lock()
	cs := r.cleanups
	r.cleanups = nil
	r.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
}

func (r *recordingTB) result() (failed, skipped bool, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed, r.skipped, r.msg
}
