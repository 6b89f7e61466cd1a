package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/metrics"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", "[flags]", `
Run the task service: the HTTP API (under /api/v1, with /health and
/readyz), the workers with a demo dispatcher, and Prometheus metrics at
/metrics. The store is in memory unless -db or DATABASE_URL is set; the
PostgreSQL schema is migrated at start. With a token every route but
/health needs "Authorization: Bearer <token>"; without one the server only
listens on loopback. SIGINT or SIGTERM stops it gracefully.

Demo task types: test (completes at once), sleep (waits params.ms, default
1000), fail (always fails, so it is retried); any other type fails.`)
	addr := fs.String("addr", envOr("ADDR", "127.0.0.1:8002"), "listen address (env ADDR)")
	token := secretFlag(fs, "token", "SEEDCORE_TOKEN", "bearer `token` required by the API and /metrics (env SEEDCORE_TOKEN)")
	schema := fs.String("schema", envOr("SEEDCORE_SCHEMA", "seedcore"), "PostgreSQL schema (env SEEDCORE_SCHEMA)")
	db := secretFlag(fs, "db", "DATABASE_URL", "PostgreSQL `URL`; empty for the in-memory store (env DATABASE_URL)")
	pos, code, done := parse(fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return fail(stderr, "serve", usagef("unexpected argument %q", pos[0]))
	}
	if *token == "" && !loopback(*addr) {
		return fail(stderr, "serve", usagef("refusing to listen on %s without a token: set -token or SEEDCORE_TOKEN, or listen on 127.0.0.1", *addr))
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := serve(ctx, log, *addr, *token, *schema, *db); err != nil {
		return fail(stderr, "serve", err)
	}
	return exitOK
}

func serve(ctx context.Context, log *slog.Logger, addr, token, schema, db string) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := metrics.New(reg, metrics.Options{})
	if err != nil {
		return err
	}
	cfg := seedcore.Config{
		Dashboard: true, DatabaseURL: db, Dispatcher: demoDispatcher(), Logger: log, Metrics: m, Schema: schema,
	}
	var guard func(*http.Request) error
	if token != "" {
		guard = bearer(token)
		cfg.Authorize = guard
	}
	app, err := seedcore.New(ctx, cfg)
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("/", app.Handler())
	mux.Handle("GET /metrics", guarded(guard, promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = app.Shutdown(context.Background())
		return err
	}
	// Event streams last until their task ends: at shutdown they get two
	// seconds, then their requests' contexts are cancelled.
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return base }}
	srv.RegisterOnShutdown(func() { time.AfterFunc(2*time.Second, cancelBase) })
	served := make(chan error, 1)
	go func() { served <- app.Serve(context.Background()) }()
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Serve(ln) }()
	storeName := "in-memory"
	if db != "" {
		storeName = "postgresql"
	}
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

// demoDispatcher handles the demo task types test, sleep and fail.
func demoDispatcher() taskqueue.Dispatcher {
	mux := taskqueue.NewMux()
	type sleepParams struct {
		MS int `json:"ms"`
	}
	for _, err := range []error{
		taskqueue.HandleFunc(mux, "test", func(_ context.Context, t *store.Task, _ json.RawMessage) (map[string]any, error) {
			return map[string]any{"ok": true, "description": t.Description}, nil
		}),
		taskqueue.HandleFunc(mux, "sleep", func(ctx context.Context, _ *store.Task, p sleepParams) (map[string]int, error) {
			if p.MS <= 0 {
				p.MS = 1000
			}
			select {
			case <-time.After(time.Duration(p.MS) * time.Millisecond):
				return map[string]int{"slept_ms": p.MS}, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}),
		mux.Handle("fail", taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
			return nil, errors.New("this task always fails")
		})),
	} {
		if err != nil {
			panic(fmt.Sprintf("demo dispatcher: %v", err)) // a fixed, valid set of routes
		}
	}
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

// guarded applies the API's bearer check to h (nil guard: open).
func guarded(guard func(*http.Request) error, h http.Handler) http.Handler {
	if guard == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := guard(r); err != nil {
			code := http.StatusForbidden
			if errors.Is(err, httpapi.ErrUnauthorized) {
				code = http.StatusUnauthorized
			}
			http.Error(w, http.StatusText(code), code)
			return
		}
		h.ServeHTTP(w, r)
	})
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
