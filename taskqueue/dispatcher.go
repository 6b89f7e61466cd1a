package taskqueue

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/seedcore/seedcore/store"
)

// Dispatcher runs one attempt of a task and returns its JSON result or an
// error. The error steers what happens next: nil completes the task, an
// error wrapped by [Permanent] fails it at once, [RetryAfter] reschedules
// it after the given delay, [Cancelled] cancels it, and any other error
// retries it with the pool's [RetryPolicy] until MaxAttempts is spent.
//
// ctx ends when the task times out, is cancelled, loses its lease or the
// pool stops; context.Cause(ctx) says which ([ErrTimeout], [ErrCancelled],
// [ErrLeaseLost], [ErrStopping]). The task must be treated as read-only.
type Dispatcher interface {
	Dispatch(ctx context.Context, t *store.Task) (json.RawMessage, error)
}

// TypedDispatcher is a [Dispatcher] that declares the task types it runs
// ([Mux] is one; [Typed] declares them for any dispatcher). A [Pool]
// claims only tasks of these types, so a process never takes a task it
// has no handler for: such a task stays queued for a process that has
// one. Code that labels or counts by task type (the metrics package)
// names only these types, so a client's type never becomes a label.
//
// A pool refuses a dispatcher that declares no types unless it is marked
// with [AnyType].
type TypedDispatcher interface {
	Dispatcher
	// Handles reports whether the dispatcher runs tasks of type taskType.
	// It must be cheap and safe for concurrent use.
	Handles(taskType string) bool
	// Types returns the task types the dispatcher runs, sorted. A pool
	// calls it before each claim, so it must be cheap, and types added
	// later are claimed from the next claim on.
	Types() []string
}

// Typed declares that d runs tasks of the given types: the result is a
// [TypedDispatcher] that passes every task to d. Each type must be a task
// type name ([store.ValidName]); the pool refuses the dispatcher
// otherwise.
func Typed(d Dispatcher, types ...string) TypedDispatcher {
	ts := slices.Clone(types)
	slices.Sort(ts)
	return &typedDispatcher{Dispatcher: d, types: slices.Compact(ts)}
}

type typedDispatcher struct {
	Dispatcher
	types []string
}

func (d *typedDispatcher) Handles(taskType string) bool {
	_, ok := slices.BinarySearch(d.types, taskType)
	return ok
}

func (d *typedDispatcher) Types() []string { return slices.Clone(d.types) }

// AnyType marks d as a dispatcher that runs tasks of every type: a [Pool]
// serving it claims any ready task. Use it for a dispatcher that really
// runs whatever it is given (a remote executor that knows every type, a
// test double). A dispatcher that fails the types it does not know must
// declare its types instead (a [Mux], [Typed]), or it fails other
// processes' tasks when processes with different handlers share a
// backend.
func AnyType(d Dispatcher) Dispatcher { return anyTypeDispatcher{d} }

type anyTypeDispatcher struct{ Dispatcher }

// Unwrap returns the marked dispatcher.
func (d anyTypeDispatcher) Unwrap() Dispatcher { return d.Dispatcher }

// anyType is the mark AnyType puts on a dispatcher.
func (anyTypeDispatcher) anyType() {}

// ClaimTypes returns the task types a pool serving d claims: the types d
// declares as a [TypedDispatcher], or any = true for a dispatcher marked
// with [AnyType]. A wrapper (such as the metrics package's) is seen
// through when it has an Unwrap() Dispatcher method. ok is false when d
// declares neither.
func ClaimTypes(d Dispatcher) (types []string, any bool, ok bool) {
	for d != nil {
		switch v := d.(type) {
		case interface{ anyType() }:
			return nil, true, true
		case TypedDispatcher:
			return v.Types(), false, true
		case interface{ Unwrap() Dispatcher }:
			d = v.Unwrap()
		default:
			return nil, false, false
		}
	}
	return nil, false, false
}

// DispatcherFunc adapts a function to [Dispatcher].
type DispatcherFunc func(ctx context.Context, t *store.Task) (json.RawMessage, error)

// Dispatch calls f(ctx, t).
func (f DispatcherFunc) Dispatch(ctx context.Context, t *store.Task) (json.RawMessage, error) {
	return f(ctx, t)
}

