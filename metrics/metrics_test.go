package metrics_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
	"github.com/thejerf/suture/v4"

	"github.com/seedcore/seedcore/eventizer"
	"github.com/seedcore/seedcore/metrics"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
	"github.com/seedcore/seedcore/supervisor"
	"github.com/seedcore/seedcore/taskqueue"
)

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// scrape serves reg through promhttp and parses the exposition text.
func scrape(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/plain")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fams
}

// value returns the value of the sample of family name whose labels are
// exactly labels (counters and gauges), or a histogram's sample count; it
// returns -1 when there is no such sample.
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		match := true
		for _, l := range m.GetLabel() {
			if labels[l.GetName()] != l.GetValue() {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// attempt is one scripted attempt: what the dispatcher does and what the
// pool records.
type attempt struct {
	do    string // ok, retry, permanent, cancel, panic, hang
	kind  store.OutcomeKind
	class string // dispatcher error class; "" for success
}

var (
	okAttempt   = attempt{do: "ok", kind: store.OutcomeComplete}
	retryOnce   = attempt{do: "retry", kind: store.OutcomeRetry, class: metrics.ClassRetry}
	permanent   = attempt{do: "permanent", kind: store.OutcomeFail, class: metrics.ClassPermanent}
	cancelled   = attempt{do: "cancel", kind: store.OutcomeCancel, class: metrics.ClassCancelled}
	panicked    = attempt{do: "panic", kind: store.OutcomeFail, class: metrics.ClassPanic}
	timedOut    = attempt{do: "hang", kind: store.OutcomeFail, class: metrics.ClassTimeout}
	attemptTime = 150 * time.Millisecond
)

// script is the scripted run: each task's type and its attempts in order.
// The last attempt of each ends the task.
var script = []struct {
	typ      string
	attempts []attempt
}{
	{"ok", []attempt{okAttempt}},
	{"ok", []attempt{okAttempt}},
	{"ok", []attempt{okAttempt}},
	{"flaky", []attempt{retryOnce, okAttempt}},
	{"perm", []attempt{permanent}},
	{"cancel", []attempt{cancelled}},
	{"panic", []attempt{panicked}},
	{"slow", []attempt{timedOut}},
}

func scriptDispatcher() taskqueue.Dispatcher {
	plans := map[string][]attempt{}
	for _, s := range script {
		plans[s.typ] = s.attempts
	}
	return taskqueue.AnyType(taskqueue.DispatcherFunc(func(ctx context.Context, t *store.Task) (json.RawMessage, error) {
		a := plans[t.Type][t.Attempts-1]
		switch a.do {
		case "retry":
			return nil, taskqueue.RetryAfter(0, errors.New("try again"))
		case "permanent":
			return nil, taskqueue.Permanent(errors.New("bad input"))
		case "cancel":
			return nil, taskqueue.Cancelled(nil)
		case "panic":
			panic("dispatcher bug")
		case "hang":
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return json.RawMessage(`{}`), nil
	}))
}

func TestScriptedRunCounts(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	ms := memstore.New(memstore.Options{})
	var types []string
	for _, s := range script {
		types = append(types, s.typ)
	}
	m, err := metrics.New(reg, metrics.Options{Store: ms, Types: types})
	require.NoError(t, err)

	pool, err := taskqueue.NewPool(taskqueue.PoolConfig{
		Queue: ms, Notifier: ms, Dispatcher: m.Dispatcher(scriptDispatcher()), Observer: m,
		Timeout: attemptTime, PollInterval: 10 * time.Millisecond, Concurrency: 4,
	})
	require.NoError(t, err)

	ctx := context.Background()
	for _, s := range script {
		task, created, err := ms.Create(ctx, store.NewTask{Type: s.typ, MaxAttempts: len(s.attempts)})
		require.NoError(t, err)
		require.True(t, created)
		m.Created(task)
	}

	runCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- pool.Serve(runCtx) }()
	waitFor(t, 10*time.Second, "every task to end", func() bool {
		c, err := ms.Counts(ctx)
		require.NoError(t, err)
		return c[store.StatusCompleted]+c[store.StatusFailed]+c[store.StatusCancelled] == len(script)
	})
	stop()
	select {
	case <-served:
	case <-time.After(10 * time.Second):
		t.Fatal("the pool did not stop")
	}

	// What the script says the counters must hold.
	type key struct{ metric, typ string }
	want := map[key]float64{}
	classes := map[string]float64{}
	for _, s := range script {
		want[key{"seedcore_tasks_created_total", s.typ}]++
		for _, a := range s.attempts {
			want[key{"seedcore_tasks_claimed_total", s.typ}]++
			want[key{"seedcore_task_attempt_duration_seconds", s.typ}]++
			want[key{"seedcore_task_start_latency_seconds", s.typ}]++
			name := map[store.OutcomeKind]string{
				store.OutcomeComplete: "seedcore_tasks_completed_total",
				store.OutcomeRetry:    "seedcore_tasks_retried_total",
				store.OutcomeFail:     "seedcore_tasks_failed_total",
				store.OutcomeCancel:   "seedcore_tasks_cancelled_total",
			}[a.kind]
			want[key{name, s.typ}]++
			if a.class != "" {
				classes[a.class]++
			}
		}
	}

	fams := scrape(t, reg)
	for k, v := range want {
		require.Equal(t, v, value(fams, k.metric, map[string]string{"type": k.typ}), "%s{type=%q}", k.metric, k.typ)
	}
	// No sample beyond the expected ones in the per-type families.
	for _, name := range []string{"seedcore_tasks_created_total", "seedcore_tasks_claimed_total",
		"seedcore_tasks_completed_total", "seedcore_tasks_retried_total", "seedcore_tasks_failed_total",
		"seedcore_tasks_cancelled_total", "seedcore_task_attempt_duration_seconds"} {
		n := 0
		for k := range want {
			if k.metric == name {
				n++
			}
		}
		require.Len(t, fams[name].GetMetric(), n, name)
	}
	for _, c := range []string{metrics.ClassPermanent, metrics.ClassRetry, metrics.ClassTimeout,
		metrics.ClassPanic, metrics.ClassCancelled, metrics.ClassLeaseLost} {
		require.Equal(t, classes[c], value(fams, "seedcore_dispatcher_errors_total", map[string]string{"class": c}), c)
	}
	require.Nil(t, fams["seedcore_tasks_released_total"], "nothing was released")

	// The timed-out attempt ran for the whole timeout.
	for _, mt := range fams["seedcore_task_attempt_duration_seconds"].GetMetric() {
		if mt.GetLabel()[0].GetValue() == "slow" {
			require.GreaterOrEqual(t, mt.GetHistogram().GetSampleSum(), attemptTime.Seconds())
		}
	}

	// The queue depth gauge agrees with the store.
	counts, err := ms.Counts(ctx)
	require.NoError(t, err)
	require.Equal(t, float64(1), value(fams, "seedcore_store_up", map[string]string{}))
	for _, st := range store.Statuses() {
		require.Equal(t, float64(counts[st]), value(fams, "seedcore_tasks", map[string]string{"status": string(st)}), st)
	}
}

func TestLeaseLostAndStopping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		err    error
		kind   store.OutcomeKind
		reason string
		class  float64
	}{
		{"lease lost", taskqueue.ErrLeaseLost, store.OutcomeRelease, metrics.ClassLeaseLost, 1},
		{"stopping", nil, store.OutcomeRelease, "stopping", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reg := prometheus.NewRegistry()
			m, err := metrics.New(reg, metrics.Options{Types: []string{"t"}})
			require.NoError(t, err)
			m.Finished(&store.Task{Type: "t"}, tc.kind, time.Millisecond, tc.err)
			fams := scrape(t, reg)
			require.Equal(t, float64(1), value(fams, "seedcore_tasks_released_total", map[string]string{"type": "t", "reason": tc.reason}))
			require.Equal(t, tc.class, value(fams, "seedcore_dispatcher_errors_total", map[string]string{"class": metrics.ClassLeaseLost}))
			require.Equal(t, float64(1), value(fams, "seedcore_task_attempt_duration_seconds", map[string]string{"type": "t"}))
		})
	}
}

