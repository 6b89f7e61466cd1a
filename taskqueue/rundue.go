package taskqueue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/seedcore/seedcore/store"
)

// ErrPoolBusy is returned by [Pool.RunDue] while the pool serves or
// another RunDue call runs.
var ErrPoolBusy = errors.New("taskqueue: pool is already running")

// ErrClaimingStopped is returned by [Pool.RunDue] once [Pool.StopClaiming]
// was called: the pool claims nothing more.
var ErrClaimingStopped = errors.New("taskqueue: pool stopped claiming")

// RunDue runs the tasks that are due now, one at a time in the calling
// goroutine, until the backend has none due, and returns how many
// attempts it ran. It is the synchronous form of [Pool.Serve], for tests
// and one-shot programs: every attempt goes through the same dispatcher,
// timeout, retry policy and outcome rules, and its outcome is written
// before the next claim, so after RunDue returns nil the store holds every
// result. A task that an attempt schedules for later (a retry with a
// delay, RunAfter in the future) is not due and is left for a later call;
// one that is due again at once (RetryAfter(0), a release) runs again in
// the same call, until it ends or spends MaxAttempts.
//
// RunDue claims one task at a time, in claim order (priority, then
// RunAfter, then ID), under Lease, and sends no heartbeat: an attempt
// longer than Lease may be rescued and run by another process meanwhile.
// When ctx ends, the running attempt's context is cancelled with cause
// [ErrStopping], its lease is released as at a hard stop, and RunDue
// returns ctx's error. A dispatcher that keeps creating due tasks keeps
// RunDue going until ctx ends. While the pool serves, RunDue returns an
// error wrapping [ErrPoolBusy], and Serve refuses to start during RunDue.
//
// After [Pool.StopClaiming], RunDue claims nothing and returns an error
// wrapping [ErrClaimingStopped] with the attempts it ran: a call made
// after the stop returns 0 at once, and a stop made during an attempt
// (by another goroutine or by the dispatcher) lets that attempt end and
// its outcome be written, then returns.
func (p *Pool) RunDue(ctx context.Context) (int, error) {
	if p.queues != nil {
		return p.runDueQueues(ctx)
	}
	if !p.running.CompareAndSwap(false, true) {
		return 0, fmt.Errorf("%w: pool %s", ErrPoolBusy, p.cfg.WorkerName)
	}
	defer p.running.Store(false)
	// Ready reports a serving pool only.
	p.healthy.Store(false)
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if p.claimingStopped() {
			return n, fmt.Errorf("%w: pool %s", ErrClaimingStopped, p.cfg.WorkerName)
		}
		f, ok := p.claimFilter()
		if !ok {
			return n, nil
		}
		tasks, err := p.cfg.Queue.ClaimMatching(ctx, p.cfg.WorkerName, 1, p.cfg.Lease, f)
		if err != nil {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			return n, fmt.Errorf("taskqueue: run due: claim: %w", err)
		}
		if len(tasks) == 0 {
			return n, nil
		}
		n++
		if err := p.runNow(ctx, &tasks[0]); err != nil {
			return n, err
		}
	}
}

// runNow runs one claimed task in the calling goroutine and writes its
// outcome.
func (p *Pool) runNow(ctx context.Context, t *store.Task) error {
	if p.cfg.Observer != nil {
		p.cfg.Observer.Claimed(t)
	}
	tctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { cancel(ErrStopping) })
	a := p.attempt(tctx, t)
	stop()
	cancel(nil)
	out, _ := p.outcome(t, a.result, a.err, a.cause) // no heartbeat: the lease is never found lost
	a.ended(out.Kind, false)
	wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), p.cfg.FlushTimeout)
	defer wcancel()
	errs, err := p.cfg.Queue.Finish(wctx, []store.Outcome{out})
	if err != nil {
		if p.cfg.Observer != nil {
			p.cfg.Observer.Finished(t, out.Kind, a.ran, fmt.Errorf("%w: %w", ErrLeaseLost, err))
		}
		return fmt.Errorf("taskqueue: run due: write outcome: %w", err)
	}
	var werr error
	if len(errs) == 1 && errs[0] != nil {
		werr = errs[0]
		p.taskLog(t).Warn("outcome rejected: lease no longer held", slog.String("outcome", string(out.Kind)),
			slog.String("error", errs[0].Error()))
	}
	if p.cfg.Observer != nil {
		// After the write, as a serving pool's observer is told.
		if werr != nil && !errors.Is(werr, ErrLeaseLost) {
			werr = fmt.Errorf("%w: %w", ErrLeaseLost, werr)
		}
		p.cfg.Observer.Finished(t, out.Kind, a.ran, werr)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}
