package memstore

import (
	"github.com/seedcore/seedcore/internal/fanout"
	"github.com/seedcore/seedcore/store"
)

// notifier fans events out to subscribers without ever blocking a writer.
type notifier struct{ hub *fanout.Hub }

// Subscribe returns a channel of event hints and the function that ends
// the subscription.
//
// Each subscriber has its own buffered channel ([Options.EventBuffer]);
// [Store.SubscribeTask] gives the events of one task only.
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
func (s *Store) Subscribe() (<-chan store.Event, func()) { return s.events.hub.Subscribe() }

// SubscribeTask returns a channel of the events about task id and the
// function that ends the subscription (see [store.TaskNotifier]): its
// EventChanged and EventCancel, and EventResync after a dropped event. The
// channel holds eight events; unsubscribe behaves as
// Subscribe's does.
func (s *Store) SubscribeTask(id string) (<-chan store.Event, func()) {
	return s.events.hub.SubscribeTask(id)
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
	return eventBatch{n: n, on: n.hub.Active()}
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

// send delivers the collected events, ready first.
func (b *eventBatch) send() {
	if !b.n.hub.Active() || (!b.isReady && len(b.events) == 0) {
		return
	}
	if b.isReady {
		b.events = append(b.events, store.Event{})
		copy(b.events[1:], b.events)
		b.events[0] = store.Event{Kind: store.EventReady}
	}
	b.n.hub.Send(b.events...)
}
