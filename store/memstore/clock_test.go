package memstore

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/fakeclock"
	"github.com/seedcore/seedcore/store"
)

func newClocked(t *testing.T) (context.Context, *Store, *fakeclock.Clock) {
	t.Helper()
	t.Parallel()
	clock := newFakeClock()
	return context.Background(), New(Options{Now: clock.Now}), clock
}

func create(t *testing.T, ctx context.Context, s *Store, nt store.NewTask) store.Task {
	t.Helper()
	if nt.Type == "" {
		nt.Type = "t"
	}
	task, created, err := s.Create(ctx, nt)
	require.NoError(t, err)
	require.True(t, created)
	return task
}

func claim(t *testing.T, ctx context.Context, s *Store, lease time.Duration) []store.Task {
	t.Helper()
	tasks, err := s.Claim(ctx, "w", 10, lease)
	require.NoError(t, err)
	return tasks
}

func rescue(t *testing.T, ctx context.Context, s *Store) []store.Rescued {
	t.Helper()
	rs, err := s.Rescue(ctx, 100)
	require.NoError(t, err)
	return rs
}

func TestClockTimestamps(t *testing.T) {
	ctx, s, clock := newClocked(t)
	task := create(t, ctx, s, store.NewTask{})
	want := clock.Now().Truncate(time.Microsecond)
	require.Equal(t, want, task.CreatedAt)
	require.Equal(t, time.UTC, task.CreatedAt.Location())
	require.Equal(t, want, task.RunAfter)

	clock.Advance(time.Second)
	held := claim(t, ctx, s, 30*time.Second)[0]
	require.Equal(t, want.Add(time.Second), *held.StartedAt)
	require.Equal(t, want.Add(31*time.Second), *held.LeaseExpiresAt)
}

func TestClockLeaseExpiry(t *testing.T) {
	ctx, s, clock := newClocked(t)
	task := create(t, ctx, s, store.NewTask{})
	claim(t, ctx, s, 30*time.Second)

	clock.Advance(29 * time.Second)
	require.Empty(t, rescue(t, ctx, s))
	leases, err := s.Heartbeat(ctx, "w", []string{task.ID}, 30*time.Second)
	require.NoError(t, err)
	require.Len(t, leases, 1)

	clock.Advance(30 * time.Second) // the lease ends exactly now: not yet expired
	require.Empty(t, rescue(t, ctx, s), "a heartbeat extends the lease")
	clock.Advance(time.Microsecond)
	require.Equal(t, []store.Rescued{{TaskID: task.ID, Type: "t", Status: store.StatusRetry}}, rescue(t, ctx, s))

	got, err := s.Get(ctx, task.ID)
	require.NoError(t, err)
	require.Equal(t, clock.Now().Truncate(time.Microsecond), got.RunAfter, "rescued tasks are claimable at once")
	require.Contains(t, got.Error, "expired")
	require.Len(t, claim(t, ctx, s, time.Second), 1)
}

func TestClockDelayedBecomesReady(t *testing.T) {
	ctx, s, clock := newClocked(t)
	low := create(t, ctx, s, store.NewTask{Priority: 1})
	high := create(t, ctx, s, store.NewTask{Priority: 5, RunAfter: clock.Now().Add(time.Minute)})

	first := claim(t, ctx, s, time.Hour)
	require.Equal(t, []string{low.ID}, []string{first[0].ID})
	require.Len(t, first, 1, "the delayed task is not claimable yet")

	_, err := s.Finish(ctx, []store.Outcome{{TaskID: low.ID, Worker: "w", Attempt: 1, Kind: store.OutcomeRetry, RetryIn: 10 * time.Second}})
	require.NoError(t, err)
	clock.Advance(9 * time.Second)
	require.Empty(t, claim(t, ctx, s, time.Hour))

	clock.Advance(time.Minute)
	both := claim(t, ctx, s, time.Hour)
	require.Len(t, both, 2)
	require.Equal(t, high.ID, both[0].ID, "a promoted task is ordered by priority with the ready ones")
	require.Equal(t, low.ID, both[1].ID)
	require.Equal(t, 2, both[1].Attempts)
}

func TestClockRetention(t *testing.T) {
	ctx, s, clock := newClocked(t)
	task := create(t, ctx, s, store.NewTask{})
	_, err := s.Cancel(ctx, task.ID)
	require.NoError(t, err)
	clock.Advance(time.Minute)
	n, err := s.DeleteFinished(ctx, time.Minute, 10)
	require.NoError(t, err)
	require.Zero(t, n, "finished exactly a minute ago is not older than a minute")
	clock.Advance(time.Microsecond)
	n, err = s.DeleteFinished(ctx, time.Minute, 10)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = s.DeleteFinished(ctx, time.Minute, 0)
	require.Error(t, err)
}

func TestSnapshotsAreCopies(t *testing.T) {
	ctx, s, _ := newClocked(t)
	task := create(t, ctx, s, store.NewTask{Params: json.RawMessage(`{"a":1}`)})
	task.Params[2] = 'b'
	held := claim(t, ctx, s, time.Minute)[0]
	*held.StartedAt = time.Time{}
	*held.LeaseExpiresAt = time.Time{}
	got, err := s.Get(ctx, task.ID)
	require.NoError(t, err)
	require.JSONEq(t, `{"a":1}`, string(got.Params))
	require.False(t, got.StartedAt.IsZero())
	require.False(t, got.LeaseExpiresAt.IsZero())
}

func TestInvalidArguments(t *testing.T) {
	ctx, s, _ := newClocked(t)
	_, err := s.Claim(ctx, "", 1, time.Second)
	require.Error(t, err)
	_, err = s.Claim(ctx, "w", 1, 0)
	require.Error(t, err)
	none, err := s.Claim(ctx, "w", 0, time.Second)
	require.NoError(t, err)
	require.Empty(t, none)
	_, err = s.Heartbeat(ctx, "w", nil, -time.Second)
	require.Error(t, err)
	_, err = s.Finish(ctx, []store.Outcome{{TaskID: "x%", Kind: store.OutcomeComplete}})
	require.ErrorIs(t, err, store.ErrInvalidID)
	require.ErrorIs(t, s.SetEnrichment(ctx, store.NewID(), json.RawMessage(`{`)), store.ErrInvalidTask)

	done, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err = s.Create(done, store.NewTask{Type: "t"})
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, s.Ping(done), context.Canceled)
	require.NoError(t, s.Ping(ctx))
}

func TestClockHeartbeatReordersLeases(t *testing.T) {
	ctx, s, clock := newClocked(t)
	a := create(t, ctx, s, store.NewTask{Priority: 2})
	b := create(t, ctx, s, store.NewTask{Priority: 1})
	_, err := s.Claim(ctx, "wa", 1, 10*time.Second)
	require.NoError(t, err)
	_, err = s.Claim(ctx, "wb", 1, 20*time.Second)
	require.NoError(t, err)

	leases, err := s.Heartbeat(ctx, "wa", []string{a.ID, b.ID}, time.Minute)
	require.NoError(t, err)
	require.Equal(t, []store.Lease{{TaskID: a.ID, Attempt: 1}}, leases)

	clock.Advance(25 * time.Second)
	rs, err := s.Rescue(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, []store.Rescued{{TaskID: b.ID, Type: "t", Status: store.StatusRetry}}, rs,
		"the task whose lease was not extended is rescued; the extended one is kept")
	got, err := s.Get(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, store.StatusRunning, got.Status)
}
