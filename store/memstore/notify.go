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
//   - EventChanged on every status change: naming the task when one
//     task changed; naming none, to subscribers of all events, when an
//     operation changed several (a claim, an outcome batch), each task's
//     subscribers still getting one naming it.
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
	ids     []string      // tasks whose status changed, in order
	cancels []store.Event // EventCancel of running tasks asked to cancel
}

func (n *notifier) batch() eventBatch {
	return eventBatch{n: n, on: n.hub.Active()}
}

func (b *eventBatch) ready() { b.isReady = true }

func (b *eventBatch) changed(id string) {
	if b.on {
		b.ids = append(b.ids, id)
	}
}

func (b *eventBatch) cancel(id string) {
	if b.on {
		b.cancels = append(b.cancels, store.Event{Kind: store.EventCancel, TaskID: id})
	}
}

// send delivers the collected events: ready first, then the changes,
// then the cancellations. Changes to several tasks reach a subscriber of
// all events as one EventChanged naming no task, as the PostgreSQL
// listener delivers a notification naming many tasks, and each task's
// subscribers as an EventChanged naming it: a claim or an outcome batch
// of a thousand tasks is one event to a pool, not a thousand (which
// filled its channel in a drain and cost it a resync each time).
func (b *eventBatch) send() {
	if !b.n.hub.Active() || (!b.isReady && len(b.ids) == 0 && len(b.cancels) == 0) {
		return
	}
	if b.isReady {
		b.n.hub.Send(store.Event{Kind: store.EventReady})
	}
	if len(b.ids) > 0 {
		b.n.hub.SendChanged(b.ids)
	}
	if len(b.cancels) > 0 {
		b.n.hub.Send(b.cancels...)
	}
}
