// Package storetest is the conformance suite every task store backend
// passes: the in-memory store (store/memstore), the PostgreSQL store
// (store/pgstore) and any other backend that wants to serve the taskqueue
// package.
//
// # Use
//
// A backend's test calls [Run] with a function that opens a fresh, empty
// backend for one subtest:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Backend {
//			return memstore.New(memstore.Options{})
//		})
//	}
//
// Every subtest calls t.Parallel and opens its own backend, so open must
// return an independent store each time (a new schema for a database
// backend) and release it in t.Cleanup.
//
// [RunNotifier] checks a backend's notification hints in the same way,
// whether the [store.Notifier] is the store itself or a separate listener.
//
// # Time
//
// The suite never injects a clock: a database backend compares against
// the database's own now(). Time-dependent cases use short leases (a few
// milliseconds) with bounded polling waits, and RetryIn and RunAfter values
// well in the past or far in the future, so they hold on any clock.
//
// # Choices the contract leaves open
//
// Where the contract in package store and taskqueue is silent, the suite
// pins the behaviour a user of a production task queue expects:
//
//   - Cancel of a running task that already has CancelRequested set
//     succeeds again (idempotent) and leaves the task running.
//   - Finish with an unknown task ID reports ErrLeaseLost for that outcome
//     (no one holds it); an unknown outcome kind fails the whole call and
//     records nothing.
//   - CreateMany validates every task first (ErrInvalidTask, nothing
//     stored), rejects an explicit ID that is already taken (ErrConflict,
//     nothing stored), and skips a task whose idempotency key exists in the
//     store or earlier in the same batch.
//   - A listing whose last page holds exactly Limit tasks returns an empty
//     NextCursor.
//   - Run, Cancel and SetEnrichment take a full task ID; Get alone accepts
//     a prefix. An unknown full ID is ErrNotFound; "%" or "_" is
//     ErrInvalidID everywhere.
//   - The transition table is store.CanTransition narrowed to the statuses
//     each operation acts on: Run releases created tasks only (running →
//     queued is the worker's release), Claim takes queued and retry tasks,
//     Finish and Rescue act on running tasks. A refused operation changes
//     nothing, not even UpdatedAt.
//   - FinishedAt is set exactly when a task is terminal. A released task
//     is queued with no holder (LockedBy empty) and its attempt uncounted.
//   - A retry at MaxAttempts ends failed and keeps the outcome's Error.
//   - SetEnrichment with invalid JSON is an error and changes nothing.
//   - Claim and Heartbeat with an empty worker name or a lease that is not
//     positive fail with store.ErrInvalidLease and change nothing, whatever
//     the limit (a limit of zero or less otherwise claims nothing).
//   - CreateMany and SetEnrichment are optional capabilities
//     (store.BulkCreator, store.EnrichmentWriter): their subtests run when
//     the backend has them and are skipped otherwise.
//   - Every backend accepts exactly the inputs [store.NewTask.Normalize]
//     accepts: a table of edge inputs (names, NUL, invalid UTF-8, unpaired
//     surrogates, numbers, nesting, sizes, times) is created one by one,
//     all at once and through CreateMany, and each accepted task reads back
//     through Get and List and renders as JSON. A listing filter holding
//     text no task can hold is ErrInvalidTask.
package storetest
