package pgstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/seedcore/seedcore/store"
)

// querier is what both *sqlx.DB and *sqlx.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// hasCode reports whether err is a PostgreSQL error with the SQLSTATE code.
func hasCode(err error, code pq.ErrorCode) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == code
}

// isUniqueViolation reports whether err is PostgreSQL's unique_violation.
func isUniqueViolation(err error) bool { return hasCode(err, "23505") }

func newStatus(t store.NewTask) store.Status {
	if t.Hold {
		return store.StatusCreated
	}
	return store.StatusQueued
}

// nullTime is nil for the zero time, so the server fills in now().
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// nullJSON is nil for empty JSON, stored as SQL NULL. JSON is always sent
// as text: a []byte parameter would be sent as bytea under
// binary_parameters.
func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// Create stores a new task; see [store.Store.Create]. A task ready at once
// sends one "r" notification with the insert's commit.
// Concurrent calls share statements: calls that arrive while an insert is
// under way are stored together in one statement and one commit when it
// ends, so many producers are not bounded by one WAL flush each.
func (s *Store) Create(ctx context.Context, t store.NewTask) (store.Task, bool, error) {
	nt, err := t.Normalize()
	if err != nil {
		return store.Task{}, false, err
	}
	return s.inserts.create(ctx, nt)
}

// CreateTx creates t inside the caller's transaction tx, so the task exists
// (and its "r" notification is sent) only if tx commits. It behaves as
// [Store.Create] otherwise. On an error the caller should roll tx back.
func (s *Store) CreateTx(ctx context.Context, tx *sqlx.Tx, t store.NewTask) (store.Task, bool, error) {
	if tx == nil {
		return store.Task{}, false, errors.New("pgstore: create: nil transaction")
	}
	nt, err := t.Normalize()
	if err != nil {
		return store.Task{}, false, err
	}
	return s.create(ctx, tx, nt)
}

// create inserts the normalized task nt with one statement on q.
func (s *Store) create(ctx context.Context, q querier, nt store.NewTask) (store.Task, bool, error) {
	args := []any{nt.ID, nt.Type, nt.Description, nt.Domain, string(nt.Params), string(newStatus(nt)),
		nt.Priority, nt.MaxAttempts, nullTime(nt.RunAfter), nt.IdempotencyKey, nullJSON(nt.Events),
		nullJSON(traceJSON(nt.TraceContext)), nt.Queue, nt.Partition}
	var row scanner
	if _, inTx := q.(*sqlx.Tx); inTx {
		row = q.QueryRowContext(ctx, s.q.insert, args...)
	} else {
		row = s.prep.insert.queryRowContext(ctx, s, args...)
	}
	task, err := scanTask(row)
	switch {
	case err == nil:
		return task, true, nil
	case isUniqueViolation(err):
		return store.Task{}, false, fmt.Errorf("%w: task %s already exists", store.ErrConflict, nt.ID)
	case !errors.Is(err, sql.ErrNoRows):
		return store.Task{}, false, errorf("pgstore: create: %w", err)
	}
	task, err = s.byIdempotencyKey(ctx, q, nt.IdempotencyKey)
	return task, false, err
}

// byIdempotencyKey returns the task holding key, after an insert found the
// key taken. The statement sees the committed row under READ COMMITTED.
func (s *Store) byIdempotencyKey(ctx context.Context, q querier, key string) (store.Task, error) {
	task, err := scanTask(q.QueryRowContext(ctx, s.q.byKey, key))
	if errors.Is(err, sql.ErrNoRows) {
		// The holder of the key was deleted in between: rare, so say so.
		return store.Task{}, fmt.Errorf("%w: idempotency key %q changed concurrently", store.ErrConflict, key)
	}
	if err != nil {
		return store.Task{}, errorf("pgstore: create: %w", err)
	}
	return task, nil
}

// copyCols are the columns CreateMany copies into its staging table.
var copyCols = []string{"id", "type", "description", "domain", "params", "status",
	"priority", "max_attempts", "run_after", "idempotency_key", "events", "trace_context", "queue", "partition"}

