package dashboard

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seedcore/seedcore/store"
)

// The chart's sampling.
const (
	// SampleInterval is the width of one chart sample.
	SampleInterval = 10 * time.Second
	// ChartSamples is how many samples the chart shows and the dashboard
	// keeps in memory (ten minutes).
	ChartSamples = 60
	// countsTimeout bounds one Counts poll of [Dashboard.Serve].
	countsTimeout = 5 * time.Second
	// ringSize keeps one sample more than the chart shows: the base of the
	// first count delta.
	ringSize = ChartSamples + 1
)

// sample is one SampleInterval of activity.
type sample struct {
	slot int64 // the sample's start in Unix seconds / 10; 0 when unused
	// From the Observer feed.
	completed int
	failed    int
	runSum    time.Duration
	runN      int
	runMax    time.Duration
	// From the Counts feed: the last count of completed tasks seen.
	hasCount  bool
	doneCount int
}

// metrics is the ring buffer of samples, fed by [Dashboard.Finished] and
// by every Counts read.
type metrics struct {
	mu       sync.Mutex
	ring     [ringSize]sample
	observed bool // Finished has been called at least once

	// gen counts notifier events; live is set while Serve watches them.
	gen  atomic.Uint64
	live atomic.Bool
}

func newMetrics() *metrics { return &metrics{} }

func slotOf(t time.Time) int64 { return t.Unix() / int64(SampleInterval/time.Second) }

// at returns the sample for slot, resetting a stale ring entry. The caller
// holds mu.
func (m *metrics) at(slot int64) *sample {
	s := &m.ring[slot%ringSize]
	if s.slot != slot {
		*s = sample{slot: slot}
	}
	return s
}

// recordCounts notes the count of completed tasks seen at now.
func (m *metrics) recordCounts(now time.Time, counts map[store.Status]int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.at(slotOf(now))
	s.hasCount, s.doneCount = true, counts[store.StatusCompleted]
}

// Claimed does nothing; it lets the dashboard serve as a
// taskqueue.Observer.
func (d *Dashboard) Claimed(*store.Task) {}

// Finished records the end of one attempt for the chart: a completion
// counts towards throughput, and the attempt's run time (ran) towards
// latency. Its signature is taskqueue.Observer's, so the dashboard can be
// given to the worker pool as its Observer (directly or behind a fan-out);
// it never blocks for long and is safe for concurrent use.
//
// Once Finished has been called, the chart's throughput is the completions
// it reported; until then it is derived from the rise of the completed
// count between Counts reads (see [Dashboard.Serve]), and latency is not
// shown.
func (d *Dashboard) Finished(t *store.Task, kind store.OutcomeKind, ran time.Duration, err error) {
	if err != nil {
		return // lease lost: nothing was written
	}
	m := d.metrics
	m.mu.Lock()
	defer m.mu.Unlock()
	m.observed = true
	s := m.at(slotOf(d.cfg.Now()))
	switch {
	case kind == store.OutcomeComplete && (t == nil || !t.CancelRequested):
		s.completed++
	case kind == store.OutcomeFail:
		s.failed++
	}
	if kind == store.OutcomeRelease {
		return // an interrupted attempt says nothing about run time
	}
	s.runSum += ran
	s.runN++
	s.runMax = max(s.runMax, ran)
}

// Serve samples the store until ctx ends, then returns ctx.Err(). Every
// SampleInterval it reads Counts, so the chart has throughput even when
// nobody looks at the dashboard and no Observer feed is wired (counts
// are also sampled on every page view). When Config.Notifier is set it
// also watches the notifications, which lets page refreshes skip the
// store while nothing changes. Its signature is suture.Service's: add the
// dashboard to a supervisor, or run it in a goroutine. Serving is
// optional; without it the chart is fed by page views and Finished only.
// Run one Serve at a time per dashboard.
func (d *Dashboard) Serve(ctx context.Context) error {
	var events <-chan store.Event
	if d.cfg.Notifier != nil {
		ch, unsubscribe := d.cfg.Notifier.Subscribe()
		defer unsubscribe()
		events = ch
		d.metrics.gen.Add(1) // anything may have changed while nobody watched
		d.metrics.live.Store(true)
		defer d.metrics.live.Store(false)
	}
	tick := time.NewTicker(SampleInterval)
	defer tick.Stop()
	d.poll(ctx)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-events:
			d.metrics.gen.Add(1)
		case <-tick.C:
			d.poll(ctx)
		}
	}
}

// poll reads the counts once for the chart.
func (d *Dashboard) poll(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, countsTimeout)
	defer cancel()
	counts, err := d.cfg.Store.Counts(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.cfg.Logger.Warn("dashboard: counts poll failed", slog.String("error", err.Error()))
		}
		return
	}
	d.metrics.recordCounts(d.cfg.Now(), counts)
}

// point is one sample as the chart draws it.
type point struct {
	start      time.Time
	perMinute  float64 // completions per minute; -1 when unknown
	meanRun    time.Duration
	hasLatency bool
}

// series returns the last ChartSamples samples ending with the one that
// holds now, oldest first.
func (m *metrics) series(now time.Time) []point {
	m.mu.Lock()
	defer m.mu.Unlock()
	last := slotOf(now)
	perMin := float64(time.Minute / SampleInterval)
	out := make([]point, ChartSamples)
	prevCount, havePrev := 0, false
	// The sample before the window gives the first delta a base.
	if s := m.ring[(last-ChartSamples)%ringSize]; s.slot == last-ChartSamples && s.hasCount {
		prevCount, havePrev = s.doneCount, true
	}
	for i := range out {
		slot := last - ChartSamples + 1 + int64(i)
		p := point{start: time.Unix(slot*int64(SampleInterval/time.Second), 0).UTC(), perMinute: -1}
		s := m.ring[slot%ringSize]
		if s.slot != slot {
			s = sample{}
		}
		switch {
		case m.observed:
			p.perMinute = float64(s.completed) * perMin
		case s.hasCount && havePrev:
			p.perMinute = float64(max(s.doneCount-prevCount, 0)) * perMin
		}
		if s.hasCount {
			prevCount, havePrev = s.doneCount, true
		}
		if s.runN > 0 {
			p.meanRun, p.hasLatency = s.runSum/time.Duration(s.runN), true
		}
		out[i] = p
	}
	return out
}
