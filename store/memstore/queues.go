package memstore

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/seedcore/seedcore/store"
)

var _ store.QueueManager = (*Store)(nil)

// SetQueuePaused pauses or resumes the queue name; see
// [store.QueueManager]. Resuming sends EventReady.
func (s *Store) SetQueuePaused(ctx context.Context, name string, paused bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckQueueName(name); err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	ev := s.events.batch()
	s.mu.Lock()
	if paused {
		s.paused[name] = true
	} else if s.paused[name] {
		delete(s.paused, name)
		ev.ready()
	}
	s.mu.Unlock()
	ev.send()
	return nil
}

// limitState is a limited queue's limits and token bucket.
type limitState struct {
	store.QueueLimits
	tokens   float64
	tokensAt time.Time
}

// allowed returns how many tasks a claim at now may take, with running
// tasks of the queue running, and refills the bucket to now.
func (l *limitState) allowed(now time.Time, running int) int {
	n := math.MaxInt
	if l.MaxRunning > 0 {
		n = max(0, l.MaxRunning-running)
	}
	if l.Rate > 0 {
		if d := now.Sub(l.tokensAt); d > 0 {
			l.tokens = min(float64(l.Burst), l.tokens+l.Rate*d.Seconds())
			l.tokensAt = now
		}
		n = min(n, int(math.Floor(l.tokens)))
	}
	return n
}

// take spends the tokens of n tasks started.
func (l *limitState) take(n int) {
	if l.Rate > 0 {
		l.tokens -= float64(n)
	}
}

// SetQueueLimits sets the queue's limits and fills its bucket; see
// [store.QueueManager].
func (s *Store) SetQueueLimits(ctx context.Context, name string, limits store.QueueLimits) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckQueueName(name); err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	limits, err := limits.Normalize()
	if err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	ev := s.events.batch()
	s.mu.Lock()
	if limits.Limited() {
		s.limits[name] = &limitState{QueueLimits: limits, tokens: float64(limits.Burst), tokensAt: s.clock()}
	} else {
		delete(s.limits, name)
	}
	ev.ready()
	s.mu.Unlock()
	ev.send()
	return nil
}

// Queues returns every queue with tasks or state, sorted by name; see
// [store.QueueManager].
func (s *Store) Queues(ctx context.Context) ([]store.QueueInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.promote(s.clock())
	names := make([]string, 0, len(s.queueCounts)+len(s.paused))
	for name := range s.queueCounts {
		names = append(names, name)
	}
	for name := range s.paused {
		if s.queueCounts[name] == nil {
			names = append(names, name)
		}
	}
	for name := range s.limits {
		if s.queueCounts[name] == nil && !s.paused[name] {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	if len(names) > store.MaxQueues {
		names = names[:store.MaxQueues]
	}
	out := make([]store.QueueInfo, len(names))
	for i, name := range names {
		counts := make(map[store.Status]int, len(store.Statuses()))
		for _, st := range store.Statuses() {
			counts[st] = s.queueCounts[name][st]
		}
		out[i] = store.QueueInfo{Name: name, Paused: s.paused[name], Counts: counts}
		if ls := s.limits[name]; ls != nil {
			out[i].Limits = ls.QueueLimits
		}
		var ready []store.TypeCount
		for typ, h := range s.ready.types[name] {
			if h.Len() > 0 {
				ready = append(ready, store.TypeCount{Type: typ, Ready: h.Len()})
			}
		}
		out[i].ReadyTypes = store.SortTypeCounts(ready)
	}
	return out, nil
}

// emptyCounts reports whether every count of c is zero.
func emptyCounts(c map[store.Status]int) bool {
	for _, n := range c {
		if n != 0 {
			return false
		}
	}
	return true
}
