// Command server is a minimal seedcore task service: the HTTP API on
// 127.0.0.1:8002, a demo dispatcher, the in-memory store by default and
// PostgreSQL when DATABASE_URL is set.
//
//	go run ./examples/server                       # in memory, loopback only
//	DATABASE_URL=postgres://... go run ./examples/server
//	SEEDCORE_TOKEN=s3cret go run ./examples/server -addr :8002
//
// Prometheus metrics are at /metrics and the operator dashboard at
// http://127.0.0.1:8002/ui/ (-dashboard=false to turn it off). With a
// token (-token or SEEDCORE_TOKEN) every route but /health needs
// "Authorization: Bearer <token>". Without one it refuses to listen beyond
// loopback. SIGINT or SIGTERM stops it gracefully (see seedcore.App.Run):
// it stops claiming tasks at once, stops accepting requests and lets those
// in progress and the running tasks finish within the drain timeout (5s),
// closes what is left, closes the store and exits 0.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/examples/demo"
	"github.com/seedcore/seedcore/metrics"
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
		Dashboard:   *dash,
		DatabaseURL: os.Getenv("DATABASE_URL"),
		Dispatcher:  demo.Dispatcher(),
		Logger:      log,
		Metrics:     m,
		Schema:      *schema,
	}
	if *token != "" {
		cfg.Authorize = httpapi.BearerToken(*token)
	}
	app, err := seedcore.New(ctx, cfg)
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("/", app.Handler())
	// The App's guard: the same token check and JSON errors as the API.
	mux.Handle("GET /metrics", app.Guard(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		_ = app.Shutdown(context.Background())
		return err
	}
	storeName := "in-memory"
	if cfg.DatabaseURL != "" {
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

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
