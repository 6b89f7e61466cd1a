package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/seedcore/seedcore/store"
)

// Fault kinds the harness injects.
const (
	faultKill = "kill" // SIGKILL
	faultStop = "stop" // SIGSTOP … SIGCONT
	faultCut  = "cut"  // pg_terminate_backend of the worker's connections
	faultTerm = "term" // SIGTERM (graceful stop)
)

// fault is one disturbance of one worker.
type fault struct {
	kind   string
	worker string
	at     time.Time
	until  time.Time // end of a stop (SIGCONT)
}

// row is what the check reads of a task row.
type row struct {
	ID       string       `db:"id"`
	Status   store.Status `db:"status"`
	Attempts int          `db:"attempts"`
	Result   sqlNullJSON  `db:"result"`
	Error    string       `db:"error"`
	Created  time.Time    `db:"created_at"`
	Finished *time.Time   `db:"finished_at"`
}

// sqlNullJSON is a nullable JSON column read as text.
type sqlNullJSON struct {
	Valid bool
	Raw   []byte
}

// Scan implements sql.Scanner.
func (j *sqlNullJSON) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		j.Valid, j.Raw = false, nil
	case []byte:
		j.Valid, j.Raw = true, append([]byte(nil), x...)
	case string:
		j.Valid, j.Raw = true, []byte(x)
	default:
		return fmt.Errorf("result: unexpected %T", v)
	}
	return nil
}

// readRows returns every task row of the cluster's schema, by ID.
func (c *cluster) readRows(ctx context.Context) (map[string]row, error) {
	var rows []row
	err := c.env.DB.SelectContext(ctx, &rows,
		`SELECT id, status, attempts, result, error, created_at, finished_at FROM `+c.env.Schema+`.tasks`)
	if err != nil {
		return nil, fmt.Errorf("read rows: %w", err)
	}
	out := make(map[string]row, len(rows))
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}

// attemptKey names one attempt of one task by one worker.
type attemptKey struct {
	worker string
	id     string
	a      int
}

// execution is one run of the dispatcher, from its worker's log.
type execution struct {
	attemptKey
	start  time.Time
	end    time.Time // zero when the log has no end (killed, or still running)
	endK   string
	finish []Record // outcome writes of this attempt, in order
}

// Causes of an execution that did not complete the task.
const (
	causeKilled   = "killed"
	causeStopped  = "stopped"
	causeCut      = "connection cut"
	causeReleased = "released at stop"
	causeUnknown  = "UNEXPLAINED"
)

// report is the result of the check.
type report struct {
	Mode     string
	Tasks    int
	Workers  int // processes started over the run
	Kills    int
	Stops    int
	Cuts     int // cut events
	ConnsCut int // connections terminated
	Elapsed  time.Duration
	Drain    time.Duration
	// FaultsEnd is when the last fault and the last enqueue were done; the
	// drain is measured from it.
	FaultsEnd time.Time
	// Tail describes the last tasks to finish, when they finished long
	// after FaultsEnd: what kept the drain going.
	Tail []string

	Completed      int
	NotTerminal    int
	Lost           int // enqueued but missing, or not completed
	Unexpected     int // run or stored but never enqueued
	Executions     int
	Duplicated     int            // tasks run more than once
	Extra          map[string]int // executions that did not complete their task, by cause
	Ghosts         int            // attempt numbers no worker logged a claim for
	GhostBudget    int            // tasks asked for by claims whose answer was lost
	DoubleClaims   int
	CompletedTwice int
	WrongWinner    int // stored result not by the last claimant at the final attempt
	StaleRejected  int // outcomes of attempts without the lease, rejected
	AckLost        int // outcomes that applied but whose answer was lost; the retry was rejected
	PoolDropped    int // attempts the pool itself stopped on losing the lease (nothing written)
	TornLines      int
	MaxAttempts    int

	Violations []string
}

func (r *report) violate(format string, args ...any) {
	r.Violations = append(r.Violations, fmt.Sprintf(format, args...))
}

