package pgstore

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/lib/pq"
)

// waker sends one notification payload after durable writes commit, in a
// statement of its own (see queries.notify). Calls that arrive while a send
// is under way are folded into one more send after it, so a burst of
// writes costs a few notifications, and every write is followed by a
// notification sent after its commit.
type waker struct {
	s       *Store
	payload string
	// linger is how long a background send waits to gather more calls.
	linger time.Duration

	mu      sync.Mutex
	sending bool
	owed    bool
}

// wakeTimeout bounds one notification statement.
const wakeTimeout = 5 * time.Second

// statusLinger gathers the "c" notifications of claims and outcomes into
// at most about ten a second: they are hints for watchers of statuses, off
// every task's critical path, and each NOTIFY costs the whole cluster (with
// one per claim and outcome, the p90 of pickup latency at 200 tasks/s was
// 32 ms; with this linger, 4 ms).
const statusLinger = 100 * time.Millisecond

// wake owes the notification and sends it, unless a send is under way,
// whose sender then sends it again after its current statement. The
// sending happens in a goroutine of its own (it ends when nothing more is
// owed), so the caller does not wait for it.
func (w *waker) wake() {
	w.mu.Lock()
	w.owed = true
	if w.sending {
		w.mu.Unlock()
		return
	}
	w.sending = true
	w.mu.Unlock()
	go func() {
		if w.linger > 0 {
			time.Sleep(w.linger)
		}
		w.loop()
	}()
}

// loop sends until nothing is owed.
func (w *waker) loop() {
	w.mu.Lock()
	for w.owed {
		w.owed = false
		w.mu.Unlock()
		w.send()
		w.mu.Lock()
	}
	w.sending = false
	w.mu.Unlock()
}

func (w *waker) send() {
	ctx, cancel := context.WithTimeout(context.Background(), wakeTimeout)
	defer cancel()
	if _, err := w.s.db.ExecContext(ctx, w.s.q.notify, pq.StringArray{w.payload}); err != nil {
		// A lost hint: listeners fall back to polling.
		w.s.log.Debug("notification not sent", slog.String("payload", w.payload), slog.String("error", err.Error()))
	}
}
