package taskqueue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seedcore/seedcore/store"
)

// Default values of [PoolConfig] fields.
const (
	DefaultConcurrency  = 100
	DefaultLease        = 10 * time.Second
	DefaultPollInterval = time.Second
	DefaultTimeout      = time.Minute
	DefaultDrainTimeout = 5 * time.Second
	DefaultFinishBatch  = 1000
	DefaultFlushTimeout = 5 * time.Second
	DefaultPrefetch     = 1000
	// DefaultMaxSnoozes is the default PoolConfig.MaxSnoozes.
	DefaultMaxSnoozes = 100
	// PrefetchHorizon is how much work, at the recent pace, a pool keeps
	// claimed ahead of its workers (see PoolConfig.Prefetch).
	PrefetchHorizon = 50 * time.Millisecond
	maxErrorText    = 4096
)

// PoolConfig configures a [Pool]. Only Queue and Dispatcher are required.
type PoolConfig struct {
	// Concurrency is how many tasks run at once. Default DefaultConcurrency.
	// With Queues, it is the default of each queue's own concurrency.
	Concurrency int
	// Dispatcher runs the tasks. Required. The pool claims only the task
	// types it declares (see [TypedDispatcher]; a [Mux] declares its
	// handlers' types), or every type when it is marked with [AnyType];
	// a dispatcher that does neither is refused.
	Dispatcher Dispatcher
	// DrainTimeout is how long a stopping pool lets in-flight tasks finish
	// (soft stop) before it cancels them and releases their leases (hard
	// stop). Default DefaultDrainTimeout. A supervisor's stop timeout must
	// be longer than DrainTimeout plus FlushTimeout.
	DrainTimeout time.Duration
	// FinishBatch bounds how many outcomes one write records. Default
	// DefaultFinishBatch.
	FinishBatch int
	// FlushTimeout bounds the writing of the last outcomes at stop. Default
	// DefaultFlushTimeout.
	FlushTimeout time.Duration
	// HeartbeatInterval is how often the pool extends its leases in one
	// call. Default Lease/3. A periodic heartbeat leaves out the tasks
	// claimed less than min(HeartbeatInterval, Lease-2×HeartbeatInterval)
	// ago, whose lease outlasts the next one anyway; a heartbeat made to
	// deliver a cancellation, or after notifications were lost, names every
	// task held (the latter at most once per HeartbeatInterval/4).
	HeartbeatInterval time.Duration
	// Lease is how long a claim holds a task without a heartbeat. Default
	// DefaultLease. A task of a pool that died runs again once its lease
	// expires and the rescuer sweeps.
	Lease time.Duration
	// Logger receives structured logs (task id, type and attempt; never the
	// task's description or params). Default: discard.
	Logger *slog.Logger
	// Member, when set, is the process's membership (see [Member]); its
	// name must be WorkerName (or, with WorkerName empty, becomes it). The
	// pool then claims only while the process is registered, stops every
	// attempt it holds when the process's session is lost (the leader may
	// have returned their tasks to the queue; nothing is written for them),
	// and keeps the registration until it has stopped. Default nil: the
	// pool claims whenever it serves.
	Member *Member
	// Now is the pool's clock. Default time.Now. The pool only measures
	// durations with it; every lease and schedule decision is made on the
	// backend's clock, so a worker whose clock is skewed from the database's
	// behaves the same (the reliability harness runs workers with an offset
	// clock to prove it).
	Now func() time.Time
	// Notifier, when set, wakes the pool as soon as work is ready and
	// delivers cancellations at once. Without it the pool polls.
	Notifier store.Notifier
	// Observer, when set, is told of every claim and outcome (for metrics).
	Observer Observer
	// Prefetch bounds how many claimed tasks may wait in the pool for a
	// free worker, so the pool claims in larger batches and a freed worker
	// never waits for a round trip to the backend. Within the bound the pool
	// keeps only as many waiting as its workers finish in about
	// PrefetchHorizon at their recent pace: many for tiny tasks, none for
	// long ones, so a process does not hoard work other processes could
	// run. A pool whose tasks are so short that a few workers run them as
	// fast as they are claimed counts only those workers (at least
	// DefaultConcurrency) in what it holds, so a large Concurrency does
	// not make it claim more. Waiting tasks start in claim order; they
	// hold their lease (the heartbeat extends it) but their timeout starts
	// with the attempt; at stop they are released at once. Default
	// DefaultPrefetch; negative means none.
	Prefetch int
	// MaxSnoozes bounds how many times a task may be put off with
	// [Snooze] without spending an attempt: once its Snoozes count reaches
	// it, a snooze counts as an attempt (retried after the snooze's
	// delay). Default DefaultMaxSnoozes; negative means every snooze
	// counts.
	MaxSnoozes int
	// PollInterval is how often the pool looks for work when no notification
	// arrives. Default DefaultPollInterval.
	PollInterval time.Duration
	// Queue is the backend. Required.
	Queue Queue
	// Queues are the named queues the pool serves, each with its own
	// concurrency in this pool: each queue is claimed and run apart (its
	// own claims, prefetch and workers), so a slow or backlogged queue
	// never takes the places of another. Default: the default queue
	// (store.DefaultQueue) with Concurrency. Names must be queue names
	// (store.ValidQueueName).
	Queues map[string]QueueConfig
	// Redactor, when set, rewrites each attempt's result and error text
	// (and a dispatcher's panic value before it is logged) as soon as the
	// dispatcher returns, so that what it removes never reaches the
	// backend, the logs or the Observer. Default nil: they are kept as
	// the dispatcher produced them.
	Redactor Redactor
	// RetryPolicy decides the delay before a failed task's next attempt.
	// Default ExponentialBackoff{} (1s base, 1h cap, full jitter).
	RetryPolicy RetryPolicy
	// Timeout bounds each attempt through its context. Default
	// DefaultTimeout; negative means no timeout.
	Timeout time.Duration
	// Tracer, when set, is told of every attempt: it gives the dispatcher
	// its context (with a span joined to the task's TraceContext, say)
	// and learns the outcome. Default nil.
	Tracer AttemptTracer
	// WorkerName identifies this pool in leases (locked_by). It must be
	// unique among all pools sharing a backend. Default:
	// hostname-pid-random.
	WorkerName string
}

