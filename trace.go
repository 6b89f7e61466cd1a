package seedcore

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"slices"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// withTrace gives t the trace context of ctx, through Config.Tracer, when
// t carries none of its own.
func (a *App) withTrace(ctx context.Context, t store.NewTask) store.NewTask {
	if t.TraceContext == nil {
		t.TraceContext = a.traceCarrier(ctx)
	}
	return t
}

// traceCarrier returns the trace context Config.Tracer injects for ctx,
// cut to what the stores accept, or nil.
func (a *App) traceCarrier(ctx context.Context) map[string]string {
	if a.cfg.Tracer == nil {
		return nil
	}
	c := make(map[string]string, 2)
	a.cfg.Tracer.Inject(ctx, c)
	return fitTraceContext(ctx, c, a.log)
}

// fitTraceContext returns c when the stores accept it. Otherwise it drops
// the entries they refuse and then, largest first, those past the size
// limits (a large baggage before the traceparent), so tracing never costs
// an enqueue: the carrier is the propagator's, not the caller's input.
func fitTraceContext(ctx context.Context, c map[string]string, log *slog.Logger) map[string]string {
	if len(c) == 0 {
		return nil
	}
	if store.CheckTraceContext(c) == nil {
		return c
	}
	keys := make([]string, 0, len(c))
	for k, v := range c {
		if store.CheckTraceContext(map[string]string{k: v}) == nil {
			keys = append(keys, k)
		}
	}
	// Smallest first; the tail is dropped until the rest fits.
	slices.SortFunc(keys, func(x, y string) int {
		return cmp.Or(cmp.Compare(len(x)+len(c[x]), len(y)+len(c[y])), cmp.Compare(x, y))
	})
	out := make(map[string]string, len(keys))
	total := 0
	for _, k := range keys {
		n := len(k) + len(c[k])
		if len(out) == store.MaxTraceContextEntries || total+n > store.MaxTraceContextBytes {
			break
		}
		out[k] = c[k]
		total += n
	}
	log.DebugContext(ctx, "trace context cut to the stores' limits",
		slog.Int("entries", len(c)), slog.Int("kept", len(out)))
	if len(out) == 0 {
		return nil
	}
	return out
}

// traceRequests gives each request that carries trace headers but no
// trace in its context (no tracing middleware ran before) the trace of
// its headers, so a task it enqueues joins the caller's trace.
func traceRequests(tr taskqueue.TracePropagator, next http.Handler) http.Handler {
	fields := tr.Fields()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var carrier map[string]string
		for _, f := range fields {
			if v := r.Header.Get(f); v != "" {
				if carrier == nil {
					carrier = make(map[string]string, len(fields))
				}
				carrier[f] = v
			}
		}
		if carrier != nil {
			probe := make(map[string]string, 2)
			tr.Inject(r.Context(), probe)
			if len(probe) == 0 {
				r = r.WithContext(tr.Extract(r.Context(), carrier))
			}
		}
		next.ServeHTTP(w, r)
	})
}
