package pgstore

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/lib/pq"

	"github.com/seedcore/seedcore/store"
)

// DefaultDeleteBatch is the batch size DeleteFinished uses when given a
// batch of zero or less.
const DefaultDeleteBatch = 1000

// Claim moves up to limit ready tasks to running under a lease held by
// worker, in one statement (UPDATE … FROM (SELECT … FOR UPDATE SKIP
// LOCKED LIMIT n) … RETURNING) served by the partial index
// tasks_claim_idx. The lease ends lease after the database's now(). Tasks
// come back in claim order. It sends one "c" notification (unless
// [Options.NoStatusNotify]) when it claimed anything.
func (s *Store) Claim(ctx context.Context, worker string, limit int, lease time.Duration) ([]store.Task, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, s.q.claim, worker, limit, micros(lease))
	if err != nil {
		return nil, fmt.Errorf("pgstore: claim: %w", err)
	}
	ts, err := scanTasks(rows)
	if err != nil {
		return nil, fmt.Errorf("pgstore: claim: %w", err)
	}
	sort.Slice(ts, func(i, j int) bool {
		a, b := ts[i], ts[j]
		if a.Priority != b.Priority {
			return a.Priority > b.Priority
		}
		if !a.RunAfter.Equal(b.RunAfter) {
			return a.RunAfter.Before(b.RunAfter)
		}
		return a.ID < b.ID
	})
	return ts, nil
}

// Heartbeat extends, in one UPDATE, the lease of every running task locked
// by worker to the database's now()+lease and returns them.
func (s *Store) Heartbeat(ctx context.Context, worker string, lease time.Duration) ([]store.Lease, error) {
	rows, err := s.db.QueryContext(ctx, s.q.heartbeat, worker, micros(lease))
	if err != nil {
		return nil, fmt.Errorf("pgstore: heartbeat: %w", err)
	}
	defer rows.Close()
	var out []store.Lease
	for rows.Next() {
		var l store.Lease
		if err := rows.Scan(&l.TaskID, &l.Attempt, &l.CancelRequested); err != nil {
			return nil, fmt.Errorf("pgstore: heartbeat: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: heartbeat: %w", err)
	}
	return out, nil
}

// Finish records a batch of outcomes in one statement (UPDATE … FROM
// unnest(…)), each fenced by status running, its worker and its attempt.
// The i-th returned error is nil when outcome i applied and wraps
// store.ErrLeaseLost otherwise. A task with CancelRequested ends
// cancelled whatever the kind; a retry of a task that spent MaxAttempts
// ends failed; a release returns the task to queued, claimable at once,
// without counting the attempt. It sends one "r" when any task became
// ready and one "c" (unless [Options.NoStatusNotify]) when any applied.
// An unknown kind fails the whole call with an error wrapping
// store.ErrInvalidTask.
func (s *Store) Finish(ctx context.Context, outcomes []store.Outcome) ([]error, error) {
	errs := make([]error, len(outcomes))
	if len(outcomes) == 0 {
		return errs, nil
	}
	var (
		ids, workers, kinds, results, msgs []string
		attempts                           []int64
		retry                              []int64
		index                              []int // statement position → outcome index
	)
	for i, o := range outcomes {
		switch o.Kind {
		case store.OutcomeComplete, store.OutcomeRetry, store.OutcomeFail, store.OutcomeCancel, store.OutcomeRelease:
		default:
			return nil, fmt.Errorf("%w: outcome %d: unknown kind %q", store.ErrInvalidTask, i, o.Kind)
		}
		id, err := store.ParseID(o.TaskID)
		if err != nil {
			errs[i] = fmt.Errorf("%w: task %q: %w", store.ErrLeaseLost, o.TaskID, err)
			continue
		}
		if len(o.Result) > 0 && o.Kind == store.OutcomeComplete && !jsonValid(o.Result) {
			return nil, fmt.Errorf("%w: outcome %d: result is not valid JSON", store.ErrInvalidTask, i)
		}
		ids = append(ids, id)
		workers = append(workers, o.Worker)
		attempts = append(attempts, int64(o.Attempt))
		kinds = append(kinds, string(o.Kind))
		results = append(results, string(o.Result))
		msgs = append(msgs, o.Error)
		retry = append(retry, max(micros(o.RetryIn), 0))
		index = append(index, i)
	}
	applied := make([]bool, len(outcomes))
	if len(ids) > 0 {
		rows, err := s.db.QueryContext(ctx, s.q.finish,
			pq.StringArray(ids), pq.StringArray(workers), pq.Int64Array(attempts),
			pq.StringArray(kinds), pq.StringArray(results), pq.StringArray(msgs), pq.Int64Array(retry))
		if err != nil {
			return nil, fmt.Errorf("pgstore: finish: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var ord int
			if err := rows.Scan(&ord); err != nil {
				return nil, fmt.Errorf("pgstore: finish: %w", err)
			}
			if ord >= 1 && ord <= len(index) {
				applied[index[ord-1]] = true
			}
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("pgstore: finish: %w", err)
		}
	}
	for i, o := range outcomes {
		if !applied[i] && errs[i] == nil {
			errs[i] = fmt.Errorf("%w: task %s attempt %d by %q", store.ErrLeaseLost, o.TaskID, o.Attempt, o.Worker)
		}
	}
	return errs, nil
}

// Rescue moves up to limit running tasks whose lease expired (on the
// database's clock) to retry, failed or cancelled, in one statement that
// skips rows other rescuers hold. Their Error becomes "lease expired". It
// sends "r" when any task went to retry and "c" (unless
// [Options.NoStatusNotify]) when any moved.
func (s *Store) Rescue(ctx context.Context, limit int) ([]store.Rescued, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, s.q.rescue, limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: rescue: %w", err)
	}
	defer rows.Close()
	var out []store.Rescued
	for rows.Next() {
		var (
			r  store.Rescued
			st string
		)
		if err := rows.Scan(&r.TaskID, &r.Type, &st); err != nil {
			return nil, fmt.Errorf("pgstore: rescue: %w", err)
		}
		r.Status = store.Status(st)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: rescue: %w", err)
	}
	return out, nil
}

// DeleteFinished deletes terminal tasks whose FinishedAt is older than the
// database's now()-olderThan, at most batch rows per statement (batch <= 0
// means [DefaultDeleteBatch]), until none is left or ctx ends, and returns
// how many it deleted. The batches use tasks_finished_idx.
func (s *Store) DeleteFinished(ctx context.Context, olderThan time.Duration, batch int) (int, error) {
	if batch <= 0 {
		batch = DefaultDeleteBatch
	}
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		res, err := s.db.ExecContext(ctx, s.q.trim, micros(olderThan), batch)
		if err != nil {
			return total, fmt.Errorf("pgstore: delete finished: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("pgstore: delete finished: %w", err)
		}
		total += int(n)
		if int(n) < batch {
			return total, nil
		}
	}
}