func TestSnoozed(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{Types: []string{"t"}})
	require.NoError(t, err)
	// A dispatcher's snooze is no dispatcher error; its written outcome is
	// counted as snoozed.
	d := m.Dispatcher(taskqueue.Typed(taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
		return nil, taskqueue.Snooze(time.Minute)
	}), "t"))
	_, err = d.Dispatch(context.Background(), &store.Task{Type: "t"})
	require.ErrorAs(t, err, new(*taskqueue.SnoozeError))
	m.Finished(&store.Task{Type: "t"}, store.OutcomeSnooze, time.Millisecond, nil)
	fams := scrape(t, reg)
	require.Equal(t, float64(1), value(fams, "seedcore_tasks_snoozed_total", map[string]string{"type": "t"}))
	require.Equal(t, float64(0), value(fams, "seedcore_dispatcher_errors_total", map[string]string{"class": metrics.ClassRetry}))
}

func TestStartLatencyUsesStoreTimes(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{Types: []string{"a", "b"}})
	require.NoError(t, err)
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	runAfter := created.Add(time.Minute)
	started := runAfter.Add(3 * time.Second)
	// Due at run_after: latency is 3s.
	m.Claimed(&store.Task{Type: "a", CreatedAt: created, RunAfter: runAfter, StartedAt: &started})
	// Due at creation (run_after earlier): latency is started - created.
	early := created.Add(-time.Hour)
	m.Claimed(&store.Task{Type: "b", CreatedAt: created, RunAfter: early, StartedAt: &started})

	fams := scrape(t, reg)
	sums := map[string]float64{}
	for _, mt := range fams["seedcore_task_start_latency_seconds"].GetMetric() {
		sums[mt.GetLabel()[0].GetValue()] = mt.GetHistogram().GetSampleSum()
	}
	require.InDelta(t, started.Sub(runAfter).Seconds(), sums["a"], 1e-9)
	require.InDelta(t, started.Sub(created).Seconds(), sums["b"], 1e-9)
}

