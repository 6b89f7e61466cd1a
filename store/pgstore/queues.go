package pgstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/seedcore/seedcore/store"
)

var _ store.QueueManager = (*Store)(nil)

// SetQueuePaused pauses or resumes the queue name, in the queues table,
// so every process's claims see it and it survives restarts; see
// [store.QueueManager]. The claim checks the queue's row before it scans,
// so a pause needs no notification; a resume that unpaused the queue
// sends "r" in its own transaction, so pools claim at once (and poll if
// they miss it).
func (s *Store) SetQueuePaused(ctx context.Context, name string, paused bool) error {
	if err := store.CheckQueueName(name); err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	q := s.q.resumeQueue
	if paused {
		q = s.q.pauseQueue
	}
	if _, err := s.db.ExecContext(ctx, q, name); err != nil {
		return errorf("pgstore: set queue paused: %w", err)
	}
	return nil
}

// SetQueueLimits sets the queue's limits in the queues table and fills
// its bucket; see [store.QueueManager]. It sends "r", so pools claim
// under the new limits at once.
func (s *Store) SetQueueLimits(ctx context.Context, name string, limits store.QueueLimits) error {
	if err := store.CheckQueueName(name); err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	limits, err := limits.Normalize()
	if err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, s.q.setLimits, name, limits.MaxRunning, limits.Rate, limits.Burst, limits.PartitionMaxRunning); err != nil {
		return errorf("pgstore: set queue limits: %w", err)
	}
	return nil
}

// Queues returns every queue with tasks or state, sorted by name, with
// its counts; see [store.QueueManager]. Like Counts, it reads the whole
// table.
func (s *Store) Queues(ctx context.Context) ([]store.QueueInfo, error) {
	byName := map[string]*store.QueueInfo{}
	get := func(name string) *store.QueueInfo {
		qi := byName[name]
		if qi == nil {
			qi = &store.QueueInfo{Name: name, Counts: make(map[store.Status]int, len(store.Statuses()))}
			for _, st := range store.Statuses() {
				qi.Counts[st] = 0
			}
			byName[name] = qi
		}
		return qi
	}
	rows, err := s.db.QueryContext(ctx, s.q.queueCounts)
	if err != nil {
		return nil, errorf("pgstore: queues: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			name string
			st   string
			n    int
		)
		if err := rows.Scan(&name, &st, &n); err != nil {
			return nil, errorf("pgstore: queues: %w", err)
		}
		get(name).Counts[store.Status(st)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, errorf("pgstore: queues: %w", err)
	}
	ready, err := s.db.QueryContext(ctx, s.q.readyTypes)
	if err != nil {
		return nil, errorf("pgstore: queues: %w", err)
	}
	defer ready.Close()
	byQueue := map[string][]store.TypeCount{}
	for ready.Next() {
		var (
			name string
			tc   store.TypeCount
		)
		if err := ready.Scan(&name, &tc.Type, &tc.Ready); err != nil {
			return nil, errorf("pgstore: queues: %w", err)
		}
		byQueue[name] = append(byQueue[name], tc)
	}
	if err := ready.Err(); err != nil {
		return nil, errorf("pgstore: queues: %w", err)
	}
	for name, tcs := range byQueue {
		get(name).ReadyTypes = store.SortTypeCounts(tcs)
	}
	states, err := s.db.QueryContext(ctx, s.q.queueStates)
	if err != nil {
		return nil, errorf("pgstore: queues: %w", err)
	}
	defer states.Close()
	for states.Next() {
		var (
			name   string
			paused bool
			l      store.QueueLimits
		)
		if err := states.Scan(&name, &paused, &l.MaxRunning, &l.Rate, &l.Burst, &l.PartitionMaxRunning); err != nil {
			return nil, errorf("pgstore: queues: %w", err)
		}
		qi := get(name)
		qi.Paused, qi.Limits = paused, l
	}
	if err := states.Err(); err != nil {
		return nil, errorf("pgstore: queues: %w", err)
	}
	out := make([]store.QueueInfo, 0, len(byName))
	for _, qi := range byName {
		out = append(out, *qi)
	}
	slices.SortFunc(out, func(a, b store.QueueInfo) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	if len(out) > store.MaxQueues {
		out = out[:store.MaxQueues]
	}
	return out, nil
}
