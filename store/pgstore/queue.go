package pgstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/seedcore/seedcore/store"
)

// DefaultDeleteBatch is the batch size DeleteFinished uses when given a
// batch of zero or less.
const DefaultDeleteBatch = 1000

// Claim moves up to limit ready tasks to running under a lease held by
// worker, in one statement (UPDATE … WHERE id = ANY(ARRAY(SELECT … FOR
// UPDATE SKIP LOCKED LIMIT n)) … RETURNING) served by the partial index
// tasks_claim_idx. The lease ends lease after the database's now(). Tasks
// come back in claim order. It sends a "c" notification naming the tasks
// (unless [Options.NoStatusNotify]) when it claimed anything.
func (s *Store) Claim(ctx context.Context, worker string, limit int, lease time.Duration) ([]store.Task, error) {
	return s.ClaimMatching(ctx, worker, limit, lease, store.ClaimFilter{})
}

// ClaimMatching is Claim restricted to the tasks f matches: the claim's
// scan of tasks_claim_idx passes over the ready rows of other types,
// which stay queued. A fair claim (f.Fair) also reads
// tasks_partition_claim_idx: one probe per partition with ready tasks,
// then the first few tasks of each (those without a partition from
// tasks_claim_idx).
func (s *Store) ClaimMatching(ctx context.Context, worker string, limit int, lease time.Duration, f store.ClaimFilter) ([]store.Task, error) {
	if err := checkLease("claim", worker, lease); err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("pgstore: claim: %w", err)
	}
	if limit <= 0 {
		return nil, nil
	}
	// types is the filter's types as an SQL literal of a text array, or
	// empty; cond the claim's condition on them.
	types, cond := "", ""
	if len(f.Types) > 0 {
		// Type names hold no character an array literal must quote.
		types = pq.QuoteLiteral("{" + strings.Join(f.Types, ",") + "}")
		cond = claimCond(types + "::text[]")
	}
	// One simple-protocol message (no parameters): the settings, the
	// look at the queue's limits and the claim run in one implicit
	// transaction, in one round trip. The plain claim takes nothing from
	// a queue with limits; the look tells, and the limited claim follows
	// (and is used first from then on). The limited claim's look locks
	// the queue's row, so limited claims take turns, each in a snapshot
	// taken after the lock.
	w, queue := pq.QuoteLiteral(worker), pq.QuoteLiteral(f.QueueName())
	n, us := strconv.Itoa(limit), strconv.FormatInt(micros(lease), 10)
	// limited: the queue was last seen with limits; capped: with a
	// partition cap among them.
	v, limited := s.limited.Load(f.QueueName())
	capped := limited && v.(bool)
	// mixed: the queue was last seen with partitioned ready rows; the
	// plain claim for a queue without them takes nothing when it has some,
	// and the store, finding nothing claimed, asks, and claims again with
	// the plain claim that merges both (whose look tells when none are
	// left).
	_, mixed := s.mixed.Load(f.QueueName())
	plain := !f.Fair && !capped
	// fair is the fair claim's order of partitions at equal rank, after
	// the partition of the last task the previous one took.
	fair, after, rotated := "", "", false
	if f.Fair {
		if v, ok := s.fairAfter.Load(f.QueueName()); ok {
			after, rotated = v.(string), true
		}
		fair = fairTurn(after, rotated)
	}
	var ts []store.Task
	for range 4 {
		query := s.q.claimSettings
		if f.Fair || capped {
			query += s.q.fairSettings
		}
		// The plain claim of a queue without limits or partitioned rows,
		// most claims, executes a prepared statement (see claimPrepared).
		prepared := !s.noPrepare && !limited && !f.Fair && !mixed
		if prepared {
			query += s.q.genericPlan
		}
		query += s.q.queueLimited(queue, limited, plain && mixed)
		var look claimLook
		var err error
		switch {
		case limited:
			query += s.q.claimLimitedWith(w, n, us, queue, cond, fair, capped, mixed)
			look, err = s.claimQuery(ctx, s.db, query, worker, lease)
		case prepared:
			look, err = s.claimPrepared(ctx, query, w, n, us, queue, types, worker, lease,
				func() string { return query + s.q.claimWith(w, n, us, queue, cond, fair, mixed) })
		default:
			query += s.q.claimWith(w, n, us, queue, cond, fair, mixed)
			look, err = s.claimQuery(ctx, s.db, query, worker, lease)
		}
		if err != nil {
			return nil, errorf("pgstore: claim: %w", err)
		}
		ts = look.tasks
		again := false
		switch {
		case look.limited && (!limited || look.capped && !capped):
			// The plain claim, or the limited one without the cap,
			// took nothing.
			s.limited.Store(f.QueueName(), look.capped)
			limited, capped = true, look.capped
			again = true
		case look.limited && capped && !look.capped:
			s.limited.Store(f.QueueName(), false) // the claim was right, the next one is cheaper
		case !look.limited && limited:
			s.limited.Delete(f.QueueName())
		}
		switch {
		case plain && !mixed && len(ts) == 0 && !again:
			// The claim for a queue without partitioned rows takes
			// nothing when it has some.
			var has bool
			if err := s.db.QueryRowContext(ctx, s.q.hasParted, f.QueueName()).Scan(&has); err != nil {
				return nil, errorf("pgstore: claim: %w", err)
			}
			if has {
				s.mixed.Store(f.QueueName(), true)
				mixed, again = true, true
			}
		case plain && mixed && look.mixed.Valid && !look.mixed.Bool:
			s.mixed.Delete(f.QueueName()) // the claim was right, the next one is cheaper
		}
		plain = !f.Fair && !capped
		if !again {
			break
		}
	}
	sortClaimed(ts)
	if f.Fair && len(ts) > 0 {
		fairOrder(ts, after, rotated)
		s.fairAfter.Store(f.QueueName(), ts[len(ts)-1].Partition)
	}
	if len(ts) > 0 && s.statusNotify {
		s.changed.wake(taskIDs(ts)...)
	}
	return ts, nil
}

