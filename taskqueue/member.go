package taskqueue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seedcore/seedcore/store"
)

// Default values of [MemberConfig] fields.
const (
	// DefaultMemberInterval is how often a member checks its session,
	// stands for leader and, while it leads, looks for lost processes.
	DefaultMemberInterval = 200 * time.Millisecond
	// DefaultSeenInterval is how often a member records that it is alive.
	DefaultSeenInterval = 5 * time.Second
	// memberStatementTimeout bounds each statement of a member's session.
	memberStatementTimeout = 5 * time.Second
)

// MemberConfig configures a [Member].
type MemberConfig struct {
	// Membership is the backend's registry. Required.
	Membership store.Membership
	// Info describes the process; Info.Name is required and must be the
	// worker name of the process's pool (the lease holder of its tasks).
	Info store.ProcessInfo
	// Interval is how often the member checks its session, stands for
	// leader when no one leads, and, while it leads, returns the tasks of
	// lost processes to the queue. It bounds both the time a dead
	// process's tasks wait and the time leadership stays vacant. Default
	// DefaultMemberInterval.
	Interval time.Duration
	// SeenInterval is how often the process's last-seen time is recorded.
	// Default DefaultSeenInterval.
	SeenInterval time.Duration
	// RescueBatch bounds the lost registrations handled per call. Default
	// DefaultRescueBatch.
	RescueBatch int
	// Logger receives joins, session losses, leadership changes and
	// rescues. Default: discard.
	Logger *slog.Logger
	// OnLeaderChange, when set, is called with true when this process
	// becomes the leader and with false when it stops leading (metrics).
	// It runs after the change is visible through Leading.
	OnLeaderChange func(leading bool)
	// OnRescue, when set, is called with the number of tasks returned to
	// the queue from lost processes (metrics).
	OnRescue func(n int)
}

// Member is a process's membership in the group of processes sharing a
// backend, and its part in electing a leader. It is a suture.Service: its
// Serve joins (registers the process under a session the backend keeps
// alive), then every Interval checks the session and stands for leader.
// The leader returns the running tasks of processes whose session ended
// (killed, crashed, cut off) to the queue at once, without waiting for
// their leases, and runs the services wrapped by [Member.Lead]
// (retention, schedules); the others stand by
// and one of them takes over within about Interval once the leader's
// session ends.
//
// A process whose own session is lost (its connection cut while it lives)
// stops every attempt its pool holds (their tasks may already be running
// elsewhere, and their late outcomes are rejected), joins again, and
// claims again only once joined. A [Pool] given the Member in
// [PoolConfig.Member] does all of this; the Member stays registered until
// that pool has stopped.
type Member struct {
	cfg MemberConfig
	log *slog.Logger

	joined  atomic.Bool
	leading atomic.Bool
	id      atomic.Int64

	mu      sync.Mutex
	term    context.Context    // while leading: ends when leadership does
	endTerm context.CancelFunc // ends term
	changed chan struct{}      // closed and replaced at every change of term
	onLost  []func()
	onJoin  []func()
	holds   int
	idle    chan struct{} // closed when holds drops to zero

	changes atomic.Int64
}

