package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/internal/proctest"
	"github.com/seedcore/seedcore/store"
)

func TestMain(m *testing.M) { pgtest.Exit(m.Run()) }

// server is a running example server.
type server struct {
	*proctest.Proc
	base string
}

func startServer(t *testing.T, env ...string) *server {
	t.Helper()
	p := proctest.Start(t, proctest.Build(t, "."), []string{"-addr", "127.0.0.1:0"}, env...)
	return &server{Proc: p, base: "http://" + p.Addr}
}

func (s *server) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, s.Stop(t, 40*time.Second), "the server exits 0 after SIGTERM\n%s", s.Logs())
}

// waitReady waits until /readyz answers 200: once every required service
// has started, which a loaded machine may take a moment to reach.
func (s *server) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body := s.get(t, "/readyz")
		if code == http.StatusOK {
			return
		}
		require.True(t, time.Now().Before(deadline), "readyz stayed %d: %s\n%s", code, body, s.Logs())
		time.Sleep(50 * time.Millisecond)
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

// processIDs lists the ids of the live processes (GET /api/v1/processes).
func (s *server) processIDs(t *testing.T) []int64 {
	t.Helper()
	code, body := s.get(t, "/api/v1/processes")
	require.Equal(t, http.StatusOK, code, "%s", body)
	var list struct {
		Processes []struct {
			ID int64 `json:"id"`
		} `json:"processes"`
	}
	require.NoError(t, json.Unmarshal(body, &list))
	ids := make([]int64, 0, len(list.Processes))
	for _, p := range list.Processes {
		ids = append(ids, p.ID)
	}
	return ids
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
	s.waitReady(t)

	task := s.createTask(t, testTask)
	s.waitStatus(t, task.ID, store.StatusCompleted)
	statuses := s.streamStatuses(t, task.ID)
	require.NotEmpty(t, statuses)
	code, body = s.get(t, "/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, string(body), `seedcore_tasks_completed_total{type="test"} 1`)
	code, body = s.get(t, "/ui/")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, string(body), "<html")
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

	// Types the dispatcher does not handle are counted as "other": a
	// client's type text never becomes a label, and junk types cannot push
	// the real ones out.
	for i := range 110 {
		s.createTask(t, fmt.Sprintf(`{"type":"junk-%d","run_immediately":false}`, i))
	}
	// No handler runs the type: the task waits, queued, for a process
	// that has one.
	secret := s.createTask(t, `{"type":"AKIAIOSFODNN7EXAMPLE-123-45-6789","run_immediately":true}`)
	s.waitStatus(t, s.createTask(t, testTask).ID, store.StatusCompleted)
	s.waitStatus(t, secret.ID, store.StatusQueued)
	code, body = s.get(t, "/metrics")
	require.Equal(t, http.StatusOK, code)
	require.NotContains(t, string(body), "AKIA")
	require.NotContains(t, string(body), "junk")
	require.Contains(t, string(body), `seedcore_tasks_created_total{type="other"} 111`)
	require.Contains(t, string(body), `seedcore_tasks_completed_total{type="test"} 3`)
	s.stop(t)
}

func TestServerRefusesPublicAddressWithoutToken(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(proctest.Build(t, "."), "-addr", "0.0.0.0:0").CombinedOutput()
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

	// The scheme is case-insensitive (RFC 9110).
	req.Header.Set("Authorization", "bearer s3cret")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// /metrics answers auth failures in the API's JSON error format.
	for _, tc := range []struct {
		auth string
		code int
		want string
	}{{"", http.StatusUnauthorized, "unauthorized"}, {"Bearer wrong", http.StatusForbidden, "forbidden"}} {
		req, _ := http.NewRequest(http.MethodGet, s.base+"/metrics", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, tc.code, resp.StatusCode)
		require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		var body struct {
			Error struct{ Code string } `json:"error"`
		}
		require.NoError(t, json.Unmarshal(b, &body), string(b))
		require.Equal(t, tc.want, body.Error.Code)
	}
	req, _ = http.NewRequest(http.MethodGet, s.base+"/metrics", nil)
	req.Header.Set("Authorization", "bearer s3cret")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(b), "seedcore_store_up 1")
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

	s.waitReady(t)
	before := s.processIDs(t)
	require.NotEmpty(t, before, "the worker has joined")
	p.cut()
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body := s.get(t, "/readyz")
		if code == http.StatusServiceUnavailable {
			require.Contains(t, string(body), `check \"store\" failed`)
			require.NotContains(t, string(body), "pgstore", "no driver text in /readyz")
			require.NotContains(t, string(body), "dial")
			break
		}
		require.True(t, time.Now().Before(deadline), "readyz stayed %d after the database connection was cut", code)
		time.Sleep(50 * time.Millisecond)
	}
	// While the database is unreachable, creates and lists answer 503
	// unavailable with Retry-After (they were 500 internal).
	for _, req := range []struct{ method, body string }{{http.MethodPost, testTask}, {http.MethodGet, ""}} {
		r, err := http.NewRequest(req.method, s.base+"/api/v1/tasks", strings.NewReader(req.body))
		require.NoError(t, err)
		r.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(r)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "%s: %s", req.method, b)
		require.Contains(t, string(b), `"code":"unavailable"`)
		require.NotEmpty(t, resp.Header.Get("Retry-After"))
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
	// The cut ended the worker's session too. It may notice only at its
	// next check, after /readyz is back, and then stops what it holds and
	// joins again: wait for that, so that the task below runs under the
	// new session.
	for {
		ids := s.processIDs(t)
		if len(ids) > 0 && !slices.ContainsFunc(ids, func(id int64) bool { return slices.Contains(before, id) }) {
			break
		}
		require.True(t, time.Now().Before(deadline), "the worker did not join again after the cut: %v\n%s", ids, s.Logs())
		time.Sleep(50 * time.Millisecond)
	}

	// A task in flight at SIGTERM finishes during the drain.
	slow := s.createTask(t, `{"type":"sleep","description":"nap","params":{"ms":700}}`)
	s.waitStatus(t, slow.ID, store.StatusRunning)
	s.stop(t)
	var status string
	require.NoError(t, db.DB.Get(&status, `SELECT status FROM `+db.Schema+`.tasks WHERE id = $1`, slow.ID))
	require.Equal(t, "completed", status, "%s", s.Logs())
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
