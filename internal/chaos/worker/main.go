// Command worker is the worker process of the chaos harness
// (internal/chaos). It runs a taskqueue.Member (unless -member=false), a
// taskqueue.Pool, a taskqueue.Rescuer and a pgstore.Listener under a supervisor against one PostgreSQL
// schema, and
// appends every claim, attempt and outcome to its event log (see
// chaos.Log) so the harness can check what happened even after a SIGKILL.
//
// It handles SIGTERM and SIGINT by cancelling its context (the pool's
// graceful stop: no new claims, in-flight tasks get the drain timeout,
// then are cancelled and their leases released) and exits 0.
//
// Its tasks sleep for a duration drawn uniformly from [-dur-min,
// -dur-max], then complete with the result {"worker", "attempt", "pid"},
// so the database row itself says which worker and attempt wrote it.
//
// Usage:
//
//	worker -dsn URL -schema NAME -name NAME -log PATH [flags]
//
// The DSN may also come from the CHAOS_DSN environment variable. The
// worker connects with application_name set to its name, so the harness
// can cut exactly its connections.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/seedcore/seedcore/internal/chaos"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/pgstore"
	"github.com/seedcore/seedcore/supervisor"
	"github.com/seedcore/seedcore/taskqueue"
)

type config struct {
	dsn         string
	schema      string
	name        string
	logPath     string
	concurrency int
	lease       time.Duration
	drain       time.Duration
	offset      time.Duration
	durMin      time.Duration
	durMax      time.Duration
	poll        time.Duration
	rescue      time.Duration
	timeout     time.Duration
	verbose     bool
	member      bool
	memberEvery time.Duration
	schedule    string
}

func main() {
	var c config
	flag.StringVar(&c.dsn, "dsn", os.Getenv("CHAOS_DSN"), "PostgreSQL URL (default $CHAOS_DSN)")
	flag.StringVar(&c.schema, "schema", "", "schema of the task table (required)")
	flag.StringVar(&c.name, "name", "", "worker name: lease holder and application_name (required)")
	flag.StringVar(&c.logPath, "log", "", "event log path (required)")
	flag.IntVar(&c.concurrency, "concurrency", 8, "tasks run at once")
	flag.DurationVar(&c.lease, "lease", time.Second, "lease; heartbeat every lease/3")
	flag.DurationVar(&c.drain, "drain", 5*time.Second, "drain timeout at graceful stop")
	flag.DurationVar(&c.offset, "clock-offset", 0, "offset added to this worker's clock (e.g. 5m, -5m)")
	flag.DurationVar(&c.durMin, "dur-min", 5*time.Millisecond, "shortest task duration")
	flag.DurationVar(&c.durMax, "dur-max", 50*time.Millisecond, "longest task duration")
	flag.DurationVar(&c.poll, "poll", 200*time.Millisecond, "poll interval when no notification arrives")
	flag.DurationVar(&c.rescue, "rescue", 250*time.Millisecond, "rescuer sweep interval")
	flag.DurationVar(&c.timeout, "timeout", time.Minute, "per-attempt timeout")
	flag.BoolVar(&c.verbose, "v", false, "log engine events to stderr at debug level")
	flag.BoolVar(&c.member, "member", true, "join the processes (taskqueue.Member): the leader alone sweeps expired leases and returns lost processes' tasks at once; false: every worker sweeps, and a dead worker's tasks wait for their lease")
	flag.DurationVar(&c.memberEvery, "member-interval", taskqueue.DefaultMemberInterval, "the member's check interval")
	flag.StringVar(&c.schedule, "schedule", "", "cron spec of a schedule \"tick\" creating tasks of type tick, run by the leader (needs -member)")
	flag.Parse()
	os.Exit(run(c))
}

func run(c config) int {
	if c.dsn == "" || c.schema == "" || c.name == "" || c.logPath == "" {
		fmt.Fprintln(os.Stderr, "worker: -dsn, -schema, -name and -log are required")
		return 2
	}
	if c.durMax < c.durMin {
		fmt.Fprintln(os.Stderr, "worker: -dur-max is shorter than -dur-min")
		return 2
	}
	level := slog.LevelWarn
	if c.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).
		With(slog.String("worker", c.name))

	events, err := chaos.OpenLog(c.logPath, c.name)
	if err != nil {
		logger.Error("open event log", slog.String("error", err.Error()))
		return 1
	}
	events.Write(chaos.Record{Ev: chaos.EvBegin, N: os.Getpid(), Err: c.offset.String()})
	code := serve(c, logger, events)
	events.Write(chaos.Record{Ev: chaos.EvExit, N: code})
	if err := events.Close(); err != nil {
		logger.Error("event log", slog.String("error", err.Error()))
		if code == 0 {
			code = 1
		}
	}
	return code
}

