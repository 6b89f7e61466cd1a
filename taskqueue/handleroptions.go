package taskqueue

import (
	"fmt"

	"github.com/seedcore/seedcore/store"
)

// HandlerConfig is what a [Mux] knows about the handler of one task type
// besides its [Dispatcher]: the settings its [HandlerOption]s chose.
// [Mux.Config] returns it.
type HandlerConfig struct {
	// Queue is the queue tasks of this type are enqueued to when the
	// task names none ([store.DefaultQueue] unless [WithQueue] set it).
	Queue string
}

// HandlerOption sets one field of a handler's [HandlerConfig] when it is
// registered with [Mux.Handle] or [HandleFunc]. An option that is given a
// bad value makes the registration fail with an error wrapping
// [ErrInvalidConfig].
type HandlerOption interface {
	apply(*HandlerConfig) error
}

// handlerOption adapts a function to HandlerOption.
type handlerOption func(*HandlerConfig) error

func (f handlerOption) apply(c *HandlerConfig) error { return f(c) }

// WithQueue makes name the default queue of the handler's task type: a
// task of that type enqueued without a queue goes to name. name must be a
// queue name ([store.ValidQueueName]).
func WithQueue(name string) HandlerOption {
	return handlerOption(func(c *HandlerConfig) error {
		if !store.ValidQueueName(name) {
			return fmt.Errorf("%w: WithQueue: %q is not a queue name", ErrInvalidConfig, name)
		}
		c.Queue = name
		return nil
	})
}

// newHandlerConfig returns the configuration opts make of the defaults.
func newHandlerConfig(opts []HandlerOption) (HandlerConfig, error) {
	c := HandlerConfig{Queue: store.DefaultQueue}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.apply(&c); err != nil {
			return HandlerConfig{}, err
		}
	}
	return c, nil
}

// Config returns the configuration of taskType's handler, and false when
// taskType has none.
func (m *Mux) Config(taskType string) (HandlerConfig, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	h, ok := m.handlers[taskType]
	return h.cfg, ok
}

// HandlerConfigOf returns the configuration of taskType's handler in d:
// d, or a dispatcher it wraps (seen through an Unwrap() Dispatcher
// method, as the metrics package's wrapper has), must have a Config
// method like [Mux.Config]. ok is false when none has, or taskType has no
// handler. A seedcore App uses it to give a task without a queue its
// handler's default queue ([WithQueue]).
func HandlerConfigOf(d Dispatcher, taskType string) (HandlerConfig, bool) {
	for d != nil {
		switch v := d.(type) {
		case interface {
			Config(string) (HandlerConfig, bool)
		}:
			return v.Config(taskType)
		case interface{ Unwrap() Dispatcher }:
			d = v.Unwrap()
		default:
			return HandlerConfig{}, false
		}
	}
	return HandlerConfig{}, false
}