// String renders the report.
func (r *report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "chaos report (%s mode)\n", r.Mode)
	fmt.Fprintf(&b, "  tasks enqueued            %d\n", r.Tasks)
	fmt.Fprintf(&b, "  worker processes started  %d\n", r.Workers)
	fmt.Fprintf(&b, "  faults                    %d kills, %d stops, %d cuts (%d connections terminated)\n", r.Kills, r.Stops, r.Cuts, r.ConnsCut)
	fmt.Fprintf(&b, "  run / time to drain       %s / %s\n", r.Elapsed.Round(time.Millisecond), r.Drain.Round(time.Millisecond))
	fmt.Fprintf(&b, "  completed                 %d\n", r.Completed)
	fmt.Fprintf(&b, "  not terminal              %d\n", r.NotTerminal)
	fmt.Fprintf(&b, "  lost                      %d\n", r.Lost)
	fmt.Fprintf(&b, "  unexpected                %d\n", r.Unexpected)
	fmt.Fprintf(&b, "  executions                %d (highest attempt number %d)\n", r.Executions, r.MaxAttempts)
	fmt.Fprintf(&b, "  duplicated tasks          %d\n", r.Duplicated)
	causes := make([]string, 0, len(r.Extra))
	for c := range r.Extra {
		causes = append(causes, c)
	}
	sort.Strings(causes)
	for _, c := range causes {
		fmt.Fprintf(&b, "    extra executions, %-16s %d\n", c+":", r.Extra[c])
	}
	fmt.Fprintf(&b, "    unlogged attempts (claim answer lost)  %d (claims interrupted asked for up to %d)\n", r.Ghosts, r.GhostBudget)
	fmt.Fprintf(&b, "  completed twice           %d\n", r.CompletedTwice)
	fmt.Fprintf(&b, "  double claims             %d\n", r.DoubleClaims)
	fmt.Fprintf(&b, "  wrong winner              %d\n", r.WrongWinner)
	fmt.Fprintf(&b, "  stale writes rejected     %d\n", r.StaleRejected)
	fmt.Fprintf(&b, "  acks lost, retry rejected %d\n", r.AckLost)
	fmt.Fprintf(&b, "  stale attempts dropped by the pool (lease lost, nothing written)  %d\n", r.PoolDropped)
	if r.TornLines > 0 {
		fmt.Fprintf(&b, "  torn log lines            %d\n", r.TornLines)
	}
	if len(r.Tail) > 0 {
		fmt.Fprintf(&b, "  last tasks to finish (times from the end of the faults):\n")
		for _, l := range r.Tail {
			fmt.Fprintf(&b, "    %s\n", l)
		}
	}
	fmt.Fprintf(&b, "  violations                %d\n", len(r.Violations))
	for i, v := range r.Violations {
		if i == 20 {
			fmt.Fprintf(&b, "    … and %d more\n", len(r.Violations)-20)
			break
		}
		fmt.Fprintf(&b, "    %s\n", v)
	}
	return b.String()
}

// checkConfig tunes the attribution of extra executions to faults.
type checkConfig struct {
	// cutWindow is how long after a connection cut an attempt of the cut
	// worker may still lose its lease because of it (reconnection, a
	// missed heartbeat, the rescue sweep).
	cutWindow time.Duration
	// slack absorbs the time between a log write and the event it records.
	slack time.Duration
}

type taskLog struct {
	claims map[int][]string // attempt → claimants
	execs  []*execution
}

