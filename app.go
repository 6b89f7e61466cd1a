package seedcore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/thejerf/suture/v4"

	"github.com/seedcore/seedcore/eventizer"
	"github.com/seedcore/seedcore/metrics"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
	"github.com/seedcore/seedcore/store/pgstore"
	"github.com/seedcore/seedcore/supervisor"
	"github.com/seedcore/seedcore/taskqueue"
	"github.com/seedcore/seedcore/taskqueue/dashboard"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

// Sentinel errors of the App. Test for them with [errors.Is].
var (
	// ErrInvalidConfig is wrapped by [New] for a bad Config.
	ErrInvalidConfig = errors.New("seedcore: invalid config")
	// ErrNoTransactions is returned by [App.EnqueueTx] when the App's store
	// is not PostgreSQL.
	ErrNoTransactions = errors.New("seedcore: transactional enqueue needs the PostgreSQL store")
	// ErrNoQueueState is returned by [App.Queues] and [App.SetQueuePaused]
	// when the App's store keeps no queue state (no store.QueueManager).
	ErrNoQueueState = errors.New("seedcore: the store keeps no queue state")
	// ErrShutdown is wrapped by the error [App.Serve] returns after
	// [App.Shutdown]; it also wraps suture.ErrDoNotRestart, so a caller's
	// suture tree does not restart a shut-down App. [App.Enqueue] and
	// [App.EnqueueTx] after Shutdown return it too (wrapping
	// store.ErrClosed as well, which the API answers 503), and store
	// nothing.
	ErrShutdown = errors.New("seedcore: app shut down")
)

