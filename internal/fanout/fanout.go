// Package fanout delivers notification hints ([store.Event]) from a store
// or a listener to the subscribers of one process: every subscriber of all
// events, and the subscribers of one task, which get only the events about
// that task. Both backends' notifiers (the in-memory store's and the
// PostgreSQL listener's) are built on it, so they deliver alike.
//
// Delivery never blocks the sender: each subscriber has a buffered
// channel, an event that does not fit is dropped, and the subscriber gets
// [store.EventResync] as soon as there is room again, so it re-reads the
// store rather than missing a change.
package fanout

import (
	"sync"
	"sync/atomic"

	"github.com/seedcore/seedcore/store"
)

// DefaultTaskBuffer is the capacity of a task subscriber's channel when
// New is given zero: a task's watcher re-reads the task on any event, so
// a few queued events are as good as many.
const DefaultTaskBuffer = 8

// Hub fans events out to subscribers. The zero value is not usable; call
// [New]. It is safe for concurrent use.
type Hub struct {
	buffer, taskBuffer int
	// active counts subscribers of either kind, read without the lock so
	// a sender with nobody listening skips the work.
	active atomic.Int32

	mu    sync.Mutex
	all   map[*subscriber]struct{}
	tasks map[string]map[*subscriber]struct{}
}

type subscriber struct {
	ch chan store.Event
	// lost is set when an event was dropped: a resync is owed.
	lost bool
}

// New returns a hub whose subscribers of all events get channels of
// capacity buffer and whose task subscribers get channels of capacity
// taskBuffer (DefaultTaskBuffer when zero or less). buffer must be
// positive.
func New(buffer, taskBuffer int) *Hub {
	if taskBuffer <= 0 {
		taskBuffer = DefaultTaskBuffer
	}
	return &Hub{
		buffer: buffer, taskBuffer: taskBuffer,
		all:   make(map[*subscriber]struct{}),
		tasks: make(map[string]map[*subscriber]struct{}),
	}
}

// Active reports whether anyone is subscribed.
func (h *Hub) Active() bool { return h.active.Load() > 0 }

// Subscribe returns a channel of every event and the function that ends
// the subscription. unsubscribe stops delivery at once and may be called
// more than once, from any goroutine. It never closes the channel, so a
// goroutine still selecting on it cannot mistake a closed channel for an
// event.
func (h *Hub) Subscribe() (<-chan store.Event, func()) {
	sub := &subscriber{ch: make(chan store.Event, h.buffer)}
	h.mu.Lock()
	h.all[sub] = struct{}{}
	h.active.Add(1)
	h.mu.Unlock()
	var once sync.Once
	return sub.ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.all, sub)
			h.active.Add(-1)
			h.mu.Unlock()
		})
	}
}

// SubscribeTask returns a channel of the events about task id (see
// [store.TaskNotifier]) and the function that ends the subscription, which
// behaves as Subscribe's does.
func (h *Hub) SubscribeTask(id string) (<-chan store.Event, func()) {
	sub := &subscriber{ch: make(chan store.Event, h.taskBuffer)}
	h.mu.Lock()
	subs := h.tasks[id]
	if subs == nil {
		subs = make(map[*subscriber]struct{})
		h.tasks[id] = subs
	}
	subs[sub] = struct{}{}
	h.active.Add(1)
	h.mu.Unlock()
	var once sync.Once
	return sub.ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(subs, sub)
			if len(subs) == 0 {
				delete(h.tasks, id)
			}
			h.active.Add(-1)
			h.mu.Unlock()
		})
	}
}

// Send delivers events in order: each to every subscriber of all events,
// and to the task subscribers it concerns. An event naming a task
// (EventChanged or EventCancel with TaskID) goes to that task's
// subscribers; EventChanged naming none and EventResync go to every task
// subscriber; EventReady to none.
func (h *Hub) Send(events ...store.Event) {
	if !h.Active() || len(events) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range events {
		for sub := range h.all {
			sub.deliver(ev)
		}
		if len(h.tasks) == 0 {
			continue
		}
		switch {
		case ev.Kind == store.EventReady:
		case ev.TaskID != "":
			for sub := range h.tasks[ev.TaskID] {
				sub.deliver(ev)
			}
		default:
			for _, subs := range h.tasks {
				for sub := range subs {
					sub.deliver(ev)
				}
			}
		}
	}
}

// SendChanged delivers that the tasks ids changed: one EventChanged naming
// no task to every subscriber of all events (one event however many ids,
// so a busy store does not flood them), and an EventChanged naming the
// task to the subscribers of each id. One id is sent as Send does.
func (h *Hub) SendChanged(ids []string) {
	if len(ids) == 1 {
		h.Send(store.Event{Kind: store.EventChanged, TaskID: ids[0]})
		return
	}
	if !h.Active() || len(ids) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.all {
		sub.deliver(store.Event{Kind: store.EventChanged})
	}
	if len(h.tasks) == 0 {
		return
	}
	for _, id := range ids {
		for sub := range h.tasks[id] {
			sub.deliver(store.Event{Kind: store.EventChanged, TaskID: id})
		}
	}
}

// deliver sends ev without blocking, first sending a resync owed for an
// event dropped earlier (which also covers a resync being delivered).
func (sub *subscriber) deliver(ev store.Event) {
	if sub.lost {
		select {
		case sub.ch <- store.Event{Kind: store.EventResync}:
			sub.lost = false
		default:
			return // still full: the owed resync covers ev
		}
		if ev.Kind == store.EventResync {
			return
		}
	}
	select {
	case sub.ch <- ev:
	default:
		sub.lost = true
	}
}
