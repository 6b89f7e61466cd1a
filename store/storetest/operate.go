package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

// retryOp is the operator's retry in the transition table: it acts on
// failed and cancelled tasks only (running → queued is a release).
var retryOp = op{
	name: "Retry", to: store.StatusQueued, lease: time.Minute,
	from: func(st store.Status) bool { return slices.Contains(store.RetryableStatuses(), st) },
	do: func(t *testing.T, ctx context.Context, b Backend, task store.Task) bool {
		_, err := b.Retry(ctx, task.ID)
		if err == nil {
			return true
		}
		require.ErrorIs(t, err, store.ErrInvalidTransition)
		return false
	},
}

func testRetry(t *testing.T, s *suite) {
	t.Parallel()
	t.Run("FreshBudgetKeepsAttempts", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := mustCreate(t, ctx, b, store.NewTask{MaxAttempts: 2})
		// Spend both attempts: the second retry outcome fails it.
		for range 2 {
			running := claimID(t, ctx, b, task.ID, "w1", time.Minute)
			require.NoError(t, finish(t, ctx, b, outcome(running, store.OutcomeRetry)))
		}
		failed := mustGet(t, ctx, b, task.ID)
		require.Equal(t, store.StatusFailed, failed.Status)
		require.Equal(t, 2, failed.Attempts)

		got, err := b.Retry(ctx, task.ID[:8])
		require.ErrorIs(t, err, store.ErrInvalidID, "retry takes a full id")
		got, err = b.Retry(ctx, task.ID)
		require.NoError(t, err)
		require.Equal(t, store.StatusQueued, got.Status)
		require.Equal(t, 2, got.Attempts, "attempt numbers keep rising")
		require.Equal(t, 4, got.MaxAttempts, "two attempts again")
		require.Nil(t, got.FinishedAt)
		require.Equal(t, "try again", got.Error, "the last error stays until the next attempt ends")
		require.Equal(t, norm(got), norm(mustGet(t, ctx, b, task.ID)))

		// The old attempt's fence does not match the new one.
		stale := outcome(failed, store.OutcomeComplete)
		stale.Worker = "w1"
		running := claimID(t, ctx, b, task.ID, "w1", time.Minute)
		require.Equal(t, 3, running.Attempts)
		require.ErrorIs(t, finish(t, ctx, b, stale), store.ErrLeaseLost)

		// The new budget is spent as the first was, and a second retry
		// gives the first budget again, not the raised one.
		require.NoError(t, finish(t, ctx, b, outcome(running, store.OutcomeRetry)))
		running = claimID(t, ctx, b, task.ID, "w1", time.Minute)
		require.NoError(t, finish(t, ctx, b, outcome(running, store.OutcomeRetry)))
		again := mustGet(t, ctx, b, task.ID)
		require.Equal(t, store.StatusFailed, again.Status)
		require.Equal(t, 4, again.Attempts)
		got, err = b.Retry(ctx, task.ID)
		require.NoError(t, err)
		require.Equal(t, 6, got.MaxAttempts)
	})
	t.Run("Cancelled", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := into(t, ctx, b, store.StatusRunning, time.Minute)
		_, err := b.Cancel(ctx, task.ID)
		require.NoError(t, err)
		require.NoError(t, finish(t, ctx, b, outcome(task, store.OutcomeComplete)))
		got, err := b.Retry(ctx, task.ID)
		require.NoError(t, err)
		require.Equal(t, store.StatusQueued, got.Status)
		require.False(t, got.CancelRequested, "a retried task is no longer asked to cancel")
		claimed := claimID(t, ctx, b, task.ID, "w2", time.Minute)
		require.NoError(t, finish(t, ctx, b, outcome(claimed, store.OutcomeComplete)))
		require.Equal(t, store.StatusCompleted, mustGet(t, ctx, b, task.ID).Status)
	})
	t.Run("Unknown", func(t *testing.T) {
		ctx, b := s.fresh(t)
		_, err := b.Retry(ctx, store.NewID())
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func testDelete(t *testing.T, s *suite) {
	t.Parallel()
	for _, st := range store.Statuses() {
		t.Run(string(st), func(t *testing.T) {
			ctx, b := s.fresh(t)
			task := into(t, ctx, b, st, time.Minute)
			err := b.Delete(ctx, task.ID)
			if !st.Terminal() {
				require.ErrorIs(t, err, store.ErrInvalidTransition)
				requireUnchanged(t, ctx, b, task)
				return
			}
			require.NoError(t, err)
			_, err = b.Get(ctx, task.ID)
			require.ErrorIs(t, err, store.ErrNotFound)
			require.ErrorIs(t, b.Delete(ctx, task.ID), store.ErrNotFound)
			requireTotal(t, ctx, b, 0)
		})
	}
	t.Run("BadID", func(t *testing.T) {
		ctx, b := s.fresh(t)
		require.ErrorIs(t, b.Delete(ctx, "not-an-id"), store.ErrInvalidID)
	})
}

func testBulk(t *testing.T, s *suite) {
	t.Parallel()
	// setup makes three failed "a" tasks, one failed "b", one cancelled
	// "a" and one completed "a".
	setup := func(t *testing.T) (context.Context, Backend, map[store.Status][]string) {
		ctx, b := s.fresh(t)
		byStatus := map[store.Status][]string{}
		end := func(typ string, kind store.OutcomeKind) {
			task := mustCreate(t, ctx, b, store.NewTask{Type: typ})
			running := claimID(t, ctx, b, task.ID, "w1", time.Minute)
			require.NoError(t, finish(t, ctx, b, outcome(running, kind)))
			st := mustGet(t, ctx, b, task.ID).Status
			byStatus[st] = append(byStatus[st], task.ID)
		}
		for range 3 {
			end("a", store.OutcomeFail)
		}
		end("b", store.OutcomeFail)
		end("a", store.OutcomeCancel)
		end("a", store.OutcomeComplete)
		return ctx, b, byStatus
	}
	t.Run("RetryByFilter", func(t *testing.T) {
		ctx, b, _ := setup(t)
		before := listAll(t, ctx, b, store.Filter{})
		_, err := b.RetryMatching(ctx, store.BulkFilter{Type: "a", Confirm: 3})
		var mismatch *store.CountMismatchError
		require.ErrorAs(t, err, &mismatch, "failed and cancelled a tasks are four")
		require.ErrorIs(t, err, store.ErrCountMismatch)
		require.Equal(t, 4, mismatch.Matched)
		require.ElementsMatch(t, before, listAll(t, ctx, b, store.Filter{}), "a refused bulk retry changed tasks")

		n, err := b.RetryMatching(ctx, store.BulkFilter{Type: "a", Statuses: []store.Status{store.StatusFailed}, Confirm: 3})
		require.NoError(t, err)
		require.Equal(t, 3, n)
		counts, err := b.Counts(ctx)
		require.NoError(t, err)
		require.Equal(t, 3, counts[store.StatusQueued])
		require.Equal(t, 1, counts[store.StatusFailed])
		require.Equal(t, 1, counts[store.StatusCancelled])
		claimed, err := b.Claim(ctx, "w2", 10, time.Minute)
		require.NoError(t, err)
		require.Len(t, claimed, 3)
	})
	t.Run("DeleteByFilter", func(t *testing.T) {
		ctx, b, byStatus := setup(t)
		n, err := b.DeleteMatching(ctx, store.BulkFilter{Type: "a", Confirm: 5})
		require.NoError(t, err)
		require.Equal(t, 5, n)
		left := listAll(t, ctx, b, store.Filter{})
		require.Len(t, left, 1)
		require.Contains(t, byStatus[store.StatusFailed], left[0].ID)
		require.Equal(t, "b", left[0].Type)
	})
	t.Run("Refused", func(t *testing.T) {
		ctx, b, _ := setup(t)
		for _, f := range []store.BulkFilter{
			{Type: "a"}, // no confirmation
			{Type: "a", Confirm: -1},
			{Type: "a", Confirm: store.MaxBulk + 1},
			{Statuses: []store.Status{store.StatusQueued}, Confirm: 1},
			{Statuses: []store.Status{"nope"}, Confirm: 1},
			{Type: "bad type", Confirm: 1},
		} {
			_, err := b.RetryMatching(ctx, f)
			require.Error(t, err, "%+v", f)
			require.True(t, errors.Is(err, store.ErrInvalidTask) || errors.Is(err, store.ErrInvalidStatus), "%+v: %v", f, err)
		}
		_, err := b.DeleteMatching(ctx, store.BulkFilter{Statuses: []store.Status{store.StatusRunning}, Confirm: 1})
		require.ErrorIs(t, err, store.ErrInvalidTask)
		_, err = b.DeleteMatching(ctx, store.BulkFilter{Type: "zzz", Confirm: 1})
		var mismatch *store.CountMismatchError
		require.ErrorAs(t, err, &mismatch)
		require.Equal(t, 0, mismatch.Matched)
		requireTotal(t, ctx, b, 6)
	})
	t.Run("Cap", func(t *testing.T) {
		ctx, b := s.fresh(t)
		nts := make([]store.NewTask, store.MaxBulk+1)
		for i := range nts {
			nts[i] = store.NewTask{Type: "cap"}
		}
		createAll(t, ctx, b, nts)
		// Complete them all, in one claim and one write.
		claimed, err := b.Claim(ctx, "w1", len(nts), time.Minute)
		require.NoError(t, err)
		require.Len(t, claimed, len(nts))
		outcomes := make([]store.Outcome, len(claimed))
		for i, task := range claimed {
			outcomes[i] = outcome(task, store.OutcomeComplete)
		}
		_, err = b.Finish(ctx, outcomes)
		require.NoError(t, err)
		_, err = b.DeleteMatching(ctx, store.BulkFilter{Confirm: store.MaxBulk})
		require.ErrorIs(t, err, store.ErrTooMany)
		requireTotal(t, ctx, b, store.MaxBulk+1)
		n, err := b.DeleteMatching(ctx, store.BulkFilter{CreatedAfter: time.Now().Add(-time.Hour), Type: "cap", Statuses: []store.Status{store.StatusCompleted}, Confirm: store.MaxBulk + 1})
		require.ErrorIs(t, err, store.ErrInvalidTask, "confirm is at most MaxBulk")
		require.Zero(t, n)
	})
}

func testAttemptHistory(t *testing.T, s *suite) {
	t.Parallel()
	t.Run("Recorded", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := mustCreate(t, ctx, b, store.NewTask{MaxAttempts: 3})
		first := claimID(t, ctx, b, task.ID, "w1", time.Minute)
		require.NoError(t, finish(t, ctx, b, outcome(first, store.OutcomeRetry)))
		// A release gives the attempt back: it is not recorded.
		released := claimID(t, ctx, b, task.ID, "w2", time.Minute)
		require.NoError(t, finish(t, ctx, b, outcome(released, store.OutcomeRelease)))
		second := claimID(t, ctx, b, task.ID, "w2", time.Minute)
		long := strings.Repeat("é", store.MaxAttemptErrorChars+10)
		o := outcome(second, store.OutcomeFail)
		o.Error = long
		require.NoError(t, finish(t, ctx, b, o))

		got := mustGet(t, ctx, b, task.ID)
		h := got.AttemptHistory
		require.Len(t, h, 2)
		require.Equal(t, 1, h[0].Attempt)
		require.Equal(t, "w1", h[0].Worker)
		require.Equal(t, store.StatusRetry, h[0].Outcome)
		require.Equal(t, "try again", h[0].Error)
		require.True(t, h[0].StartedAt.Equal(*first.StartedAt), "started %v, claimed %v", h[0].StartedAt, *first.StartedAt)
		require.False(t, h[0].FinishedAt.Before(h[0].StartedAt))
		require.Equal(t, 2, h[1].Attempt)
		require.Equal(t, "w2", h[1].Worker)
		require.Equal(t, store.StatusFailed, h[1].Outcome)
		require.Equal(t, strings.Repeat("é", store.MaxAttemptErrorChars), h[1].Error, "cut to the bound, in characters")
		require.Equal(t, long, got.Error, "the task's error is whole")
		require.False(t, h[1].StartedAt.Before(h[0].FinishedAt))
		require.True(t, h[1].StartedAt.Equal(*second.StartedAt), "started %v, claimed %v", h[1].StartedAt, *second.StartedAt)
		require.True(t, h[1].FinishedAt.Equal(*got.FinishedAt), "the last attempt ended when the task did")
		require.Empty(t, got.LockedBy, "a finished task holds no lease")
		failed := h[1]

		// A retry keeps the history; the next attempts add to it.
		retried, err := b.Retry(ctx, task.ID)
		require.NoError(t, err)
		require.Equal(t, h, retried.AttemptHistory)
		third := claimID(t, ctx, b, task.ID, "w3", time.Minute)
		require.Equal(t, h, third.AttemptHistory, "a running task's history ends with its last ended attempt")
		require.NoError(t, finish(t, ctx, b, outcome(third, store.OutcomeComplete)))
		h = mustGet(t, ctx, b, task.ID).AttemptHistory
		require.Len(t, h, 3)
		require.Equal(t, failed, h[1], "kept whole through the retry")
		require.Equal(t, store.Attempt{Attempt: 3, Worker: "w3", Outcome: store.StatusCompleted},
			store.Attempt{Attempt: h[2].Attempt, Worker: h[2].Worker, Outcome: h[2].Outcome, Error: h[2].Error})
	})
	t.Run("Rescued", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := into(t, ctx, b, store.StatusRunning, 5*time.Millisecond)
		rescueUntil(t, ctx, b, task.ID)
		h := mustGet(t, ctx, b, task.ID).AttemptHistory
		require.Len(t, h, 1)
		require.Equal(t, store.StatusRetry, h[0].Outcome)
		require.Equal(t, "w1", h[0].Worker)
		require.Equal(t, "lease expired", h[0].Error)
	})
	t.Run("Bounded", func(t *testing.T) {
		ctx, b := s.fresh(t)
		n := store.MaxAttemptHistory + 3
		task := mustCreate(t, ctx, b, store.NewTask{MaxAttempts: n})
		for range n {
			running := claimID(t, ctx, b, task.ID, "w1", time.Minute)
			require.NoError(t, finish(t, ctx, b, outcome(running, store.OutcomeRetry)))
		}
		got := mustGet(t, ctx, b, task.ID)
		require.Equal(t, store.StatusFailed, got.Status)
		require.Len(t, got.AttemptHistory, store.MaxAttemptHistory)
		require.Equal(t, 4, got.AttemptHistory[0].Attempt, "the oldest attempts are dropped")
		require.Equal(t, n, got.AttemptHistory[store.MaxAttemptHistory-1].Attempt)
		require.Equal(t, store.StatusFailed, got.AttemptHistory[store.MaxAttemptHistory-1].Outcome)
	})
}

