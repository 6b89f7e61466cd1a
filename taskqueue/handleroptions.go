package taskqueue

import (
	"fmt"
	"time"

	"github.com/seedcore/seedcore/store"
)

// HandlerConfig is what a [Mux] knows about the handler of one task type
// besides its [Dispatcher]: the settings its [HandlerOption]s chose.
// [Mux.Config] returns it.
type HandlerConfig struct {
	// Queue is the queue tasks of this type are enqueued to when the
	// task names none ([store.DefaultQueue] unless [WithQueue] set it).
	Queue string
	// Timeout bounds each attempt of this type instead of the pool's
	// PoolConfig.Timeout ([WithTimeout]); zero: the pool's, negative: none.
	Timeout time.Duration
	// MaxAttempts is the MaxAttempts a task of this type is enqueued with
	// when it asks for none ([WithMaxAttempts]); zero: the store's
	// default, [store.DefaultMaxAttempts].
	MaxAttempts int
	// RetryPolicy decides the delay before the next attempt of a failed
	// task of this type instead of the pool's PoolConfig.RetryPolicy
	// ([WithRetry]); nil: the pool's.
	RetryPolicy RetryPolicy
	// Priority is the priority a task of this type is enqueued with when
	// it asks for none (priority 0 without keep_priority) instead of the
	// one the analysis of its description finds ([WithPriority]); zero:
	// the analysis decides.
	Priority int
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

// WithTimeout bounds each attempt of the handler's task type by d
// instead of the pool's PoolConfig.Timeout; a negative d means no
// timeout. d must not be zero.
func WithTimeout(d time.Duration) HandlerOption {
	return handlerOption(func(c *HandlerConfig) error {
		if d == 0 {
			return fmt.Errorf("%w: WithTimeout: the timeout must not be zero (negative: none)", ErrInvalidConfig)
		}
		c.Timeout = d
		return nil
	})
}

// WithMaxAttempts gives a task of the handler's type that is enqueued
// without max_attempts n attempts (1 to store.MaxMaxAttempts) instead of
// store.DefaultMaxAttempts. A task that names its own max_attempts keeps
// it.
func WithMaxAttempts(n int) HandlerOption {
	return handlerOption(func(c *HandlerConfig) error {
		if n < 1 || n > store.MaxMaxAttempts {
			return fmt.Errorf("%w: WithMaxAttempts: %d is outside 1..%d", ErrInvalidConfig, n, store.MaxMaxAttempts)
		}
		c.MaxAttempts = n
		return nil
	})
}

// WithRetry makes policy decide the delay before the next attempt of a
// failed task of the handler's type, instead of the pool's
// PoolConfig.RetryPolicy. policy must not be nil.
func WithRetry(policy RetryPolicy) HandlerOption {
	return handlerOption(func(c *HandlerConfig) error {
		if policy == nil {
			return fmt.Errorf("%w: WithRetry: nil policy", ErrInvalidConfig)
		}
		c.RetryPolicy = policy
		return nil
	})
}

// WithPriority gives a task of the handler's type that is enqueued
// without a priority (0, without keep_priority) priority p (1 to
// store.MaxPriority) instead of the one the analysis of its description
// finds. A task that names a priority keeps it.
func WithPriority(p int) HandlerOption {
	return handlerOption(func(c *HandlerConfig) error {
		if p < 1 || p > store.MaxPriority {
			return fmt.Errorf("%w: WithPriority: %d is outside 1..%d", ErrInvalidConfig, p, store.MaxPriority)
		}
		c.Priority = p
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
// handler. A seedcore App uses it to give a task without a queue, max
// attempts or priority its handler's ([WithQueue], [WithMaxAttempts],
// [WithPriority]); a [Pool] uses it for each attempt's timeout and retry
// delay ([WithTimeout], [WithRetry]).
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
