package storetest

import (
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

func testClaim(t *testing.T, s *suite) {
	t.Parallel()
	t.Run("SetsLease", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := mustCreate(t, ctx, b, store.NewTask{})
		const lease = 90 * time.Second
		got := claimID(t, ctx, b, task.ID, "worker-a", lease)
		require.Equal(t, store.StatusRunning, got.Status)
		require.Equal(t, 1, got.Attempts)
		require.Equal(t, "worker-a", got.LockedBy)
		require.NotNil(t, got.StartedAt)
		require.NotNil(t, got.LeaseExpiresAt)
		require.NotNil(t, got.LastHeartbeat)
		require.WithinDuration(t, got.StartedAt.Add(lease), *got.LeaseExpiresAt, time.Millisecond)
		require.WithinDuration(t, *got.StartedAt, *got.LastHeartbeat, time.Millisecond)
		require.False(t, got.StartedAt.Before(task.CreatedAt))
		require.Nil(t, got.FinishedAt)
		require.Equal(t, norm(got), norm(mustGet(t, ctx, b, task.ID)), "Claim returns the stored task")
	})

	t.Run("Priority", func(t *testing.T) {
		ctx, b := s.fresh(t)
		var want []string
		byPriority := map[int]string{}
		for _, p := range []int{1, 50, 10, 100, 0} {
			byPriority[p] = mustCreate(t, ctx, b, store.NewTask{Priority: p}).ID
		}
		for _, p := range []int{100, 50, 10, 1, 0} {
			want = append(want, byPriority[p])
		}
		var got []string
		for range want {
			got = append(got, claimOne(t, ctx, b, "w1", time.Minute).ID)
		}
		require.Equal(t, want, got)
	})

	t.Run("RunAfterThenID", func(t *testing.T) {
		ctx, b := s.fresh(t)
		now := time.Now()
		at := func(d time.Duration) time.Time { return now.Add(d) }
		// Created in an order that differs from the claim order.
		late := mustCreate(t, ctx, b, store.NewTask{RunAfter: at(-time.Hour)})
		early := mustCreate(t, ctx, b, store.NewTask{RunAfter: at(-3 * time.Hour)})
		tieHigh := mustCreate(t, ctx, b, store.NewTask{ID: "ffffffff-0000-7000-8000-000000000002", RunAfter: at(-2 * time.Hour)})
		tieLow := mustCreate(t, ctx, b, store.NewTask{ID: "ffffffff-0000-7000-8000-000000000001", RunAfter: at(-2 * time.Hour)})
		urgent := mustCreate(t, ctx, b, store.NewTask{Priority: 1, RunAfter: at(-time.Minute)})
		future := mustCreate(t, ctx, b, store.NewTask{Priority: 100, RunAfter: at(time.Hour)})

		claimed, err := b.Claim(ctx, "w1", 10, time.Minute)
		require.NoError(t, err)
		require.Equal(t, []string{urgent.ID, early.ID, tieLow.ID, tieHigh.ID, late.ID}, ids(claimed))
		again, err := b.Claim(ctx, "w1", 10, time.Minute)
		require.NoError(t, err)
		require.Empty(t, again, "a task whose run_after is in the future was claimed")
		require.Equal(t, store.StatusQueued, mustGet(t, ctx, b, future.ID).Status)
	})

	t.Run("Limit", func(t *testing.T) {
		ctx, b := s.fresh(t)
		for range 5 {
			mustCreate(t, ctx, b, store.NewTask{})
		}
		first, err := b.Claim(ctx, "w1", 3, time.Minute)
		require.NoError(t, err)
		require.Len(t, first, 3)
		rest, err := b.Claim(ctx, "w2", 10, time.Minute)
		require.NoError(t, err)
		require.Len(t, rest, 2)
		none, err := b.Claim(ctx, "w3", 10, time.Minute)
		require.NoError(t, err)
		require.Empty(t, none)
		require.Empty(t, slices.DeleteFunc(ids(first), func(id string) bool { return !slices.Contains(ids(rest), id) }), "a task was claimed twice")
	})

	t.Run("InvalidLease", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := mustCreate(t, ctx, b, store.NewTask{})
		for _, tc := range []struct {
			name   string
			worker string
			limit  int
			lease  time.Duration
		}{
			{"EmptyWorker", "", 10, time.Minute},
			{"EmptyWorkerZeroLimit", "", 0, time.Minute},
			{"ZeroLease", "w1", 10, 0},
			{"NegativeLease", "w1", 10, -time.Second},
			{"ZeroLeaseZeroLimit", "w1", 0, 0},
		} {
			claimed, err := b.Claim(ctx, tc.worker, tc.limit, tc.lease)
			require.ErrorIs(t, err, store.ErrInvalidLease, tc.name)
			require.Empty(t, claimed, tc.name)
			_, err = b.Heartbeat(ctx, tc.worker, []string{task.ID}, tc.lease)
			require.ErrorIs(t, err, store.ErrInvalidLease, tc.name)
		}
		requireUnchanged(t, ctx, b, task)
		require.Equal(t, task.ID, claimOne(t, ctx, b, "w1", time.Minute).ID, "a refused claim took the task")
	})
}

