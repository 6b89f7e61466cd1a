package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

// into returns a task of a fresh backend brought to status st. A running
// task is held by worker "w1" under lease.
func into(t *testing.T, ctx context.Context, b Backend, st store.Status, lease time.Duration) store.Task {
	t.Helper()
	running := func() store.Task {
		task := mustCreate(t, ctx, b, store.NewTask{})
		return claimID(t, ctx, b, task.ID, "w1", lease)
	}
	end := func(kind store.OutcomeKind) store.Task {
		task := running()
		require.NoError(t, finish(t, ctx, b, outcome(task, kind)))
		return mustGet(t, ctx, b, task.ID)
	}
	var task store.Task
	switch st {
	case store.StatusCreated:
		task = mustCreate(t, ctx, b, store.NewTask{Hold: true})
	case store.StatusQueued:
		task = mustCreate(t, ctx, b, store.NewTask{})
	case store.StatusRunning:
		task = running()
	case store.StatusRetry:
		task = end(store.OutcomeRetry) // RetryIn is in the past: claimable.
	case store.StatusCompleted:
		task = end(store.OutcomeComplete)
	case store.StatusFailed:
		task = end(store.OutcomeFail)
	case store.StatusCancelled:
		task = mustCreate(t, ctx, b, store.NewTask{})
		_, err := b.Cancel(ctx, task.ID)
		require.NoError(t, err)
	default:
		t.Fatalf("no setup for status %q", st)
	}
	task = mustGet(t, ctx, b, task.ID)
	require.Equal(t, st, task.Status)
	return task
}

// op is one operation of the transition table: do tries it on task (the
// only task of its backend) and reports whether it was applied; an
// operation that was refused must say so with the documented error.
type op struct {
	name string
	to   store.Status
	// from, when set, narrows the statuses the operation acts on: Run
	// releases a created task only (running → queued is a release), a
	// claim takes ready tasks, the worker's writes and rescue act on
	// running tasks.
	from func(store.Status) bool
	// lease is the claim lease of a running task in setup.
	lease time.Duration
	do    func(t *testing.T, ctx context.Context, b Backend, task store.Task) bool
}

func finishOp(kind store.OutcomeKind, to store.Status) op {
	return op{
		name: "Finish/" + string(kind), to: to, lease: time.Minute, from: isRunning,
		do: func(t *testing.T, ctx context.Context, b Backend, task store.Task) bool {
			// Use the credentials of the task's last holder, so a task that
			// is no longer running is refused by status, not by name.
			o := outcome(task, kind)
			o.Worker, o.Attempt = "w1", max(task.Attempts, 1)
			err := finish(t, ctx, b, o)
			if err == nil {
				return true
			}
			require.ErrorIs(t, err, store.ErrLeaseLost)
			return false
		},
	}
}

func isRunning(st store.Status) bool { return st == store.StatusRunning }

var ops = []op{
	{
		name: "Run", to: store.StatusQueued, lease: time.Minute,
		from: func(st store.Status) bool { return st == store.StatusCreated },
		do: func(t *testing.T, ctx context.Context, b Backend, task store.Task) bool {
			_, err := b.Run(ctx, task.ID)
			if err == nil {
				return true
			}
			require.ErrorIs(t, err, store.ErrInvalidTransition)
			return false
		},
	},
	{
		name: "Cancel", to: store.StatusCancelled, lease: time.Minute,
		do: func(t *testing.T, ctx context.Context, b Backend, task store.Task) bool {
			_, err := b.Cancel(ctx, task.ID)
			if err == nil {
				return true
			}
			require.ErrorIs(t, err, store.ErrInvalidTransition)
			return false
		},
	},
	{
		name: "Claim", to: store.StatusRunning, lease: time.Minute, from: store.Status.Ready,
		do: func(t *testing.T, ctx context.Context, b Backend, task store.Task) bool {
			claimed, err := b.Claim(ctx, "w2", 10, time.Minute)
			require.NoError(t, err)
			require.LessOrEqual(t, len(claimed), 1)
			return slices.Contains(ids(claimed), task.ID)
		},
	},
	retryOp,
	finishOp(store.OutcomeComplete, store.StatusCompleted),
	finishOp(store.OutcomeFail, store.StatusFailed),
	finishOp(store.OutcomeRetry, store.StatusRetry),
	finishOp(store.OutcomeCancel, store.StatusCancelled),
	finishOp(store.OutcomeRelease, store.StatusQueued),
	finishOp(store.OutcomeSnooze, store.StatusQueued),
	{
		name: "Rescue", to: store.StatusRetry, lease: 5 * time.Millisecond, from: isRunning,
		do: func(t *testing.T, ctx context.Context, b Backend, task store.Task) bool {
			if task.Status == store.StatusRunning {
				r := rescueUntil(t, ctx, b, task.ID)
				require.Equal(t, store.StatusRetry, r.Status)
				require.Equal(t, task.Type, r.Type)
				return true
			}
			rescued, err := b.Rescue(ctx, 100)
			require.NoError(t, err)
			return len(rescued) > 0
		},
	},
}

