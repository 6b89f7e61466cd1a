package taskqueue

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors of the engine. Test for them with [errors.Is].
var (
	// ErrPermanent marks a dispatcher error that must not be retried: the
	// task fails at once. Wrap an error with [Permanent] to return one.
	ErrPermanent = errors.New("taskqueue: permanent failure")
	// ErrCancelled marks a dispatcher error that ends the task cancelled.
	// Wrap an error with [Cancelled] to return one. It is also the cause of
	// a task context cancelled because the task was cancelled.
	ErrCancelled = errors.New("taskqueue: task cancelled")
	// ErrUnknownType is returned (permanently) by a [Mux] for a task type it
	// has no handler for.
	ErrUnknownType = errors.New("taskqueue: no handler for task type")
	// ErrDecodeParams is returned (permanently) by a typed [Mux] handler
	// whose task params do not decode into the handler's type.
	ErrDecodeParams = errors.New("taskqueue: cannot decode task params")
	// ErrPanic is the error recorded for an attempt whose dispatcher
	// panicked. The attempt is retried like any other failure.
	ErrPanic = errors.New("taskqueue: dispatcher panicked")
	// ErrTimeout is the error recorded for an attempt that ran past its
	// timeout. The attempt is retried like any other failure.
	ErrTimeout = errors.New("taskqueue: task timed out")
	// ErrLeaseLost is the cause of a task context cancelled because the
	// worker lost the task's lease: its outcome will not be written.
	ErrLeaseLost = errors.New("taskqueue: lease lost")
	// ErrStopping is the cause of a task context cancelled at hard stop:
	// the task's lease is released and its attempt is not counted.
	ErrStopping = errors.New("taskqueue: worker stopping")
	// ErrInvalidConfig is wrapped by constructors for a bad configuration.
	ErrInvalidConfig = errors.New("taskqueue: invalid config")
)

type permanentError struct{ err error }

func (e *permanentError) Error() string        { return "permanent: " + fmt.Sprint(e.err) }
func (e *permanentError) Unwrap() error        { return e.err }
func (e *permanentError) Is(target error) bool { return target == ErrPermanent }

// Permanent wraps err so that the task fails at once instead of being
// retried. errors.Is(Permanent(err), ErrPermanent) is true, and the result
// still wraps err.
func Permanent(err error) error { return &permanentError{err: err} }

type cancelledError struct{ err error }

func (e *cancelledError) Error() string        { return "cancelled: " + fmt.Sprint(e.err) }
func (e *cancelledError) Unwrap() error        { return e.err }
func (e *cancelledError) Is(target error) bool { return target == ErrCancelled }

// Cancelled wraps err so that the task ends cancelled (a dispatcher that
// decides the work is no longer wanted). err may be nil.
func Cancelled(err error) error { return &cancelledError{err: err} }

// RetryAfterError asks for the task to run again after Delay instead of
// after the retry policy's backoff. Return one with [RetryAfter]; find one
// with errors.As. The attempt still counts toward the task's MaxAttempts.
type RetryAfterError struct {
	// Delay is how long to wait before the next attempt.
	Delay time.Duration
	// Err is the reason, recorded as the task's error (may be nil).
	Err error
}

// RetryAfter returns an error that reschedules the task after d, without
// the retry policy's backoff (for example when a remote service says when
// to come back).
func RetryAfter(d time.Duration, err error) error { return &RetryAfterError{Delay: d, Err: err} }

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("retry after %s: %v", e.Delay, e.Err)
}

// Unwrap returns the wrapped reason.
func (e *RetryAfterError) Unwrap() error { return e.Err }

// SnoozeError asks for the task to be put off for Delay without spending
// an attempt. Return one with [Snooze]; find one with errors.As.
type SnoozeError struct {
	// Delay is how long to put the task off.
	Delay time.Duration
}

// Snooze returns an error that puts the running task off for d (zero or
// less: claimable again at once) without counting the attempt: the task
// goes back to queued, keeps its error, and its Snoozes count rises by
// one. A task snoozes at most PoolConfig.MaxSnoozes times; beyond, a
// snooze counts as an attempt (as [RetryAfter] does), so a task that
// snoozes forever still ends once its attempts are spent.
func Snooze(d time.Duration) error { return &SnoozeError{Delay: d} }

func (e *SnoozeError) Error() string { return fmt.Sprintf("snooze for %s", e.Delay) }
