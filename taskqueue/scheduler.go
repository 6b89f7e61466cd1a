package taskqueue

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/seedcore/seedcore/store"
)

// Defaults of [SchedulerConfig] fields.
const (
	// DefaultMissedAfter is how late a slot may be noticed and still be
	// created as any other; older slots count as missed.
	DefaultMissedAfter = time.Minute
	// DefaultSchedulerInterval is the longest a scheduler waits between
	// two checks.
	DefaultSchedulerInterval = time.Second
	// maxSlotsPerCheck bounds the slots a check walks for one schedule.
	maxSlotsPerCheck = 1_000_000
)

// MissedPolicy says what happens to a schedule's slots missed while no
// process was the leader (every process down, say), once one is again.
type MissedPolicy int

const (
	// MissedSkip drops missed slots: the schedule resumes with its next.
	MissedSkip MissedPolicy = iota
	// MissedRunOnce creates one task for all the missed slots (the latest
	// of them), then resumes.
	MissedRunOnce
)

// String returns "skip" or "run_once".
func (p MissedPolicy) String() string {
	if p == MissedRunOnce {
		return "run_once"
	}
	return "skip"
}

// Schedule is a periodic task: at every slot of Spec the leader creates
// Task once.
type Schedule struct {
	// Name identifies the schedule (store.ValidName rules); it is part of
	// each slot's idempotency key, so renaming a schedule starts it anew.
	// Required, unique.
	Name string
	// Spec is a cron expression: five fields (minute, hour, day of month,
	// month, day of week), six with seconds first, a descriptor (@hourly,
	// @daily, ...) or "@every <duration>" (such as "@every 30s"). A
	// "CRON_TZ=<zone> " prefix sets its time zone. Required.
	Spec string
	// Location is the time zone of Spec's fields when it has no CRON_TZ
	// prefix. Default UTC.
	Location *time.Location
	// Task is the task each slot creates. Its IdempotencyKey must be
	// empty: the scheduler sets it to [ScheduleKey](Name, slot).
	Task store.NewTask
	// Missed is the policy for slots missed while no process led.
	// Default MissedSkip.
	Missed MissedPolicy
}

// ScheduleKey is the idempotency key of the task of schedule name's slot
// at slot: "schedule:<name>:<slot in UTC, RFC 3339 with nanoseconds>".
// Whichever process creates that slot's task, and however often, the key
// makes it one task.
func ScheduleKey(name string, slot time.Time) string {
	return "schedule:" + name + ":" + slot.UTC().Format(time.RFC3339Nano)
}

// SchedulerConfig configures a [Scheduler].
type SchedulerConfig struct {
	// Store keeps the schedules' state and tells the time. Required.
	Store store.ScheduleStore
	// Enqueue creates a slot's task (the App's Enqueue, which redacts it).
	// Required.
	Enqueue func(ctx context.Context, t store.NewTask) (store.Task, bool, error)
	// Schedules are the periodic tasks.
	Schedules []Schedule
	// MissedAfter is how late a slot may be noticed and still be created:
	// a leader that took over after a short gap creates every slot of the
	// gap; slots older than this are missed and follow the schedule's
	// MissedPolicy. Default DefaultMissedAfter.
	MissedAfter time.Duration
	// Interval is the longest wait between two checks; a check also
	// happens when the next slot comes. Default DefaultSchedulerInterval.
	Interval time.Duration
	// Logger receives the slots created and the errors. Default: discard.
	Logger *slog.Logger
}

type parsedSchedule struct {
	Schedule
	sched cron.Schedule
}

// next is the slot after t.
func (p *parsedSchedule) next(t time.Time) time.Time { return p.sched.Next(t.In(p.Location)).UTC() }

// Scheduler creates the tasks of periodic schedules. Run it on the leader
// only ([Member.Lead]); it is a suture.Service. Every decision is made on
// the store's clock ([store.ScheduleStore.Now]), so a process whose clock
// is skewed decides the same slots, and each slot's task carries the key
// [ScheduleKey]: a slot is created once across leader changes, restarts
// and two leaders overlapping. A schedule's state (its first slot, the
// last one handled, the next) is kept in the store, so a new leader
// carries on where the last one stopped.
type Scheduler struct {
	cfg   SchedulerConfig
	log   *slog.Logger
	byKey []*parsedSchedule // in name order
}