// NewMember returns a Member for cfg. Errors wrap [ErrInvalidConfig].
func NewMember(cfg MemberConfig) (*Member, error) {
	if cfg.Membership == nil {
		return nil, fmt.Errorf("%w: member needs a Membership", ErrInvalidConfig)
	}
	if cfg.Info.Name == "" {
		return nil, fmt.Errorf("%w: member needs Info.Name", ErrInvalidConfig)
	}
	if cfg.Interval < 0 || cfg.SeenInterval < 0 || cfg.RescueBatch < 0 {
		return nil, fmt.Errorf("%w: member Interval, SeenInterval and RescueBatch must not be negative", ErrInvalidConfig)
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultMemberInterval
	}
	if cfg.SeenInterval == 0 {
		cfg.SeenInterval = DefaultSeenInterval
	}
	if cfg.RescueBatch == 0 {
		cfg.RescueBatch = DefaultRescueBatch
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Member{
		cfg:     cfg,
		log:     cfg.Logger.With(slog.String("worker", cfg.Info.Name)),
		changed: make(chan struct{}),
	}, nil
}

// String names the service in supervisor logs.
func (m *Member) String() string { return "taskqueue.Member(" + m.cfg.Info.Name + ")" }

// Name returns the process's worker name.
func (m *Member) Name() string { return m.cfg.Info.Name }

// Joined reports whether the process is registered now.
func (m *Member) Joined() bool { return m.joined.Load() }

// Ready reports whether the process is registered: a process whose
// session was lost is not ready until it has joined again.
func (m *Member) Ready() bool { return m.joined.Load() }

// Leading reports whether this process is the leader now.
func (m *Member) Leading() bool { return m.leading.Load() }

// ID returns the current registration's number, 0 when not joined.
func (m *Member) ID() int64 { return m.id.Load() }

// LeaderChanges returns how many times this process became or stopped
// being the leader.
func (m *Member) LeaderChanges() int64 { return m.changes.Load() }

// hooks registers functions called when the session is lost (before the
// process joins again) and once it has joined.
func (m *Member) hooks(lost, joined func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if lost != nil {
		m.onLost = append(m.onLost, lost)
	}
	if joined != nil {
		m.onJoin = append(m.onJoin, joined)
	}
}

// hold keeps the registration alive while the caller (a pool) stops:
// Serve leaves only once every hold is released.
func (m *Member) hold() (release func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.holds == 0 {
		m.idle = make(chan struct{})
	}
	m.holds++
	var once sync.Once
	return func() {
		once.Do(func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.holds--
			if m.holds == 0 {
				close(m.idle)
			}
		})
	}
}

// waitHolds waits until no hold is left, or up to d.
func (m *Member) waitHolds(d time.Duration) {
	m.mu.Lock()
	idle := m.idle
	n := m.holds
	m.mu.Unlock()
	if n == 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
		m.log.Warn("leaving while the pool still stops")
	}
}

// leadership returns the current term (nil when not leading) and a
// channel closed at the next change.
func (m *Member) leadership() (context.Context, <-chan struct{}) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.term, m.changed
}

// setLeading starts or ends a term of leadership under parent.
func (m *Member) setLeading(parent context.Context, leading bool, why string) {
	if m.leading.Load() == leading {
		return
	}
	m.mu.Lock()
	if leading {
		m.term, m.endTerm = context.WithCancel(parent)
	} else {
		m.endTerm()
		m.term, m.endTerm = nil, nil
	}
	m.leading.Store(leading)
	close(m.changed)
	m.changed = make(chan struct{})
	m.mu.Unlock()
	m.changes.Add(1)
	if leading {
		m.log.Info("leadership gained", slog.Int64("process_id", m.ID()))
	} else {
		m.log.Warn("leadership lost", slog.Int64("process_id", m.ID()), slog.String("reason", why))
	}
	if m.cfg.OnLeaderChange != nil {
		m.cfg.OnLeaderChange(leading)
	}
}

