package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// column is one system (or variant) measured in a section.
type column struct {
	name string
	pg   bool
	make func() system
	fn   func(ctx context.Context, s system, p *probe, pr params) (result, error)
}

// section is one workload: its columns, run alternately, and the ratios
// its table shows (numerator and denominator column indexes).
type section struct {
	key     string
	title   string
	columns []column
	ratios  [][2]int
}

func (o options) sections() ([]section, error) {
	systems, err := o.systems(0)
	if err != nil {
		return nil, err
	}
	log := o.logger()
	over := func(systems []spec, fn func(ctx context.Context, s system, p *probe, pr params) (result, error)) []column {
		cols := make([]column, len(systems))
		for i, s := range systems {
			cols[i] = column{name: s.name, pg: s.pg, make: s.make, fn: fn}
		}
		return cols
	}
	var vsFirst [][2]int
	if len(systems) > 1 && systems[0].key == "seedcore" {
		for i := 1; i < len(systems); i++ {
			vsFirst = append(vsFirst, [2]int{0, i})
		}
	}
	sc := func() system { return &seedcoreSystem{log: log} }
	w4 := func(pg bool) []column {
		return []column{
			{name: "App.Enqueue", pg: pg, make: sc, fn: func(ctx context.Context, s system, _ *probe, pr params) (result, error) {
				return httpPath(ctx, s.(*seedcoreSystem), pr, false)
			}},
			{name: "POST /api/v1/tasks", pg: pg, make: sc, fn: func(ctx context.Context, s system, _ *probe, pr params) (result, error) {
				return httpPath(ctx, s.(*seedcoreSystem), pr, true)
			}},
		}
	}
	var all []section
	for _, w := range o.Workers {
		ws, err := o.systems(w)
		if err != nil {
			return nil, err
		}
		all = append(all, section{key: "w1", title: fmt.Sprintf("W1 burn-down, %s workers (PostgreSQL)", num(float64(w))),
			columns: over(ws, burnDown), ratios: vsFirst})
	}
	all = append(all, section{key: "wq", title: "W1 burn-down, 10 queues × 1,000 partitions (seedcore, PostgreSQL)",
		columns: []column{
			{name: "1 queue", pg: true, make: sc, fn: burnDown},
			{name: "10 queues × 1,000 partitions", pg: true, make: func() system {
				return &seedcoreSystem{log: log, queues: 10, partitions: 1000}
			}, fn: burnDown},
		}, ratios: [][2]int{{1, 0}}})
	for _, r := range o.Rates {
		rate := func(ctx context.Context, s system, p *probe, pr params) (result, error) {
			pr.Rate = r
			return pickup(ctx, s, p, pr)
		}
		all = append(all, section{key: "w2", title: fmt.Sprintf("W2 pickup latency, %s/s (PostgreSQL)", num(float64(r))),
			columns: over(systems, rate), ratios: vsFirst})
	}
	all = append(all,
		section{key: "w3", title: "W3 mixed (PostgreSQL)", columns: over(systems, mixed), ratios: vsFirst},
		section{key: "w4", title: "W4 HTTP path, in-memory store (seedcore)", columns: w4(false), ratios: [][2]int{{1, 0}}},
		section{key: "w4", title: "W4 HTTP path, PostgreSQL (seedcore)", columns: w4(true), ratios: [][2]int{{1, 0}}},
	)
	for _, w := range o.Workers {
		all = append(all, section{key: "mem", title: fmt.Sprintf("W1 burn-down, in-memory store, %s workers (seedcore)", num(float64(w))),
			columns: []column{{name: "seedcore", make: func() system { return &seedcoreSystem{log: log, workers: w} }, fn: burnDown}}})
	}
	// Several processes on one database: the children run the workers,
	// this process inserts.
	multi := func(fn func(ctx context.Context, s system, m *fleet, pr params) (result, error)) []column {
		cols := make([]column, len(systems))
		for i, sp := range systems {
			cols[i] = column{name: sp.name, pg: true, make: sp.make, fn: func(ctx context.Context, s system, _ *probe, pr params) (result, error) {
				m, err := startFleet(ctx, sp.key, pr)
				if err != nil {
					return nil, err
				}
				r, err := fn(ctx, s, m, pr)
				return r, errors.Join(err, m.close())
			}}
		}
		return cols
	}
	all = append(all,
		section{key: "mp", title: fmt.Sprintf("W1 burn-down, %d worker processes (PostgreSQL)", o.Params.Procs), columns: multi(burnDownFleet), ratios: vsFirst},
		section{key: "mp", title: fmt.Sprintf("W3 mixed, %d worker processes (PostgreSQL)", o.Params.Procs), columns: multi(mixedFleet), ratios: vsFirst},
	)
	want := map[string]bool{}
	for _, k := range strings.Split(o.Sections, ",") {
		want[strings.TrimSpace(k)] = true
	}
	var out []section
	for _, s := range all {
		if want[s.key] {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no workload selected by %q", o.Sections)
	}
	return out, nil
}

// figures holds every run's values: section → column → metric → values.
type figures struct {
	vals    map[string]map[string]map[string][]float64
	metrics map[string][]string // section → metric names in first-seen order
}

func (f *figures) add(sec, col string, r result, order []string) {
	if f.vals == nil {
		f.vals = map[string]map[string]map[string][]float64{}
		f.metrics = map[string][]string{}
	}
	if f.vals[sec] == nil {
		f.vals[sec] = map[string]map[string][]float64{}
		f.metrics[sec] = order
	}
	if f.vals[sec][col] == nil {
		f.vals[sec][col] = map[string][]float64{}
	}
	for k, v := range r {
		f.vals[sec][col][k] = append(f.vals[sec][col][k], v)
	}
}

// metricOrder is the order metrics are shown in.
var metricOrder = []string{"insert/s", "worked/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "early", "from call p50 ms", "from call p99 ms",
	"inserted/s", "completed/s", "backlog", "calls/s", "per process min", "per process max"}

func ordered(r result) []string {
	var out []string
	for _, m := range metricOrder {
		if _, ok := r[m]; ok {
			out = append(out, m)
		}
	}
	return out
}

// run runs every selected section o.Runs times, alternating the columns
// within each round, and prints the header and the table.
func run(ctx context.Context, o options) error {
	if o.DB == "" {
		return errors.New("no database: set TEST_DATABASE_URL or pass -db")
	}
	secs, err := o.sections()
	if err != nil {
		return err
	}
	env, err := environment(ctx, o.DB)
	if err != nil {
		return err
	}
	var figs figures
	for round := range o.Runs {
		for _, sec := range secs {
			n := len(sec.columns)
			for i := range n {
				// Rotate the order each round: A B C, B C A, C A B, …
				col := sec.columns[(i+round)%n]
				start := time.Now()
				r, err := runOne(ctx, o, col)
				if err != nil {
					return fmt.Errorf("%s, %s, run %d: %w", sec.title, col.name, round+1, err)
				}
				figs.add(sec.title, col.name, r, ordered(r))
				fmt.Fprintf(o.Progress, "run %d  %-42s %-20s %s  (%.1fs, load %s)\n", round+1, sec.title, col.name,
					formatResult(r), time.Since(start).Seconds(), loadavg())
			}
		}
	}
	env.loadEnd = loadavg()
	printReport(o, env, secs, &figs)
	return nil
}

// runOne runs one column once on a fresh database (or the in-memory store).
func runOne(ctx context.Context, o options, col column) (r result, err error) {
	dsn := ""
	if col.pg {
		var drop func(context.Context) error
		dsn, drop, err = freshDB(ctx, o.DB)
		if err != nil {
			return nil, err
		}
		defer func() {
			err = errors.Join(err, drop(context.WithoutCancel(ctx)))
		}()
	}
	s := col.make()
	p := newProbe()
	pr := o.Params
	pr.DSN = dsn
	pr.Verbose = o.LogOutput != nil
	defer func() {
		err = errors.Join(err, s.Close(context.WithoutCancel(ctx)))
	}()
	if err := s.Open(ctx, dsn, p); err != nil {
		return nil, err
	}
	return col.fn(ctx, s, p, pr)
}

func formatResult(r result) string {
	var b strings.Builder
	for _, m := range ordered(r) {
		fmt.Fprintf(&b, "%s=%s ", m, num(r[m]))
	}
	return strings.TrimSpace(b.String())
}