func testHeartbeat(t *testing.T, s *suite) {
	ctx, b := s.fresh(t)
	for range 3 {
		mustCreate(t, ctx, b, store.NewTask{})
	}
	a1 := claimOne(t, ctx, b, "w1", time.Minute)
	a2 := claimOne(t, ctx, b, "w1", time.Minute)
	other := claimOne(t, ctx, b, "w2", time.Minute)

	all := []string{a1.ID, a2.ID, other.ID}
	leases, err := b.Heartbeat(ctx, "w1", all, time.Hour)
	require.NoError(t, err)
	slices.SortFunc(leases, func(x, y store.Lease) int { return cmpString(x.TaskID, y.TaskID) })
	want := []store.Lease{{TaskID: a1.ID, Attempt: 1}, {TaskID: a2.ID, Attempt: 1}}
	slices.SortFunc(want, func(x, y store.Lease) int { return cmpString(x.TaskID, y.TaskID) })
	require.Equal(t, want, leases)
	for _, id := range []string{a1.ID, a2.ID} {
		got := mustGet(t, ctx, b, id)
		require.True(t, got.LeaseExpiresAt.After(a1.LeaseExpiresAt.Add(50*time.Minute)), "lease of %s not extended", id)
		require.False(t, got.LastHeartbeat.Before(*a1.LastHeartbeat))
	}
	requireUnchanged(t, ctx, b, other)

	// A task the worker holds but does not name (a claim whose answer it
	// never got) is not extended, so it expires and is rescued.
	leases, err = b.Heartbeat(ctx, "w1", []string{a1.ID}, 2*time.Hour)
	require.NoError(t, err)
	require.Equal(t, []store.Lease{{TaskID: a1.ID, Attempt: 1}}, leases)
	require.True(t, mustGet(t, ctx, b, a1.ID).LeaseExpiresAt.After(mustGet(t, ctx, b, a2.ID).LeaseExpiresAt.Add(30*time.Minute)),
		"only the named task's lease was extended")

	_, err = b.Cancel(ctx, a2.ID)
	require.NoError(t, err)
	leases, err = b.Heartbeat(ctx, "w1", all, time.Hour)
	require.NoError(t, err)
	require.Len(t, leases, 2)
	for _, l := range leases {
		require.Equal(t, l.TaskID == a2.ID, l.CancelRequested, "cancel_requested of %s", l.TaskID)
	}

	require.NoError(t, finish(t, ctx, b, outcome(a1, store.OutcomeComplete)))
	leases, err = b.Heartbeat(ctx, "w1", all, time.Hour)
	require.NoError(t, err)
	require.Equal(t, []store.Lease{{TaskID: a2.ID, Attempt: 1, CancelRequested: true}}, leases)

	leases, err = b.Heartbeat(ctx, "nobody", all, time.Hour)
	require.NoError(t, err)
	require.Empty(t, leases)
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func testFinish(t *testing.T, s *suite) {
	t.Parallel()
	t.Run("Complete", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := into(t, ctx, b, store.StatusRunning, time.Minute)
		o := outcome(task, store.OutcomeComplete)
		o.Result = json.RawMessage(`{"answer": 42}`)
		require.NoError(t, finish(t, ctx, b, o))
		got := mustGet(t, ctx, b, task.ID)
		require.Equal(t, store.StatusCompleted, got.Status)
		require.JSONEq(t, `{"answer": 42}`, string(got.Result))
		require.NotNil(t, got.FinishedAt)
		require.False(t, got.FinishedAt.Before(*got.StartedAt))
		require.Equal(t, 1, got.Attempts)
	})

	t.Run("Fail", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := into(t, ctx, b, store.StatusRunning, time.Minute)
		o := outcome(task, store.OutcomeFail)
		o.Error = "permanent: bad input"
		require.NoError(t, finish(t, ctx, b, o))
		got := mustGet(t, ctx, b, task.ID)
		require.Equal(t, store.StatusFailed, got.Status)
		require.Equal(t, "permanent: bad input", got.Error)
		require.NotNil(t, got.FinishedAt)
	})

	t.Run("RetryLater", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := into(t, ctx, b, store.StatusRunning, time.Minute)
		o := outcome(task, store.OutcomeRetry)
		o.Error = "timeout"
		o.RetryIn = time.Hour
		require.NoError(t, finish(t, ctx, b, o))
		got := mustGet(t, ctx, b, task.ID)
		require.Equal(t, store.StatusRetry, got.Status)
		require.Equal(t, "timeout", got.Error)
		require.Equal(t, 1, got.Attempts)
		require.Nil(t, got.FinishedAt)
		require.True(t, got.RunAfter.After(task.StartedAt.Add(50*time.Minute)), "run_after %s is not about an hour away", got.RunAfter)
		claimed, err := b.Claim(ctx, "w2", 10, time.Minute)
		require.NoError(t, err)
		require.Empty(t, claimed, "a retry due in an hour was claimed")
	})

	t.Run("RetryAgainAndMaxAttempts", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := mustCreate(t, ctx, b, store.NewTask{MaxAttempts: 2})
		first := claimID(t, ctx, b, task.ID, "w1", time.Minute)
		require.NoError(t, finish(t, ctx, b, outcome(first, store.OutcomeRetry)))
		require.Equal(t, store.StatusRetry, mustGet(t, ctx, b, task.ID).Status)
		second := claimID(t, ctx, b, task.ID, "w2", time.Minute)
		require.Equal(t, 2, second.Attempts)
		require.NoError(t, finish(t, ctx, b, outcome(second, store.OutcomeRetry)))
		got := mustGet(t, ctx, b, task.ID)
		require.Equal(t, store.StatusFailed, got.Status, "a retry at max_attempts fails")
		require.Equal(t, "try again", got.Error)
		require.NotNil(t, got.FinishedAt)
	})

	t.Run("ReleaseDoesNotCount", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := mustCreate(t, ctx, b, store.NewTask{MaxAttempts: 1})
		for range 3 {
			held := claimID(t, ctx, b, task.ID, "w1", time.Minute)
			require.Equal(t, 1, held.Attempts)
			require.NoError(t, finish(t, ctx, b, outcome(held, store.OutcomeRelease)))
			got := mustGet(t, ctx, b, task.ID)
			require.Equal(t, store.StatusQueued, got.Status)
			require.Zero(t, got.Attempts, "a released attempt is not counted")
			require.Empty(t, got.LockedBy)
			require.Nil(t, got.FinishedAt)
		}
		held := claimID(t, ctx, b, task.ID, "w1", time.Minute)
		require.NoError(t, finish(t, ctx, b, outcome(held, store.OutcomeRetry)))
		require.Equal(t, store.StatusFailed, mustGet(t, ctx, b, task.ID).Status)
	})

	t.Run("Batch", func(t *testing.T) {
		ctx, b := s.fresh(t)
		for range 4 {
			mustCreate(t, ctx, b, store.NewTask{})
		}
		claimed, err := b.Claim(ctx, "w1", 4, time.Minute)
		require.NoError(t, err)
		require.Len(t, claimed, 4)
		stale := outcome(claimed[3], store.OutcomeComplete)
		stale.Attempt = 2
		unknown := outcome(claimed[0], store.OutcomeComplete)
		unknown.TaskID = "eeeeeeee-0000-7000-8000-000000000001"
		outcomes := []store.Outcome{
			outcome(claimed[0], store.OutcomeComplete),
			outcome(claimed[1], store.OutcomeFail),
			stale,
			outcome(claimed[2], store.OutcomeRetry),
			unknown,
			outcome(claimed[0], store.OutcomeFail), // already completed above
		}
		errs, err := b.Finish(ctx, outcomes)
		require.NoError(t, err)
		require.Len(t, errs, len(outcomes))
		require.NoError(t, errs[0])
		require.NoError(t, errs[1])
		require.ErrorIs(t, errs[2], store.ErrLeaseLost)
		require.NoError(t, errs[3])
		require.ErrorIs(t, errs[4], store.ErrLeaseLost)
		require.ErrorIs(t, errs[5], store.ErrLeaseLost)
		require.Equal(t, store.StatusCompleted, mustGet(t, ctx, b, claimed[0].ID).Status)
		require.Equal(t, store.StatusFailed, mustGet(t, ctx, b, claimed[1].ID).Status)
		require.Equal(t, store.StatusRetry, mustGet(t, ctx, b, claimed[2].ID).Status)
		requireUnchanged(t, ctx, b, claimed[3])

		errs, err = b.Finish(ctx, nil)
		require.NoError(t, err)
		require.Empty(t, errs)
	})

	t.Run("UnknownKindRecordsNothing", func(t *testing.T) {
		ctx, b := s.fresh(t)
		mustCreate(t, ctx, b, store.NewTask{})
		mustCreate(t, ctx, b, store.NewTask{})
		claimed, err := b.Claim(ctx, "w1", 2, time.Minute)
		require.NoError(t, err)
		require.Len(t, claimed, 2)
		bad := outcome(claimed[1], store.OutcomeComplete)
		bad.Kind = "explode"
		_, err = b.Finish(ctx, []store.Outcome{outcome(claimed[0], store.OutcomeComplete), bad})
		require.Error(t, err)
		requireUnchanged(t, ctx, b, claimed[0])
		requireUnchanged(t, ctx, b, claimed[1])
	})
}

