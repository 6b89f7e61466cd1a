package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

// chaosConfig is one mode of TestChaos.
type chaosConfig struct {
	mode      string
	tasks     int           // enqueued at a steady rate over run
	workers   int           // worker processes alive at any time
	run       time.Duration // enqueueing and faults
	killEvery time.Duration // a SIGKILL (and a replacement) this often
	cuts      int           // connection cuts, spread over run
	stops     int           // SIGSTOPs, each for stopFor, spread over run
	worker    workerOpts
	drainMax  time.Duration // bound on the wait for the queue to drain
}

func (c chaosConfig) stopFor() time.Duration { return 3 * c.worker.lease }

var (
	shortChaos = chaosConfig{
		mode: "short", tasks: 2000, workers: 3, run: 20 * time.Second,
		killEvery: 2 * time.Second, cuts: 2, stops: 1,
		drainMax: time.Minute,
	}
	longChaos = chaosConfig{
		mode: "long", tasks: 20000, workers: 4, run: 2 * time.Minute,
		killEvery: 2 * time.Second, cuts: 6, stops: 4,
		drainMax: 5 * time.Minute,
	}
	// chaosWorker is every chaos worker's setup but its clock offset.
	chaosWorker = workerOpts{
		concurrency: 8, lease: time.Second, drain: 2 * time.Second,
		durMin: 5 * time.Millisecond, durMax: 50 * time.Millisecond, poll: 200 * time.Millisecond,
	}
)

// clockSkew is the offset of the workers' clocks: half run ahead of the
// database by it, half behind.
const clockSkew = 5 * time.Minute

// event is one scheduled fault.
type event struct {
	after time.Duration
	kind  string
}

// schedule lays out the faults of cfg over its run.
func schedule(cfg chaosConfig) []event {
	var evs []event
	for at := cfg.killEvery; at <= cfg.run; at += cfg.killEvery {
		evs = append(evs, event{at, faultKill})
	}
	for i := range cfg.cuts {
		evs = append(evs, event{cfg.run * time.Duration(2*i+1) / time.Duration(2*cfg.cuts), faultCut})
	}
	for i := range cfg.stops {
		// Offset from the kills and cuts so the faults do not coincide.
		evs = append(evs, event{cfg.run*time.Duration(4*i+1)/time.Duration(4*cfg.stops) + 700*time.Millisecond, faultStop})
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].after < evs[j].after })
	return evs
}

