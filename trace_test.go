package seedcore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/seedcoretest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// fakeTrace is a taskqueue.Tracer without a tracing library: a context
// carries its trace as a plain map under traceCtx.
type fakeTrace struct{}

type traceCtx struct{}

func withFakeTrace(ctx context.Context, c map[string]string) context.Context {
	return context.WithValue(ctx, traceCtx{}, c)
}

func (fakeTrace) Inject(ctx context.Context, carrier map[string]string) {
	c, _ := ctx.Value(traceCtx{}).(map[string]string)
	for k, v := range c {
		carrier[k] = v
	}
}

func (fakeTrace) Extract(ctx context.Context, carrier map[string]string) context.Context {
	c := map[string]string{}
	for _, f := range []string{"traceparent", "baggage"} {
		if v, ok := carrier[f]; ok {
			c[f] = v
		}
	}
	if len(c) == 0 {
		return ctx
	}
	return withFakeTrace(ctx, c)
}

func (fakeTrace) Fields() []string { return []string{"traceparent", "baggage"} }

func (fakeTrace) StartAttempt(ctx context.Context, _ *store.Task) (context.Context, func(taskqueue.AttemptEnd)) {
	return ctx, func(taskqueue.AttemptEnd) {}
}

const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

// TestEnqueueStoresTraceContext: each enqueue path stores the trace of its
// context through Config.Tracer; a task's own carrier wins; a carrier past
// the stores' limits is cut, never refused.
func TestEnqueueStoresTraceContext(t *testing.T) {
	t.Parallel()
	app := seedcoretest.New(t, seedcore.Config{Tracer: fakeTrace{}})
	ctx := withFakeTrace(context.Background(), map[string]string{"traceparent": parent})
	want := map[string]string{"traceparent": parent}

	task, _, err := app.Enqueue(ctx, store.NewTask{Type: "a"})
	require.NoError(t, err)
	require.Equal(t, want, task.TraceContext)

	own := map[string]string{"traceparent": "00-11111111111111111111111111111111-2222222222222222-01"}
	task, _, err = app.Enqueue(ctx, store.NewTask{Type: "own", TraceContext: own})
	require.NoError(t, err)
	require.Equal(t, own, task.TraceContext, "the task's own carrier is kept")

	task, _, err = app.Enqueue(context.Background(), store.NewTask{Type: "none"})
	require.NoError(t, err)
	require.Nil(t, task.TraceContext)

	big := withFakeTrace(context.Background(), map[string]string{
		"traceparent": parent,
		"baggage":     strings.Repeat("b", store.MaxTraceContextBytes),
		"Bad-Key":     "dropped",
	})
	task, _, err = app.Enqueue(big, store.NewTask{Type: "big"})
	require.NoError(t, err, "an oversized carrier does not fail the enqueue")
	require.Equal(t, want, task.TraceContext, "what does not fit is dropped, largest first")

	n, err := app.EnqueueMany(ctx, []store.NewTask{{Type: "many"}, {Type: "many"}, {Type: "many", TraceContext: own}})
	require.NoError(t, err)
	require.Equal(t, 3, n)
	tasks := seedcoretest.RequireEnqueued(t, app, store.Filter{Type: "many"})
	var got []map[string]string
	for _, x := range tasks {
		got = append(got, x.TraceContext)
	}
	require.ElementsMatch(t, []map[string]string{want, want, own}, got)
}

// TestAPIStoresRequestTrace: a POST carrying trace headers enqueues a task
// that carries its trace; a request whose context already holds a trace
// (a tracing middleware ran first) keeps that one.
func TestAPIStoresRequestTrace(t *testing.T) {
	t.Parallel()
	app := seedcoretest.New(t, seedcore.Config{Tracer: fakeTrace{}})
	post := func(ctx context.Context, typ string) store.Task {
		t.Helper()
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/api/v1/tasks", strings.NewReader(`{"type":"`+typ+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Traceparent", parent)
		rec := httptest.NewRecorder()
		app.Handler().ServeHTTP(rec, req)
		require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
		return seedcoretest.RequireEnqueued(t, app, store.Filter{Type: typ})[0]
	}
	require.Equal(t, map[string]string{"traceparent": parent}, post(context.Background(), "from-headers").TraceContext)

	server := map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01"}
	require.Equal(t, server, post(withFakeTrace(context.Background(), server), "from-context").TraceContext)
}