func TestTypeLabelCap(t *testing.T) {
	t.Parallel()
	const limit = 3
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{MaxLabelValues: limit, Types: []string{"a", "b", "c", "d", "e", "f", "\xff\xfe"}})
	require.NoError(t, err)
	types := []string{"a", "b", "c", "d", "e", "a", "\xff\xfe", "f"}
	for _, typ := range types {
		m.Created(store.Task{Type: typ})
	}
	fams := scrape(t, reg)
	got := map[string]float64{}
	for _, mt := range fams["seedcore_tasks_created_total"].GetMetric() {
		got[mt.GetLabel()[0].GetValue()] = mt.GetCounter().GetValue()
	}
	// The first `limit` distinct types keep their name; every other task
	// counts as "other", and nothing is lost.
	require.Len(t, got, limit+1)
	require.Equal(t, float64(2), got["a"])
	require.Equal(t, float64(1), got["b"])
	require.Equal(t, float64(1), got["c"])
	total := 0.0
	for _, v := range got {
		total += v
	}
	require.Equal(t, float64(len(types)), total)
	require.Equal(t, float64(len(types))-got["a"]-got["b"]-got["c"], got[metrics.OtherLabel])
}

func TestTwoRegistries(t *testing.T) {
	t.Parallel()
	r1, r2 := prometheus.NewRegistry(), prometheus.NewRegistry()
	m1, err := metrics.New(r1, metrics.Options{Types: []string{"x"}})
	require.NoError(t, err)
	m2, err := metrics.New(r2, metrics.Options{Types: []string{"x"}})
	require.NoError(t, err)
	m1.Created(store.Task{Type: "x"})
	require.Equal(t, float64(1), value(scrape(t, r1), "seedcore_tasks_created_total", map[string]string{"type": "x"}))
	require.Equal(t, float64(-1), value(scrape(t, r2), "seedcore_tasks_created_total", map[string]string{"type": "x"}), "the second registry is independent")
	m2.Created(store.Task{Type: "x"})
	require.Equal(t, float64(1), value(scrape(t, r2), "seedcore_tasks_created_total", map[string]string{"type": "x"}))

	// A second registration on the same registry fails and leaves the
	// first one intact.
	_, err = metrics.New(r1, metrics.Options{})
	var already prometheus.AlreadyRegisteredError
	require.ErrorAs(t, err, &already)
	require.Equal(t, float64(1), value(scrape(t, r1), "seedcore_tasks_created_total", map[string]string{"type": "x"}))

	_, err = metrics.New(nil, metrics.Options{})
	require.ErrorIs(t, err, metrics.ErrInvalidOptions)
	_, err = metrics.New(prometheus.NewRegistry(), metrics.Options{MaxLabelValues: -1})
	require.ErrorIs(t, err, metrics.ErrInvalidOptions)
}

