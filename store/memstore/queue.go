package memstore

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/seedcore/seedcore/store"
)

// checkLease rejects an empty worker name and a lease that is not
// positive, as every backend does.
func checkLease(op, worker string, lease time.Duration) error {
	if worker == "" {
		return fmt.Errorf("memstore: %s: empty worker name: %w", op, store.ErrInvalidLease)
	}
	if lease <= 0 {
		return fmt.Errorf("memstore: %s: lease %s is not positive: %w", op, lease, store.ErrInvalidLease)
	}
	return nil
}

// Claim moves up to limit ready tasks to running under a lease held by
// worker, highest priority first, then earliest RunAfter, then ID. It
// costs O(log n) per task claimed, plus one step per task type with ready
// tasks. A limit of zero or less claims nothing; an empty worker name or a
// lease that is not positive is an error.
func (s *Store) Claim(ctx context.Context, worker string, limit int, lease time.Duration) ([]store.Task, error) {
	return s.ClaimMatching(ctx, worker, limit, lease, store.ClaimFilter{})
}

// ClaimMatching is Claim restricted to the tasks f matches. Ready tasks
// are kept in one heap per type, so a claim for some types reads only
// theirs: O(log n) per task claimed plus one step per matching type. A
// fair claim (f.Fair) reads every ready task f matches, once: O(n) for n
// of them.
func (s *Store) ClaimMatching(ctx context.Context, worker string, limit int, lease time.Duration, f store.ClaimFilter) ([]store.Task, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkLease("claim", worker, lease); err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("memstore: claim: %w", err)
	}
	if limit <= 0 {
		return nil, nil
	}
	ev := s.events.batch()
	s.mu.Lock()
	if s.paused[f.QueueName()] {
		s.mu.Unlock()
		return nil, nil
	}
	now := s.clock()
	ls := s.limits[f.QueueName()]
	if ls != nil {
		limit = min(limit, ls.allowed(now, s.queueCounts[f.QueueName()][store.StatusRunning]))
	}
	s.promote(now)
	var buf [8]*taskHeap
	heaps := s.ready.matching(f, buf[:0])
	var out []store.Task
	var held *holder
	expires := now.Add(lease).Truncate(time.Microsecond)
	// A fair claim, or one from a queue that caps its partitions, picks
	// its tasks partition by partition first.
	var fair []*entry
	capped := ls != nil && ls.PartitionMaxRunning > 0
	byPartition := f.Fair || capped
	if byPartition {
		after, rotated := s.fairAfter[f.QueueName()]
		var room func(string) int
		if capped {
			room = s.partitionRoom(f.QueueName(), ls.PartitionMaxRunning)
		}
		fair = partitionPick(heaps, limit, room, f.Fair, after, rotated)
	}
	// out and the copies of its times are allocated once, for as many
	// tasks as the claim can take.
	avail := len(fair)
	if !byPartition {
		for _, h := range heaps {
			avail += h.Len()
		}
	}
	if n := min(limit, avail); n > 0 {
		out = make([]store.Task, 0, n)
	}
	times := make([][4]time.Time, cap(out))
	for len(out) < limit {
		var e *entry
		if byPartition {
			if len(out) == len(fair) {
				break
			}
			e = fair[len(out)]
			e.heap.remove(e)
		} else if e = popFirst(heaps); e == nil {
			break
		}
		if held == nil {
			held = s.workers[worker]
			if held == nil {
				held = &holder{name: worker}
				s.workers[worker] = held
			}
		}
		s.setStatus(e, store.StatusRunning)
		e.t.Attempts++
		e.t.LockedBy = worker
		setTime(&e.t.LeaseExpiresAt, &e.leaseExpiresAt, expires)
		setTime(&e.t.LastHeartbeat, &e.lastHeartbeat, now)
		setTime(&e.t.StartedAt, &e.startedAt, now)
		e.t.UpdatedAt = now
		s.leases.add(e)
		held.running++
		e.holder = held
		ev.changed(e.t.ID)
		if len(out) < len(times) {
			out = append(out, e.snapshotInto(&times[len(out)]))
		} else {
			out = append(out, e.snapshot())
		}
	}
	if ls != nil {
		ls.take(len(out))
	}
	if f.Fair && len(out) > 0 {
		s.fairAfter[f.QueueName()] = out[len(out)-1].Partition
	}
	s.mu.Unlock()
	ev.send()
	return out, nil
}

// partitionRoom returns how many more tasks each partition of queue may
// start under a cap of limit running tasks per partition; the partition ""
// is not capped. It reads every running task once.
func (s *Store) partitionRoom(queue string, limit int) func(string) int {
	running := make(map[string]int)
	for e := range s.leases.all() {
		if e.t.Queue == queue && e.t.Partition != "" && e.t.Status == store.StatusRunning {
			running[e.t.Partition]++
		}
	}
	return func(p string) int {
		if p == "" {
			return math.MaxInt
		}
		return limit - running[p]
	}
}

