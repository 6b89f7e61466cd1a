package chaos

import (
	"context"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

// waitLog waits until p's event log holds a record for which match is
// true, and returns it.
func waitLog(t testing.TB, p *proc, timeout time.Duration, what string, match func(Record) bool) Record {
	t.Helper()
	var found Record
	eventually(t, timeout, func() bool {
		recs, _, err := ReadLog(p.logPath)
		if err != nil {
			return false
		}
		i := slices.IndexFunc(recs, match)
		if i < 0 {
			return false
		}
		found = recs[i]
		return true
	}, "worker %s never logged %s; stderr:\n%s", p.name, what, stderrTail(p, 20))
	return found
}

// TestOrphanedClaim: a claim that committed but whose answer never reached
// the worker (its connection broke after the commit, or its context ended
// as the rows came back) leaves a task running under the worker's name
// that the worker's pool does not know it holds. The worker must not keep
// that task's lease alive: it must be rescued and run.
//
// The pool's heartbeat names the tasks it holds, so the orphan's lease is
// not extended and the rescuer returns it to the queue.
//
// The claim is made here, under a live worker's name, while the worker is
// stopped (for less than a lease), which is exactly what such a lost
// answer leaves in the database.
func TestOrphanedClaim(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	ctx := context.Background()
	opts := chaosWorker
	p := c.start(opts)
	waitLog(t, p, 30*time.Second, "a claim", func(r Record) bool { return r.Ev == EvClaimRet })

	p.signal(t, syscall.SIGSTOP)
	// A claim the worker sent just before it stopped may still be running
	// in its session; it would take the task this test claims below.
	c.waitIdle(p)
	task, _, err := c.store.Create(ctx, store.NewTask{Type: "chaos"})
	require.NoError(t, err)
	claimed, err := c.store.Claim(ctx, p.name, 1, opts.lease)
	require.NoError(t, err)
	if len(claimed) != 1 {
		got, err := c.store.Get(ctx, task.ID)
		require.NoError(t, err)
		t.Fatalf("claimed %d tasks; the task is %s, locked by %q", len(claimed), got.Status, got.LockedBy)
	}
	p.signal(t, syscall.SIGCONT)

	// Correct: within a lease (plus a rescue sweep) the orphan is rescued
	// and runs again. Wait ten leases.
	deadline := time.Now().Add(10 * opts.lease)
	var last store.Task
	for time.Now().Before(deadline) {
		last, err = c.store.Get(ctx, task.ID)
		require.NoError(t, err)
		if last.Status == store.StatusCompleted {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if last.Status != store.StatusCompleted {
		lease := "none"
		if last.LeaseExpiresAt != nil {
			lease = last.LeaseExpiresAt.Format(time.RFC3339Nano)
		}
		t.Fatalf("orphaned claim never rescued: after %s the task is %s, attempt %d, locked by %s, lease until %s",
			10*opts.lease, last.Status, last.Attempts, last.LockedBy, lease)
	}
	require.Equal(t, 2, last.Attempts, "the orphaned attempt counts once, the rescued run once")
}
