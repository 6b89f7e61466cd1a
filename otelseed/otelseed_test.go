package otelseed_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/otelseed"
	"github.com/seedcore/seedcore/seedcoretest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// telemetry is one test's SDK: spans go to an in-memory recorder, metrics
// to a manual reader.
type telemetry struct {
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	tp     *sdktrace.TracerProvider
	tracer *otelseed.Tracer
}

func newTelemetry(t *testing.T, types interface{ Handles(string) bool }) *telemetry {
	t.Helper()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	tr, err := otelseed.New(otelseed.Config{
		TracerProvider: tp, MeterProvider: mp, Types: types,
		Propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	})
	require.NoError(t, err)
	return &telemetry{spans: spans, reader: reader, tp: tp, tracer: tr}
}

// attemptSpans returns the ended attempt spans of task type typ.
func (tm *telemetry) attemptSpans(typ string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range tm.spans.Ended() {
		if s.Name() == otelseed.SpanName && attr(s.Attributes(), otelseed.AttrType) == typ {
			out = append(out, s)
		}
	}
	return out
}

func attr(kvs []attribute.KeyValue, k attribute.Key) string {
	for _, kv := range kvs {
		if kv.Key == k {
			return kv.Value.Emit()
		}
	}
	return ""
}

// waitSpans waits for n ended attempt spans of typ: the pool ends a span
// right after it hands the outcome to its writer, so it may end just
// after the task's status changes.
func (tm *telemetry) waitSpans(t *testing.T, typ string, n int) []sdktrace.ReadOnlySpan {
	t.Helper()
	require.Eventually(t, func() bool { return len(tm.attemptSpans(typ)) >= n }, 10*time.Second, 2*time.Millisecond,
		"%d attempt spans of %s", n, typ)
	got := tm.attemptSpans(typ)
	require.Len(t, got, n)
	return got
}

const (
	traceID      = "4bf92f3577b34da6a3ce929d0e0e4736"
	parentSpanID = "00f067aa0ba902b7"
	traceparent  = "00-" + traceID + "-" + parentSpanID + "-01"
)

// TestHTTPTraceparentParentsAttempt: a POST to the task API carrying a
// traceparent header enqueues a task whose attempt span, started by a
// worker later, is a child of the caller's span; the dispatcher runs under
// that span. On both stores, so the carrier goes through each.
func TestHTTPTraceparentParentsAttempt(t *testing.T) {
	t.Parallel()
	for _, st := range []struct {
		name string
		new  func(testing.TB, seedcore.Config) *seedcore.App
	}{{"mem", seedcoretest.New}, {"pg", seedcoretest.NewPostgres}} {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			mux := taskqueue.NewMux()
			tm := newTelemetry(t, mux)
			inDispatcher := make(chan trace.SpanContext, 1)
			require.NoError(t, mux.Handle("email", taskqueue.DispatcherFunc(func(ctx context.Context, _ *store.Task) (json.RawMessage, error) {
				inDispatcher <- trace.SpanContextFromContext(ctx)
				return json.RawMessage(`{"sent":true}`), nil
			})))
			app := st.new(t, seedcore.Config{Dispatcher: mux, Tracer: tm.tracer})
			if app == nil {
				return
			}
			seedcoretest.Start(t, app)
			srv := httptest.NewServer(app.Handler())
			t.Cleanup(srv.Close)

			req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/tasks", strings.NewReader(`{"type":"email","description":"send the invoice"}`))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("traceparent", traceparent)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			var task store.Task
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&task))
			require.NoError(t, resp.Body.Close())
			require.Equal(t, http.StatusCreated, resp.StatusCode)
			require.Equal(t, traceparent, task.TraceContext["traceparent"], "the carrier is stored with the task")

			seedcoretest.WaitFor(t, app, task.ID, store.StatusCompleted)
			span := tm.waitSpans(t, "email", 1)[0]
			require.Equal(t, traceID, span.Parent().TraceID().String())
			require.Equal(t, parentSpanID, span.Parent().SpanID().String())
			require.True(t, span.Parent().IsRemote())
			require.Equal(t, traceID, span.SpanContext().TraceID().String(), "the attempt joins the caller's trace")
			require.Equal(t, trace.SpanKindConsumer, span.SpanKind())
			require.Equal(t, "1", attr(span.Attributes(), otelseed.AttrAttempt))
			require.Equal(t, store.DefaultQueue, attr(span.Attributes(), otelseed.AttrQueue))
			require.Equal(t, "complete", attr(span.Attributes(), otelseed.AttrOutcome))
			require.Equal(t, task.ID, attr(span.Attributes(), otelseed.AttrID))
			require.Equal(t, codes.Unset, span.Status().Code)
			require.Equal(t, span.SpanContext(), <-inDispatcher, "the dispatcher runs under the attempt span")
		})
	}
}