// withAppName returns dsn with application_name set to name.
func withAppName(dsn, name string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("parse dsn: %w", err)
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func serve(c config, logger *slog.Logger, events *chaos.Log) int {
	// The signal handler cancels the context: the pool's graceful stop.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	go func() {
		select {
		case s := <-sigs:
			events.Write(chaos.Record{Ev: chaos.EvSignal, Err: s.String()})
			cancel()
		case <-ctx.Done():
		}
	}()

	dsn, err := withAppName(c.dsn, c.name)
	if err != nil {
		logger.Error("dsn", slog.String("error", err.Error()))
		return 1
	}
	st, err := pgstore.Open(ctx, dsn, pgstore.Options{Schema: c.schema, Logger: logger})
	if err != nil {
		logger.Error("open store", slog.String("error", err.Error()))
		return 1
	}
	defer st.Close()

	// Every clock reading of the engine goes through now: the offset must
	// change nothing, since leases are decided on the database's clock.
	now := func() time.Time { return time.Now().Add(c.offset) }

	q := &loggingQueue{q: st, log: events}
	var member *taskqueue.Member
	if c.member {
		member, err = taskqueue.NewMember(taskqueue.MemberConfig{
			Membership: st, Info: store.ProcessInfo{Name: c.name, PID: os.Getpid()},
			Interval: c.memberEvery, Logger: logger,
			OnLeaderChange: func(leading bool) {
				k := "lost"
				if leading {
					k = "gained"
				}
				events.Write(chaos.Record{Ev: chaos.EvLeader, K: k})
			},
		})
		if err != nil {
			logger.Error("member", slog.String("error", err.Error()))
			return 1
		}
	}
	listener := pgstore.NewListener(dsn, pgstore.ListenerOptions{Schema: c.schema, Logger: logger, PingInterval: time.Second})
	pool, err := taskqueue.NewPool(taskqueue.PoolConfig{
		Concurrency:  c.concurrency,
		Dispatcher:   dispatcher(c, events),
		DrainTimeout: c.drain,
		Lease:        c.lease,
		Logger:       logger,
		Member:       member,
		Notifier:     listener,
		Now:          now,
		PollInterval: c.poll,
		Queue:        q,
		RetryPolicy:  taskqueue.RetryPolicyFunc(func(int) time.Duration { return 10 * time.Millisecond }),
		Timeout:      c.timeout,
		WorkerName:   c.name,
	})
	if err != nil {
		logger.Error("pool", slog.String("error", err.Error()))
		return 1
	}
	rescuer, err := taskqueue.NewRescuer(taskqueue.RescuerConfig{Queue: q, Interval: c.rescue, Logger: logger})
	if err != nil {
		logger.Error("rescuer", slog.String("error", err.Error()))
		return 1
	}
	sup, err := supervisor.New(supervisor.Config{
		Name:   c.name,
		Logger: logger,
		// Longer than the pool's drain plus its flush timeout.
		StopTimeout:    c.drain + taskqueue.DefaultFlushTimeout + 5*time.Second,
		FailureBackoff: 500 * time.Millisecond,
	})
	if err != nil {
		logger.Error("supervisor", slog.String("error", err.Error()))
		return 1
	}
	type service struct {
		name string
		svc  interface{ Serve(context.Context) error }
	}
	services := []service{{"listener", listener}, {"pool", pool}, {"rescuer", rescuer}}
	if member != nil {
		services = []service{{"listener", listener}, {"member", member}, {"pool", pool}, {"rescuer", rescuer}}
		if c.schedule != "" {
			sched, err := taskqueue.NewScheduler(taskqueue.SchedulerConfig{
				Store: st, Enqueue: st.Create, Logger: logger,
				Schedules: []taskqueue.Schedule{{Name: "tick", Spec: c.schedule, Task: store.NewTask{Type: "tick"}}},
			})
			if err != nil {
				logger.Error("scheduler", slog.String("error", err.Error()))
				return 1
			}
			services = append(services, service{"scheduler", member.Lead(sched)})
		}
	}
	for _, s := range services {
		if err := sup.Add(s.name, s.svc); err != nil {
			logger.Error("supervisor add", slog.String("error", err.Error()))
			return 1
		}
	}
	err = sup.Serve(ctx)
	if !errors.Is(err, context.Canceled) || errors.Is(err, supervisor.ErrStopTimeout) {
		logger.Error("supervisor stopped", slog.Any("error", err))
		return 1
	}
	return 0
}