// Config configures an [App]. Only Dispatcher is required; every other
// field has the default its comment states.
type Config struct {
	// Analyzer tags and redacts each task's description before it is
	// stored. Default: eventizer.New(eventizer.Options{}) (the built-in rule
	// pack, [EMAIL_REDACTED]-style tokens, a 16 KiB cap).
	Analyzer *eventizer.Analyzer
	// APIPrefix is where the task API is served, under BasePath. Default
	// "/api/v1".
	APIPrefix string
	// Authorize, when set, guards every API route but /health: it returns
	// nil to let a request through, or an error wrapping
	// httpapi.ErrUnauthorized (401) or httpapi.ErrForbidden (403).
	Authorize func(*http.Request) error
	// BasePath is the path under which the App serves everything: the
	// probes at {BasePath}/health and {BasePath}/readyz, the task API under
	// {BasePath}{APIPrefix} and the dashboard under
	// {BasePath}{DashboardPrefix}. [App.Mount] registers them in a host's
	// mux. Default "": at the root.
	BasePath string
	// Dashboard, when true, makes Handler also serve the operator dashboard
	// (HTML, behind Authorize, CSRF-protected actions) under
	// DashboardPrefix. Default false.
	Dashboard bool
	// DashboardCSRFKey signs the dashboard's form tokens; give every process
	// behind one load balancer the same key (at least 16 bytes). Default:
	// random per process.
	DashboardCSRFKey []byte
	// DashboardPrefix is where the dashboard is served, under BasePath.
	// Default "/ui".
	DashboardPrefix string
	// Concurrency is how many tasks run at once in this process. Default
	// taskqueue.DefaultConcurrency (100). With Queues, it is the default
	// of each queue's own concurrency.
	Concurrency int
	// Queues are the named queues this process's workers serve, each with
	// its own concurrency (see taskqueue.PoolConfig.Queues), so a slow
	// queue cannot starve another. Default: the default queue alone.
	Queues map[string]taskqueue.QueueConfig
	// DatabaseURL selects the PostgreSQL store (a lib/pq URL or key=value
	// string). The App opens and closes the pool. Each connection attempt
	// gives up after pgstore.DefaultConnectTimeout (10s) unless the URL
	// sets connect_timeout, and New returns when its context ends even
	// while connecting. Default "": the in-memory store, unless DB is set.
	DatabaseURL string
	// DB selects the PostgreSQL store on a pool the caller owns (the App
	// never closes it). It wins over DatabaseURL. When set, DatabaseURL is
	// still used, if given, for the LISTEN connection; without it the App
	// polls for work every PollInterval.
	DB *sqlx.DB
	// Dispatcher runs the tasks (a *taskqueue.Mux, a
	// *taskqueue.RemoteDispatcher or any taskqueue.Dispatcher). Required.
	Dispatcher taskqueue.Dispatcher
	// DrainTimeout is how long a stop lets running tasks finish before it
	// cancels them and releases their leases. Default
	// taskqueue.DefaultDrainTimeout (5s).
	DrainTimeout time.Duration
	// Enricher, when set, enriches in the background the tasks whose
	// analysis advises it; the result is stored on the task, and a failure
	// never fails the task. Default nil: no enrichment.
	Enricher eventizer.Enricher
	// Lease is how long a claim holds a task without a heartbeat. A
	// process that dies is noticed by the leader as soon as its session
	// ends (taskqueue.Member), and its tasks run again within about a
	// second; the lease catches a process that lives but is stuck (its
	// tasks run again within Lease plus RescueInterval). Default
	// taskqueue.DefaultLease (10s).
	Lease time.Duration
	// Logger receives structured logs. Default: discard.
	Logger *slog.Logger
	// MaxBodyBytes limits API request bodies. Default 1 MiB.
	MaxBodyBytes int64
	// MaxMemoryBytes bounds the in-memory store (no DatabaseURL or DB):
	// once its tasks take this many bytes (memstore.Options.MaxBytes),
	// creates fail with store.ErrFull and the API answers 503 with
	// Retry-After until retention deletes finished tasks. Default 0: no
	// bound. Ignored with PostgreSQL.
	MaxMemoryBytes int64
	// MaxOpenConns bounds the connections of the pool the App opens from
	// DatabaseURL (pgstore.Options.MaxOpenConns); the notification
	// listener holds one more. While the App serves, its membership
	// session keeps one connection of the pool for itself, so 1 is
	// refused (ErrInvalidConfig). Default
	// pgstore.DefaultMaxOpenConns (32); negative means no bound. A pool
	// given as DB is left as configured.
	MaxOpenConns int
	// MaxParamsBytes limits each task's params, in bytes, for the API and
	// for Enqueue: larger params are refused (400 naming params; an error
	// wrapping store.ErrInvalidTask). Default
	// httpapi.DefaultMaxParamsBytes (64 KiB); at most store.MaxParamsBytes
	// (1 MiB), the stores' own hard cap.
	MaxParamsBytes int
	// MaxStreams bounds the API's event streams open at once; beyond it a
	// stream is answered 503 with Retry-After. Default
	// httpapi.DefaultMaxStreams (1,000).
	MaxStreams int
	// Metrics, when set, records Prometheus metrics of everything the App
	// does: tasks created, claimed and ended by type, dispatcher errors by
	// class, latencies, queue depth, rescues, supervisor restarts and
	// eventizer findings. A task type is a label only when Dispatcher
	// declares it (a taskqueue.Mux does; see taskqueue.TypedDispatcher) or
	// metrics.Options.Types lists it; other types count as "other". Build
	// it with metrics.New on your registry and serve that registry
	// yourself (behind [App.Guard] for the API's auth). Default nil: no
	// metrics.
	Metrics *metrics.Metrics
	// NoPrepare, when true, makes the PostgreSQL store send the text of
	// every statement instead of preparing its insert statements and its
	// plain claim (see
	// pgstore.Options.NoPrepare), for a connection pooler that cannot keep
	// prepared statements. Default false.
	NoPrepare bool
	// Now is the in-memory store's clock: every timestamp it stores and
	// every due, retry and lease-expiry decision it makes reads it (tests
	// move it with seedcoretest.Clock). It must not be set with the
	// PostgreSQL store, whose times are the database's. Default time.Now.
	Now func() time.Time
	// Observer, when set, is told of every claim and of every outcome
	// once it is written to the store (see taskqueue.Observer).
	Observer taskqueue.Observer
	// PollInterval is how often workers look for work without a
	// notification. Default taskqueue.DefaultPollInterval (1s).
	PollInterval time.Duration
	// Redact turns off redaction field by field. Default: the zero value,
	// every field redacted before it is stored, logged or reported: the
	// description, the params, each result and error, and an idempotency
	// key holding personal data refused.
	Redact RedactOptOut
	// RescueInterval is the time between sweeps for expired leases, which
	// the leader alone runs. Default taskqueue.DefaultRescueInterval (2s).
	RescueInterval time.Duration
	// Retention is how long finished tasks are kept. Default
	// taskqueue.DefaultRetention (7 days).
	Retention time.Duration
	// RetryPolicy sets the delay before a failed task's next attempt.
	// Default taskqueue.ExponentialBackoff{} (1s base, 1h cap, full jitter).
	RetryPolicy taskqueue.RetryPolicy
	// Schedules are periodic tasks: at each slot of a schedule's cron
	// expression the leader creates its task once, whichever process leads
	// and however the leadership changes (see taskqueue.Scheduler). Each
	// schedule's next and last run are kept in the store and listed at
	// GET {APIPrefix}/schedules. Default nil: none.
	Schedules []taskqueue.Schedule
	// Schema is the PostgreSQL schema of the tables (and the notification
	// channel). Default "seedcore".
	Schema string
	// SkipMigrations, when true, does not migrate the PostgreSQL schema at
	// New (run pgstore.Store.Migrate or `seedcore migrate` yourself).
	// Default false: New migrates.
	SkipMigrations bool
	// Supervisor configures the supervision tree. Its StopTimeout defaults
	// to DrainTimeout + 10s, so a stop can drain and flush; its Logger to
	// Logger and its Name to "seedcore". With Metrics set, every
	// supervisor event is counted by Metrics.SupervisorEvent and then
	// given to Supervisor.OnEvent, if set.
	Supervisor supervisor.Config
	// TaskTimeout bounds each attempt through its context. Default
	// taskqueue.DefaultTimeout (1m); negative means none.
	TaskTimeout time.Duration
	// Tracer, when set, joins every attempt to the trace of the code that
	// enqueued its task: Enqueue, EnqueueTx and EnqueueMany store the
	// trace context of their ctx with each task that has no
	// store.NewTask.TraceContext of its own (cut to the stores' limits,
	// never refused), the API does the same for the trace headers of a
	// request whose context carries no trace, and the pool runs each
	// attempt under the context Tracer.StartAttempt returns. The otelseed
	// module provides one for OpenTelemetry. Default nil: no tracing.
	Tracer taskqueue.Tracer
	// WorkerName identifies this process: its worker pool holds leases
	// under it and it registers under it among the processes sharing the
	// store ([App.WorkerName], [App.Processes]). It must be unique among
	// live processes: a second process under a live one's name does not
	// join (nor claim) until the first has gone. Default:
	// hostname-pid-random.
	WorkerName string
}

