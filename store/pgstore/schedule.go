package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/seedcore/seedcore/store"
)

var _ store.ScheduleStore = (*Store)(nil)

// Now returns the database's now().
func (s *Store) Now(ctx context.Context) (time.Time, error) {
	var t time.Time
	if err := s.db.QueryRowContext(ctx, `SELECT now()`).Scan(&t); err != nil {
		return time.Time{}, errorf("pgstore: now: %w", err)
	}
	return t.UTC(), nil
}

// ScheduleStates inserts the names not yet stored and returns every
// one's state.
func (s *Store) ScheduleStates(ctx context.Context, names []string) ([]store.ScheduleState, error) {
	tbl := s.schema + ".schedules"
	if _, err := s.db.ExecContext(ctx, `INSERT INTO `+tbl+` (name) SELECT unnest($1::text[])
		ON CONFLICT (name) DO NOTHING`, pq.StringArray(names)); err != nil {
		return nil, errorf("pgstore: schedule states: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT name, since, last_run_at, next_run_at FROM `+tbl+`
		WHERE name = ANY($1::text[]) ORDER BY name`, pq.StringArray(names))
	if err != nil {
		return nil, errorf("pgstore: schedule states: %w", err)
	}
	defer rows.Close()
	var out []store.ScheduleState
	for rows.Next() {
		var st store.ScheduleState
		if err := rows.Scan(&st.Name, &st.Since, &st.LastRun, &st.NextRun); err != nil {
			return nil, errorf("pgstore: schedule states: %w", err)
		}
		st.Since = st.Since.UTC()
		for _, p := range []*time.Time{st.LastRun, st.NextRun} {
			if p != nil {
				*p = p.UTC()
			}
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, errorf("pgstore: schedule states: %w", err)
	}
	return out, nil
}

// AdvanceSchedule moves a schedule's last run forward and sets its next.
func (s *Store) AdvanceSchedule(ctx context.Context, name string, last *time.Time, next time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE `+s.schema+`.schedules SET
		last_run_at = greatest(last_run_at, $2::timestamptz), next_run_at = $3, updated_at = now()
		WHERE name = $1`, name, last, next)
	if err != nil {
		return errorf("pgstore: advance schedule: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return errorf("pgstore: advance schedule: %w", err)
	} else if n == 0 {
		return fmt.Errorf("pgstore: advance schedule %q: %w", name, store.ErrNotFound)
	}
	return nil
}
