package taskqueue

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/seedcore/seedcore/store"
)

// finisher writes outcomes in batches. It takes whatever outcomes are
// waiting when the previous write returns (up to max), so under load many
// outcomes share one statement and at low load none waits for a timer. A
// failed write is retried with backoff; an outcome is never dropped while
// the finisher runs.
type finisher struct {
	q      Queue
	log    *slog.Logger
	max    int
	in     chan store.Outcome
	stop   chan struct{}                  // closed to ask run to flush what is queued and return
	done   chan struct{}                  // closed when run has returned
	onDone func([]store.Outcome, []error) // after each write, with the write's results
	// writes is held during each Finish call; the pool's heartbeat holds
	// it too (see Pool.writes).
	writes *sync.Mutex
}

func newFinisher(q Queue, log *slog.Logger, max int, writes *sync.Mutex, onDone func([]store.Outcome, []error)) *finisher {
	return &finisher{
		q: q, log: log, max: max, writes: writes,
		in:     make(chan store.Outcome, max),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		onDone: onDone,
	}
}

// submit queues o. It blocks while the queue is full (backpressure: the
// task's worker slot stays taken) and reports false once the finisher has
// stopped, in which case the outcome is not written and the task's lease
// will expire and be rescued.
func (f *finisher) submit(o store.Outcome) bool {
	select {
	case f.in <- o:
		return true
	case <-f.done:
		return false
	}
}

// run writes batches until stop is closed, then writes what is still
// queued, giving up when flushCtx ends.
func (f *finisher) run(flushCtx context.Context) {
	defer close(f.done)
	batch := make([]store.Outcome, 0, f.max)
	for {
		select {
		case o := <-f.in:
			batch = append(batch[:0], o)
			batch = f.fill(batch)
			f.write(flushCtx, batch)
		case <-f.stop:
			for {
				batch = f.fill(batch[:0])
				if len(batch) == 0 {
					return
				}
				f.write(flushCtx, batch)
			}
		}
	}
}

func (f *finisher) fill(batch []store.Outcome) []store.Outcome {
	for len(batch) < f.max {
		select {
		case o := <-f.in:
			batch = append(batch, o)
		default:
			return batch
		}
	}
	return batch
}

func (f *finisher) write(ctx context.Context, batch []store.Outcome) {
	backoff := 10 * time.Millisecond
	for {
		f.writes.Lock()
		results, err := f.q.Finish(ctx, batch)
		f.writes.Unlock()
		if err == nil {
			if f.onDone != nil {
				f.onDone(batch, results)
			}
			return
		}
		if ctx.Err() != nil {
			f.log.Error("outcomes not written before stop deadline; their leases will expire and the tasks will run again",
				slog.Int("outcomes", len(batch)), slog.String("error", err.Error()))
			if f.onDone != nil {
				f.onDone(batch, nil)
			}
			return
		}
		f.log.Warn("writing outcomes failed; retrying",
			slog.Int("outcomes", len(batch)), slog.Duration("backoff", backoff), slog.String("error", err.Error()))
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		if backoff < time.Second {
			backoff *= 2
		}
	}
}