// claimLook is what a claim message found: the tasks it claimed, and
// the look before the claim.
type claimLook struct {
	tasks []store.Task
	// limited: the queue has limits; capped: a partition cap among them.
	limited, capped bool
	// mixed: whether the queue has queued or retry tasks with a
	// partition, when the look asked.
	mixed sql.NullBool
}

// claimPrepared runs a claim message that ends in the EXECUTE of the
// plain claim prepared on the connection (claimTyped when types is not
// empty), with the SQL literals w, n, us, queue and types as its values.
//
// Planning the claim took most of its time: 0.6-0.7 ms of the 0.75 ms of
// a claim of an empty queue, where the prepared one takes 0.11 ms. The
// claim is prepared with PREPARE, not with the extended protocol, so that
// it runs in the same message as claimSettings and the look, in one
// implicit transaction and one round trip. Its generic plan is made at
// the first EXECUTE on a connection (and again when the table's
// statistics change) under claimSettings, which leave the planner the
// ordered scan of tasks_claim_idx alone, whatever the statistics say.
//
// The message runs on one connection: on a connection that does not hold
// the statement (a new one, or one whose session was reset) it fails
// before claiming anything, and it is sent again with the PREPARE at its
// head, in its implicit transaction. Behind a pooler that hands each
// transaction a server connection of its own, that one may hold the
// statement already and refuse the PREPARE; the claim then sends its text
// (unprepared), built by text.
func (s *Store) claimPrepared(ctx context.Context, query, w, n, us, queue, types string, worker string, lease time.Duration, text func() string) (claimLook, error) {
	name, stmt, args := s.q.claimName, s.q.claim, w+`, `+n+`, `+us+`, `+queue
	if types != "" {
		name, stmt = s.q.claimTypedName, s.q.claimTyped
		args += `, ` + types
	}
	exec := query + `EXECUTE ` + name + `(` + args + `)`
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return claimLook{}, err
	}
	defer conn.Close()
	return s.claimPreparedOn(ctx, conn, exec, `PREPARE `+name+` AS `+stmt+`; `, worker, lease, text)
}

