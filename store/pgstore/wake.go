package pgstore

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/lib/pq"
)

// waker sends the notifications of durable writes after they commit, in a
// statement of its own (see queries.notify). Calls that arrive while a send
// is under way are folded into one more send after it, so a burst of
// inserts costs a few notifications, and every write is followed by a
// notification sent after its commit.
type waker struct {
	s *Store

	mu      sync.Mutex
	sending bool
	ready   bool // an "r" is owed
	changed bool // a "c" is owed
}

// wakeTimeout bounds one notification statement.
const wakeTimeout = 5 * time.Second

// wakeLinger is how long a background send waits to gather more.
const wakeLinger = 5 * time.Millisecond

// wake owes the given notifications and sends them, unless a send is
// under way, whose sender then sends them after its current statement.
// With background set the sending happens in a goroutine of its own (it
// ends when nothing more is owed), so the caller does not wait for it.
func (w *waker) wake(ready, changed, background bool) {
	w.mu.Lock()
	w.ready = w.ready || ready
	w.changed = w.changed || changed && w.s.statusNotify
	if w.sending || (!w.ready && !w.changed) {
		w.mu.Unlock()
		return
	}
	w.sending = true
	w.mu.Unlock()
	if background {
		go func() {
			// Linger so that the notifications of many claims and outcomes
			// in a burst go out together: they are hints for watchers of
			// statuses and for retries, not on anyone's critical path.
			time.Sleep(wakeLinger)
			w.loop()
		}()
	} else {
		w.loop()
	}
}

// loop sends what is owed until nothing is.
func (w *waker) loop() {
	w.mu.Lock()
	for w.ready || w.changed {
		payloads := make([]string, 0, 2)
		if w.ready {
			payloads = append(payloads, "r")
		}
		if w.changed {
			payloads = append(payloads, "c")
		}
		w.ready, w.changed = false, false
		w.mu.Unlock()
		w.send(payloads)
		w.mu.Lock()
	}
	w.sending = false
	w.mu.Unlock()
}

func (w *waker) send(payloads []string) {
	ctx, cancel := context.WithTimeout(context.Background(), wakeTimeout)
	defer cancel()
	if _, err := w.s.db.ExecContext(ctx, w.s.q.notify, pq.StringArray(payloads)); err != nil {
		// A lost hint: listeners fall back to polling.
		w.s.log.Debug("notification not sent", slog.Any("payloads", payloads), slog.String("error", err.Error()))
	}
}