// CreateMany stores many tasks in one transaction. From 1000 tasks on, the
// rows are streamed with COPY into a temporary table and moved into the
// task table with one INSERT … SELECT … ON CONFLICT DO NOTHING; smaller
// batches are one INSERT … SELECT FROM unnest(…) with the same conflict
// rule. A task whose idempotency key already exists, or repeats one
// earlier in the batch, is skipped. An explicit ID that is already taken
// (or repeated) fails the whole call with an error wrapping
// store.ErrConflict and stores nothing. Every task is validated with
// [store.NewTask.Normalize] first; one invalid task fails the whole call
// and stores nothing. It returns how many tasks were inserted and sends one
// "r" notification when any of them is ready.
func (s *Store) CreateMany(ctx context.Context, tasks []store.NewTask) (int, error) {
	if len(tasks) == 0 {
		return 0, nil
	}
	norm := make([]store.NewTask, len(tasks))
	for i, t := range tasks {
		n, err := t.Normalize()
		if err != nil {
			return 0, errorf("pgstore: create many: task %d: %w", i, err)
		}
		norm[i] = n
	}
	if len(norm) < copyThreshold {
		return s.insertMany(ctx, norm)
	}
	return s.copyMany(ctx, norm)
}

// copyThreshold is the batch size from which CreateMany streams with COPY.
// Small batches are cheaper as one INSERT … SELECT FROM unnest(…), which
// needs no temporary table; between 200 and 2000 rows neither path won
// consistently in BenchmarkCreateManyPath on a shared two-core machine, so
// the switch sits in the middle of that range.
const copyThreshold = 1000

// insertMany inserts tasks with one statement over parameter arrays.
func (s *Store) insertMany(ctx context.Context, tasks []store.NewTask) (int, error) {
	var inserted int
	err := s.db.QueryRowContext(ctx, s.q.insertMany, taskArrays(tasks)...).Scan(&inserted)
	if isUniqueViolation(err) {
		return 0, conflictMany(err)
	}
	if err != nil {
		return 0, errorf("pgstore: create many: insert: %w", err)
	}
	return inserted, nil
}

// taskArrays returns normalized tasks as the fourteen parameter arrays of
// an unnest insert (one per column; empty strings stand for NULL where
// the column takes NULL).
func taskArrays(tasks []store.NewTask) []any {
	var text [12][]string // id, type, description, domain, params, status, run_after, key, events, trace, queue, partition
	var ints [2][]int64   // priority, max_attempts
	for _, t := range tasks {
		runAfter := ""
		if !t.RunAfter.IsZero() {
			runAfter = t.RunAfter.Format(time.RFC3339Nano)
		}
		for i, v := range []string{t.ID, t.Type, t.Description, t.Domain, string(t.Params),
			string(newStatus(t)), runAfter, t.IdempotencyKey, string(t.Events), string(traceJSON(t.TraceContext)), t.Queue, t.Partition} {
			text[i] = append(text[i], v)
		}
		ints[0] = append(ints[0], int64(t.Priority))
		ints[1] = append(ints[1], int64(t.MaxAttempts))
	}
	return []any{pq.StringArray(text[0]), pq.StringArray(text[1]), pq.StringArray(text[2]), pq.StringArray(text[3]),
		pq.StringArray(text[4]), pq.StringArray(text[5]), pq.Int64Array(ints[0]), pq.Int64Array(ints[1]),
		pq.StringArray(text[6]), pq.StringArray(text[7]), pq.StringArray(text[8]), pq.StringArray(text[9]),
		pq.StringArray(text[10]), pq.StringArray(text[11])}
}

func conflictMany(err error) error {
	return errorf("pgstore: create many: %w: a task ID is already taken (%v)", store.ErrConflict, err)
}

