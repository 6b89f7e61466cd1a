package seedcore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Defaults of [App.Run].
const (
	// StreamGrace is how long Run lets open event streams go on after a
	// stop begins before their requests' contexts are cancelled.
	StreamGrace = 2 * time.Second
	// StopTimeout bounds the stop of the App's services after the HTTP
	// drain (see [App.Shutdown]).
	StopTimeout = 30 * time.Second
	// DefaultReadHeaderTimeout is the http.Server ReadHeaderTimeout Run
	// sets when the server has none: how long a client may take to send
	// a request's headers.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout is the ReadTimeout Run sets when the server has
	// none: how long a client may take to send a whole request, body
	// included, so a body trickled byte by byte cannot hold a connection.
	DefaultReadTimeout = 30 * time.Second
	// DefaultWriteTimeout is the WriteTimeout Run sets when the server has
	// none: how long a response may take, from the end of the request's
	// headers. Event streams lift it for their own request through
	// http.ResponseController.
	DefaultWriteTimeout = time.Minute
	// DefaultIdleTimeout is the IdleTimeout Run sets when the server has
	// none: how long a kept-alive connection may wait for its next request.
	DefaultIdleTimeout = 2 * time.Minute
)

// Run serves the App and srv (on ln) until ctx ends or either fails, then
// stops both. It is the way to run the App's HTTP server that the example
// server and `seedcore serve` share.
//
// Run fills srv's timeouts that are zero with DefaultReadHeaderTimeout,
// DefaultReadTimeout, DefaultWriteTimeout and DefaultIdleTimeout (set a
// negative value for none), so no client can hold a connection, or the
// stop, by sending or reading slowly. A nil srv.Handler serves
// [App.Handler].
//
// When ctx ends, the workers stop claiming at once (running tasks go on,
// within Config.DrainTimeout), and srv stops accepting requests and
// finishes those in progress (event streams get StreamGrace) for at most
// Config.DrainTimeout; connections still open then are closed. Then the
// App stops as [App.Shutdown] describes, within StopTimeout. Run returns
// nil after a stop by ctx.
func (a *App) Run(ctx context.Context, srv *http.Server, ln net.Listener) error {
	if srv.Handler == nil {
		srv.Handler = a.Handler()
	}
	setTimeouts(srv)
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	if srv.BaseContext == nil {
		srv.BaseContext = func(net.Listener) context.Context { return base }
	}
	srv.RegisterOnShutdown(func() { time.AfterFunc(StreamGrace, cancelBase) })

	served := make(chan error, 1)
	go func() { served <- a.Serve(context.Background()) }()
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Serve(ln) }()

	select {
	case <-ctx.Done():
	case err := <-httpDone:
		_ = a.Shutdown(context.Background())
		<-served
		return fmt.Errorf("seedcore: http server: %w", err)
	case err := <-served:
		_ = srv.Close()
		if errors.Is(err, ErrShutdown) {
			return nil
		}
		return err
	}
	// No task starts from here on, however long the HTTP drain takes.
	a.pool.StopClaiming()
	drainCtx, cancelDrain := context.WithTimeout(context.Background(), a.cfg.DrainTimeout)
	defer cancelDrain()
	if err := srv.Shutdown(drainCtx); err != nil {
		a.log.Warn("http requests still open after the drain timeout; closing their connections",
			slog.Duration("drain_timeout", a.cfg.DrainTimeout))
		_ = srv.Close()
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), StopTimeout)
	defer cancel()
	if err := a.Shutdown(stopCtx); err != nil {
		return err
	}
	if err := <-served; err != nil && !errors.Is(err, ErrShutdown) {
		return err
	}
	return nil
}

// setTimeouts gives srv the default timeouts it lacks.
func setTimeouts(srv *http.Server) {
	for _, t := range []struct {
		field *time.Duration
		def   time.Duration
	}{
		{&srv.ReadHeaderTimeout, DefaultReadHeaderTimeout},
		{&srv.ReadTimeout, DefaultReadTimeout},
		{&srv.WriteTimeout, DefaultWriteTimeout},
		{&srv.IdleTimeout, DefaultIdleTimeout},
	} {
		if *t.field == 0 {
			*t.field = t.def
		}
	}
}