func TestFailedRegistrationLeavesNothing(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	// Take one of the names so that registration fails part-way.
	clash := prometheus.NewCounter(prometheus.CounterOpts{Name: "seedcore_eventizer_analyses_total", Help: "x"})
	require.NoError(t, reg.Register(clash))
	_, err := metrics.New(reg, metrics.Options{})
	require.Error(t, err)
	fams, err := reg.Gather()
	require.NoError(t, err)
	require.Len(t, fams, 1, "only the clashing counter remains")
	require.Equal(t, "seedcore_eventizer_analyses_total", fams[0].GetName())
}

func TestAnalyzed(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{})
	require.NoError(t, err)
	an, err := eventizer.New(eventizer.Options{})
	require.NoError(t, err)
	res := an.Analyze("Guest in room 12 wrote from ana@example.com and bob@example.org, server 10.0.0.7")
	m.Analyzed(res)

	kinds := map[string]float64{}
	for _, f := range res.Findings {
		kinds[string(f.Kind)]++
	}
	require.NotEmpty(t, kinds)
	fams := scrape(t, reg)
	for k, n := range kinds {
		require.Equal(t, n, value(fams, "seedcore_eventizer_findings_total", map[string]string{"kind": k}), k)
	}
	require.Equal(t, float64(1), value(fams, "seedcore_eventizer_analyses_total", map[string]string{}))
	require.Equal(t, float64(1), value(fams, "seedcore_eventizer_analysis_duration_seconds", map[string]string{}))
	for _, mt := range fams["seedcore_eventizer_findings_total"].GetMetric() {
		require.NotContains(t, mt.String(), "example.com", "no label holds text")
	}
}

// TestParamsAnalyzed: findings in redacted params count in the same
// findings counter as a description's, by kind; the kind of a finding
// beyond eventizer.MaxJSONFindings is not listed, so it counts as other,
// as does a kind the metrics do not know. No label holds client text.
func TestParamsAnalyzed(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{})
	require.NoError(t, err)
	an, err := eventizer.New(eventizer.Options{})
	require.NoError(t, err)
	pr, err := an.RedactJSON([]byte(`{"to": "ana@example.com", "cc": ["bob@example.org"], "ana@example.net": 1}`))
	require.NoError(t, err)
	require.Equal(t, 3, pr.Count())
	m.ParamsAnalyzed(pr)
	m.ParamsAnalyzed(eventizer.JSONResult{
		Findings: []eventizer.JSONFinding{{Kind: eventizer.KindIBAN, Path: ".iban"}, {Kind: "client text", Path: ".x"}},
		Omitted:  4,
	})

	fams := scrape(t, reg)
	require.Equal(t, float64(3), value(fams, "seedcore_eventizer_findings_total", map[string]string{"kind": "email"}))
	require.Equal(t, float64(1), value(fams, "seedcore_eventizer_findings_total", map[string]string{"kind": "iban"}))
	require.Equal(t, float64(5), value(fams, "seedcore_eventizer_findings_total", map[string]string{"kind": metrics.OtherLabel}))
	require.Zero(t, value(fams, "seedcore_eventizer_analyses_total", map[string]string{}), "analyses count descriptions")
	for _, mt := range fams["seedcore_eventizer_findings_total"].GetMetric() {
		require.NotContains(t, mt.String(), "example", "no label holds text")
		require.NotContains(t, mt.String(), "client text", "no label holds text")
	}
}

func TestRescued(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{})
	require.NoError(t, err)
	var onRescue func(int) = m.Rescued // fits taskqueue.RescuerConfig.OnRescue
	for _, n := range []int{2, 0, 3} {
		onRescue(n)
	}
	require.Equal(t, float64(5), value(scrape(t, reg), "seedcore_tasks_rescued_total", map[string]string{}))
}

// failingStore answers Counts with an error.
type failingStore struct{ store.Store }

func (failingStore) Counts(context.Context) (map[store.Status]int, error) {
	return nil, errors.New("database down")
}

