package pgstore

import (
	"database/sql"
	"encoding/json"
	"time"

	"github.com/seedcore/seedcore/store"
)

// taskCols is the select list every task query returns, in the order
// scanTask reads it. Columns may be qualified by the alias t.
const taskCols = `t.id, t.type, t.description, t.domain, t.queue, t.partition, t.params, t.result, t.error,
	t.status, t.priority, t.attempts, t.max_attempts, t.run_after,
	coalesce(t.locked_by, ''), t.lease_expires_at, t.last_heartbeat, t.cancel_requested,
	coalesce(t.idempotency_key, ''), t.events, t.enrichment,
	t.created_at, t.updated_at, t.started_at, t.finished_at, t.trace_context, t.attempt_history, t.snoozes, t.progress`

// claimedCols is the select list of a claim: the columns a claim does not
// set, and the claim's now() once, from which scanClaimed derives the rest
// (status running, the worker, the lease and the start times). Formatting
// and parsing every column of thousands of claimed rows cost a tenth of a
// claim on the server and a quarter of the pool's own CPU.
const claimedCols = `t.id, t.type, t.description, t.domain, t.queue, t.partition, t.params, t.error,
	t.priority, t.attempts, t.max_attempts, t.run_after, t.cancel_requested,
	coalesce(t.idempotency_key, ''), t.events, t.enrichment, t.created_at, t.started_at,
	t.trace_context, t.attempt_history, t.snoozes, t.progress`

// scanClaimed reads the rows of a claim by worker with the given lease.
func scanClaimed(rows *sql.Rows, worker string, lease time.Duration) ([]store.Task, error) {
	defer rows.Close()
	var out []store.Task
	for rows.Next() {
		var (
			t                 store.Task
			params, ev, enr   []byte
			trace, history    []byte
			progress          []byte
			runAfter, created anyTime
			start             time.Time
		)
		if err := rows.Scan(&t.ID, &t.Type, &t.Description, &t.Domain, &t.Queue, &t.Partition, &params, &t.Error,
			&t.Priority, &t.Attempts, &t.MaxAttempts, &runAfter, &t.CancelRequested,
			&t.IdempotencyKey, &ev, &enr, &created, &start, &trace, &history, &t.Snoozes, &progress); err != nil {
			return nil, err
		}
		t.TraceContext = traceContext(&t, trace)
		t.AttemptHistory = attemptHistory(&t, history)
		t.RunAfter = runAfter.get(&t, "run_after")
		t.CreatedAt = created.get(&t, "created_at")
		start = start.UTC()
		expires := start.Add(time.Duration(micros(lease)) * time.Microsecond)
		t.Status = store.StatusRunning
		t.LockedBy = worker
		t.Params = rawJSON(params)
		t.Events = rawJSON(ev)
		t.DescriptionTruncated = store.EventsTruncated(ev)
		t.Enrichment = rawJSON(enr)
		t.Progress = rawJSON(progress)
		t.UpdatedAt = start
		t.StartedAt = &start
		t.LastHeartbeat = &start
		t.LeaseExpiresAt = &expires
		out = append(out, t)
	}
	return out, rows.Err()
}

type scanner interface {
	Scan(dest ...any) error
}

// scanTask reads one row of taskCols, followed by the columns in extra.
func scanTask(sc scanner, extra ...any) (store.Task, error) {
	var (
		t                          store.Task
		params, result, ev, enr    []byte
		trace, history, progress   []byte
		status                     string
		runAfter, created, updated anyTime
		lease, beat, start, finish anyTime
	)
	err := sc.Scan(append([]any{&t.ID, &t.Type, &t.Description, &t.Domain, &t.Queue, &t.Partition, &params, &result, &t.Error,
		&status, &t.Priority, &t.Attempts, &t.MaxAttempts, &runAfter,
		&t.LockedBy, &lease, &beat, &t.CancelRequested,
		&t.IdempotencyKey, &ev, &enr,
		&created, &updated, &start, &finish, &trace, &history, &t.Snoozes, &progress}, extra...)...)
	if err != nil {
		return store.Task{}, err
	}
	t.Status = store.Status(status)
	t.Params = rawJSON(params)
	t.Result = rawJSON(result)
	t.Events = rawJSON(ev)
	t.DescriptionTruncated = store.EventsTruncated(ev)
	t.Enrichment = rawJSON(enr)
	t.Progress = rawJSON(progress)
	t.RunAfter = runAfter.get(&t, "run_after")
	t.CreatedAt = created.get(&t, "created_at")
	t.UpdatedAt = updated.get(&t, "updated_at")
	t.LeaseExpiresAt = lease.ptr(&t, "lease_expires_at")
	t.LastHeartbeat = beat.ptr(&t, "last_heartbeat")
	t.StartedAt = start.ptr(&t, "started_at")
	t.FinishedAt = finish.ptr(&t, "finished_at")
	t.TraceContext = traceContext(&t, trace)
	t.AttemptHistory = attemptHistory(&t, history)
	impliedAttempt(&t)
	return t, nil
}

