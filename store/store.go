package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Store is what the HTTP API and Go callers need from a backend: create,
// look up, list, release, cancel and count tasks. Every backend in this
// module (memstore, pgstore) implements it together with the worker half,
// [taskqueue.Queue]; the storetest package holds the one conformance suite
// they both pass.
//
// All times are the backend's: a PostgreSQL store compares against the
// database's now(), never the client's clock.
type Store interface {
	// Create stores a new task. It validates t with [NewTask.Normalize]. When
	// t.IdempotencyKey is set and a task with that key exists, Create returns
	// that task and created == false, and stores nothing. An explicit ID that
	// is already taken returns an error wrapping ErrConflict.
	Create(ctx context.Context, t NewTask) (task Task, created bool, err error)
	// Get returns the task whose ID is id or, for a shorter input, the only
	// task whose ID starts with it. Errors wrap ErrInvalidID, ErrNotFound or
	// ErrAmbiguousID.
	Get(ctx context.Context, idOrPrefix string) (Task, error)
	// List returns one page of tasks, newest first, matching f.
	List(ctx context.Context, f Filter) (Page, error)
	// Run releases a created task to the workers (created → queued). Any
	// other status returns an error wrapping ErrInvalidTransition.
	Run(ctx context.Context, id string) (Task, error)
	// Cancel cancels a task. A created, queued or retry task becomes
	// cancelled at once. A running task gets CancelRequested set and stays
	// running until its holder ends it (as cancelled) or its lease is
	// rescued (as cancelled). A terminal task returns an error wrapping
	// ErrInvalidTransition.
	Cancel(ctx context.Context, id string) (Task, error)
	// Retry puts a failed or cancelled task back in the queue (→ queued,
	// claimable at once) with a fresh attempt budget: MaxAttempts becomes
	// Attempts plus the number of attempts the task was first given, so
	// attempt numbers keep rising and the fence of an earlier attempt never
	// matches a new one. Its error and attempt history stay. Any other
	// status returns an error wrapping ErrInvalidTransition.
	Retry(ctx context.Context, id string) (Task, error)
	// Delete removes a finished task (completed, failed or cancelled) for
	// good. Any other status returns an error wrapping
	// ErrInvalidTransition, and nothing changes.
	Delete(ctx context.Context, id string) error
	// RetryMatching retries every task that f selects, as Retry does, in
	// one atomic step; see [BulkFilter] for the selection and the
	// confirmation it requires. It returns how many tasks it retried.
	RetryMatching(ctx context.Context, f BulkFilter) (int, error)
	// DeleteMatching deletes every task that f selects, as Delete does, in
	// one atomic step; see [BulkFilter]. It returns how many it deleted.
	DeleteMatching(ctx context.Context, f BulkFilter) (int, error)
	// Counts returns the number of tasks in each status (every status is
	// present, zero or not).
	Counts(ctx context.Context) (map[Status]int, error)
	// Ping reports whether the backend answers.
	Ping(ctx context.Context) error
}

// Default and maximum page sizes for [Filter.Limit].
const (
	DefaultListLimit = 50
	MaxListLimit     = 1000
)

// DefaultListBytes is the byte budget of a page when [Filter.MaxBytes] is
// zero: 8 MiB of [Task.SizeEstimate], so a page of a thousand tasks with
// large params does not hold (and its JSON does not take) hundreds of
// megabytes.
const DefaultListBytes = 8 << 20