// TestAttemptsSpansAndMetrics: every attempt gets its own span, each a
// child of the enqueuing span; a retried attempt ends with the status
// Error described by its outcome and without the error's text; the
// metrics count attempts by type and outcome, with undeclared types as
// "other".
func TestAttemptsSpansAndMetrics(t *testing.T) {
	t.Parallel()
	mux := taskqueue.NewMux()
	tm := newTelemetry(t, mux)
	require.NoError(t, mux.Handle("flaky", taskqueue.DispatcherFunc(func(_ context.Context, task *store.Task) (json.RawMessage, error) {
		if task.Attempts == 1 {
			return nil, errors.New("mailbox maria@example.com is full")
		}
		return json.RawMessage(`1`), nil
	})))
	untyped := taskqueue.Typed(taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
		return json.RawMessage(`1`), nil
	}), "unlisted")
	both := taskqueue.NewMux()
	require.NoError(t, both.Handle("flaky", mux))
	require.NoError(t, both.Handle("unlisted", untyped))
	app := seedcoretest.New(t, seedcore.Config{
		Dispatcher: both, Tracer: tm.tracer,
		RetryPolicy: taskqueue.RetryPolicyFunc(func(int) time.Duration { return 0 }),
	})

	ctx, parent := tm.tp.Tracer("test").Start(context.Background(), "enqueue")
	task, _, err := app.Enqueue(ctx, store.NewTask{Type: "flaky", MaxAttempts: 3})
	require.NoError(t, err)
	_, _, err = app.Enqueue(ctx, store.NewTask{Type: "unlisted"})
	require.NoError(t, err)
	parent.End()
	n, err := seedcoretest.Drain(context.Background(), app)
	require.NoError(t, err)
	require.Equal(t, 3, n)

	spans := tm.attemptSpans("flaky")
	require.Len(t, spans, 2)
	for i, s := range spans {
		require.Equal(t, parent.SpanContext().SpanID(), s.Parent().SpanID(), "attempt %d", i+1)
		require.Equal(t, parent.SpanContext().TraceID(), s.SpanContext().TraceID())
		require.Equal(t, task.ID, attr(s.Attributes(), otelseed.AttrID))
	}
	require.Equal(t, "1", attr(spans[0].Attributes(), otelseed.AttrAttempt))
	require.Equal(t, "retry", attr(spans[0].Attributes(), otelseed.AttrOutcome))
	require.Equal(t, codes.Error, spans[0].Status().Code)
	require.Equal(t, "retry", spans[0].Status().Description)
	require.Equal(t, "2", attr(spans[1].Attributes(), otelseed.AttrAttempt))
	require.Equal(t, "complete", attr(spans[1].Attributes(), otelseed.AttrOutcome))
	for _, s := range tm.spans.Ended() {
		for _, kv := range s.Attributes() {
			require.NotContains(t, kv.Value.Emit(), "maria", "no task text in spans")
		}
		require.NotContains(t, s.Status().Description, "maria")
		require.NotContains(t, s.Name(), task.ID)
		require.Empty(t, s.Events(), "no error events: their text is the dispatcher's")
	}

	var rm metricdata.ResourceMetrics
	require.NoError(t, tm.reader.Collect(context.Background(), &rm))
	counts := map[string]int64{}
	var histCount uint64
	active := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		require.Equal(t, otelseed.ScopeName, sm.Scope.Name)
		for _, m := range sm.Metrics {
			switch data := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range data.DataPoints {
					typ, _ := dp.Attributes.Value(otelseed.AttrType)
					out, _ := dp.Attributes.Value(otelseed.AttrOutcome)
					switch m.Name {
					case "seedcore.attempts":
						counts[typ.AsString()+"/"+out.AsString()] += dp.Value
					case "seedcore.attempts.active":
						active[typ.AsString()] += dp.Value
					}
				}
			case metricdata.Histogram[float64]:
				require.Equal(t, "seedcore.attempt.duration", m.Name)
				require.Equal(t, "s", m.Unit)
				for _, dp := range data.DataPoints {
					histCount += dp.Count
				}
			}
		}
	}
	require.Equal(t, map[string]int64{"flaky/retry": 1, "flaky/complete": 1, "other/complete": 1}, counts)
	require.Equal(t, uint64(3), histCount)
	require.Equal(t, map[string]int64{"flaky": 0, "other": 0}, active, "every attempt that started ended")
}

