package metrics

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// Dispatcher wraps d so that every failed attempt is counted in
// seedcore_dispatcher_errors_total by its class: panic (d panicked; the
// panic goes on to the pool, which recovers it), timeout (the attempt ran
// past its timeout), cancelled (the task was cancelled, or d returned
// taskqueue.Cancelled), permanent (the error wraps taskqueue.ErrPermanent)
// or retry (any other error). Attempts cut short by a lost lease are
// counted by [Metrics.Finished] instead, and those cut short by a stopping
// pool are not errors. Wrap a dispatcher once: each wrapper counts.
//
// When d is a taskqueue.TypedDispatcher (a taskqueue.Mux is), the types it
// handles are labelled by name from then on (see [Options.Types]), and the
// wrapper is a TypedDispatcher too. A dispatcher marked with
// taskqueue.AnyType stays marked (the wrapper unwraps to it).
func (m *Metrics) Dispatcher(d taskqueue.Dispatcher) taskqueue.Dispatcher {
	m.queues.handledBy(d)
	if td, ok := d.(taskqueue.TypedDispatcher); ok {
		m.addKnown(td.Handles)
		return &typedDispatcher{dispatcher{next: d, m: m}, td}
	}
	return &dispatcher{next: d, m: m}
}

type dispatcher struct {
	next taskqueue.Dispatcher
	m    *Metrics
}

// typedDispatcher is the wrapper of a taskqueue.TypedDispatcher.
type typedDispatcher struct {
	dispatcher
	td taskqueue.TypedDispatcher
}

// Handles implements taskqueue.TypedDispatcher.
func (d *typedDispatcher) Handles(taskType string) bool { return d.td.Handles(taskType) }

// Types implements taskqueue.TypedDispatcher.
func (d *typedDispatcher) Types() []string { return d.td.Types() }

// Unwrap returns the wrapped dispatcher, so a pool sees through the
// wrapper what the dispatcher claims (taskqueue.ClaimTypes).
func (d *dispatcher) Unwrap() taskqueue.Dispatcher { return d.next }

// Dispatch implements taskqueue.Dispatcher.
func (d *dispatcher) Dispatch(ctx context.Context, t *store.Task) (_ json.RawMessage, err error) {
	panicked := true
	defer func() {
		if panicked {
			d.m.dispatchErrors.WithLabelValues(ClassPanic).Inc()
		}
	}()
	res, err := d.next.Dispatch(ctx, t)
	panicked = false
	if err != nil {
		if class := errorClass(ctx, err); class != "" {
			d.m.dispatchErrors.WithLabelValues(class).Inc()
		}
	}
	return res, err
}

// errorClass classifies a dispatcher error the way the pool will treat
// it; "" for an attempt that is not counted here.
func errorClass(ctx context.Context, err error) string {
	var cause error
	if ctx.Err() != nil {
		cause = context.Cause(ctx)
	}
	var snooze *taskqueue.SnoozeError
	switch {
	case errors.Is(cause, taskqueue.ErrLeaseLost), errors.Is(cause, taskqueue.ErrStopping):
		return ""
	case cause == nil && errors.As(err, &snooze):
		return "" // put off, not failed: counted as snoozed when it is written
	case errors.Is(cause, taskqueue.ErrCancelled), errors.Is(err, taskqueue.ErrCancelled):
		return ClassCancelled
	case errors.Is(cause, taskqueue.ErrTimeout), errors.Is(err, taskqueue.ErrTimeout):
		return ClassTimeout
	case errors.Is(err, taskqueue.ErrPanic):
		return ClassPanic
	case errors.Is(err, taskqueue.ErrPermanent):
		return ClassPermanent
	}
	return ClassRetry
}
