package supervisor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/thejerf/suture/v4"
)

// Supervisor is a root suture tree with named services, readiness and a
// graceful, reported stop. Build it with [New], register services with
// [Supervisor.Add] and checks with [Supervisor.AddCheck], then run it with
// [Supervisor.Serve] or [Supervisor.ServeBackground], or add it to another
// suture tree (it is a suture.Service).
//
// All methods are safe for concurrent use.
type Supervisor struct {
	cfg Config

	mu       sync.Mutex
	services []*entry // registration order
	checks   []check  // registration order
	names    map[string]struct{}
	run      *run     // the current or latest run; nil before the first
	running  bool     // a Serve call is in progress
	unstop   []string // services that did not stop at the end of the latest run
}

// entry is a registered service; it outlives runs.
type entry struct {
	name     string
	svc      suture.Service
	required bool
}

type check struct {
	name string
	fn   func(ctx context.Context) error
}

// run is one Serve of the tree: a fresh suture supervisor and fresh
// per-service state, so that a Supervisor restarted by a parent tree starts
// clean and a late exit from a previous run cannot touch the new state.
type run struct {
	inner    *suture.Supervisor
	ctx      context.Context
	paused   atomic.Bool // suture is in backoff
	services []*runService
}

// Option changes how [Supervisor.Add] registers a service.
type Option func(*entry)

// Required marks a service as required for readiness: [Supervisor.Ready]
// is false unless the service is running and, when it implements
// [Readier], reports ready. Services are not required by default.
func Required() Option {
	return func(e *entry) { e.required = true }
}

// Readier may be implemented by a service to tell when it is ready, beyond
// merely running (for example once its listener is bound or its first
// poll succeeded). It is consulted only for [Required] services, and only
// while they run.
type Readier interface {
	// Ready reports whether the service can do its work now. It must be
	// cheap and safe to call from any goroutine.
	Ready() bool
}

// New returns a Supervisor configured by cfg, with the defaults stated on
// [Config] filled in. It returns an error wrapping [ErrInvalidConfig] that
// names the field when a value is invalid.
func New(cfg Config) (*Supervisor, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Supervisor{cfg: cfg, names: make(map[string]struct{})}, nil
}

// String returns the supervisor's name, which a parent suture tree uses in
// its own events.
func (s *Supervisor) String() string { return s.cfg.Name }

// Add registers a service under a name unique within this supervisor. The
// service is started when the supervisor starts, or at once if it is
// already running, and restarted (with backoff) whenever it returns or
// panics while its context is live. A service that returns an error
// wrapping suture.ErrDoNotRestart is not restarted during this run.
//
// Add returns an error wrapping [ErrInvalidArgument] for an empty name or a
// nil service, and [ErrDuplicateName] when the name is taken.
func (s *Supervisor) Add(name string, svc suture.Service, opts ...Option) error {
	if name == "" {
		return fmt.Errorf("%w: empty service name", ErrInvalidArgument)
	}
	if svc == nil {
		return fmt.Errorf("%w: nil service %q", ErrInvalidArgument, name)
	}
	e := &entry{name: name, svc: svc}
	for _, opt := range opts {
		opt(e)
	}

	s.mu.Lock()
	if _, ok := s.names[name]; ok {
		s.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrDuplicateName, name)
	}
	s.names[name] = struct{}{}
	s.services = append(s.services, e)
	r := s.run
	var rs *runService
	if s.running {
		rs = newRunService(s, r, e)
		r.services = append(r.services, rs)
	}
	s.mu.Unlock()

	// Outside the lock: a running suture tree takes the new service through
	// its control loop, which may be busy calling our event hook.
	if rs != nil {
		r.inner.Add(rs)
	}
	return nil
}

