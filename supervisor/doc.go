// Package supervisor keeps a process's long-running services alive: a root
// suture tree (github.com/thejerf/suture/v4) to which the application adds
// named services, with every supervision event logged through [log/slog],
// a readiness check, and a graceful stop that reports what did not stop.
//
// It imports nothing else of this module: the application decides what
// runs under it.
//
// # The tree
//
// A [Supervisor] is the root. The application adds its services by name;
// a typical process looks like this:
//
//	                caller's suture tree (optional)
//	                             │
//	                  supervisor.Supervisor  "seedcore"
//	                  (suture root: restart, backoff, stop timeout)
//	                             │
//	    ┌──────────────┬─────────┴────┬──────────────┬──────────────┐
//	    │              │              │              │              │
//	"workers"      "rescuer"     "retention"    "notifier"    "enrichment"
//	worker pool    maintenance   maintenance    LISTEN/NOTIFY  remote enrich
//	(Required)     (Required)
//
//	checks: "store" (the store answers) ──▶ Ready / Check ──▶ GET /readyz
//
// Each service is a suture.Service (Serve(ctx) error; [ServiceFunc]
// adapts a function). When it returns while its context is live, or
// panics, it is restarted at once; when the decayed count of failures
// passes Config.FailureThreshold the whole tree pauses restarts for
// Config.FailureBackoff (the backoff) and then resumes. A service that
// returns an error wrapping suture.ErrDoNotRestart is finished and stays
// stopped. Returning nil while the context is live counts as a failure.
//
// # Events
//
// Every supervision event is a typed [Event] whose [EventKind] says what
// happened: the tree starting, a service starting, failing (returning
// while its context is live), panicking (with the panic value and the
// stack) or finishing, the start and end of a backoff, a service that
// ignored the stop, the report of the services that did not stop, and the
// end of a stop. Each event is logged as one structured record on
// Config.Logger and then given to Config.OnEvent, so logs and, for
// example, metrics subscribe to the same events. The records' messages
// are for people and are not an API: act on events through OnEvent.
//
// # Readiness
//
// [Supervisor.Ready] and [Supervisor.Check] pass only while the tree is
// serving and not in backoff, every service added with [Required] is
// running (and, if it implements [Readier], reports ready), and every
// check added with [Supervisor.AddCheck] returns nil. A required service
// waiting to be restarted makes the supervisor not ready until it runs
// again. The error of Check wraps [ErrNotReady] and names each reason.
// [Supervisor.Services] gives a snapshot of every service's [State].
//
// # Stopping
//
// The tree stops when the context given to [Supervisor.Serve] ends:
// every service's context is cancelled together, Serve waits up to
// Config.StopTimeout for them to return, logs the ones that did not, and
// returns an error wrapping [ErrStopTimeout] that names them (also
// available from [Supervisor.Unstopped]); after a clean stop it returns
// ctx.Err().
//
// # Embedding
//
// A Supervisor is itself a suture.Service: add it to your own suture tree
// and it stops when that tree stops it. It can also run on its own, with
// Serve (blocking) or [Supervisor.ServeBackground] (returns once the tree
// runs, so services added afterwards start at once). Each Serve starts a
// fresh tree with every registered service, so a parent tree may restart
// it.
package supervisor
