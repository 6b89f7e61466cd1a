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

// ClusterBackend is a backend with the membership capabilities
// ([store.Membership], [store.ProcessLister]).
type ClusterBackend interface {
	Backend
	store.Membership
	store.ProcessLister
}

// RunMembership checks the membership capabilities of the backends open
// returns (each fresh, as for [Run]). lose must end a session as a killed
// process's would, without [store.Session.Leave] (pgstore terminates the
// session's own connection; memstore.Store.LoseSession); its effect may
// take a moment, which the suite waits for.
func RunMembership(t *testing.T, open func(t *testing.T) ClusterBackend, lose func(t *testing.T, b ClusterBackend, se store.Session)) {
	t.Helper()
	fresh := func(t *testing.T) (context.Context, ClusterBackend) {
		t.Helper()
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		t.Cleanup(cancel)
		return ctx, open(t)
	}
	join := func(t *testing.T, ctx context.Context, b ClusterBackend, name string) store.Session {
		t.Helper()
		se, err := b.Join(ctx, store.ProcessInfo{Name: name, Host: "host-" + name, PID: 42, Version: "v1.2.3", Queues: []string{"default", "media"}, Types: []string{"email", "resize"}})
		require.NoError(t, err)
		t.Cleanup(func() { _ = se.Leave(context.Background()) })
		return se
	}
	mustLead := func(t *testing.T, ctx context.Context, se store.Session) {
		t.Helper()
		lead, err := se.Lead(ctx)
		require.NoError(t, err)
		require.True(t, lead, "the session takes the free leader lock")
	}
	names := func(t *testing.T, ctx context.Context, b ClusterBackend) []string {
		t.Helper()
		ps, err := b.Processes(ctx)
		require.NoError(t, err)
		out := []string{}
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}

	t.Run("JoinListLeave", func(t *testing.T) {
		ctx, b := fresh(t)
		ps, err := b.Processes(ctx)
		require.NoError(t, err)
		require.Empty(t, ps)
		before := time.Now().Add(-time.Minute)
		a := join(t, ctx, b, "wa")
		c := join(t, ctx, b, "wc")
		require.Positive(t, a.ID())
		require.Greater(t, c.ID(), a.ID())

		task := mustCreate(t, ctx, b, store.NewTask{})
		claimID(t, ctx, b, task.ID, "wa", time.Minute)
		ps, err = b.Processes(ctx)
		require.NoError(t, err)
		require.Len(t, ps, 2)
		p := ps[0]
		require.Equal(t, a.ID(), p.ID)
		require.Equal(t, "wa", p.Name)
		require.Equal(t, "host-wa", p.Host)
		require.Equal(t, 42, p.PID)
		require.Equal(t, "v1.2.3", p.Version)
		require.Equal(t, []string{"default", "media"}, p.Queues)
		require.Equal(t, []string{"email", "resize"}, p.Types)
		require.True(t, p.Started.After(before))
		require.False(t, p.LastSeen.Before(p.Started))
		require.False(t, p.Leader)
		require.Equal(t, 1, p.Running)
		require.Equal(t, 0, ps[1].Running)

		require.NoError(t, a.Seen(ctx))
		require.NoError(t, a.Leave(ctx))
		require.Equal(t, []string{"wc"}, names(t, ctx, b))
		_, err = a.Lead(ctx)
		require.ErrorIs(t, err, store.ErrSessionLost, "a session that left is over")
	})

	t.Run("NameInUse", func(t *testing.T) {
		ctx, b := fresh(t)
		join(t, ctx, b, "w")
		_, err := b.Join(ctx, store.ProcessInfo{Name: "w"})
		require.ErrorIs(t, err, store.ErrNameInUse)
		_, err = b.Join(ctx, store.ProcessInfo{})
		require.ErrorIs(t, err, store.ErrInvalidLease)
		require.Equal(t, []string{"w"}, names(t, ctx, b))
	})

	t.Run("OneLeader", func(t *testing.T) {
		ctx, b := fresh(t)
		a := join(t, ctx, b, "wa")
		c := join(t, ctx, b, "wc")
		mustLead(t, ctx, a)
		for range 3 {
			lead, err := c.Lead(ctx)
			require.NoError(t, err)
			require.False(t, lead, "one leader at a time")
			lead, err = a.Lead(ctx)
			require.NoError(t, err)
			require.True(t, lead, "leadership lasts")
		}
		ps, err := b.Processes(ctx)
		require.NoError(t, err)
		require.True(t, ps[0].Leader)
		require.False(t, ps[1].Leader)

		require.NoError(t, a.Leave(ctx))
		waitFor(t, "the standby to take over after the leader left", func() bool {
			lead, err := c.Lead(ctx)
			require.NoError(t, err)
			return lead
		})
		ps, err = b.Processes(ctx)
		require.NoError(t, err)
		require.Len(t, ps, 1)
		require.True(t, ps[0].Leader)
	})

	t.Run("LostLeaderReplaced", func(t *testing.T) {
		ctx, b := fresh(t)
		a := join(t, ctx, b, "wa")
		c := join(t, ctx, b, "wc")
		mustLead(t, ctx, a)
		lose(t, b, a)
		waitFor(t, "the standby to take over from a lost leader", func() bool {
			lead, err := c.Lead(ctx)
			require.NoError(t, err)
			return lead
		})
		waitFor(t, "the lost session to report its loss", func() bool {
			_, err := a.Lead(ctx)
			return errors.Is(err, store.ErrSessionLost)
		})
		require.Equal(t, []string{"wc"}, names(t, ctx, b), "a lost process is not listed")
	})

	t.Run("RescueLost", func(t *testing.T) {
		ctx, b := fresh(t)
		a := join(t, ctx, b, "wa")
		leader := join(t, ctx, b, "wl")
		mustLead(t, ctx, leader)
		// The lost process holds three tasks: one to retry, one whose
		// attempts are spent, one asked to cancel; a fourth is another
		// process's.
		retry := mustCreate(t, ctx, b, store.NewTask{MaxAttempts: 3})
		spent := mustCreate(t, ctx, b, store.NewTask{MaxAttempts: 1})
		cancelled := mustCreate(t, ctx, b, store.NewTask{})
		other := mustCreate(t, ctx, b, store.NewTask{})
		for _, id := range []string{retry.ID, spent.ID, cancelled.ID} {
			claimID(t, ctx, b, id, "wa", time.Hour)
		}
		claimID(t, ctx, b, other.ID, "wl", time.Hour)
		_, err := b.Cancel(ctx, cancelled.ID)
		require.NoError(t, err)

		got, err := leader.RescueLost(ctx, 10)
		require.NoError(t, err)
		require.Empty(t, got, "a live process's tasks stay")

		lose(t, b, a)
		var rescued []store.Rescued
		waitFor(t, "the lost process's tasks to be rescued", func() bool {
			got, err := leader.RescueLost(ctx, 10)
			require.NoError(t, err)
			rescued = append(rescued, got...)
			return len(rescued) > 0
		})
		byID := map[string]store.Status{}
		for _, r := range rescued {
			byID[r.TaskID] = r.Status
			require.Equal(t, "test", r.Type)
		}
		require.Equal(t, map[string]store.Status{
			retry.ID: store.StatusRetry, spent.ID: store.StatusFailed, cancelled.ID: store.StatusCancelled,
		}, byID)
		r := mustGet(t, ctx, b, retry.ID)
		require.Equal(t, store.StatusRetry, r.Status)
		require.Equal(t, 1, r.Attempts, "the lost attempt counts")
		require.Empty(t, r.LockedBy)
		require.Nil(t, r.LeaseExpiresAt)
		require.NotEmpty(t, r.Error)
		require.Len(t, r.AttemptHistory, 1)
		require.Equal(t, store.Attempt{Attempt: 1, Worker: "wa", Outcome: store.StatusRetry, Error: "worker process lost"},
			store.Attempt{Attempt: r.AttemptHistory[0].Attempt, Worker: r.AttemptHistory[0].Worker,
				Outcome: r.AttemptHistory[0].Outcome, Error: r.AttemptHistory[0].Error}, "the lost attempt is in the history")
		require.Equal(t, store.StatusRunning, mustGet(t, ctx, b, other.ID).Status)

		// The lost process's late outcome is fenced off.
		errs, err := b.Finish(ctx, []store.Outcome{{TaskID: retry.ID, Worker: "wa", Attempt: 1, Kind: store.OutcomeComplete}})
		require.NoError(t, err)
		require.ErrorIs(t, errs[0], store.ErrLeaseLost)
		// The task runs again at once.
		again := claimID(t, ctx, b, retry.ID, "wl", time.Minute)
		require.Equal(t, 2, again.Attempts)

		got, err = leader.RescueLost(ctx, 10)
		require.NoError(t, err)
		require.Empty(t, got, "a lost process is rescued once")
		require.Equal(t, []string{"wl"}, names(t, ctx, b))
	})

	t.Run("RejoinRescuesOwnTasks", func(t *testing.T) {
		ctx, b := fresh(t)
		a := join(t, ctx, b, "wa")
		task := mustCreate(t, ctx, b, store.NewTask{})
		claimID(t, ctx, b, task.ID, "wa", time.Hour)
		lose(t, b, a)
		// With no leader to notice, the process that lost its session
		// joins again under its name: its old tasks go back to the queue.
		var again store.Session
		waitFor(t, "the process to join again", func() bool {
			se, err := b.Join(ctx, store.ProcessInfo{Name: "wa"})
			if errors.Is(err, store.ErrNameInUse) {
				return false // the old session is still ending
			}
			require.NoError(t, err)
			again = se
			return true
		})
		t.Cleanup(func() { _ = again.Leave(context.Background()) })
		require.Greater(t, again.ID(), a.ID())
		got := mustGet(t, ctx, b, task.ID)
		require.Equal(t, store.StatusRetry, got.Status)
		errs, err := b.Finish(ctx, []store.Outcome{{TaskID: task.ID, Worker: "wa", Attempt: 1, Kind: store.OutcomeComplete}})
		require.NoError(t, err)
		require.ErrorIs(t, errs[0], store.ErrLeaseLost, "the old attempt's outcome is rejected")
		ps, err := b.Processes(ctx)
		require.NoError(t, err)
		require.Len(t, ps, 1)
		require.Equal(t, again.ID(), ps[0].ID)
	})
	t.Run("RejoinRescuesTasksClaimedWhileUnregistered", func(t *testing.T) {
		ctx, b := fresh(t)
		a := join(t, ctx, b, "wa")
		leader := join(t, ctx, b, "wl")
		mustLead(t, ctx, leader)
		lose(t, b, a)
		waitFor(t, "the lost registration to be removed", func() bool {
			_, err := leader.RescueLost(ctx, 10)
			require.NoError(t, err)
			return !slices.Contains(names(t, ctx, b), "wa")
		})
		// A claim the process had in flight when its session ended lands
		// after the leader removed its registration: nothing registered
		// holds the task, and joining again under the name returns it at
		// once instead of leaving it to its lease.
		task := mustCreate(t, ctx, b, store.NewTask{})
		claimID(t, ctx, b, task.ID, "wa", time.Hour)
		again := join(t, ctx, b, "wa")
		got := mustGet(t, ctx, b, task.ID)
		require.Equal(t, store.StatusRetry, got.Status)
		require.Empty(t, got.LockedBy)
		errs, err := b.Finish(ctx, []store.Outcome{{TaskID: task.ID, Worker: "wa", Attempt: 1, Kind: store.OutcomeComplete}})
		require.NoError(t, err)
		require.ErrorIs(t, errs[0], store.ErrLeaseLost, "the unregistered attempt's outcome is rejected")
		require.ElementsMatch(t, []string{"wl", "wa"}, names(t, ctx, b))
		require.NotZero(t, again.ID())
	})
}