// check runs every check on the final rows, the workers' logs and the
// faults injected, and fills r.
func check(r *report, cfg checkConfig, enqueued []string, rows map[string]row, logs map[string][]Record, faults []fault) {
	r.Extra = map[string]int{}
	want := make(map[string]bool, len(enqueued))
	for _, id := range enqueued {
		want[id] = true
	}
	byWorker := map[string][]fault{}
	for _, f := range faults {
		byWorker[f.worker] = append(byWorker[f.worker], f)
	}

	tasks := map[string]*taskLog{}
	get := func(id string) *taskLog {
		tl := tasks[id]
		if tl == nil {
			tl = &taskLog{claims: map[int][]string{}}
			tasks[id] = tl
		}
		return tl
	}
	execs := map[attemptKey]*execution{}
	unexpected := map[string]bool{}
	for worker, recs := range logs {
		pending := -1 // limit of a claim sent and not yet answered
		for _, rec := range recs {
			if rec.ID != "" && !want[rec.ID] {
				unexpected[rec.ID] = true
			}
			k := attemptKey{worker: worker, id: rec.ID, a: rec.A}
			switch rec.Ev {
			case EvClaimCall:
				pending = rec.N
			case EvClaimRet:
				pending = -1
			case EvClaimErr:
				r.GhostBudget += rec.N
				pending = -1
			case EvClaim:
				tl := get(rec.ID)
				tl.claims[rec.A] = append(tl.claims[rec.A], worker)
			case EvStart:
				e := &execution{attemptKey: k, start: rec.Time()}
				if execs[k] != nil {
					r.violate("task %s attempt %d started twice by %s", rec.ID, rec.A, worker)
				}
				execs[k] = e
				get(rec.ID).execs = append(get(rec.ID).execs, e)
				r.Executions++
			case EvDone:
				if e := execs[k]; e != nil {
					e.end, e.endK = rec.Time(), rec.K
					if rec.K == "lease_lost" {
						r.PoolDropped++
					}
				}
			case EvFinish, EvFinishErr:
				if e := execs[k]; e != nil {
					e.finish = append(e.finish, rec)
				} else {
					r.violate("outcome of task %s attempt %d by %s without a start", rec.ID, rec.A, worker)
				}
			}
		}
		if pending >= 0 { // the process died waiting for a claim's answer
			r.GhostBudget += pending
		}
	}
	for id := range rows {
		if !want[id] {
			unexpected[id] = true
		}
	}
	r.Unexpected = len(unexpected)
	for id := range unexpected {
		r.violate("unexpected task %s (never enqueued)", id)
	}

	for _, id := range enqueued {
		rw, ok := rows[id]
		if !ok {
			r.Lost++
			r.violate("task %s lost: not in the database", id)
			continue
		}
		r.MaxAttempts = max(r.MaxAttempts, rw.Attempts)
		if !rw.Status.Terminal() {
			r.NotTerminal++
		}
		if rw.Status != store.StatusCompleted {
			r.Lost++
			r.violate("task %s lost: ended %s after %d attempts (%s)", id, rw.Status, rw.Attempts, rw.Error)
			continue
		}
		r.Completed++
		tl := get(id)

		// The winner, as the database row says.
		var res struct {
			Worker  string `json:"worker"`
			Attempt int    `json:"attempt"`
		}
		if !rw.Result.Valid || json.Unmarshal(rw.Result.Raw, &res) != nil {
			r.WrongWinner++
			r.violate("task %s completed without a readable result", id)
			continue
		}
		winner := attemptKey{worker: res.Worker, id: id, a: res.Attempt}
		claimants := tl.claims[rw.Attempts]
		if res.Attempt != rw.Attempts || len(claimants) == 0 || claimants[len(claimants)-1] != res.Worker {
			r.WrongWinner++
			r.violate("task %s: result by %s at attempt %d, but the final attempt is %d claimed by %v",
				id, res.Worker, res.Attempt, rw.Attempts, claimants)
		}
		for a, ws := range tl.claims {
			if len(ws) > 1 {
				r.DoubleClaims++
				r.violate("task %s attempt %d claimed by %d workers: %v", id, a, len(ws), ws)
			}
		}
		for a := 1; a <= rw.Attempts; a++ {
			if len(tl.claims[a]) == 0 {
				r.Ghosts++
			}
		}

		applied := 0
		for _, e := range tl.execs {
			for _, f := range e.finish {
				if f.Ev != EvFinish {
					continue
				}
				switch {
				case f.R == Applied && f.K == string(store.OutcomeComplete):
					applied++
					if e.attemptKey != winner {
						r.violate("task %s: completion by %s attempt %d applied, but the row holds %s attempt %d",
							id, e.worker, e.a, winner.worker, winner.a)
					}
				case f.R == Rejected && e.attemptKey == winner:
					r.AckLost++
					if !hasFinishErr(e.finish) {
						r.violate("task %s: the winner's outcome was rejected without a failed write before it", id)
					}
				case f.R == Rejected:
					r.StaleRejected++
				}
			}
		}
		if applied > 1 {
			r.CompletedTwice++
			r.violate("task %s completed %d times", id, applied)
		}

		if len(tl.execs) > 1 {
			r.Duplicated++
		}
		for _, e := range tl.execs {
			if e.attemptKey == winner {
				continue
			}
			cause := attribute(cfg, e, byWorker[e.worker])
			r.Extra[cause]++
			if cause == causeUnknown {
				r.violate("task %s: execution by %s at attempt %d (started %s, ended %q) is explained by no fault",
					id, e.worker, e.a, e.start.Format("15:04:05.000"), e.endK)
			}
		}
	}
	r.Tail = tail(r.FaultsEnd, rows, tasks, 3)
	if r.Ghosts > r.GhostBudget {
		r.violate("%d attempts were claimed without any worker logging them, but interrupted claims asked for only %d",
			r.Ghosts, r.GhostBudget)
	}
}

