package memstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/seedcore/seedcore/store"
)

// Retry puts a failed or cancelled task back in the queue with a fresh
// attempt budget; see [store.Store].
func (s *Store) Retry(ctx context.Context, id string) (store.Task, error) {
	return s.transition(ctx, id, "retry", func(st store.Status) bool {
		return slices.Contains(store.RetryableStatuses(), st)
	}, s.retry)
}

// retry moves the failed or cancelled e to queued, due now, with as many
// attempts left as it was first given. s.mu must be held.
func (s *Store) retry(e *entry, ev *eventBatch) {
	now := s.clock()
	if e.budget == 0 {
		e.budget = e.t.MaxAttempts
	}
	e.t.MaxAttempts = e.t.Attempts + e.budget
	s.setStatus(e, store.StatusQueued)
	e.t.RunAfter = now
	e.t.FinishedAt = nil
	e.t.CancelRequested = false
	e.t.Result = nil
	e.t.UpdatedAt = now
	s.resize(e)
	ev.changed(e.t.ID)
	if s.place(e, now) {
		ev.ready()
	}
}

// Delete removes a finished task; see [store.Store].
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	id, err := store.ParseID(id)
	if err != nil {
		return err
	}
	ev := s.events.batch()
	s.mu.Lock()
	e, err := s.lookup(id)
	if err == nil && !e.t.Status.Terminal() {
		err = fmt.Errorf("%w: delete a %s task", store.ErrInvalidTransition, e.t.Status)
	}
	if err != nil {
		s.mu.Unlock()
		return err
	}
	s.remove(e)
	ev.changed(id)
	s.mu.Unlock()
	ev.send()
	return nil
}

// RetryMatching retries every task f selects, or none; see [store.Store].
func (s *Store) RetryMatching(ctx context.Context, f store.BulkFilter) (int, error) {
	return s.matching(ctx, f, store.RetryableStatuses(), func(e *entry, ev *eventBatch) { s.retry(e, ev) })
}

// DeleteMatching deletes every task f selects, or none; see
// [store.Store].
func (s *Store) DeleteMatching(ctx context.Context, f store.BulkFilter) (int, error) {
	return s.matching(ctx, f, store.DeletableStatuses(), func(e *entry, ev *eventBatch) {
		s.remove(e)
		ev.changed(e.t.ID)
	})
}

// matching applies do to every task f selects when their number is the
// one f confirms, all under one hold of the lock.
func (s *Store) matching(ctx context.Context, f store.BulkFilter, allowed []store.Status, do func(*entry, *eventBatch)) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	f, err := f.Normalize(allowed...)
	if err != nil {
		return 0, err
	}
	ev := s.events.batch()
	s.mu.Lock()
	var picked []*entry
	sel := f.Filter()
	for _, e := range s.byID {
		if !e.dead && sel.Match(&e.t) {
			if len(picked) == store.MaxBulk {
				s.mu.Unlock()
				return 0, fmt.Errorf("%w: more than %d", store.ErrTooMany, store.MaxBulk)
			}
			picked = append(picked, e)
		}
	}
	if len(picked) != f.Confirm {
		s.mu.Unlock()
		return 0, &store.CountMismatchError{Matched: len(picked), Confirmed: f.Confirm}
	}
	for _, e := range picked {
		do(e, &ev)
	}
	s.mu.Unlock()
	ev.send()
	return len(picked), nil
}