// Redactor removes personal data from what an attempt produced. Its
// methods are called from the pool's goroutines, concurrently.
type Redactor interface {
	// RedactResult returns result, valid JSON, with personal data
	// replaced; what it returns must be valid JSON too.
	RedactResult(result json.RawMessage) json.RawMessage
	// RedactText returns s with personal data replaced.
	RedactText(s string) string
}

// Observer is told what a pool does, for metrics. Its methods are called
// from the pool's goroutines and must not block.
type Observer interface {
	// Claimed is called for each claimed task.
	Claimed(t *store.Task)
	// Finished is called once an attempt's outcome is written to the
	// backend (durably, on PostgreSQL: after the write's commit), with the
	// outcome and how long the dispatcher ran, so what an observer counts
	// never runs ahead of the backend. err wraps ErrLeaseLost when nothing
	// was written: the lease was lost before the write, the backend
	// refused the write (fenced off), or the pool stopped before it could
	// write.
	Finished(t *store.Task, kind store.OutcomeKind, ran time.Duration, err error)
}

func (c PoolConfig) withDefaults() (PoolConfig, error) {
	if c.Queue == nil {
		return c, fmt.Errorf("%w: Queue is required", ErrInvalidConfig)
	}
	if c.Dispatcher == nil {
		return c, fmt.Errorf("%w: Dispatcher is required", ErrInvalidConfig)
	}
	types, _, ok := ClaimTypes(c.Dispatcher)
	if !ok {
		return c, fmt.Errorf("%w: Dispatcher declares no task types: use a Mux, taskqueue.Typed, "+
			"or mark a dispatcher that runs every type with taskqueue.AnyType", ErrInvalidConfig)
	}
	if err := (store.ClaimFilter{Types: types}).Validate(); err != nil {
		return c, fmt.Errorf("%w: Dispatcher: %w", ErrInvalidConfig, err)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"Concurrency", int64(c.Concurrency)}, {"FinishBatch", int64(c.FinishBatch)},
		{"Lease", int64(c.Lease)}, {"PollInterval", int64(c.PollInterval)},
		{"HeartbeatInterval", int64(c.HeartbeatInterval)}, {"DrainTimeout", int64(c.DrainTimeout)},
		{"FlushTimeout", int64(c.FlushTimeout)},
	} {
		if f.v < 0 {
			return c, fmt.Errorf("%w: %s must not be negative", ErrInvalidConfig, f.name)
		}
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	queues, err := checkQueues(c)
	if err != nil {
		return c, err
	}
	c.Queues = queues
	switch {
	case c.Prefetch == 0:
		c.Prefetch = DefaultPrefetch
	case c.Prefetch < 0:
		c.Prefetch = 0
	}
	switch {
	case c.MaxSnoozes == 0:
		c.MaxSnoozes = DefaultMaxSnoozes
	case c.MaxSnoozes < 0:
		c.MaxSnoozes = 0
	}
	if c.FinishBatch == 0 {
		c.FinishBatch = DefaultFinishBatch
	}
	if c.Lease == 0 {
		c.Lease = DefaultLease
	}
	if c.Lease < 3*time.Millisecond {
		return c, fmt.Errorf("%w: Lease %s is too short", ErrInvalidConfig, c.Lease)
	}
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = c.Lease / 3
	}
	if c.HeartbeatInterval >= c.Lease {
		return c, fmt.Errorf("%w: HeartbeatInterval %s must be shorter than Lease %s", ErrInvalidConfig, c.HeartbeatInterval, c.Lease)
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	if c.FlushTimeout == 0 {
		c.FlushTimeout = DefaultFlushTimeout
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.RetryPolicy == nil {
		c.RetryPolicy = ExponentialBackoff{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Member != nil {
		if c.WorkerName == "" {
			c.WorkerName = c.Member.Name()
		}
		if c.WorkerName != c.Member.Name() {
			return c, fmt.Errorf("%w: WorkerName %q differs from the Member's name %q", ErrInvalidConfig, c.WorkerName, c.Member.Name())
		}
	}
	if c.WorkerName == "" {
		c.WorkerName = DefaultWorkerName()
	}
	return c, nil
}

// DefaultWorkerName returns a name unique to this process and call:
// hostname, pid and a random suffix.
func DefaultWorkerName() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Pool is a worker pool: it claims ready tasks from a [Queue] in batches
// sized to its free slots, runs up to Concurrency of them at once through
// its [Dispatcher], keeps their leases alive with one heartbeat per
// interval, and records their outcomes in batches.
//
// A Pool is a suture.Service: Serve runs it until its context ends, then
// stops gracefully (see [Pool.Serve]). One Pool runs at most once at a
// time.
type Pool struct {
	cfg PoolConfig
	log *slog.Logger

	// queue is the one queue the pool claims from, or "" when it serves
	// several: then queues holds a pool per queue and does all the work.
	queue  string
	queues []*Pool
	// fair makes the claims of queue fair (QueueConfig.Fair).
	fair bool

	running atomic.Bool
	healthy atomic.Bool

	mu       sync.Mutex
	held     map[string]*heldTask // by task id: attempts running or awaiting their write
	inflight int                  // claimed attempts not yet handed to the finisher

	workers  int        // worker goroutines (running attempts or parked), at most Concurrency
	idle     int        // workers parked on wake and not yet asked to wake
	wakes    int        // workers asked to wake (and counted out of idle) that have not woken
	idleGen  int        // counts poll ticks, for retiring workers parked across a whole interval
	taken    int        // counts tasks taken from waiting, to see a stall
	avgRun   float64    // moving average of attempt durations, in nanoseconds; 0 before the first
	waiting  []*pending // claimed tasks waiting for a worker, in claim order
	draining bool       // stopping: waiting tasks are released, not run

	// writes makes the heartbeat and the outcome writes take turns. Both
	// lock the rows they name in id order; run at once, a heartbeat
	// waited for each outcome batch's rows in turn while the next batch
	// waited for the heartbeat's (one heartbeat of 4,000 tasks took 8.5 s
	// in a drain, which stood still meanwhile). Taking turns, each waits
	// for at most one statement of the other. Only this pool's statements
	// name its tasks, so pools need not coordinate.
	writes sync.Mutex

	// wake (on mu) wakes parked workers: as many as the waiting tasks
	// call for (see wanted), and all of them at stop and to retire those
	// parked for a whole poll interval. Workers live across claims: a
	// pool of 2,000 workers draining tiny tasks started up to 2,000
	// goroutines per claim when its workers retired as soon as none
	// waited, and woke as many when they parked instead.
	wake sync.Cond

	slotFreed chan struct{}
	hbNow     chan struct{} // a heartbeat of every held task, at once
	hbResync  chan struct{} // the same, at most once per resyncBeatGap
	wakeCheck chan struct{} // check the waiting tasks' workers soon (armWakeCheck)
	joined    chan struct{} // the Member joined: claim now

	quit     chan struct{} // closed by StopClaiming
	quitOnce sync.Once
}

type heldTask struct {
	attempt int
	cancel  context.CancelCauseFunc
	claimed time.Time // on the pool's clock, when the claim returned
	// ended is set when the attempt returned; the entry stays (and its
	// lease is extended) until its outcome is written.
	ended atomic.Bool
	// task and ran are set before the outcome is handed to the finisher,
	// for the Observer, which is told once the outcome is written.
	task *store.Task
	ran  time.Duration
	// progress is what the attempt recorded with SetProgress and the next
	// heartbeat carries.
	progress progressSlot
}

// NewPool returns a Pool for cfg, with defaults filled in. Errors wrap
// [ErrInvalidConfig].
func NewPool(cfg PoolConfig) (*Pool, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(cfg.Queues) > 1 {
		return newQueuesPool(cfg)
	}
	var queue string
	var fair bool
	for name, qc := range cfg.Queues {
		queue, cfg.Concurrency, fair = name, qc.Concurrency, qc.Fair
	}
	p := &Pool{
		queue:     queue,
		fair:      fair,
		cfg:       cfg,
		log:       cfg.Logger.With(slog.String("worker", cfg.WorkerName)),
		held:      make(map[string]*heldTask),
		slotFreed: make(chan struct{}, 1),
		hbNow:     make(chan struct{}, 1),
		hbResync:  make(chan struct{}, 1),
		wakeCheck: make(chan struct{}, 1),
		joined:    make(chan struct{}, 1),
		quit:      make(chan struct{}),
	}
	p.wake.L = &p.mu
	if cfg.Member != nil {
		cfg.Member.hooks(p.abandon, func() {
			select {
			case p.joined <- struct{}{}:
			default:
			}
		})
	}
	return p, nil
}

// abandon stops every attempt the pool holds, after the process's session
// was lost: the leader may have returned their tasks to the queue already,
// so nothing is written for them (an outcome would be rejected anyway).
// Outcomes of attempts that ended before are written as usual, and the
// lease fence decides.
func (p *Pool) abandon() {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, h := range p.held {
		if !h.ended.Load() {
			h.cancel(ErrLeaseLost)
			n++
		}
	}
	p.log.Warn("session lost; attempts stopped", slog.Int("stopped", n))
}

// WorkerName returns the name the pool holds leases under.
func (p *Pool) WorkerName() string { return p.cfg.WorkerName }

// Ready reports whether the pool is serving, has not stopped claiming, and
// its last claim and heartbeat reached the backend.
func (p *Pool) Ready() bool {
	if p.queues != nil {
		for _, qp := range p.queues {
			if !qp.Ready() {
				return false
			}
		}
		return p.running.Load() && !p.claimingStopped()
	}
	return p.running.Load() && p.healthy.Load() && !p.claimingStopped()
}

// StopClaiming makes the pool stop claiming at once and begin the graceful
// stop [Pool.Serve] describes, as if Serve's context had ended: in-flight
// tasks get DrainTimeout, then are cancelled and released. Serve itself
// still returns only when its context ends, and claims nothing more, even
// if it is served again; [Pool.RunDue] then returns [ErrClaimingStopped].
// A process calls it when a stop begins, so no task starts while the rest
// of the process (an HTTP server draining) winds down. It is safe to call
// at any time, more than once.
func (p *Pool) StopClaiming() {
	p.quitOnce.Do(func() { close(p.quit) })
	for _, qp := range p.queues {
		qp.StopClaiming()
	}
}

func (p *Pool) claimingStopped() bool {
	select {
	case <-p.quit:
		return true
	default:
		return false
	}
}

// String names the pool in supervisor logs.
func (p *Pool) String() string { return "taskqueue.Pool(" + p.cfg.WorkerName + ")" }

// Running returns how many claimed attempts have not ended: running, or
// waiting for a slot.
func (p *Pool) Running() int {
	if p.queues != nil {
		n := 0
		for _, qp := range p.queues {
			n += qp.Running()
		}
		return n
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inflight
}

// Serve claims and runs tasks until ctx ends, then stops in two steps:
// a soft stop (no new claims; in-flight tasks get DrainTimeout to finish),
// then a hard stop (the remaining tasks' contexts are cancelled with cause
// [ErrStopping] and their leases released, so other pools run them at once
// and the interrupted attempt does not count). Outcomes still queued are
// written within FlushTimeout. [Pool.StopClaiming] starts the same stop
// before ctx ends. Serve returns only after ctx ends, with ctx.Err().
func (p *Pool) Serve(ctx context.Context) error {
	if p.queues != nil {
		return p.serveQueues(ctx)
	}
	if !p.running.CompareAndSwap(false, true) {
		return fmt.Errorf("%w: pool %s is already serving", ErrInvalidConfig, p.cfg.WorkerName)
	}
	defer p.running.Store(false)
	if m := p.cfg.Member; m != nil {
		// The registration outlives the pool's stop: while tasks drain,
		// the leader must not take the process for gone.
		defer m.hold()()
	}
	p.healthy.Store(false)
	p.mu.Lock()
	p.draining = false
	p.mu.Unlock()

	var events <-chan store.Event
	if p.cfg.Notifier != nil {
		ch, unsubscribe := p.cfg.Notifier.Subscribe()
		defer unsubscribe()
		events = ch
	}

	flushCtx, cancelFlush := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelFlush()
	fin := newFinisher(p.cfg.Queue, p.log, p.cfg.FinishBatch, &p.writes, p.finished)
	go fin.run(flushCtx)

	// Each task's context derives from tasksCtx, which is never cancelled:
	// the pool cancels the tasks it holds one by one (cancelAll), so that a
	// claim does not register thousands of children with one shared parent
	// (whose lock every claim and every finishing worker took).
	tasksCtx := context.WithoutCancel(ctx)
	defer p.cancelAll(ErrStopping)

	hbCtx, stopHeartbeat := context.WithCancel(context.WithoutCancel(ctx))
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		p.heartbeatLoop(hbCtx)
	}()

	// claimCtx ends with ctx or at StopClaiming.
	claimCtx, stopClaims := context.WithCancel(ctx)
	defer stopClaims()
	go func() {
		select {
		case <-p.quit:
			stopClaims()
		case <-claimCtx.Done():
		}
	}()
	p.claimLoop(claimCtx, tasksCtx, fin, events)

	// Soft stop: no more claims; tasks waiting for a worker are released,
	// and running attempts may finish.
	p.releaseWaiting(fin)
	p.log.Info("pool stopping", slog.Int("in_flight", p.Running()), slog.Duration("drain_timeout", p.cfg.DrainTimeout))
	if !p.waitIdle(p.cfg.DrainTimeout) {
		// Hard stop: cancel what is left; its leases are released.
		p.log.Warn("drain timeout passed; cancelling in-flight tasks", slog.Int("in_flight", p.Running()))
		p.cancelAll(ErrStopping)
		if !p.waitIdle(p.cfg.FlushTimeout) {
			p.log.Error("tasks ignored cancellation; their leases will expire and they will run again",
				slog.Int("in_flight", p.Running()))
		}
	}
	close(fin.stop)
	timer := time.AfterFunc(p.cfg.FlushTimeout, cancelFlush)
	<-fin.done
	timer.Stop()
	stopHeartbeat()
	<-hbDone
	p.log.Info("pool stopped")
	// After StopClaiming the stop is done before ctx ends.
	<-ctx.Done()
	return ctx.Err()
}

func (p *Pool) claimLoop(ctx, tasksCtx context.Context, fin *finisher, events <-chan store.Event) {
	poll := time.NewTicker(p.cfg.PollInterval)
	defer poll.Stop()
	throttle := newClaimThrottle(p.cfg.Now, p.enoughFree, newRealTimer())
	defer throttle.Stop()
	check := time.NewTimer(time.Hour)
	check.Stop()
	defer check.Stop()
	checkArmed, lastTaken := false, -1
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
			return
		case <-p.wakeCheck:
			if !checkArmed {
				check.Reset(2 * wakeTarget)
				checkArmed = true
			}
		case <-check.C:
			checkArmed = false
			if p.checkWaiting(fin, &lastTaken) {
				check.Reset(2 * wakeTarget)
				checkArmed = true
			}
		case <-throttle.C():
			throttle.Start()
			throttle.Done(p.claim(ctx, tasksCtx, fin))
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			switch ev.Kind {
			case store.EventReady:
				throttle.Notify()
			case store.EventResync:
				throttle.Notify()
				p.heartbeatResync()
			case store.EventCancel:
				p.mu.Lock()
				_, mine := p.held[ev.TaskID]
				p.mu.Unlock()
				if mine {
					p.heartbeatSoon()
				}
			}
		case <-p.slotFreed:
			throttle.SlotFreed()
		case <-p.joined:
			throttle.Notify()
		case <-poll.C:
			throttle.Notify()
			p.retireIdle()
		}
	}
}

// capacity is how many claimed tasks the pool holds at most now: its
// workers plus the prefetch its recent pace calls for. Of its workers it
// counts only as many as can be kept busy: at least DefaultConcurrency,
// and as many as start a full prefetch within wakeTarget at the recent
// pace (wanted wakes no more), which run over Prefetch/wakeTarget tasks a
// second, more than any claim delivers. A pool of 2,000 workers draining
// tiny tasks then holds what a pool of 100 does, not 3,000 tasks, each
// of them a lease (in PostgreSQL a running row) until its outcome is
// written. p.mu must be held.
func (p *Pool) capacity() int {
	workers, prefetch := p.cfg.Concurrency, p.cfg.Prefetch
	if p.avgRun > 0 {
		ahead := float64(p.cfg.Concurrency) * float64(PrefetchHorizon) / p.avgRun
		prefetch = int(min(ahead, float64(p.cfg.Prefetch)))
		if p.cfg.Prefetch > 0 {
			busy := math.Ceil(float64(p.cfg.Prefetch) * p.avgRun / float64(wakeTarget))
			workers = int(min(float64(workers), max(busy, DefaultConcurrency)))
		}
	} else {
		prefetch = min(prefetch, p.cfg.Concurrency)
	}
	return workers + prefetch
}

// maxClaim bounds the tasks one claim takes: a pool holds up to its
// capacity (3,000 tasks at 2,000 workers with the default prefetch) but
// claims it in statements of at most maxClaim, the default outcome batch
// (DefaultFinishBatch). A pool of 2,000 workers draining tiny tasks then
// makes the claims a pool of 100 does, rather than claims of up to 3,000
// rows, each holding every worker's next task back until it returns.
const maxClaim = DefaultFinishBatch

// enoughFree reports whether a backlogged pool has the free capacity to
// claim (a quarter of what one claim may take); otherwise it waits for
// more or for claimCooldown.
func (p *Pool) enoughFree() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.capacity()
	return c-p.inflight >= max(1, min(c, maxClaim)/4)
}