// AddCheck registers a named readiness check, such as "the store answers".
// [Supervisor.Check] runs it with a context bounded by Config.CheckTimeout;
// the supervisor is ready only while it returns nil.
//
// AddCheck returns an error wrapping [ErrInvalidArgument] for an empty name
// or a nil function, and [ErrDuplicateName] when the name is taken.
func (s *Supervisor) AddCheck(name string, fn func(ctx context.Context) error) error {
	if name == "" {
		return fmt.Errorf("%w: empty check name", ErrInvalidArgument)
	}
	if fn == nil {
		return fmt.Errorf("%w: nil check function %q", ErrInvalidArgument, name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.names[name]; ok {
		return fmt.Errorf("%w: %q", ErrDuplicateName, name)
	}
	s.names[name] = struct{}{}
	s.checks = append(s.checks, check{name: name, fn: fn})
	return nil
}

// Serve runs the tree until ctx ends, then stops it: every service's
// context is cancelled, Serve waits up to Config.StopTimeout for them to
// return, logs the services that did not (suture's unstopped-service
// report) and returns.
//
// Serve returns ctx.Err() after a clean stop, and an error wrapping both
// [ErrStopTimeout] (naming the services) and ctx.Err() when some services
// did not stop in time. If a service returns suture.ErrTerminateSupervisorTree
// the tree stops and Serve returns that error while ctx is still live, which
// a parent suture tree treats as a failure and answers by calling Serve
// again: each Serve starts a fresh tree with every registered service.
// Serve returns [ErrAlreadyRunning] if the supervisor is already serving.
func (s *Supervisor) Serve(ctx context.Context) error {
	r, err := s.start(ctx)
	if err != nil {
		return err
	}
	return s.finish(r, r.inner.Serve(r.ctx))
}

// ServeBackground starts the tree in a new goroutine and returns once it is
// running, so that services added afterwards are started at once. The
// returned channel receives what [Supervisor.Serve] would have returned,
// once ctx has ended and the stop is done. The channel is buffered, so
// reading it is optional; read it to know when the stop is complete.
func (s *Supervisor) ServeBackground(ctx context.Context) <-chan error {
	out := make(chan error, 1)
	r, err := s.start(ctx)
	if err != nil {
		out <- err
		return out
	}
	done := r.inner.ServeBackground(r.ctx)
	go func() { out <- s.finish(r, <-done) }()
	return out
}

// start builds a fresh run holding every registered service.
func (s *Supervisor) start(ctx context.Context) (*run, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return nil, fmt.Errorf("%w: %q (%w)", ErrAlreadyRunning, s.cfg.Name, suture.ErrDoNotRestart)
	}
	r := &run{ctx: ctx}
	r.inner = suture.New(s.cfg.Name, suture.Spec{
		EventHook:        s.eventHook(r),
		FailureDecay:     s.cfg.FailureDecay.Seconds(),
		FailureThreshold: s.cfg.FailureThreshold,
		FailureBackoff:   s.cfg.FailureBackoff,
		BackoffJitter:    s.cfg.BackoffJitter,
		Timeout:          s.cfg.StopTimeout,
	})
	for _, e := range s.services {
		rs := newRunService(s, r, e)
		r.services = append(r.services, rs)
		// The tree is not running yet, so Add only queues the service.
		r.inner.Add(rs)
	}
	s.run = r
	s.running = true
	s.unstop = nil
	s.emit(ctx, Event{Kind: EventStarting, Count: len(r.services)})
	return r, nil
}

// finish collects the unstopped-service report of a run that has returned
// and turns it into the error Serve returns.
func (s *Supervisor) finish(r *run, serveErr error) error {
	ctx := r.ctx
	// Every return path of suture's Serve stops the tree first, so the
	// report is ready and this does not block.
	report, _ := r.inner.UnstoppedServiceReport()
	names := make([]string, 0, len(report))
	for _, u := range report {
		names = append(names, u.Name)
	}
	slices.Sort(names)

	s.mu.Lock()
	for _, rs := range r.services {
		// A service that waited for a restart, or never started, will not
		// run again in this run.
		if st := rs.State(); st == StateRestarting || st == StatePending {
			rs.setState(StateStopped)
		}
	}
	s.running = false
	if len(names) > 0 {
		s.unstop = names
	}
	s.mu.Unlock()

	if len(names) > 0 {
		s.emit(context.Background(), Event{Kind: EventUnstopped, Services: slices.Clone(names), StopTimeout: s.cfg.StopTimeout})
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = strconv.Quote(n)
		}
		err := fmt.Errorf("%w: %s still running %s after cancellation",
			ErrStopTimeout, strings.Join(quoted, ", "), s.cfg.StopTimeout)
		cause := serveErr
		if cause == nil {
			cause = ctx.Err()
		}
		if cause != nil {
			err = fmt.Errorf("%w: %w", err, cause)
		}
		return err
	}
	s.emit(context.Background(), Event{Kind: EventStopped, Err: serveErr})
	if serveErr == nil && ctx.Err() != nil {
		serveErr = ctx.Err()
	}
	return serveErr
}

// Unstopped returns the names (sorted) of the services that were still
// running Config.StopTimeout after the latest stop, or nil when all
// stopped in time or the supervisor has not stopped yet.
func (s *Supervisor) Unstopped() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.unstop)
}

// errReturnedEarly replaces a nil error returned while the service's
// context was live, so the termination record says what happened.
var errReturnedEarly = errors.New("service returned nil before its context ended")