type result struct {
	Worker  string `json:"worker"`
	Attempt int    `json:"attempt"`
	PID     int    `json:"pid"`
}

// dispatcher sleeps for a random duration in [durMin, durMax] (or until
// the attempt's context ends) and returns a result naming the worker and
// attempt.
func dispatcher(c config, events *chaos.Log) taskqueue.Dispatcher {
	pid := os.Getpid()
	return taskqueue.AnyType(taskqueue.DispatcherFunc(func(ctx context.Context, t *store.Task) (json.RawMessage, error) {
		events.Write(chaos.Record{Ev: chaos.EvStart, ID: t.ID, A: t.Attempts})
		d := c.durMin
		if span := c.durMax - c.durMin; span > 0 {
			d += rand.N(span + 1)
		}
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-ctx.Done():
			kind := "cancelled"
			switch cause := context.Cause(ctx); {
			case errors.Is(cause, taskqueue.ErrLeaseLost):
				kind = "lease_lost"
			case errors.Is(cause, taskqueue.ErrStopping):
				kind = "stopping"
			case errors.Is(cause, taskqueue.ErrTimeout):
				kind = "timeout"
			}
			events.Write(chaos.Record{Ev: chaos.EvDone, ID: t.ID, A: t.Attempts, K: kind})
			return nil, context.Cause(ctx)
		}
		events.Write(chaos.Record{Ev: chaos.EvDone, ID: t.ID, A: t.Attempts, K: "ok"})
		return json.Marshal(result{Worker: c.name, Attempt: t.Attempts, PID: pid})
	}))
}

// loggingQueue wraps the store's worker half and logs every claim and
// every outcome's fate.
type loggingQueue struct {
	q   *pgstore.Store
	log *chaos.Log
}

var _ taskqueue.Queue = (*loggingQueue)(nil)

func (l *loggingQueue) Claim(ctx context.Context, worker string, limit int, lease time.Duration) ([]store.Task, error) {
	return l.ClaimMatching(ctx, worker, limit, lease, store.ClaimFilter{})
}

func (l *loggingQueue) ClaimMatching(ctx context.Context, worker string, limit int, lease time.Duration, f store.ClaimFilter) ([]store.Task, error) {
	l.log.Write(chaos.Record{Ev: chaos.EvClaimCall, N: limit})
	tasks, err := l.q.ClaimMatching(ctx, worker, limit, lease, f)
	if err != nil {
		l.log.Write(chaos.Record{Ev: chaos.EvClaimErr, N: limit, Err: err.Error()})
		return nil, err
	}
	for i := range tasks {
		l.log.Write(chaos.Record{Ev: chaos.EvClaim, ID: tasks[i].ID, A: tasks[i].Attempts})
	}
	l.log.Write(chaos.Record{Ev: chaos.EvClaimRet, N: len(tasks)})
	return tasks, nil
}

func (l *loggingQueue) Heartbeat(ctx context.Context, worker string, held []string, lease time.Duration) ([]store.Lease, error) {
	leases, err := l.q.Heartbeat(ctx, worker, held, lease)
	if err != nil {
		l.log.Write(chaos.Record{Ev: chaos.EvHeartbeatErr, Err: err.Error()})
	}
	return leases, err
}

func (l *loggingQueue) Finish(ctx context.Context, outcomes []store.Outcome) ([]error, error) {
	errs, err := l.q.Finish(ctx, outcomes)
	for i, o := range outcomes {
		rec := chaos.Record{ID: o.TaskID, A: o.Attempt, K: string(o.Kind)}
		switch {
		case err != nil:
			rec.Ev, rec.Err = chaos.EvFinishErr, err.Error()
		case errs[i] == nil:
			rec.Ev, rec.R = chaos.EvFinish, chaos.Applied
		case errors.Is(errs[i], store.ErrLeaseLost):
			rec.Ev, rec.R = chaos.EvFinish, chaos.Rejected
		default:
			rec.Ev, rec.Err = chaos.EvFinishErr, errs[i].Error()
		}
		l.log.Write(rec)
	}
	return errs, err
}

func (l *loggingQueue) Rescue(ctx context.Context, limit int) ([]store.Rescued, error) {
	rescued, err := l.q.Rescue(ctx, limit)
	for _, r := range rescued {
		l.log.Write(chaos.Record{Ev: chaos.EvRescue, ID: r.TaskID, K: string(r.Status)})
	}
	return rescued, err
}