// testFencing checks that a worker whose lease expired, and whose task was
// rescued and claimed by another worker, cannot write any outcome.
func testFencing(t *testing.T, s *suite) {
	t.Parallel()
	kinds := []store.OutcomeKind{store.OutcomeComplete, store.OutcomeFail, store.OutcomeRetry, store.OutcomeRelease,
		store.OutcomeCancel, store.OutcomeSnooze}
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			ctx, b := s.fresh(t)
			task := mustCreate(t, ctx, b, store.NewTask{})
			stale := claimID(t, ctx, b, task.ID, "old", 5*time.Millisecond)
			rescueUntil(t, ctx, b, task.ID)
			fresh := claimID(t, ctx, b, task.ID, "new", time.Minute)
			require.Equal(t, 2, fresh.Attempts)

			require.ErrorIs(t, finish(t, ctx, b, outcome(stale, kind)), store.ErrLeaseLost, "stale holder, stale attempt")
			requireUnchanged(t, ctx, b, fresh)
			o := outcome(stale, kind)
			o.Attempt = fresh.Attempts
			require.ErrorIs(t, finish(t, ctx, b, o), store.ErrLeaseLost, "stale holder, current attempt")
			requireUnchanged(t, ctx, b, fresh)
			o = outcome(fresh, kind)
			o.Attempt = stale.Attempts
			require.ErrorIs(t, finish(t, ctx, b, o), store.ErrLeaseLost, "current holder, stale attempt")
			requireUnchanged(t, ctx, b, fresh)

			leases, err := b.Heartbeat(ctx, "old", []string{fresh.ID}, time.Hour)
			require.NoError(t, err)
			require.Empty(t, leases, "the stale holder still sees a lease")
			requireUnchanged(t, ctx, b, fresh)

			require.NoError(t, finish(t, ctx, b, outcome(fresh, kind)), "the current holder writes")
		})
	}
}

