package taskqueue

import (
	"context"
	"time"

	"github.com/seedcore/seedcore/store"
)

// Queue is what a worker pool needs from a backend. store/memstore and
// store/pgstore implement it; so can any other backend that passes the
// store/storetest suite.
type Queue interface {
	// Claim moves up to limit ready tasks (status queued or retry with
	// RunAfter due, on the backend's clock) to running under a lease held by
	// worker for the given duration, highest priority first, then earliest
	// RunAfter, then ID. Each claim raises Attempts by one and sets
	// StartedAt. It never returns a task to two callers. A limit of zero
	// or less claims nothing; an empty worker or a lease that is not
	// positive is an error wrapping store.ErrInvalidLease, whatever limit
	// is.
	Claim(ctx context.Context, worker string, limit int, lease time.Duration) ([]store.Task, error)
	// ClaimMatching is Claim restricted to the ready tasks that match f
	// (in the same order): tasks f does not match are neither claimed nor
	// changed. Claim is ClaimMatching with the zero filter. A filter that
	// does not validate ([store.ClaimFilter.Validate]) is an error wrapping
	// store.ErrInvalidTask.
	ClaimMatching(ctx context.Context, worker string, limit int, lease time.Duration, f store.ClaimFilter) ([]store.Task, error)
	// Heartbeat extends, in one operation, the lease of each task in held
	// that worker still holds (running, locked by worker) to now+lease, and
	// returns those tasks. A task of held missing from the result (or with
	// another attempt number) was lost; one with CancelRequested set should
	// be cancelled. Tasks locked by worker but not in held are left to
	// expire: a claim whose answer never reached the worker is rescued
	// instead of being kept alive forever. An empty worker or a lease that
	// is not positive is an error wrapping store.ErrInvalidLease.
	Heartbeat(ctx context.Context, worker string, held []string, lease time.Duration) ([]store.Lease, error)
	// Finish records outcomes, each fenced by its lease. The returned slice
	// has one entry per outcome: nil when applied, an error wrapping
	// store.ErrLeaseLost when the worker no longer held the task (nothing was
	// changed). The error is for the operation as a whole; when it is not
	// nil no outcome was recorded.
	Finish(ctx context.Context, outcomes []store.Outcome) ([]error, error)
	// Rescue moves up to limit running tasks whose lease has expired to
	// retry (claimable at once), to failed once Attempts has reached
	// MaxAttempts, or to cancelled when cancellation was requested.
	Rescue(ctx context.Context, limit int) ([]store.Rescued, error)
}

// Backend is the whole contract of a task store backend, declared once
// here, where backends are consumed: the task API half ([store.Store],
// served by httpapi and the dashboard) and the worker half ([Queue] for the
// pool and the rescuer, [Cleaner] for retention). The seedcore App runs on
// a Backend, and store/storetest checks that a backend keeps it.
// store/memstore and store/pgstore implement it.
//
// Capabilities a backend may lack are found by type assertion, the way
// database/sql finds a driver's optional interfaces:
// [store.BulkCreator] (CreateMany), [store.EnrichmentWriter]
// (SetEnrichment), [store.ProgressHeartbeater] (progress written with a
// heartbeat, for [SetProgress]), [store.TxCreator] (create inside a caller's
// transaction, pgstore only), [store.Notifier] and [store.TaskNotifier]
// (wake-ups; pgstore's come from a separate pgstore.Listener).
type Backend interface {
	store.Store
	Queue
	Cleaner
}

// Cleaner deletes finished tasks; the retention service uses it.
type Cleaner interface {
	// DeleteFinished deletes terminal tasks whose FinishedAt is older than
	// now-olderThan, at most batch rows per statement, until none is left
	// or ctx ends, and returns how many it deleted.
	DeleteFinished(ctx context.Context, olderThan time.Duration, batch int) (int, error)
}