// testTransitions runs every operation against a task in every status and
// checks the outcome against store.CanTransition (narrowed by the
// statuses the operation acts on): a legal move is applied and lands in
// the target status; an illegal one is refused with the documented error
// and changes nothing.
func testTransitions(t *testing.T, s *suite) {
	t.Parallel()
	for _, from := range store.Statuses() {
		for _, o := range ops {
			legal := store.CanTransition(from, o.to) && (o.from == nil || o.from(from))
			t.Run(string(from)+"/"+o.name, func(t *testing.T) {
				ctx, b := s.fresh(t)
				before := into(t, ctx, b, from, o.lease)
				applied := o.do(t, ctx, b, before)
				require.Equal(t, legal, applied, "CanTransition(%s, %s) = %v", from, o.to, legal)
				after := mustGet(t, ctx, b, before.ID)
				switch {
				case !legal:
					require.Equal(t, norm(before), norm(after), "a refused operation changed the task")
				case o.name == "Cancel" && from == store.StatusRunning:
					require.Equal(t, store.StatusRunning, after.Status, "a running task stays running until its holder ends it")
					require.True(t, after.CancelRequested)
				default:
					require.Equal(t, o.to, after.Status)
					require.Equal(t, after.Status.Terminal(), after.FinishedAt != nil, "finished_at is set exactly for terminal tasks")
				}
			})
		}
	}
}

func testCancel(t *testing.T, s *suite) {
	t.Parallel()
	for _, st := range []store.Status{store.StatusCreated, store.StatusQueued, store.StatusRetry} {
		t.Run("AtOnce/"+string(st), func(t *testing.T) {
			ctx, b := s.fresh(t)
			task := into(t, ctx, b, st, time.Minute)
			got, err := b.Cancel(ctx, task.ID)
			require.NoError(t, err)
			require.Equal(t, store.StatusCancelled, got.Status)
			require.NotNil(t, got.FinishedAt)
			require.Equal(t, norm(got), norm(mustGet(t, ctx, b, task.ID)))
			claimed, err := b.Claim(ctx, "w2", 10, time.Minute)
			require.NoError(t, err)
			require.Empty(t, claimed, "a cancelled task was claimed")
		})
	}

	for _, kind := range []store.OutcomeKind{store.OutcomeComplete, store.OutcomeFail, store.OutcomeRetry, store.OutcomeRelease,
		store.OutcomeCancel, store.OutcomeSnooze} {
		t.Run("Running/"+string(kind), func(t *testing.T) {
			ctx, b := s.fresh(t)
			task := into(t, ctx, b, store.StatusRunning, time.Minute)
			got, err := b.Cancel(ctx, task.ID)
			require.NoError(t, err)
			require.Equal(t, store.StatusRunning, got.Status)
			require.True(t, got.CancelRequested)
			require.Nil(t, got.FinishedAt)

			again, err := b.Cancel(ctx, task.ID)
			require.NoError(t, err, "cancelling twice is not an error")
			require.Equal(t, store.StatusRunning, again.Status)
			require.True(t, again.CancelRequested)

			leases, err := b.Heartbeat(ctx, "w1", []string{task.ID}, time.Minute)
			require.NoError(t, err)
			require.Equal(t, []store.Lease{{TaskID: task.ID, Attempt: 1, CancelRequested: true}}, leases)

			require.NoError(t, finish(t, ctx, b, outcome(task, kind)))
			end := mustGet(t, ctx, b, task.ID)
			require.Equal(t, store.StatusCancelled, end.Status, "a %s outcome of a cancel-requested task ends it cancelled", kind)
			require.NotNil(t, end.FinishedAt)
			require.Nil(t, end.Result, "a late completion's result is not kept on a cancelled task")
			claimed, err := b.Claim(ctx, "w2", 10, time.Minute)
			require.NoError(t, err)
			require.Empty(t, claimed)
		})
	}

	t.Run("RunningRescued", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := into(t, ctx, b, store.StatusRunning, 5*time.Millisecond)
		_, err := b.Cancel(ctx, task.ID)
		require.NoError(t, err)
		r := rescueUntil(t, ctx, b, task.ID)
		require.Equal(t, store.StatusCancelled, r.Status)
		end := mustGet(t, ctx, b, task.ID)
		require.Equal(t, store.StatusCancelled, end.Status)
		require.NotNil(t, end.FinishedAt)
	})

	for _, st := range []store.Status{store.StatusCompleted, store.StatusFailed, store.StatusCancelled} {
		t.Run("Terminal/"+string(st), func(t *testing.T) {
			ctx, b := s.fresh(t)
			task := into(t, ctx, b, st, time.Minute)
			_, err := b.Cancel(ctx, task.ID)
			require.True(t, errors.Is(err, store.ErrInvalidTransition), "got %v", err)
			requireUnchanged(t, ctx, b, task)
		})
	}
}
