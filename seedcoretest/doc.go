// Package seedcoretest helps an application test code that uses a
// seedcore App: an App of its own for each test, on the in-memory store or
// on a PostgreSQL schema of its own, cleaned up when the test ends;
// assertions on enqueued tasks; waits on a task's status that fail the
// test instead of hanging; a synchronous run of every due task; and a
// clock the test moves.
//
// # An App per test
//
// [New] builds an App on the in-memory store (or on whatever store its
// Config selects) and shuts it down in t.Cleanup. [NewPostgres] gives it a
// fresh schema in the database named by TEST_DATABASE_URL, dropped at
// cleanup; without the variable the test is skipped with a message naming
// it, or fails when the CI variable is set. [NewPostgresAt] takes the URL
// itself. An App built this way does not run its workers until [Start].
//
// # Two ways to run tasks
//
// [Start] serves the App until the test ends, as in production; [WaitFor]
// then waits for a task to reach a status, woken by the store's
// notifications (App.Notifier) rather than a polling loop in the test, and
// fails the test after [DefaultTimeout] or at once when the task ends in
// another status.
//
// [Drain] runs, in the test's goroutine, every task that is due, until
// none is, without serving the App (App.RunDue): the test then reads the
// results with no waiting at all, and in a deterministic order.
//
// # Time
//
// A [Clock] passed as seedcore.Config.Now drives the in-memory store:
// tasks scheduled with RunAfter and retries scheduled after a failure
// become due when the test advances the clock, and Drain runs them. The
// clock applies to the in-memory store only: PostgreSQL stamps and
// compares times with the database's now(), so seedcore.New refuses a
// Config that sets Now with a database. Dispatcher timeouts and the
// workers' poll and heartbeat intervals run in real time either way, while
// the in-memory store judges lease expiry by the clock: advancing it past
// the lease of a running task lets the rescuer take the task back.
//
// # Assertions
//
// [RequireEnqueued] lists the tasks that match a store.Filter and fails
// the test when there is none.
package seedcoretest