func testSnooze(t *testing.T, s *suite) {
	t.Parallel()
	t.Run("Later", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := mustCreate(t, ctx, b, store.NewTask{MaxAttempts: 1})
		first := claimID(t, ctx, b, task.ID, "w1", time.Minute)
		o := outcome(first, store.OutcomeSnooze)
		o.RetryIn = time.Hour
		o.Error = "not shown"
		require.NoError(t, finish(t, ctx, b, o))
		got := mustGet(t, ctx, b, task.ID)
		require.Equal(t, store.StatusQueued, got.Status)
		require.Equal(t, 0, got.Attempts, "a snooze spends no attempt")
		require.Equal(t, 1, got.Snoozes)
		require.Empty(t, got.Error, "a snooze is no error")
		require.Empty(t, got.AttemptHistory, "a snooze is not an attempt")
		require.Nil(t, got.FinishedAt)
		require.Empty(t, got.LockedBy)
		require.True(t, got.RunAfter.After(time.Now().Add(50*time.Minute)), "due in an hour: %v", got.RunAfter)
		claimed, err := b.Claim(ctx, "w2", 10, time.Minute)
		require.NoError(t, err)
		require.Empty(t, claimed, "a snoozed task is not due")
	})
	t.Run("Counted", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := mustCreate(t, ctx, b, store.NewTask{MaxAttempts: 1})
		for i := range 3 {
			running := claimID(t, ctx, b, task.ID, "w1", time.Minute)
			require.Equal(t, 1, running.Attempts, "the only attempt, every time")
			require.Equal(t, i, running.Snoozes, "a claimed task carries its snoozes")
			require.NoError(t, finish(t, ctx, b, outcome(running, store.OutcomeSnooze)))
		}
		running := claimID(t, ctx, b, task.ID, "w1", time.Minute)
		require.NoError(t, finish(t, ctx, b, outcome(running, store.OutcomeComplete)))
		got := mustGet(t, ctx, b, task.ID)
		require.Equal(t, store.StatusCompleted, got.Status)
		require.Equal(t, 3, got.Snoozes)
		require.Equal(t, 1, got.Attempts)
		require.Len(t, got.AttemptHistory, 1)
	})
}
