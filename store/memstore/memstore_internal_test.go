package memstore

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/fakeclock"
	"github.com/seedcore/seedcore/store"
)

// newFakeClock is a settable clock for Options.Now.
func newFakeClock() *fakeclock.Clock {
	return fakeclock.New(time.Date(2030, 1, 2, 3, 4, 5, 678_901_234, time.UTC))
}

func TestCompactionKeepsLookups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	s := New(Options{Now: clock.Now})
	const n = 3000
	nts := make([]store.NewTask, n)
	for i := range nts {
		nts[i] = store.NewTask{Type: "t"}
	}
	_, err := s.CreateMany(ctx, nts)
	require.NoError(t, err)
	page, err := s.List(ctx, store.Filter{Limit: store.MaxListLimit})
	require.NoError(t, err)
	// Cancel every other task of the newest thousand, age them, delete.
	for i, task := range page.Tasks {
		if i%2 == 0 {
			_, err := s.Cancel(ctx, task.ID)
			require.NoError(t, err)
		}
	}
	clock.Advance(time.Hour)
	deleted, err := s.DeleteFinished(ctx, time.Minute, 7)
	require.NoError(t, err)
	require.Equal(t, store.MaxListLimit/2, deleted)
	// Delete more than half so the indexes compact.
	claimed, err := s.Claim(ctx, "w", n, time.Minute)
	require.NoError(t, err)
	outcomes := make([]store.Outcome, 0, len(claimed))
	for _, task := range claimed[:len(claimed)-10] {
		outcomes = append(outcomes, store.Outcome{TaskID: task.ID, Worker: "w", Attempt: 1, Kind: store.OutcomeComplete})
	}
	_, err = s.Finish(ctx, outcomes)
	require.NoError(t, err)
	clock.Advance(time.Hour)
	deleted, err = s.DeleteFinished(ctx, time.Minute, 100)
	require.NoError(t, err)
	require.Equal(t, len(outcomes), deleted)

	s.mu.Lock()
	require.Less(t, len(s.byID), n-deleted, "dead entries were compacted")
	require.Len(t, s.tasks, 10)
	s.mu.Unlock()

	page, err = s.List(ctx, store.Filter{})
	require.NoError(t, err)
	require.Equal(t, 10, page.Total)
	for _, task := range page.Tasks {
		got, err := s.Get(ctx, task.ID[:30])
		require.NoError(t, err)
		require.Equal(t, task.ID, got.ID)
	}
	counts, err := s.Counts(ctx)
	require.NoError(t, err)
	require.Equal(t, 10, counts[store.StatusRunning])
	require.Zero(t, counts[store.StatusCompleted]+counts[store.StatusCancelled])
}
