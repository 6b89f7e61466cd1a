package chaos

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

var (
	rescueMode     = flag.Bool("chaos.rescue", false, "run TestRescueTime: how long a SIGKILLed or SIGSTOPped worker's tasks wait (minutes)")
	rescueNoMember = flag.Bool("chaos.rescue.nomember", false, "TestRescueTime with workers that do not join (-member=false): every worker sweeps expired leases, as before membership")
	rescueKills    = flag.Int("chaos.rescue.kills", 30, "TestRescueTime: SIGKILL rounds")
	rescueStops    = flag.Int("chaos.rescue.stops", 4, "TestRescueTime: SIGSTOP rounds")
)

// rescueWorker is the setup of TestRescueTime's workers: the library's
// defaults for the lease (10s), the sweep (2s) and the poll (1s), and
// tasks that run until cancelled.
var rescueWorker = workerOpts{
	concurrency: 4, lease: 10 * time.Second, drain: time.Second, rescue: 2 * time.Second,
	durMin: time.Hour, durMax: time.Hour, poll: time.Second,
}

// TestRescueTime measures, from outside, how long the running tasks of a
// worker process that is SIGKILLed (its session ends) or SIGSTOPped (it
// lives but does not work: only its lease can tell) wait before another
// worker claims them. Each round enqueues four tasks that run until
// cancelled, waits until they run, signals one worker holding some of
// them, times each of its tasks until another worker holds it, then
// kills the victim, starts a replacement and cancels the tasks. The
// report gives p50, p99 and max per signal, and how many kills hit the
// leader.
func TestRescueTime(t *testing.T) {
	if !*rescueMode {
		t.Skip("run with -chaos.rescue (it takes minutes)")
	}
	opts := rescueWorker
	opts.noMember = *rescueNoMember
	c := newCluster(t)
	ctx := context.Background()
	const workers = 3
	for range workers {
		c.start(opts)
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	rounds := make([]syscall.Signal, 0, *rescueKills+*rescueStops)
	for range *rescueKills {
		rounds = append(rounds, syscall.SIGKILL)
	}
	for range *rescueStops {
		rounds = append(rounds, syscall.SIGSTOP)
	}
	rng.Shuffle(len(rounds), func(i, j int) { rounds[i], rounds[j] = rounds[j], rounds[i] })

	waits := map[syscall.Signal][]time.Duration{}
	leaderKills := 0
	for i, sig := range rounds {
		ids := make([]string, 4)
		for j := range ids {
			task, _, err := c.store.Create(ctx, store.NewTask{Type: "test", Description: fmt.Sprintf("round %d task %d", i, j)})
			require.NoError(t, err)
			ids[j] = task.ID
		}
		holders := map[string][]string{}
		eventually(t, 30*time.Second, func() bool {
			holders = c.holders(ids)
			n := 0
			for _, hs := range holders {
				n += len(hs)
			}
			return n == len(ids)
		}, "round %d: the tasks never all ran", i)
		var victim *proc
		for _, p := range c.live() {
			if len(holders[p.name]) > 0 && (victim == nil || rng.IntN(2) == 0) {
				victim = p
			}
		}
		require.NotNil(t, victim)
		held := holders[victim.name]
		if !opts.noMember && sig == syscall.SIGKILL && c.leader() == victim.name {
			leaderKills++
		}
		start := time.Now()
		victim.signal(t, sig)
		pending := slices.Clone(held)
		for len(pending) > 0 {
			require.Less(t, time.Since(start), time.Minute, "round %d: %s's tasks never ran elsewhere", i, victim.name)
			moved := c.movedFrom(victim.name, pending)
			for _, id := range moved {
				waits[sig] = append(waits[sig], time.Since(start))
				pending = slices.DeleteFunc(pending, func(x string) bool { return x == id })
			}
			time.Sleep(2 * time.Millisecond)
		}
		c.kill(victim)
		c.start(opts)
		for _, id := range ids {
			_, err := c.store.Cancel(ctx, id)
			require.NoError(t, err)
		}
		eventually(t, 30*time.Second, func() bool { return len(c.holders(ids)) == 0 }, "round %d: the tasks never stopped", i)
	}

	mode := "members (leader returns a dead worker's tasks)"
	if opts.noMember {
		mode = "no members (every worker sweeps expired leases)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rescue time: %s; lease %s, sweep %s, %d workers, seed %d\n", mode, opts.lease, opts.rescue, workers, seed)
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGSTOP} {
		ws := waits[sig]
		if len(ws) == 0 {
			continue
		}
		slices.Sort(ws)
		fmt.Fprintf(&b, "  %-8s tasks %3d  p50 %8s  p99 %8s  max %8s\n", signalName(sig), len(ws),
			pct(ws, 50).Round(time.Millisecond), pct(ws, 99).Round(time.Millisecond), ws[len(ws)-1].Round(time.Millisecond))
	}
	if !opts.noMember {
		fmt.Fprintf(&b, "  SIGKILLs of the leader: %d of %d\n", leaderKills, *rescueKills)
	}
	t.Log("\n" + b.String())
	if *reportPath != "" {
		require.NoError(t, os.WriteFile(*reportPath, []byte(b.String()), 0o644))
	}
}

func signalName(s syscall.Signal) string {
	if s == syscall.SIGKILL {
		return "SIGKILL"
	}
	return "SIGSTOP"
}

// pct returns the p-th percentile of sorted ds (nearest rank).
func pct(ds []time.Duration, p int) time.Duration {
	i := (p*len(ds)+99)/100 - 1
	return ds[max(0, min(i, len(ds)-1))]
}

// holders returns, by worker name, which of ids run now.
func (c *cluster) holders(ids []string) map[string][]string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var rows []struct {
		ID     string `db:"id"`
		Worker string `db:"locked_by"`
	}
	require.NoError(c.t, c.env.DB.SelectContext(ctx, &rows, `SELECT id, locked_by FROM `+c.env.Schema+`.tasks
		WHERE id = ANY($1::uuid[]) AND status = 'running'`, pq.StringArray(ids)))
	out := map[string][]string{}
	for _, r := range rows {
		out[r.Worker] = append(out[r.Worker], r.ID)
	}
	return out
}

// movedFrom returns which of ids another worker than victim runs now.
func (c *cluster) movedFrom(victim string, ids []string) []string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []string
	require.NoError(c.t, c.env.DB.SelectContext(ctx, &out, `SELECT id FROM `+c.env.Schema+`.tasks
		WHERE id = ANY($1::uuid[]) AND status = 'running' AND locked_by <> $2`, pq.StringArray(ids), victim))
	return out
}

// leader returns the name of the leading worker, or "".
func (c *cluster) leader() string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ps, err := c.store.Processes(ctx)
	require.NoError(c.t, err)
	for _, p := range ps {
		if p.Leader {
			return p.Name
		}
	}
	return ""
}
