package memstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/seedcore/seedcore/internal/fanout"
	"github.com/seedcore/seedcore/store"
)

// Compile-time checks: the store serves the API half and notifications.
// (The taskqueue.Queue check lives in the tests, so this package does not
// import taskqueue.)
var (
	_ store.Store        = (*Store)(nil)
	_ store.TaskNotifier = (*Store)(nil)
)

// DefaultEventBuffer is the capacity of a subscriber's channel when
// [Options.EventBuffer] is zero.
const DefaultEventBuffer = 256

// Options configures a [Store]. The zero value is ready to use.
type Options struct {
	// EventBuffer is the capacity of each subscriber's event channel.
	// Default (zero or negative): DefaultEventBuffer.
	EventBuffer int
	// MaxBytes, when positive, bounds the memory the store's tasks take,
	// counted as the sum of their [store.Task.SizeEstimate]: a Create or
	// CreateMany that would pass it stores nothing and returns an error
	// wrapping [store.ErrFull] (the HTTP API answers 503 with
	// Retry-After). Deleting finished tasks (retention) frees room.
	// Results, errors and enrichment of tasks already stored are counted
	// but never refused, so a full store still finishes its tasks; they
	// can take the store past MaxBytes. Default (zero or negative): no
	// bound.
	MaxBytes int64
	// Now returns the current time; every timestamp and every due or
	// expiry decision uses it. Times are stored in UTC, truncated to
	// microseconds. Default: time.Now.
	Now func() time.Time
}

// Store is the in-memory task store. It implements [store.Store],
// [store.Notifier] and the taskqueue Queue and Cleaner interfaces. It is
// safe for concurrent use; the zero value is not usable, call [New].
type Store struct {
	now func() time.Time

	mu     sync.Mutex
	tasks  map[string]*entry
	keys   map[string]*entry // by idempotency key
	counts map[store.Status]int
	// queueCounts counts the tasks of each queue by status; paused holds
	// the paused queues.
	queueCounts map[string]map[store.Status]int
	paused      map[string]bool
	limits      map[string]*limitState
	// fairAfter holds, per queue, the partition of the last task a fair
	// claim took (see store.ClaimFilter.Fair).
	fairAfter map[string]string
	// byID and byCreated hold every entry sorted by ID and by
	// (CreatedAt, ID); deleted entries stay (dead) until compaction.
	byID      []*entry
	byCreated []*entry
	dead      int
	// An entry is in at most one heap, chosen by its status.
	ready    readySet // queued or retry, due: by queue and type, priority desc, run_after, id
	delayed  taskHeap // queued or retry, not due yet: run_after
	leases   taskHeap // running: lease_expires_at
	finished taskHeap // terminal: finished_at
	// workers holds, per worker name, the running tasks it holds.
	workers map[string]*holder
	// bytes is the sum of the entries' size; maxBytes is Options.MaxBytes.
	bytes, maxBytes int64

	events notifier

	// procs are the registrations (see Join), in id order; leader is the
	// id of the one holding the leader lock, 0 for none.
	procs    []*process
	lastProc int64
	leader   int64
	// schedules are the periodic schedules' states, by name.
	schedules map[string]*store.ScheduleState
}

// entry is one stored task and its place in the indexes. The task's time
// pointers point at the entry's own fields (no allocation per write);
// snapshot copies them out.
type entry struct {
	t    store.Task
	heap *taskHeap
	// hidx is the entry's index in heap's binary heap, or its run index
	// when inRun (see taskHeap).
	hidx  int
	inRun bool
	dead  bool
	// size is the task's SizeEstimate as counted in Store.bytes.
	size int64
	// holder is the worker holding the running task, nil otherwise.
	holder *holder
	// budget is how many attempts the task was first given, kept by its
	// first operator retry (0 until then: MaxAttempts still says it).
	budget int

	leaseExpiresAt, lastHeartbeat, startedAt, finishedAt time.Time
}

// holder is one worker's share of the running tasks: the entries point
// at it, so a claim and an outcome update no per-task index.
type holder struct {
	name    string
	running int
}

// setTime stores v in field and points p at it.
func setTime(p **time.Time, field *time.Time, v time.Time) {
	*field = v
	*p = field
}

