package memstore

import (
	"context"
	"fmt"
	"slices"

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

// Queues returns every queue with tasks or paused, sorted by name; see
// [store.QueueManager].
func (s *Store) Queues(ctx context.Context) ([]store.QueueInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.queueCounts)+len(s.paused))
	for name := range s.queueCounts {
		names = append(names, name)
	}
	for name := range s.paused {
		if s.queueCounts[name] == nil {
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
