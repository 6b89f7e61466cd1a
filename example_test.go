package seedcore_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// An App on the in-memory store: a typed handler, a task enqueued from Go
// with PII in its description, and its result. A service runs the App
// with app.Serve (or in its own suture tree) and the worker pool runs the
// task; here RunDue runs it in this goroutine, so the output is known
// without waiting (seedcoretest.Drain does the same in tests).
func Example() {
	type resize struct {
		Width, Height int
	}
	mux := taskqueue.NewMux()
	_ = taskqueue.HandleFunc(mux, "resize", func(_ context.Context, t *store.Task, p resize) (string, error) {
		return fmt.Sprintf("%dx%d for %q", p.Width, p.Height, t.Description), nil
	})

	ctx := context.Background()
	app, err := seedcore.New(ctx, seedcore.Config{Dispatcher: mux})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = app.Shutdown(ctx) }()

	task, _, err := app.Enqueue(ctx, store.NewTask{
		Type:        "resize",
		Description: "thumbnail for ada@example.com",
		Params:      []byte(`{"Width":64,"Height":48}`),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := app.RunDue(ctx); err != nil {
		fmt.Println(err)
		return
	}
	task, _ = app.Store().Get(ctx, task.ID)
	fmt.Println(task.Status, string(task.Result))
	// Output: completed "64x48 for \"thumbnail for [EMAIL_REDACTED]\""
}

// The App's handler mounted in a host application's mux, next to its own
// routes.
func ExampleApp_Handler() {
	app, err := seedcore.New(context.Background(), seedcore.Config{Dispatcher: taskqueue.NewMux()})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "hi") })
	mux.Handle("/", app.Handler())

	req := httptest.NewRequest(http.MethodPost, "/api/v1/tasks",
		strings.NewReader(`{"type":"report","description":"monthly","run_immediately":false}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code, strings.Contains(rec.Body.String(), `"status":"created"`))
	// Output: 201 true
}