// Filter selects tasks for [Store.List]. Zero fields match everything.
type Filter struct {
	// Statuses, when not empty, keeps tasks in any of these statuses.
	Statuses []Status
	// Type, when set, keeps tasks of exactly this type.
	Type string
	// Domain, when set, keeps tasks of exactly this domain.
	Domain string
	// Queue, when set, keeps tasks of exactly this queue.
	Queue string
	// Partition, when set, keeps tasks of exactly this partition.
	Partition string
	// CreatedAfter, when set, keeps tasks created at or after it.
	CreatedAfter time.Time
	// CreatedBefore, when set, keeps tasks created strictly before it.
	CreatedBefore time.Time
	// Limit is the page size: 0 means DefaultListLimit, larger than
	// MaxListLimit means MaxListLimit. Negative is an error.
	Limit int
	// Cursor continues from a previous Page.NextCursor.
	Cursor string
	// MaxBytes is the page's byte budget: a page ends early, with a
	// NextCursor, once the [Task.SizeEstimate] of its tasks adds up to
	// MaxBytes or more. A page always holds at least one task (when any
	// is left), so it may pass the budget by one task. 0 means
	// DefaultListBytes; negative is an error.
	MaxBytes int
}

// MaxBulk is the most tasks one bulk retry or delete acts on; a larger
// selection is refused with [ErrTooMany] (narrow it, by type or creation
// time, and repeat).
const MaxBulk = 10000

// BulkFilter selects the tasks of a bulk retry ([Store.RetryMatching]) or
// delete ([Store.DeleteMatching]). Zero fields match everything, except
// Statuses: empty means every status the operation acts on (failed and
// cancelled for a retry; completed, failed and cancelled for a delete),
// and a status it does not act on is an error wrapping ErrInvalidTask.
//
// Confirm is required: the number of tasks the caller expects the filter
// to select, as a listing with the same filter counted them. The
// operation selects and changes the tasks in one atomic step and changes
// nothing when the number differs (an error wrapping
// [ErrCountMismatch], which says how many matched), so what an operator
// confirmed is exactly what is changed. A selection of more than
// [MaxBulk] tasks is refused ([ErrTooMany]).
type BulkFilter struct {
	Statuses      []Status
	Type          string
	Domain        string
	CreatedAfter  time.Time
	CreatedBefore time.Time
	// Confirm is the number of tasks the caller expects to change: 1 to
	// MaxBulk.
	Confirm int
}

// Normalize validates f for an operation that acts on the statuses in
// allowed, and returns it with Statuses filled in when it was empty.
// Errors wrap ErrInvalidTask or ErrInvalidStatus.
func (f BulkFilter) Normalize(allowed ...Status) (BulkFilter, error) {
	if f.Confirm < 1 || f.Confirm > MaxBulk {
		return f, fmt.Errorf("%w: confirm must be the expected count, 1 to %d", ErrInvalidTask, MaxBulk)
	}
	for _, c := range []struct{ name, v string }{{"type", f.Type}, {"domain", f.Domain}} {
		if c.v != "" && (len(c.v) > MaxTypeLen || !ValidName(c.v)) {
			return f, fmt.Errorf("%w: filter %s %s", ErrInvalidTask, c.name, nameRule)
		}
	}
	if _, _, err := f.Filter().Normalize(); err != nil {
		return f, err
	}
	for _, s := range f.Statuses {
		ok := false
		for _, a := range allowed {
			ok = ok || s == a
		}
		if !ok {
			return f, fmt.Errorf("%w: status %s cannot be selected for this operation", ErrInvalidTask, s)
		}
	}
	if len(f.Statuses) == 0 {
		f.Statuses = append([]Status(nil), allowed...)
	}
	return f, nil
}

// Filter returns f's selection as a listing filter (with the default
// page size): List with it counts what f selects, as Total.
func (f BulkFilter) Filter() Filter {
	return Filter{Statuses: f.Statuses, Type: f.Type, Domain: f.Domain, CreatedAfter: f.CreatedAfter, CreatedBefore: f.CreatedBefore}
}

// Match reports whether t is selected by f's filter fields (Statuses,
// Type, Domain, Queue, Partition, CreatedAfter, CreatedBefore); Limit,
// Cursor and MaxBytes play no part. Backends that filter in memory use it.
func (f Filter) Match(t *Task) bool {
	switch {
	case len(f.Statuses) > 0 && !slices.Contains(f.Statuses, t.Status),
		f.Type != "" && t.Type != f.Type,
		f.Domain != "" && t.Domain != f.Domain,
		f.Queue != "" && t.Queue != f.Queue,
		f.Partition != "" && t.Partition != f.Partition,
		!f.CreatedAfter.IsZero() && t.CreatedAt.Before(f.CreatedAfter),
		!f.CreatedBefore.IsZero() && !t.CreatedAt.Before(f.CreatedBefore):
		return false
	}
	return true
}

