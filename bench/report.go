package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
)

// env describes the machine, the database and the versions measured.
type env struct {
	when      time.Time
	cpu       string
	cores     int
	memory    string
	goVersion string
	river     string
	pg        map[string]string
	loadStart string
	loadEnd   string
}

func environment(ctx context.Context, dsn string) (env, error) {
	e := env{when: time.Now(), cores: runtime.NumCPU(), goVersion: runtime.Version(), loadStart: loadavg()}
	e.cpu = procField("/proc/cpuinfo", "model name")
	if kb, err := strconv.Atoi(strings.Fields(procField("/proc/meminfo", "MemTotal") + " 0")[0]); err == nil && kb > 0 {
		e.memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/riverqueue/river" {
				e.river = d.Version
			}
		}
	}
	var err error
	if e.pg, err = pgSettings(ctx, dsn); err != nil {
		return e, fmt.Errorf("database settings: %w", err)
	}
	return e, nil
}

// procField returns the value of the first "name: value" line of a /proc
// file, or "unknown".
func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// loadavg returns the 1, 5 and 15 minute load averages.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// num formats a figure: whole numbers with thousands separators from 100
// on, two decimals below.
func num(v float64) string {
	if math.Abs(v) < 100 {
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

type stat struct{ med, lo, hi float64 }

func summarize(vs []float64) stat {
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return stat{med: med, lo: s[0], hi: s[n-1]}
}

func (s stat) String() string {
	if s.lo == s.hi {
		return num(s.med)
	}
	return fmt.Sprintf("%s (%s–%s)", num(s.med), num(s.lo), num(s.hi))
}

func ratio(a, b float64) string {
	if b == 0 {
		return "n/a" // of a zero figure
	}
	return strconv.FormatFloat(a/b, 'f', 2, 64) + "×"
}

// printReport prints the environment and one table per section: each cell
// is the median (min–max) over the runs, and each ratio is of medians.
func printReport(o options, e env, secs []section, f *figures) {
	w := o.Out
	md := o.Markdown
	line := func(cells []string) {
		if md {
			fmt.Fprintln(w, "| "+strings.Join(cells, " | ")+" |")
			return
		}
		fmt.Fprintln(w, strings.Join(cells, "  |  "))
	}
	pg := e.pg
	fmt.Fprintf(w, "%s\n\n", heading(md, fmt.Sprintf("seedcore vs River %s, %s", e.river, e.when.Format("2006-01-02 15:04 MST"))))
	for _, l := range []string{
		fmt.Sprintf("machine: %d cores (%s), %s memory; load average %s at start, %s at end", e.cores, e.cpu, e.memory, e.loadStart, e.loadEnd),
		fmt.Sprintf("PostgreSQL %s on the same machine: shared_buffers %s, synchronous_commit %s, max_connections %s, fsync %s, wal_level %s",
			pg["server_version"], pg["shared_buffers"], pg["synchronous_commit"], pg["max_connections"], pg["fsync"], pg["wal_level"]),
		fmt.Sprintf("%s; %d run(s) of each, alternating; W1 %s tasks (bulk batches of %s); W2 for %s each rate, open loop; W3 %d producers for %s; W4 %d producers for %s; multi-process runs %d worker processes; River pgx pool %s",
			e.goVersion, o.Runs, num(float64(o.Params.Tasks)), num(float64(o.Params.Batch)), o.Params.Latency,
			o.Params.Producers, o.Params.Mixed, o.Params.Producers, o.Params.HTTP, o.Params.Procs, poolSize(o.Params.RiverConns)),
		"seedcore: seedcore.Config{} defaults (100 workers; Concurrency set to the W1 table's worker count), single inserts through App.Enqueue with a short description (the eventizer on, its default); River defaults: MaxWorkers 100 (W1: the table's count); River tuned: FetchCooldown 2ms, FetchPollInterval 20ms, MaxWorkers 2000 (W1: the table's count)",
	} {
		if md {
			fmt.Fprintf(w, "- %s\n", l)
		} else {
			fmt.Fprintln(w, l)
		}
	}
	for _, sec := range secs {
		cols := f.vals[sec.title]
		if cols == nil {
			continue
		}
		fmt.Fprintf(w, "\n%s\n\n", heading(md, sec.title))
		head := []string{"figure"}
		for _, c := range sec.columns {
			head = append(head, c.name)
		}
		for _, r := range sec.ratios {
			head = append(head, sec.columns[r[0]].name+" / "+sec.columns[r[1]].name)
		}
		line(head)
		if md {
			sep := make([]string, len(head))
			for i := range sep {
				sep[i] = "---:"
			}
			sep[0] = "---"
			line(sep)
		}
		for _, m := range f.metrics[sec.title] {
			row := []string{m}
			meds := make([]float64, len(sec.columns))
			for i, c := range sec.columns {
				vs := cols[c.name][m]
				if len(vs) == 0 {
					row = append(row, "–")
					continue
				}
				st := summarize(vs)
				meds[i] = st.med
				row = append(row, st.String())
			}
			for _, r := range sec.ratios {
				row = append(row, ratio(meds[r[0]], meds[r[1]]))
			}
			line(row)
		}
	}
}

func heading(md bool, s string) string {
	if md {
		return "### " + s
	}
	return "== " + s + " =="
}

func poolSize(n int32) string {
	if n <= 0 {
		return "pgx default"
	}
	return strconv.Itoa(int(n)) + " connections"
}
