package memstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/seedcore/seedcore/store"
)

var (
	_ store.Membership    = (*Store)(nil)
	_ store.ProcessLister = (*Store)(nil)
)

// process is one registration. It lives until its session leaves or is
// lost ([Store.LoseSession]); a lost one stays listed in procs, not alive,
// until the leader's RescueLost removes it.
type process struct {
	p     store.Process
	alive bool
}

// Join registers a process and returns its session. An in-memory store
// is shared only by the goroutines of one process, so sessions end only
// by [store.Session.Leave] or [Store.LoseSession]; otherwise the rules are
// pgstore's: a lost registration under the same name is removed and its
// tasks returned to the queue, a live one fails the join with
// [store.ErrNameInUse].
func (s *Store) Join(ctx context.Context, p store.ProcessInfo) (store.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p.Name == "" {
		return nil, fmt.Errorf("memstore: join: empty worker name: %w", store.ErrInvalidLease)
	}
	ev := s.events.batch()
	s.mu.Lock()
	for _, x := range s.procs {
		if x.alive && x.p.Name == p.Name {
			s.mu.Unlock()
			return nil, fmt.Errorf("memstore: join %q: %w", p.Name, store.ErrNameInUse)
		}
	}
	s.rescueLost(len(s.procs), p.Name, &ev)
	s.lastProc++
	now := s.clock()
	queues, types := slices.Clone(p.Queues), slices.Clone(p.Types)
	if queues == nil {
		queues = []string{}
	}
	if types == nil {
		types = []string{}
	}
	x := &process{alive: true, p: store.Process{
		ID: s.lastProc, Name: p.Name, Host: p.Host, PID: p.PID, Version: p.Version,
		Queues: queues, Types: types, Started: now, LastSeen: now,
	}}
	s.procs = append(s.procs, x)
	s.mu.Unlock()
	ev.send()
	return &session{s: s, id: x.p.ID}, nil
}

// LoseSession ends session id as a killed process's or a cut connection's
// would: its registration stays, no longer alive, until the leader's
// RescueLost removes it and returns its tasks; the session's own methods
// return errors wrapping [store.ErrSessionLost]; the leader lock, if the
// session held it, is free at once. Tests use it to stand for a crash.
func (s *Store) LoseSession(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if x := s.procByID(id); x != nil {
		x.alive = false
	}
	if s.leader == id {
		s.leader = 0
	}
}

// Processes lists the live registrations in registration order.
func (s *Store) Processes(ctx context.Context) ([]store.Process, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []store.Process{}
	for _, x := range s.procs {
		if !x.alive {
			continue
		}
		p := x.p
		p.Queues, p.Types = slices.Clone(p.Queues), slices.Clone(p.Types)
		p.Leader = s.leader == p.ID
		if h := s.workers[p.Name]; h != nil {
			p.Running = h.running
		}
		out = append(out, p)
	}
	return out, nil
}

// procByID returns the registration id, or nil. s.mu must be held.
func (s *Store) procByID(id int64) *process {
	for _, x := range s.procs {
		if x.p.ID == id {
			return x
		}
	}
	return nil
}

// rescueLost removes up to limit registrations that are not alive (only
// those named name, unless name is empty) and returns the running tasks of
// each whose name no live registration holds, as Rescue does for an
// expired lease. With a name (a join, which has checked that no live
// process holds it) it returns every task that name holds. s.mu must be
// held.
func (s *Store) rescueLost(limit int, name string, ev *eventBatch) []store.Rescued {
	var out []store.Rescued
	var dead []string
	kept := s.procs[:0]
	for _, x := range s.procs {
		if !x.alive && len(dead) < limit && (name == "" || x.p.Name == name) {
			dead = append(dead, x.p.Name)
			continue
		}
		kept = append(kept, x)
	}
	clear(s.procs[len(kept):])
	s.procs = kept
	if name != "" && !slices.Contains(dead, name) {
		// A task still held by the joining name was claimed after its
		// last registration was removed (a claim in flight when its
		// session ended): nothing else returns it before its lease ends.
		dead = append(dead, name)
	}
	now := s.clock()
	for _, n := range dead {
		if slices.ContainsFunc(s.procs, func(x *process) bool { return x.p.Name == n }) {
			continue
		}
		held := s.workers[n]
		if held == nil {
			continue
		}
		entries := make([]*entry, 0, held.running)
		for e := range s.leases.all() {
			if e.holder == held {
				entries = append(entries, e)
			}
		}
		slices.SortFunc(entries, func(a, b *entry) int { return strings.Compare(a.t.ID, b.t.ID) })
		for _, e := range entries {
			out = append(out, s.rescue(e, "worker process lost", "worker process lost", now, ev))
		}
	}
	return out
}

// session is a registration in the store.
type session struct {
	s  *Store
	id int64
}

// ID returns the registration's number.
func (se *session) ID() int64 { return se.id }

// live returns the registration when the session is alive. s.mu must be
// held.
func (se *session) live(op string) (*process, error) {
	x := se.s.procByID(se.id)
	if x == nil || !x.alive {
		return nil, fmt.Errorf("memstore: %s: %w", op, store.ErrSessionLost)
	}
	return x, nil
}

// Lead takes the leader lock when no live session holds it.
func (se *session) Lead(ctx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	se.s.mu.Lock()
	defer se.s.mu.Unlock()
	if _, err := se.live("lead"); err != nil {
		return false, err
	}
	if se.s.leader == 0 {
		se.s.leader = se.id
	}
	return se.s.leader == se.id, nil
}

// Seen records the process's last-seen time.
func (se *session) Seen(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	se.s.mu.Lock()
	defer se.s.mu.Unlock()
	x, err := se.live("seen")
	if err != nil {
		return err
	}
	x.p.LastSeen = se.s.clock()
	return nil
}

// RescueLost removes lost registrations and returns their tasks.
func (se *session) RescueLost(ctx context.Context, limit int) ([]store.Rescued, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	ev := se.s.events.batch()
	se.s.mu.Lock()
	if _, err := se.live("rescue lost"); err != nil {
		se.s.mu.Unlock()
		return nil, err
	}
	out := se.s.rescueLost(limit, "", &ev)
	se.s.mu.Unlock()
	ev.send()
	return out, nil
}

// Leave removes the registration and frees the leader lock if it held it.
func (se *session) Leave(ctx context.Context) error {
	se.s.mu.Lock()
	defer se.s.mu.Unlock()
	if _, err := se.live("leave"); err != nil {
		return err
	}
	se.s.procs = slices.DeleteFunc(se.s.procs, func(x *process) bool { return x.p.ID == se.id })
	if se.s.leader == se.id {
		se.s.leader = 0
	}
	return nil
}