// retryable and deletable are the statuses a retry and a delete act on.
var (
	retryable = []Status{StatusFailed, StatusCancelled}
	deletable = []Status{StatusCompleted, StatusFailed, StatusCancelled}
)

// RetryableStatuses returns the statuses [Store.Retry] acts on.
func RetryableStatuses() []Status { return slices.Clone(retryable) }

// DeletableStatuses returns the statuses [Store.Delete] acts on.
func DeletableStatuses() []Status { return slices.Clone(deletable) }

// CountMismatchError is the error of a bulk operation whose selection
// did not hold the number of tasks confirmed: nothing was changed. It
// wraps [ErrCountMismatch].
type CountMismatchError struct {
	// Matched is how many tasks the filter selected.
	Matched int
	// Confirmed is how many the caller expected.
	Confirmed int
}

func (e *CountMismatchError) Error() string {
	return fmt.Sprintf("store: the filter selects %d tasks, not the %d confirmed", e.Matched, e.Confirmed)
}

// Unwrap returns ErrCountMismatch.
func (e *CountMismatchError) Unwrap() error { return ErrCountMismatch }

// Page is one page of a listing.
type Page struct {
	// Tasks are ordered by (CreatedAt, ID) descending.
	Tasks []Task `json:"tasks"`
	// Total counts every task matching the filter, ignoring Limit and Cursor.
	Total int `json:"total"`
	// NextCursor continues the listing; empty on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// Cursor is the decoded keyset position of a listing: the sort key of the
// last task on the previous page.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// Normalize validates f and returns it with Limit resolved and the cursor
// decoded (nil when there is none). Errors wrap ErrInvalidCursor,
// ErrInvalidStatus or ErrInvalidTask (a negative limit, a Type or Domain
// that is not valid UTF-8 or holds NUL, a time outside the years 1 to
// 9999).
func (f Filter) Normalize() (Filter, *Cursor, error) {
	switch {
	case f.Limit < 0:
		return f, nil, fmt.Errorf("%w: negative limit %d", ErrInvalidTask, f.Limit)
	case f.Limit == 0:
		f.Limit = DefaultListLimit
	case f.Limit > MaxListLimit:
		f.Limit = MaxListLimit
	}
	switch {
	case f.MaxBytes < 0:
		return f, nil, fmt.Errorf("%w: negative byte budget %d", ErrInvalidTask, f.MaxBytes)
	case f.MaxBytes == 0:
		f.MaxBytes = DefaultListBytes
	}
	for _, s := range f.Statuses {
		if !s.Valid() {
			return f, nil, fmt.Errorf("%w: %q", ErrInvalidStatus, s)
		}
	}
	// What no task can hold is refused rather than sent to a backend that
	// might fail on it (PostgreSQL's text and timestamptz would).
	for _, c := range []struct{ name, v string }{{"type", f.Type}, {"domain", f.Domain}, {"queue", f.Queue}, {"partition", f.Partition}} {
		if why := checkText(c.v); why != "" {
			return f, nil, fmt.Errorf("%w: filter %s %s", ErrInvalidTask, c.name, why)
		}
	}
	for _, c := range []struct {
		name string
		v    time.Time
	}{{"created_after", f.CreatedAfter}, {"created_before", f.CreatedBefore}} {
		if !c.v.IsZero() {
			if why := checkTime(c.v); why != "" {
				return f, nil, fmt.Errorf("%w: filter %s %s", ErrInvalidTask, c.name, why)
			}
		}
	}
	if f.Cursor == "" {
		return f, nil, nil
	}
	c, err := DecodeCursor(f.Cursor)
	return f, c, err
}

// EncodeCursor returns the opaque cursor for the task t, the last one of a
// page.
func EncodeCursor(t Task) string {
	b, _ := json.Marshal([2]string{t.CreatedAt.UTC().Format(time.RFC3339Nano), t.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor decodes a cursor made by [EncodeCursor]. Errors wrap
// ErrInvalidCursor.
func DecodeCursor(s string) (*Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64", ErrInvalidCursor)
	}
	var parts [2]string
	if err := json.Unmarshal(b, &parts); err != nil {
		return nil, fmt.Errorf("%w: malformed", ErrInvalidCursor)
	}
	ts, err := time.Parse(time.RFC3339Nano, parts[0])
	if err != nil {
		return nil, fmt.Errorf("%w: bad time", ErrInvalidCursor)
	}
	id, err := ParseID(parts[1])
	if err != nil {
		return nil, fmt.Errorf("%w: bad id", ErrInvalidCursor)
	}
	return &Cursor{CreatedAt: ts, ID: id}, nil
}

// OutcomeKind says how a worker ended an attempt.
type OutcomeKind string

// The outcome kinds a worker records with Finish.
const (
	// OutcomeComplete stores Result and moves the task to completed.
	OutcomeComplete OutcomeKind = "complete"
	// OutcomeRetry stores Error and moves the task to retry, claimable after
	// RetryIn; when the task has spent MaxAttempts it moves to failed instead.
	OutcomeRetry OutcomeKind = "retry"
	// OutcomeFail stores Error and moves the task to failed.
	OutcomeFail OutcomeKind = "fail"
	// OutcomeCancel moves the task to cancelled.
	OutcomeCancel OutcomeKind = "cancel"
	// OutcomeRelease gives the lease back without counting the attempt: the
	// task returns to queued, claimable at once (used at hard stop).
	OutcomeRelease OutcomeKind = "release"
	// OutcomeSnooze puts the task off for RetryIn without counting the
	// attempt: it returns to queued, claimable after RetryIn, its error
	// unchanged and its Snoozes raised by one.
	OutcomeSnooze OutcomeKind = "snooze"
)

// Outcome is the end of one attempt, written by the worker that holds the
// lease. It is fenced: it applies only while the task is running, locked by
// Worker, at attempt Attempt. A task whose CancelRequested is set ends
// cancelled whatever the kind.
type Outcome struct {
	TaskID  string
	Worker  string
	Attempt int
	Kind    OutcomeKind
	// Result is the JSON result of a completed task (may be empty).
	Result json.RawMessage
	// Error is the attempt's error text for retry, fail and cancel.
	Error string
	// RetryIn delays the next claim of a retried or snoozed task,
	// measured on the backend's clock.
	RetryIn time.Duration
}

// Lease is a task a worker still holds, as reported by a heartbeat.
type Lease struct {
	TaskID          string `db:"id"`
	Attempt         int    `db:"attempts"`
	CancelRequested bool   `db:"cancel_requested"`
}

// MaxProgressBytes is the largest progress value ([Progress.Value]) a
// backend accepts: 4 KiB, so that progress written with every heartbeat
// stays small next to the task.
const MaxProgressBytes = 4 << 10

// Progress is the latest progress a running attempt reported, carried by a
// heartbeat ([ProgressHeartbeater]) to the task it names.
type Progress struct {
	TaskID string
	// Attempt fences the write: it applies only while the task runs this
	// attempt.
	Attempt int
	// Value is the progress as JSON: see [CheckProgress].
	Value json.RawMessage
}

// CheckProgress reports whether v is a progress value every backend
// stores alike: one JSON value under the input contract of [CheckJSON],
// at most MaxProgressBytes long. Its error wraps ErrInvalidTask.
func CheckProgress(v json.RawMessage) error {
	if len(v) == 0 {
		return fmt.Errorf("%w: progress is empty", ErrInvalidTask)
	}
	if len(v) > MaxProgressBytes {
		return fmt.Errorf("%w: progress is larger than %d bytes", ErrInvalidTask, MaxProgressBytes)
	}
	if err := CheckJSON(v); err != nil {
		return fmt.Errorf("%w: progress %w", ErrInvalidTask, err)
	}
	return nil
}

// ProgressHeartbeater is the optional capability of a backend to write
// running tasks' progress with a heartbeat; find it by type assertion.
// memstore.Store and pgstore.Store have it.
type ProgressHeartbeater interface {
	// HeartbeatProgress is Heartbeat (see the taskqueue Queue interface)
	// that, in the same operation, sets the Progress of each task of
	// progress that the heartbeat extends and that still runs the entry's
	// attempt. Entries for other tasks are ignored. A value that fails
	// [CheckProgress] fails the whole call (nothing is written).
	HeartbeatProgress(ctx context.Context, worker string, held []string, progress []Progress, lease time.Duration) ([]Lease, error)
}

// Rescued is a task whose lease expired and that a rescue moved on.
type Rescued struct {
	TaskID string `db:"id"`
	Type   string `db:"type"`
	// Status is the task's new status: retry, failed or cancelled.
	Status Status `db:"status"`
}

// EventKind is the kind of a notification [Event].
type EventKind uint8

// The notification kinds.
const (
	// EventReady says new work may be ready to claim.
	EventReady EventKind = iota + 1
	// EventChanged says some task's status may have changed: TaskID's,
	// or, when TaskID is empty, any task's.
	EventChanged
	// EventCancel says TaskID was asked to cancel while running.
	EventCancel
	// EventResync says notifications may have been lost (a reconnect):
	// anything may have changed, so subscribers should re-poll.
	EventResync
)

// Event is a notification hint. Events are coalesced and may be dropped
// when a subscriber is slow; the data in the store is the truth, and
// events only say when to look again.
type Event struct {
	Kind   EventKind
	TaskID string
}

// Notifier delivers [Event] hints to subscribers.
type Notifier interface {
	// Subscribe returns a channel of events and a function that ends the
	// subscription and must be called once the caller is done.
	Subscribe() (events <-chan Event, unsubscribe func())
}

// BulkCreator is the optional bulk-create capability of a backend; find it
// by type assertion. memstore.Store and pgstore.Store have it.
type BulkCreator interface {
	// CreateMany inserts tasks in one operation and returns how many it
	// inserted. It validates every task first (an invalid one fails the
	// call with [ErrInvalidTask] and stores nothing) and skips a task whose
	// idempotency key exists already or repeats one earlier in tasks.
	CreateMany(ctx context.Context, tasks []NewTask) (int, error)
}

// EnrichmentWriter is the optional capability of storing a task's remote
// enrichment result; find it by type assertion. memstore.Store and
// pgstore.Store have it.
type EnrichmentWriter interface {
	// SetEnrichment replaces the enrichment of task id (a full ID) with
	// enrichment, which must be valid JSON that PostgreSQL accepts
	// ([ErrInvalidTask] otherwise, and nothing changes). An unknown id is
	// [ErrNotFound].
	SetEnrichment(ctx context.Context, id string, enrichment json.RawMessage) error
}

// TxCreator is the optional capability of creating a task inside a
// caller's transaction of type Tx, so the task exists only if the
// transaction commits; find it by type assertion. pgstore.Store is a
// TxCreator[*sqlx.Tx]; the in-memory store has no transactions.
type TxCreator[Tx any] interface {
	// CreateTx is Create within tx.
	CreateTx(ctx context.Context, tx Tx, t NewTask) (Task, bool, error)
}

// TaskNotifier is a [Notifier] that can also deliver only the events about
// one task, so a watcher of one task is not woken by every other task's
// change. Both backends' notifiers (memstore.Store, pgstore.Listener)
// implement it; find it by type assertion.
type TaskNotifier interface {
	Notifier
	// SubscribeTask returns a channel of the events about task id:
	// [EventChanged] and [EventCancel] naming it, EventChanged naming no
	// task (some tasks changed, which ones is not known) and
	// [EventResync]. It never carries [EventReady]. The subscription ends
	// when unsubscribe is called.
	SubscribeTask(id string) (events <-chan Event, unsubscribe func())
}
