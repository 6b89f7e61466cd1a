// Package demo is the dispatcher of the example server and of
// `seedcore serve`: a few task types to try the service with.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// ErrAlwaysFails is the error of the "fail" task type.
var ErrAlwaysFails = errors.New("demo: this task always fails")

// ErrFlaky is the error of the "flaky" task type's failing attempts.
var ErrFlaky = errors.New("demo: this attempt fails")

// FlakyParams are the params of the "flaky" task type.
type FlakyParams struct {
	// Failures is how many attempts fail before one completes. Default 1.
	Failures int `json:"failures"`
}

// SleepParams are the params of the "sleep" task type.
type SleepParams struct {
	// MS is how long to sleep, in milliseconds. Default 1000.
	MS int `json:"ms"`
}

// Dispatcher returns a [taskqueue.Mux] that handles
//
//	test   completes at once with {"ok": true, "description": ...}
//	sleep  waits params.ms milliseconds (default 1000), then completes
//	fail   fails with ErrAlwaysFails, so it retries until max_attempts
//	flaky  fails its first params.failures attempts (default 1) with
//	       ErrFlaky, then completes: with max_attempts 1 it fails, and an
//	       operator's retry completes it
//
// and fails any other type permanently.
func Dispatcher() *taskqueue.Mux {
	mux := taskqueue.NewMux()
	// The registrations are fixed and valid: Handle cannot fail here.
	_ = taskqueue.HandleFunc(mux, "test", func(_ context.Context, t *store.Task, _ json.RawMessage) (map[string]any, error) {
		return map[string]any{"ok": true, "description": t.Description}, nil
	})
	_ = taskqueue.HandleFunc(mux, "sleep", func(ctx context.Context, _ *store.Task, p SleepParams) (map[string]int, error) {
		if p.MS <= 0 {
			p.MS = 1000
		}
		select {
		case <-time.After(time.Duration(p.MS) * time.Millisecond):
			return map[string]int{"slept_ms": p.MS}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	_ = mux.Handle("fail", taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
		return nil, ErrAlwaysFails
	}))
	_ = taskqueue.HandleFunc(mux, "flaky", func(_ context.Context, t *store.Task, p FlakyParams) (map[string]int, error) {
		if p.Failures <= 0 {
			p.Failures = 1
		}
		if t.Attempts <= p.Failures {
			return nil, ErrFlaky
		}
		return map[string]int{"attempt": t.Attempts}, nil
	})
	return mux
}