// Mux is a [Dispatcher] that routes tasks by type, like [net/http.ServeMux]
// routes requests by path. It is a [TypedDispatcher]: a pool serving it
// claims only the types it has handlers for. A task whose type has no
// handler (one dispatched directly, not claimed by such a pool) fails
// permanently with [ErrUnknownType]. The zero Mux is empty and ready to use;
// it is safe for concurrent use.
type Mux struct {
	mu       sync.RWMutex
	handlers map[string]muxHandler
	types    []string // the keys of handlers, sorted
}

// muxHandler is one registered handler and its configuration.
type muxHandler struct {
	d   Dispatcher
	cfg HandlerConfig
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{} }

// Handle registers d for tasks of type taskType, configured by opts (see
// [HandlerOption]). It returns an error wrapping [ErrInvalidConfig] when
// taskType is not a task type name ([store.ValidName]), d is nil, an
// option is given a bad value, or taskType already has a handler.
func (m *Mux) Handle(taskType string, d Dispatcher, opts ...HandlerOption) error {
	if taskType == "" || d == nil {
		return fmt.Errorf("%w: mux handler needs a task type and a dispatcher", ErrInvalidConfig)
	}
	if !store.ValidName(taskType) {
		return fmt.Errorf("%w: %q is not a task type name", ErrInvalidConfig, taskType)
	}
	cfg, err := newHandlerConfig(opts)
	if err != nil {
		return fmt.Errorf("handler of %q: %w", taskType, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.handlers[taskType]; dup {
		return fmt.Errorf("%w: task type %q already has a handler", ErrInvalidConfig, taskType)
	}
	if m.handlers == nil {
		m.handlers = make(map[string]muxHandler)
	}
	m.handlers[taskType] = muxHandler{d: d, cfg: cfg}
	i, _ := slices.BinarySearch(m.types, taskType)
	m.types = slices.Insert(m.types, i, taskType)
	return nil
}

// Handles reports whether taskType has a handler; it implements
// [TypedDispatcher].
func (m *Mux) Handles(taskType string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, ok := m.handlers[taskType]
	return ok
}

var _ TypedDispatcher = (*Mux)(nil)

// Types returns the registered task types in sorted order; it implements
// [TypedDispatcher]. A pool serving m claims only tasks of these types.
func (m *Mux) Types() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Clone(m.types)
}

// Dispatch implements [Dispatcher] by calling the handler of t.Type.
func (m *Mux) Dispatch(ctx context.Context, t *store.Task) (json.RawMessage, error) {
	m.mu.RLock()
	d := m.handlers[t.Type].d
	m.mu.RUnlock()
	if d == nil {
		return nil, Permanent(fmt.Errorf("%w: %q", ErrUnknownType, t.Type))
	}
	return d.Dispatch(ctx, t)
}

// HandleFunc registers on m a typed handler for tasks of type taskType: the
// task's params are decoded into a P before fn is called, and fn's result is
// encoded as the task's JSON result. Params that do not decode into P fail
// the task permanently with [ErrDecodeParams]; so does a result that cannot
// be encoded. opts configure the handler as for [Mux.Handle].
func HandleFunc[P, R any](m *Mux, taskType string, fn func(ctx context.Context, t *store.Task, params P) (R, error), opts ...HandlerOption) error {
	if fn == nil {
		return fmt.Errorf("%w: nil handler for %q", ErrInvalidConfig, taskType)
	}
	return m.Handle(taskType, DispatcherFunc(func(ctx context.Context, t *store.Task) (json.RawMessage, error) {
		var p P
		if len(t.Params) > 0 {
			if err := json.Unmarshal(t.Params, &p); err != nil {
				return nil, Permanent(fmt.Errorf("%w for type %q: %w", ErrDecodeParams, t.Type, err))
			}
		}
		r, err := fn(ctx, t, p)
		if err != nil {
			return nil, err
		}
		out, err := json.Marshal(r)
		if err != nil {
			return nil, Permanent(fmt.Errorf("taskqueue: encode result of %q: %w", t.Type, err))
		}
		return out, nil
	}), opts...)
}
