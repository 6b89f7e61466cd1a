package taskqueue

import (
	"context"
	"time"

	"github.com/seedcore/seedcore/store"
)

// Tracer connects each attempt of a task to the trace of the code that
// enqueued it. The core defines it so that it depends on no tracing
// library; the otelseed module implements it with OpenTelemetry. A
// seedcore App given one (Config.Tracer) injects the enqueuing context
// into every new task's [store.NewTask.TraceContext], extracts it from the
// headers of API requests that carry none in their context, and gives the
// pool the attempt hook.
type Tracer interface {
	TracePropagator
	AttemptTracer
}

// TracePropagator moves a trace context between a [context.Context] and a
// carrier: a task's TraceContext or a request's headers. Its methods are
// called concurrently.
type TracePropagator interface {
	// Inject writes the trace context of ctx into carrier, under the keys
	// Fields names; it writes nothing when ctx carries none.
	Inject(ctx context.Context, carrier map[string]string)
	// Extract returns ctx carrying the trace context held in carrier, or
	// ctx itself when carrier holds none.
	Extract(ctx context.Context, carrier map[string]string) context.Context
	// Fields returns the lower-case carrier keys Inject writes and Extract
	// reads; an HTTP server reads the request headers of these names.
	Fields() []string
}

// AttemptTracer is told of every attempt a [Pool] runs. Its methods are
// called from the pool's workers, concurrently, and must not block.
type AttemptTracer interface {
	// StartAttempt is called when an attempt of t starts, before the
	// dispatcher runs. It returns the context the dispatcher runs under
	// (derived from ctx: one carrying a span of the attempt, say) and a
	// function the pool calls exactly once, when it has decided the
	// attempt's outcome.
	StartAttempt(ctx context.Context, t *store.Task) (context.Context, func(AttemptEnd))
}

// AttemptEnd is how an attempt ended, as given to the function
// [AttemptTracer.StartAttempt] returned. It holds no text of the task's.
type AttemptEnd struct {
	// Outcome is what the pool hands to the backend: complete, retry,
	// fail, cancel, release (the attempt is given back uncounted) or
	// snooze.
	Outcome store.OutcomeKind
	// Ran is how long the dispatcher ran.
	Ran time.Duration
	// LeaseLost is true when the pool lost the task's lease during the
	// attempt: nothing is written, and the task runs again elsewhere.
	LeaseLost bool
	// Panicked is true when the dispatcher panicked.
	Panicked bool
}
