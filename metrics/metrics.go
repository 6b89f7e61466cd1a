package metrics

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seedcore/seedcore/eventizer"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// Namespace prefixes every metric name.
const Namespace = "seedcore"

// Defaults of [Options] fields.
const (
	// DefaultMaxLabelValues is the default of Options.MaxLabelValues.
	DefaultMaxLabelValues = 100
	// DefaultCountsTimeout is the default of Options.CountsTimeout.
	DefaultCountsTimeout = 2 * time.Second
)

// OtherLabel is the label value that stands for every task type that is
// not declared (see [Options.Types]), for every task type or service name
// past the cap of [Options.MaxLabelValues], and for values that are not
// valid UTF-8.
const OtherLabel = "other"

// The dispatcher error classes, the values of the "class" label of
// seedcore_dispatcher_errors_total.
const (
	ClassPermanent = "permanent"  // the error wraps taskqueue.ErrPermanent
	ClassRetry     = "retry"      // any other error: the attempt is retried (unless attempts are spent)
	ClassTimeout   = "timeout"    // the attempt ran past its timeout
	ClassPanic     = "panic"      // the dispatcher panicked
	ClassCancelled = "cancelled"  // the task was cancelled, or the dispatcher returned taskqueue.Cancelled
	ClassLeaseLost = "lease_lost" // the worker lost the lease; nothing was written
)

// ErrInvalidOptions is wrapped by [New] for bad Options.
var ErrInvalidOptions = errors.New("metrics: invalid options")

// Options configures [New]. The zero value is usable.
type Options struct {
	// AttemptBuckets are the upper bounds, in seconds, of the attempt
	// duration and start latency histograms. Default [DefaultTaskBuckets]
	// (1ms to 5m).
	AttemptBuckets []float64
	// AnalysisBuckets are the upper bounds, in seconds, of the eventizer
	// analysis histogram. Default [DefaultAnalysisBuckets] (10µs to 100ms).
	AnalysisBuckets []float64
	// CountsTimeout bounds the store.Store.Counts call made at each scrape
	// for the queue depth gauge. Default [DefaultCountsTimeout] (2s).
	CountsTimeout time.Duration
	// MaxLabelValues caps the distinct declared task types (and,
	// separately, the distinct service and supervisor names) used as
	// label values; later ones are counted under [OtherLabel]. Default
	// [DefaultMaxLabelValues] (100).
	MaxLabelValues int
	// Queues are the queues to label by name in seedcore_queue_tasks and
	// seedcore_queue_paused, besides the default queue (a seedcore App
	// declares the queues its workers serve, see [Metrics.DeclareQueues]).
	// Every other queue counts as [OtherLabel]: a queue a client named
	// never becomes a label. At most MaxLabelValues are kept.
	Queues []string
	// Store, when set, is tracked as by [Metrics.TrackStore]. Default nil.
	Store store.Store
	// Types are task types to label by name. The types a
	// taskqueue.TypedDispatcher handles (such as a taskqueue.Mux's) are
	// added when it is wrapped by [Metrics.Dispatcher]. Every other type
	// counts as [OtherLabel], so a type a client made up never becomes a
	// label. Default nil: only the dispatcher's types.
	Types []string
}

// DefaultTaskBuckets are the default histogram bounds, in seconds, of the
// attempt duration and start latency.
func DefaultTaskBuckets() []float64 {
	return []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}
}

// DefaultAnalysisBuckets are the default histogram bounds, in seconds, of
// the eventizer analysis time.
func DefaultAnalysisBuckets() []float64 {
	return []float64{1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, .01, .025, .1}
}

// Metrics records seedcore's Prometheus metrics. Build it with [New]; its
// methods are safe for concurrent use and never block on I/O (only the
// queue depth collector calls the store, at scrape time).
//
// It implements taskqueue.Observer: give it to PoolConfig.Observer (or
// seedcore.Config.Observer).
type Metrics struct {
	types    *typeLabels
	services *limiter

	created, claimed, completed, failed, retried, cancelled *prometheus.CounterVec
	snoozed                                                 *prometheus.CounterVec
	released                                                *prometheus.CounterVec
	rescued                                                 prometheus.Counter
	rescuedLost                                             prometheus.Counter
	leaderChanges                                           *prometheus.CounterVec
	leader                                                  prometheus.Gauge
	dispatchErrors                                          *prometheus.CounterVec
	restarts                                                *prometheus.CounterVec
	backoffs                                                *prometheus.CounterVec
	findings                                                *prometheus.CounterVec
	analyses                                                prometheus.Counter

	attempt  *prometheus.HistogramVec
	latency  *prometheus.HistogramVec
	analysis prometheus.Histogram

	depth  *depthCollector
	queues *queueCollector
}

