package taskqueue

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
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
// ([Mux] is one). It is optional: code that labels or counts by task type
// (the metrics package) finds it by type assertion and names only these
// types, so a client's type never becomes a label.
type TypedDispatcher interface {
	Dispatcher
	// Handles reports whether the dispatcher runs tasks of type taskType.
	// It must be cheap and safe for concurrent use.
	Handles(taskType string) bool
}

// DispatcherFunc adapts a function to [Dispatcher].
type DispatcherFunc func(ctx context.Context, t *store.Task) (json.RawMessage, error)

// Dispatch calls f(ctx, t).
func (f DispatcherFunc) Dispatch(ctx context.Context, t *store.Task) (json.RawMessage, error) {
	return f(ctx, t)
}

// Mux is a [Dispatcher] that routes tasks by type, like [net/http.ServeMux]
// routes requests by path. A task whose type has no handler fails
// permanently with [ErrUnknownType]. The zero Mux is empty and ready to use;
// it is safe for concurrent use.
type Mux struct {
	mu       sync.RWMutex
	handlers map[string]Dispatcher
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{} }

// Handle registers d for tasks of type taskType. It returns an error wrapping
// [ErrInvalidConfig] when taskType is empty, d is nil, or taskType already
// has a handler.
func (m *Mux) Handle(taskType string, d Dispatcher) error {
	if taskType == "" || d == nil {
		return fmt.Errorf("%w: mux handler needs a task type and a dispatcher", ErrInvalidConfig)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.handlers[taskType]; dup {
		return fmt.Errorf("%w: task type %q already has a handler", ErrInvalidConfig, taskType)
	}
	if m.handlers == nil {
		m.handlers = make(map[string]Dispatcher)
	}
	m.handlers[taskType] = d
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

// Types returns the registered task types in sorted order.
func (m *Mux) Types() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]string, 0, len(m.handlers))
	for t := range m.handlers {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Dispatch implements [Dispatcher] by calling the handler of t.Type.
func (m *Mux) Dispatch(ctx context.Context, t *store.Task) (json.RawMessage, error) {
	m.mu.RLock()
	d := m.handlers[t.Type]
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
// be encoded.
func HandleFunc[P, R any](m *Mux, taskType string, fn func(ctx context.Context, t *store.Task, params P) (R, error)) error {
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
	}))
}
