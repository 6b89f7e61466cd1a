package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/store"
)

// buildServer builds the example server once per test binary.
var buildServer = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "seedcore-server-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "server")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", &buildError{out: string(out), err: err}
	}
	return bin, nil
})

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// server is a running example server process.
type server struct {
	cmd  *exec.Cmd
	base string
	done chan error
	logs *strings.Builder
	mu   *sync.Mutex
}

var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

func startServer(t *testing.T, env ...string) *server {
	t.Helper()
	bin, err := buildServer()
	require.NoError(t, err)
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	s := &server{cmd: cmd, done: make(chan error, 1), logs: &strings.Builder{}, mu: &sync.Mutex{}}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.logs.WriteString(line + "\n")
			s.mu.Unlock()
			if m := listening.FindStringSubmatch(line); m != nil {
				addr <- m[1]
			}
		}
		s.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})
	select {
	case a := <-addr:
		s.base = "http://" + a
	case err := <-s.done:
		t.Fatalf("server exited: %v\n%s", err, s.logText())
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start\n%s", s.logText())
	}
	return s
}

func (s *server) logText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

func (s *server) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-s.done:
		require.NoError(t, err, "the server exits 0 after SIGTERM\n%s", s.logText())
	case <-time.After(40 * time.Second):
		t.Fatalf("server did not stop\n%s", s.logText())
	}
}

func (s *server) createTask(t *testing.T, body string) store.Task {
	t.Helper()
	resp, err := http.Post(s.base+"/api/v1/tasks", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(b))
	var task store.Task
	require.NoError(t, json.Unmarshal(b, &task))
	return task
}

func (s *server) get(t *testing.T, path string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(s.base + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (s *server) waitStatus(t *testing.T, id string, want store.Status) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, b := s.get(t, "/api/v1/tasks/"+id)
		require.Equal(t, http.StatusOK, code)
		var task store.Task
		require.NoError(t, json.Unmarshal(b, &task))
		if task.Status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s is %s, want %s", id, task.Status, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// streamStatuses reads the task's event stream to its end.
func (s *server) streamStatuses(t *testing.T, id string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/api/v1/tasks/"+id+"/events", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "text/event-stream", strings.Split(resp.Header.Get("Content-Type"), ";")[0])
	var statuses []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var task store.Task
			require.NoError(t, json.Unmarshal([]byte(data), &task))
			statuses = append(statuses, string(task.Status))
		}
	}
	return statuses
}

const testTask = `{"type":"test","description":"test task","run_immediately":true}`

// TestServerInMemory runs the binary on its default store.
func TestServerInMemory(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	code, body := s.get(t, "/health")
	require.Equal(t, http.StatusOK, code, string(body))
	code, _ = s.get(t, "/readyz")
	require.Equal(t, http.StatusOK, code)

	task := s.createTask(t, testTask)
	s.waitStatus(t, task.ID, store.StatusCompleted)
	statuses := s.streamStatuses(t, task.ID)
	require.NotEmpty(t, statuses)
	require.Equal(t, "completed", statuses[len(statuses)-1])

	// A stream opened before the task runs sees it move to completed.
	held := s.createTask(t, `{"type":"test","description":"later","run_immediately":false}`)
	got := make(chan []string, 1)
	go func() { got <- s.streamStatuses(t, held.ID) }()
	time.Sleep(100 * time.Millisecond) // let the stream open; the check below does not depend on it
	resp, err := http.Post(s.base+"/api/v1/tasks/"+held.ID+"/run", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	seen := <-got
	require.Equal(t, "completed", seen[len(seen)-1])
	s.stop(t)
}

func TestServerRefusesPublicAddressWithoutToken(t *testing.T) {
	t.Parallel()
	bin, err := buildServer()
	require.NoError(t, err)
	out, err := exec.Command(bin, "-addr", "0.0.0.0:0").CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(out), "without a token")
}

func TestServerToken(t *testing.T) {
	t.Parallel()
	s := startServer(t, "SEEDCORE_TOKEN=s3cret")
	code, _ := s.get(t, "/health")
	require.Equal(t, http.StatusOK, code)
	code, _ = s.get(t, "/api/v1/tasks")
	require.Equal(t, http.StatusUnauthorized, code)
	req, _ := http.NewRequest(http.MethodGet, s.base+"/api/v1/tasks", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	s.stop(t)
}

// TestServerPostgreSQL runs the binary on PostgreSQL through a proxy the
// test can cut: /readyz goes 503 while the database is unreachable and 200
// again after; SIGTERM lets a running task finish and exits 0.
func TestServerPostgreSQL(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	u, err := url.Parse(db.DSN)
	require.NoError(t, err)
	p := newProxy(t, u.Host)
	u.Host = p.addr()
	s := startServer(t, "DATABASE_URL="+u.String(), "SEEDCORE_SCHEMA="+db.Schema)

	task := s.createTask(t, testTask)
	s.waitStatus(t, task.ID, store.StatusCompleted)
	statuses := s.streamStatuses(t, task.ID)
	require.Equal(t, "completed", statuses[len(statuses)-1])

	code, _ := s.get(t, "/readyz")
	require.Equal(t, http.StatusOK, code)
	p.cut()
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body := s.get(t, "/readyz")
		if code == http.StatusServiceUnavailable {
			require.Contains(t, string(body), "store")
			break
		}
		require.True(t, time.Now().Before(deadline), "readyz stayed %d after the database connection was cut", code)
		time.Sleep(50 * time.Millisecond)
	}
	p.restore()
	deadline = time.Now().Add(20 * time.Second)
	for {
		code, _ := s.get(t, "/readyz")
		if code == http.StatusOK {
			break
		}
		require.True(t, time.Now().Before(deadline), "readyz did not recover")
		time.Sleep(50 * time.Millisecond)
	}

	// A task in flight at SIGTERM finishes during the drain.
	slow := s.createTask(t, `{"type":"sleep","description":"nap","params":{"ms":700}}`)
	s.waitStatus(t, slow.ID, store.StatusRunning)
	s.stop(t)
	var status string
	require.NoError(t, db.DB.Get(&status, `SELECT status FROM `+db.Schema+`.tasks WHERE id = $1`, slow.ID))
	require.Equal(t, "completed", status)
}

// proxy forwards TCP connections to PostgreSQL until cut.
type proxy struct {
	t      *testing.T
	target string
	ln     net.Listener
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]struct{}
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{t: t, target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	go p.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		p.cut()
	})
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		go pipe(c, up)
		go pipe(up, c)
	}
}

func pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
}

// cut closes every connection and refuses new ones.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.conns = map[net.Conn]struct{}{}
}

func (p *proxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}