var _ taskqueue.Observer = (*Metrics)(nil)

// New builds the metrics and registers them on reg, which must not be nil
// (pass prometheus.DefaultRegisterer for the global registry, or a
// prometheus.NewRegistry() of your own). Registering on a registry that
// already holds seedcore's metrics fails: the error wraps the registry's
// (a prometheus.AlreadyRegisteredError) and nothing is left registered.
// Bad options return an error wrapping [ErrInvalidOptions].
func New(reg prometheus.Registerer, opts Options) (*Metrics, error) {
	if reg == nil {
		return nil, fmt.Errorf("%w: nil Registerer", ErrInvalidOptions)
	}
	switch {
	case opts.MaxLabelValues < 0:
		return nil, fmt.Errorf("%w: MaxLabelValues must not be negative", ErrInvalidOptions)
	case opts.CountsTimeout < 0:
		return nil, fmt.Errorf("%w: CountsTimeout must not be negative", ErrInvalidOptions)
	}
	if opts.MaxLabelValues == 0 {
		opts.MaxLabelValues = DefaultMaxLabelValues
	}
	if opts.CountsTimeout == 0 {
		opts.CountsTimeout = DefaultCountsTimeout
	}
	if opts.AttemptBuckets == nil {
		opts.AttemptBuckets = DefaultTaskBuckets()
	}
	if opts.AnalysisBuckets == nil {
		opts.AnalysisBuckets = DefaultAnalysisBuckets()
	}

	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	}
	m := &Metrics{
		types:     newTypeLabels(opts.Types, opts.MaxLabelValues),
		services:  newLimiter(opts.MaxLabelValues),
		created:   counter("tasks_created_total", "Tasks created, by task type.", "type"),
		claimed:   counter("tasks_claimed_total", "Attempts started: tasks claimed by a worker, by task type.", "type"),
		completed: counter("tasks_completed_total", "Attempts that completed the task, by task type.", "type"),
		failed:    counter("tasks_failed_total", "Attempts that failed the task for good, by task type.", "type"),
		retried:   counter("tasks_retried_total", "Attempts that failed and scheduled a retry, by task type.", "type"),
		cancelled: counter("tasks_cancelled_total", "Attempts that ended the task cancelled, by task type.", "type"),
		snoozed:   counter("tasks_snoozed_total", "Attempts that put their task off without spending an attempt (taskqueue.Snooze), by task type.", "type"),
		released: counter("tasks_released_total",
			"Attempts given back uncounted at a hard stop, or abandoned after a lost lease, by task type and reason (stopping, lease_lost).",
			"type", "reason"),
		rescued: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "tasks_rescued_total",
			Help: "Tasks whose lease expired and that the rescuer moved on (to retry, failed or cancelled)."}),
		rescuedLost: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "tasks_rescued_lost_process_total",
			Help: "Running tasks of processes whose session ended (killed, crashed, cut off) that the leader returned to the queue."}),
		leaderChanges: counter("leadership_changes_total",
			"Times this process became the leader (change=gained) or stopped being it (change=lost).", "change"),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "leader",
			Help: "1 while this process is the leader that runs the maintenance services, else 0."}),
		dispatchErrors: counter("dispatcher_errors_total",
			"Failed attempts, by class: permanent, retry, timeout, panic, cancelled, lease_lost.", "class"),
		restarts: counter("supervisor_restarts_total",
			"Supervised services that failed and are restarted (at once or after a backoff), by service and reason (error, panic).",
			"service", "reason"),
		backoffs: counter("supervisor_backoffs_total",
			"Times a supervisor paused all restarts because too many services failed, by supervisor name.", "supervisor"),
		findings: counter("eventizer_findings_total", "PII and secrets found in task descriptions and params, by kind.", "kind"),
		analyses: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "eventizer_analyses_total",
			Help: "Task descriptions analysed by the eventizer."}),
		attempt: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "task_attempt_duration_seconds",
			Help: "How long the dispatcher ran for each attempt, by task type.", Buckets: opts.AttemptBuckets}, []string{"type"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "task_start_latency_seconds",
			Help:    "Time from when a task became due (its run_after, or its creation) to its claim, on the store's clock, by task type.",
			Buckets: opts.AttemptBuckets}, []string{"type"}),
		analysis: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "eventizer_analysis_duration_seconds",
			Help: "How long the eventizer took to analyse one description.", Buckets: opts.AnalysisBuckets}),
		depth:  newDepthCollector(opts.CountsTimeout),
		queues: newQueueCollector(opts.CountsTimeout, opts.MaxLabelValues, opts.Queues),
	}
	// Every finding kind and dispatcher class is present from the start, so
	// a rate over them is defined before the first event.
	for _, k := range findingKinds {
		m.findings.WithLabelValues(string(k))
	}
	for _, c := range []string{ClassPermanent, ClassRetry, ClassTimeout, ClassPanic, ClassCancelled, ClassLeaseLost} {
		m.dispatchErrors.WithLabelValues(c)
	}
	m.leaderChanges.WithLabelValues("gained")
	m.leaderChanges.WithLabelValues("lost")
	if opts.Store != nil {
		m.TrackStore(opts.Store)
	}

	cs := []prometheus.Collector{
		m.created, m.claimed, m.completed, m.failed, m.retried, m.cancelled, m.snoozed, m.released, m.rescued,
		m.rescuedLost, m.leaderChanges, m.leader, m.dispatchErrors, m.restarts, m.backoffs, m.findings, m.analyses,
		m.attempt, m.latency, m.analysis, m.depth, m.queues,
	}
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			for _, done := range cs[:i] {
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("metrics: register: %w", err)
		}
	}
	return m, nil
}

