package pgtest

import (
	"bytes"
	"runtime"
	"testing"
)

// TestURLCountsSkips: without the variable (and without CI) URL skips the
// test and counts the skip, so Report can name the total.
func TestURLCountsSkips(t *testing.T) {
	t.Setenv(EnvVar, "")
	t.Setenv("CI", "")
	before := Skipped()
	var sub *testing.T
	t.Run("without database", func(t *testing.T) {
		sub = t
		URL(t)
		t.Error("URL returned without the variable set")
	})
	if !sub.Skipped() {
		t.Fatal("URL did not skip the test")
	}
	if got := Skipped() - before; got != 1 {
		t.Fatalf("Skipped grew by %d, want 1", got)
	}
	var buf bytes.Buffer
	Report(&buf)
	if buf.Len() == 0 {
		t.Fatal("Report wrote nothing after a skip")
	}

	// With the variable set, the skips were deliberate: no advice to set it.
	t.Setenv(EnvVar, exampleURL)
	buf.Reset()
	Report(&buf)
	if buf.Len() != 0 {
		t.Fatalf("Report with %s set wrote %q, want nothing", EnvVar, buf.String())
	}
}

// TestURLUnderCIDoesNotCount: under CI a missing variable fails the test,
// so nothing is skipped and nothing is counted.
func TestURLUnderCIDoesNotCount(t *testing.T) {
	t.Setenv(EnvVar, "")
	t.Setenv("CI", "true")
	before := Skipped()
	ft := &fatalTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		URL(ft)
	}()
	<-done
	if !ft.failed {
		t.Fatal("URL did not fail the test under CI")
	}
	if got := Skipped() - before; got != 0 {
		t.Fatalf("Skipped grew by %d under CI, want 0", got)
	}
}

// fatalTB records Fatalf and ends its goroutine the way FailNow does.
type fatalTB struct {
	testing.TB // nil: only the methods below are called
	failed     bool
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(string, ...any) {
	f.failed = true
	runtime.Goexit()
}
func (f *fatalTB) Skipf(string, ...any) { runtime.Goexit() }

// TestReport pins the line: nothing without skips, a count with the
// variable and an example URL otherwise, singular for one.
func TestReport(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		{0, ""},
		{-1, ""},
		{1, "seedcore: 1 PostgreSQL test skipped; set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run them\n"},
		{37, "seedcore: 37 PostgreSQL tests skipped; set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run them\n"},
	} {
		var buf bytes.Buffer
		report(&buf, tc.n)
		if buf.String() != tc.want {
			t.Errorf("report(%d) = %q, want %q", tc.n, buf.String(), tc.want)
		}
	}
}