// backend is the store an App runs on: the backend contract
// ([taskqueue.Backend]) with the optional bulk-create and enrichment
// capabilities, which both stores the App builds (memstore, pgstore) have.
type backend interface {
	taskqueue.Backend
	store.BulkCreator
	store.EnrichmentWriter
	store.Membership
	store.ProcessLister
	store.ScheduleStore
}

// App is a complete task service: a store, the eventizer, a worker pool,
// maintenance and enrichment under one supervisor, and the HTTP API.
//
// An App is a suture.Service: run it with [App.Serve], on its own or in a
// caller's suture tree, enqueue from Go with [App.Enqueue], and stop it
// with [App.Shutdown] (or by ending the context given to Serve).
//
// Its HTTP side (probes, task API, dashboard) lives under one path,
// Config.BasePath. Embed it in a host's mux with [App.Mount], which
// registers every route the App serves and nothing else, or serve
// [App.Handler] as a whole server's handler.
type App struct {
	cfg      Config
	log      *slog.Logger
	backend  backend
	pg       *pgstore.Store // nil for the in-memory store
	ownsDB   bool
	notifier store.Notifier
	analyzer *eventizer.Analyzer
	sup      *supervisor.Supervisor
	pool     *taskqueue.Pool
	member   *taskqueue.Member
	sched    *taskqueue.Scheduler
	served   []string // the task types the dispatcher declares
	enrich   *enrichment
	api      *httpapi.API
	dash     *dashboard.Dashboard
	handler  http.Handler

	mu       sync.Mutex
	stop     context.CancelFunc
	serving  chan struct{}
	shutdown bool
}

