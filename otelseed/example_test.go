package otelseed_test

import (
	"context"
	"encoding/json"
	"fmt"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/otelseed"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// A task enqueued inside a span runs, later and in whichever process,
// under an attempt span that is a child of it. A real program gives its
// exporter's TracerProvider (or sets the global one) instead of the
// in-memory recorder.
func Example() {
	ctx := context.Background()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	defer func() { _ = tp.Shutdown(ctx) }()

	mux := taskqueue.NewMux()
	_ = mux.Handle("email", taskqueue.DispatcherFunc(func(ctx context.Context, t *store.Task) (json.RawMessage, error) {
		return json.RawMessage(`{"sent":true}`), nil // ctx carries the attempt span
	}))
	tracer, err := otelseed.New(otelseed.Config{
		TracerProvider: tp,
		Propagator:     propagation.TraceContext{},
		Types:          mux,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	app, err := seedcore.New(ctx, seedcore.Config{Dispatcher: mux, Tracer: tracer})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = app.Shutdown(ctx) }()

	reqCtx, request := tp.Tracer("shop").Start(ctx, "checkout")
	task, _, err := app.Enqueue(reqCtx, store.NewTask{Type: "email", Description: "send the receipt"})
	request.End()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("stored carrier:", len(task.TraceContext["traceparent"]) > 0)

	// A test runs the due tasks at once; a program serves (App.Serve).
	if _, err := app.RunDue(ctx); err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range spans.Ended() {
		if s.Name() != otelseed.SpanName {
			continue
		}
		fmt.Println("span:", s.Name())
		fmt.Println("child of checkout:", s.Parent().SpanID() == request.SpanContext().SpanID())
		for _, kv := range s.Attributes() {
			if kv.Key == otelseed.AttrType || kv.Key == otelseed.AttrAttempt || kv.Key == otelseed.AttrOutcome {
				fmt.Printf("%s=%s\n", kv.Key, kv.Value.Emit())
			}
		}
	}
	// Output:
	// stored carrier: true
	// span: seedcore.attempt
	// child of checkout: true
	// seedcore.task.type=email
	// seedcore.task.attempt=1
	// seedcore.task.outcome=complete
}