// claimPreparedOn runs the claim message exec on conn, again with prepare
// at its head when conn lacks the statement, and the text claim when the
// PREPARE finds the statement there after all (see claimPrepared).
func (s *Store) claimPreparedOn(ctx context.Context, conn querier, exec, prepare, worker string, lease time.Duration, text func() string) (claimLook, error) {
	look, err := s.claimQuery(ctx, conn, exec, worker, lease)
	if !hasCode(err, "26000") { // invalid_sql_statement_name
		return look, err
	}
	look, err = s.claimQuery(ctx, conn, prepare+exec, worker, lease)
	if !hasCode(err, "42P05") { // duplicate_prepared_statement
		return look, err
	}
	return s.claimQuery(ctx, conn, text(), worker, lease)
}

// claimQuery runs a claim message on q: its first result set is the look
// at the queue (see queueLimited), the next one the claimed tasks.
func (s *Store) claimQuery(ctx context.Context, q querier, query, worker string, lease time.Duration) (claimLook, error) {
	var look claimLook
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return look, err
	}
	for rows.Next() {
		var capped sql.NullBool
		if err := rows.Scan(&capped, &look.mixed); err != nil {
			rows.Close()
			return look, err
		}
		look.limited, look.capped = capped.Valid, capped.Bool
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return look, err
	}
	if !rows.NextResultSet() {
		err := rows.Err()
		rows.Close()
		if err == nil {
			err = errors.New("the claim returned no result")
		}
		return look, err
	}
	look.tasks, err = scanClaimed(rows, worker, lease)
	return look, err
}

// fairTurn is the SQL order of the fair claim's partitions (of the
// column p) at equal rank: from the first key after after when rotated,
// round to the first key otherwise.
func fairTurn(after string, rotated bool) string {
	if !rotated {
		return `p`
	}
	return `p <= ` + pq.QuoteLiteral(after) + `, p`
}

// fairOrder puts ts, the tasks of one fair claim in claim order, in the
// order of the fair claim: by rank within their partition, then by
// partition in turn after after (see fairTurn).
func fairOrder(ts []store.Task, after string, rotated bool) {
	rank := make(map[string]int, len(ts))
	ranks := make(map[string]int, len(ts))
	for _, t := range ts {
		ranks[t.ID] = rank[t.Partition]
		rank[t.Partition]++
	}
	late := func(p string) bool { return rotated && p <= after }
	sort.SliceStable(ts, func(i, j int) bool {
		a, b := ts[i], ts[j]
		if ranks[a.ID] != ranks[b.ID] {
			return ranks[a.ID] < ranks[b.ID]
		}
		if late(a.Partition) != late(b.Partition) {
			return !late(a.Partition)
		}
		return a.Partition < b.Partition
	})
}

// taskIDs returns the ids of ts.
func taskIDs(ts []store.Task) []string {
	ids := make([]string, len(ts))
	for i := range ts {
		ids[i] = ts[i].ID
	}
	return ids
}

// sortClaimed puts claimed tasks in claim order (RETURNING has none).
func sortClaimed(ts []store.Task) {
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
}

// Heartbeat extends, in one UPDATE by primary key, the lease of each task
// in held that is still running and locked by worker to the database's
// now()+lease, and returns those tasks. Tasks worker holds but does not
// name are left to expire. An entry of held that is not a UUID cannot be
// held and is skipped (so it is missing from the result).
func (s *Store) Heartbeat(ctx context.Context, worker string, held []string, lease time.Duration) ([]store.Lease, error) {
	return s.HeartbeatProgress(ctx, worker, held, nil, lease)
}