// claim claims up to the number of free slots (at most maxClaim) and
// starts the tasks. It returns how many it claimed and how many it asked
// for.
func (p *Pool) claim(ctx, tasksCtx context.Context, fin *finisher) (n, free int) {
	p.mu.Lock()
	free = min(p.capacity()-p.inflight, maxClaim)
	p.mu.Unlock()
	if free <= 0 {
		return 0, 0
	}
	if m := p.cfg.Member; m != nil && !m.Joined() {
		// Not registered (yet, or again after a lost session): a task
		// claimed now could be taken for a lost process's.
		return 0, free
	}
	f, ok := p.claimFilter()
	if !ok {
		// No handler yet: nothing to claim, and nothing wrong.
		p.healthy.Store(true)
		return 0, free
	}
	tasks, err := p.cfg.Queue.ClaimMatching(ctx, p.cfg.WorkerName, free, p.cfg.Lease, f)
	if err != nil {
		if ctx.Err() == nil {
			p.healthy.Store(false)
			p.log.Warn("claim failed", slog.String("error", err.Error()))
		}
		return 0, free
	}
	p.healthy.Store(true)
	now := p.cfg.Now()
	pds := make([]pending, len(tasks))
	for i := range tasks {
		tctx, cancel := context.WithCancelCause(tasksCtx)
		pd := &pds[i]
		pd.ctx, pd.t = tctx, &tasks[i]
		pd.held.attempt, pd.held.cancel, pd.held.claimed = tasks[i].Attempts, cancel, now
		pd.h = &pd.held
	}
	p.mu.Lock()
	p.inflight += len(tasks)
	for i := range pds {
		if old, ok := p.held[tasks[i].ID]; ok && !old.ended.Load() {
			// An earlier attempt of ours still runs: its lease was lost
			// (rescued and claimed again), and it is stopped before it
			// leaves the map.
			old.cancel(ErrLeaseLost)
		}
		p.held[tasks[i].ID] = pds[i].h
	}
	// The tasks wait in claim order; parked workers wake, and new ones
	// start (as many as Concurrency allows), for as many as wanted says.
	for i := range pds {
		p.waiting = append(p.waiting, &pds[i])
	}
	want := p.wanted()
	wake := p.wakeLocked(want)
	start := min(p.cfg.Concurrency-p.workers, want-wake)
	p.workers += start
	recheck := len(p.waiting) > 0 && p.idle+p.cfg.Concurrency-p.workers > 0
	p.mu.Unlock()
	// Woken and started after the lock is released, so finishing workers
	// do not wait for a whole batch of goroutines to start.
	for range wake {
		p.wake.Signal()
	}
	for range start {
		go p.work(nil, fin)
	}
	if recheck {
		p.armWakeCheck()
	}
	if p.cfg.Observer != nil {
		for i := range tasks {
			p.cfg.Observer.Claimed(&tasks[i])
		}
	}
	return len(tasks), free
}