func TestQueueDepth(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{CountsTimeout: time.Second})
	require.NoError(t, err)
	require.Nil(t, scrape(t, reg)["seedcore_tasks"], "no store tracked: no gauge")

	ms := memstore.New(memstore.Options{})
	ctx := context.Background()
	_, _, err = ms.Create(ctx, store.NewTask{Type: "a"})
	require.NoError(t, err)
	_, _, err = ms.Create(ctx, store.NewTask{Type: "a", Hold: true})
	require.NoError(t, err)
	m.TrackStore(ms)
	fams := scrape(t, reg)
	require.Equal(t, float64(1), value(fams, "seedcore_tasks", map[string]string{"status": "queued"}))
	require.Equal(t, float64(1), value(fams, "seedcore_tasks", map[string]string{"status": "created"}))
	require.Equal(t, float64(0), value(fams, "seedcore_tasks", map[string]string{"status": "completed"}))

	m.TrackStore(failingStore{ms})
	fams = scrape(t, reg)
	require.Equal(t, float64(0), value(fams, "seedcore_store_up", map[string]string{}))
	require.Nil(t, fams["seedcore_tasks"])
}

// flaky fails (returning an error, or panicking) its first `fails` runs,
// then runs until stopped.
type flaky struct {
	fails int
	panic bool
	runs  atomic.Int32
}

func (f *flaky) Serve(ctx context.Context) error {
	if int(f.runs.Add(1)) <= f.fails {
		if f.panic {
			panic("service bug")
		}
		return errors.New("service failed")
	}
	<-ctx.Done()
	return ctx.Err()
}

// TestSupervisorEvents: a real supervisor whose services fail and panic,
// with OnEvent subscribed and a logger that discards everything, has its
// restarts and backoff counted from the typed events.
func TestSupervisorEvents(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{})
	require.NoError(t, err)
	erring, panicky := &flaky{fails: 2}, &flaky{fails: 1, panic: true}
	failures := erring.fails + panicky.fails
	sup, err := supervisor.New(supervisor.Config{
		Name:             "tree",
		OnEvent:          m.SupervisorEvent,
		FailureThreshold: float64(failures - 1), // the last failure crosses it: one backoff
		FailureBackoff:   20 * time.Millisecond,
		BackoffJitter:    &suture.NoJitter{},
	})
	require.NoError(t, err)
	require.NoError(t, sup.Add("erring", erring))
	require.NoError(t, sup.Add("panicky", panicky))

	ctx, cancel := context.WithCancel(context.Background())
	done := sup.ServeBackground(ctx)
	restarts := func() float64 {
		fams := scrape(t, reg)
		return value(fams, "seedcore_supervisor_restarts_total", map[string]string{"service": "erring", "reason": "error"}) +
			value(fams, "seedcore_supervisor_restarts_total", map[string]string{"service": "panicky", "reason": "panic"})
	}
	waitFor(t, 10*time.Second, "every failure to be counted and both services to run again", func() bool {
		return restarts() == float64(failures) && int(erring.runs.Load()) > erring.fails && int(panicky.runs.Load()) > panicky.fails
	})
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the supervisor did not stop")
	}

	fams := scrape(t, reg)
	require.Equal(t, float64(erring.fails), value(fams, "seedcore_supervisor_restarts_total", map[string]string{"service": "erring", "reason": "error"}))
	require.Equal(t, float64(panicky.fails), value(fams, "seedcore_supervisor_restarts_total", map[string]string{"service": "panicky", "reason": "panic"}))
	require.Equal(t, float64(1), value(fams, "seedcore_supervisor_backoffs_total", map[string]string{"supervisor": "tree"}))
}

// TestSupervisorEventKinds: each event kind is counted where it belongs,
// by its typed fields, and the other kinds are not counted.
func TestSupervisorEventKinds(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{})
	require.NoError(t, err)
	for _, ev := range []supervisor.Event{
		{Kind: supervisor.EventStarting, Supervisor: "app", Count: 2},
		{Kind: supervisor.EventServiceStarted, Supervisor: "app", Service: "workers", Starts: 1},
		{Kind: supervisor.EventServiceFailed, Supervisor: "app", Service: "workers", Err: errors.New("x")},
		{Kind: supervisor.EventServiceFailed, Supervisor: "app", Service: "workers", Err: errors.New("y")},
		{Kind: supervisor.EventServicePanicked, Supervisor: "app", Service: "rescuer", Panic: "boom"},
		{Kind: supervisor.EventBackoff, Supervisor: "app"},
		{Kind: supervisor.EventResumed, Supervisor: "app"},
		{Kind: supervisor.EventServiceFinished, Supervisor: "app", Service: "once"},
		{Kind: supervisor.EventStopTimeout, Supervisor: "app", Service: "workers"},
		{Kind: supervisor.EventUnstopped, Supervisor: "app", Services: []string{"workers"}},
		{Kind: supervisor.EventStopped, Supervisor: "app"},
	} {
		m.SupervisorEvent(ev)
	}
	fams := scrape(t, reg)
	require.Equal(t, float64(2), value(fams, "seedcore_supervisor_restarts_total", map[string]string{"service": "workers", "reason": "error"}))
	require.Equal(t, float64(1), value(fams, "seedcore_supervisor_restarts_total", map[string]string{"service": "rescuer", "reason": "panic"}))
	require.Len(t, fams["seedcore_supervisor_restarts_total"].GetMetric(), 2, "no other service or reason")
	require.Equal(t, float64(1), value(fams, "seedcore_supervisor_backoffs_total", map[string]string{"supervisor": "app"}))
	require.Len(t, fams["seedcore_supervisor_backoffs_total"].GetMetric(), 1)
}

