package seedcore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/seedcore/seedcore/eventizer"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/pgstore"
	"github.com/seedcore/seedcore/taskqueue"
)

// RedactOptOut turns off the redaction of single fields. The zero value,
// the default, redacts every field; each field set to true keeps that
// field as given. Nothing else turns redaction off.
type RedactOptOut struct {
	// Description, when true, stores the description as given. It is
	// still analysed: its tags, priority, domain and the findings' spans
	// are stored in Task.Events.
	Description bool
	// Error, when true, stores each attempt's error text (and logs a
	// dispatcher's panic value) as the dispatcher produced it.
	Error bool
	// IdempotencyKey, when true, accepts an idempotency key that holds
	// personal data. By default such a key is refused with an error
	// wrapping store.ErrPersonalData (400 over HTTP), since a key is
	// stored and shown as is.
	IdempotencyKey bool
	// Params, when true, stores the params as given. By default every
	// string (member names included) and long integer is redacted in
	// place, and every value under a secret-looking name (see
	// eventizer.Analyzer.RedactJSON).
	Params bool
	// Result, when true, stores a completed task's result as the
	// dispatcher returned it. By default it is redacted as Params are.
	Result bool
}

// analysis is what Task.Events holds: the description's analysis and,
// when params were redacted, where their findings were.
type analysis struct {
	eventizer.Result
	// Params lists the findings in the params by JSON path.
	Params *eventizer.JSONResult `json:"params,omitempty"`
}

// prepared is a task ready for the store, with its analysis.
type prepared struct {
	task store.NewTask
	res  eventizer.Result
}

// prepare checks t's params against Config.MaxParamsBytes and redacts t
// as Config.Redact says: the idempotency key is checked for personal
// data, the description and the params are redacted, and the analysis
// goes to Events. Priority and Domain follow the rules [App.Enqueue]
// states.
func (a *App) prepare(t store.NewTask) (prepared, error) {
	if limit := a.maxParams(); len(t.Params) > limit {
		return prepared{}, fmt.Errorf("%w: params is larger than %d bytes", store.ErrInvalidTask, limit)
	}
	opt := a.cfg.Redact
	if t.IdempotencyKey != "" && !opt.IdempotencyKey {
		if fs := a.analyzer.Analyze(t.IdempotencyKey).Findings; len(fs) > 0 {
			return prepared{}, &store.PersonalDataError{Field: "idempotency_key", Kinds: findingKinds(fs)}
		}
	}
	res := a.analyzer.Analyze(t.Description)
	a.observe(res)
	an := analysis{Result: res}
	if !opt.Description {
		t.Description = res.RedactedText
	}
	if len(t.Params) > 0 && !opt.Params {
		pr, err := a.analyzer.RedactJSON(t.Params)
		if errors.Is(err, eventizer.ErrInvalidJSON) {
			// Normalize gives the error every store gives.
			return prepared{}, fmt.Errorf("%w: params must be a JSON object", store.ErrInvalidTask)
		}
		if err != nil {
			return prepared{}, err
		}
		t.Params = pr.JSON
		a.observeParams(pr)
		if pr.Count() > 0 {
			an.Params = &pr
		}
	}
	events, err := json.Marshal(an)
	if err != nil {
		return prepared{}, fmt.Errorf("seedcore: encode analysis: %w", err)
	}
	t.Events = events
	hc, _ := taskqueue.HandlerConfigOf(a.cfg.Dispatcher, t.Type)
	switch {
	case t.Priority != 0 || t.KeepPriority:
	case hc.Priority > 0:
		t.Priority = hc.Priority
	default:
		t.Priority = res.Priority
	}
	if t.Queue == "" && hc.Queue != "" {
		t.Queue = hc.Queue
	}
	if t.MaxAttempts == 0 {
		t.MaxAttempts = hc.MaxAttempts // 0 when the handler sets none: the store's default
	}
	if t.Domain == "" && store.ValidName(res.Domain) {
		// A rule pack's domain that is not a name is not the caller's
		// fault: the task is stored without one rather than refused.
		t.Domain = res.Domain
	}
	return prepared{task: t, res: res}, nil
}

func findingKinds(fs []eventizer.Finding) []string {
	var kinds []string
	for _, f := range fs {
		if !slices.Contains(kinds, string(f.Kind)) {
			kinds = append(kinds, string(f.Kind))
		}
	}
	return kinds
}