// New returns an empty store configured by opts.
func New(opts Options) *Store {
	s := &Store{
		now:         opts.Now,
		tasks:       make(map[string]*entry),
		keys:        make(map[string]*entry),
		counts:      make(map[store.Status]int, len(store.Statuses())),
		queueCounts: make(map[string]map[store.Status]int),
		paused:      make(map[string]bool),
		limits:      make(map[string]*limitState),
		fairAfter:   make(map[string]string),
		delayed:     taskHeap{less: delayedLess},
		leases:      taskHeap{less: leaseLess},
		finished:    taskHeap{less: finishedLess},
		workers:     make(map[string]*holder),
		maxBytes:    max(opts.MaxBytes, 0),
	}
	if s.now == nil {
		s.now = time.Now
	}
	buffer := opts.EventBuffer
	if buffer <= 0 {
		buffer = DefaultEventBuffer
	}
	s.events.hub = fanout.New(buffer, 0)
	return s
}

// clock returns the store's current time in UTC at microsecond precision.
func (s *Store) clock() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

func timePtr(t time.Time) *time.Time { return &t }

func cloneJSON(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	return bytes.Clone(b)
}

func clonePtr(p *time.Time) *time.Time {
	if p == nil {
		return nil
	}
	return timePtr(*p)
}

// snapshot returns a copy of the task that shares no memory with the
// store.
func (e *entry) snapshot() store.Task { return e.snapshotInto(nil) }

// snapshotInto is snapshot with the copied times stored in ts when it is
// not nil, so a claim of many tasks allocates their times at once.
func (e *entry) snapshotInto(ts *[4]time.Time) store.Task {
	t := e.t
	if ts != nil {
		t.LeaseExpiresAt = copyTime(t.LeaseExpiresAt, &ts[0])
		t.LastHeartbeat = copyTime(t.LastHeartbeat, &ts[1])
		t.StartedAt = copyTime(t.StartedAt, &ts[2])
		t.FinishedAt = copyTime(t.FinishedAt, &ts[3])
	}
	t.Params = cloneJSON(t.Params)
	t.Result = cloneJSON(t.Result)
	t.Events = cloneJSON(t.Events)
	t.Enrichment = cloneJSON(t.Enrichment)
	t.Progress = cloneJSON(t.Progress)
	t.TraceContext = store.CloneTraceContext(t.TraceContext)
	t.AttemptHistory = slices.Clone(t.AttemptHistory)
	if ts == nil {
		t.LeaseExpiresAt = clonePtr(t.LeaseExpiresAt)
		t.LastHeartbeat = clonePtr(t.LastHeartbeat)
		t.StartedAt = clonePtr(t.StartedAt)
		t.FinishedAt = clonePtr(t.FinishedAt)
	}
	return t
}

// copyTime stores *p in dst and returns dst, or nil when p is nil.
func copyTime(p *time.Time, dst *time.Time) *time.Time {
	if p == nil {
		return nil
	}
	*dst = *p
	return dst
}

// setStatus changes e's status and keeps the counts.
func (s *Store) setStatus(e *entry, st store.Status) {
	s.counts[e.t.Status]--
	s.counts[st]++
	qc := s.queueCounts[e.t.Queue]
	qc[e.t.Status]--
	qc[st]++
	e.t.Status = st
}

// place puts e into the heap its status calls for, and reports whether it
// is ready to claim now.
func (s *Store) place(e *entry, now time.Time) (ready bool) {
	if e.heap != nil {
		e.heap.remove(e)
	}
	switch st := e.t.Status; {
	case st.Ready() && !e.t.RunAfter.After(now):
		s.ready.add(e)
		return true
	case st.Ready():
		s.delayed.add(e)
	case st == store.StatusRunning:
		s.leases.add(e)
	case st.Terminal():
		s.finished.add(e)
	}
	return false
}

// promote moves delayed tasks that are due into the ready heap.
func (s *Store) promote(now time.Time) {
	for e := s.delayed.peek(); e != nil && !e.t.RunAfter.After(now); e = s.delayed.peek() {
		s.delayed.pop()
		s.ready.add(e)
	}
}

func createdCmp(a, b *entry) int {
	if c := a.t.CreatedAt.Compare(b.t.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.t.ID, b.t.ID)
}

func idCmp(a, b *entry) int { return strings.Compare(a.t.ID, b.t.ID) }

// insertSorted inserts e into s, a slice sorted by cmp. New tasks usually
// sort last, so that case is an append.
func insertSorted(list []*entry, e *entry, cmp func(a, b *entry) int) []*entry {
	if n := len(list); n == 0 || cmp(list[n-1], e) <= 0 {
		return append(list, e)
	}
	i, _ := slices.BinarySearchFunc(list, e, cmp)
	return slices.Insert(list, i, e)
}

