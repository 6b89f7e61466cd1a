package storetest

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// Backend is the contract the suite checks, [taskqueue.Backend]. The
// optional capabilities [store.BulkCreator] and [store.EnrichmentWriter]
// are checked when the backend has them (found by type assertion); their
// subtests are skipped otherwise.
type Backend = taskqueue.Backend

// bulk returns b's bulk-create capability, or skips the test when b has
// none.
func bulk(t *testing.T, b Backend) store.BulkCreator {
	t.Helper()
	bc, ok := b.(store.BulkCreator)
	if !ok {
		t.Skip("backend is not a store.BulkCreator")
	}
	return bc
}

// enricher returns b's enrichment-write capability, or skips the test when
// b has none.
func enricher(t *testing.T, b Backend) store.EnrichmentWriter {
	t.Helper()
	ew, ok := b.(store.EnrichmentWriter)
	if !ok {
		t.Skip("backend is not a store.EnrichmentWriter")
	}
	return ew
}

// createAll stores nts, in one operation where b is a store.BulkCreator,
// and requires every one to be created.
func createAll(t *testing.T, ctx context.Context, b Backend, nts []store.NewTask) {
	t.Helper()
	if bc, ok := b.(store.BulkCreator); ok {
		n, err := bc.CreateMany(ctx, nts)
		require.NoError(t, err)
		require.Equal(t, len(nts), n)
		return
	}
	for _, nt := range nts {
		_, created, err := b.Create(ctx, nt)
		require.NoError(t, err)
		require.True(t, created)
	}
}

// WaitTimeout bounds every polling wait of the suite (for a lease to
// expire, for example); a backend that does not get there in time fails
// the test instead of hanging it.
const WaitTimeout = 10 * time.Second

// pollEvery is the interval of polling waits.
const pollEvery = 2 * time.Millisecond

// Run runs the whole conformance suite against the backend that open
// returns. Each subtest calls t.Parallel and then open, so open must return
// a fresh, empty and independent backend each time and clean it up with
// t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) Backend) {
	t.Helper()
	s := &suite{open: open}
	groups := []struct {
		name string
		run  func(t *testing.T, s *suite)
	}{
		{"Create", testCreate},
		{"Input", testInput},
		{"Get", testGet},
		{"List", testList},
		{"Counts", testCounts},
		{"Transitions", testTransitions},
		{"Claim", testClaim},
		{"ClaimMatching", testClaimMatching},
		{"Queues", testQueues},
		{"QueueLimits", testQueueLimits},
		{"Fairness", testFairness},
		{"ReadyTypes", testReadyTypes},
		{"Heartbeat", testHeartbeat},
		{"Progress", testProgress},
		{"Finish", testFinish},
		{"Fencing", testFencing},
		{"Cancel", testCancel},
		{"Retry", testRetry},
		{"Delete", testDelete},
		{"Bulk", testBulk},
		{"AttemptHistory", testAttemptHistory},
		{"Snooze", testSnooze},
		{"Rescue", testRescue},
		{"DeleteFinished", testDeleteFinished},
		{"CreateMany", testCreateMany},
		{"SetEnrichment", testSetEnrichment},
		{"DescriptionTruncated", testDescriptionTruncated},
		{"ClaimRace", testClaimRace},
		{"TraceContext", testTraceContext},
	}
	for _, g := range groups {
		// A group either opens a backend itself (fresh marks it parallel)
		// or holds subtests and marks itself parallel.
		t.Run(g.name, func(t *testing.T) { g.run(t, s) })
	}
}

type suite struct {
	open func(t *testing.T) Backend
}

// fresh marks t parallel and returns a context bounded by the test and a
// new backend.
func (s *suite) fresh(t *testing.T) (context.Context, Backend) {
	t.Helper()
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	b := s.open(t)
	require.NotNil(t, b, "open returned a nil backend")
	return ctx, b
}

