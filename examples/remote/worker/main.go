// Command worker is a seedcore service whose tasks run on a remote
// executor (examples/remote/executor) over HTTP: a pooled keep-alive
// client, a per-task timeout, a circuit breaker, 4xx as permanent failures
// and 5xx as retries.
//
//	go run ./examples/remote/executor &
//	go run ./examples/remote/worker -executor http://127.0.0.1:8003/execute
//
// The worker serves the task API on 127.0.0.1:8002 (in memory, or
// PostgreSQL when DATABASE_URL is set).
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
	"syscall"
	"time"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/taskqueue"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8002", "API listen address (loopback)")
	executor := flag.String("executor", "http://127.0.0.1:8003/execute", "remote executor URL")
	flag.Parse()
	if err := run(*addr, *executor); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run(addr, executor string) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	remote, err := taskqueue.NewRemoteDispatcher(taskqueue.RemoteConfig{URL: executor, Timeout: 10 * time.Second})
	if err != nil {
		return err
	}
	app, err := seedcore.New(ctx, seedcore.Config{
		DatabaseURL: os.Getenv("DATABASE_URL"),
		// The executor runs these types: the worker claims only them.
		Dispatcher: taskqueue.Typed(remote, "upper", "flaky"),
		Logger:     log,
		// Retry quickly so the demo's flaky task finishes in seconds.
		RetryPolicy: taskqueue.ExponentialBackoff{Base: 200 * time.Millisecond, Max: 5 * time.Second},
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = app.Shutdown(context.Background())
		return err
	}
	log.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("executor", executor))
	// Run sets the server's timeouts, stops claiming at the signal and
	// bounds the HTTP drain by the drain timeout.
	return app.Run(ctx, &http.Server{Handler: app.Handler()}, ln)
}
