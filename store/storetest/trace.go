package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

// traceParent is a W3C traceparent header value.
const traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

// traceInputs are the trace contexts of the input contract's edge cases
// (see store.CheckTraceContext); they join edgeInputs.
func traceInputs() []edgeInput {
	tc := func(c map[string]string) store.NewTask { return store.NewTask{Type: "t", TraceContext: c} }
	many := func(n int) map[string]string {
		c := map[string]string{}
		for i := range n {
			c["k"+string(rune('a'+i))] = "v"
		}
		return c
	}
	// One key and value of MaxTraceContextBytes in all, and one byte more.
	full := map[string]string{"baggage": strings.Repeat("b", store.MaxTraceContextBytes-len("baggage"))}
	over := map[string]string{"baggage": strings.Repeat("b", store.MaxTraceContextBytes-len("baggage")+1)}
	return []edgeInput{
		{"trace_context empty map", tc(map[string]string{}), true},
		{"trace_context w3c", tc(map[string]string{"traceparent": traceParent, "tracestate": "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"}), true},
		{"trace_context b3 and jaeger keys", tc(map[string]string{"x-b3-traceid": "463ac35c9f6413ad", "uber-trace-id": "a:b:0:1", "ot.span_id": "1"}), true},
		{"trace_context most entries", tc(many(store.MaxTraceContextEntries)), true},
		{"trace_context too many entries", tc(many(store.MaxTraceContextEntries + 1)), false},
		{"trace_context largest", tc(full), true},
		{"trace_context too large", tc(over), false},
		{"trace_context longest key", tc(map[string]string{strings.Repeat("k", store.MaxTraceContextKeyLen): "v"}), true},
		{"trace_context key too long", tc(map[string]string{strings.Repeat("k", store.MaxTraceContextKeyLen+1): "v"}), false},
		{"trace_context empty key", tc(map[string]string{"": "v"}), false},
		{"trace_context upper-case key", tc(map[string]string{"Traceparent": traceParent}), false},
		{"trace_context key leading dash", tc(map[string]string{"-a": "v"}), false},
		{"trace_context key space", tc(map[string]string{"trace parent": "v"}), false},
		{"trace_context empty value", tc(map[string]string{"traceparent": ""}), false},
		{"trace_context value newline", tc(map[string]string{"traceparent": "a\r\nx-evil: 1"}), false},
		{"trace_context value NUL", tc(map[string]string{"traceparent": "a\x00"}), false},
		{"trace_context value non-ASCII", tc(map[string]string{"baggage": "user=é"}), false},
		{"trace_context value invalid UTF-8", tc(map[string]string{"baggage": "\xff"}), false},
	}
}

func testTraceContext(t *testing.T, s *suite) {
	t.Parallel()
	want := map[string]string{"traceparent": traceParent, "tracestate": "rojo=00f067aa0ba902b7"}

	t.Run("StoredAndReturned", func(t *testing.T) {
		ctx, b := s.fresh(t)
		given := map[string]string{"traceparent": traceParent, "tracestate": "rojo=00f067aa0ba902b7"}
		task := mustCreate(t, ctx, b, store.NewTask{TraceContext: given})
		require.Equal(t, want, task.TraceContext, "Create returns it")
		given["traceparent"] = "changed by the caller"
		task.TraceContext["tracestate"] = "changed by the reader"
		require.Equal(t, want, mustGet(t, ctx, b, task.ID).TraceContext, "the store keeps its own copy")

		plain := mustCreate(t, ctx, b, store.NewTask{})
		require.Nil(t, plain.TraceContext)
		require.Nil(t, mustGet(t, ctx, b, plain.ID).TraceContext)
		empty := mustCreate(t, ctx, b, store.NewTask{TraceContext: map[string]string{}})
		require.Nil(t, mustGet(t, ctx, b, empty.ID).TraceContext, "an empty carrier is none")

		var listed int
		for _, x := range listAll(t, ctx, b, store.Filter{Limit: store.MaxListLimit}) {
			if x.ID == task.ID {
				listed++
				require.Equal(t, want, x.TraceContext, "List returns it")
			}
		}
		require.Equal(t, 1, listed)
	})

	// Each attempt restores the trace, so a claim must return it, and so
	// must a claim after a retry.
	t.Run("Claim", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := mustCreate(t, ctx, b, store.NewTask{TraceContext: want})
		got := claimID(t, ctx, b, task.ID, "worker-a", time.Minute)
		require.Equal(t, want, got.TraceContext)
	})

	t.Run("CreateMany", func(t *testing.T) {
		ctx, b := s.fresh(t)
		bc := bulk(t, b)
		// Both sizes: backends may take another path for large batches.
		for _, n := range []int{3, 1200} {
			nts := make([]store.NewTask, n)
			for i := range nts {
				nts[i] = store.NewTask{Type: "many", TraceContext: want}
			}
			nts[1].TraceContext = nil
			got, err := bc.CreateMany(ctx, nts)
			require.NoError(t, err)
			require.Equal(t, n, got)
		}
		with, without := 0, 0
		for _, x := range listAll(t, ctx, b, store.Filter{Limit: store.MaxListLimit}) {
			if x.TraceContext == nil {
				without++
				continue
			}
			with++
			require.Equal(t, want, x.TraceContext)
		}
		require.Equal(t, 2, without)
		require.Equal(t, 2+1199, with)
	})
}