// New builds an App from cfg: it opens (and, unless SkipMigrations,
// migrates) the store and wires every service. Nothing runs until
// [App.Serve]. Errors wrap [ErrInvalidConfig] or the store's error.
func New(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Dispatcher == nil {
		return nil, fmt.Errorf("%w: Dispatcher is required", ErrInvalidConfig)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := cfg.checkPaths(); err != nil {
		return nil, err
	}
	if cfg.Now != nil && (cfg.DB != nil || cfg.DatabaseURL != "") {
		return nil, fmt.Errorf("%w: Now applies to the in-memory store only; PostgreSQL times are the database's", ErrInvalidConfig)
	}
	if cfg.DrainTimeout < 0 {
		return nil, fmt.Errorf("%w: DrainTimeout must not be negative", ErrInvalidConfig)
	}
	if cfg.MaxOpenConns == 1 && cfg.DB == nil && cfg.DatabaseURL != "" {
		return nil, fmt.Errorf("%w: MaxOpenConns must be at least 2: the membership session keeps one connection", ErrInvalidConfig)
	}
	if cfg.MaxMemoryBytes < 0 {
		return nil, fmt.Errorf("%w: MaxMemoryBytes must not be negative", ErrInvalidConfig)
	}
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = taskqueue.DefaultDrainTimeout
	}
	if cfg.Supervisor.StopTimeout == 0 {
		cfg.Supervisor.StopTimeout = cfg.DrainTimeout + taskqueue.DefaultFlushTimeout + 5*time.Second
	}
	if cfg.Supervisor.Logger == nil {
		cfg.Supervisor.Logger = cfg.Logger
	}
	if cfg.Supervisor.Name == "" {
		cfg.Supervisor.Name = "seedcore"
	}
	served := dispatcherTypes(cfg.Dispatcher)
	if m := cfg.Metrics; m != nil {
		if next := cfg.Supervisor.OnEvent; next != nil {
			cfg.Supervisor.OnEvent = func(ev supervisor.Event) {
				m.SupervisorEvent(ev)
				next(ev)
			}
		} else {
			cfg.Supervisor.OnEvent = m.SupervisorEvent
		}
		cfg.Dispatcher = m.Dispatcher(cfg.Dispatcher)
	}
	a := &App{cfg: cfg, log: cfg.Logger, served: served}

	var err error
	if a.analyzer = cfg.Analyzer; a.analyzer == nil {
		if a.analyzer, err = eventizer.New(eventizer.Options{}); err != nil {
			return nil, err
		}
	}
	if err := a.openStore(ctx); err != nil {
		return nil, err
	}
	if err := a.wire(); err != nil {
		a.closeStore()
		return nil, err
	}
	if cfg.Metrics != nil {
		cfg.Metrics.TrackStore(a.backend)
	}
	return a, nil
}