// claimFilter returns what the pool claims: the types its dispatcher
// declares now (a Mux may gain handlers while the pool serves), or any
// type for a dispatcher marked with AnyType. ok is false when the
// dispatcher declares no type at all, so there is nothing to claim.
func (p *Pool) claimFilter() (f store.ClaimFilter, ok bool) {
	types, any, _ := ClaimTypes(p.cfg.Dispatcher)
	if any {
		return store.ClaimFilter{Queue: p.queue, Fair: p.fair}, true
	}
	return store.ClaimFilter{Queue: p.queue, Types: types, Fair: p.fair}, len(types) > 0
}

// pending is a claimed task on its way to a worker.
type pending struct {
	ctx context.Context
	h   *heldTask // &held
	t   *store.Task
	// held is h's storage: a claim's pending tasks and their held
	// entries are one allocation.
	held heldTask
}

// work runs pd (or, when nil, the first waiting task), then the waiting
// tasks in claim order; when none waits it parks until woken, and retires
// at stop or after a whole poll interval parked.
func (p *Pool) work(pd *pending, fin *finisher) {
	if pd == nil {
		p.mu.Lock()
		pd = p.park()
		p.mu.Unlock()
	}
	for pd != nil {
		ran := p.run(pd.ctx, pd.h, pd.t, fin)
		pd = p.next(ran)
	}
}