func hasFinishErr(fs []Record) bool {
	for _, f := range fs {
		if f.Ev == EvFinishErr {
			return true
		}
	}
	return false
}

// attribute names the fault that explains why execution e did not
// complete its task: a fault of its worker while it was in flight (from
// its start until its outcome was applied; for a cut, until cutWindow
// after it, since the lease may lapse a little later).
func attribute(cfg checkConfig, e *execution, faults []fault) string {
	appliedAt := time.Time{}
	for _, f := range e.finish {
		if f.Ev == EvFinish && f.R == Applied {
			appliedAt = f.Time()
			break
		}
	}
	inFlight := func(from, to time.Time) bool { // was e in flight at some point of [from, to]?
		return !e.start.After(to.Add(cfg.slack)) && (appliedAt.IsZero() || !appliedAt.Before(from.Add(-cfg.slack)))
	}
	// The most specific cause first: a cut's window is the widest.
	for _, kind := range []string{faultStop, faultKill, faultTerm, faultCut} {
		for _, f := range faults {
			if f.kind != kind {
				continue
			}
			switch {
			case kind == faultStop && inFlight(f.at, f.until):
				return causeStopped
			case kind == faultKill && inFlight(f.at, f.at):
				return causeKilled
			case kind == faultTerm && e.endK == "stopping" && inFlight(f.at, f.at):
				return causeReleased
			case kind == faultCut && inFlight(f.at, f.at.Add(cfg.cutWindow)):
				return causeCut
			}
		}
	}
	return causeUnknown
}

// tail describes the n tasks that finished last, if they finished more
// than a second after end.
func tail(end time.Time, rows map[string]row, tasks map[string]*taskLog, n int) []string {
	var last []row
	for _, rw := range rows {
		if rw.Finished != nil && rw.Finished.Sub(end) > time.Second {
			last = append(last, rw)
		}
	}
	sort.Slice(last, func(i, j int) bool { return last[i].Finished.After(*last[j].Finished) })
	var out []string
	rel := func(t time.Time) string { return t.Sub(end).Round(time.Millisecond).String() }
	for _, rw := range last[:min(n, len(last))] {
		var b strings.Builder
		fmt.Fprintf(&b, "%s created %s finished %s attempts %d:", rw.ID, rel(rw.Created), rel(*rw.Finished), rw.Attempts)
		if tl := tasks[rw.ID]; tl != nil {
			for a := 1; a <= rw.Attempts; a++ {
				if len(tl.claims[a]) == 0 {
					fmt.Fprintf(&b, " [attempt %d: claim not logged]", a)
				}
			}
			for _, e := range tl.execs {
				fmt.Fprintf(&b, " [attempt %d by %s: start %s, end %q", e.a, e.worker, rel(e.start), e.endK)
				for _, f := range e.finish {
					fmt.Fprintf(&b, ", %s %s%s", f.K, f.R, f.Err)
				}
				b.WriteString("]")
			}
		}
		out = append(out, b.String())
	}
	return out
}