// TestChaos runs worker processes against one database while killing,
// stopping and cutting them off, then checks every task: terminal, not
// lost, duplicates explained by faults, completed once, and by the
// worker that held the lease at the final attempt.
func TestChaos(t *testing.T) {
	// Not parallel: the lease is short (1s), and the other tests' load on a
	// small machine would make heartbeats late for reasons of their own.
	cfg := shortChaos
	if *longMode {
		cfg = longChaos
	}
	cfg.worker = chaosWorker
	cfg.worker.noMember = *noMember
	c := newCluster(t)
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	t.Logf("%s mode: %d tasks, %d workers, faults over %s; victims chosen with seed %d; worker logs in %s",
		cfg.mode, cfg.tasks, cfg.workers, cfg.run, seed, c.dir)

	var (
		mu     sync.Mutex
		faults []fault
		rep    = &report{Mode: cfg.mode, Tasks: cfg.tasks}
	)
	addFault := func(f fault) {
		mu.Lock()
		faults = append(faults, f)
		mu.Unlock()
	}
	// Clock offsets alternate, so half the workers (replacements included)
	// run 5 minutes ahead of the database and half 5 minutes behind.
	startWorker := func() *proc {
		o := cfg.worker
		o.offset = clockSkew
		if len(c.all())%2 == 1 {
			o.offset = -clockSkew
		}
		return c.start(o)
	}
	for range cfg.workers {
		startWorker()
	}

	// The producer: a steady rate of tasks with IDs known up front.
	enqueued := make([]string, 0, cfg.tasks)
	prodDone := make(chan error, 1)
	begin := time.Now()
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for len(enqueued) < cfg.tasks {
			<-tick.C
			due := int(float64(cfg.tasks) * float64(time.Since(begin)) / float64(cfg.run))
			due = min(max(due, len(enqueued)), cfg.tasks)
			batch := make([]store.NewTask, 0, due-len(enqueued))
			for i := len(enqueued); i < due; i++ {
				batch = append(batch, store.NewTask{
					ID: store.NewID(), Type: "chaos", MaxAttempts: store.MaxMaxAttempts,
					Params: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)),
				})
			}
			if len(batch) == 0 {
				continue
			}
			n, err := c.store.CreateMany(ctx, batch)
			if err == nil && n != len(batch) {
				err = fmt.Errorf("created %d of %d tasks", n, len(batch))
			}
			if err != nil {
				prodDone <- err
				return
			}
			for _, nt := range batch {
				enqueued = append(enqueued, nt.ID)
			}
		}
		prodDone <- nil
	}()

	// The faults. A stopped worker is neither killed nor stopped again
	// until its SIGCONT.
	var (
		stopped  *proc
		stopOver = make(chan struct{})
	)
	close(stopOver)
	isStopped := func(p *proc) bool {
		select {
		case <-stopOver:
			return false
		default:
			return p == stopped
		}
	}
	pick := func() *proc {
		var ps []*proc
		for _, p := range c.live() {
			if !isStopped(p) {
				ps = append(ps, p)
			}
		}
		require.NotEmpty(t, ps, "no worker to disturb")
		return ps[rng.IntN(len(ps))]
	}
	for _, ev := range schedule(cfg) {
		time.Sleep(time.Until(begin.Add(ev.after)))
		switch ev.kind {
		case faultKill:
			p := pick()
			addFault(fault{kind: faultKill, worker: p.name, at: time.Now()})
			c.kill(p)
			rep.Kills++
			startWorker()
		case faultCut:
			live := c.live()
			now := time.Now()
			n := c.cut(live)
			for _, p := range live {
				addFault(fault{kind: faultCut, worker: p.name, at: now})
			}
			rep.Cuts++
			rep.ConnsCut += n
		case faultStop:
			select {
			case <-stopOver:
			default:
				continue // the previous stop is not over
			}
			p := pick()
			stopped, stopOver = p, make(chan struct{})
			over := stopOver
			from := time.Now()
			p.signal(t, syscall.SIGSTOP)
			rep.Stops++
			time.AfterFunc(cfg.stopFor(), func() {
				_ = p.cmd.Process.Signal(syscall.SIGCONT)
				addFault(fault{kind: faultStop, worker: p.name, at: from, until: time.Now()})
				close(over)
			})
		}
	}
	require.NoError(t, <-prodDone, "enqueue")
	select {
	case <-stopOver:
	case <-time.After(cfg.stopFor() + 5*time.Second):
		t.Fatal("the stopped worker was not continued")
	}
	faultsEnd := time.Now()

	// Drain: every task terminal.
	if !drained(t, c, cfg.tasks, cfg.drainMax) {
		t.Fatalf("the queue did not drain within %s:\n%s", cfg.drainMax, c.diagnoseStuck(ctx))
	}
	rep.Drain = time.Since(faultsEnd)
	rep.FaultsEnd = faultsEnd
	rep.Elapsed = time.Since(begin)

	// Graceful stop of the survivors: each exits 0.
	for _, p := range c.live() {
		addFault(fault{kind: faultTerm, worker: p.name, at: time.Now()})
		p.signal(t, syscall.SIGTERM)
	}
	for _, p := range c.live() {
		require.Zero(t, p.wait(t, 30*time.Second), "worker %s exit code; stderr:\n%s", p.name, stderrTail(p, 20))
	}
	rep.Workers = len(c.all())

	rows, err := c.readRows(ctx)
	require.NoError(t, err)
	logs, torn := c.logs()
	rep.TornLines = torn
	check(rep, checkConfig{cutWindow: 3*cfg.worker.lease + time.Second, slack: 50 * time.Millisecond},
		enqueued, rows, logs, faults)

	text := rep.String()
	t.Log("\n" + text)
	if *longMode && *reportPath != "" {
		require.NoError(t, os.WriteFile(*reportPath, []byte(text), 0o644))
	}
	require.Zero(t, torn, "torn log lines")
	require.Empty(t, rep.Violations, "violations (see the report)")
	require.Equal(t, cfg.tasks, rep.Completed)
	require.Zero(t, rep.Lost)
	require.Zero(t, rep.Unexpected)
	require.Zero(t, rep.CompletedTwice)
	require.Zero(t, rep.WrongWinner)
	require.Positive(t, rep.Kills)
	require.Positive(t, rep.Stops)
	require.Positive(t, rep.ConnsCut)
}

// drained waits up to timeout for all n tasks to be terminal.
func drained(t testing.TB, c *cluster, n int, timeout time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		counts, err := c.store.Counts(context.Background())
		require.NoError(t, err)
		if counts[store.StatusCompleted]+counts[store.StatusFailed]+counts[store.StatusCancelled] == n {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// diagnoseStuck describes the tasks that are not terminal, and names the
// orphans among them: running under a live worker that never logged the
// claim (its claim committed but the answer was lost), whose lease that
// worker's heartbeat keeps extending.
func (c *cluster) diagnoseStuck(ctx context.Context) string {
	var stuck []struct {
		ID       string       `db:"id"`
		Status   store.Status `db:"status"`
		Attempts int          `db:"attempts"`
		LockedBy *string      `db:"locked_by"`
	}
	if err := c.env.DB.SelectContext(ctx, &stuck, `SELECT id, status, attempts, locked_by FROM `+c.env.Schema+
		`.tasks WHERE status NOT IN ('completed', 'failed', 'cancelled') ORDER BY id LIMIT 20`); err != nil {
		return err.Error()
	}
	logs, _ := c.logs()
	claimed := map[attemptKey]bool{}
	for w, recs := range logs {
		for _, r := range recs {
			if r.Ev == EvClaim {
				claimed[attemptKey{worker: w, id: r.ID, a: r.A}] = true
			}
		}
	}
	var b strings.Builder
	for _, s := range stuck {
		holder := ""
		if s.LockedBy != nil {
			holder = *s.LockedBy
		}
		fmt.Fprintf(&b, "  %s %s attempt %d locked by %q", s.ID, s.Status, s.Attempts, holder)
		if holder != "" && !claimed[attemptKey{worker: holder, id: s.ID, a: s.Attempts}] {
			b.WriteString(" — ORPHAN: its claim was never logged by the holder (answer lost), and the holder's heartbeat keeps its lease alive (see TestOrphanedClaim)")
		}
		b.WriteString("\n")
	}
	return b.String()
}
