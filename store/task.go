package store

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Status is the lifecycle state of a task.
type Status string

// The task statuses. A task moves
//
//	created → queued → running → completed | failed | cancelled
//
// with retry (waiting for RunAfter) between a failed attempt and the next
// claim. See [CanTransition] for the full set of legal moves.
const (
	// StatusCreated is a task that was stored but not released to workers
	// (run_immediately: false). [Store.Run] moves it to StatusQueued.
	StatusCreated Status = "created"
	// StatusQueued is a task waiting to be claimed once RunAfter is due.
	StatusQueued Status = "queued"
	// StatusRunning is a task claimed by a worker under a lease.
	StatusRunning Status = "running"
	// StatusRetry is a task whose last attempt failed or was rescued; it is
	// claimed again once RunAfter is due.
	StatusRetry Status = "retry"
	// StatusCompleted is a task whose dispatcher succeeded. Terminal.
	StatusCompleted Status = "completed"
	// StatusFailed is a task that failed permanently or spent MaxAttempts. Terminal.
	StatusFailed Status = "failed"
	// StatusCancelled is a task cancelled before or while it ran. Terminal.
	StatusCancelled Status = "cancelled"
)

// statuses is every status in lifecycle order.
var statuses = [...]Status{
	StatusCreated, StatusQueued, StatusRunning, StatusRetry,
	StatusCompleted, StatusFailed, StatusCancelled,
}

// Statuses returns every status in lifecycle order, in a new slice that
// the caller may keep and change.
func Statuses() []Status {
	s := statuses
	return s[:]
}

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusCreated, StatusQueued, StatusRunning, StatusRetry,
		StatusCompleted, StatusFailed, StatusCancelled:
		return true
	}
	return false
}

// Terminal reports whether s is a final status (completed, failed or
// cancelled): no worker or maintenance step moves a task out of it; only
// an operator's [Store.Retry] puts a failed or cancelled task back in the
// queue.
func (s Status) Terminal() bool {
	return s == StatusCompleted || s == StatusFailed || s == StatusCancelled
}

// Ready reports whether a task in status s can be claimed once its RunAfter
// is due.
func (s Status) Ready() bool { return s == StatusQueued || s == StatusRetry }

// ParseStatus returns the status named by s, or an error wrapping
// [ErrInvalidStatus].
func ParseStatus(s string) (Status, error) {
	st := Status(s)
	if !st.Valid() {
		return "", fmt.Errorf("%w: %q", ErrInvalidStatus, s)
	}
	return st, nil
}

// transitions is the single table of legal status changes.
var transitions = map[Status][]Status{
	StatusCreated: {StatusQueued, StatusCancelled},
	StatusQueued:  {StatusRunning, StatusCancelled},
	// running → queued is a released lease (graceful hard stop): the
	// interrupted attempt does not count.
	StatusRunning: {StatusCompleted, StatusFailed, StatusCancelled, StatusRetry, StatusQueued},
	StatusRetry:   {StatusRunning, StatusCancelled},
	// An operator's retry (Store.Retry) puts a failed or cancelled task
	// back in the queue.
	StatusFailed:    {StatusQueued},
	StatusCancelled: {StatusQueued},
}

