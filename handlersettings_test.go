package seedcore_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/seedcoretest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

// TestHandlerSettings: a Mux handler's WithMaxAttempts and WithPriority
// are the defaults of a task of its type that asks for neither, on both
// stores, through Enqueue and EnqueueMany; a task that names its own
// keeps it.
func TestHandlerSettings(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"memory", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			mux := taskqueue.NewMux()
			noop := taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) { return nil, nil })
			require.NoError(t, mux.Handle("report", noop, taskqueue.WithMaxAttempts(9), taskqueue.WithPriority(42)))
			require.NoError(t, mux.Handle("plain", noop))
			cfg := seedcore.Config{Dispatcher: mux}
			var app *seedcore.App
			if backend == "memory" {
				app = seedcoretest.New(t, cfg)
			} else {
				app = seedcoretest.NewPostgres(t, cfg)
			}
			ctx := context.Background()
			enqueue := func(nt store.NewTask) store.Task {
				t.Helper()
				task, _, err := app.Enqueue(ctx, nt)
				require.NoError(t, err)
				return task
			}
			got := enqueue(store.NewTask{Type: "report"})
			require.Equal(t, 9, got.MaxAttempts)
			require.Equal(t, 42, got.Priority)
			got = enqueue(store.NewTask{Type: "report", MaxAttempts: 2, Priority: 5})
			require.Equal(t, 2, got.MaxAttempts, "a task's own max attempts win")
			require.Equal(t, 5, got.Priority)
			got = enqueue(store.NewTask{Type: "report", KeepPriority: true})
			require.Equal(t, 0, got.Priority, "keep_priority keeps 0")
			got = enqueue(store.NewTask{Type: "plain"})
			require.Equal(t, store.DefaultMaxAttempts, got.MaxAttempts)

			n, err := app.EnqueueMany(ctx, []store.NewTask{{Type: "report"}, {Type: "report", MaxAttempts: 3}})
			require.NoError(t, err)
			require.Equal(t, 2, n)
			page, err := app.Store().List(ctx, store.Filter{Type: "report"})
			require.NoError(t, err)
			attempts := map[int]int{}
			for _, task := range page.Tasks {
				attempts[task.MaxAttempts]++
			}
			require.Equal(t, map[int]int{9: 3, 2: 1, 3: 1}, attempts)
		})
	}
}

// TestBatchAPI: POST /api/v1/tasks/batch creates through the App's
// pipeline (redacted, handler defaults, idempotency keys honoured) and
// reports each task, on both stores.
func TestBatchAPI(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"memory", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			mux := taskqueue.NewMux()
			noop := taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) { return nil, nil })
			require.NoError(t, mux.Handle("report", noop, taskqueue.WithMaxAttempts(9)))
			cfg := seedcore.Config{Dispatcher: mux}
			var app *seedcore.App
			if backend == "memory" {
				app = seedcoretest.New(t, cfg)
			} else {
				app = seedcoretest.NewPostgres(t, cfg)
			}
			srv := httptest.NewServer(app.Handler())
			defer srv.Close()
			resp, b := postJSON(t, srv.URL+"/api/v1/tasks/batch", `{"tasks":[
				{"type":"report","description":"mail ana@example.com","idempotency_key":"r1","run_immediately":false},
				{"type":"report","idempotency_key":"r1"},
				{"type":"report","priority":1000}]}`)
			require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
			var out httpapi.BatchResponse
			require.NoError(t, json.Unmarshal(b, &out))
			require.Equal(t, []int{201, 200, 400}, []int{out.Results[0].Status, out.Results[1].Status, out.Results[2].Status})
			first := out.Results[0].Task
			require.NotContains(t, first.Description, "ana@example.com")
			require.Equal(t, 9, first.MaxAttempts)
			require.Equal(t, first.ID, out.Results[1].Task.ID, "the key's task")
			require.Contains(t, out.Results[2].Error.Message, "priority")
		})
	}
}