// addKnown declares the task types for which handles returns true.
func (m *Metrics) addKnown(handles func(string) bool) { m.types.add(handles) }

// TrackStore makes the queue depth gauge, seedcore_tasks{status}, report
// s.Counts at each scrape (bounded by Options.CountsTimeout), along with
// seedcore_store_up (1 when Counts answered, 0 when it failed). A later
// call replaces the tracked store; nil stops tracking.
//
// When s keeps queue state (store.QueueManager), seedcore_queue_tasks
// {queue, status} and seedcore_queue_paused{queue} report each declared
// queue too.
func (m *Metrics) TrackStore(s store.Store) {
	m.depth.track(s)
	m.queues.store.Store(s)
}

// DeclareQueues adds queue names to label by name in the queue gauges
// (see Options.Queues). A seedcore App declares the queues its workers
// serve.
func (m *Metrics) DeclareQueues(names ...string) { m.queues.declare(names...) }

// Created counts a task that was created (not one returned again for a
// repeated idempotency key). Call it after store.Store.Create reports
// created == true.
func (m *Metrics) Created(t store.Task) {
	m.created.WithLabelValues(m.types.label(t.Type)).Inc()
}

// Claimed implements taskqueue.Observer: it counts the claim and observes
// the start latency, from max(RunAfter, CreatedAt) to StartedAt, all on
// the store's clock (the local clock stands in when StartedAt is unset).
func (m *Metrics) Claimed(t *store.Task) {
	typ := m.types.label(t.Type)
	m.claimed.WithLabelValues(typ).Inc()
	due := t.RunAfter
	if t.CreatedAt.After(due) {
		due = t.CreatedAt
	}
	if due.IsZero() {
		return
	}
	started := time.Now()
	if t.StartedAt != nil {
		started = *t.StartedAt
	}
	m.latency.WithLabelValues(typ).Observe(max(started.Sub(due), 0).Seconds())
}