// CanTransition reports whether a task may move from status from to status
// to. It is the one place that defines the lifecycle; every backend obeys it.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Task is one stored task: the record both backends keep.
//
// JSON fields (Params, Result, Events, Enrichment) hold raw JSON; Params is
// always a JSON object. Times are in UTC with microsecond precision.
// Every task a backend returns renders as JSON: see Invalid.
type Task struct {
	// ID is the task's UUID in canonical lower-case text form.
	ID string `db:"id" json:"id"`
	// Type names the kind of work; dispatchers route on it.
	Type string `db:"type" json:"type"`
	// Description is the task's (redacted) text.
	Description string `db:"description" json:"description"`
	// DescriptionTruncated is true when the description was longer than
	// the analyzer's limit and only its analysed prefix was stored. It is
	// not a column: both stores derive it from Events (its top-level
	// "truncated": true) whenever they return a task.
	DescriptionTruncated bool `db:"-" json:"description_truncated,omitempty"`
	// Domain is the business domain, given by the caller or inferred.
	Domain string `db:"domain" json:"domain"`
	// Queue is the named queue the task waits in ([DefaultQueue] unless
	// given). Worker pools serve queues; see [ValidQueueName].
	Queue string `db:"queue" json:"queue"`
	// Partition is the task's partition key within its queue (a tenant or
	// customer id, say), or empty for none. See [NewTask.Partition].
	Partition string `db:"partition" json:"partition,omitempty"`
	// Params is the task's input as a JSON object.
	Params json.RawMessage `db:"params" json:"params"`
	// Result is the dispatcher's JSON result once completed (or null).
	Result json.RawMessage `db:"result" json:"result,omitempty"`
	// Error is the last attempt's error text, if any.
	Error string `db:"error" json:"error,omitempty"`
	// Status is the lifecycle state.
	Status Status `db:"status" json:"status"`
	// Priority orders claims: higher runs first.
	Priority int `db:"priority" json:"priority"`
	// Attempts counts claims; it is raised once per claim.
	Attempts int `db:"attempts" json:"attempts"`
	// MaxAttempts is the number of attempts after which a failing task fails
	// for good.
	MaxAttempts int `db:"max_attempts" json:"max_attempts"`
	// RunAfter is when the task becomes claimable.
	RunAfter time.Time `db:"run_after" json:"run_after"`
	// LockedBy names the worker that holds the lease while running.
	LockedBy string `db:"locked_by" json:"locked_by,omitempty"`
	// LeaseExpiresAt is when the current lease ends unless extended.
	LeaseExpiresAt *time.Time `db:"lease_expires_at" json:"lease_expires_at,omitempty"`
	// LastHeartbeat is when the holder last extended the lease.
	LastHeartbeat *time.Time `db:"last_heartbeat" json:"last_heartbeat,omitempty"`
	// CancelRequested is set when a running task was asked to cancel; the
	// holder sees it on its next heartbeat and the task ends cancelled.
	CancelRequested bool `db:"cancel_requested" json:"cancel_requested,omitempty"`
	// IdempotencyKey, when set, is unique among all tasks.
	IdempotencyKey string `db:"idempotency_key" json:"idempotency_key,omitempty"`
	// Events is the eventizer's output for the description (JSON), if any.
	Events json.RawMessage `db:"events" json:"events,omitempty"`
	// Enrichment is the remote enrichment result (JSON), if any.
	Enrichment json.RawMessage `db:"enrichment" json:"enrichment,omitempty"`
	// TraceContext is the trace context of the request that enqueued the
	// task (see [NewTask.TraceContext]), or nil.
	TraceContext map[string]string `db:"-" json:"trace_context,omitempty"`
	// Snoozes counts the times a running handler put the task off without
	// spending an attempt (taskqueue.Snooze).
	Snoozes int `db:"snoozes" json:"snoozes,omitempty"`
	// AttemptHistory holds the task's latest ended attempts, oldest first
	// (at most MaxAttemptHistory): when each started and ended, on which
	// worker, how it ended and its error. An operator's retry keeps it.
	AttemptHistory []Attempt `db:"-" json:"attempt_history,omitempty"`
	// Progress is the latest progress (JSON, at most MaxProgressBytes) a
	// running handler reported (taskqueue.SetProgress), written with its
	// pool's next heartbeat; nil until one is written. A later attempt's
	// first report replaces an earlier attempt's.
	Progress json.RawMessage `db:"progress" json:"progress,omitempty"`
	// CreatedAt is when the task was stored.
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	// UpdatedAt is when the task last changed.
	UpdatedAt time.Time `db:"updated_at" json:"updated_at"`
	// StartedAt is when the latest attempt was claimed.
	StartedAt *time.Time `db:"started_at" json:"started_at,omitempty"`
	// FinishedAt is when the task reached a terminal status.
	FinishedAt *time.Time `db:"finished_at" json:"finished_at,omitempty"`
	// Invalid names (by JSON name) the fields whose stored value cannot be
	// represented: a time PostgreSQL holds as infinity, or outside the
	// years 0 to 9999 that RFC 3339 (and so JSON) can write. Such a field
	// is read as the zero time (nil for an optional one), so the task still
	// renders and one such row never fails a page. It is empty for every
	// task stored through [Store.Create], whose input contract rules such
	// values out; a backend sets it when it reads a row written otherwise
	// (by hand, or before the contract).
	Invalid []string `db:"-" json:"invalid,omitempty"`
}

// taskFixedBytes is what SizeEstimate allows for a task's fixed-size
// fields and JSON punctuation: its field names, ID, status, numbers and
// six times, about 450 bytes in JSON.
const taskFixedBytes = 512

