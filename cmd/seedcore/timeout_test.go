package main

import (
	"bytes"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/eventizer"
	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/internal/proctest"
	"github.com/seedcore/seedcore/internal/syncbuf"
)

// TestListTimeoutSilentDatabase: `seedcore list -timeout 1s` against a
// database server that accepts the connection and never answers fails
// (exit 1) at its time limit and says so. Before, it hung in the driver's
// start-up exchange whatever -timeout said.
func TestListTimeoutSilentDatabase(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Silent(t)
	// The command compiles the default eventizer pack before it connects,
	// once per process: compile it first, so that the bound below is the
	// connection's and not the compile's, which takes seconds under the
	// race detector on a loaded machine.
	_, err := eventizer.New(eventizer.Options{})
	require.NoError(t, err)
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

// TestServeSignalWhileConnecting: `seedcore serve` whose database accepts
// the connection and never answers (with no connect timeout, so only the
// signal can end the attempt) ends at SIGINT and at SIGTERM with exit
// status 0, as an interrupt at any other time. Before, it stayed blocked
// in the driver's start-up exchange, alive 600 s after the signal; then
// it ended with exit status 1.
func TestServeSignalWhileConnecting(t *testing.T) {
	t.Parallel()
	bin := proctest.Build(t, ".")
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(bin, "serve", "-addr", "127.0.0.1:0", "-db", pgtest.Silent(t)+"&connect_timeout=0")
			var stderr syncbuf.Buffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			exited := make(chan struct{})
			go func() { _ = cmd.Wait(); close(exited) }()
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-exited
			})
			select {
			case <-exited:
				t.Fatalf("serve ended before the signal: %s\n%s", cmd.ProcessState, stderr.String())
			case <-time.After(time.Second): // connecting, and stuck there
			}
			require.NoError(t, cmd.Process.Signal(sig))
			const bound = 20 * time.Second // correctness, not speed
			select {
			case <-exited:
				require.Equal(t, exitOK, cmd.ProcessState.ExitCode(), stderr.String())
				require.Contains(t, stderr.String(), "stopped before serving", "serve says it stopped")
			case <-time.After(bound):
				t.Fatalf("serve still running %s after %s\n%s", bound, sig, stderr.String())
			}
		})
	}
}
