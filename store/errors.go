package store

import (
	"errors"
	"strings"
)

// Sentinel errors returned (wrapped) by every backend. Test for them with
// [errors.Is].
var (
	// ErrNotFound is returned when no task has the given ID or prefix.
	ErrNotFound = errors.New("store: task not found")
	// ErrAmbiguousID is returned by Get when an ID prefix matches more than
	// one task.
	ErrAmbiguousID = errors.New("store: ambiguous task id prefix")
	// ErrInvalidID is returned for an ID or prefix that is empty, too long or
	// holds characters a UUID cannot contain (so "%" and "_" never act as
	// wildcards).
	ErrInvalidID = errors.New("store: invalid task id")
	// ErrConflict is returned when a write collides with an existing task,
	// such as an explicit ID that is already taken.
	ErrConflict = errors.New("store: conflict")
	// ErrInvalidTransition is returned when an operation asks for a status
	// change that [CanTransition] forbids, such as cancelling a completed task
	// or running a task that is not created.
	ErrInvalidTransition = errors.New("store: invalid status transition")
	// ErrInvalidTask is returned when a NewTask fails validation.
	ErrInvalidTask = errors.New("store: invalid task")
	// ErrInvalidQueue is returned for a queue name that is not one
	// ([ValidQueueName]).
	ErrInvalidQueue = errors.New("store: invalid queue name")
	// ErrInvalidStatus is returned for an unknown status name.
	ErrInvalidStatus = errors.New("store: invalid status")
	// ErrInvalidCursor is returned by List for a cursor it did not issue.
	ErrInvalidCursor = errors.New("store: invalid cursor")
	// ErrLeaseLost is reported for an outcome or lease operation by a worker
	// that no longer holds the task's lease (it expired and was rescued, the
	// task was claimed again, or it is not running). Nothing was changed.
	ErrLeaseLost = errors.New("store: lease lost")
	// ErrPersonalData is wrapped, with ErrInvalidTask, by a
	// [PersonalDataError]: a field that must not hold personal data does.
	ErrPersonalData = errors.New("store: personal data where none is allowed")
	// ErrInvalidLease is returned by Claim and Heartbeat for an empty
	// worker name or a lease duration that is not positive: no task could
	// be held by such a lease. Nothing is changed.
	ErrInvalidLease = errors.New("store: invalid lease")
	// ErrClosed is returned by a store that has been closed.
	ErrClosed = errors.New("store: closed")
	// ErrFull is returned by a create on a store that holds as many bytes
	// of tasks as it was allowed (the in-memory store's
	// memstore.Options.MaxBytes). Nothing was stored; retrying after
	// finished tasks were deleted may succeed.
	ErrFull = errors.New("store: full")
	// ErrUnavailable is wrapped by an error that says the store cannot be
	// reached now and the operation may succeed if tried again later: the
	// database refused or dropped the connection, is shutting down or
	// starting up, or has no connection slot left. Whether the operation
	// took effect before the connection dropped is unknown (a create with
	// an idempotency key can be retried safely). The HTTP API answers it
	// with 503 and a Retry-After header.
	ErrUnavailable = errors.New("store: unavailable")
	// ErrCountMismatch is wrapped by a [CountMismatchError]: a bulk
	// operation's filter selected another number of tasks than the one
	// confirmed, and nothing was changed.
	ErrCountMismatch = errors.New("store: count does not match the confirmation")
	// ErrTooMany is returned by a bulk operation whose filter selects more
	// than [MaxBulk] tasks; nothing was changed.
	ErrTooMany = errors.New("store: too many tasks selected")
)

// PersonalDataError reports personal data (an e-mail address, a card
// number, a secret, ...) in a task field that is stored and shown as is,
// such as the idempotency key. Its text names the field and the kinds
// found, never the value. It wraps [ErrInvalidTask] and [ErrPersonalData].
type PersonalDataError struct {
	// Field is the field's name in the API ("idempotency_key").
	Field string
	// Kinds are the kinds of data found ("email", "card", ...).
	Kinds []string
}

func (e *PersonalDataError) Error() string {
	return "store: invalid task: " + e.Field + " holds personal data (" + strings.Join(e.Kinds, ", ") + ")"
}

// Unwrap returns ErrInvalidTask and ErrPersonalData.
func (e *PersonalDataError) Unwrap() []error { return []error{ErrInvalidTask, ErrPersonalData} }
