// Command seedcore administers and runs a seedcore task service.
//
//	seedcore migrate [-status]            apply the PostgreSQL migrations, or show the versions
//	seedcore serve                        run the task service (HTTP API, workers, /metrics)
//	seedcore enqueue -type T [...]        create a task and print it as JSON
//	seedcore list [filters]               list tasks as a table, or -json
//	seedcore get ID|PREFIX                print one task as JSON
//	seedcore cancel ID|PREFIX             cancel a task and print it as JSON
//	seedcore run ID|PREFIX                release a held task (created → queued)
//	seedcore retry ID|PREFIX              put a failed or cancelled task back in the queue
//	seedcore retry [filters] [-confirm N] the same for every task the filters select
//	seedcore delete ID|PREFIX             delete a finished task
//	seedcore delete [filters] [-confirm N] the same for every task the filters select
//	seedcore processes                    list the live processes and the leader
//	seedcore schedules -api URL           list a server's periodic schedules, next and last runs
//	seedcore bench [-store memory|postgres]  measure burn-down throughput and pickup latency
//	seedcore help [COMMAND]               show help
//
// Every command takes -h for its flags. The database comes from -db or
// DATABASE_URL, the schema from -schema or SEEDCORE_SCHEMA (default
// "seedcore"). enqueue, list, get, cancel, run, retry, delete and processes talk to the database
// directly, or to a running server's HTTP API with -api URL (or
// SEEDCORE_API), with -token or SEEDCORE_TOKEN as its bearer token and
// -api-prefix as the path of the task API on it (default /api/v1).
//
// # Exit codes
//
// Each command's -h lists the codes it returns; together:
//
//	0  success
//	1  operational failure (database or server unreachable, no task API at -api, server error)
//	2  usage error (unknown command or flag, bad flag value, invalid input)
//	3  not found (no task has the id or prefix)
//	4  conflict (ambiguous id prefix, the task's status forbids the operation, or a bulk -confirm does not match)
//
// Long-running commands (bench, migrate) report progress on stderr; results
// go to stdout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitNotFound = 3
	exitConflict = 4
)

// The lines of the exit codes in help texts.
const (
	exitOKHelp       = "0  success"
	exitFailureHelp  = "1  operational failure (database or server unreachable, no task API at -api, server error)"
	exitUsageHelp    = "2  usage error (unknown command or flag, bad flag value, invalid input)"
	exitNotFoundHelp = "3  not found (no task has the id or prefix)"
)

// exitCodesHelp lists every exit code, for the general help.
var exitCodesHelp = exitCodes(exitNotFoundHelp,
	"4  conflict (ambiguous id prefix, the task's status forbids the operation, or a bulk -confirm does not match)")

// exitCodes returns an "Exit codes:" section listing 0, 1 and 2, which
// every command may return, and then the lines of extra.
func exitCodes(extra ...string) string {
	var b strings.Builder
	b.WriteString("Exit codes:\n")
	for _, l := range append([]string{exitOKHelp, exitFailureHelp, exitUsageHelp}, extra...) {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"migrate":   {"apply the PostgreSQL migrations, or show the schema versions (-status)", runMigrate},
		"serve":     {"run the task service: HTTP API, workers and /metrics", runServe},
		"enqueue":   {"create a task (in the database, or through -api) and print it as JSON", runEnqueue},
		"list":      {"list tasks with filters, as a table or -json", runList},
		"get":       {"print one task, by id or unambiguous prefix, as JSON", runGet},
		"cancel":    {"cancel a task, by id or unambiguous prefix, and print it as JSON", runCancel},
		"run":       {"release a held (created) task to the workers, and print it as JSON", runRun},
		"retry":     {"put a failed or cancelled task (or every one a filter selects) back in the queue", runRetry},
		"delete":    {"delete a finished task (or every one a filter selects)", runDelete},
		"processes": {"list the live processes sharing the database, and which one leads", runProcesses},
		"schedules": {"list a server's periodic schedules with their next and last runs (-api)", runSchedules},
		"bench":     {"measure burn-down throughput and pickup latency of the library alone", runBench},
		"queues":    {"list the queues with their task counts and whether they are paused", runQueues},
		"pause":     {"pause a queue in every process: its tasks stay queued until it is resumed", runPause},
		"resume":    {"resume a paused queue", runResume},
		"limit":     {"set a queue's limits across every process: running tasks, starts per second", runLimit},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runContext(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command line args (without the program name) and returns
// the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdout, stderr)
}

// runContext is run under ctx: serve and bench stop when it ends.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				return c.run(ctx, []string{"-h"}, stdout, stderr)
			}
			fmt.Fprintf(stderr, "seedcore: unknown command %q\n", args[1])
			return exitUsage
		}
		usage(stdout)
		return exitOK
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "seedcore: unknown command %q\n\n", name)
		usage(stderr)
		return exitUsage
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprint(w, "Usage: seedcore COMMAND [flags] [args]\n\nCommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "  %-8s %s\n", "help", "show this help, or a command's (seedcore help COMMAND)")
	fmt.Fprint(w, "\nRun seedcore COMMAND -h for a command's flags and exit codes.\n\n", exitCodesHelp)
}

// newFlags returns the flag set of a command, with its usage text. codes
// are the lines of the exit codes the command returns besides 0, 1 and 2.
func newFlags(name, args, about string, codes ...string) *flag.FlagSet {
	fs := flag.NewFlagSet("seedcore "+name, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: seedcore %s %s\n\n%s\n\nFlags:\n", name, args, strings.TrimSpace(about))
		fs.PrintDefaults()
		fmt.Fprint(w, "\n", exitCodes(codes...))
	}
	return fs
}

// parse parses args with fs; flags may come before or after the
// positional arguments (all arguments after "--" are positional). It
// returns the positional arguments, or done with the exit code when the
// command must stop: help was asked for (0, usage on stdout) or the flags
// are wrong (2, usage on stderr).
func parse(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (pos []string, code int, done bool) {
	fs.SetOutput(io.Discard)
	for {
		err := fs.Parse(args)
		switch {
		case errors.Is(err, flag.ErrHelp):
			fs.SetOutput(stdout)
			fs.Usage()
			return nil, exitOK, true
		case err != nil:
			fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
			fs.SetOutput(stderr)
			fs.Usage()
			return nil, exitUsage, true
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); len(rest) == 0 || (consumed > 0 && args[consumed-1] == "--") {
			fs.SetOutput(stderr)
			return append(pos, rest...), exitOK, false
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// usageError is an error in how a command was called.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// fail prints err for command name and returns its exit code.
func fail(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "seedcore %s: %v\n", name, err)
	return exitCode(err)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// secretFlag defines a string flag whose default comes from the
// environment variable env without being shown by -h (a database URL or a
// token may hold a password).
func secretFlag(fs *flag.FlagSet, name, env, usage string) *string {
	v := &secretValue{v: os.Getenv(env)}
	fs.Var(v, name, usage)
	return &v.v
}

type secretValue struct {
	v   string
	set bool
}

func (s *secretValue) String() string {
	if s == nil || !s.set {
		return ""
	}
	return s.v
}

func (s *secretValue) Set(v string) error {
	s.v, s.set = v, true
	return nil
}
