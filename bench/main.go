package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

// options are the command's flags.
type options struct {
	DB        string
	Runs      int
	Quick     bool
	Markdown  bool
	Sections  string
	Systems   string
	Workers   []int // W1 worker counts
	Rates     []int // W2 insert rates
	Verbose   bool
	CPUProf   string
	Params    params
	Out       io.Writer // the table
	Progress  io.Writer // one line per run
	LogOutput io.Writer // the systems' warnings
}

func main() {
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain(os.Stdin, os.Stdout))
	}
	var o options
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	fs.StringVar(&o.DB, "db", os.Getenv("TEST_DATABASE_URL"), "PostgreSQL URL of a database to connect to for CREATE DATABASE (default $TEST_DATABASE_URL)")
	fs.IntVar(&o.Runs, "runs", 3, "runs of each system per workload")
	fs.BoolVar(&o.Quick, "quick", false, "smoke mode: 1 run, 5,000 tasks, 3s phases (explicit flags still win)")
	fs.BoolVar(&o.Markdown, "markdown", false, "print the table in Markdown")
	fs.StringVar(&o.Sections, "only", "w1,wq,w2,w3,w4,mem,mp", "workloads to run, comma-separated: w1,wq,w2,w3,w4,mem,mp")
	fs.StringVar(&o.Systems, "systems", "seedcore,river-tuned,river-default", "systems for W1-W3, comma-separated")
	fs.BoolVar(&o.Verbose, "v", false, "log the systems' warnings to stderr")
	fs.StringVar(&o.CPUProf, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.IntVar(&o.Params.Tasks, "tasks", 50000, "W1 tasks")
	fs.IntVar(&o.Params.Batch, "batch", 10000, "W1 bulk insert batch size")
	workers := fs.String("workers", "100,2000", "W1 worker counts, comma-separated (each a table; River tuned gets MaxWorkers of the same count)")
	rates := fs.String("rate", "200,2000", "W2 inserts per second, comma-separated (each a table)")
	fs.IntVar(&o.Params.Procs, "procs", 4, "worker processes of the multi-process runs (mp)")
	fs.DurationVar(&o.Params.Latency, "latency", 15*time.Second, "W2 duration")
	fs.IntVar(&o.Params.Producers, "producers", 8, "W3/W4 concurrent producers")
	fs.DurationVar(&o.Params.Mixed, "mixed", 20*time.Second, "W3 duration")
	fs.DurationVar(&o.Params.HTTP, "http", 10*time.Second, "W4 duration of each variant")
	fs.DurationVar(&o.Params.Timeout, "timeout", 3*time.Minute, "bound on any wait for completion")
	var conns int
	fs.IntVar(&conns, "river-conns", 16, "River's pgx pool size (0: pgx's default, max(4, cores))")
	_ = fs.Parse(os.Args[1:])
	var err error
	if o.Workers, err = intList(*workers); err != nil {
		fmt.Fprintln(os.Stderr, "bench: -workers:", err)
		os.Exit(2)
	}
	if o.Rates, err = intList(*rates); err != nil {
		fmt.Fprintln(os.Stderr, "bench: -rate:", err)
		os.Exit(2)
	}
	o.Params.RiverConns = int32(conns)
	if o.Quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		o.quick(set)
	}
	o.Out, o.Progress = os.Stdout, os.Stderr
	if o.Verbose {
		o.LogOutput = os.Stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if o.CPUProf != "" {
		f, err := os.Create(o.CPUProf)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// quick applies the smoke-mode sizes to every flag not given explicitly.
func (o *options) quick(set map[string]bool) {
	def := func(name string, apply func()) {
		if !set[name] {
			apply()
		}
	}
	def("runs", func() { o.Runs = 1 })
	def("tasks", func() { o.Params.Tasks = 5000 })
	def("batch", func() { o.Params.Batch = 5000 })
	def("latency", func() { o.Params.Latency = 3 * time.Second })
	def("mixed", func() { o.Params.Mixed = 3 * time.Second })
	def("http", func() { o.Params.HTTP = 3 * time.Second })
	def("timeout", func() { o.Params.Timeout = time.Minute })
	def("procs", func() { o.Params.Procs = 2 })
}

func (o options) logger() *slog.Logger {
	if o.LogOutput == nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(o.LogOutput, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// intList parses "100,2000".
func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive whole number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// systemSpec returns the spec of the system key names, with workers
// workers (0: the system's default for W2-W4: seedcore's 100, River
// tuned's 2,000, River defaults' 100).
func systemSpec(key string, workers int, log *slog.Logger, riverConns int32) (spec, error) {
	switch key {
	case "seedcore":
		return spec{key: key, name: "seedcore", pg: true, make: func() system { return &seedcoreSystem{log: log, workers: workers} }}, nil
	case "river-tuned":
		return spec{key: key, name: "River tuned", pg: true, make: func() system {
			return &riverSystem{log: log, tuned: true, workers: workers, maxConns: riverConns}
		}}, nil
	case "river-default":
		return spec{key: key, name: "River defaults", pg: true, make: func() system {
			return &riverSystem{log: log, workers: workers, maxConns: riverConns}
		}}, nil
	}
	return spec{}, fmt.Errorf("unknown system %q (want seedcore, river-tuned, river-default)", key)
}

// systems returns the specs named by o.Systems, each with workers workers
// (0: its default).
func (o options) systems(workers int) ([]spec, error) {
	var out []spec
	for _, n := range strings.Split(o.Systems, ",") {
		s, err := systemSpec(strings.TrimSpace(n), workers, o.logger(), o.Params.RiverConns)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
