package metrics

import (
	"context"
	"log/slog"

	"github.com/seedcore/seedcore/supervisor"
)

// SlogHandler wraps next so that the supervisor's event records are
// counted as they pass: supervisor.MsgServiceTerminate and
// supervisor.MsgServicePanic in seedcore_supervisor_restarts_total (by
// their "service" attribute, reason error or panic), supervisor.MsgBackoff
// in seedcore_supervisor_backoffs_total (by their "supervisor" attribute).
// Every record still reaches next when next is enabled for its level; the
// supervisor's records are counted even when next would drop them. Give
// the result to the supervisor's logger:
//
//	cfg.Supervisor.Logger = slog.New(m.SlogHandler(logger.Handler()))
func (m *Metrics) SlogHandler(next slog.Handler) slog.Handler {
	return &countingHandler{next: next, m: m}
}

type countingHandler struct {
	next slog.Handler
	m    *Metrics
	// supervisor is the "supervisor" attribute added by WithAttrs, if any.
	supervisor string
}

// The levels of the counted records: MsgServiceTerminate and MsgBackoff
// are Warn, MsgServicePanic is Error.
const countedLevel = slog.LevelWarn

// Enabled implements slog.Handler.
func (h *countingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= countedLevel || h.next.Enabled(ctx, l)
}

// Handle implements slog.Handler.
func (h *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= countedLevel {
		h.count(r)
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h *countingHandler) count(r slog.Record) {
	var reason string
	switch r.Message {
	case supervisor.MsgServiceTerminate:
		reason = "error"
	case supervisor.MsgServicePanic:
		reason = "panic"
	case supervisor.MsgBackoff:
		name := h.supervisor
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "supervisor" {
				name = a.Value.String()
				return false
			}
			return true
		})
		h.m.backoffs.WithLabelValues(h.m.services.label(name)).Inc()
		return
	default:
		return
	}
	var service string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "service" {
			service = a.Value.String()
			return false
		}
		return true
	})
	h.m.restarts.WithLabelValues(h.m.services.label(service), reason).Inc()
}

// WithAttrs implements slog.Handler.
func (h *countingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(attrs)
	for _, a := range attrs {
		if a.Key == "supervisor" {
			c.supervisor = a.Value.String()
		}
	}
	return &c
}

// WithGroup implements slog.Handler.
func (h *countingHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	return &c
}
