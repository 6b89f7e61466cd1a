package store

import (
	"context"
	"time"
)

// ScheduleState is what a backend keeps of a periodic schedule (see
// taskqueue.Scheduler): where its slots start and which it has handled.
type ScheduleState struct {
	Name string
	// Since is when the backend first saw the schedule: slots before it
	// are never due.
	Since time.Time
	// LastRun is the latest slot handled (its task created, or skipped
	// as missed); nil before the first.
	LastRun *time.Time
	// NextRun is the next slot as of the last check; nil before the first.
	NextRun *time.Time
}

// ScheduleStore is the optional capability of a backend to keep the state
// of periodic schedules and to tell the time every schedule decision is
// made on; find it by type assertion. memstore.Store and pgstore.Store
// have it.
type ScheduleStore interface {
	// Now returns the backend's current time (the database's for
	// PostgreSQL), in UTC.
	Now(ctx context.Context) (time.Time, error)
	// ScheduleStates records each of names not yet stored, with Since the
	// backend's now, and returns the state of every one of names.
	ScheduleStates(ctx context.Context, names []string) ([]ScheduleState, error)
	// AdvanceSchedule records that the slots of schedule name up to last
	// were handled (LastRun never moves back; a nil last leaves it) and
	// that its next slot is next. An unknown name is [ErrNotFound].
	AdvanceSchedule(ctx context.Context, name string, last *time.Time, next time.Time) error
}

// ScheduleInfo describes a periodic schedule and its state, for listings
// (GET /api/v1/schedules).
type ScheduleInfo struct {
	Name string `json:"name"`
	// Spec is its cron expression.
	Spec string `json:"spec"`
	// Timezone is the zone of Spec's fields (a CRON_TZ prefix wins).
	Timezone string `json:"timezone"`
	// Type is the type of the task each slot creates.
	Type string `json:"type"`
	// Missed is the policy for slots missed while no process led: "skip"
	// or "run_once".
	Missed string `json:"missed"`
	// NextRun and LastRun are the next slot and the latest slot handled,
	// as of the leader's last check (nil before it).
	NextRun *time.Time `json:"next_run_at"`
	LastRun *time.Time `json:"last_run_at"`
}

// ScheduleLister lists the periodic schedules of a process
// (taskqueue.Scheduler has it).
type ScheduleLister interface {
	Schedules(ctx context.Context) ([]ScheduleInfo, error)
}
