// Package taskqueue is the engine: it runs stored tasks on a worker pool
// with leases, heartbeats, retries and rescue, through dispatchers.
//
// # Interfaces
//
// [Queue] is what a worker pool needs from a backend (claim, heartbeat,
// finish, rescue); [Backend] is the whole contract of a store backend (the
// store.Store API half, Queue and [Cleaner]), declared here once, with its
// optional capabilities found by type assertion. store/memstore and
// store/pgstore implement it. A
// [Dispatcher] runs one task: [DispatcherFunc] adapts a function, [Mux]
// routes by task type (with typed handlers through [HandleFunc]), and
// [RemoteDispatcher] posts the task to another service over HTTP.
//
// # The pool
//
// A [Pool] claims ready tasks in batches sized to its free slots, runs up
// to Concurrency of them at once, and is woken by the backend's
// notifications (polling every PollInterval as a fallback). A notification
// is claimed for at once; when tasks stream in faster than one claim per
// task, claims are spaced by ten times their own recent duration (at most
// 10 ms) so that the tasks of several notifications share one. Each claim
// holds a lease; one heartbeat every Lease/3 extends the leases of all the
// tasks the pool holds, in one call, and tells the pool which tasks were
// lost (their context is cancelled with [ErrLeaseLost] and nothing is
// written for them) and which were asked to cancel. Outcomes are written in
// batches, fenced by worker and attempt.
//
//	claim (batch) ──▶ dispatch (one goroutine per task) ──▶ outcome ──▶ finisher (batched write)
//	      ▲                       ▲
//	   notify / poll        heartbeat: extend, lost, cancel
//
// # Outcomes
//
// The dispatcher's error decides: nil completes the task; [Permanent] fails
// it at once; [RetryAfter] reschedules it after a delay; [Cancelled]
// cancels it; any other error (a panic and a timeout included) retries it
// after the [RetryPolicy]'s delay ([ExponentialBackoff] with full jitter by
// default) until MaxAttempts is spent, then fails it.
//
// # Progress
//
// A running dispatcher may call [SetProgress] with its attempt's context
// as often as it likes: the latest value is written with the pool's next
// heartbeat and becomes the task's Progress.
//
// # Stopping
//
// When its context ends a Pool stops claiming, gives running tasks
// DrainTimeout to finish, then cancels them with [ErrStopping] and releases
// their leases (the attempt is not counted), writes the remaining outcomes,
// and returns. A process that dies instead has its tasks rescued by a
// [Rescuer] once their leases expire. A [RetentionCleaner] deletes
// finished tasks after a retention age.
package taskqueue
