package chaos

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// TestLeaderKill kills the leader again and again while the leader's
// schedule creates a task every second, and checks that every slot of the
// run was created exactly once (none missed across the failovers, none
// twice) and that every task completed. It reports how long the cluster
// was without a leader after each kill (p50, p99, max). The short mode
// kills 5 leaders; -chaos.long kills 30.
func TestLeaderKill(t *testing.T) {
	kills := 5
	if *longMode {
		kills = 30
	}
	opts := chaosWorker
	opts.schedule = "@every 1s"
	c := newCluster(t)
	const workers = 3
	for range workers {
		c.start(opts)
	}
	first := ""
	eventually(t, 30*time.Second, func() bool { first = c.leader(); return first != "" }, "no leader")
	t.Logf("%d leader kills, schedule @every 1s, %d workers; worker logs in %s", kills, workers, c.dir)

	var gaps []time.Duration
	for i := range kills {
		time.Sleep(2 * time.Second) // the schedule fires under a settled leader
		leader := c.leader()
		var victim *proc
		for _, p := range c.live() {
			if p.name == leader {
				victim = p
			}
		}
		require.NotNil(t, victim, "kill %d: the leader %q is not a live worker", i, leader)
		start := time.Now()
		c.kill(victim)
		var next string
		eventually(t, 30*time.Second, func() bool {
			next = c.leader()
			return next != "" && next != leader
		}, "kill %d: no new leader", i)
		gaps = append(gaps, time.Since(start))
		c.start(opts)
	}
	time.Sleep(2 * time.Second)
	// Stop the workers (SIGTERM) so no slot is created while the tasks are
	// read, then check every slot.
	for _, p := range c.live() {
		p.signal(t, 15) // SIGTERM
	}
	for _, p := range c.all() {
		p.wait(t, 30*time.Second)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	page, err := c.store.List(ctx, store.Filter{Type: "tick", Limit: store.MaxListLimit})
	require.NoError(t, err)
	var slots []time.Time
	notDone := 0
	for _, task := range page.Tasks {
		at, ok := strings.CutPrefix(task.IdempotencyKey, "schedule:tick:")
		require.True(t, ok, task.IdempotencyKey)
		ts, err := time.Parse(time.RFC3339Nano, at)
		require.NoError(t, err)
		slots = append(slots, ts)
		if task.Status != store.StatusCompleted {
			notDone++
		}
	}
	slices.SortFunc(slots, func(a, b time.Time) int { return a.Compare(b) })
	missed, twice := 0, 0
	for i := 1; i < len(slots); i++ {
		switch d := slots[i].Sub(slots[i-1]); {
		case d == 0:
			twice++
		case d > time.Second:
			missed += int(d/time.Second) - 1
		}
	}
	slices.Sort(gaps)
	var b strings.Builder
	fmt.Fprintf(&b, "leader kills while a schedule fires every second (%d workers, member check every %s)\n", workers, taskqueue.DefaultMemberInterval)
	fmt.Fprintf(&b, "  leader kills              %d\n", kills)
	fmt.Fprintf(&b, "  slots created             %d (%s to %s)\n", len(slots), slots[0].Format(time.TimeOnly), slots[len(slots)-1].Format(time.TimeOnly))
	fmt.Fprintf(&b, "  slots missed              %d\n", missed)
	fmt.Fprintf(&b, "  slots created twice       %d\n", twice)
	fmt.Fprintf(&b, "  tasks not completed       %d\n", notDone)
	fmt.Fprintf(&b, "  time without a leader     p50 %s  p99 %s  max %s\n",
		pct(gaps, 50).Round(time.Millisecond), pct(gaps, 99).Round(time.Millisecond), gaps[len(gaps)-1].Round(time.Millisecond))
	t.Log("\n" + b.String())
	if *reportPath != "" && *longMode {
		require.NoError(t, os.WriteFile(*reportPath+".leader", []byte(b.String()), 0o644))
	}
	require.Zero(t, missed, "slots missed")
	require.Zero(t, twice, "slots created twice")
	require.Zero(t, notDone, "tasks not completed")
	require.Greater(t, len(slots), 2*kills)
}