func testRescue(t *testing.T, s *suite) {
	t.Parallel()
	t.Run("Retry", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := mustCreate(t, ctx, b, store.NewTask{Type: "mail"})
		claimID(t, ctx, b, task.ID, "w1", 5*time.Millisecond)
		r := rescueUntil(t, ctx, b, task.ID)
		require.Equal(t, store.Rescued{TaskID: task.ID, Type: "mail", Status: store.StatusRetry}, r)
		got := mustGet(t, ctx, b, task.ID)
		require.Equal(t, store.StatusRetry, got.Status)
		require.Equal(t, 1, got.Attempts)
		require.Nil(t, got.FinishedAt)
		leases, err := b.Heartbeat(ctx, "w1", []string{task.ID}, time.Minute)
		require.NoError(t, err)
		require.Empty(t, leases)
		again := claimID(t, ctx, b, task.ID, "w2", time.Minute)
		require.Equal(t, 2, again.Attempts, "claimable at once, attempt counted once per claim")
	})

	t.Run("AttemptsCountedOncePerClaim", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := mustCreate(t, ctx, b, store.NewTask{MaxAttempts: 3})
		want := []store.Status{store.StatusRetry, store.StatusRetry, store.StatusFailed}
		for i, st := range want {
			held := claimID(t, ctx, b, task.ID, "w1", 5*time.Millisecond)
			require.Equal(t, i+1, held.Attempts)
			r := rescueUntil(t, ctx, b, task.ID)
			require.Equal(t, st, r.Status, "rescue %d", i+1)
			got := mustGet(t, ctx, b, task.ID)
			require.Equal(t, i+1, got.Attempts, "rescue does not count an attempt")
		}
		end := mustGet(t, ctx, b, task.ID)
		require.Equal(t, store.StatusFailed, end.Status)
		require.NotNil(t, end.FinishedAt)
	})

	t.Run("Limit", func(t *testing.T) {
		ctx, b := s.fresh(t)
		for range 3 {
			mustCreate(t, ctx, b, store.NewTask{})
		}
		claimed, err := b.Claim(ctx, "w1", 3, 5*time.Millisecond)
		require.NoError(t, err)
		require.Len(t, claimed, 3)
		// Rescue, two at most per call, until all three are moved on.
		var first []store.Rescued
		waitFor(t, "first rescue", func() bool {
			first, err = b.Rescue(ctx, 2)
			require.NoError(t, err)
			return len(first) > 0
		})
		require.LessOrEqual(t, len(first), 2)
		got := len(first)
		waitFor(t, "every lease rescued", func() bool {
			more, err := b.Rescue(ctx, 2)
			require.NoError(t, err)
			require.LessOrEqual(t, len(more), 2)
			got += len(more)
			return got == 3
		})
		counts, err := b.Counts(ctx)
		require.NoError(t, err)
		require.Equal(t, 3, counts[store.StatusRetry])
		require.Zero(t, counts[store.StatusRunning])
	})

	t.Run("LiveLeaseKept", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := into(t, ctx, b, store.StatusRunning, time.Hour)
		rescued, err := b.Rescue(ctx, 100)
		require.NoError(t, err)
		require.Empty(t, rescued)
		requireUnchanged(t, ctx, b, task)
	})
}