// run calls the hooks of list (m.onLost or m.onJoin), read under m.mu:
// a pool may register its hooks while Serve runs.
func (m *Member) run(list *[]func()) {
	m.mu.Lock()
	fs := append([]func(){}, *list...)
	m.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// Serve joins, keeps the session and stands for leader until ctx ends,
// then waits for its pool to stop, leaves and returns ctx.Err().
func (m *Member) Serve(ctx context.Context) error {
	for ctx.Err() == nil {
		se := m.join(ctx)
		if se == nil {
			break
		}
		lost := m.keep(ctx, se)
		m.joined.Store(false)
		m.id.Store(0)
		if !lost {
			m.setLeading(ctx, false, "stopping")
			m.waitHolds(DefaultDrainTimeout + DefaultFlushTimeout + 2*time.Second)
			if err := se.Leave(ctx); err != nil {
				m.log.Warn("leave failed", slog.String("error", err.Error()))
			} else {
				m.log.Info("left")
			}
			break
		}
		m.setLeading(ctx, false, "session lost")
		m.run(&m.onLost)
	}
	return ctx.Err()
}

// join registers the process, retrying every Interval (at most every
// second) until it succeeds or ctx ends (then it returns nil).
func (m *Member) join(ctx context.Context) store.Session {
	backoff := m.cfg.Interval
	for {
		sctx, cancel := context.WithTimeout(ctx, memberStatementTimeout)
		se, err := m.cfg.Membership.Join(sctx, m.cfg.Info)
		cancel()
		if err == nil {
			m.id.Store(se.ID())
			m.joined.Store(true)
			m.log.Info("joined", slog.Int64("process_id", se.ID()))
			m.run(&m.onJoin)
			return se
		}
		if ctx.Err() != nil {
			return nil
		}
		m.log.Warn("join failed", slog.String("error", err.Error()), slog.Bool("name_in_use", errors.Is(err, store.ErrNameInUse)))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// keep drives the session until ctx ends (false) or the session is lost
// (true).
func (m *Member) keep(ctx context.Context, se store.Session) (lost bool) {
	// Statements run to completion at stop, so that a statement
	// interrupted by the stop is not taken for a lost session.
	bg := context.WithoutCancel(ctx)
	tick := time.NewTimer(0)
	defer tick.Stop()
	lastSeen := time.Now()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
		err := m.tick(ctx, bg, se, &lastSeen)
		if err != nil {
			m.log.Warn("session lost; stopping the attempts held and joining again", slog.String("error", err.Error()))
			return true
		}
		tick.Reset(m.cfg.Interval)
	}
}

// tick checks the session, stands for leader and, when leading, returns
// lost processes' tasks to the queue. It returns an error only when the
// session is lost.
func (m *Member) tick(ctx, bg context.Context, se store.Session, lastSeen *time.Time) error {
	sctx, cancel := context.WithTimeout(bg, memberStatementTimeout)
	defer cancel()
	leading, err := se.Lead(sctx)
	if err != nil {
		return err
	}
	m.setLeading(ctx, leading, "")
	if leading {
		total := 0
		for {
			rescued, err := se.RescueLost(sctx, m.cfg.RescueBatch)
			if err != nil {
				return err
			}
			for _, r := range rescued {
				m.log.Info("task rescued from a lost process",
					slog.String("task_id", r.TaskID), slog.String("type", r.Type), slog.String("status", string(r.Status)))
			}
			total += len(rescued)
			if len(rescued) < m.cfg.RescueBatch {
				break
			}
		}
		if total > 0 && m.cfg.OnRescue != nil {
			m.cfg.OnRescue(total)
		}
	}
	if time.Since(*lastSeen) >= m.cfg.SeenInterval {
		if err := se.Seen(sctx); err != nil {
			return err
		}
		*lastSeen = time.Now()
	}
	return nil
}

// Lead returns a service that runs svc only while this process leads:
// it waits for leadership, serves svc with a context that ends when
// leadership ends (or its own context does), and waits again. Give it to
// the same supervisor as the Member. Its Ready is svc's while leading
// (when svc has one) and true while standing by.
func (m *Member) Lead(svc Service) Service { return &leaderOnly{m: m, svc: svc} }

// Service is a suture.Service: what [Member.Lead] runs and returns.
type Service interface {
	Serve(ctx context.Context) error
}

type leaderOnly struct {
	m   *Member
	svc Service
}

func (l *leaderOnly) String() string {
	if s, ok := l.svc.(fmt.Stringer); ok {
		return s.String() + " (leader only)"
	}
	return "leader only"
}

func (l *leaderOnly) Ready() bool {
	if !l.m.Leading() {
		return true
	}
	if r, ok := l.svc.(interface{ Ready() bool }); ok {
		return r.Ready()
	}
	return true
}

func (l *leaderOnly) Serve(ctx context.Context) error {
	for {
		term, changed := l.m.leadership()
		if term == nil || term.Err() != nil {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-changed:
				continue
			}
		}
		lctx, cancel := context.WithCancel(ctx)
		stop := context.AfterFunc(term, cancel)
		err := l.svc.Serve(lctx)
		stop()
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if term.Err() == nil {
			return err // it stopped by itself while leading: restart it
		}
	}
}