// RunScheduleStore checks the schedule-state capability
// ([store.ScheduleStore]) of the backends open returns (each fresh).
func RunScheduleStore(t *testing.T, open func(t *testing.T) store.ScheduleStore) {
	t.Helper()
	t.Run("States", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s := open(t)
		before, err := s.Now(ctx)
		require.NoError(t, err)
		require.Equal(t, time.UTC, before.Location())
		sts, err := s.ScheduleStates(ctx, []string{"a", "b"})
		require.NoError(t, err)
		require.Len(t, sts, 2)
		byName := map[string]store.ScheduleState{}
		for _, st := range sts {
			byName[st.Name] = st
			require.False(t, st.Since.Before(before.Add(-time.Second)))
			require.Nil(t, st.LastRun)
			require.Nil(t, st.NextRun)
		}
		first := byName["a"].Since

		t1 := first.Add(time.Minute).Truncate(time.Second)
		t2 := t1.Add(time.Minute)
		require.NoError(t, s.AdvanceSchedule(ctx, "a", &t2, t2.Add(time.Minute)))
		require.NoError(t, s.AdvanceSchedule(ctx, "a", &t1, t2.Add(2*time.Minute)), "an older last run is kept")
		require.NoError(t, s.AdvanceSchedule(ctx, "b", nil, t1))
		require.ErrorIs(t, s.AdvanceSchedule(ctx, "nope", nil, t1), store.ErrNotFound)

		sts, err = s.ScheduleStates(ctx, []string{"a", "b", "c"})
		require.NoError(t, err)
		require.Len(t, sts, 3)
		for _, st := range sts {
			byName[st.Name] = st
		}
		a := byName["a"]
		require.True(t, a.Since.Equal(first), "a schedule keeps its first Since")
		require.NotNil(t, a.LastRun)
		require.True(t, a.LastRun.Equal(t2), "LastRun never moves back")
		require.True(t, a.NextRun.Equal(t2.Add(2*time.Minute)))
		require.Nil(t, byName["b"].LastRun)
		require.True(t, byName["b"].NextRun.Equal(t1))
		require.Nil(t, byName["c"].NextRun)
	})
}