// EnqueueMany prepares every task as [App.Enqueue] does and stores them
// in one operation of the store (a COPY into PostgreSQL from 1000 tasks
// on). It returns how many were inserted: a task whose idempotency key
// exists, in the store or earlier in tasks, is skipped. One invalid task
// (an error wrapping store.ErrInvalidTask, naming its index) or an
// explicit ID that is taken (store.ErrConflict) stores nothing, and so
// does a call after [App.Shutdown] (an error wrapping [ErrShutdown]).
//
// Metrics count and enrichment follows every task without an idempotency
// key, and the keyed ones too when none was skipped (otherwise which were
// stored is unknown, and they go uncounted and unenriched).
func (a *App) EnqueueMany(ctx context.Context, tasks []store.NewTask) (int, error) {
	if err := a.closed(); err != nil {
		return 0, err
	}
	if len(tasks) == 0 {
		return 0, nil
	}
	ps := make([]prepared, len(tasks))
	nts := make([]store.NewTask, len(tasks))
	if trace := a.traceCarrier(ctx); trace != nil {
		// One carrier for all: the stores copy it.
		withTrace := make([]store.NewTask, len(tasks))
		for i, t := range tasks {
			if t.TraceContext == nil {
				t.TraceContext = trace
			}
			withTrace[i] = t
		}
		tasks = withTrace
	}
	if err := a.prepareAll(tasks, ps, nts); err != nil {
		return 0, err
	}
	n, err := a.backend.CreateMany(ctx, nts)
	if err != nil {
		return 0, err
	}
	all := n == len(nts)
	for _, p := range ps {
		if all || p.task.IdempotencyKey == "" {
			a.afterCreate(store.Task{ID: p.task.ID, Type: p.task.Type}, p.res)
		}
	}
	return n, nil
}

// prepareAll prepares tasks into ps and nts, spread over GOMAXPROCS
// goroutines when there are many: the analysis is CPU-bound and each task
// is independent. The error is that of the first failing task.
func (a *App) prepareAll(tasks []store.NewTask, ps []prepared, nts []store.NewTask) error {
	errs := make([]error, len(tasks))
	// IDs are known before the insert, for enrichment. They are made
	// here in the batch's order, not by the goroutines below, so the
	// batch's tasks, due together at equal priority, are claimed in the
	// order given (ties go by ID), and arrive at the store in claim order.
	ids := make([]string, len(tasks))
	for i := range tasks {
		if tasks[i].ID == "" {
			ids[i] = store.NewID()
		}
	}
	one := func(i int) {
		t := tasks[i]
		if t.ID == "" {
			t.ID = ids[i]
		}
		p, err := a.prepare(t)
		ps[i], nts[i], errs[i] = p, p.task, err
	}
	workers := min(runtime.GOMAXPROCS(0), len(tasks)/prepareChunk)
	if workers <= 1 {
		for i := range tasks {
			one(i)
		}
	} else {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for {
					from := int(next.Add(prepareChunk)) - prepareChunk
					if from >= len(tasks) {
						return
					}
					for i := from; i < min(from+prepareChunk, len(tasks)); i++ {
						one(i)
					}
				}
			})
		}
		wg.Wait()
	}
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("seedcore: enqueue many: task %d: %w", i, err)
		}
	}
	return nil
}

// prepareChunk is how many tasks a goroutine of prepareAll takes at a
// time.
const prepareChunk = 32

// redactingStore is the store [App.Store] returns: reads pass through,
// creation goes through the App's redaction.
type redactingStore struct {
	backend
	app *App
}

// Create is [App.Enqueue].
func (s redactingStore) Create(ctx context.Context, t store.NewTask) (store.Task, bool, error) {
	return s.app.Enqueue(ctx, t)
}

// CreateMany is [App.EnqueueMany].
func (s redactingStore) CreateMany(ctx context.Context, tasks []store.NewTask) (int, error) {
	return s.app.EnqueueMany(ctx, tasks)
}

// storeView is what [App.Store] offers: the store.Store contract and bulk
// creation, both redacting.
type storeView interface {
	store.Store
	CreateMany(ctx context.Context, tasks []store.NewTask) (int, error)
}

// Store returns the App's store for reads and administration. Its Create
// (and its CreateMany, found by type assertion) redact as [App.Enqueue]
// and [App.EnqueueMany] do; nothing it returns reaches the raw store.
// [App.UnredactedStore] is the raw store.
func (a *App) Store() store.Store {
	return storeView(redactingStore{a.backend, a})
}

// UnredactedStore returns the App's store itself, whose Create stores
// what it is given: no redaction, no analysis. It is for tests and for
// data already redacted; use [App.Store] or [App.Enqueue] otherwise.
func (a *App) UnredactedStore() store.Store { return a.backend }

// UnredactedPostgreSQL returns the PostgreSQL store itself, or nil when
// the App runs on the in-memory store. Its Create, CreateTx and
// CreateMany store what they are given, without redaction: create tasks
// with [App.Enqueue], [App.EnqueueTx] and [App.EnqueueMany] instead.
func (a *App) UnredactedPostgreSQL() *pgstore.Store { return a.pg }

// outcomeRedactor redacts what a task's attempt produced before the pool
// writes, logs or reports it.
type outcomeRedactor struct {
	a   *eventizer.Analyzer
	opt RedactOptOut
}

var _ taskqueue.Redactor = outcomeRedactor{}

// RedactResult implements taskqueue.Redactor.
func (r outcomeRedactor) RedactResult(result json.RawMessage) json.RawMessage {
	if r.opt.Result {
		return result
	}
	res, err := r.a.RedactJSON(result)
	if err != nil {
		// The pool hands over valid JSON only; keep nothing of anything
		// else.
		return json.RawMessage(`null`)
	}
	return res.JSON
}

// RedactText implements taskqueue.Redactor.
func (r outcomeRedactor) RedactText(s string) string {
	if r.opt.Error {
		return s
	}
	out, _ := r.a.RedactText(s)
	return out
}
