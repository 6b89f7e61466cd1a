package memstore

import (
	"sync"
	"sync/atomic"

	"github.com/seedcore/seedcore/store"
)

// notifier fans events out to subscribers without ever blocking a writer.
type notifier struct {
	buffer int
	active atomic.Int32 // number of subscribers, read without the lock

	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

type subscriber struct {
	ch chan store.Event
	// lost is set when an event was dropped; the next event that fits is
	// preceded by EventResync.
	lost bool
}

// Subscribe returns a channel of event hints and the function that ends
// the subscription.
//
// Each subscriber has its own buffered channel ([Options.EventBuffer]).
// Sending never blocks a store operation: when the channel is full the
// event is dropped, and once there is room again the subscriber first
// receives [store.EventResync] (poll the store, something was missed).
// An operation on many tasks sends one [store.EventReady], not one per
// task.
//
// unsubscribe stops delivery at once and may be called more than once and
// from any goroutine. It never closes the channel, so a goroutine still
// selecting on it cannot mistake a closed channel for an event; the
// channel is simply never written again.
//
// Events the store sends:
//   - EventReady when work becomes claimable now: a ready task created
//     (due at once), Run, a retry due at once, a release, a rescue to retry.
//     A task that becomes due later, by the passing of its RunAfter, sends
//     nothing: claimers poll for those.
//   - EventChanged with TaskID on every status change.
//   - EventCancel with TaskID when a running task is asked to cancel.
func (s *Store) Subscribe() (<-chan store.Event, func()) {
	n := &s.events
	sub := &subscriber{ch: make(chan store.Event, n.buffer)}
	n.mu.Lock()
	if n.subs == nil {
		n.subs = make(map[*subscriber]struct{})
	}
	n.subs[sub] = struct{}{}
	n.active.Store(int32(len(n.subs)))
	n.mu.Unlock()
	var once sync.Once
	return sub.ch, func() {
		once.Do(func() {
			n.mu.Lock()
			delete(n.subs, sub)
			n.active.Store(int32(len(n.subs)))
			n.mu.Unlock()
		})
	}
}

// eventBatch collects the events of one operation, to be sent after the
// store's lock is released. It collects nothing when nobody listens.
type eventBatch struct {
	n       *notifier
	on      bool
	isReady bool
	events  []store.Event
}

func (n *notifier) batch() eventBatch {
	return eventBatch{n: n, on: n.active.Load() > 0}
}

func (b *eventBatch) ready() { b.isReady = true }

func (b *eventBatch) changed(id string) {
	if b.on {
		b.events = append(b.events, store.Event{Kind: store.EventChanged, TaskID: id})
	}
}

func (b *eventBatch) cancel(id string) {
	if b.on {
		b.events = append(b.events, store.Event{Kind: store.EventCancel, TaskID: id})
	}
}

// send delivers the collected events to every subscriber, ready first.
func (b *eventBatch) send() {
	if b.n.active.Load() == 0 || (!b.isReady && len(b.events) == 0) {
		return
	}
	b.n.mu.Lock()
	defer b.n.mu.Unlock()
	for sub := range b.n.subs {
		if b.isReady {
			sub.deliver(store.Event{Kind: store.EventReady})
		}
		for _, ev := range b.events {
			sub.deliver(ev)
		}
	}
}

func (sub *subscriber) deliver(ev store.Event) {
	if sub.lost {
		select {
		case sub.ch <- store.Event{Kind: store.EventResync}:
			sub.lost = false
		default:
			return
		}
	}
	select {
	case sub.ch <- ev:
	default:
		sub.lost = true
	}
}
