package seedcore

import (
	"context"
	"maps"
	"os"
	"runtime/debug"
	"slices"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// modulePath is the library's module, whose version a process reports
// when it joins.
const modulePath = "github.com/seedcore/seedcore"

// WorkerName returns this process's identity among the processes sharing
// the store: the name its pool holds leases under and its registration's
// name (Config.WorkerName, or the hostname-pid-random default).
func (a *App) WorkerName() string { return a.pool.WorkerName() }

// Leading reports whether this process is the leader now: the one process
// of those sharing the store that returns dead processes' tasks, deletes
// old tasks and creates the schedules' tasks. An App on the in-memory
// store leads once it serves.
func (a *App) Leading() bool { return a.member.Leading() }

// Processes lists the live processes sharing the App's store (see
// store.ProcessLister): name, host, pid, version, the task types they
// run and the queues they serve, start and last-seen times, the leader, and how many tasks each
// holds.
func (a *App) Processes(ctx context.Context) ([]store.Process, error) {
	return a.backend.Processes(ctx)
}

// Schedules lists the periodic schedules (Config.Schedules) with their
// next and last runs as the store keeps them.
func (a *App) Schedules(ctx context.Context) ([]store.ScheduleInfo, error) {
	return a.sched.Schedules(ctx)
}

// processInfo describes this process for its registration: the task
// types it runs and the queues it serves (those of queues, or the default
// queue when queues is empty, as the pool does).
func processInfo(name string, types []string, queues map[string]taskqueue.QueueConfig) store.ProcessInfo {
	host, _ := os.Hostname()
	served := slices.Sorted(maps.Keys(queues))
	if len(served) == 0 {
		served = []string{store.DefaultQueue}
	}
	return store.ProcessInfo{Name: name, Host: host, PID: os.Getpid(), Version: moduleVersion(), Queues: served, Types: types}
}

// moduleVersion returns the library's version as built into the program,
// or "" when the build does not record it.
func moduleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	if bi.Main.Path == modulePath {
		return bi.Main.Version
	}
	for _, m := range bi.Deps {
		if m.Path == modulePath {
			return m.Version
		}
	}
	return ""
}

// dispatcherTypes returns the task types d declares (a taskqueue.Mux
// lists them), sorted, or nil.
func dispatcherTypes(d taskqueue.Dispatcher) []string {
	if l, ok := d.(interface{ Types() []string }); ok {
		ts := slices.Clone(l.Types())
		slices.Sort(ts)
		return ts
	}
	return nil
}
