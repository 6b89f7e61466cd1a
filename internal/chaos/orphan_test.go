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
// This is a known bug of the engine (see knownBug): the pool's heartbeat
// extends every lease held under its name, and ignores the leases in the
// answer that it does not hold.
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
	task, _, err := c.store.Create(ctx, store.NewTask{Type: "chaos"})
	require.NoError(t, err)
	claimed, err := c.store.Claim(ctx, p.name, 1, opts.lease)
	require.NoError(t, err)
	require.Len(t, claimed, 1)
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
		knownBug(t, "orphaned claim never rescued: after %s the task is %s, attempt %d, locked by %s, lease until %s "+
			"(the worker's heartbeat keeps extending a lease its pool does not hold)",
			10*opts.lease, last.Status, last.Attempts, last.LockedBy, lease)
	}
}

// knownBug reports a failure that exposes a known bug of the engine or
// the stores: it fails the test under -chaos.strict, and otherwise skips
// it with the failure as the message, so the default run stays green
// while the bug is open and every verbose run shows it.
func knownBug(t testing.TB, format string, args ...any) {
	t.Helper()
	if *strict {
		t.Errorf("KNOWN BUG: "+format, args...)
		return
	}
	t.Skipf("KNOWN BUG (fails under -chaos.strict): "+format, args...)
}
