package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/seedcore/seedcore/store"
)

var _ store.ScheduleStore = (*Store)(nil)

// Now returns the store's clock (Options.Now), in UTC.
func (s *Store) Now(ctx context.Context) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	return s.clock(), nil
}

// ScheduleStates records the names not yet stored and returns every one's
// state.
func (s *Store) ScheduleStates(ctx context.Context, names []string) ([]store.ScheduleState, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.schedules == nil {
		s.schedules = make(map[string]*store.ScheduleState)
	}
	out := make([]store.ScheduleState, 0, len(names))
	for _, n := range names {
		st := s.schedules[n]
		if st == nil {
			st = &store.ScheduleState{Name: n, Since: s.clock()}
			s.schedules[n] = st
		}
		c := *st
		c.LastRun, c.NextRun = clonePtr(st.LastRun), clonePtr(st.NextRun)
		out = append(out, c)
	}
	return out, nil
}

// AdvanceSchedule moves a schedule's last run forward and sets its next.
func (s *Store) AdvanceSchedule(ctx context.Context, name string, last *time.Time, next time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.schedules[name]
	if st == nil {
		return fmt.Errorf("memstore: advance schedule %q: %w", name, store.ErrNotFound)
	}
	if last != nil && (st.LastRun == nil || last.After(*st.LastRun)) {
		st.LastRun = timePtr(last.UTC())
	}
	st.NextRun = timePtr(next.UTC())
	return nil
}