// Heartbeat extends to now+lease the lease of each task in held that worker
// holds, and returns those leases sorted by task ID. Tasks the worker holds
// but does not name are left to expire. It costs O(k log n) for k names.
func (s *Store) Heartbeat(ctx context.Context, worker string, held []string, lease time.Duration) ([]store.Lease, error) {
	return s.HeartbeatProgress(ctx, worker, held, nil, lease)
}

// HeartbeatProgress is Heartbeat that also sets the Progress of each task
// of progress it extends while the task runs the entry's attempt, and
// sends a change event naming those tasks. A value that fails
// [store.CheckProgress] fails the call before anything changes.
func (s *Store) HeartbeatProgress(ctx context.Context, worker string, held []string, progress []store.Progress, lease time.Duration) ([]store.Lease, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkLease("heartbeat", worker, lease); err != nil {
		return nil, err
	}
	var pending map[string]store.Progress
	for i, p := range progress {
		if err := store.CheckProgress(p.Value); err != nil {
			return nil, fmt.Errorf("memstore: heartbeat: progress %d: %w", i, err)
		}
		if pending == nil {
			pending = make(map[string]store.Progress, len(progress))
		}
		pending[p.TaskID] = p
	}
	ev := s.events.batch()
	s.mu.Lock()
	now := s.clock()
	expires := now.Add(lease).Truncate(time.Microsecond)
	mine := s.workers[worker]
	out := make([]store.Lease, 0, len(held))
	for _, id := range held {
		e := s.tasks[id]
		if e == nil {
			continue
		}
		if mine == nil || e.holder != mine {
			continue
		}
		*e.t.LeaseExpiresAt = expires
		*e.t.LastHeartbeat = now
		s.leases.fix(e)
		if p, ok := pending[id]; ok && p.Attempt == e.t.Attempts {
			e.t.Progress = cloneJSON(p.Value)
			s.resize(e)
			ev.changed(e.t.ID)
		}
		out = append(out, store.Lease{TaskID: e.t.ID, Attempt: e.t.Attempts, CancelRequested: e.t.CancelRequested})
	}
	s.mu.Unlock()
	ev.send()
	slices.SortFunc(out, func(a, b store.Lease) int { return strings.Compare(a.TaskID, b.TaskID) })
	return out, nil
}

// leaveRunning drops e's lease and its holder.
func (s *Store) leaveRunning(e *entry) {
	s.leases.remove(e)
	if h := e.holder; h != nil {
		e.holder = nil
		if h.running--; h.running == 0 {
			delete(s.workers, h.name)
		}
	}
	e.t.LockedBy = ""
	e.t.LeaseExpiresAt = nil
}

// end moves e out of running to st at now, and reports whether it is
// ready to claim at once.
func (s *Store) end(e *entry, st store.Status, now time.Time) bool {
	s.leaveRunning(e)
	s.setStatus(e, st)
	s.resize(e) // the result or error may have changed
	e.t.UpdatedAt = now
	if st.Terminal() {
		setTime(&e.t.FinishedAt, &e.finishedAt, now)
	}
	return s.place(e, now)
}

// Finish records outcomes, each fenced by (status running, LockedBy,
// Attempts); see the taskqueue Queue interface. The whole call fails, and
// records nothing, for an outcome with an invalid task ID, an unknown
// kind or a Result that is not valid JSON.
func (s *Store) Finish(ctx context.Context, outcomes []store.Outcome) ([]error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ids := make([]string, len(outcomes))
	for i, o := range outcomes {
		id, err := store.ParseID(o.TaskID)
		if err != nil {
			return nil, fmt.Errorf("memstore: outcome %d: %w", i, err)
		}
		ids[i] = id
		switch o.Kind {
		case store.OutcomeComplete, store.OutcomeRetry, store.OutcomeFail, store.OutcomeCancel, store.OutcomeRelease,
			store.OutcomeSnooze:
		default:
			return nil, fmt.Errorf("memstore: outcome %d: %w: unknown kind %q", i, store.ErrInvalidTask, o.Kind)
		}
		if len(o.Result) > 0 && !json.Valid(o.Result) {
			return nil, fmt.Errorf("memstore: outcome %d: %w: result is not valid JSON", i, store.ErrInvalidTask)
		}
	}
	errs := make([]error, len(outcomes))
	ev := s.events.batch()
	s.mu.Lock()
	now := s.clock()
	for i, o := range outcomes {
		o.TaskID = ids[i]
		errs[i] = s.finish(o, now, &ev)
	}
	s.mu.Unlock()
	ev.send()
	return errs, nil
}

