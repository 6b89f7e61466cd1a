package supervisor

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/thejerf/suture/v4"
)

// EventKind says what an [Event] reports.
type EventKind int

// The kinds of [Event], with the fields each one sets besides Kind and
// Supervisor (always set).
const (
	// EventStarting: Serve started the tree. Count is the number of
	// services.
	EventStarting EventKind = iota + 1
	// EventServiceStarted: a service's Serve was called. Service; Starts
	// counts the calls in this run (1 for the first start).
	EventServiceStarted
	// EventServiceFailed: a service returned while its context was live
	// (a nil return counts, with an Err saying so). Service, Err,
	// Failures, Threshold, Restarting (false when the tree is in backoff:
	// the service restarts when it resumes).
	EventServiceFailed
	// EventServicePanicked: a service panicked. Service, Panic (the value,
	// printed), Stack, Failures, Threshold, Restarting.
	EventServicePanicked
	// EventServiceFinished: a service returned an error wrapping
	// suture.ErrDoNotRestart and will not be restarted in this run.
	// Service, Err.
	EventServiceFinished
	// EventBackoff: the decayed failure count passed the threshold and
	// restarts pause. Backoff is Config.FailureBackoff (before jitter).
	// It comes before the failure event that caused it.
	EventBackoff
	// EventResumed: the backoff is over; the services that failed during
	// it are restarted.
	EventResumed
	// EventStopTimeout: a service was still running StopTimeout after its
	// context was cancelled. Service, StopTimeout.
	EventStopTimeout
	// EventUnstopped: a stop is over and some services did not stop in
	// time (suture's unstopped-service report). Services (sorted),
	// StopTimeout.
	EventUnstopped
	// EventStopped: a stop is over and every service stopped in time. Err
	// is what the tree's Serve returned (nil when it stopped because its
	// context ended).
	EventStopped
)

// String returns the kind's lower-case name, such as "service_failed".
func (k EventKind) String() string {
	switch k {
	case EventStarting:
		return "starting"
	case EventServiceStarted:
		return "service_started"
	case EventServiceFailed:
		return "service_failed"
	case EventServicePanicked:
		return "service_panicked"
	case EventServiceFinished:
		return "service_finished"
	case EventBackoff:
		return "backoff"
	case EventResumed:
		return "resumed"
	case EventStopTimeout:
		return "stop_timeout"
	case EventUnstopped:
		return "unstopped"
	case EventStopped:
		return "stopped"
	default:
		return "unknown"
	}
}

// Event is one supervision event, given to Config.OnEvent and logged on
// Config.Logger. Kind says which fields are set (see [EventKind]); the
// others are zero.
type Event struct {
	// Kind says what happened.
	Kind EventKind
	// Supervisor is the supervisor's name (Config.Name).
	Supervisor string
	// Service is the name of the service concerned, for the service
	// kinds and EventStopTimeout.
	Service string
	// Err is the service's error for EventServiceFailed and
	// EventServiceFinished, and the tree's error for EventStopped.
	Err error
	// Panic is the panic value, printed, for EventServicePanicked.
	Panic string
	// Stack is the stack of the panicking goroutine, for
	// EventServicePanicked.
	Stack string
	// Failures is the decayed failure count including this failure, and
	// Threshold the count above which the tree backs off, for
	// EventServiceFailed and EventServicePanicked.
	Failures, Threshold float64
	// Restarting tells, for EventServiceFailed and EventServicePanicked,
	// whether the service is restarted at once (false: after the backoff).
	Restarting bool
	// Starts counts the starts of the service in this run, for
	// EventServiceStarted.
	Starts int64
	// Count is the number of services, for EventStarting.
	Count int
	// Services lists the services that did not stop in time, sorted, for
	// EventUnstopped.
	Services []string
	// Backoff is the pause of restarts, for EventBackoff.
	Backoff time.Duration
	// StopTimeout is Config.StopTimeout, for EventStopTimeout and
	// EventUnstopped.
	StopTimeout time.Duration
}

// Messages of the records logged for each event. They are for people:
// subscribe to Config.OnEvent to act on events.
const (
	msgStarting        = "supervisor: starting"
	msgServiceStart    = "supervisor: service started"
	msgServiceFailed   = "supervisor: service terminated"
	msgServicePanic    = "supervisor: service panicked"
	msgServiceFinished = "supervisor: service finished"
	msgBackoff         = "supervisor: entering backoff"
	msgResume          = "supervisor: resuming after backoff"
	msgStopTimeout     = "supervisor: service did not stop in time"
	msgUnstopped       = "supervisor: services did not stop in time"
	msgStopped         = "supervisor: stopped"
)