// insert stores the normalized task nt, created at now.
func (s *Store) insert(nt store.NewTask, now time.Time) *entry {
	t := store.Task{
		ID:             nt.ID,
		Type:           nt.Type,
		Description:    nt.Description,
		Domain:         nt.Domain,
		Queue:          nt.Queue,
		Partition:      nt.Partition,
		Params:         cloneJSON(nt.Params),
		Status:         store.StatusQueued,
		Priority:       nt.Priority,
		MaxAttempts:    nt.MaxAttempts,
		RunAfter:       nt.RunAfter,
		IdempotencyKey: nt.IdempotencyKey,
		Events:         cloneJSON(nt.Events),
		TraceContext:   store.CloneTraceContext(nt.TraceContext),
		CreatedAt:      now,
		// Derived once: Events never changes.
		DescriptionTruncated: store.EventsTruncated(nt.Events),
		UpdatedAt:            now,
	}
	if nt.Hold {
		t.Status = store.StatusCreated
	}
	if t.RunAfter.IsZero() {
		t.RunAfter = now
	}
	e := &entry{t: t, hidx: -1}
	s.tasks[t.ID] = e
	if t.IdempotencyKey != "" {
		s.keys[t.IdempotencyKey] = e
	}
	s.counts[t.Status]++
	qc := s.queueCounts[t.Queue]
	if qc == nil {
		qc = make(map[store.Status]int, len(store.Statuses()))
		s.queueCounts[t.Queue] = qc
	}
	qc[t.Status]++
	s.byID = insertSorted(s.byID, e, idCmp)
	s.byCreated = insertSorted(s.byCreated, e, createdCmp)
	s.resize(e)
	return e
}

// resize counts e's current size in s.bytes; call it after any change to
// a field SizeEstimate counts.
func (s *Store) resize(e *entry) {
	n := int64(e.t.SizeEstimate())
	s.bytes += n - e.size
	e.size = n
}

// newTaskSize is the SizeEstimate of the task nt will be once stored.
func newTaskSize(nt *store.NewTask) int64 {
	t := store.Task{Type: nt.Type, Description: nt.Description, Domain: nt.Domain, Queue: nt.Queue,
		Partition: nt.Partition, Params: nt.Params,
		IdempotencyKey: nt.IdempotencyKey, Events: nt.Events, TraceContext: nt.TraceContext}
	return int64(t.SizeEstimate())
}

// fits returns nil when tasks of n more bytes fit under MaxBytes, else an
// error wrapping store.ErrFull. s.mu must be held.
func (s *Store) fits(n int64) error {
	if s.maxBytes > 0 && s.bytes+n > s.maxBytes {
		return fmt.Errorf("%w: %d of %d bytes used, %d more asked", store.ErrFull, s.bytes, s.maxBytes, n)
	}
	return nil
}

// remove deletes e from the store.
func (s *Store) remove(e *entry) {
	if e.heap != nil {
		e.heap.remove(e)
	}
	delete(s.tasks, e.t.ID)
	if k := e.t.IdempotencyKey; k != "" && s.keys[k] == e {
		delete(s.keys, k)
	}
	s.counts[e.t.Status]--
	if qc := s.queueCounts[e.t.Queue]; qc != nil {
		qc[e.t.Status]--
		if emptyCounts(qc) {
			delete(s.queueCounts, e.t.Queue)
		}
	}
	s.bytes -= e.size
	e.size = 0
	e.dead = true
	s.dead++
	if s.dead > 1024 && 2*s.dead > len(s.byID) {
		isDead := func(e *entry) bool { return e.dead }
		s.byID = slices.DeleteFunc(s.byID, isDead)
		s.byCreated = slices.DeleteFunc(s.byCreated, isDead)
		s.dead = 0
	}
}

// lookup returns the live entry with the full ID id.
func (s *Store) lookup(id string) (*entry, error) {
	e := s.tasks[id]
	if e == nil {
		return nil, fmt.Errorf("%w: %s", store.ErrNotFound, id)
	}
	return e, nil
}

