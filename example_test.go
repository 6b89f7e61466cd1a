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

// Everything the App serves, mounted under /tasks in a host
// application's mux next to its own routes (and its own /health).
func ExampleApp_Mount() {
	app, err := seedcore.New(context.Background(), seedcore.Config{
		Dispatcher: taskqueue.NewMux(), BasePath: "/tasks", Dashboard: true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = app.Shutdown(context.Background()) }()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "host ok") })
	app.Mount(mux)

	do := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec
	}
	created := do(http.MethodPost, "/tasks/api/v1/tasks", `{"type":"report","description":"monthly","run_immediately":false}`)
	fmt.Println(created.Code, strings.HasPrefix(created.Header().Get("Location"), "/tasks/api/v1/tasks/"))
	fmt.Println(do(http.MethodGet, "/tasks/health", "").Code, do(http.MethodGet, "/tasks/ui/", "").Code)
	fmt.Println(do(http.MethodGet, "/health", "").Body)
	// Output:
	// 201 true
	// 200 200
	// host ok
}

// Many tasks in one store operation (a COPY into PostgreSQL from 1000
// tasks), each redacted as Enqueue redacts: the params keep their shape,
// personal data and secrets do not survive.
func ExampleApp_EnqueueMany() {
	ctx := context.Background()
	app, err := seedcore.New(ctx, seedcore.Config{Dispatcher: taskqueue.NewMux()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = app.Shutdown(ctx) }()
	tasks := []store.NewTask{
		{Type: "mail", Params: []byte(`{"to":"ann@example.com","api_key":"k-123"}`), Hold: true},
		{Type: "mail", Params: []byte(`{"to":"bob@example.com","api_key":"k-456"}`), Hold: true},
	}
	n, err := app.EnqueueMany(ctx, tasks)
	if err != nil {
		fmt.Println(err)
		return
	}
	page, _ := app.Store().List(ctx, store.Filter{Type: "mail"})
	fmt.Println(n, "stored")
	for _, t := range page.Tasks {
		fmt.Println(string(t.Params))
	}
	// Output:
	// 2 stored
	// {"to":"[EMAIL_REDACTED]","api_key":"[SECRET_REDACTED]"}
	// {"to":"[EMAIL_REDACTED]","api_key":"[SECRET_REDACTED]"}
}
