package pgstore

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"

	"github.com/seedcore/seedcore/store"
)

// ListenerOptions configures a [Listener]. The zero value is usable.
type ListenerOptions struct {
	// Buffer is the capacity of each subscriber's channel. Default 64.
	Buffer int
	// Logger receives connection events. Default: discard.
	Logger *slog.Logger
	// MaxReconnect caps the doubling wait between reconnection attempts.
	// Default 5s.
	MaxReconnect time.Duration
	// MinReconnect is the first wait before reconnecting after the
	// connection is lost. Default 100ms.
	MinReconnect time.Duration
	// PingInterval is how often the connection is pinged so a dead one is
	// noticed (and replaced) even when no notification arrives. Default 15s.
	PingInterval time.Duration
	// Schema names the store's schema, which is the channel listened on.
	// Default [DefaultSchema]. An invalid name makes Serve fail with an
	// error wrapping [ErrInvalidSchema].
	Schema string
}

// Listener receives the store's notifications over a dedicated
// connection (pq.Listener) and fans them out as [store.Event] hints. It is
// a suture-compatible service: run it with Serve. It implements
// [store.Notifier].
type Listener struct {
	dsn  string
	opts ListenerOptions
	log  *slog.Logger

	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

var _ store.Notifier = (*Listener)(nil)

type subscriber struct {
	ch   chan store.Event
	lost bool // an event was dropped: owe a resync
}

// NewListener returns a listener for the notifications of the store whose
// schema is opts.Schema, connecting with dsn when Serve runs.
func NewListener(dsn string, opts ListenerOptions) *Listener {
	if opts.Buffer <= 0 {
		opts.Buffer = 64
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MinReconnect <= 0 {
		opts.MinReconnect = 100 * time.Millisecond
	}
	if opts.MaxReconnect <= 0 {
		opts.MaxReconnect = 5 * time.Second
	}
	if opts.MaxReconnect < opts.MinReconnect {
		opts.MaxReconnect = opts.MinReconnect
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 15 * time.Second
	}
	if opts.Schema == "" {
		opts.Schema = DefaultSchema
	}
	return &Listener{dsn: dsn, opts: opts, log: opts.Logger, subs: make(map[*subscriber]struct{})}
}

// Subscribe returns a buffered channel of events and a function that ends
// the subscription (and closes the channel). Sends never block: when the
// channel is full an event is dropped and an [store.EventResync] is
// delivered as soon as there is room, so a slow subscriber re-polls
// instead of missing work.
func (l *Listener) Subscribe() (<-chan store.Event, func()) {
	sub := &subscriber{ch: make(chan store.Event, l.opts.Buffer)}
	l.mu.Lock()
	l.subs[sub] = struct{}{}
	l.mu.Unlock()
	var once sync.Once
	return sub.ch, func() {
		once.Do(func() {
			l.mu.Lock()
			delete(l.subs, sub)
			close(sub.ch)
			l.mu.Unlock()
		})
	}
}

func (l *Listener) publish(ev store.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for sub := range l.subs {
		if sub.lost {
			select {
			case sub.ch <- store.Event{Kind: store.EventResync}:
				sub.lost = false
			default:
				continue // still full; the owed resync covers ev
			}
			if ev.Kind == store.EventResync {
				continue
			}
		}
		select {
		case sub.ch <- ev:
		default:
			sub.lost = true
		}
	}
}

// parsePayload maps a notification payload to an event.
func parsePayload(p string) (store.Event, bool) {
	kind, id, _ := strings.Cut(p, ":")
	switch kind {
	case "r":
		return store.Event{Kind: store.EventReady}, true
	case "c":
		return store.Event{Kind: store.EventChanged, TaskID: id}, true
	case "x":
		if id == "" {
			return store.Event{}, false
		}
		return store.Event{Kind: store.EventCancel, TaskID: id}, true
	}
	return store.Event{}, false
}

// Serve listens until ctx ends and returns ctx.Err(). Once LISTEN is in
// place, and again after every reconnection (which lib/pq performs on its
// own), it publishes [store.EventResync], because notifications sent while
// disconnected are lost. It pings the connection every PingInterval. A
// schema name that is not valid returns an error wrapping
// [ErrInvalidSchema] at once.
func (l *Listener) Serve(ctx context.Context) error {
	if err := ValidateSchema(l.opts.Schema); err != nil {
		return err
	}
	pl := pq.NewListener(l.dsn, l.opts.MinReconnect, l.opts.MaxReconnect,
		func(ev pq.ListenerEventType, err error) {
			switch ev {
			case pq.ListenerEventDisconnected:
				l.log.LogAttrs(ctx, slog.LevelWarn, "pgstore: listener disconnected", slog.Any("error", err))
			case pq.ListenerEventConnectionAttemptFailed:
				l.log.LogAttrs(ctx, slog.LevelWarn, "pgstore: listener connection failed", slog.Any("error", err))
			case pq.ListenerEventReconnected:
				l.log.LogAttrs(ctx, slog.LevelInfo, "pgstore: listener reconnected")
			}
		})
	defer func() {
		_ = pl.Close()
		for range pl.Notify { // wait for lib/pq's goroutine to finish
		}
	}()

	listened := make(chan error, 1)
	go func() { listened <- pl.Listen(l.opts.Schema) }()
	select {
	case <-ctx.Done():
		_ = pl.Close()
		<-listened
		return ctx.Err()
	case err := <-listened:
		if err != nil {
			return errorf("pgstore: listen %s: %w", l.opts.Schema, err)
		}
	}
	l.publish(store.Event{Kind: store.EventResync})

	ping := time.NewTicker(l.opts.PingInterval)
	defer ping.Stop()
	// Pings run one at a time off the loop, so a slow one never delays
	// notifications; Close (deferred above) unblocks one in flight.
	pingDone := make(chan error, 1)
	pinging := false
	defer func() {
		if pinging {
			_ = pl.Close()
			<-pingDone
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case n, ok := <-pl.Notify:
			if !ok {
				return errors.New("pgstore: listener closed")
			}
			if n == nil { // reconnected: anything may have been missed
				l.publish(store.Event{Kind: store.EventResync})
				continue
			}
			if ev, ok := parsePayload(n.Extra); ok {
				l.publish(ev)
			}
		case <-ping.C:
			if !pinging {
				pinging = true
				go func() { pingDone <- pl.Ping() }()
			}
		case err := <-pingDone:
			// A failed ping means the connection broke; lib/pq reconnects
			// on its own, and a resync follows.
			pinging = false
			if err != nil {
				l.log.LogAttrs(ctx, slog.LevelWarn, "pgstore: listener ping failed", slog.Any("error", err))
			}
		}
	}
}