// Finished implements taskqueue.Observer: it observes the attempt's
// duration and counts its outcome. An attempt whose lease was lost (err
// wraps taskqueue.ErrLeaseLost) counts as released with reason lease_lost
// and as a dispatcher error of class lease_lost.
func (m *Metrics) Finished(t *store.Task, kind store.OutcomeKind, ran time.Duration, err error) {
	typ := m.types.label(t.Type)
	m.attempt.WithLabelValues(typ).Observe(ran.Seconds())
	if errors.Is(err, taskqueue.ErrLeaseLost) {
		m.released.WithLabelValues(typ, ClassLeaseLost).Inc()
		m.dispatchErrors.WithLabelValues(ClassLeaseLost).Inc()
		return
	}
	switch kind {
	case store.OutcomeComplete:
		m.completed.WithLabelValues(typ).Inc()
	case store.OutcomeFail:
		m.failed.WithLabelValues(typ).Inc()
	case store.OutcomeRetry:
		m.retried.WithLabelValues(typ).Inc()
	case store.OutcomeCancel:
		m.cancelled.WithLabelValues(typ).Inc()
	case store.OutcomeRelease:
		m.released.WithLabelValues(typ, "stopping").Inc()
	case store.OutcomeSnooze:
		m.snoozed.WithLabelValues(typ).Inc()
	}
}

// Rescued counts n tasks moved on by the rescuer. Its signature fits
// taskqueue.RescuerConfig.OnRescue.
func (m *Metrics) Rescued(n int) {
	if n > 0 {
		m.rescued.Add(float64(n))
	}
}

// RescuedLost counts n running tasks of lost processes returned to the
// queue by the leader. Its signature fits taskqueue.MemberConfig.OnRescue.
func (m *Metrics) RescuedLost(n int) {
	if n > 0 {
		m.rescuedLost.Add(float64(n))
	}
}

// LeaderChanged records that this process became the leader (true) or
// stopped being it (false). Its signature fits
// taskqueue.MemberConfig.OnLeaderChange.
func (m *Metrics) LeaderChanged(leading bool) {
	if leading {
		m.leaderChanges.WithLabelValues("gained").Inc()
		m.leader.Set(1)
		return
	}
	m.leaderChanges.WithLabelValues("lost").Inc()
	m.leader.Set(0)
}

// Analyzed counts one eventizer analysis: its findings by kind and its
// processing time. It never looks at the text.
func (m *Metrics) Analyzed(r eventizer.Result) {
	m.analyses.Inc()
	m.analysis.Observe(r.ProcessingTime.Seconds())
	for _, f := range r.Findings {
		m.findings.WithLabelValues(findingLabel(f.Kind)).Inc()
	}
}

// ParamsAnalyzed counts the findings of one redaction of params (or
// another JSON document, eventizer.Analyzer.RedactJSON) in the same
// findings counter as [Metrics.Analyzed], by kind. The findings past
// eventizer.MaxJSONFindings are counted but their kinds are not listed:
// they count as [OtherLabel]. It never looks at the document.
func (m *Metrics) ParamsAnalyzed(r eventizer.JSONResult) {
	for _, f := range r.Findings {
		m.findings.WithLabelValues(findingLabel(f.Kind)).Inc()
	}
	if r.Omitted > 0 {
		m.findings.WithLabelValues(OtherLabel).Add(float64(r.Omitted))
	}
}

// findingKinds are the kinds the eventizer reports; any other counts as
// [OtherLabel].
var findingKinds = []eventizer.Kind{
	eventizer.KindEmail, eventizer.KindPhone, eventizer.KindCard, eventizer.KindIBAN,
	eventizer.KindSSN, eventizer.KindIPv4, eventizer.KindIPv6, eventizer.KindSecret,
}

func findingLabel(k eventizer.Kind) string {
	for _, known := range findingKinds {
		if k == known {
			return string(k)
		}
	}
	return OtherLabel
}

// depthCollector reports the store's counts by status at scrape time.
type depthCollector struct {
	timeout time.Duration
	store   atomicStore
	desc    *prometheus.Desc
	up      *prometheus.Desc
}

func newDepthCollector(timeout time.Duration) *depthCollector {
	return &depthCollector{
		timeout: timeout,
		desc: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "tasks"),
			"Tasks in the store, by status, read at scrape time.", []string{"status"}, nil),
		up: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "store_up"),
			"1 when the store answered the scrape's count of tasks by status, 0 when it did not.", nil, nil),
	}
}

func (c *depthCollector) track(s store.Store) { c.store.Store(s) }

// Describe implements prometheus.Collector.
func (c *depthCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.desc
	ch <- c.up
}

// Collect implements prometheus.Collector. Without a tracked store it
// reports nothing.
func (c *depthCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.store.Load()
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	counts, err := s.Counts(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	for _, st := range store.Statuses() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}
