package otelseed

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// ScopeName is the instrumentation scope of the spans and instruments.
const ScopeName = "github.com/seedcore/seedcore/otelseed"

// SpanName is the name of every attempt span.
const SpanName = "seedcore.attempt"

// Attribute keys of the spans and the metrics.
const (
	AttrType    = attribute.Key("seedcore.task.type")
	AttrQueue   = attribute.Key("seedcore.task.queue")
	AttrID      = attribute.Key("seedcore.task.id")
	AttrAttempt = attribute.Key("seedcore.task.attempt")
	AttrOutcome = attribute.Key("seedcore.task.outcome")
)

// OtherType is the seedcore.task.type of a metric for a type that
// [Config.Types] does not handle.
const OtherType = "other"

// ErrInvalidConfig is wrapped by the errors of [New].
var ErrInvalidConfig = errors.New("otelseed: invalid config")

// Config configures a [Tracer]. The zero value uses OpenTelemetry's
// global providers and propagator.
type Config struct {
	// MeterProvider makes the instruments. Default otel.GetMeterProvider().
	MeterProvider metric.MeterProvider
	// Propagator stores the trace context with a task and restores it for
	// each attempt, and reads it from API request headers. Default
	// otel.GetTextMapPropagator(), which propagates nothing until the
	// program sets one (propagation.TraceContext{}, say).
	Propagator propagation.TextMapPropagator
	// TracerProvider makes the attempt spans. Default
	// otel.GetTracerProvider().
	TracerProvider trace.TracerProvider
	// Types names the task types that may be metric attributes: a
	// *taskqueue.Mux, or any taskqueue.TypedDispatcher. Default nil: every
	// type counts as "other" in the metrics (spans always carry the type).
	Types interface{ Handles(taskType string) bool }
}

// Tracer implements taskqueue.Tracer with OpenTelemetry. It is safe for
// concurrent use.
type Tracer struct {
	prop     propagation.TextMapPropagator
	fields   []string
	tracer   trace.Tracer
	types    interface{ Handles(string) bool }
	attempts metric.Int64Counter
	duration metric.Float64Histogram
	active   metric.Int64UpDownCounter
}

var _ taskqueue.Tracer = (*Tracer)(nil)

// durationBuckets are the histogram's bounds in seconds: from a few
// milliseconds to the ten-minute attempts a long task timeout allows.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}

// New returns a Tracer. Its error wraps [ErrInvalidConfig] when an
// instrument cannot be made.
func New(cfg Config) (*Tracer, error) {
	if cfg.TracerProvider == nil {
		cfg.TracerProvider = otel.GetTracerProvider()
	}
	if cfg.MeterProvider == nil {
		cfg.MeterProvider = otel.GetMeterProvider()
	}
	if cfg.Propagator == nil {
		cfg.Propagator = otel.GetTextMapPropagator()
	}
	meter := cfg.MeterProvider.Meter(ScopeName)
	tr := &Tracer{
		prop:   cfg.Propagator,
		tracer: cfg.TracerProvider.Tracer(ScopeName),
		types:  cfg.Types,
	}
	var err error
	if tr.attempts, err = meter.Int64Counter("seedcore.attempts",
		metric.WithDescription("Task attempts ended, by type and outcome."),
		metric.WithUnit("{attempt}")); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if tr.duration, err = meter.Float64Histogram("seedcore.attempt.duration",
		metric.WithDescription("How long the dispatcher ran an attempt, by type and outcome."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(durationBuckets...)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if tr.active, err = meter.Int64UpDownCounter("seedcore.attempts.active",
		metric.WithDescription("Task attempts running, by type."),
		metric.WithUnit("{attempt}")); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return tr, nil
}

// Inject writes the trace context of ctx into carrier with the
// propagator; it implements taskqueue.TracePropagator.
func (tr *Tracer) Inject(ctx context.Context, carrier map[string]string) {
	tr.prop.Inject(ctx, propagation.MapCarrier(carrier))
}

// Extract returns ctx with the trace context carrier holds; it implements
// taskqueue.TracePropagator.
func (tr *Tracer) Extract(ctx context.Context, carrier map[string]string) context.Context {
	return tr.prop.Extract(ctx, propagation.MapCarrier(carrier))
}

// Fields returns the propagator's carrier keys in lower case; it
// implements taskqueue.TracePropagator.
func (tr *Tracer) Fields() []string {
	fs := tr.prop.Fields()
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = strings.ToLower(f)
	}
	return out
}

// metricType is the seedcore.task.type of t's metrics.
func (tr *Tracer) metricType(taskType string) string {
	if tr.types != nil && tr.types.Handles(taskType) {
		return taskType
	}
	return OtherType
}

// StartAttempt starts the attempt's span as a child of the trace context
// stored with t and returns the context carrying it; the returned
// function ends the span and records the metrics. It implements
// taskqueue.AttemptTracer.
func (tr *Tracer) StartAttempt(ctx context.Context, t *store.Task) (context.Context, func(taskqueue.AttemptEnd)) {
	if len(t.TraceContext) > 0 {
		ctx = tr.prop.Extract(ctx, propagation.MapCarrier(t.TraceContext))
	}
	attrs := []attribute.KeyValue{
		attribute.String("messaging.system", "seedcore"),
		AttrType.String(t.Type),
		AttrID.String(t.ID),
		AttrAttempt.Int(t.Attempts),
	}
	if t.Queue != "" {
		attrs = append(attrs, AttrQueue.String(t.Queue))
	}
	ctx, span := tr.tracer.Start(ctx, SpanName,
		trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attrs...))
	mtype := AttrType.String(tr.metricType(t.Type))
	typ := metric.WithAttributeSet(attribute.NewSet(mtype))
	tr.active.Add(ctx, 1, typ)
	return ctx, func(e taskqueue.AttemptEnd) {
		outcome := AttrOutcome.String(string(e.Outcome))
		span.SetAttributes(outcome)
		switch {
		case e.LeaseLost:
			span.SetStatus(codes.Error, "lease lost")
		case e.Panicked:
			span.SetStatus(codes.Error, "panic")
		case e.Outcome == store.OutcomeRetry || e.Outcome == store.OutcomeFail:
			span.SetStatus(codes.Error, string(e.Outcome))
		}
		span.End()
		attrs := metric.WithAttributeSet(attribute.NewSet(mtype, outcome))
		tr.active.Add(ctx, -1, typ)
		tr.attempts.Add(ctx, 1, attrs)
		tr.duration.Record(ctx, e.Ran.Seconds(), attrs)
	}
}