// wakeTarget is how soon the waiting tasks should all have started, at
// the recent pace, with the workers awake: wanted wakes only as many
// workers as that takes. Tiny tasks then run on a few workers, each
// taking the next waiting task as it finishes, instead of one woken
// worker per task; a claim of slow tasks wakes one per task.
const wakeTarget = time.Millisecond

// wanted returns how many more workers the waiting tasks call for: with
// those running, enough to start them all within wakeTarget at the
// recent pace, or one per task before the pace is known; at least one
// while tasks wait and none runs. p.mu must be held.
func (p *Pool) wanted() int {
	n := len(p.waiting)
	if n == 0 || p.draining {
		return 0
	}
	need := n
	if p.avgRun > 0 {
		need = min(n, int(math.Ceil(float64(n)*p.avgRun/float64(wakeTarget))))
	}
	return max(0, need-(p.workers-p.idle))
}

// wakeLocked counts up to n parked workers out of idle, to be woken with
// as many p.wake.Signal calls once p.mu is released, and returns how
// many. A woken worker takes one of the wakes; one woken by a broadcast
// with none left counts itself out of idle. p.mu must be held.
func (p *Pool) wakeLocked(n int) int {
	n = min(n, p.idle)
	p.idle -= n
	p.wakes += n
	return n
}

// armWakeCheck asks the claim loop to look at the waiting tasks again
// in a while (see checkWaiting).
func (p *Pool) armWakeCheck() {
	select {
	case p.wakeCheck <- struct{}{}:
	default:
	}
}

// checkWaiting wakes or starts the workers the waiting tasks call for
// now, and all they may have when no waiting task was taken since the
// last check (the running workers are all held up, by tasks slower than
// the recent pace). It reports whether to check again: tasks still wait
// and more workers could run.
func (p *Pool) checkWaiting(fin *finisher, lastTaken *int) bool {
	p.mu.Lock()
	want := p.wanted()
	if p.taken == *lastTaken && len(p.waiting) > 0 && !p.draining {
		want = len(p.waiting)
	}
	*lastTaken = p.taken
	wake := p.wakeLocked(want)
	start := max(0, min(p.cfg.Concurrency-p.workers, want-wake))
	p.workers += start
	again := len(p.waiting) > 0 && !p.draining && p.idle+p.cfg.Concurrency-p.workers > 0
	p.mu.Unlock()
	for range wake {
		p.wake.Signal()
	}
	for range start {
		go p.work(nil, fin)
	}
	return again
}

