package seedcore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Defaults of [App.Run].
const (
	// StreamGrace is how long Run lets open event streams go on after a
	// stop begins before their requests' contexts are cancelled.
	StreamGrace = 2 * time.Second
	// StopTimeout bounds the whole graceful stop of Run.
	StopTimeout = 30 * time.Second
)

// Run serves the App and srv (on ln) until ctx ends or either fails, then
// stops both gracefully: srv stops accepting requests and finishes those in
// progress (event streams get StreamGrace), then the App stops as
// [App.Shutdown] describes, all within StopTimeout. A nil srv.Handler
// serves [App.Handler]. Run returns nil after a stop by ctx.
func (a *App) Run(ctx context.Context, srv *http.Server, ln net.Listener) error {
	if srv.Handler == nil {
		srv.Handler = a.Handler()
	}
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
	stopCtx, cancel := context.WithTimeout(context.Background(), StopTimeout)
	defer cancel()
	if err := srv.Shutdown(stopCtx); err != nil {
		_ = srv.Close()
	}
	if err := a.Shutdown(stopCtx); err != nil {
		return err
	}
	if err := <-served; err != nil && !errors.Is(err, ErrShutdown) {
		return err
	}
	return nil
}