// cronParser accepts five fields, six with seconds, and descriptors.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// NewScheduler checks cfg and returns a Scheduler. Errors wrap
// [ErrInvalidConfig] and name the schedule.
func NewScheduler(cfg SchedulerConfig) (*Scheduler, error) {
	if cfg.Store == nil || cfg.Enqueue == nil {
		return nil, fmt.Errorf("%w: scheduler needs a Store and Enqueue", ErrInvalidConfig)
	}
	if cfg.MissedAfter < 0 || cfg.Interval < 0 {
		return nil, fmt.Errorf("%w: scheduler MissedAfter and Interval must not be negative", ErrInvalidConfig)
	}
	if cfg.MissedAfter == 0 {
		cfg.MissedAfter = DefaultMissedAfter
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultSchedulerInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{cfg: cfg, log: cfg.Logger}
	seen := map[string]bool{}
	for i, sc := range cfg.Schedules {
		if !store.ValidName(sc.Name) {
			return nil, fmt.Errorf("%w: schedule %d: name %q is not a valid name", ErrInvalidConfig, i, sc.Name)
		}
		if seen[sc.Name] {
			return nil, fmt.Errorf("%w: schedule %q defined twice", ErrInvalidConfig, sc.Name)
		}
		seen[sc.Name] = true
		parsed, err := cronParser.Parse(sc.Spec)
		if err != nil {
			return nil, fmt.Errorf("%w: schedule %q: spec %q: %w", ErrInvalidConfig, sc.Name, sc.Spec, err)
		}
		if sc.Location == nil {
			sc.Location = time.UTC
		}
		if sc.Missed != MissedSkip && sc.Missed != MissedRunOnce {
			return nil, fmt.Errorf("%w: schedule %q: unknown missed policy %d", ErrInvalidConfig, sc.Name, sc.Missed)
		}
		if sc.Task.IdempotencyKey != "" {
			return nil, fmt.Errorf("%w: schedule %q: the task's IdempotencyKey is set by the scheduler", ErrInvalidConfig, sc.Name)
		}
		probe := sc.Task
		probe.IdempotencyKey = ScheduleKey(sc.Name, time.Now())
		if _, err := probe.Normalize(); err != nil {
			return nil, fmt.Errorf("%w: schedule %q: task: %w", ErrInvalidConfig, sc.Name, err)
		}
		s.byKey = append(s.byKey, &parsedSchedule{Schedule: sc, sched: parsed})
	}
	sort.Slice(s.byKey, func(i, j int) bool { return s.byKey[i].Name < s.byKey[j].Name })
	return s, nil
}

// String names the service in supervisor logs.
func (s *Scheduler) String() string { return "taskqueue.Scheduler" }

func (s *Scheduler) names() []string {
	names := make([]string, len(s.byKey))
	for i, p := range s.byKey {
		names[i] = p.Name
	}
	return names
}

// Serve checks the schedules until ctx ends, at every slot and at least
// every Interval, and returns ctx.Err().
func (s *Scheduler) Serve(ctx context.Context) error {
	if len(s.byKey) == 0 {
		<-ctx.Done()
		return ctx.Err()
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
		wait, err := s.Check(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.log.Warn("schedule check failed", slog.String("error", err.Error()))
			wait = min(maintenanceErrorBackoff, s.cfg.Interval)
		}
		timer.Reset(wait)
	}
}

// Check creates the task of every slot that has come (on the store's
// clock) since the last one handled, records each schedule's last and
// next slot, and returns how long to wait for the next slot (at most
// Interval). Serve calls it; a test that moves the store's clock calls it
// itself. A slot older than MissedAfter is missed: dropped (MissedSkip),
// or the latest of them created (MissedRunOnce).
func (s *Scheduler) Check(ctx context.Context) (time.Duration, error) {
	now, err := s.cfg.Store.Now(ctx)
	if err != nil {
		return 0, err
	}
	states, err := s.cfg.Store.ScheduleStates(ctx, s.names())
	if err != nil {
		return 0, err
	}
	byName := make(map[string]store.ScheduleState, len(states))
	for _, st := range states {
		byName[st.Name] = st
	}
	wait := s.cfg.Interval
	for _, p := range s.byKey {
		next, err := s.check(ctx, p, byName[p.Name], now)
		if err != nil {
			return 0, err
		}
		wait = min(wait, max(next.Sub(now), time.Millisecond))
	}
	return wait, nil
}

// check handles one schedule's due slots and returns its next slot.
func (s *Scheduler) check(ctx context.Context, p *parsedSchedule, st store.ScheduleState, now time.Time) (time.Time, error) {
	ref := st.Since
	if st.LastRun != nil && st.LastRun.After(ref) {
		ref = *st.LastRun
	}
	var (
		due    []time.Time
		missed *time.Time
		last   *time.Time
	)
	slot := p.next(ref)
	for n := 0; !slot.After(now) && n < maxSlotsPerCheck; n++ {
		if now.Sub(slot) > s.cfg.MissedAfter {
			m := slot
			missed = &m
		} else {
			due = append(due, slot)
		}
		l := slot
		last = &l
		slot = p.next(slot)
	}
	if missed != nil {
		if p.Missed == MissedRunOnce {
			due = append([]time.Time{*missed}, due...)
		} else {
			s.log.Warn("schedule slots missed", slog.String("schedule", p.Name), slog.Time("latest_missed", *missed))
		}
	}
	for _, at := range due {
		nt := p.Task
		nt.IdempotencyKey = ScheduleKey(p.Name, at)
		task, created, err := s.cfg.Enqueue(ctx, nt)
		if err != nil {
			return time.Time{}, fmt.Errorf("schedule %q slot %s: %w", p.Name, at.Format(time.RFC3339Nano), err)
		}
		if created {
			s.log.Info("scheduled task created", slog.String("schedule", p.Name),
				slog.Time("slot", at), slog.String("task_id", task.ID))
		}
	}
	if last != nil || st.NextRun == nil || !st.NextRun.Equal(slot) {
		if err := s.cfg.Store.AdvanceSchedule(ctx, p.Name, last, slot); err != nil {
			return time.Time{}, err
		}
	}
	return slot, nil
}

// Schedules returns every schedule with its stored last and next slot, in
// name order. It implements store.ScheduleLister.
func (s *Scheduler) Schedules(ctx context.Context) ([]store.ScheduleInfo, error) {
	states, err := s.cfg.Store.ScheduleStates(ctx, s.names())
	if err != nil {
		return nil, err
	}
	byName := make(map[string]store.ScheduleState, len(states))
	for _, st := range states {
		byName[st.Name] = st
	}
	out := make([]store.ScheduleInfo, 0, len(s.byKey))
	for _, p := range s.byKey {
		st := byName[p.Name]
		out = append(out, store.ScheduleInfo{
			Name: p.Name, Spec: p.Spec, Timezone: p.Location.String(), Type: p.Task.Type,
			Missed: p.Missed.String(), NextRun: st.NextRun, LastRun: st.LastRun,
		})
	}
	return out, nil
}