func ExampleNew() {
	reg := prometheus.NewRegistry()
	// Task types are labels only when declared: here by Options.Types; a
	// taskqueue.Mux given to m.Dispatcher declares its own.
	m, err := metrics.New(reg, metrics.Options{Types: []string{"email"}})
	if err != nil {
		panic(err)
	}
	ms := memstore.New(memstore.Options{})
	m.TrackStore(ms)
	task, _, _ := ms.Create(context.Background(), store.NewTask{Type: "email"})
	m.Created(task)

	// Serve reg with promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, "seedcore_tasks_created_total") || strings.HasPrefix(line, `seedcore_tasks{status="queued"}`) {
			fmt.Println(line)
		}
	}
	// Output:
	// seedcore_tasks{status="queued"} 1
	// seedcore_tasks_created_total{type="email"} 1
}

// TestDefaultBucketsAreCopies: changing the slices the bucket defaults
// return changes no later registry's histograms.
func TestDefaultBucketsAreCopies(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]func() []float64{
		"task": metrics.DefaultTaskBuckets, "analysis": metrics.DefaultAnalysisBuckets,
	} {
		first := f()
		want := append([]float64(nil), first...)
		for i := range first {
			first[i] = -1
		}
		require.Equal(t, want, f(), name)
	}
}

func TestQueueGauges(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	ms := memstore.New(memstore.Options{})
	m, err := metrics.New(reg, metrics.Options{Store: ms, Queues: []string{"mail", "not a queue"}})
	require.NoError(t, err)
	m.DeclareQueues("images")
	ctx := context.Background()
	for _, q := range []string{"mail", "mail", "", "client-made-up-1", "client-made-up-2"} {
		_, _, err := ms.Create(ctx, store.NewTask{Type: "t", Queue: q})
		require.NoError(t, err)
	}
	require.NoError(t, ms.SetQueuePaused(ctx, "mail", true))
	require.NoError(t, ms.SetQueuePaused(ctx, "client-made-up-3", true))
	values := func(name string) map[string]float64 {
		out := map[string]float64{}
		fam := scrape(t, reg)[name]
		require.NotNil(t, fam, name)
		for _, mt := range fam.GetMetric() {
			key := ""
			for _, l := range mt.GetLabel() {
				key += l.GetValue() + "/"
			}
			out[key] = mt.GetGauge().GetValue()
		}
		return out
	}
	tasks := values("seedcore_queue_tasks")
	require.Len(t, tasks, 4*len(store.Statuses()), "default, mail, images and other: %v", tasks)
	require.Equal(t, 2.0, tasks["mail/queued/"])
	require.Equal(t, 2.0, tasks["other/queued/"])
	require.Equal(t, 1.0, tasks["default/queued/"])
	require.Equal(t, 0.0, tasks["images/queued/"])
	require.Equal(t, map[string]float64{"default/": 0, "images/": 0, "mail/": 1}, values("seedcore_queue_paused"))
	require.Nil(t, scrape(t, reg)["seedcore_queue_ready_unhandled"], "no dispatcher, no gauge")
	mux := taskqueue.NewMux()
	require.NoError(t, mux.Handle("handled", taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) { return nil, nil })))
	m.Dispatcher(mux)
	_, _, err = ms.Create(ctx, store.NewTask{Type: "handled", Queue: "mail"})
	require.NoError(t, err)
	require.Equal(t, map[string]float64{"default/": 1, "images/": 0, "mail/": 2, "other/": 2}, values("seedcore_queue_ready_unhandled"))
}