// emit logs ev on Config.Logger and then gives it to Config.OnEvent.
func (s *Supervisor) emit(ctx context.Context, ev Event) {
	ev.Supervisor = s.cfg.Name
	logEvent(ctx, s.cfg.Logger, ev)
	if s.cfg.OnEvent != nil {
		s.cfg.OnEvent(ev)
	}
}

// logEvent writes ev as one structured record, with typed attributes.
func logEvent(ctx context.Context, log *slog.Logger, ev Event) {
	name := slog.String("supervisor", ev.Supervisor)
	service := slog.String("service", ev.Service)
	switch ev.Kind {
	case EventStarting:
		log.LogAttrs(ctx, slog.LevelInfo, msgStarting, name, slog.Int("services", ev.Count))
	case EventServiceStarted:
		log.LogAttrs(ctx, slog.LevelDebug, msgServiceStart, name, service, slog.Int64("starts", ev.Starts))
	case EventServiceFailed:
		log.LogAttrs(ctx, slog.LevelWarn, msgServiceFailed, name, service,
			slog.String("error", fmt.Sprint(ev.Err)),
			slog.Float64("failures", ev.Failures),
			slog.Float64("threshold", ev.Threshold),
			slog.Bool("restarting", ev.Restarting))
	case EventServicePanicked:
		log.LogAttrs(ctx, slog.LevelError, msgServicePanic, name, service,
			slog.String("panic", ev.Panic),
			slog.String("stack", ev.Stack),
			slog.Float64("failures", ev.Failures),
			slog.Float64("threshold", ev.Threshold),
			slog.Bool("restarting", ev.Restarting))
	case EventServiceFinished:
		log.LogAttrs(ctx, slog.LevelInfo, msgServiceFinished, name, service, slog.String("error", fmt.Sprint(ev.Err)))
	case EventBackoff:
		log.LogAttrs(ctx, slog.LevelWarn, msgBackoff, name, slog.Duration("backoff", ev.Backoff))
	case EventResumed:
		log.LogAttrs(ctx, slog.LevelInfo, msgResume, name)
	case EventStopTimeout:
		log.LogAttrs(ctx, slog.LevelError, msgStopTimeout, name, service, slog.Duration("stop_timeout", ev.StopTimeout))
	case EventUnstopped:
		log.LogAttrs(ctx, slog.LevelError, msgUnstopped, name,
			slog.Int("count", len(ev.Services)),
			slog.String("services", strings.Join(ev.Services, ",")),
			slog.Duration("stop_timeout", ev.StopTimeout))
	case EventStopped:
		log.LogAttrs(ctx, slog.LevelInfo, msgStopped, name, slog.String("reason", fmt.Sprint(ev.Err)))
	}
}

// eventHook turns suture's events for run r into [Event]s and tracks the
// backoff state used by readiness. suture calls it from its control loop
// (and, for stop timeouts, from a helper goroutine).
func (s *Supervisor) eventHook(r *run) suture.EventHook {
	return func(ev suture.Event) {
		ctx := context.Background()
		switch e := ev.(type) {
		case suture.EventServicePanic:
			s.emit(ctx, Event{
				Kind: EventServicePanicked, Service: e.ServiceName,
				Panic: e.PanicMsg, Stack: e.Stacktrace,
				Failures: e.CurrentFailures, Threshold: e.FailureThreshold, Restarting: e.Restarting,
			})
		case suture.EventServiceTerminate:
			s.emit(ctx, Event{
				Kind: EventServiceFailed, Service: e.ServiceName, Err: asError(e.Err),
				Failures: e.CurrentFailures, Threshold: e.FailureThreshold, Restarting: e.Restarting,
			})
		case suture.EventBackoff:
			r.paused.Store(true)
			s.emit(ctx, Event{Kind: EventBackoff, Backoff: s.cfg.FailureBackoff})
		case suture.EventResume:
			r.paused.Store(false)
			s.emit(ctx, Event{Kind: EventResumed})
		case suture.EventStopTimeout:
			s.emit(ctx, Event{Kind: EventStopTimeout, Service: e.ServiceName, StopTimeout: s.cfg.StopTimeout})
		}
		// suture v4 has no other event types.
	}
}

// asError returns suture's error value as an error.
func asError(v any) error {
	switch e := v.(type) {
	case nil:
		return nil
	case error:
		return e
	default:
		return fmt.Errorf("%v", e)
	}
}