// SizeEstimate returns about how many bytes t takes in memory and in JSON:
// the length of its text and JSON fields plus a fixed allowance for the
// rest. It does not count JSON escapes (a control character in a
// description takes six bytes in JSON, one here). List pages
// ([Filter.MaxBytes]) and the in-memory store's byte cap count it.
func (t *Task) SizeEstimate() int {
	return taskFixedBytes + len(t.Type) + len(t.Description) + len(t.Domain) + len(t.Queue) + len(t.Partition) + len(t.Params) +
		len(t.Result) + len(t.Error) + len(t.IdempotencyKey) + len(t.Events) + len(t.Enrichment) + len(t.Progress) +
		traceContextBytes(t.TraceContext) + attemptHistoryBytes(t.AttemptHistory)
}

// Limits and defaults for new tasks. The limits on text and JSON are with
// the input contract, in input.go.
const (
	// DefaultMaxAttempts is used when NewTask.MaxAttempts is zero.
	DefaultMaxAttempts = 5
	// MaxMaxAttempts is the largest MaxAttempts accepted.
	MaxMaxAttempts = 1000
	// MinPriority and MaxPriority bound NewTask.Priority.
	MinPriority = 0
	// MaxPriority is the highest priority accepted.
	MaxPriority = 100
)

// NewTask is what a caller supplies to create a task. [NewTask.Normalize]
// states what each field accepts.
type NewTask struct {
	// ID is optional; a time-ordered UUID is generated when empty.
	ID string
	// Type is required: a name as [ValidName] defines it.
	Type string
	// Description is the task's text, already redacted by the caller:
	// valid UTF-8 without NUL, at most MaxDescriptionBytes.
	Description string
	// Domain is optional: empty, or a name as [ValidName] defines it.
	Domain string
	// Queue is optional: empty means [DefaultQueue] (a seedcore App
	// first takes the default queue its handler declares, see
	// taskqueue.WithQueue); otherwise a queue name ([ValidQueueName]).
	Queue string
	// Partition is optional: empty, or a name as [ValidName] defines it,
	// such as a customer id. Within a queue, claims take turns across
	// the partitions that have work, so one partition's backlog does not
	// hold back another's tasks.
	Partition string
	// Params must be a JSON object when set ([CheckJSON], at most
	// MaxParamsBytes); empty means {}.
	Params json.RawMessage
	// Priority is between MinPriority and MaxPriority; higher runs first.
	Priority int
	// KeepPriority, when true, keeps Priority as given, zero included. When
	// false (the default), a seedcore App's Enqueue replaces a zero
	// Priority with the priority its analysis of the description found
	// (0 to 10), so words like "urgent" or "collapsed" can move the task
	// ahead; a non-zero Priority is always kept. Stores ignore the field.
	KeepPriority bool
	// MaxAttempts is between 1 and MaxMaxAttempts; 0 means DefaultMaxAttempts.
	MaxAttempts int
	// RunAfter delays the first claim; the zero value means now. Otherwise
	// it must lie between MinRunAfter and MaxRunAfter.
	RunAfter time.Time
	// Hold leaves the task in StatusCreated until [Store.Run] releases it.
	Hold bool
	// IdempotencyKey, when set, makes Create return the existing task with
	// the same key instead of creating another. It is valid UTF-8 without
	// control characters, at most MaxIdempotencyKeyLen bytes.
	IdempotencyKey string
	// Events is the eventizer's JSON output, stored as is ([CheckJSON]).
	Events json.RawMessage
	// TraceContext carries the trace context of the code that enqueues the
	// task (a W3C traceparent, say), so that each attempt joins that
	// trace. It is a plain carrier: the core reads nothing in it, and a
	// seedcore App fills it from its context through Config.Tracer when
	// it is nil. [CheckTraceContext] states what it accepts.
	TraceContext map[string]string
}