// copyMany streams tasks with COPY into a temporary table and moves them
// into the task table with one INSERT … SELECT, in one transaction.
func (s *Store) copyMany(ctx context.Context, norm []store.NewTask) (int, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, errorf("pgstore: create many: %w", err)
	}
	defer func() { _ = tx.Rollback() }()

	const stage = "pgstore_stage"
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE `+stage+` (
		id uuid, type text, description text, domain text, params text, status text,
		priority smallint, max_attempts integer, run_after timestamptz,
		idempotency_key text, events text, trace_context text, queue text, partition text) ON COMMIT DROP`); err != nil {
		return 0, errorf("pgstore: create many: stage: %w", err)
	}
	stmt, err := tx.PrepareContext(ctx, pq.CopyIn(stage, copyCols...))
	if err != nil {
		return 0, errorf("pgstore: create many: copy: %w", err)
	}
	for _, t := range norm {
		var key any
		if t.IdempotencyKey != "" {
			key = t.IdempotencyKey
		}
		if _, err := stmt.ExecContext(ctx, t.ID, t.Type, t.Description, t.Domain, string(t.Params),
			string(newStatus(t)), t.Priority, t.MaxAttempts, nullTime(t.RunAfter), key, nullJSON(t.Events),
			nullJSON(traceJSON(t.TraceContext)), t.Queue, t.Partition); err != nil {
			_ = stmt.Close()
			return 0, errorf("pgstore: create many: copy: %w", err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		_ = stmt.Close()
		return 0, errorf("pgstore: create many: copy: %w", err)
	}
	if err := stmt.Close(); err != nil {
		return 0, errorf("pgstore: create many: copy: %w", err)
	}
	var inserted, ready int
	err = tx.QueryRowContext(ctx, `WITH ins AS (
		INSERT INTO `+s.schema+`.tasks (id, type, description, domain, params, status,
			priority, max_attempts, run_after, idempotency_key, events, trace_context, queue, partition)
		SELECT id, type, description, domain, params::jsonb, status,
			priority, max_attempts, coalesce(run_after, now()), idempotency_key, events::jsonb,
			trace_context::jsonb, queue, partition
		FROM `+stage+`
		ORDER BY idempotency_key, ctid -- key order, as the unnest insert; ctid is COPY's order
		ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
		RETURNING status, run_after)
		SELECT count(*), count(*) FILTER (WHERE status = 'queued' AND run_after <= now()) FROM ins`).
		Scan(&inserted, &ready)
	if isUniqueViolation(err) {
		return 0, conflictMany(err)
	}
	if err != nil {
		return 0, errorf("pgstore: create many: insert: %w", err)
	}
	if ready > 0 {
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, 'r')`, s.schema); err != nil {
			return 0, errorf("pgstore: create many: notify: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, errorf("pgstore: create many: commit: %w", err)
	}
	return inserted, nil
}

// Get returns the task with the given ID or unambiguous ID prefix; see
// [store.Store.Get]. A prefix is looked up as a range scan of the primary
// key.
func (s *Store) Get(ctx context.Context, idOrPrefix string) (store.Task, error) {
	p, err := store.ParsePrefix(idOrPrefix)
	if err != nil {
		return store.Task{}, err
	}
	if len(p) == len("00000000-0000-0000-0000-000000000000") {
		t, err := scanTask(s.db.QueryRowContext(ctx, s.q.byID, p))
		if errors.Is(err, sql.ErrNoRows) {
			return store.Task{}, fmt.Errorf("%w: %s", store.ErrNotFound, p)
		}
		if err != nil {
			return store.Task{}, errorf("pgstore: get: %w", err)
		}
		return t, nil
	}
	lo, hi := store.PrefixRange(p)
	rows, err := s.db.QueryContext(ctx, s.q.byPrefix, lo, hi)
	if err != nil {
		return store.Task{}, errorf("pgstore: get: %w", err)
	}
	ts, err := scanTasks(rows)
	if err != nil {
		return store.Task{}, errorf("pgstore: get: %w", err)
	}
	switch len(ts) {
	case 0:
		return store.Task{}, fmt.Errorf("%w: prefix %s", store.ErrNotFound, p)
	case 1:
		return ts[0], nil
	}
	return store.Task{}, fmt.Errorf("%w: %s", store.ErrAmbiguousID, p)
}

