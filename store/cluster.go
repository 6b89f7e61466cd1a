package store

import (
	"context"
	"errors"
	"time"
)

// ErrSessionLost is returned (wrapped) by a [Session]'s methods once the
// session has ended without [Session.Leave]: its connection was cut, or
// the backend declared the process gone. The process must stop the
// attempts it holds (their leases may have been returned to the queue
// already) and join again.
var ErrSessionLost = errors.New("store: process session lost")

// ErrNameInUse is returned (wrapped) by [Membership.Join] when a live
// process is already registered under the same name: worker names must be
// unique among the processes sharing a backend.
var ErrNameInUse = errors.New("store: worker name in use by a live process")

// ProcessInfo is what a process says about itself when it joins.
type ProcessInfo struct {
	// Name is the process's worker name, the lease holder of its tasks.
	// Required; it must be unique among live processes.
	Name string
	// Host and PID locate the process. Optional.
	Host string
	PID  int
	// Version is the software version it runs. Optional.
	Version string
	// Queues lists the queues it serves. Optional.
	Queues []string
	// Types lists the task types it runs. Optional.
	Types []string
}

// Process is one live process sharing a backend, as listed by
// [ProcessLister].
type Process struct {
	// ID is the registration's number; a process that joins again gets a
	// new one.
	ID      int64     `json:"id"`
	Name    string    `json:"name"`
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Version string    `json:"version"`
	Queues  []string  `json:"queues"`
	Types   []string  `json:"types"`
	Started time.Time `json:"started_at"`
	// LastSeen is when the process last confirmed it is alive; a process
	// is listed only while its session lives, whatever LastSeen says.
	LastSeen time.Time `json:"last_seen_at"`
	// Leader is true for the process that runs the maintenance services.
	Leader bool `json:"leader"`
	// Running is how many tasks it holds under a lease now.
	Running int `json:"running"`
}

// Membership is the optional capability of a backend shared by several
// processes to keep a registry of them, each held alive by a session, and
// to elect one of them leader; find it by type assertion. memstore.Store
// and pgstore.Store have it.
type Membership interface {
	// Join registers the process described by p and returns its session,
	// which holds the registration until [Session.Leave] or until it is
	// lost. A registration under p.Name whose session has ended is
	// removed first, and its tasks returned to the queue as by
	// [Session.RescueLost]; a live one makes Join fail with an error
	// wrapping [ErrNameInUse]. An empty name wraps [ErrInvalidLease].
	Join(ctx context.Context, p ProcessInfo) (Session, error)
}

// ProcessLister lists the live processes of a backend; find it by type
// assertion. memstore.Store and pgstore.Store have it.
type ProcessLister interface {
	// Processes returns the registered processes whose session lives,
	// in registration order.
	Processes(ctx context.Context) ([]Process, error)
}

// Session is one process's registration. Its methods are not safe for
// concurrent use: one goroutine drives a session. Every method returns
// an error wrapping [ErrSessionLost] once the session has ended.
type Session interface {
	// ID is the registration's number.
	ID() int64
	// Lead reports whether this session holds the leader lock, taking it
	// when no live session holds it. Leadership lasts as long as the
	// session: it ends only with Leave or with the session's loss.
	Lead(ctx context.Context) (bool, error)
	// Seen records that the process is alive (Process.LastSeen) and
	// checks that the session still is.
	Seen(ctx context.Context) error
	// RescueLost removes up to limit registrations whose session has
	// ended (the process was killed, or its connection cut) and returns
	// their running tasks to the queue the way an expired lease's are
	// (retry, failed once MaxAttempts is spent, cancelled when
	// cancellation was requested; the attempt counts), unless a live
	// registration has the same name (a process that joined again after
	// losing its session stops its own attempts). Outcomes of those
	// attempts are rejected afterwards by the lease fence. The leader
	// calls it.
	RescueLost(ctx context.Context, limit int) ([]Rescued, error)
	// Leave ends the session: the registration is removed and the leader
	// lock, if held, released. The process's running tasks are left to
	// the process (it releases them as it stops) or to their leases.
	Leave(ctx context.Context) error
}