// HeartbeatProgress is Heartbeat that, in the same UPDATE, also sets the
// progress of each task of progress it extends while the task runs the
// entry's attempt, and then sends a "c" naming those tasks (unless
// [Options.NoStatusNotify]), so task streams see the progress. A value
// that fails [store.CheckProgress] fails the call before the statement.
func (s *Store) HeartbeatProgress(ctx context.Context, worker string, held []string, progress []store.Progress, lease time.Duration) ([]store.Lease, error) {
	if err := checkLease("heartbeat", worker, lease); err != nil {
		return nil, err
	}
	pids := make([]string, 0, len(progress))
	attempts := make([]int64, 0, len(progress))
	values := make([]string, 0, len(progress))
	written := make(map[string]int, len(progress))
	for i, p := range progress {
		if err := store.CheckProgress(p.Value); err != nil {
			return nil, fmt.Errorf("pgstore: heartbeat: progress %d: %w", i, err)
		}
		id, err := store.ParseID(p.TaskID)
		if err != nil {
			continue // no one holds such a task
		}
		pids = append(pids, id)
		attempts = append(attempts, int64(p.Attempt))
		values = append(values, string(p.Value))
		written[id] = p.Attempt
	}
	ids := make([]string, 0, len(held))
	for _, h := range held {
		if id, err := store.ParseID(h); err == nil {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, s.q.heartbeat, worker, pq.StringArray(ids), micros(lease),
		pq.StringArray(pids), pq.Int64Array(attempts), pq.StringArray(values))
	if err != nil {
		return nil, errorf("pgstore: heartbeat: %w", err)
	}
	defer rows.Close()
	var out []store.Lease
	var changed []string
	for rows.Next() {
		var l store.Lease
		if err := rows.Scan(&l.TaskID, &l.Attempt, &l.CancelRequested); err != nil {
			return nil, errorf("pgstore: heartbeat: %w", err)
		}
		if a, ok := written[l.TaskID]; ok && a == l.Attempt {
			changed = append(changed, l.TaskID)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, errorf("pgstore: heartbeat: %w", err)
	}
	if len(changed) > 0 && s.statusNotify {
		s.changed.wake(changed...)
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
// ready and a "c" naming the tasks (unless [Options.NoStatusNotify]) when
// any applied.
// An unknown kind fails the whole call with an error wrapping
// store.ErrInvalidTask.
func (s *Store) Finish(ctx context.Context, outcomes []store.Outcome) ([]error, error) {
	fb, err := newFinishBatch(outcomes)
	if err != nil {
		return nil, err
	}
	if len(fb.index) > 0 {
		rows, err := s.db.QueryContext(ctx, s.q.finish, fb.args()...)
		if err != nil {
			return nil, errorf("pgstore: finish: %w", err)
		}
		defer rows.Close()
		var changed []string
		ready := false
		for rows.Next() {
			var ord int
			var due bool
			if err := rows.Scan(&ord, &due); err != nil {
				return nil, errorf("pgstore: finish: %w", err)
			}
			if id, ok := fb.applied(ord); ok {
				changed = append(changed, id)
			}
			ready = ready || due
		}
		if err := rows.Err(); err != nil {
			return nil, errorf("pgstore: finish: %w", err)
		}
		if ready {
			s.ready.wake()
		}
		if len(changed) > 0 && s.statusNotify {
			s.changed.wake(changed...)
		}
	}
	return fb.result(), nil
}

// finishBatch is a batch of outcomes prepared as the parameter arrays of
// the finish statement.
type finishBatch struct {
	outcomes                           []store.Outcome
	errs                               []error
	done                               []bool
	ids, workers, kinds, results, msgs []string
	attempts, retry                    []int64
	index                              []int // statement position → outcome index
}

// newFinishBatch validates outcomes. An unknown kind or a result that is
// not JSON fails the whole batch (ErrInvalidTask); an ID that is not a
// UUID is lost at once, as no one can hold such a task.
func newFinishBatch(outcomes []store.Outcome) (*finishBatch, error) {
	fb := &finishBatch{
		outcomes: outcomes,
		errs:     make([]error, len(outcomes)),
		done:     make([]bool, len(outcomes)),
	}
	for i, o := range outcomes {
		switch o.Kind {
		case store.OutcomeComplete, store.OutcomeRetry, store.OutcomeFail, store.OutcomeCancel, store.OutcomeRelease,
			store.OutcomeSnooze:
		default:
			return nil, fmt.Errorf("%w: outcome %d: unknown kind %q", store.ErrInvalidTask, i, o.Kind)
		}
		if len(o.Result) > 0 && o.Kind == store.OutcomeComplete && !jsonValid(o.Result) {
			return nil, fmt.Errorf("%w: outcome %d: result is not valid JSON", store.ErrInvalidTask, i)
		}
		id, err := store.ParseID(o.TaskID)
		if err != nil {
			fb.errs[i] = fmt.Errorf("%w: task %q: %w", store.ErrLeaseLost, o.TaskID, err)
			continue
		}
		fb.ids = append(fb.ids, id)
		fb.workers = append(fb.workers, o.Worker)
		fb.attempts = append(fb.attempts, int64(o.Attempt))
		fb.kinds = append(fb.kinds, string(o.Kind))
		fb.results = append(fb.results, string(o.Result))
		fb.msgs = append(fb.msgs, o.Error)
		fb.retry = append(fb.retry, max(micros(o.RetryIn), 0))
		fb.index = append(fb.index, i)
	}
	return fb, nil
}

// args returns the seven parameter arrays, in statement order.
func (fb *finishBatch) args() []any {
	return []any{
		pq.StringArray(fb.ids), pq.StringArray(fb.workers), pq.Int64Array(fb.attempts),
		pq.StringArray(fb.kinds), pq.StringArray(fb.results), pq.StringArray(fb.msgs), pq.Int64Array(fb.retry),
	}
}

// applied marks the outcome at 1-based statement position ord as applied
// and returns its task's id.
func (fb *finishBatch) applied(ord int) (string, bool) {
	if ord < 1 || ord > len(fb.index) {
		return "", false
	}
	fb.done[fb.index[ord-1]] = true
	return fb.ids[ord-1], true
}

// result returns the per-outcome errors: nil where applied, ErrLeaseLost
// elsewhere.
func (fb *finishBatch) result() []error {
	for i, o := range fb.outcomes {
		if !fb.done[i] && fb.errs[i] == nil {
			fb.errs[i] = fmt.Errorf("%w: task %s attempt %d by %q", store.ErrLeaseLost, o.TaskID, o.Attempt, o.Worker)
		}
	}
	return fb.errs
}

// Rescue moves up to limit running tasks whose lease expired (on the
// database's clock) to retry, failed or cancelled, in one statement that
// skips rows other rescuers hold. Their Error becomes "lease expired". It
// sends "r" when any task went to retry and, after it, "c" naming the
// tasks (unless [Options.NoStatusNotify]) when any moved.
func (s *Store) Rescue(ctx context.Context, limit int) ([]store.Rescued, error) {
	if limit <= 0 {
		return nil, nil
	}
	out, err := scanRescued(s.db.QueryContext(ctx, s.q.rescue, limit))
	if err != nil {
		return nil, errorf("pgstore: rescue: %w", err)
	}
	s.wakeRescued(out)
	return out, nil
}

// DeleteFinished deletes terminal tasks whose FinishedAt is older than the
// database's now()-olderThan, at most batch rows per statement (batch <= 0
// means [DefaultDeleteBatch]), until none is left or ctx ends, and returns
// how many it deleted. The batches walk tasks_created_idx from the oldest
// task.
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
			return total, errorf("pgstore: delete finished: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, errorf("pgstore: delete finished: %w", err)
		}
		total += int(n)
		if int(n) < batch {
			return total, nil
		}
	}
}

// checkLease rejects an empty worker name and a lease that is not
// positive, as every backend does.
func checkLease(op, worker string, lease time.Duration) error {
	if worker == "" {
		return fmt.Errorf("pgstore: %s: empty worker name: %w", op, store.ErrInvalidLease)
	}
	if lease <= 0 {
		return fmt.Errorf("pgstore: %s: lease %s is not positive: %w", op, lease, store.ErrInvalidLease)
	}
	return nil
}
