// Command executor is a remote task executor: it runs the tasks that
// examples/remote/worker sends it over HTTP.
//
//	go run ./examples/remote/executor         # listens on 127.0.0.1:8003
//
// It answers POST /execute with the task's result. Type "upper" returns the
// description in upper case; type "flaky" fails with 503 on its first
// attempt and succeeds on the next; any other type is refused with 422, a
// permanent failure.
package main

import (
	"context"
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

	"github.com/seedcore/seedcore/taskqueue"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8003", "listen address")
	flag.Parse()
	if err := run(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "executor:", err)
		os.Exit(1)
	}
}

func run(addr string) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	mux := http.NewServeMux()
	mux.HandleFunc("POST /execute", func(w http.ResponseWriter, r *http.Request) {
		var req taskqueue.RemoteRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
			http.Error(w, "malformed task", http.StatusBadRequest)
			return
		}
		log.Info("executing", slog.String("task_id", req.ID), slog.String("type", req.Type), slog.Int("attempt", req.Attempt))
		switch req.Type {
		case "upper":
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]string{"upper": strings.ToUpper(req.Description)})
		case "flaky":
			if req.Attempt < 2 {
				http.Error(w, "try again", http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]int{"succeeded_on_attempt": req.Attempt})
		default:
			http.Error(w, "unknown task type", http.StatusUnprocessableEntity)
		}
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", slog.String("addr", ln.Addr().String()))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