func scanTasks(rows *sql.Rows) ([]store.Task, error) {
	defer rows.Close()
	var ts []store.Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

// List returns one page of tasks, newest first; see [store.Store.List].
// Pages are keyset-paginated on (created_at, id). The page merges two
// ordered reads: the tasks that are not running from tasks_created_idx
// (which leaves running rows out, so a claim costs one index entry less)
// and the running ones, as few as the workers' capacity, through
// tasks_lease_idx. Total is a second COUNT(*) over the filter.
func (s *Store) List(ctx context.Context, f store.Filter) (store.Page, error) {
	f, cur, err := f.Normalize()
	if err != nil {
		return store.Page{}, err
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := filterConds(f, arg)
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var page store.Page
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM `+s.schema+`.tasks t`+cond, args...).Scan(&page.Total); err != nil {
		return store.Page{}, errorf("pgstore: list: count: %w", err)
	}
	if cur != nil {
		where = append(where, "(t.created_at, t.id) < ("+arg(cur.CreatedAt)+"::timestamptz, "+arg(cur.ID)+"::uuid)")
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	limit := arg(f.Limit + 1)
	rows, err := s.db.QueryContext(ctx, budgeted(s.listPage(cond, limit), arg(f.MaxBytes)), args...)
	if err != nil {
		return store.Page{}, errorf("pgstore: list: %w", err)
	}
	page.Tasks, page.NextCursor, err = scanPage(rows, f.Limit, f.MaxBytes)
	if err != nil {
		return store.Page{}, errorf("pgstore: list: %w", err)
	}
	return page, nil
}

// filterConds returns the SQL conditions (on the alias t) of f's
// selection, adding their values with arg, which returns a value's
// placeholder. Limit, Cursor and MaxBytes are not conditions.
func filterConds(f store.Filter, arg func(any) string) []string {
	var where []string
	if len(f.Statuses) > 0 {
		ss := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			ss[i] = string(st)
		}
		where = append(where, "t.status = ANY("+arg(pq.StringArray(ss))+"::text[])")
	}
	if f.Type != "" {
		where = append(where, "t.type = "+arg(f.Type))
	}
	if f.Domain != "" {
		where = append(where, "t.domain = "+arg(f.Domain))
	}
	if f.Queue != "" {
		where = append(where, "t.queue = "+arg(f.Queue))
	}
	if f.Partition != "" {
		where = append(where, "t.partition = "+arg(f.Partition))
	}
	if !f.CreatedAfter.IsZero() {
		where = append(where, "t.created_at >= "+arg(f.CreatedAfter))
	}
	if !f.CreatedBefore.IsZero() {
		where = append(where, "t.created_at < "+arg(f.CreatedBefore))
	}
	return where
}

// budgeted wraps the page query so the server leaves out the rows that
// come after the page's byte budget: a row is sent while the rows before
// it take less than budget as stored (pg_column_size, which reads no
// TOAST data). Stored sizes are compressed, so this only trims what is
// sent; scanPage makes the exact cut. Each row also carries how many rows
// the page query had, so scanPage knows whether the server trimmed any
// (then more tasks follow the page), whichever of the two sizes is
// larger.
func budgeted(page, budget string) string {
	size := `512 + coalesce(pg_column_size(p.params), 0) + coalesce(pg_column_size(p.result), 0)
	+ coalesce(pg_column_size(p.events), 0) + coalesce(pg_column_size(p.enrichment), 0)
	+ coalesce(pg_column_size(p.trace_context), 0)
	+ octet_length(p.type) + octet_length(p.domain) + octet_length(p.description) + coalesce(octet_length(p.error), 0)`
	return `SELECT * FROM (SELECT p.*,
	coalesce(sum(` + size + `) OVER (ORDER BY p.created_at DESC, p.id DESC
	    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before_bytes,
	count(*) OVER () AS page_rows
	FROM (` + page + `) p) w
WHERE w.before_bytes < ` + budget + `
ORDER BY w.created_at DESC, w.id DESC`
}

// scanPage reads a page of at most limit tasks from rows (the budgeted
// page query, which asked for limit+1), one row at a time, and stops
// early once the tasks read add up to maxBytes (see
// store.Filter.MaxBytes). It returns the cursor of the last task kept
// when more tasks follow it: a row is left, or the server trimmed rows.
// Rows left unread are discarded as lib/pq reads them off the connection
// when rows close: they cost transfer, never memory.
func scanPage(rows *sql.Rows, limit, maxBytes int) ([]store.Task, string, error) {
	defer rows.Close()
	ts := []store.Task{}
	bytes, pageRows := 0, 0
	for rows.Next() {
		if len(ts) == limit || bytes >= maxBytes {
			return ts, store.EncodeCursor(ts[len(ts)-1]), rows.Close()
		}
		var before int64
		t, err := scanTask(rows, &before, &pageRows)
		if err != nil {
			return nil, "", err
		}
		ts = append(ts, t)
		bytes += t.SizeEstimate()
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	if len(ts) > 0 && len(ts) < pageRows && len(ts) < limit+1 {
		return ts, store.EncodeCursor(ts[len(ts)-1]), nil
	}
	return ts, "", nil
}

// transitionErr explains why a single-task update matched no row: the
// task is missing (ErrNotFound) or in a status the operation cannot leave
// (ErrInvalidTransition).
func (s *Store) transitionErr(ctx context.Context, op, id string, to store.Status) error {
	var st string
	err := s.db.QueryRowContext(ctx, s.q.statusOf, id).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s", store.ErrNotFound, id)
	}
	if err != nil {
		return errorf("pgstore: %s: %w", op, err)
	}
	return fmt.Errorf("%w: %s task %s: %s → %s", store.ErrInvalidTransition, op, id, st, to)
}

// listPage is the page query of List for the filter cond (" WHERE …" or
// "") and the placeholder of the page size plus one.
func (s *Store) listPage(cond, limit string) string {
	if cond == "" {
		cond = " WHERE true"
	}
	branch := func(which string) string {
		return `(SELECT ` + taskCols + ` FROM ` + s.schema + `.tasks t` + cond + ` AND ` + which +
			` ORDER BY t.created_at DESC, t.id DESC LIMIT ` + limit + `)`
	}
	// A running row is exactly one with a lease; saying so lets the
	// planner read the running rows through tasks_lease_idx.
	return `SELECT t.* FROM (` +
		branch(`t.status <> 'running'`) + ` UNION ALL ` +
		branch(`t.status = 'running' AND t.lease_expires_at IS NOT NULL`) +
		`) t ORDER BY t.created_at DESC, t.id DESC LIMIT ` + limit
}

// Run releases a created task to the workers; see [store.Store.Run]. It
// sends "r" and "c:<id>" on commit.
func (s *Store) Run(ctx context.Context, id string) (store.Task, error) {
	return s.single(ctx, "run", id, s.q.run, store.StatusQueued)
}

// Cancel cancels a task; see [store.Store.Cancel]. It sends "c:<id>" when
// the task became cancelled, or "x:<id>" when it is running and got
// CancelRequested.
func (s *Store) Cancel(ctx context.Context, id string) (store.Task, error) {
	return s.single(ctx, "cancel", id, s.q.cancel, store.StatusCancelled)
}

func (s *Store) single(ctx context.Context, op, id, query string, to store.Status) (store.Task, error) {
	full, err := store.ParseID(id)
	if err != nil {
		return store.Task{}, err
	}
	t, err := scanTask(s.db.QueryRowContext(ctx, query, full))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Task{}, s.transitionErr(ctx, op, full, to)
	}
	if err != nil {
		return store.Task{}, errorf("pgstore: %s: %w", op, err)
	}
	return t, nil
}

// Counts returns the number of tasks in each status; see
// [store.Store.Counts].
func (s *Store) Counts(ctx context.Context) (map[store.Status]int, error) {
	rows, err := s.db.QueryContext(ctx, s.q.counts)
	if err != nil {
		return nil, errorf("pgstore: counts: %w", err)
	}
	defer rows.Close()
	out := make(map[store.Status]int, len(store.Statuses()))
	for _, st := range store.Statuses() {
		out[st] = 0
	}
	for rows.Next() {
		var (
			st string
			n  int
		)
		if err := rows.Scan(&st, &n); err != nil {
			return nil, errorf("pgstore: counts: %w", err)
		}
		out[store.Status(st)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, errorf("pgstore: counts: %w", err)
	}
	return out, nil
}

// SetEnrichment stores the remote enrichment result of task id (a full
// ID); empty enrichment clears it. Errors wrap store.ErrInvalidID,
// store.ErrInvalidTask (not JSON) or store.ErrNotFound.
func (s *Store) SetEnrichment(ctx context.Context, id string, enrichment json.RawMessage) error {
	full, err := store.ParseID(id)
	if err != nil {
		return err
	}
	if len(enrichment) > 0 {
		if err := store.CheckJSON(enrichment); err != nil {
			return fmt.Errorf("%w: enrichment %w", store.ErrInvalidTask, err)
		}
	}
	res, err := s.db.ExecContext(ctx, s.q.setEnrichment, full, nullJSON(enrichment))
	if err != nil {
		return errorf("pgstore: set enrichment: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("%w: %s", store.ErrNotFound, full)
	}
	return nil
}
