package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The multi-process runs start the workers in child processes of this
// program (the same executable, told by environment variables what to
// run), so each has its own runtime, connections and garbage collector as
// a deployment of several processes would. The parent inserts and counts.
//
// A child speaks line by line: it prints "open" once its system is open,
// starts the workers when it reads "start" and prints "ready", and at
// "stop" (or the end of its input) prints "started N" (handlers it ran),
// closes and exits.
const (
	childEnv      = "SEEDCORE_BENCH_CHILD" // the system's -systems key
	childDSNEnv   = "SEEDCORE_BENCH_DSN"
	childConnsEnv = "SEEDCORE_BENCH_RIVER_CONNS"
)

// childMain is the whole of a child process; it returns the exit code.
func childMain(in io.Reader, out io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "bench child:", err)
		return 1
	}
	conns, _ := strconv.Atoi(os.Getenv(childConnsEnv))
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("SEEDCORE_BENCH_VERBOSE") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	sp, err := systemSpec(os.Getenv(childEnv), 0, log, int32(conns))
	if err != nil {
		return fail(err)
	}
	ctx := context.Background()
	s := sp.make()
	p := newProbe()
	if err := s.Open(ctx, os.Getenv(childDSNEnv), p); err != nil {
		return fail(err)
	}
	defer func() { _ = s.Close(ctx) }()
	fmt.Fprintln(out, "open")
	sc := bufio.NewScanner(in)
	for sc.Scan() && sc.Text() != "stop" {
		if sc.Text() != "start" {
			continue
		}
		if err := s.Start(ctx); err != nil {
			return fail(err)
		}
		fmt.Fprintln(out, "ready")
	}
	fmt.Fprintf(out, "started %d\n", p.n.Load())
	return 0
}

// fleet is a set of worker processes on one database.
type fleet struct {
	kids []*child
}

type child struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	done bool
}

// startFleet starts pr.Procs children running system key on pr.DSN and
// waits until each has opened it.
func startFleet(ctx context.Context, key string, pr params) (*fleet, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	// Each child's pgx pool for River: the parent's size shared out, at
	// least 8, so that the processes together stay within max_connections.
	conns := max(8, int(pr.RiverConns)/max(1, pr.Procs))
	f := &fleet{}
	for range pr.Procs {
		cmd := exec.CommandContext(ctx, exe)
		cmd.Env = append(os.Environ(), childEnv+"="+key, childDSNEnv+"="+pr.DSN, childConnsEnv+"="+strconv.Itoa(conns))
		if pr.Verbose {
			cmd.Env = append(cmd.Env, "SEEDCORE_BENCH_VERBOSE=1")
		}
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			return nil, errors.Join(fmt.Errorf("fleet: %w", err), f.close())
		}
		outp, err := cmd.StdoutPipe()
		if err != nil {
			return nil, errors.Join(fmt.Errorf("fleet: %w", err), f.close())
		}
		if err := cmd.Start(); err != nil {
			return nil, errors.Join(fmt.Errorf("fleet: start: %w", err), f.close())
		}
		f.kids = append(f.kids, &child{cmd: cmd, in: in, out: bufio.NewScanner(outp)})
	}
	if err := f.expect("open"); err != nil {
		return nil, errors.Join(err, f.close())
	}
	return f, nil
}

// expect reads one line from every child and checks it starts with want.
func (f *fleet) expect(want string) error {
	for i, c := range f.kids {
		if !c.out.Scan() {
			return fmt.Errorf("fleet: process %d ended before %q", i, want)
		}
		if !strings.HasPrefix(c.out.Text(), want) {
			return fmt.Errorf("fleet: process %d said %q, want %q", i, c.out.Text(), want)
		}
	}
	return nil
}

func (f *fleet) send(line string) error {
	for i, c := range f.kids {
		if _, err := io.WriteString(c.in, line+"\n"); err != nil {
			return fmt.Errorf("fleet: process %d: %w", i, err)
		}
	}
	return nil
}

// start starts every child's workers and waits until all run.
func (f *fleet) start() error {
	if err := f.send("start"); err != nil {
		return err
	}
	return f.expect("ready")
}

// stop stops every child and returns how many handlers each ran.
func (f *fleet) stop() ([]int, error) {
	if err := f.send("stop"); err != nil {
		return nil, err
	}
	counts := make([]int, len(f.kids))
	for i, c := range f.kids {
		if !c.out.Scan() {
			return nil, fmt.Errorf("fleet: process %d ended before its count", i)
		}
		n, err := strconv.Atoi(strings.TrimPrefix(c.out.Text(), "started "))
		if err != nil {
			return nil, fmt.Errorf("fleet: process %d said %q", i, c.out.Text())
		}
		counts[i] = n
	}
	return counts, nil
}

// close ends every child: it closes their input (a child stops at its
// end) and waits, killing one that has not exited within 30 s.
func (f *fleet) close() error {
	var errs []error
	for _, c := range f.kids {
		if c.done {
			continue
		}
		c.done = true
		_ = c.in.Close()
		for c.out.Scan() { // drain, so the child never blocks writing
		}
		t := time.AfterFunc(30*time.Second, func() { _ = c.cmd.Process.Kill() })
		if err := c.cmd.Wait(); err != nil {
			errs = append(errs, fmt.Errorf("fleet: process: %w", err))
		}
		t.Stop()
	}
	return errors.Join(errs...)
}

// perProcess adds the slowest and fastest process's rate to r.
func perProcess(r result, counts []int, elapsed time.Duration) {
	s := slices.Clone(counts)
	slices.Sort(s)
	r["per process min"] = float64(s[0]) / elapsed.Seconds()
	r["per process max"] = float64(s[len(s)-1]) / elapsed.Seconds()
}

// burnDownFleet is W1 with the workers in m's processes.
func burnDownFleet(ctx context.Context, s system, m *fleet, pr params) (result, error) {
	start := time.Now()
	if err := s.InsertMany(ctx, pr.Tasks, pr.Batch); err != nil {
		return nil, err
	}
	insert := time.Since(start)
	start = time.Now()
	if err := m.start(); err != nil {
		return nil, err
	}
	end, err := waitCompleted(ctx, s, pr.Tasks, 5*time.Millisecond, pr.Timeout)
	if err != nil {
		return nil, err
	}
	elapsed := end.Sub(start)
	counts, err := m.stop()
	if err != nil {
		return nil, err
	}
	r := result{"insert/s": float64(pr.Tasks) / insert.Seconds(), "worked/s": float64(pr.Tasks) / elapsed.Seconds()}
	perProcess(r, counts, elapsed)
	return r, nil
}

// mixedFleet is W3 with the workers in m's processes; this process's
// producers insert.
func mixedFleet(ctx context.Context, s system, m *fleet, pr params) (result, error) {
	if err := m.start(); err != nil {
		return nil, err
	}
	time.Sleep(500 * time.Millisecond)
	inserted, elapsed, _, err := produce(ctx, pr.Producers, pr.Mixed, func(ctx context.Context) error {
		_, err := s.Insert(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	done, err := s.Completed(ctx)
	if err != nil {
		return nil, err
	}
	counts, err := m.stop()
	if err != nil {
		return nil, err
	}
	r := result{
		"inserted/s":  float64(inserted) / elapsed.Seconds(),
		"completed/s": float64(done) / elapsed.Seconds(),
		"backlog":     float64(inserted - done),
	}
	perProcess(r, counts, elapsed)
	return r, nil
}
