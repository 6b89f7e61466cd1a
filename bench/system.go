package main

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// system is the small adapter both queues are driven through. Every
// method but Started is called from the harness; Started is fed by the
// system's handler.
type system interface {
	// Open connects to dsn (a freshly created database, or "" for an
	// in-memory system), migrates, and builds the client. Workers do not
	// run yet. Each handler calls p.started with the task's key first.
	Open(ctx context.Context, dsn string, p *probe) error
	// InsertMany inserts n no-op tasks in bulk, batch at a time.
	InsertMany(ctx context.Context, n, batch int) error
	// Insert inserts one no-op task in its own transaction and returns its
	// key once committed.
	Insert(ctx context.Context) (string, error)
	// Start starts the workers and returns.
	Start(ctx context.Context) error
	// Completed counts the tasks recorded as completed by the store.
	Completed(ctx context.Context) (int, error)
	// Close stops the workers and closes every connection.
	Close(ctx context.Context) error
}

// spec names a system and how to make one.
type spec struct {
	key  string // the -systems name
	name string // short name used in tables
	pg   bool   // needs a database
	make func() system
}

// probe is what the handlers report to: a count of started handlers and,
// while latency tracking is on, the delay from each insert's commit to its
// handler's start.
type probe struct {
	n atomic.Int64

	track     atomic.Bool
	mu        sync.Mutex
	committed map[string][2]time.Time // insert called and returned, handler not yet seen
	early     map[string]time.Time    // handler seen before the insert returned
	lat       []time.Duration         // from the insert's return
	fromCall  []time.Duration         // from the insert's call
	nEarly    int                     // handlers that started before their insert returned
}

func newProbe() *probe {
	return &probe{committed: map[string][2]time.Time{}, early: map[string]time.Time{}}
}

// started is called by a handler as it begins.
func (p *probe) started(key string) {
	p.n.Add(1)
	if !p.track.Load() {
		return
	}
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.committed[key]; ok {
		delete(p.committed, key)
		p.lat = append(p.lat, max(now.Sub(c[1]), 0))
		p.fromCall = append(p.fromCall, max(now.Sub(c[0]), 0))
		return
	}
	p.early[key] = now
}

// inserted records that key's insert was called at called and returned
// (its commit is done) at t. A handler that already started ran within
// the insert's own round trip: its latency from the return counts as
// zero, as the commit is not seen any earlier.
func (p *probe) inserted(key string, called, t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if h, ok := p.early[key]; ok {
		delete(p.early, key)
		p.nEarly++
		p.lat = append(p.lat, 0)
		p.fromCall = append(p.fromCall, max(h.Sub(called), 0))
		return
	}
	p.committed[key] = [2]time.Time{called, t}
}

// latencies returns the sorted latencies recorded so far, from the
// inserts' returns and from their calls.
func (p *probe) latencies() (fromReturn, fromCall []time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fromReturn, fromCall = slices.Clone(p.lat), slices.Clone(p.fromCall)
	slices.Sort(fromReturn)
	slices.Sort(fromCall)
	return fromReturn, fromCall
}

// measured is how many latencies were recorded.
func (p *probe) measured() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lat)
}

// earlyCount is how many handlers started before their insert returned.
func (p *probe) earlyCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nEarly
}
