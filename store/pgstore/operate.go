package pgstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lib/pq"

	"github.com/seedcore/seedcore/store"
)

// retrySet is the SET list of an operator's retry of the row t: back to
// queued, due now, with as many attempts again as the task was first
// given (kept in attempt_budget by the first retry). attempts is left as
// it is, so the fence of an earlier attempt never matches a later one.
// The last attempt, kept in the row's columns while it was the last (see
// appendAttemptAt), goes into attempt_history.
var retrySet = `status = 'queued',
	attempt_history = CASE WHEN t.locked_by IS NULL THEN t.attempt_history
	    ELSE ` + appendAttemptAt(`t.status`, `t.error`, `t.finished_at`) + ` END,
	locked_by = NULL,
	attempt_budget = coalesce(t.attempt_budget, t.max_attempts),
	max_attempts = t.attempts + coalesce(t.attempt_budget, t.max_attempts),
	run_after = now(),
	finished_at = NULL,
	cancel_requested = false,
	result = NULL,
	updated_at = now()`

// Retry puts a failed or cancelled task back in the queue; see
// [store.Store.Retry]. It sends "r" and "c:<id>" on commit.
func (s *Store) Retry(ctx context.Context, id string) (store.Task, error) {
	tbl := s.schema + ".tasks"
	q := `UPDATE ` + tbl + ` t SET ` + retrySet + `
	WHERE t.id = $1 AND t.status IN ('failed', 'cancelled') RETURNING ` + taskCols
	t, err := s.single(ctx, "retry", id, q, store.StatusQueued)
	if err == nil {
		s.ready.wake()
		if s.statusNotify {
			s.changed.wake(t.ID)
		}
	}
	return t, err
}

// Delete removes a finished task; see [store.Store.Delete]. It sends
// "c:<id>", so the watchers of the task learn it is gone.
func (s *Store) Delete(ctx context.Context, id string) error {
	full, err := store.ParseID(id)
	if err != nil {
		return err
	}
	var got string
	err = s.db.QueryRowContext(ctx, `DELETE FROM `+s.schema+`.tasks
	WHERE id = $1 AND status IN `+terminalList+` RETURNING id`, full).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return s.transitionErr(ctx, "delete", full, "deleted")
	}
	if err != nil {
		return errorf("pgstore: delete: %w", err)
	}
	if s.statusNotify {
		s.changed.wake(full)
	}
	return nil
}

// RetryMatching retries every task f selects, or none; see
// [store.Store.RetryMatching].
func (s *Store) RetryMatching(ctx context.Context, f store.BulkFilter) (int, error) {
	f, err := f.Normalize(store.RetryableStatuses()...)
	if err != nil {
		return 0, err
	}
	n, ids, err := s.matching(ctx, "retry", f, func(picked string) string {
		return `UPDATE ` + s.schema + `.tasks t SET ` + retrySet + ` FROM ` + picked + ` p WHERE t.id = p.id`
	})
	if err == nil && n > 0 {
		s.ready.wake()
		if s.statusNotify {
			s.changed.wake(ids...)
		}
	}
	return n, err
}

// DeleteMatching deletes every task f selects, or none; see
// [store.Store.DeleteMatching].
func (s *Store) DeleteMatching(ctx context.Context, f store.BulkFilter) (int, error) {
	f, err := f.Normalize(store.DeletableStatuses()...)
	if err != nil {
		return 0, err
	}
	n, ids, err := s.matching(ctx, "delete", f, func(picked string) string {
		return `DELETE FROM ` + s.schema + `.tasks t USING ` + picked + ` p WHERE t.id = p.id`
	})
	if err == nil && n > 0 && s.statusNotify {
		s.changed.wake(ids...)
	}
	return n, err
}

// matching runs change (an UPDATE or DELETE of the rows joined to the
// CTE it is given) over the tasks f selects, in one statement: the rows
// are selected and locked (in id order, as every statement here that
// waits for row locks), counted, and changed only when their number is
// f.Confirm. It returns how many were changed and their ids.
func (s *Store) matching(ctx context.Context, op string, f store.BulkFilter, change func(picked string) string) (int, []string, error) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := filterConds(f.Filter(), arg)
	confirm := arg(f.Confirm)
	q := `WITH picked AS (
	SELECT t.id FROM ` + s.schema + `.tasks t WHERE ` + strings.Join(where, " AND ") + `
	ORDER BY t.id LIMIT ` + strconv.Itoa(store.MaxBulk+1) + ` FOR UPDATE),
counted AS (SELECT count(*) AS n FROM picked),
changed AS (` + change(`(SELECT id FROM picked WHERE (SELECT n FROM counted) = `+confirm+`)`) + ` RETURNING t.id)
SELECT (SELECT n FROM counted), (SELECT coalesce(array_agg(id::text), '{}') FROM changed)`
	var (
		matched int
		ids     pq.StringArray
	)
	if err := s.db.QueryRowContext(ctx, q, args...).Scan(&matched, &ids); err != nil {
		return 0, nil, errorf("pgstore: %s matching: %w", op, err)
	}
	switch {
	case matched > store.MaxBulk:
		return 0, nil, fmt.Errorf("%w: more than %d", store.ErrTooMany, store.MaxBulk)
	case matched != f.Confirm:
		return 0, nil, &store.CountMismatchError{Matched: matched, Confirmed: f.Confirm}
	}
	return len(ids), ids, nil
}
