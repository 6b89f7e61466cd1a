package supervisor

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/thejerf/suture/v4"
)

// Messages of the records logged for suture's events. Every record also
// carries the attribute "supervisor" (the supervisor's name).
const (
	// MsgServicePanic is logged at Error level when a service panics, with
	// the attributes service, panic, stack, failures, threshold and
	// restarting.
	MsgServicePanic = "supervisor: service panicked"
	// MsgServiceTerminate is logged at Warn level when a service returns
	// while its context is live, with the attributes service, error,
	// failures, threshold and restarting.
	MsgServiceTerminate = "supervisor: service terminated"
	// MsgBackoff is logged at Warn level when the failure count passes
	// the threshold and restarts pause, with the attribute backoff.
	MsgBackoff = "supervisor: entering backoff"
	// MsgResume is logged at Info level when the backoff ends and the
	// waiting services are restarted.
	MsgResume = "supervisor: resuming after backoff"
	// MsgStopTimeout is logged at Error level for each service still
	// running StopTimeout after its context was cancelled, with the
	// attributes service and stop_timeout.
	MsgStopTimeout = "supervisor: service did not stop in time"
	// MsgUnstopped is logged at Error level once a stop is over when some
	// services did not stop in time (suture's unstopped-service report),
	// with the attributes count, services (comma-separated, sorted) and
	// stop_timeout.
	MsgUnstopped = "supervisor: services did not stop in time"
	// MsgServiceFinished is logged at Info level when a service returns an
	// error wrapping suture.ErrDoNotRestart, with the attributes service
	// and error.
	MsgServiceFinished = "supervisor: service finished"
	// MsgServiceStart is logged at Debug level each time a service's Serve
	// is called, with the attributes service and starts.
	MsgServiceStart = "supervisor: service started"
	// MsgStarting is logged at Info level when Serve starts the tree, with
	// the attribute services (how many).
	MsgStarting = "supervisor: starting"
	// MsgStopped is logged at Info level when a stop is over and every
	// service stopped in time, with the attribute reason.
	MsgStopped = "supervisor: stopped"
)

// eventHook turns suture's events for run r into structured slog records
// and tracks the backoff state used by readiness. suture calls it from its
// control loop (and, for stop timeouts, from a helper goroutine).
func (s *Supervisor) eventHook(r *run) suture.EventHook {
	log := s.cfg.Logger
	name := slog.String("supervisor", s.cfg.Name)
	return func(ev suture.Event) {
		ctx := context.Background()
		switch e := ev.(type) {
		case suture.EventServicePanic:
			log.LogAttrs(ctx, slog.LevelError, MsgServicePanic, name,
				slog.String("service", e.ServiceName),
				slog.String("panic", e.PanicMsg),
				slog.String("stack", e.Stacktrace),
				slog.Float64("failures", e.CurrentFailures),
				slog.Float64("threshold", e.FailureThreshold),
				slog.Bool("restarting", e.Restarting))
		case suture.EventServiceTerminate:
			log.LogAttrs(ctx, slog.LevelWarn, MsgServiceTerminate, name,
				slog.String("service", e.ServiceName),
				slog.String("error", fmt.Sprint(e.Err)),
				slog.Float64("failures", e.CurrentFailures),
				slog.Float64("threshold", e.FailureThreshold),
				slog.Bool("restarting", e.Restarting))
		case suture.EventBackoff:
			r.paused.Store(true)
			log.LogAttrs(ctx, slog.LevelWarn, MsgBackoff, name,
				slog.Duration("backoff", s.cfg.FailureBackoff))
		case suture.EventResume:
			r.paused.Store(false)
			log.LogAttrs(ctx, slog.LevelInfo, MsgResume, name)
		case suture.EventStopTimeout:
			log.LogAttrs(ctx, slog.LevelError, MsgStopTimeout, name,
				slog.String("service", e.ServiceName),
				slog.Duration("stop_timeout", s.cfg.StopTimeout))
		default:
			log.LogAttrs(ctx, slog.LevelInfo, "supervisor: event", name,
				slog.String("event", ev.String()))
		}
	}
}
