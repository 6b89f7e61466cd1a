package pgstore

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/seedcore/seedcore/internal/fanout"
	"github.com/seedcore/seedcore/store"
)

// ListenerOptions configures a [Listener]. The zero value is usable.
type ListenerOptions struct {
	// Buffer is the capacity of each subscriber's channel. Default 64.
	// A subscriber of one task ([Listener.SubscribeTask]) gets a channel
	// of eight.
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
// [store.TaskNotifier]: one listener per process serves every subscriber,
// and a subscriber of one task gets only that task's events.
type Listener struct {
	dsn  string
	opts ListenerOptions
	log  *slog.Logger
	hub  *fanout.Hub
}

var _ store.TaskNotifier = (*Listener)(nil)

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
	return &Listener{dsn: dsn, opts: opts, log: opts.Logger, hub: fanout.New(opts.Buffer, 0)}
}

// Subscribe returns a buffered channel of events and a function that ends
// the subscription. Sends never block: when the channel is full an event
// is dropped and an [store.EventResync] is delivered as soon as there is
// room, so a slow subscriber re-polls instead of missing work. A
// notification naming many tasks arrives as one [store.EventChanged]
// naming none. unsubscribe may be called more than once; it never closes
// the channel.
func (l *Listener) Subscribe() (<-chan store.Event, func()) { return l.hub.Subscribe() }

// SubscribeTask returns a channel of the events about task id (see
// [store.TaskNotifier]) and a function that ends the subscription, as
// Subscribe does.
func (l *Listener) SubscribeTask(id string) (<-chan store.Event, func()) {
	return l.hub.SubscribeTask(id)
}

// publish delivers the notification payload p.
func (l *Listener) publish(p string) {
	kind, rest, _ := strings.Cut(p, ":")
	switch kind {
	case "r":
		l.hub.Send(store.Event{Kind: store.EventReady})
	case "c":
		if rest == "" {
			l.hub.Send(store.Event{Kind: store.EventChanged})
			return
		}
		l.hub.SendChanged(strings.Split(rest, ","))
	case "x":
		if rest != "" {
			l.hub.Send(store.Event{Kind: store.EventCancel, TaskID: rest})
		}
	}
}

// Serve listens until ctx ends and returns ctx.Err(). Once LISTEN is in
// place, and again after every reconnection (which lib/pq performs on its
// own), it publishes [store.EventResync], because notifications sent while
// disconnected are lost. It pings the connection every PingInterval. A
// schema name that is not valid returns an error wrapping
// [ErrInvalidSchema] at once. Each connection attempt is bounded as in
// [Open] ([DefaultConnectTimeout] unless the DSN or PGCONNECT_TIMEOUT sets
// connect_timeout), and Serve returns as soon as ctx ends, even during one.
// When the first attempt times out, Serve returns an error wrapping
// [ErrConnectTimeout] (run under a supervisor, it is started again); other
// failed attempts, and every attempt after LISTEN first succeeded, are
// retried with a doubling wait from MinReconnect to MaxReconnect.
func (l *Listener) Serve(ctx context.Context) error {
	if err := ValidateSchema(l.opts.Schema); err != nil {
		return err
	}
	dsn := withConnectTimeout(l.dsn)
	cfg, err := pq.NewConfig(dsn)
	if err != nil {
		return errorf("pgstore: listener: %w", err)
	}
	timedOut := make(chan error, 1)
	pl := pq.NewDialListener(&ctxDialer{ctx: ctx}, dsn, l.opts.MinReconnect, l.opts.MaxReconnect,
		func(ev pq.ListenerEventType, err error) {
			switch ev {
			case pq.ListenerEventDisconnected:
				l.log.LogAttrs(ctx, slog.LevelWarn, "pgstore: listener disconnected", slog.Any("error", err))
			case pq.ListenerEventConnectionAttemptFailed:
				err = connectErr(err, cfg.ConnectTimeout)
				if errors.Is(err, ErrConnectTimeout) {
					select {
					case timedOut <- err:
					default:
					}
				}
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
	case err := <-timedOut:
		_ = pl.Close()
		<-listened
		return errorf("pgstore: listen %s: %w", l.opts.Schema, err)
	}
	l.hub.Send(store.Event{Kind: store.EventResync})

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
				l.hub.Send(store.Event{Kind: store.EventResync})
				continue
			}
			l.publish(n.Extra)
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
