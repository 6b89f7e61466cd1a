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
//
// and fails any other type permanently.
func Dispatcher() *taskqueue.Mux {
	mux := taskqueue.NewMux()
	// The three registrations are fixed and valid: Handle cannot fail here.
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
	return mux
}
