package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

// Mount the API next to an application's own routes on an existing mux.
// The API's handler is registered at its prefix and at the two health
// paths; it matches full paths, so nothing is stripped in front of it.
func ExampleAPI_Handler() {
	st := memstore.New(memstore.Options{})
	api, err := httpapi.New(httpapi.Config{
		Store:    st,
		Notifier: st,
		// An application would analyse and redact the description here
		// before storing the task.
		Enqueuer: httpapi.EnqueuerFunc(st.Create),
	})
	if err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "hello\n")
	})
	mux.Handle(api.Prefix()+"/", api.Handler())
	mux.Handle("/health", api.Handler())
	mux.Handle("/readyz", api.Handler())

	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/api/v1/tasks", "application/json",
		strings.NewReader(`{"type":"email.send","params":{"to":42},"run_immediately":false}`))
	if err != nil {
		panic(err)
	}
	var task store.Task
	_ = json.NewDecoder(resp.Body).Decode(&task)
	_ = resp.Body.Close()
	fmt.Println(resp.StatusCode, task.Type, task.Status, string(task.Params))

	for _, req := range []struct{ name, path string }{
		{"own route", "/hello"},
		{"liveness", "/health"},
		{"task by id prefix", "/api/v1/tasks/" + task.ID[:8]},
		{"invalid id", "/api/v1/tasks/nope"},
	} {
		resp, err := http.Get(srv.URL + req.path)
		if err != nil {
			panic(err)
		}
		_ = resp.Body.Close()
		fmt.Println(req.name, resp.StatusCode)
	}
	// Output:
	// 201 email.send created {"to":42}
	// own route 200
	// liveness 200
	// task by id prefix 200
	// invalid id 400
}