// waitFor polls cond until it holds, failing t after WaitTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", WaitTimeout, what)
		}
		time.Sleep(pollEvery)
	}
}

func mustCreate(t *testing.T, ctx context.Context, b Backend, nt store.NewTask) store.Task {
	t.Helper()
	if nt.Type == "" {
		nt.Type = "test"
	}
	task, created, err := b.Create(ctx, nt)
	require.NoError(t, err)
	require.True(t, created, "Create reported an existing task")
	return task
}

func mustGet(t *testing.T, ctx context.Context, b Backend, id string) store.Task {
	t.Helper()
	task, err := b.Get(ctx, id)
	require.NoError(t, err)
	return task
}

// claimOne claims exactly one task as worker.
func claimOne(t *testing.T, ctx context.Context, b Backend, worker string, lease time.Duration) store.Task {
	t.Helper()
	tasks, err := b.Claim(ctx, worker, 1, lease)
	require.NoError(t, err)
	require.Len(t, tasks, 1, "expected one claimable task")
	require.Equal(t, mustGet(t, ctx, b, tasks[0].ID), tasks[0], "Claim returns the task as stored")
	return tasks[0]
}

// claimID claims one task as worker and checks it is id.
func claimID(t *testing.T, ctx context.Context, b Backend, id, worker string, lease time.Duration) store.Task {
	t.Helper()
	got := claimOne(t, ctx, b, worker, lease)
	require.Equal(t, id, got.ID, "claimed another task")
	return got
}

// finish records one outcome and returns its per-outcome error.
func finish(t *testing.T, ctx context.Context, b Backend, o store.Outcome) error {
	t.Helper()
	errs, err := b.Finish(ctx, []store.Outcome{o})
	require.NoError(t, err)
	require.Len(t, errs, 1)
	return errs[0]
}

// outcome returns the outcome of kind for the holder of task.
func outcome(task store.Task, kind store.OutcomeKind) store.Outcome {
	o := store.Outcome{TaskID: task.ID, Worker: task.LockedBy, Attempt: task.Attempts, Kind: kind}
	switch kind {
	case store.OutcomeComplete:
		o.Result = json.RawMessage(`{"ok":true}`)
	case store.OutcomeRetry:
		o.Error = "try again"
		o.RetryIn = -time.Second
	case store.OutcomeFail, store.OutcomeCancel:
		o.Error = "gave up"
	}
	return o
}

// rescueUntil polls Rescue until it moves task id on, and returns that
// entry.
func rescueUntil(t *testing.T, ctx context.Context, b Backend, id string) store.Rescued {
	t.Helper()
	var found *store.Rescued
	waitFor(t, "rescue of "+id, func() bool {
		rs, err := b.Rescue(ctx, 100)
		require.NoError(t, err)
		for _, r := range rs {
			if r.TaskID == id {
				found = &r
			}
		}
		return found != nil
	})
	return *found
}

// norm returns task with every time in UTC, so two reads of one record
// compare equal whatever location the driver attached.
func norm(task store.Task) store.Task {
	utc := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		v := p.UTC()
		return &v
	}
	task.RunAfter = task.RunAfter.UTC()
	task.CreatedAt = task.CreatedAt.UTC()
	task.UpdatedAt = task.UpdatedAt.UTC()
	task.LeaseExpiresAt = utc(task.LeaseExpiresAt)
	task.LastHeartbeat = utc(task.LastHeartbeat)
	task.StartedAt = utc(task.StartedAt)
	task.FinishedAt = utc(task.FinishedAt)
	return task
}

// requireUnchanged checks that the stored task still equals before.
func requireUnchanged(t *testing.T, ctx context.Context, b Backend, before store.Task) {
	t.Helper()
	require.Equal(t, norm(before), norm(mustGet(t, ctx, b, before.ID)), "task changed")
}

func ids(tasks []store.Task) []string {
	out := make([]string, len(tasks))
	for i, task := range tasks {
		out[i] = task.ID
	}
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
