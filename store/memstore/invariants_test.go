package memstore

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

// checkInvariants verifies that every index agrees with the task records.
func checkInvariants(t *testing.T, s *Store) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	counts := map[store.Status]int{}
	running := 0
	for id, e := range s.tasks {
		require.Equal(t, id, e.t.ID)
		require.False(t, e.dead)
		counts[e.t.Status]++
		st := e.t.Status
		switch {
		case st.Ready():
			require.True(t, s.ready.holds(e) || e.heap == &s.delayed, "%s task %s not in a claim heap", st, id)
		case st == store.StatusRunning:
			running++
			require.Same(t, &s.leases, e.heap)
			require.NotEmpty(t, e.t.LockedBy)
			require.NotNil(t, e.holder)
			require.Same(t, s.workers[e.t.LockedBy], e.holder)
			require.NotNil(t, e.t.LeaseExpiresAt)
		case st.Terminal():
			require.Same(t, &s.finished, e.heap)
			require.NotNil(t, e.t.FinishedAt)
		default:
			require.Nil(t, e.heap)
		}
		if st != store.StatusRunning {
			require.Nil(t, e.holder, "%s task %s has a holder", st, id)
		}
		if !st.Terminal() {
			require.Nil(t, e.t.FinishedAt)
		}
		if st != store.StatusRunning {
			require.Empty(t, e.t.LockedBy)
			require.Nil(t, e.t.LeaseExpiresAt)
		}
		if k := e.t.IdempotencyKey; k != "" {
			require.Same(t, e, s.keys[k])
		}
		require.GreaterOrEqual(t, e.t.Attempts, 0)
		require.LessOrEqual(t, e.t.Attempts, e.t.MaxAttempts)
	}
	for _, st := range store.Statuses() {
		require.Equal(t, counts[st], s.counts[st], "count of %s", st)
	}
	byQueue := map[string]map[store.Status]int{}
	for _, e := range s.tasks {
		if byQueue[e.t.Queue] == nil {
			byQueue[e.t.Queue] = map[store.Status]int{}
		}
		byQueue[e.t.Queue][e.t.Status]++
	}
	require.Len(t, s.queueCounts, len(byQueue), "queues counted")
	for q, c := range byQueue {
		for _, st := range store.Statuses() {
			require.Equal(t, c[st], s.queueCounts[q][st], "count of %s in queue %s", st, q)
		}
	}
	held := 0
	for name, h := range s.workers {
		require.Equal(t, name, h.name)
		require.Positive(t, h.running, "worker without running tasks kept")
		held += h.running
	}
	require.Equal(t, running, held)
	heaps := []*taskHeap{&s.delayed, &s.leases, &s.finished}
	for k, h := range s.ready.heaps {
		for e := range h.all() {
			require.Equal(t, k.typ, e.t.Type, "task in the ready heap of another type")
			require.Equal(t, k.queue, e.t.Queue, "task in the ready heap of another queue")
		}
		require.Same(t, h, s.ready.types[k.queue][k.typ])
		heaps = append(heaps, h)
	}
	for _, h := range heaps {
		checkTaskHeap(t, h, h.Len())
	}
	live := func(list []*entry) int {
		n := 0
		for _, e := range list {
			if !e.dead {
				n++
			}
		}
		return n
	}
	require.True(t, slices.IsSortedFunc(s.byID, idCmp))
	require.True(t, slices.IsSortedFunc(s.byCreated, createdCmp))
	require.Equal(t, len(s.tasks), live(s.byID))
	require.Equal(t, len(s.tasks), live(s.byCreated))
}

// TestRandomOperations applies a long random sequence of operations under
// an injected clock and checks the indexes after each step.
func TestRandomOperations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	s := New(Options{Now: clock.Now})
	rng := rand.New(rand.NewPCG(1, 2))
	workers := []string{"w1", "w2", "w3"}
	kinds := []store.OutcomeKind{store.OutcomeComplete, store.OutcomeRetry, store.OutcomeFail, store.OutcomeCancel, store.OutcomeRelease}
	var held []store.Task // claimed tasks, possibly stale
	anyID := func() string {
		page, err := s.List(ctx, store.Filter{Limit: store.MaxListLimit})
		require.NoError(t, err)
		if len(page.Tasks) == 0 {
			return store.NewID()
		}
		return page.Tasks[rng.IntN(len(page.Tasks))].ID
	}
	for step := range 3000 {
		switch rng.IntN(10) {
		case 0, 1:
			nt := store.NewTask{
				Type: "t", Priority: rng.IntN(5), MaxAttempts: 1 + rng.IntN(3),
				Hold: rng.IntN(5) == 0, RunAfter: clock.Now().Add(time.Duration(rng.IntN(20)-10) * time.Second),
			}
			if rng.IntN(3) == 0 {
				nt.IdempotencyKey = string(rune('a' + rng.IntN(26)))
			}
			_, _, err := s.Create(ctx, nt)
			require.NoError(t, err)
		case 2:
			_, err := s.Run(ctx, anyID())
			if err != nil && !errors.Is(err, store.ErrInvalidTransition) && !errors.Is(err, store.ErrNotFound) {
				require.NoError(t, err)
			}
		case 3:
			_, err := s.Cancel(ctx, anyID())
			if err != nil && !errors.Is(err, store.ErrInvalidTransition) && !errors.Is(err, store.ErrNotFound) {
				require.NoError(t, err)
			}
		case 4:
			got, err := s.Claim(ctx, workers[rng.IntN(len(workers))], 1+rng.IntN(3), time.Duration(1+rng.IntN(10))*time.Second)
			require.NoError(t, err)
			held = append(held, got...)
		case 5:
			ids := make([]string, 0, len(held))
			for _, h := range held {
				ids = append(ids, h.ID)
			}
			_, err := s.Heartbeat(ctx, workers[rng.IntN(len(workers))], ids, time.Duration(1+rng.IntN(10))*time.Second)
			require.NoError(t, err)
		case 6:
			if len(held) == 0 {
				continue
			}
			i := rng.IntN(len(held))
			task := held[i]
			held = slices.Delete(held, i, i+1)
			o := store.Outcome{TaskID: task.ID, Worker: task.LockedBy, Attempt: task.Attempts, Kind: kinds[rng.IntN(len(kinds))], RetryIn: time.Duration(rng.IntN(10)) * time.Second}
			errs, err := s.Finish(ctx, []store.Outcome{o})
			require.NoError(t, err)
			if errs[0] != nil {
				require.ErrorIs(t, errs[0], store.ErrLeaseLost)
			}
		case 7:
			_, err := s.Rescue(ctx, 1+rng.IntN(5))
			require.NoError(t, err)
		case 8:
			clock.Advance(time.Duration(rng.IntN(3000)) * time.Millisecond)
		case 9:
			_, err := s.DeleteFinished(ctx, time.Duration(rng.IntN(20))*time.Second, 1+rng.IntN(3))
			require.NoError(t, err)
		}
		if step%10 == 0 {
			checkInvariants(t, s)
		}
	}
	checkInvariants(t, s)
}