// Normalize validates t, fills its defaults and returns the result. Both
// backends call it before they store anything, so they accept and reject
// the same input, and what they accept PostgreSQL stores and every reader
// renders. Errors wrap [ErrInvalidTask]; their text names the field (by
// its JSON name) and the rule, never the value:
//
//   - id: empty, or a UUID.
//   - type: required, [ValidName].
//   - domain: empty, or [ValidName].
//   - queue: empty ([DefaultQueue]), or [ValidQueueName].
//   - partition: empty, or [ValidName].
//   - description: valid UTF-8 without NUL, at most MaxDescriptionBytes.
//   - idempotency_key: valid UTF-8 without control characters, at most
//     MaxIdempotencyKeyLen bytes.
//   - params: empty, or a JSON object that passes [CheckJSON], at most
//     MaxParamsBytes.
//   - events: empty, or JSON that passes [CheckJSON].
//   - priority: MinPriority to MaxPriority; max_attempts: 0 (default) to
//     MaxMaxAttempts.
//   - run_after: zero (now), or between MinRunAfter and MaxRunAfter.
//   - trace_context: empty, or as [CheckTraceContext] says; the result
//     holds a copy, or nil when empty.
func (t NewTask) Normalize() (NewTask, error) {
	bad := func(field, reason string) (NewTask, error) {
		return NewTask{}, fmt.Errorf("%w: %s %s", ErrInvalidTask, field, reason)
	}
	if t.ID == "" {
		t.ID = NewID()
	} else {
		id, err := ParseID(t.ID)
		if err != nil {
			return NewTask{}, fmt.Errorf("%w: %w", ErrInvalidTask, err)
		}
		t.ID = id
	}
	switch {
	case t.Type == "":
		return bad("type", "is required")
	case len(t.Type) > MaxTypeLen:
		return bad("type", "is longer than "+strconv.Itoa(MaxTypeLen)+" bytes")
	case !ValidName(t.Type):
		return bad("type", nameRule)
	case len(t.Domain) > MaxDomainLen:
		return bad("domain", "is longer than "+strconv.Itoa(MaxDomainLen)+" bytes")
	case t.Domain != "" && !ValidName(t.Domain):
		return bad("domain", nameRule)
	case t.Queue != "" && !ValidQueueName(t.Queue):
		return bad("queue", queueRule)
	case len(t.Partition) > MaxTypeLen:
		return bad("partition", "is longer than "+strconv.Itoa(MaxTypeLen)+" bytes")
	case t.Partition != "" && !ValidName(t.Partition):
		return bad("partition", nameRule)
	case len(t.Description) > MaxDescriptionBytes:
		return bad("description", "is longer than "+strconv.Itoa(MaxDescriptionBytes)+" bytes")
	case t.Priority < MinPriority || t.Priority > MaxPriority:
		return bad("priority", "is outside "+strconv.Itoa(MinPriority)+".."+strconv.Itoa(MaxPriority))
	case t.MaxAttempts < 0 || t.MaxAttempts > MaxMaxAttempts:
		return bad("max_attempts", "is outside 1.."+strconv.Itoa(MaxMaxAttempts))
	case len(t.Params) > MaxParamsBytes:
		return bad("params", "is larger than "+strconv.Itoa(MaxParamsBytes)+" bytes")
	}
	if why := checkText(t.Description); why != "" {
		return bad("description", why)
	}
	if why := checkKey(t.IdempotencyKey); why != "" {
		return bad("idempotency_key", why)
	}
	if t.MaxAttempts == 0 {
		t.MaxAttempts = DefaultMaxAttempts
	}
	if t.Queue == "" {
		t.Queue = DefaultQueue
	}
	if len(t.Params) == 0 {
		t.Params = json.RawMessage(`{}`)
	} else if !isJSONObject(t.Params) {
		return bad("params", "must be a JSON object")
	} else if err := CheckJSON(t.Params); err != nil {
		return bad("params", err.Error())
	}
	if len(t.Events) > 0 {
		if err := CheckJSON(t.Events); err != nil {
			return bad("events", err.Error())
		}
	}
	if !t.RunAfter.IsZero() {
		t.RunAfter = t.RunAfter.UTC().Truncate(time.Microsecond)
		if why := checkTime(t.RunAfter); why != "" {
			return bad("run_after", why)
		}
	}
	if why := checkTraceContext(t.TraceContext); why != "" {
		return bad("trace_context", why)
	}
	t.TraceContext = CloneTraceContext(t.TraceContext)
	return t, nil
}

// nameRule is the reason given for a type or domain that is not a name.
const nameRule = "must be ASCII letters, digits and _ . - : /, starting with a letter or digit"

// queueRule is the reason given for a queue that is not a queue name.
const queueRule = "must be 1 to 64 ASCII letters, digits and _ . -, starting with a letter or digit"

// isJSONObject reports whether b's first non-space byte opens an object
// (CheckJSON checks the rest).
func isJSONObject(b json.RawMessage) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}
