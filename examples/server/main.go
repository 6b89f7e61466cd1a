// Command server is a minimal seedcore task service: the HTTP API on
// 127.0.0.1:8002, a demo dispatcher, the in-memory store by default and
// PostgreSQL when DATABASE_URL is set.
//
//	go run ./examples/server                       # in memory, loopback only
//	DATABASE_URL=postgres://... go run ./examples/server
//	SEEDCORE_TOKEN=s3cret go run ./examples/server -addr :8002
//
// Prometheus metrics are at /metrics and the operator dashboard at
// http://127.0.0.1:8002/ui/ (-dashboard=false
// to turn it off). With a token (-token or SEEDCORE_TOKEN) every route but /health
// needs "Authorization: Bearer <token>". Without one it refuses to listen
// beyond loopback. SIGINT or SIGTERM stops it gracefully: it stops
// accepting requests, lets running tasks finish, and closes the store.
package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/metrics"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", envOr("ADDR", "127.0.0.1:8002"), "listen address (env ADDR)")
	token := flag.String("token", os.Getenv("SEEDCORE_TOKEN"), "bearer token required by the API (env SEEDCORE_TOKEN)")
	dash := flag.Bool("dashboard", true, "serve the operator dashboard under /ui/")
	schema := flag.String("schema", envOr("SEEDCORE_SCHEMA", "seedcore"), "PostgreSQL schema (env SEEDCORE_SCHEMA)")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if *token == "" && !loopback(*addr) {
		return fmt.Errorf("refusing to listen on %s without a token: set -token or SEEDCORE_TOKEN, or listen on 127.0.0.1", *addr)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Metrics on a registry of our own, served at /metrics.
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{})
	if err != nil {
		return err
	}
	cfg := seedcore.Config{
		DatabaseURL: os.Getenv("DATABASE_URL"),
		Metrics:     m,
		Dispatcher:  demoDispatcher(),
		Dashboard:   *dash,
		Logger:      log,
		Schema:      *schema,
	}
	if *token != "" {
		cfg.Authorize = bearer(*token)
	}
	metricsHandler := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	app, err := seedcore.New(ctx, cfg)
	if err != nil {
		return err
	}
	storeName := "in-memory"
	if cfg.DatabaseURL != "" {
		storeName = "postgresql"
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		_ = app.Shutdown(context.Background())
		return err
	}
	// Event streams last until their task ends: at shutdown they get two
	// seconds, then their requests' contexts are cancelled.
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	mux := http.NewServeMux()
	mux.Handle("/", app.Handler())
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if cfg.Authorize != nil && cfg.Authorize(r) != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		metricsHandler.ServeHTTP(w, r)
	})
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	srv.RegisterOnShutdown(func() { time.AfterFunc(2*time.Second, cancelBase) })
	served := make(chan error, 1)
	go func() { served <- app.Serve(context.Background()) }()
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Serve(ln) }()
	log.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("store", storeName))

	select {
	case <-ctx.Done():
		log.Info("stopping")
	case err := <-httpDone:
		_ = app.Shutdown(context.Background())
		return err
	case err := <-served:
		_ = srv.Close()
		return err
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Stop accepting requests (event streams included), then drain tasks.
	if err := srv.Shutdown(stopCtx); err != nil {
		_ = srv.Close()
	}
	if err := app.Shutdown(stopCtx); err != nil {
		return err
	}
	if err := <-served; err != nil && !errors.Is(err, seedcore.ErrShutdown) {
		return err
	}
	log.Info("stopped")
	return nil
}

// demoDispatcher handles a few task types:
//
//	test   completes at once with {"ok": true, "description": ...}
//	sleep  waits params.ms milliseconds (default 1000), then completes
//	fail   fails with an error, so it is retried until max_attempts
//
// Any other type fails permanently.
func demoDispatcher() taskqueue.Dispatcher {
	mux := taskqueue.NewMux()
	must(taskqueue.HandleFunc(mux, "test", func(_ context.Context, t *store.Task, _ json.RawMessage) (map[string]any, error) {
		return map[string]any{"ok": true, "description": t.Description}, nil
	}))
	type sleepParams struct {
		MS int `json:"ms"`
	}
	must(taskqueue.HandleFunc(mux, "sleep", func(ctx context.Context, _ *store.Task, p sleepParams) (map[string]int, error) {
		if p.MS <= 0 {
			p.MS = 1000
		}
		select {
		case <-time.After(time.Duration(p.MS) * time.Millisecond):
			return map[string]int{"slept_ms": p.MS}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}))
	must(mux.Handle("fail", taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
		return nil, errors.New("this task always fails")
	})))
	return mux
}

func bearer(token string) func(*http.Request) error {
	want := []byte("Bearer " + token)
	return func(r *http.Request) error {
		got := r.Header.Get("Authorization")
		if got == "" {
			return httpapi.ErrUnauthorized
		}
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			return httpapi.ErrForbidden
		}
		return nil
	}
}

// loopback reports whether addr listens on loopback addresses only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
