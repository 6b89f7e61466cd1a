package pgstore

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"
)

// waker sends one notification after durable writes commit, in a
// statement of its own (see queries.notify). Calls that arrive while a
// send is under way are folded into one more send after it, so a burst of
// writes costs a few notifications, and every write is followed by a
// notification sent after its commit.
//
// The "c" waker names the tasks that changed: it gathers their ids until
// it sends, and sends them as "c:<id>,<id>,…" payloads (several in the
// one statement when they do not fit one), or as a plain "c" (some tasks
// changed) when a call named no task or more than maxNotifyIDs are owed.
type waker struct {
	s *Store
	// kind is the payload ("r"), or its prefix ("c") when ids are named.
	kind string
	// linger is how long a background send waits to gather more calls.
	linger time.Duration

	mu      sync.Mutex
	sending bool
	owed    bool
	// ids are the tasks owed a "c"; some says a plain payload is owed
	// instead (always for "r").
	ids  []string
	some bool
}

// wakeTimeout bounds one notification statement.
const wakeTimeout = 5 * time.Second

// statusLinger gathers the "c" notifications of claims and outcomes into
// at most about ten a second: they are hints for watchers of statuses, off
// every task's critical path, and each NOTIFY costs the whole cluster (with
// one per claim and outcome, the p90 of pickup latency at 200 tasks/s was
// 32 ms; with this linger, 4 ms).
const statusLinger = 100 * time.Millisecond

// Limits of the ids a "c" notification names. PostgreSQL refuses a
// payload of 8000 bytes or more; a payload here holds up to 200 ids (37
// bytes each with its comma, 7,402 bytes in all). Beyond maxNotifyIDs per
// send (six payloads, 38 kB through the server's notification queue for
// every listener), the waker sends a plain "c" instead, and every watcher
// re-reads its task: at that rate of change they would anyway.
const (
	maxPayloadBytes = 7999
	idsPerPayload   = 200
	maxNotifyIDs    = 1200
)

// wake owes the notification, naming ids for "c" (none: some tasks
// changed), and sends it, unless a send is under way, whose sender then
// sends it again after its current statement. The sending happens in a
// goroutine of its own (it ends when nothing more is owed, and
// [Store.Close] waits for it), so the caller does not wait for it.
func (w *waker) wake(ids ...string) {
	w.mu.Lock()
	w.owed = true
	switch {
	case w.some:
	case len(ids) == 0 || len(w.ids)+len(ids) > maxNotifyIDs:
		w.some, w.ids = true, nil
	default:
		w.ids = append(w.ids, ids...)
	}
	if w.sending {
		w.mu.Unlock()
		return
	}
	w.sending = true
	w.mu.Unlock()
	w.s.bg.goroutine(func() {
		if w.linger > 0 {
			t := time.NewTimer(w.linger)
			select {
			case <-t.C:
			case <-w.s.bg.stop:
				t.Stop()
			}
		}
		w.loop()
	})
}

// loop sends until nothing is owed.
func (w *waker) loop() {
	w.mu.Lock()
	for w.owed {
		payloads := []string{w.kind}
		if !w.some {
			payloads = changedPayloads(w.ids)
		}
		w.owed, w.some, w.ids = false, false, nil
		w.mu.Unlock()
		w.send(payloads)
		w.mu.Lock()
	}
	w.sending = false
	w.mu.Unlock()
}

// changedPayloads returns the "c" payloads that name ids, each once, or a
// plain "c" when there are none or more than maxNotifyIDs.
func changedPayloads(ids []string) []string {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) == 0 || len(ids) > maxNotifyIDs {
		return []string{"c"}
	}
	var out []string
	for chunk := range slices.Chunk(ids, idsPerPayload) {
		out = append(out, "c:"+strings.Join(chunk, ","))
	}
	return out
}

func (w *waker) send(payloads []string) {
	ctx, cancel := context.WithTimeout(context.Background(), wakeTimeout)
	defer cancel()
	if _, err := w.s.db.ExecContext(ctx, w.s.q.notify, pq.StringArray(payloads)); err != nil {
		// A lost hint: listeners fall back to polling.
		w.s.log.Debug("notification not sent", slog.String("kind", w.kind), slog.Int("payloads", len(payloads)),
			slog.String("error", err.Error()))
	}
}