// next records that an attempt that ran for ran left the pool and takes
// the first waiting task (one acquisition of the pool's lock per task
// under a backlog), or parks the calling worker until one waits. It
// returns nil when the worker retires.
func (p *Pool) next(ran time.Duration) *pending {
	p.mu.Lock()
	p.settle(ran)
	pd := p.take()
	wake := 0
	if pd != nil {
		// A waiting task that will not start soon enough with the
		// workers running now wakes one more.
		wake = p.wakeLocked(min(1, p.wanted()))
	}
	p.mu.Unlock()
	if wake > 0 {
		p.wake.Signal()
	}
	select {
	case p.slotFreed <- struct{}{}:
	default:
	}
	if pd != nil {
		return pd
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.park()
}

// take removes and returns the first waiting task, or nil when none
// waits or the pool is draining. p.mu must be held.
func (p *Pool) take() *pending {
	if len(p.waiting) == 0 || p.draining {
		return nil
	}
	pd := p.waiting[0]
	p.waiting[0] = nil
	p.waiting = p.waiting[1:]
	p.taken++
	return pd
}

// park waits, p.mu held, until a task waits and returns it, or returns
// nil (the worker retires) once the pool drains or the worker stayed
// parked across two poll ticks.
func (p *Pool) park() *pending {
	gen := p.idleGen
	for {
		if pd := p.take(); pd != nil {
			return pd
		}
		if p.draining || p.idleGen-gen >= 2 {
			p.workers--
			return nil
		}
		p.idle++
		p.wake.Wait()
		if p.wakes > 0 {
			p.wakes--
		} else {
			p.idle--
		}
	}
}

// retireIdle counts a poll tick and wakes the parked workers, which
// retire when they stayed parked across two ticks.
func (p *Pool) retireIdle() {
	p.mu.Lock()
	p.idleGen++
	idle := p.idle
	p.mu.Unlock()
	if idle > 0 {
		p.wake.Broadcast()
	}
}

// settle counts an attempt that ran for ran out of the pool. p.mu must be
// held.
func (p *Pool) settle(ran time.Duration) {
	p.inflight--
	if ran > 0 {
		// An exponential moving average, weight 1/16 for the newest.
		if p.avgRun == 0 {
			p.avgRun = float64(ran)
		} else {
			p.avgRun += (float64(ran) - p.avgRun) / 16
		}
	}
}

// releaseWaiting stops handing waiting tasks to workers and releases them:
// they never ran, so their attempt does not count.
func (p *Pool) releaseWaiting(fin *finisher) {
	p.mu.Lock()
	p.draining = true
	waiting := p.waiting
	p.waiting = nil
	p.mu.Unlock()
	p.wake.Broadcast() // parked workers retire
	for _, pd := range waiting {
		pd.h.cancel(ErrStopping)
		ran := p.run(pd.ctx, pd.h, pd.t, fin)
		p.mu.Lock()
		p.settle(ran)
		p.mu.Unlock()
	}
	select {
	case p.slotFreed <- struct{}{}:
	default:
	}
}

// taskLog returns the pool's logger with t's id, type and attempt. It is
// made only when something is logged: building it for every attempt cost
// more than a no-op task.
func (p *Pool) taskLog(t *store.Task) *slog.Logger {
	return p.log.With(slog.String("task_id", t.ID), slog.String("type", t.Type), slog.Int("attempt", t.Attempts))
}

// run runs one attempt (or, when ctx already ended, records that it never
// ran) and hands its outcome to the finisher. It returns how long the
// dispatcher ran; the caller counts the attempt out of the pool (settle).
func (p *Pool) run(ctx context.Context, h *heldTask, t *store.Task, fin *finisher) time.Duration {
	var a attemptResult
	if ctx.Err() == nil {
		if p.progressBeater() != nil {
			ctx = context.WithValue(ctx, progressKey{}, &h.progress)
		}
		a = p.attempt(ctx, t)
	} else {
		// Cancelled, lost or released while it waited: it never ran.
		a.cause = context.Cause(ctx)
		a.err = a.cause
	}
	result, err, ran, cause := a.result, a.err, a.ran, a.cause

	h.ended.Store(true)
	h.cancel(nil)

	out, keep := p.outcome(t, result, err, cause)
	// The observer hears of a written outcome from the finisher, after the
	// write (see finished); of one never written, here.
	unwritten := !keep
	if keep {
		h.task, h.ran = t, ran
	}
	switch {
	case !keep:
		p.forget(t.ID, t.Attempts)
		p.taskLog(t).Warn("lease lost; outcome not written", slog.Duration("ran", ran))
	case !fin.submit(out):
		p.forget(t.ID, t.Attempts)
		p.taskLog(t).Error("outcome dropped: pool stopped", slog.String("outcome", string(out.Kind)))
		unwritten = true
	}
	a.ended(out.Kind, !keep)
	if unwritten && p.cfg.Observer != nil {
		p.cfg.Observer.Finished(t, out.Kind, ran, ErrLeaseLost)
	}
	return ran
}

// attemptResult is what one run of the dispatcher gave.
type attemptResult struct {
	result json.RawMessage
	err    error
	ran    time.Duration
	cause  error            // why the attempt's context ended; nil if it did not
	end    func(AttemptEnd) // from the Tracer; nil without one
}

// ended tells the Tracer, if any, how the attempt ended.
func (a *attemptResult) ended(kind store.OutcomeKind, leaseLost bool) {
	if a.end != nil {
		a.end(AttemptEnd{Outcome: kind, Ran: a.ran, LeaseLost: leaseLost, Panicked: errors.Is(a.err, ErrPanic)})
	}
}

// attempt runs the dispatcher under the task's timeout.
func (p *Pool) attempt(ctx context.Context, t *store.Task) attemptResult {
	// Measured from before the timeout starts, so an attempt that timed
	// out never reports less than the timeout.
	start := p.cfg.Now()
	var end func(AttemptEnd)
	if p.cfg.Tracer != nil {
		ctx, end = p.cfg.Tracer.StartAttempt(ctx, t)
	}
	runCtx := ctx
	if timeout := p.timeout(t); timeout > 0 {
		var stop context.CancelFunc
		runCtx, stop = context.WithTimeoutCause(ctx, timeout, ErrTimeout)
		defer stop()
	}
	result, err := p.dispatch(runCtx, t)
	ran := p.cfg.Now().Sub(start)
	var cause error
	if runCtx.Err() != nil {
		cause = context.Cause(runCtx)
	}
	return attemptResult{result: result, err: err, ran: ran, cause: cause, end: end}
}

// dispatch calls the dispatcher, turning a panic into an error.
func (p *Pool) dispatch(ctx context.Context, t *store.Task) (result json.RawMessage, err error) {
	defer func() {
		if r := recover(); r != nil {
			v := fmt.Sprint(r)
			if p.cfg.Redactor != nil {
				v = p.cfg.Redactor.RedactText(v)
			}
			p.taskLog(t).Error("dispatcher panicked", slog.String("panic", v), slog.String("stack", string(debug.Stack())))
			result, err = nil, fmt.Errorf("%w: %s", ErrPanic, v)
		}
	}()
	return p.cfg.Dispatcher.Dispatch(ctx, t)
}

// outcome decides what to record for an attempt. keep is false when
// nothing may be written (the lease was lost).
func (p *Pool) outcome(t *store.Task, result json.RawMessage, err error, cause error) (store.Outcome, bool) {
	out := store.Outcome{TaskID: t.ID, Worker: p.cfg.WorkerName, Attempt: t.Attempts}
	switch {
	case errors.Is(cause, ErrLeaseLost):
		out.Kind = store.OutcomeRelease
		return out, false
	case errors.Is(cause, ErrCancelled):
		out.Kind, out.Error = store.OutcomeCancel, "cancelled while running"
		return out, true
	case errors.Is(cause, ErrStopping) && err != nil:
		out.Kind = store.OutcomeRelease
		return out, true
	}
	if err == nil {
		if len(result) == 0 {
			result = json.RawMessage("null")
		}
		// The store's JSON contract, not just syntax: a result PostgreSQL
		// refuses (\u0000, an unpaired surrogate, a number numeric cannot
		// hold) would fail the shared outcome statement of every task in
		// it, again on each retry.
		if err := store.CheckJSON(result); err != nil {
			out.Kind, out.Error = store.OutcomeFail, "dispatcher returned a result that is not valid JSON: it "+err.Error()
			return out, true
		}
		if p.cfg.Redactor != nil {
			result = p.cfg.Redactor.RedactResult(result)
		}
		out.Kind, out.Result = store.OutcomeComplete, result
		return out, true
	}
	var snooze *SnoozeError
	if errors.As(err, &snooze) && cause == nil {
		if t.Snoozes < p.cfg.MaxSnoozes {
			out.Kind, out.RetryIn = store.OutcomeSnooze, max(snooze.Delay, 0)
			return out, true
		}
		err = RetryAfter(snooze.Delay, fmt.Errorf("snoozed %d times, the limit (PoolConfig.MaxSnoozes): this snooze counts as an attempt", t.Snoozes))
	}
	msg := err.Error()
	if errors.Is(cause, ErrTimeout) && !errors.Is(err, ErrTimeout) {
		msg = fmt.Sprintf("%s after %s: %s", ErrTimeout, p.timeout(t), msg)
	}
	if p.cfg.Redactor != nil {
		// Redacted before it is cut, so the cut never leaves part of a
		// value; the analyzer reads at most a few times maxErrorText.
		msg = p.cfg.Redactor.RedactText(truncate(msg, 4*maxErrorText))
	}
	out.Error = truncate(storableText(msg), maxErrorText)
	var ra *RetryAfterError
	switch {
	case errors.Is(err, ErrCancelled):
		out.Kind = store.OutcomeCancel
	case errors.Is(err, ErrPermanent), t.Attempts >= t.MaxAttempts:
		out.Kind = store.OutcomeFail
	case errors.As(err, &ra):
		out.Kind, out.RetryIn = store.OutcomeRetry, max(ra.Delay, 0)
	default:
		policy := p.cfg.RetryPolicy
		if hc, ok := HandlerConfigOf(p.cfg.Dispatcher, t.Type); ok && hc.RetryPolicy != nil {
			policy = hc.RetryPolicy
		}
		out.Kind, out.RetryIn = store.OutcomeRetry, policy.NextRetry(t.Attempts)
	}
	return out, true
}

// timeout is the bound of an attempt of t: its handler's (WithTimeout),
// or the pool's; zero or less means none.
func (p *Pool) timeout(t *store.Task) time.Duration {
	if hc, ok := HandlerConfigOf(p.cfg.Dispatcher, t.Type); ok && hc.Timeout != 0 {
		return hc.Timeout
	}
	return p.cfg.Timeout
}

// forget drops the entry of a task's attempt once nothing more will be
// written for it.
func (p *Pool) forget(id string, attempt int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if h, ok := p.held[id]; ok && h.attempt == attempt {
		delete(p.held, id)
	}
}

// finished is called by the finisher after each write, with the outcomes
// written and, for each, nil or why the backend refused it; errs is nil
// when the finisher gave up writing them (the pool stopped before the
// backend answered). Only then is the Observer told: a caller counting
// completions through it never counts one the backend does not hold.
func (p *Pool) finished(outs []store.Outcome, errs []error) {
	var observed []*heldTask
	if p.cfg.Observer != nil {
		observed = make([]*heldTask, len(outs))
	}
	p.mu.Lock()
	for i, o := range outs {
		if h, ok := p.held[o.TaskID]; ok && h.attempt == o.Attempt {
			delete(p.held, o.TaskID)
			if observed != nil {
				observed[i] = h
			}
		}
	}
	p.mu.Unlock()
	for i, o := range outs {
		var err error
		switch {
		case errs == nil:
			err = ErrLeaseLost // not written: the lease expires and the task runs again
		case i < len(errs) && errs[i] != nil:
			err = errs[i]
			p.log.Warn("outcome rejected: lease no longer held", slog.String("task_id", o.TaskID),
				slog.Int("attempt", o.Attempt), slog.String("outcome", string(o.Kind)), slog.String("error", err.Error()))
		}
		if observed != nil && observed[i] != nil && observed[i].task != nil {
			if err != nil && !errors.Is(err, ErrLeaseLost) {
				err = fmt.Errorf("%w: %w", ErrLeaseLost, err)
			}
			p.cfg.Observer.Finished(observed[i].task, o.Kind, observed[i].ran, err)
		}
	}
}

func (p *Pool) heartbeatSoon() {
	select {
	case p.hbNow <- struct{}{}:
	default:
	}
}

func (p *Pool) heartbeatResync() {
	select {
	case p.hbResync <- struct{}{}:
	default:
	}
}

// resyncBeatGap is the shortest time between a heartbeat and one asked
// for by a resync. A resync says notifications may have been lost, among
// them a cancellation, which the heartbeat's answer delivers. A
// subscriber that falls behind a busy store is sent one resync after
// another (the in-memory store's events during a drain at 2,000 workers:
// 134 resyncs in one run, each a heartbeat of 3,000 to 5,000 tasks); they
// are served together, at most a fraction of an interval late.
func (p *Pool) resyncBeatGap() time.Duration { return p.cfg.HeartbeatInterval / 4 }

// youngAge is the age below which a task claimed by this pool is left out
// of a periodic heartbeat: its lease, taken at the claim, outlasts the
// next periodic heartbeat by at least one interval. Short tasks then cost
// no heartbeat at all (a drain of no-op tasks held 3,000 to 5,000 tasks at
// each heartbeat, every one of them claimed milliseconds before). It is 0
// (every task) when the lease is shorter than three intervals.
func (p *Pool) youngAge() time.Duration {
	return max(0, min(p.cfg.HeartbeatInterval, p.cfg.Lease-2*p.cfg.HeartbeatInterval))
}

func (p *Pool) heartbeatLoop(ctx context.Context) {
	t := time.NewTicker(p.cfg.HeartbeatInterval)
	defer t.Stop()
	resync := time.NewTimer(time.Hour)
	resync.Stop()
	resyncArmed := false
	lastOK := p.cfg.Now()
	last := time.Time{}
	for {
		all := true
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			all = false
		case <-p.hbNow:
		case <-p.hbResync:
			if resyncArmed {
				continue
			}
			if wait := p.resyncBeatGap() - p.cfg.Now().Sub(last); wait > 0 {
				resync.Reset(wait)
				resyncArmed = true
				continue
			}
		case <-resync.C:
			resyncArmed = false
		}
		last = p.cfg.Now()
		if p.heartbeat(ctx, all) {
			lastOK = p.cfg.Now()
		} else if since := p.cfg.Now().Sub(lastOK); since > p.cfg.Lease {
			// Without a heartbeat for a whole lease, other pools may have
			// rescued our tasks: stop them rather than run them twice.
			p.cancelAll(ErrLeaseLost)
		}
	}
}

