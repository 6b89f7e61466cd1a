package pgstore

import (
	"database/sql"
	"encoding/json"
	"time"

	"github.com/seedcore/seedcore/store"
)

// taskCols is the select list every task query returns, in the order
// scanTask reads it. Columns may be qualified by the alias t.
const taskCols = `t.id, t.type, t.description, t.domain, t.params, t.result, t.error,
	t.status, t.priority, t.attempts, t.max_attempts, t.run_after,
	coalesce(t.locked_by, ''), t.lease_expires_at, t.last_heartbeat, t.cancel_requested,
	coalesce(t.idempotency_key, ''), t.events, t.enrichment,
	t.created_at, t.updated_at, t.started_at, t.finished_at`

// taskPlaceholders is a row of non-NULL stand-ins shaped like taskCols,
// for a summary row that carries no task.
const taskPlaceholders = `'00000000-0000-0000-0000-000000000000'::uuid, '', '', '', '{}'::jsonb, NULL::jsonb, '',
	'', 0::smallint, 0, 0, now(),
	'', NULL::timestamptz, NULL::timestamptz, false,
	'', NULL::jsonb, NULL::jsonb,
	now(), now(), NULL::timestamptz, NULL::timestamptz`

// claimedCols is the select list of a claim: the columns a claim does not
// set, and the claim's now() once, from which scanClaimed derives the rest
// (status running, the worker, the lease and the start times). Formatting
// and parsing every column of thousands of claimed rows cost a tenth of a
// claim on the server and a quarter of the pool's own CPU.
const claimedCols = `t.id, t.type, t.description, t.domain, t.params, t.error,
	t.priority, t.attempts, t.max_attempts, t.run_after, t.cancel_requested,
	coalesce(t.idempotency_key, ''), t.events, t.enrichment, t.created_at, t.started_at`

// scanClaimed reads the rows of a claim by worker with the given lease.
func scanClaimed(rows *sql.Rows, worker string, lease time.Duration) ([]store.Task, error) {
	defer rows.Close()
	var out []store.Task
	for rows.Next() {
		var (
			t               store.Task
			params, ev, enr []byte
			start           time.Time
		)
		if err := rows.Scan(&t.ID, &t.Type, &t.Description, &t.Domain, &params, &t.Error,
			&t.Priority, &t.Attempts, &t.MaxAttempts, &t.RunAfter, &t.CancelRequested,
			&t.IdempotencyKey, &ev, &enr, &t.CreatedAt, &start); err != nil {
			return nil, err
		}
		start = start.UTC()
		expires := start.Add(time.Duration(micros(lease)) * time.Microsecond)
		t.Status = store.StatusRunning
		t.LockedBy = worker
		t.Params = rawJSON(params)
		t.Events = rawJSON(ev)
		t.Enrichment = rawJSON(enr)
		t.RunAfter = t.RunAfter.UTC()
		t.CreatedAt = t.CreatedAt.UTC()
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
		status                     string
		lease, beat, start, finish sql.NullTime
	)
	err := sc.Scan(append([]any{&t.ID, &t.Type, &t.Description, &t.Domain, &params, &result, &t.Error,
		&status, &t.Priority, &t.Attempts, &t.MaxAttempts, &t.RunAfter,
		&t.LockedBy, &lease, &beat, &t.CancelRequested,
		&t.IdempotencyKey, &ev, &enr,
		&t.CreatedAt, &t.UpdatedAt, &start, &finish}, extra...)...)
	if err != nil {
		return store.Task{}, err
	}
	t.Status = store.Status(status)
	t.Params = rawJSON(params)
	t.Result = rawJSON(result)
	t.Events = rawJSON(ev)
	t.Enrichment = rawJSON(enr)
	t.RunAfter = t.RunAfter.UTC()
	t.CreatedAt = t.CreatedAt.UTC()
	t.UpdatedAt = t.UpdatedAt.UTC()
	t.LeaseExpiresAt = timePtr(lease)
	t.LastHeartbeat = timePtr(beat)
	t.StartedAt = timePtr(start)
	t.FinishedAt = timePtr(finish)
	return t, nil
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
