// Package proctest builds and runs the module's example programs as real
// processes for end-to-end tests.
package proctest

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildMu sync.Mutex
	built   = map[string]string{}
)

// Build compiles the main package in dir (relative to the test's working
// directory, "." for the package under test) once per test binary and
// returns the executable's path.
func Build(t testing.TB, dir string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if bin, ok := built[dir]; ok {
		return bin
	}
	out, err := os.MkdirTemp("", "seedcore-bin-")
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(out, filepath.Base(abs))
	if b, err := exec.Command("go", "build", "-o", bin, dir).CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", dir, err, b)
	}
	built[dir] = bin
	return bin
}

// Proc is a running program.
type Proc struct {
	Cmd *exec.Cmd
	// Addr is the address the program logged as "msg=listening addr=...".
	Addr string

	done chan error
	mu   sync.Mutex
	logs strings.Builder
}

var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

// Start runs bin with args and extra environment, waits until it logs
// "msg=listening addr=HOST:PORT" on stderr, and kills it at the end of the
// test unless it was stopped before.
func Start(t testing.TB, bin string, args []string, env ...string) *Proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Proc{Cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs.WriteString(line + "\n")
			p.mu.Unlock()
			if m := listening.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case a := <-addr:
		p.Addr = a
	case err := <-p.done:
		t.Fatalf("%s exited: %v\n%s", bin, err, p.Logs())
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not start\n%s", bin, p.Logs())
	}
	return p
}

// Logs returns what the program wrote to stderr so far.
func (p *Proc) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// Stop sends SIGTERM and waits up to timeout for the program to exit; it
// returns the exit error (nil for exit status 0).
func (p *Proc) Stop(t testing.TB, timeout time.Duration) error {
	t.Helper()
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		return err
	case <-time.After(timeout):
		t.Fatalf("%s did not stop within %s\n%s", p.Cmd.Path, timeout, p.Logs())
		return nil
	}
}

// WaitJSON polls GET url until decode(body) reports done, or fails the
// test after timeout.
func WaitJSON(t testing.TB, url string, timeout time.Duration, done func(body []byte) bool) []byte {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(url)
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil && resp.StatusCode == http.StatusOK && done(b) {
				return b
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: condition not met within %s", url, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
