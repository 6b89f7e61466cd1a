// Command embed shows seedcore inside an application that already has its
// own HTTP routes and its own suture supervision tree: everything the App
// serves (probes, task API, dashboard) is mounted under /tasks in the
// existing mux with App.Mount, and the App is added to the existing tree
// next to the application's other services.
//
//	go run ./examples/embed            # listens on 127.0.0.1:8004
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/thejerf/suture/v4"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

type greeting struct {
	Name string `json:"name"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8004", "listen address")
	flag.Parse()
	if err := run(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}

func run(addr string) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The application's task handlers.
	mux := taskqueue.NewMux()
	if err := taskqueue.HandleFunc(mux, "greet", func(_ context.Context, _ *store.Task, g greeting) (string, error) {
		return "hello, " + g.Name, nil
	}); err != nil {
		return err
	}
	app, err := seedcore.New(ctx, seedcore.Config{Dispatcher: mux, Logger: log, BasePath: "/tasks", Dashboard: true})
	if err != nil {
		return err
	}

	// The application's own routes (its own /health among them), with the
	// App's mounted beside them under /tasks: /tasks/health,
	// /tasks/readyz, /tasks/api/v1/... and the dashboard at /tasks/ui/.
	routes := http.NewServeMux()
	routes.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "my application\n")
	})
	routes.HandleFunc("POST /greet/{name}", func(w http.ResponseWriter, r *http.Request) {
		params, _ := json.Marshal(greeting{Name: r.PathValue("name")})
		task, _, err := app.Enqueue(r.Context(), store.NewTask{Type: "greet", Params: params})
		if err != nil {
			http.Error(w, "could not enqueue", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(map[string]string{"task": task.ID})
	})
	routes.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "application ok\n")
	})
	app.Mount(routes)

	// The application's own supervision tree: its HTTP server and the App.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	tree := suture.NewSimple("application")
	// The timeouts App.Run would set, so no slow client holds a connection.
	srv := &http.Server{
		Handler: routes, ReadHeaderTimeout: seedcore.DefaultReadHeaderTimeout, ReadTimeout: seedcore.DefaultReadTimeout,
		WriteTimeout: seedcore.DefaultWriteTimeout, IdleTimeout: seedcore.DefaultIdleTimeout,
	}
	tree.Add(&httpService{srv: srv, ln: ln})
	tree.Add(app)
	log.Info("listening", slog.String("addr", ln.Addr().String()))
	err = tree.Serve(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// httpService runs an http.Server as a suture service.
type httpService struct {
	srv *http.Server
	ln  net.Listener
}

func (h *httpService) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- h.srv.Serve(h.ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.srv.Shutdown(shutdown)
		return ctx.Err()
	}
}