// TestSnoozeIsNoError: a snoozed attempt ends with the outcome snooze
// and no error status; the snoozed task's next attempt has a span of its
// own.
func TestSnoozeIsNoError(t *testing.T) {
	t.Parallel()
	mux := taskqueue.NewMux()
	tm := newTelemetry(t, mux)
	require.NoError(t, mux.Handle("later", taskqueue.DispatcherFunc(func(_ context.Context, task *store.Task) (json.RawMessage, error) {
		if task.Snoozes == 0 {
			return nil, taskqueue.Snooze(0)
		}
		return json.RawMessage(`1`), nil
	})))
	app := seedcoretest.New(t, seedcore.Config{Dispatcher: mux, Tracer: tm.tracer})
	_, _, err := app.Enqueue(context.Background(), store.NewTask{Type: "later"})
	require.NoError(t, err)
	_, err = seedcoretest.Drain(context.Background(), app)
	require.NoError(t, err)
	spans := tm.attemptSpans("later")
	require.Len(t, spans, 2)
	require.Equal(t, "snooze", attr(spans[0].Attributes(), otelseed.AttrOutcome))
	require.Equal(t, codes.Unset, spans[0].Status().Code)
	require.Equal(t, "complete", attr(spans[1].Attributes(), otelseed.AttrOutcome))
}

// TestPropagatorFields: the carrier keys are the propagator's, in lower
// case, and Inject and Extract round-trip a span context.
func TestPropagatorFields(t *testing.T) {
	t.Parallel()
	tm := newTelemetry(t, nil)
	require.ElementsMatch(t, []string{"traceparent", "tracestate", "baggage"}, tm.tracer.Fields())
	ctx, span := tm.tp.Tracer("test").Start(context.Background(), "x")
	defer span.End()
	c := map[string]string{}
	tm.tracer.Inject(ctx, c)
	require.NotEmpty(t, c["traceparent"])
	require.NoError(t, store.CheckTraceContext(c), "what the propagator writes, the stores accept")
	back := trace.SpanContextFromContext(tm.tracer.Extract(context.Background(), c))
	require.Equal(t, span.SpanContext().TraceID(), back.TraceID())
	require.Equal(t, span.SpanContext().SpanID(), back.SpanID())

	empty := map[string]string{}
	tm.tracer.Inject(context.Background(), empty)
	require.Empty(t, empty, "no trace, no carrier")
}

// TestRemoteExecutorJoinsTrace: with the Tracer as its Propagator, a
// RemoteDispatcher sends the attempt span's context to the executor, so
// the executor's work is a child of the attempt.
func TestRemoteExecutorJoinsTrace(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	executor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("traceparent")
		_, _ = w.Write([]byte(`{"done":true}`))
	}))
	t.Cleanup(executor.Close)
	tm := newTelemetry(t, nil)
	remote, err := taskqueue.NewRemoteDispatcher(taskqueue.RemoteConfig{URL: executor.URL, Client: executor.Client(), Propagator: tm.tracer})
	require.NoError(t, err)
	app := seedcoretest.New(t, seedcore.Config{Dispatcher: taskqueue.Typed(remote, "resize"), Tracer: tm.tracer})

	ctx, parent := tm.tp.Tracer("test").Start(context.Background(), "upload")
	_, _, err = app.Enqueue(ctx, store.NewTask{Type: "resize"})
	require.NoError(t, err)
	parent.End()
	n, err := seedcoretest.Drain(context.Background(), app)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	attempt := tm.attemptSpans("resize")[0]
	sent := trace.SpanContextFromContext(tm.tracer.Extract(context.Background(), map[string]string{"traceparent": <-got}))
	require.Equal(t, parent.SpanContext().TraceID(), sent.TraceID(), "the executor's request is in the caller's trace")
	require.Equal(t, attempt.SpanContext().SpanID(), sent.SpanID(), "and names the attempt span as its parent")
}