func testDeleteFinished(t *testing.T, s *suite) {
	ctx, b := s.fresh(t)
	const age = 600 * time.Millisecond
	var old, keep []store.Task
	// Five old terminal tasks of every kind.
	for _, st := range []store.Status{store.StatusCompleted, store.StatusFailed, store.StatusCancelled, store.StatusCancelled, store.StatusCompleted} {
		task := mustCreate(t, ctx, b, store.NewTask{})
		switch st {
		case store.StatusCancelled:
			_, err := b.Cancel(ctx, task.ID)
			require.NoError(t, err)
		default:
			held := claimID(t, ctx, b, task.ID, "w1", time.Minute)
			kind := store.OutcomeComplete
			if st == store.StatusFailed {
				kind = store.OutcomeFail
			}
			require.NoError(t, finish(t, ctx, b, outcome(held, kind)))
		}
		old = append(old, task)
	}
	oldDone := time.Now()
	// Tasks that are not terminal stay whatever their age.
	keep = append(keep, mustCreate(t, ctx, b, store.NewTask{Hold: true}))
	keep = append(keep, mustCreate(t, ctx, b, store.NewTask{RunAfter: time.Now().Add(time.Hour)}))
	running := mustCreate(t, ctx, b, store.NewTask{})
	claimID(t, ctx, b, running.ID, "w1", time.Hour)
	keep = append(keep, running)
	// An old task that finishes only now is judged by when it finished.
	lateFinish := mustCreate(t, ctx, b, store.NewTask{Hold: true})

	time.Sleep(2*age - time.Since(oldDone)) // let the old tasks age past the cutoff

	// recentAt is read before the two tasks finish, so both finish at or
	// after it: while less than an age has passed since recentAt, every
	// cutoff (now − age, read by the store per statement) is before both.
	recentAt := time.Now()
	recent := mustCreate(t, ctx, b, store.NewTask{})
	_, err := b.Cancel(ctx, recent.ID)
	require.NoError(t, err)
	_, err = b.Cancel(ctx, lateFinish.ID)
	require.NoError(t, err)

	n, err := b.DeleteFinished(ctx, time.Hour, 2)
	require.NoError(t, err)
	require.Zero(t, n, "nothing is an hour old")

	// "recent" and "lateFinish" were finished after the cutoff of the next
	// calls unless the machine stalled for a whole age since; only then
	// may they go too.
	n, err = b.DeleteFinished(ctx, age, 2)
	require.NoError(t, err)
	if time.Since(recentAt) < age {
		require.Equal(t, len(old), n)
		mustGet(t, ctx, b, lateFinish.ID)
	} else {
		require.Contains(t, []int{len(old), len(old) + 1, len(old) + 2}, n)
	}
	for _, task := range old {
		_, err := b.Get(ctx, task.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	}
	for _, task := range keep {
		mustGet(t, ctx, b, task.ID)
	}

	n, err = b.DeleteFinished(ctx, age, 2)
	require.NoError(t, err)
	require.LessOrEqual(t, n, 2, "a second pass finds at most the recent tasks, aged since")
	if time.Since(recentAt) < age {
		require.Zero(t, n)
	}
	want := len(keep)
	for _, task := range []store.Task{recent, lateFinish} {
		if _, err := b.Get(ctx, task.ID); err == nil {
			want++
		}
	}
	page, err := b.List(ctx, store.Filter{})
	require.NoError(t, err)
	require.Equal(t, want, page.Total)
}

// testClaimRace has 16 workers claim and complete 10,000 tasks at once:
// every task must be claimed exactly once.
func testClaimRace(t *testing.T, s *suite) {
	ctx, b := s.fresh(t)
	const tasks, workers, batch = 10000, 16, 25
	nts := make([]store.NewTask, tasks)
	for i := range nts {
		nts[i] = store.NewTask{Type: "race", Priority: i % 7}
	}
	createAll(t, ctx, b, nts)

	claims := make([][]string, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			name := "racer-" + string(rune('a'+w))
			for {
				got, err := b.Claim(ctx, name, batch, time.Minute)
				if err != nil {
					errs[w] = err
					return
				}
				if len(got) == 0 {
					return
				}
				outcomes := make([]store.Outcome, len(got))
				for i, task := range got {
					claims[w] = append(claims[w], task.ID)
					outcomes[i] = outcome(task, store.OutcomeComplete)
				}
				res, err := b.Finish(ctx, outcomes)
				if err == nil {
					err = errors.Join(res...)
				}
				if err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	seen := make(map[string]int, tasks)
	for w := range workers {
		require.NoError(t, errs[w], "worker %d", w)
		for _, id := range claims[w] {
			seen[id]++
		}
	}
	require.Len(t, seen, tasks, "every task claimed")
	for id, c := range seen {
		require.Equal(t, 1, c, "task %s claimed %d times", id, c)
	}
	counts, err := b.Counts(ctx)
	require.NoError(t, err)
	require.Equal(t, tasks, counts[store.StatusCompleted])
}