func (a *App) openStore(ctx context.Context) error {
	opts := pgstore.Options{Schema: a.cfg.Schema, Logger: a.log, NoPrepare: a.cfg.NoPrepare, MaxOpenConns: a.cfg.MaxOpenConns}
	switch {
	case a.cfg.DB != nil:
		s, err := pgstore.New(a.cfg.DB, opts)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
		}
		a.pg = s
	case a.cfg.DatabaseURL != "":
		s, err := pgstore.Open(ctx, a.cfg.DatabaseURL, opts)
		if err != nil {
			return err
		}
		a.pg, a.ownsDB = s, true
	default:
		m := memstore.New(memstore.Options{MaxBytes: a.cfg.MaxMemoryBytes, Now: a.cfg.Now})
		a.backend, a.notifier = m, m
		return nil
	}
	a.backend = a.pg
	if !a.cfg.SkipMigrations {
		if err := a.pg.Migrate(ctx); err != nil {
			a.closeStore()
			return err
		}
	}
	return nil
}

func (a *App) closeStore() {
	if a.pg != nil && a.ownsDB {
		_ = a.pg.Close()
	}
}

func (a *App) wire() error {
	cfg := a.cfg
	sup, err := supervisor.New(cfg.Supervisor)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	a.sup = sup

	if a.pg != nil && cfg.DatabaseURL != "" {
		l := pgstore.NewListener(cfg.DatabaseURL, pgstore.ListenerOptions{Schema: a.pg.Schema(), Logger: a.log})
		a.notifier = l
		if err := sup.Add("notifier", l); err != nil {
			return err
		}
	}

	observer := observers{cfg.Observer}
	if cfg.Metrics != nil {
		observer = append(observer, cfg.Metrics)
	}
	a.sched, err = taskqueue.NewScheduler(taskqueue.SchedulerConfig{
		Store: a.backend, Enqueue: a.Enqueue, Schedules: cfg.Schedules, Logger: a.log,
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if cfg.Dashboard {
		a.dash, err = dashboard.New(dashboard.Config{
			Authorize: cfg.Authorize, CSRFKey: cfg.DashboardCSRFKey, Logger: a.log,
			Handles: handles(cfg.Dispatcher), Notifier: a.notifier, Prefix: cfg.dashboardPrefix(), Schedules: a.sched, Store: a.backend,
		})
		if err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
		}
		observer = append(observer, a.dash)
		if err := sup.Add("dashboard", a.dash); err != nil {
			return err
		}
	}

	name := cfg.WorkerName
	if name == "" {
		name = taskqueue.DefaultWorkerName()
	}
	var onRescue, onRescueLost func(int)
	var onLeader func(bool)
	if cfg.Metrics != nil {
		onRescue, onRescueLost, onLeader = cfg.Metrics.Rescued, cfg.Metrics.RescuedLost, cfg.Metrics.LeaderChanged
	}
	a.member, err = taskqueue.NewMember(taskqueue.MemberConfig{
		Membership: a.backend, Info: processInfo(name, a.served, cfg.Queues), Logger: a.log,
		OnLeaderChange: onLeader, OnRescue: onRescueLost,
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	a.pool, err = taskqueue.NewPool(taskqueue.PoolConfig{
		Concurrency: cfg.Concurrency, Dispatcher: cfg.Dispatcher, DrainTimeout: cfg.DrainTimeout,
		Lease: cfg.Lease, Logger: a.log, Member: a.member, Notifier: a.notifier, Observer: observer,
		PollInterval: cfg.PollInterval, Queue: a.backend, Queues: cfg.Queues,
		Redactor: outcomeRedactor{a: a.analyzer, opt: cfg.Redact}, RetryPolicy: cfg.RetryPolicy,
		Timeout: cfg.TaskTimeout, Tracer: cfg.Tracer, WorkerName: name,
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if cfg.Metrics != nil {
		cfg.Metrics.DeclareQueues(a.pool.Queues()...)
	}
	rescuer, err := taskqueue.NewRescuer(taskqueue.RescuerConfig{Queue: a.backend, Interval: cfg.RescueInterval, Logger: a.log, OnRescue: onRescue})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	cleaner, err := taskqueue.NewRetentionCleaner(taskqueue.RetentionConfig{Cleaner: a.backend, Retention: cfg.Retention, Logger: a.log})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	for _, s := range []struct {
		name     string
		svc      suture.Service
		required bool
	}{
		{"member", a.member, true},
		{"workers", a.pool, true},
		// Every process sweeps expired leases: a leader that is stopped
		// but keeps its connection holds its lock, and its own leases
		// must still expire. The leader alone deletes old tasks and
		// creates the schedules' tasks.
		{"rescuer", rescuer, true},
		{"retention", a.member.Lead(cleaner), false},
		{"scheduler", a.member.Lead(a.sched), false},
	} {
		var opts []supervisor.Option
		if s.required {
			opts = append(opts, supervisor.Required())
		}
		if err := sup.Add(s.name, s.svc, opts...); err != nil {
			return err
		}
	}
	if cfg.Enricher != nil {
		a.enrich = newEnrichment(cfg.Enricher, a.backend, a.log)
		if err := sup.Add("enrichment", a.enrich); err != nil {
			return err
		}
	}
	if err := sup.AddCheck("store", a.backend.Ping); err != nil {
		return err
	}

	a.api, err = httpapi.New(httpapi.Config{
		Authorize: cfg.Authorize, Enqueuer: httpapi.EnqueuerFunc(a.Enqueue), Logger: a.log,
		MaxBodyBytes: cfg.MaxBodyBytes, MaxParamsBytes: cfg.MaxParamsBytes, MaxStreams: cfg.MaxStreams, Notifier: a.notifier, PollInterval: cfg.PollInterval,
		Handles: handles(cfg.Dispatcher), Prefix: cfg.apiPrefix(), Processes: a.backend, Ready: a.sup.Check, Schedules: a.sched, Store: a.backend,
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return a.buildHandler()
}

// observers fans pool events out to several observers, skipping nil ones.
type observers []taskqueue.Observer

func (o observers) Claimed(t *store.Task) {
	for _, x := range o {
		if x != nil {
			x.Claimed(t)
		}
	}
}

func (o observers) Finished(t *store.Task, kind store.OutcomeKind, ran time.Duration, err error) {
	for _, x := range o {
		if x != nil {
			x.Finished(t, kind, ran, err)
		}
	}
}

// Serve runs every service of the App under its supervisor until ctx ends
// or [App.Shutdown] is called, then stops them gracefully: workers stop
// claiming, running tasks get DrainTimeout to finish, the rest are
// cancelled and their leases released. It returns ctx.Err() after a stop
// by ctx, or an error wrapping [ErrShutdown] after Shutdown. It implements
// suture.Service.
func (a *App) Serve(ctx context.Context) error {
	a.mu.Lock()
	if a.shutdown {
		a.mu.Unlock()
		return fmt.Errorf("%w: %w", ErrShutdown, suture.ErrDoNotRestart)
	}
	if a.serving != nil {
		a.mu.Unlock()
		return fmt.Errorf("%w: the app is already serving", ErrInvalidConfig)
	}
	runCtx, stop := context.WithCancel(ctx)
	a.stop, a.serving = stop, make(chan struct{})
	served := a.serving
	a.mu.Unlock()

	err := a.sup.Serve(runCtx)
	stop()

	a.mu.Lock()
	a.stop, a.serving = nil, nil
	down := a.shutdown
	a.mu.Unlock()
	close(served)
	if down {
		a.closeStore()
		if err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("%w: %w: %w", ErrShutdown, suture.ErrDoNotRestart, err)
		}
		return fmt.Errorf("%w: %w", ErrShutdown, suture.ErrDoNotRestart)
	}
	return err
}

// Shutdown stops a serving App (as Serve describes) and waits for it, or
// for ctx to end. It then closes the store's connection pool when the App
// opened it. Shutdown of an App that is not serving only closes the store.
// After Shutdown, Serve returns at once.
func (a *App) Shutdown(ctx context.Context) error {
	a.mu.Lock()
	already := a.shutdown
	a.shutdown = true
	stop, served := a.stop, a.serving
	a.mu.Unlock()
	if served == nil {
		if !already {
			a.closeStore()
		}
		return nil
	}
	stop()
	select {
	case <-served:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("seedcore: shutdown: %w", ctx.Err())
	}
}

// Handler returns everything the App serves over HTTP, under
// Config.BasePath: GET {base}/health and GET {base}/readyz, the task routes
// under {base}{APIPrefix}, and the dashboard under {base}{DashboardPrefix}
// when Config.Dashboard is set; other paths answer the API's JSON 404.
// Serve it as a server's whole handler, or put it in a host's mux with
// [App.Mount], which registers exactly those paths. Paths are matched in
// full: do not strip a prefix in front of it (set BasePath instead).
func (a *App) Handler() http.Handler { return a.handler }

// Guard returns h behind the API's middleware: Config.Authorize with the
// API's JSON error bodies, the request id, panic recovery and the request
// log. Use it for routes served next to [App.Handler], such as /metrics.
func (a *App) Guard(h http.Handler) http.Handler { return a.api.Guard(h) }

// RunDue runs the tasks that are due now, one at a time in the calling
// goroutine, until none is due, and returns how many attempts it ran: the
// App's worker pool without its goroutines, for deterministic tests (see
// seedcoretest.Drain) and one-shot programs. Each attempt goes through
// the App's dispatcher, timeout, retry policy, metrics and observers, and
// its outcome is written before the next; tasks scheduled for later are
// left (see taskqueue.Pool.RunDue). While the App serves it returns an
// error wrapping taskqueue.ErrPoolBusy, and once a stop began (App.Run
// stops the pool's claims) one wrapping taskqueue.ErrClaimingStopped.
func (a *App) RunDue(ctx context.Context) (int, error) { return a.pool.RunDue(ctx) }

// Notifier returns the source of the App's task notifications.
func (a *App) Notifier() store.Notifier { return a.notifier }

// Ready reports whether the store answers and the workers run.
func (a *App) Ready() bool { return a.sup.Ready() }

// Check is the readiness check: nil when ready, otherwise an error naming
// what is not ready (it wraps supervisor.ErrNotReady).
func (a *App) Check(ctx context.Context) error { return a.sup.Check(ctx) }

// Supervisor returns the App's supervision tree, for its service states.
func (a *App) Supervisor() *supervisor.Supervisor { return a.sup }

// Enqueue redacts t and creates it (see store.Store.Create for
// idempotency keys). Unless Config.Redact opts a field out: the
// description is analysed by the eventizer and stored redacted, with the
// analysis in Events (Task.DescriptionTruncated says when it was cut);
// every string and long integer of the params is redacted in place, and
// every value under a secret-looking name (the findings' JSON paths go to
// Events); an idempotency key holding personal data is refused with an
// error wrapping store.ErrPersonalData that names the kinds found, never
// the value. The priority rule: a non-zero Priority is kept; a zero
// Priority takes the analysis's priority (0 to 10, so free text such as
// "URGENT" can raise it) unless t.KeepPriority is set, which stores 0. An
// empty Domain takes the analysis's domain. No raw value is stored or
// logged. After [App.Shutdown] it stores nothing and returns an error
// wrapping [ErrShutdown].
func (a *App) Enqueue(ctx context.Context, t store.NewTask) (store.Task, bool, error) {
	if err := a.closed(); err != nil {
		return store.Task{}, false, err
	}
	p, err := a.prepare(a.withTrace(ctx, t))
	if err != nil {
		return store.Task{}, false, err
	}
	task, created, err := a.backend.Create(ctx, p.task)
	if err == nil && created {
		a.afterCreate(task, p.res)
	}
	return task, created, err
}

// closed returns an error wrapping ErrShutdown and store.ErrClosed once
// Shutdown was called: a task enqueued then would never run here.
func (a *App) closed() error {
	a.mu.Lock()
	down := a.shutdown
	a.mu.Unlock()
	if down {
		return fmt.Errorf("seedcore: enqueue: %w: %w", ErrShutdown, store.ErrClosed)
	}
	return nil
}

// observe records an analysis in the metrics.
func (a *App) observe(res eventizer.Result) {
	if a.cfg.Metrics != nil {
		a.cfg.Metrics.Analyzed(res)
	}
}

// observeParams counts the findings redacted from params.
func (a *App) observeParams(pr eventizer.JSONResult) {
	if a.cfg.Metrics != nil && pr.Count() > 0 {
		a.cfg.Metrics.ParamsAnalyzed(pr)
	}
}

// EnqueueTx is Enqueue (redaction included) inside the caller's PostgreSQL transaction: the task
// exists only if tx commits. It returns [ErrNoTransactions] when the App
// runs on the in-memory store.
func (a *App) EnqueueTx(ctx context.Context, tx *sqlx.Tx, t store.NewTask) (store.Task, bool, error) {
	if err := a.closed(); err != nil {
		return store.Task{}, false, err
	}
	txc, ok := a.backend.(store.TxCreator[*sqlx.Tx])
	if !ok {
		return store.Task{}, false, ErrNoTransactions
	}
	p, err := a.prepare(a.withTrace(ctx, t))
	if err != nil {
		return store.Task{}, false, err
	}
	task, created, err := txc.CreateTx(ctx, tx, p.task)
	if err == nil && created {
		// Enrichment of a task whose transaction rolls back finds no task
		// and is dropped.
		a.afterCreate(task, p.res)
	}
	return task, created, err
}

// maxParams is the params limit in force.
func (a *App) maxParams() int {
	if a.cfg.MaxParamsBytes > 0 {
		return a.cfg.MaxParamsBytes
	}
	return httpapi.DefaultMaxParamsBytes
}

func (a *App) afterCreate(task store.Task, res eventizer.Result) {
	if a.cfg.Metrics != nil {
		a.cfg.Metrics.Created(task)
	}
	if a.enrich != nil && res.EnrichmentAdvised {
		a.enrich.submit(task.ID, res)
	}
}

// Queues returns every queue with tasks or state, with its task counts by
// status and whether it is paused (see store.QueueManager). It is an
// error wrapping ErrNoQueueState when the backend keeps no queue state.
func (a *App) Queues(ctx context.Context) ([]store.QueueInfo, error) {
	qm, ok := a.backend.(store.QueueManager)
	if !ok {
		return nil, ErrNoQueueState
	}
	return qm.Queues(ctx)
}

// SetQueuePaused pauses or resumes the queue name in every process on the
// App's store (see store.QueueManager): a paused queue's tasks stay queued
// until it is resumed.
func (a *App) SetQueuePaused(ctx context.Context, name string, paused bool) error {
	qm, ok := a.backend.(store.QueueManager)
	if !ok {
		return ErrNoQueueState
	}
	return qm.SetQueuePaused(ctx, name, paused)
}

// SetQueueLimits sets the queue's limits across every process on the
// App's store (see store.QueueManager and store.QueueLimits): at most
// MaxRunning of its tasks running at once, at most PartitionMaxRunning of
// each of its partitions' tasks running at once (tasks without a
// partition are not capped), and at most Rate started per second beyond
// a Burst. The zero QueueLimits removes them.
func (a *App) SetQueueLimits(ctx context.Context, name string, limits store.QueueLimits) error {
	qm, ok := a.backend.(store.QueueManager)
	if !ok {
		return ErrNoQueueState
	}
	return qm.SetQueueLimits(ctx, name, limits)
}

// handles returns whether d's workers run a task type: every type for a
// dispatcher marked taskqueue.AnyType, else the types it declares (read
// at each call, so a Mux's later handlers count).
func handles(d taskqueue.Dispatcher) func(string) bool {
	return func(taskType string) bool {
		types, any, _ := taskqueue.ClaimTypes(d)
		return any || slices.Contains(types, taskType)
	}
}