func (s *Store) finish(o store.Outcome, now time.Time, ev *eventBatch) error {
	e := s.tasks[o.TaskID]
	if e == nil || e.t.Status != store.StatusRunning || e.t.LockedBy != o.Worker || e.t.Attempts != o.Attempt {
		return fmt.Errorf("%w: task %s, worker %q, attempt %d", store.ErrLeaseLost, o.TaskID, o.Worker, o.Attempt)
	}
	if o.Error != "" && o.Kind != store.OutcomeSnooze {
		e.t.Error = o.Error
	}
	var st store.Status
	switch {
	case e.t.CancelRequested:
		st = store.StatusCancelled
	case o.Kind == store.OutcomeComplete:
		st = store.StatusCompleted
		e.t.Result = cloneJSON(o.Result)
		e.t.Error = ""
	case o.Kind == store.OutcomeFail:
		st = store.StatusFailed
	case o.Kind == store.OutcomeCancel:
		st = store.StatusCancelled
	case o.Kind == store.OutcomeRetry && e.t.Attempts >= e.t.MaxAttempts:
		st = store.StatusFailed
	case o.Kind == store.OutcomeRetry:
		st = store.StatusRetry
		e.t.RunAfter = now.Add(o.RetryIn).Truncate(time.Microsecond)
	case o.Kind == store.OutcomeRelease:
		st = store.StatusQueued
		e.t.Attempts--
		e.t.RunAfter = now
	case o.Kind == store.OutcomeSnooze:
		st = store.StatusQueued
		e.t.Attempts--
		e.t.Snoozes++
		e.t.RunAfter = now.Add(o.RetryIn).Truncate(time.Microsecond)
	}
	if st != store.StatusQueued { // a release or a snooze does not count as an attempt
		s.recordAttempt(e, st, o.Error, now)
	}
	if s.end(e, st, now) {
		ev.ready()
	}
	ev.changed(e.t.ID)
	return nil
}

// recordAttempt appends the running attempt of e, ending in status st
// with error text msg, to its history. Call it before e leaves running.
func (s *Store) recordAttempt(e *entry, st store.Status, msg string, now time.Time) {
	a := store.Attempt{Attempt: e.t.Attempts, Worker: e.t.LockedBy, FinishedAt: now, Outcome: st, Error: msg}
	if e.t.StartedAt != nil {
		a.StartedAt = *e.t.StartedAt
	}
	e.t.AttemptHistory = store.AppendAttempt(e.t.AttemptHistory, a)
}

// Rescue moves up to limit running tasks whose lease expired before now
// to retry (claimable at once), to failed once Attempts reached
// MaxAttempts, or to cancelled when cancellation was requested. It costs
// O(log n) per task rescued: leases are kept in expiry order.
func (s *Store) Rescue(ctx context.Context, limit int) ([]store.Rescued, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []store.Rescued
	ev := s.events.batch()
	s.mu.Lock()
	now := s.clock()
	for len(out) < limit {
		e := s.leases.peek()
		if e == nil || !e.t.LeaseExpiresAt.Before(now) {
			break
		}
		out = append(out, s.rescue(e, fmt.Sprintf("lease of worker %q expired", e.t.LockedBy), "lease expired", now, &ev))
	}
	s.mu.Unlock()
	ev.send()
	return out, nil
}

// rescue moves the running task e on, as a rescue does: to retry
// (claimable at once), to failed once Attempts reached MaxAttempts, or to
// cancelled when cancellation was requested; the attempt counts, and is
// recorded in the task's history with attemptErr. s.mu must be held.
func (s *Store) rescue(e *entry, why, attemptErr string, now time.Time, ev *eventBatch) store.Rescued {
	var st store.Status
	switch {
	case e.t.CancelRequested:
		st = store.StatusCancelled
	case e.t.Attempts >= e.t.MaxAttempts:
		st = store.StatusFailed
	default:
		st = store.StatusRetry
		e.t.RunAfter = now
	}
	e.t.Error = why
	s.recordAttempt(e, st, attemptErr, now)
	if s.end(e, st, now) {
		ev.ready()
	}
	ev.changed(e.t.ID)
	return store.Rescued{TaskID: e.t.ID, Type: e.t.Type, Status: st}
}

// DeleteFinished deletes terminal tasks whose FinishedAt is before
// now-olderThan, batch at a time (the lock is released between batches),
// and returns how many it deleted. A batch of zero or less is an error.
func (s *Store) DeleteFinished(ctx context.Context, olderThan time.Duration, batch int) (int, error) {
	if batch <= 0 {
		return 0, fmt.Errorf("memstore: delete finished: batch %d is not positive", batch)
	}
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n := 0
		s.mu.Lock()
		cutoff := s.clock().Add(-olderThan)
		for n < batch {
			e := s.finished.peek()
			if e == nil || !e.t.FinishedAt.Before(cutoff) {
				break
			}
			s.remove(e)
			n++
		}
		s.mu.Unlock()
		total += n
		if n < batch {
			return total, nil
		}
	}
}
