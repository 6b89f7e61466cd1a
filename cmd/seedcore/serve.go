package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/examples/demo"
	"github.com/seedcore/seedcore/metrics"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", "[flags]", `
Run the task service: the HTTP API (under /api/v1, with /health and
/readyz), the workers with a demo dispatcher, and Prometheus metrics at
/metrics. The store is in memory unless -db or DATABASE_URL is set; the
PostgreSQL schema is migrated at start. With a token every route but
/health needs "Authorization: Bearer <token>"; without one the server only
listens on loopback. SIGINT or SIGTERM stops it gracefully, with exit
status 0, also while it still connects to the database.

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
		Dashboard: true, DatabaseURL: db, Dispatcher: demo.Dispatcher(), Logger: log, Metrics: m, Schema: schema,
	}
	if token != "" {
		cfg.Authorize = httpapi.BearerToken(token)
	}
	app, err := seedcore.New(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			// Interrupted while connecting to or migrating the database:
			// a stop like any other, not a failure.
			log.Info("stopped before serving", slog.String("reason", context.Cause(ctx).Error()))
			return nil
		}
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("/", app.Handler())
	mux.Handle("GET /metrics", app.Guard(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = app.Shutdown(context.Background())
		return err
	}
	storeName := "in-memory"
	if db != "" {
		storeName = "postgresql"
	}
	log.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("store", storeName))
	// Run sets the server's read, write and idle timeouts, stops claiming
	// at the signal and bounds the HTTP drain by the drain timeout.
	if err := app.Run(ctx, &http.Server{Handler: mux}, ln); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
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
