package metrics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/metrics"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// typeCounts returns tasks_created_total by type label.
func typeCounts(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	got := map[string]float64{}
	for _, mt := range scrape(t, reg)["seedcore_tasks_created_total"].GetMetric() {
		got[mt.GetLabel()[0].GetValue()] = mt.GetCounter().GetValue()
	}
	return got
}

// TestTypeLabelsOnlyDeclared: a type the dispatcher does not handle is
// counted as "other", never as a label of its own, and any number of them
// cannot push the dispatcher's types into "other".
func TestTypeLabelsOnlyDeclared(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{})
	require.NoError(t, err)
	mux := taskqueue.NewMux()
	noop := taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) { return nil, nil })
	require.NoError(t, mux.Handle("email.send", noop))
	d := m.Dispatcher(mux)
	td, ok := d.(taskqueue.TypedDispatcher)
	require.True(t, ok, "the wrapper of a Mux declares its types")
	require.True(t, td.Handles("email.send"))
	require.False(t, td.Handles("nope"))

	const pii = "pii jane.doe@example.com 10.0.0.1 123-45-6789 AKIAIOSFODNN7EXAMPLE"
	m.Created(store.Task{Type: pii})
	for i := range 110 {
		m.Created(store.Task{Type: fmt.Sprintf("junk-%d", i)})
	}
	m.Created(store.Task{Type: "email.send"})
	m.Claimed(&store.Task{Type: pii})
	m.Finished(&store.Task{Type: pii}, store.OutcomeFail, 0, nil)
	// A type registered after wrapping is declared too.
	require.NoError(t, mux.Handle("report.build", noop))
	m.Created(store.Task{Type: "report.build"})

	require.Equal(t, map[string]float64{"email.send": 1, "report.build": 1, metrics.OtherLabel: 111}, typeCounts(t, reg))
	var text strings.Builder
	fams, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range fams {
		text.WriteString(f.String())
	}
	for _, leak := range []string{"jane", "10.0.0.1", "123-45-6789", "AKIA", "junk"} {
		require.NotContains(t, text.String(), leak)
	}
}

// TestTypeLabelsDeclaredByOptions: without a typed dispatcher, only
// Options.Types are labels.
func TestTypeLabelsDeclaredByOptions(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{Types: []string{"a"}})
	require.NoError(t, err)
	d := m.Dispatcher(taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) { return nil, nil }))
	_, typed := d.(taskqueue.TypedDispatcher)
	require.False(t, typed, "a plain dispatcher's wrapper declares nothing")
	m.Created(store.Task{Type: "a"})
	m.Created(store.Task{Type: "b"})
	require.Equal(t, map[string]float64{"a": 1, metrics.OtherLabel: 1}, typeCounts(t, reg))
}
