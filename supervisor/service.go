package supervisor

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/thejerf/suture/v4"
)

// State is where a registered service stands in the current (or latest)
// run of the supervisor.
type State int32

const (
	// StatePending: not started yet in this run (or never run).
	StatePending State = iota
	// StateRunning: inside its Serve method.
	StateRunning
	// StateRestarting: it returned or panicked while its context was live
	// and waits to be restarted, at once or after the tree's backoff.
	StateRestarting
	// StateDone: it returned an error wrapping suture.ErrDoNotRestart and
	// will not be restarted during this run.
	StateDone
	// StateStopped: it returned because the supervisor stopped (or it
	// asked the tree to terminate).
	StateStopped
)

// String returns the state's lower-case name.
func (st State) String() string {
	switch st {
	case StatePending:
		return "pending"
	case StateRunning:
		return "running"
	case StateRestarting:
		return "restarting"
	case StateDone:
		return "done"
	case StateStopped:
		return "stopped"
	default:
		return "unknown"
	}
}

// ServiceStatus is a snapshot of one registered service.
type ServiceStatus struct {
	// Name is the name given to [Supervisor.Add].
	Name string
	// Required tells whether readiness depends on the service.
	Required bool
	// State is where the service stands in the current or latest run.
	State State
	// Starts counts the calls of the service's Serve in that run: 1 after
	// the first start, one more per restart.
	Starts int64
}

// runService wraps a registered service for one run. It is what the suture
// tree actually runs: it tracks the state used for readiness, names the
// service in suture's events (String) and makes a nil return explicit.
type runService struct {
	sup    *Supervisor
	run    *run
	e      *entry
	state  atomic.Int32
	starts atomic.Int64
}

func newRunService(s *Supervisor, r *run, e *entry) *runService {
	return &runService{sup: s, run: r, e: e}
}

// String gives suture the service's name for its events.
func (rs *runService) String() string { return rs.e.name }

func (rs *runService) setState(st State) { rs.state.Store(int32(st)) }

// State returns the service's current state.
func (rs *runService) State() State { return State(rs.state.Load()) }

// Serve runs the wrapped service once and records how it ended. A panic is
// left to suture (which recovers it and logs the stack); the deferred
// function only marks the service as waiting for its restart.
func (rs *runService) Serve(ctx context.Context) (err error) {
	n := rs.starts.Add(1)
	rs.setState(StateRunning)
	rs.sup.emit(ctx, Event{Kind: EventServiceStarted, Service: rs.e.name, Starts: n})

	returned := false
	defer func() {
		if !returned { // panicking: suture recovers and restarts it
			rs.setState(StateRestarting)
		}
	}()
	err = rs.e.svc.Serve(ctx)
	returned = true

	switch {
	case errors.Is(err, suture.ErrDoNotRestart):
		rs.setState(StateDone)
		rs.sup.emit(context.Background(), Event{Kind: EventServiceFinished, Service: rs.e.name, Err: err})
	case ctx.Err() != nil, errors.Is(err, suture.ErrTerminateSupervisorTree):
		rs.setState(StateStopped)
	default:
		rs.setState(StateRestarting)
		if err == nil {
			err = errReturnedEarly
		}
	}
	return err
}

// Services returns a snapshot of every registered service, in registration
// order, as it stands in the current or latest run. Before the first run
// every service is [StatePending].
func (s *Supervisor) Services() []ServiceStatus {
	s.mu.Lock()
	entries := s.services
	var byEntry map[*entry]*runService
	if s.run != nil {
		byEntry = make(map[*entry]*runService, len(s.run.services))
		for _, rs := range s.run.services {
			byEntry[rs.e] = rs
		}
	}
	out := make([]ServiceStatus, 0, len(entries))
	for _, e := range entries {
		st := ServiceStatus{Name: e.name, Required: e.required}
		if rs := byEntry[e]; rs != nil {
			st.State = rs.State()
			st.Starts = rs.starts.Load()
		}
		out = append(out, st)
	}
	s.mu.Unlock()
	return out
}

// ServiceFunc adapts a function to suture.Service, like http.HandlerFunc.
// The function must return when its context is done.
type ServiceFunc func(ctx context.Context) error

// Serve calls f(ctx).
func (f ServiceFunc) Serve(ctx context.Context) error { return f(ctx) }
