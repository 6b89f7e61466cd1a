package chaos

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/store/pgstore"
)

// workerOpts are the flags of one worker process.
type workerOpts struct {
	concurrency int
	lease       time.Duration
	drain       time.Duration
	offset      time.Duration
	durMin      time.Duration
	durMax      time.Duration
	poll        time.Duration
	rescue      time.Duration // the lease sweep's interval; 0: the worker's default
	noMember    bool          // run without taskqueue.Member: every worker sweeps, no leader
	schedule    string        // cron spec of the leader's "tick" schedule; "" for none
}

func (o workerOpts) args() []string {
	var extra []string
	if o.rescue > 0 {
		extra = append(extra, "-rescue", o.rescue.String())
	}
	if o.noMember {
		extra = append(extra, "-member=false")
	}
	if o.schedule != "" {
		extra = append(extra, "-schedule", o.schedule)
	}
	return append(extra,
		"-concurrency", fmt.Sprint(o.concurrency),
		"-lease", o.lease.String(),
		"-drain", o.drain.String(),
		"-clock-offset", o.offset.String(),
		"-dur-min", o.durMin.String(),
		"-dur-max", o.durMax.String(),
		"-poll", o.poll.String(),
	)
}

// proc is one worker process.
type proc struct {
	name    string // worker name: lease holder and application_name
	logPath string
	errPath string
	opts    workerOpts
	cmd     *exec.Cmd
	started time.Time
	done    chan struct{} // closed once the process has been reaped
	waitErr error         // set before done is closed
}

// exited reports whether the process has been reaped.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits up to d for the process to exit and returns its exit code
// (-1 for death by signal); it fails the test on timeout.
func (p *proc) wait(t testing.TB, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		t.Fatalf("worker %s did not exit within %s", p.name, d)
	}
	return p.cmd.ProcessState.ExitCode()
}

func (p *proc) signal(t testing.TB, s syscall.Signal) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(s), "signal %s to %s", s, p.name)
}

// cluster runs worker processes against one test schema.
type cluster struct {
	t     testing.TB
	env   *pgtest.Env
	store *pgstore.Store
	bin   string
	dir   string

	mu    sync.Mutex
	seq   int
	procs []*proc // every process ever started, in start order
}

// newCluster gives t a migrated schema and a way to run workers on it.
func newCluster(t testing.TB) *cluster {
	t.Helper()
	env := pgtest.New(t) // skips the test without a database
	bin := worker(t)
	st, err := pgstore.New(env.DB, pgstore.Options{Schema: env.Schema})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, st.Migrate(ctx))
	dir := t.TempDir()
	if *keepLogs {
		dir = filepath.Join(buildDir, strings.ReplaceAll(t.Name(), "/", "_"))
		require.NoError(t, os.MkdirAll(dir, 0o755))
		t.Logf("worker logs kept in %s", dir)
	}
	c := &cluster{t: t, env: env, store: st, bin: bin, dir: dir}
	// Registered after pgtest's cleanup, so it runs first: no worker is
	// left running (or unreaped) when the schema is dropped.
	t.Cleanup(c.killAll)
	return c
}

// start starts a new worker process.
func (c *cluster) start(opts workerOpts) *proc {
	c.t.Helper()
	c.mu.Lock()
	c.seq++
	name := fmt.Sprintf("%s_w%d", c.env.Schema, c.seq)
	c.mu.Unlock()
	p := &proc{
		name:    name,
		logPath: filepath.Join(c.dir, name+".log"),
		errPath: filepath.Join(c.dir, name+".stderr"),
		opts:    opts,
		done:    make(chan struct{}),
	}
	stderr, err := os.Create(p.errPath)
	require.NoError(c.t, err)
	args := append([]string{"-schema", c.env.Schema, "-name", name, "-log", p.logPath}, opts.args()...)
	p.cmd = exec.Command(c.bin, args...)
	p.cmd.Env = append(os.Environ(), "CHAOS_DSN="+c.env.DSN)
	p.cmd.Stdout, p.cmd.Stderr = stderr, stderr
	require.NoError(c.t, p.cmd.Start(), "start worker %s", name)
	p.started = time.Now()
	go func() {
		p.waitErr = p.cmd.Wait()
		_ = stderr.Close()
		close(p.done)
	}()
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	return p
}

// live returns the processes not yet reaped.
func (c *cluster) live() []*proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*proc
	for _, p := range c.procs {
		if !p.exited() {
			out = append(out, p)
		}
	}
	return out
}

// all returns every process ever started.
func (c *cluster) all() []*proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*proc(nil), c.procs...)
}

// kill SIGKILLs p and waits until it is reaped.
func (c *cluster) kill(p *proc) {
	c.t.Helper()
	_ = p.cmd.Process.Kill()
	p.wait(c.t, 10*time.Second)
}

func (c *cluster) killAll() {
	for _, p := range c.all() {
		if !p.exited() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
}

// cut terminates every database connection of the given workers, chosen
// by their application_name (which only this test's workers carry), and
// returns how many it ended.
func (c *cluster) cut(ps []*proc) int {
	c.t.Helper()
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.name
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int
	err := c.env.DB.GetContext(ctx, &n, `SELECT count(*) FROM (
		SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = ANY($1) AND pid <> pg_backend_pid()) x`, pq.StringArray(names))
	require.NoError(c.t, err)
	return n
}

// waitIdle waits until none of p's database sessions (chosen by its
// application_name) is running a statement or holds a transaction open.
func (c *cluster) waitIdle(p *proc) {
	c.t.Helper()
	eventually(c.t, 10*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var n int
		err := c.env.DB.GetContext(ctx, &n, `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = $1 AND state IS DISTINCT FROM 'idle'`, p.name)
		return err == nil && n == 0
	}, "worker %s's sessions never went idle", p.name)
}

// logs reads the event log of every process ever started, by worker name.
func (c *cluster) logs() (map[string][]Record, int) {
	c.t.Helper()
	out := make(map[string][]Record)
	torn := 0
	for _, p := range c.all() {
		recs, n, err := ReadLog(p.logPath)
		if errors.Is(err, fs.ErrNotExist) {
			continue // killed before it opened its log
		}
		require.NoError(c.t, err)
		out[p.name] = recs
		torn += n
	}
	return out, torn
}

// stderrTail returns the last lines of p's stderr, for failure messages.
func stderrTail(p *proc, n int) string {
	b, err := os.ReadFile(p.errPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// eventually polls cond every 20ms until it holds or timeout passes, then
// fails the test with msg.
func eventually(t testing.TB, timeout time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s: "+msg, append([]any{timeout}, args...)...)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