// Create stores a new task; see [store.Store].
func (s *Store) Create(ctx context.Context, t store.NewTask) (store.Task, bool, error) {
	if err := ctx.Err(); err != nil {
		return store.Task{}, false, err
	}
	nt, err := t.Normalize()
	if err != nil {
		return store.Task{}, false, err
	}
	ev := s.events.batch()
	s.mu.Lock()
	if nt.IdempotencyKey != "" {
		if e := s.keys[nt.IdempotencyKey]; e != nil {
			task := e.snapshot()
			s.mu.Unlock()
			return task, false, nil
		}
	}
	if s.tasks[nt.ID] != nil {
		s.mu.Unlock()
		return store.Task{}, false, fmt.Errorf("%w: task %s exists", store.ErrConflict, nt.ID)
	}
	if err := s.fits(newTaskSize(&nt)); err != nil {
		s.mu.Unlock()
		return store.Task{}, false, err
	}
	now := s.clock()
	e := s.insert(nt, now)
	if s.place(e, now) {
		ev.ready()
	}
	task := e.snapshot()
	s.mu.Unlock()
	ev.send()
	return task, true, nil
}

// CreateMany stores tasks in one operation and returns how many it
// inserted. Every task is validated first: one invalid task (an error
// wrapping [store.ErrInvalidTask]), an explicit ID that is taken (an
// error wrapping [store.ErrConflict]) or tasks that do not fit under
// [Options.MaxBytes] (an error wrapping [store.ErrFull]) store nothing. A task whose
// idempotency key exists, in the store or earlier in tasks, is skipped.
func (s *Store) CreateMany(ctx context.Context, tasks []store.NewTask) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	nts := make([]store.NewTask, len(tasks))
	for i, t := range tasks {
		nt, err := t.Normalize()
		if err != nil {
			return 0, fmt.Errorf("task %d: %w", i, err)
		}
		nts[i] = nt
	}
	ev := s.events.batch()
	s.mu.Lock()
	defer ev.send()
	defer s.mu.Unlock()
	keys := make(map[string]bool)
	ids := make(map[string]bool, len(nts))
	insert := nts[:0:0]
	for i, nt := range nts {
		if k := nt.IdempotencyKey; k != "" {
			if s.keys[k] != nil || keys[k] {
				continue
			}
			keys[k] = true
		}
		if s.tasks[nt.ID] != nil || ids[nt.ID] {
			return 0, fmt.Errorf("%w: task %d: id %s is taken", store.ErrConflict, i, nt.ID)
		}
		ids[nt.ID] = true
		insert = append(insert, nt)
	}
	if s.maxBytes > 0 {
		var n int64
		for i := range insert {
			n += newTaskSize(&insert[i])
		}
		if err := s.fits(n); err != nil {
			return 0, err
		}
	}
	now := s.clock()
	for _, nt := range insert {
		if s.place(s.insert(nt, now), now) {
			ev.ready()
		}
	}
	return len(insert), nil
}