// impliedAttempt adds to a finished task's history the attempt that
// finished it, which the row keeps in its columns, its worker in
// locked_by (see appendAttemptAt); a finished task holds no lease, so
// its LockedBy is then cleared.
func impliedAttempt(t *store.Task) {
	if t.LockedBy == "" || !t.Status.Terminal() {
		return
	}
	a := store.Attempt{Attempt: t.Attempts, Worker: t.LockedBy, Outcome: t.Status, Error: t.Error}
	if t.StartedAt != nil {
		a.StartedAt = *t.StartedAt
	}
	if t.FinishedAt != nil {
		a.FinishedAt = *t.FinishedAt
	}
	t.AttemptHistory = store.AppendAttempt(t.AttemptHistory, a)
	t.LockedBy = ""
}

// attemptHistory decodes the attempt_history column. A value that is not
// an array of attempts (written by hand) is read as none and named in
// t.Invalid, so the task still renders.
func attemptHistory(t *store.Task, raw []byte) []store.Attempt {
	if len(raw) == 0 {
		return nil
	}
	var h []store.Attempt
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Invalid = append(t.Invalid, "attempt_history")
		return nil
	}
	for i := range h {
		h[i].StartedAt = h[i].StartedAt.UTC()
		h[i].FinishedAt = h[i].FinishedAt.UTC()
	}
	return h
}

// traceJSON encodes a normalized trace context for its jsonb column; nil
// (NULL) when empty. A map of strings always encodes.
func traceJSON(c map[string]string) []byte {
	if len(c) == 0 {
		return nil
	}
	b, _ := json.Marshal(c)
	return b
}

// traceContext decodes the trace_context column. A value that is not an
// object of strings the input contract accepts (written by hand) is read
// as none and named in t.Invalid, so the task still renders.
func traceContext(t *store.Task, raw []byte) map[string]string {
	if len(raw) == 0 {
		return nil
	}
	var c map[string]string
	if err := json.Unmarshal(raw, &c); err != nil || store.CheckTraceContext(c) != nil {
		t.Invalid = append(t.Invalid, "trace_context")
		return nil
	}
	if len(c) == 0 {
		return nil
	}
	return c
}

// anyTime scans a timestamptz column whatever it holds: a time, NULL, or
// a value the driver cannot turn into a time.Time (infinity, which lib/pq
// hands over as text). Reading a task never fails on one odd column, and a
// time JSON cannot write (outside the years 0 to 9999) is not returned:
// the task comes back with the field named in Task.Invalid instead.
type anyTime struct {
	t     time.Time
	null  bool
	other bool
}

// Scan implements sql.Scanner.
func (a *anyTime) Scan(v any) error {
	switch v := v.(type) {
	case time.Time:
		a.t = v.UTC()
		if y := a.t.Year(); y < 0 || y > 9999 {
			a.t, a.other = time.Time{}, true
		}
	case nil:
		a.null = true
	default:
		a.other = true
	}
	return nil
}

// get returns the time of a NOT NULL column, marking name invalid on t
// when there is none.
func (a *anyTime) get(t *store.Task, name string) time.Time {
	if a.other || a.null {
		t.Invalid = append(t.Invalid, name)
	}
	return a.t
}

// ptr returns the time of a nullable column.
func (a *anyTime) ptr(t *store.Task, name string) *time.Time {
	switch {
	case a.null:
		return nil
	case a.other:
		t.Invalid = append(t.Invalid, name)
		return nil
	}
	u := a.t
	return &u
}

func rawJSON(b []byte) json.RawMessage {
	if b == nil {
		return nil
	}
	return json.RawMessage(b)
}

func timePtr(nt sql.NullTime) *time.Time {
	if !nt.Valid {
		return nil
	}
	u := nt.Time.UTC()
	return &u
}

// micros converts d to whole microseconds, the unit durations are sent to
// the server in (it adds them to its own now()).
func micros(d time.Duration) int64 { return d.Microseconds() }

func jsonValid(b []byte) bool { return json.Valid(b) }