// heartbeat extends the leases and cancels the tasks that were lost or
// asked to cancel. Tasks younger than youngAge are left out, unless all is
// set and their attempt has not ended. It reports whether the backend
// answered.
func (p *Pool) heartbeat(ctx context.Context, all bool) bool {
	// Only attempts running before the call can be judged by its answer: a
	// claim that commits during the call is not in it. Attempts that ended
	// and wait for their outcome's write keep their lease too.
	//
	// An attempt that ended is only kept alive, never judged, so a young
	// one is left out even when all is set: its row is the one the
	// finisher is about to write, and a heartbeat waiting for the
	// finisher's row locks, in id order, met the next batch's locks on
	// every stretch of ids, while the finisher waited for the heartbeat's
	// (one heartbeat of 4,000 tasks took 8.5 s at the start of a drain,
	// and the drain stood still meanwhile).
	//
	// A running attempt with progress to write is included however young:
	// the progress goes in the same statement.
	young := p.cfg.Now().Add(-p.youngAge())
	p.mu.Lock()
	ids := make([]string, 0, len(p.held))
	before := make(map[string]int, len(p.held))
	var progress []store.Progress
	var taken []*heldTask
	for id, h := range p.held {
		ended := h.ended.Load()
		var pending *json.RawMessage
		if !ended {
			pending = h.progress.pending.Swap(nil)
		}
		if pending == nil && (!all || ended) && h.claimed.After(young) {
			continue
		}
		ids = append(ids, id)
		if !ended {
			before[id] = h.attempt
		}
		if pending != nil {
			progress = append(progress, store.Progress{TaskID: id, Attempt: h.attempt, Value: *pending})
			taken = append(taken, h)
		}
	}
	p.mu.Unlock()
	if len(ids) == 0 {
		// Nothing to extend; the call would only check the backend.
		return true
	}

	var leases []store.Lease
	var err error
	p.writes.Lock()
	if pb := p.progressBeater(); pb != nil && len(progress) > 0 {
		leases, err = pb.HeartbeatProgress(ctx, p.cfg.WorkerName, ids, progress, p.cfg.Lease)
	} else {
		leases, err = p.cfg.Queue.Heartbeat(ctx, p.cfg.WorkerName, ids, p.cfg.Lease)
	}
	p.writes.Unlock()
	if err != nil {
		// The progress goes with the next heartbeat, unless the attempt
		// recorded a newer value meanwhile.
		for i, h := range taken {
			v := progress[i].Value
			h.progress.pending.CompareAndSwap(nil, &v)
		}
		if ctx.Err() == nil {
			p.healthy.Store(false)
			p.log.Warn("heartbeat failed", slog.String("error", err.Error()))
		}
		return false
	}
	found := make(map[string]store.Lease, len(leases))
	for _, l := range leases {
		found[l.TaskID] = l
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, attempt := range before {
		h, ok := p.held[id]
		if !ok || h.attempt != attempt || h.ended.Load() {
			continue // ended meanwhile
		}
		l, ok := found[id]
		switch {
		case !ok || l.Attempt != attempt:
			p.log.Warn("lease lost", slog.String("task_id", id), slog.Int("attempt", attempt))
			h.cancel(ErrLeaseLost)
		case l.CancelRequested:
			h.cancel(ErrCancelled)
		}
	}
	return true
}

// progressBeater returns the pool's backend as a progress heartbeat, or
// nil when it writes no progress.
func (p *Pool) progressBeater() store.ProgressHeartbeater {
	pb, _ := p.cfg.Queue.(store.ProgressHeartbeater)
	return pb
}

func (p *Pool) cancelAll(cause error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range p.held {
		h.cancel(cause)
	}
}

// waitIdle waits up to d for every in-flight attempt to end.
func (p *Pool) waitIdle(d time.Duration) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if p.Running() == 0 {
			return true
		}
		select {
		case <-deadline.C:
			return p.Running() == 0
		case <-p.slotFreed:
		case <-tick.C:
		}
	}
}

// storableText returns s as text every store keeps: invalid UTF-8 and NUL
// (which PostgreSQL's text refuses, failing the shared outcome statement)
// become U+FFFD. An error's text is diagnostic: it is kept, not refused.
func storableText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}