// Get returns the task whose ID is idOrPrefix or, for a shorter input, the
// only task whose ID starts with it; see [store.Store].
func (s *Store) Get(ctx context.Context, idOrPrefix string) (store.Task, error) {
	if err := ctx.Err(); err != nil {
		return store.Task{}, err
	}
	p, err := store.ParsePrefix(idOrPrefix)
	if err != nil {
		return store.Task{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.tasks[p]; e != nil {
		return e.snapshot(), nil
	}
	i, _ := slices.BinarySearchFunc(s.byID, p, func(e *entry, p string) int { return strings.Compare(e.t.ID, p) })
	var found *entry
	for ; i < len(s.byID) && strings.HasPrefix(s.byID[i].t.ID, p); i++ {
		e := s.byID[i]
		if e.dead {
			continue
		}
		if found != nil {
			return store.Task{}, fmt.Errorf("%w: %q", store.ErrAmbiguousID, idOrPrefix)
		}
		found = e
	}
	if found == nil {
		return store.Task{}, fmt.Errorf("%w: %q", store.ErrNotFound, idOrPrefix)
	}
	return found.snapshot(), nil
}

// List returns one page of tasks, newest first; see [store.Store]. It
// scans every task to count Total.
func (s *Store) List(ctx context.Context, f store.Filter) (store.Page, error) {
	if err := ctx.Err(); err != nil {
		return store.Page{}, err
	}
	f, cur, err := f.Normalize()
	if err != nil {
		return store.Page{}, err
	}
	// afterCursor reports whether t sorts after the cursor (is older).
	afterCursor := func(t *store.Task) bool {
		if cur == nil {
			return true
		}
		if c := t.CreatedAt.Compare(cur.CreatedAt); c != 0 {
			return c < 0
		}
		return t.ID < cur.ID
	}
	page := store.Page{Tasks: []store.Task{}}
	var (
		last  *entry
		bytes int64
		full  bool // the page holds Limit tasks or spent its byte budget
	)
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.byCreated) - 1; i >= 0; i-- {
		e := s.byCreated[i]
		if e.dead || !f.Match(&e.t) {
			continue
		}
		page.Total++
		if !afterCursor(&e.t) {
			continue
		}
		switch {
		case !full:
			page.Tasks = append(page.Tasks, e.snapshot())
			last = e
			bytes += e.size
			full = len(page.Tasks) == f.Limit || bytes >= int64(f.MaxBytes)
		case page.NextCursor == "":
			page.NextCursor = store.EncodeCursor(last.t)
		}
	}
	return page, nil
}

// Run releases a created task to the workers; see [store.Store].
func (s *Store) Run(ctx context.Context, id string) (store.Task, error) {
	// running → queued is a release, not a Run.
	return s.transition(ctx, id, "run", func(st store.Status) bool { return st == store.StatusCreated },
		func(e *entry, ev *eventBatch) {
			now := s.clock()
			s.setStatus(e, store.StatusQueued)
			e.t.UpdatedAt = now
			ev.changed(e.t.ID)
			if s.place(e, now) {
				ev.ready()
			}
		})
}

// transition applies apply to task id, under the lock, when allowed
// accepts its status, and returns the task as it then is; verb names the
// transition in the ErrInvalidTransition error otherwise.
func (s *Store) transition(ctx context.Context, id, verb string, allowed func(store.Status) bool, apply func(*entry, *eventBatch)) (store.Task, error) {
	if err := ctx.Err(); err != nil {
		return store.Task{}, err
	}
	id, err := store.ParseID(id)
	if err != nil {
		return store.Task{}, err
	}
	ev := s.events.batch()
	s.mu.Lock()
	e, err := s.lookup(id)
	if err == nil && !allowed(e.t.Status) {
		err = fmt.Errorf("%w: %s a %s task", store.ErrInvalidTransition, verb, e.t.Status)
	}
	if err != nil {
		s.mu.Unlock()
		return store.Task{}, err
	}
	apply(e, &ev)
	task := e.snapshot()
	s.mu.Unlock()
	ev.send()
	return task, nil
}

// Cancel cancels a task, or asks its holder to when it is running; see
// [store.Store]. Cancelling a running task that was already asked to
// cancel returns it unchanged.
func (s *Store) Cancel(ctx context.Context, id string) (store.Task, error) {
	if err := ctx.Err(); err != nil {
		return store.Task{}, err
	}
	id, err := store.ParseID(id)
	if err != nil {
		return store.Task{}, err
	}
	ev := s.events.batch()
	s.mu.Lock()
	e, err := s.lookup(id)
	if err == nil && !store.CanTransition(e.t.Status, store.StatusCancelled) {
		err = fmt.Errorf("%w: cancel a %s task", store.ErrInvalidTransition, e.t.Status)
	}
	if err != nil {
		s.mu.Unlock()
		return store.Task{}, err
	}
	now := s.clock()
	switch {
	case e.t.Status == store.StatusRunning && !e.t.CancelRequested:
		e.t.CancelRequested = true
		e.t.UpdatedAt = now
		ev.cancel(id)
	case e.t.Status != store.StatusRunning:
		s.setStatus(e, store.StatusCancelled)
		e.t.UpdatedAt = now
		setTime(&e.t.FinishedAt, &e.finishedAt, now)
		s.place(e, now)
		ev.changed(id)
	}
	task := e.snapshot()
	s.mu.Unlock()
	ev.send()
	return task, nil
}

// Counts returns the number of tasks in each status; see [store.Store].
func (s *Store) Counts(ctx context.Context) (map[store.Status]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make(map[store.Status]int, len(store.Statuses()))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range store.Statuses() {
		out[st] = s.counts[st]
	}
	return out, nil
}

// Ping reports whether the store answers: always, unless ctx is done.
func (s *Store) Ping(ctx context.Context) error { return ctx.Err() }

// SetEnrichment stores the remote enrichment result of task id, replacing
// any earlier one. Errors wrap [store.ErrInvalidID], [store.ErrNotFound],
// or [store.ErrInvalidTask] for enrichment that is not valid JSON.
func (s *Store) SetEnrichment(ctx context.Context, id string, enrichment json.RawMessage) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	id, err := store.ParseID(id)
	if err != nil {
		return err
	}
	if len(enrichment) > 0 {
		if err := store.CheckJSON(enrichment); err != nil {
			return fmt.Errorf("%w: enrichment %w", store.ErrInvalidTask, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookup(id)
	if err != nil {
		return err
	}
	e.t.Enrichment = cloneJSON(enrichment)
	e.t.UpdatedAt = s.clock()
	s.resize(e)
	return nil
}
