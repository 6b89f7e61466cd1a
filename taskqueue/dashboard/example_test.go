package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
	"github.com/seedcore/seedcore/taskqueue/dashboard"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

// Mount the dashboard beside the task API on one mux, behind the same
// authorization hook.
func Example() {
	st := memstore.New(memstore.Options{})
	authorize := func(r *http.Request) error {
		if r.Header.Get("X-Operator") == "" {
			return httpapi.ErrUnauthorized
		}
		return nil
	}
	api, err := httpapi.New(httpapi.Config{Store: st, Enqueuer: httpapi.EnqueuerFunc(st.Create), Authorize: authorize})
	if err != nil {
		panic(err)
	}
	d, err := dashboard.New(dashboard.Config{Store: st, Notifier: st, Authorize: authorize})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", api.Handler())
	mux.Handle(d.Prefix()+"/", d.Handler())
	// In a real program: go d.Serve(ctx) (or add d to a suture tree) to
	// sample the counts for the chart, and hand d to the worker pool as
	// its taskqueue.Observer for throughput and run time.

	_, _, _ = st.Create(context.Background(), store.NewTask{Type: "email", Hold: true})
	for _, header := range []string{"", "alice"} {
		r := httptest.NewRequest(http.MethodGet, "/ui/tasks?type=email", nil)
		if header != "" {
			r.Header.Set("X-Operator", header)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("Content-Type"))
	}
	// Output:
	// 401 text/html; charset=utf-8
	// 200 text/html; charset=utf-8
}
