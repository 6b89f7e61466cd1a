package taskqueue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/seedcore/seedcore/store"
)

// ErrNoProgress is returned by [SetProgress] when ctx is not the context
// of an attempt run by a [Pool] whose backend writes progress
// ([store.ProgressHeartbeater]; store/memstore and store/pgstore do).
var ErrNoProgress = errors.New("taskqueue: no attempt to record progress for")

// progressKey is the context key of an attempt's progressSlot.
type progressKey struct{}

// progressSlot holds the progress an attempt recorded and no heartbeat
// has carried yet.
type progressSlot struct {
	pending atomic.Pointer[json.RawMessage]
}

// SetProgress records v, the progress of the running attempt whose
// context is ctx (a count, a fraction, a small object of metadata: any
// value encoding/json marshals to at most [store.MaxProgressBytes] under
// the input contract of [store.CheckJSON]). It costs no round trip: the
// latest value is written with the pool's next periodic heartbeat, which
// includes every attempt with progress to write, and from then on it is
// the task's Progress, shown by the task API, the dashboard and the
// task's event stream. Values recorded between two heartbeats replace one
// another; a value recorded after the attempt's last heartbeat is not
// written (the outcome is). A task keeps its last written progress when
// it finishes, until a later attempt writes its own.
//
// A value that does not marshal or breaks the contract is an error (one
// wrapping [store.ErrInvalidTask] for the contract) and the last good
// value stays; so is a ctx that is not an attempt's ([ErrNoProgress]).
func SetProgress(ctx context.Context, v any) error {
	slot, _ := ctx.Value(progressKey{}).(*progressSlot)
	if slot == nil {
		return ErrNoProgress
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("taskqueue: progress: %w", err)
	}
	if err := store.CheckProgress(b); err != nil {
		return fmt.Errorf("taskqueue: %w", err)
	}
	raw := json.RawMessage(b)
	slot.pending.Store(&raw)
	return nil
}
