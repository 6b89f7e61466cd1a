package metrics

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// queueCollector reports, at scrape time, the tasks of each declared
// queue by status and whether it is paused, from a store that keeps queue
// state (store.QueueManager). Queues are labelled by name only when
// declared (Options.Queues, [Metrics.DeclareQueues]): a queue named by a
// client alone counts under [OtherLabel], so the label set stays the
// operator's.
type queueCollector struct {
	timeout time.Duration
	store   atomicStore
	max     int

	mu       sync.RWMutex
	declared map[string]bool

	tasks, paused, unhandled *prometheus.Desc
	// handles is the dispatcher's type check, once Metrics.Dispatcher has
	// wrapped one.
	handles atomic.Pointer[func(string) bool]
}

// handledBy makes the unhandled gauge count the ready types d does not
// run (every type is run by a dispatcher marked taskqueue.AnyType).
func (c *queueCollector) handledBy(d taskqueue.Dispatcher) {
	h := func(taskType string) bool {
		types, any, _ := taskqueue.ClaimTypes(d)
		return any || slices.Contains(types, taskType)
	}
	c.handles.Store(&h)
}

func newQueueCollector(timeout time.Duration, max int, queues []string) *queueCollector {
	c := &queueCollector{
		timeout:  timeout,
		max:      max,
		declared: map[string]bool{store.DefaultQueue: true},
		tasks: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "queue_tasks"),
			"Tasks in each declared queue (others under \"other\"), by status, read at scrape time.", []string{"queue", "status"}, nil),
		paused: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "queue_paused"),
			"1 while the declared queue is paused (no process claims its tasks), else 0.", []string{"queue"}, nil),
		unhandled: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "queue_ready_unhandled"),
			"Ready tasks of the declared queue whose type this process's dispatcher does not run (waiting for a handler unless another process runs it), among the queue's store.MaxReadyTypes largest ready types.",
			[]string{"queue"}, nil),
	}
	c.declare(queues...)
	return c
}

// declare adds queue names to label by name, up to max of them; names
// that are not queue names are ignored.
func (c *queueCollector) declare(names ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range names {
		if len(c.declared) >= c.max {
			return
		}
		if store.ValidQueueName(n) {
			c.declared[n] = true
		}
	}
}

func (c *queueCollector) label(name string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.declared[name] {
		return name
	}
	return OtherLabel
}

// Describe implements prometheus.Collector.
func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.tasks
	ch <- c.paused
	ch <- c.unhandled
}

// Collect implements prometheus.Collector. Without a tracked store that
// keeps queue state, or when the store does not answer, it reports
// nothing (seedcore_store_up says whether the store answers).
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	qm, ok := c.store.Load().(store.QueueManager)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	qs, err := qm.Queues(ctx)
	if err != nil {
		return
	}
	counts := map[string]map[store.Status]int{}
	paused := map[string]bool{}
	unhandled := map[string]int{}
	c.mu.RLock()
	for name := range c.declared {
		counts[name] = map[store.Status]int{}
		paused[name] = false
	}
	c.mu.RUnlock()
	for _, q := range qs {
		l := c.label(q.Name)
		if counts[l] == nil {
			counts[l] = map[store.Status]int{}
		}
		for st, n := range q.Counts {
			counts[l][st] += n
		}
		if l != OtherLabel {
			paused[l] = q.Paused
		}
		if h := c.handles.Load(); h != nil {
			for _, tc := range q.ReadyTypes {
				if !(*h)(tc.Type) {
					unhandled[l] += tc.Ready
				}
			}
		}
	}
	for name, byStatus := range counts {
		for _, st := range store.Statuses() {
			ch <- prometheus.MustNewConstMetric(c.tasks, prometheus.GaugeValue, float64(byStatus[st]), name, string(st))
		}
	}
	for name, p := range paused {
		v := 0.0
		if p {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.paused, prometheus.GaugeValue, v, name)
	}
	if c.handles.Load() != nil {
		for name := range counts {
			ch <- prometheus.MustNewConstMetric(c.unhandled, prometheus.GaugeValue, float64(unhandled[name]), name)
		}
	}
}
