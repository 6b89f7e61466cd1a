package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

const envVar = "TEST_DATABASE_URL"

func TestMain(m *testing.M) {
	// The multi-process runs start this test binary as their worker
	// processes.
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain(os.Stdin, os.Stdout))
	}
	goleak.VerifyTestMain(m)
}

// TestQuick runs the whole harness once in smoke mode against
// TEST_DATABASE_URL and checks that every table came out with figures.
func TestQuick(t *testing.T) {
	dsn := os.Getenv(envVar)
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set", envVar)
		}
		t.Skipf("set %s to run the benchmark harness", envVar)
	}
	var out, progress bytes.Buffer
	o := options{
		DB: dsn, Runs: 1, Markdown: true, Sections: "w1,wq,w2,w3,w4,mem,mp",
		Systems: "seedcore,river-tuned,river-default", Out: &out, Progress: &progress,
		Workers: []int{100, 2000}, Rates: []int{200, 2000},
		Params: params{Tasks: 1000, Batch: 1000, Latency: time.Second, Producers: 8,
			Mixed: time.Second, HTTP: time.Second, Timeout: time.Minute, RiverConns: 16, Procs: 2},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	require.NoError(t, run(ctx, o), progress.String())
	t.Log(out.String())
	report := out.String()
	for _, want := range []string{
		"### W1 burn-down, 100 workers (PostgreSQL)", "### W1 burn-down, 2,000 workers (PostgreSQL)",
		"| worked/s |", "| p99 ms |", "| early |", "| completed/s |",
		"### W2 pickup latency, 200/s (PostgreSQL)", "### W2 pickup latency, 2,000/s (PostgreSQL)",
		"### W4 HTTP path, PostgreSQL (seedcore)", "| calls/s |",
		"### W1 burn-down, in-memory store, 2,000 workers (seedcore)", "shared_buffers",
		"### W1 burn-down, 2 worker processes (PostgreSQL)", "### W3 mixed, 2 worker processes (PostgreSQL)",
		"| per process min |", "### W1 burn-down, 10 queues × 1,000 partitions (seedcore, PostgreSQL)",
	} {
		require.Contains(t, report, want)
	}
	// Every cell of every table has a figure.
	for _, l := range strings.Split(report, "\n") {
		require.NotContains(t, l, "| – |", "missing figure in %q", l)
	}
	// Every workload of every system logged one run.
	// (W1 and W2 at two sizes each, W3, the multi-process W1 and W3; W4's
	// two variants on two stores; the in-memory W1 at two sizes; W1 in one
	// queue and in ten.)
	require.Equal(t, 3*(2+2+1+2)+2*2+2+2, strings.Count(progress.String(), "run 1 "), progress.String())
}

func TestNum(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   float64
		want string
	}{
		{0, "0.00"}, {1.234, "1.23"}, {99.994, "99.99"}, {100, "100"},
		{1234.5, "1,235"}, {1234567, "1,234,567"}, {-2500, "-2,500"},
	} {
		require.Equal(t, c.want, num(c.in), "num(%v)", c.in)
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	require.Equal(t, stat{med: 2, lo: 1, hi: 5}, summarize([]float64{5, 1, 2}))
	require.Equal(t, stat{med: 2.5, lo: 1, hi: 4}, summarize([]float64{4, 1, 3, 2}))
	require.Equal(t, "2.00 (1.00–5.00)", stat{med: 2, lo: 1, hi: 5}.String())
}

func TestQuickDefaults(t *testing.T) {
	t.Parallel()
	var o options
	o.Runs, o.Params.Tasks = 3, 50000
	o.quick(map[string]bool{"tasks": true})
	require.Equal(t, 1, o.Runs)
	require.Equal(t, 50000, o.Params.Tasks, "an explicit flag wins over -quick")
	require.Equal(t, 3*time.Second, o.Params.Mixed)
}
