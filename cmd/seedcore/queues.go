package main

import (
	"context"
	"fmt"
	"io"

	"github.com/seedcore/seedcore/store"
)

func runQueues(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return printList(ctx, args, stdout, stderr, listCommand[store.QueueInfo]{
		name: "queues", usage: "[flags]", help: `
List the queues that hold tasks or are paused, with their task counts by
status, as a table (or as JSON with -json).`,
		jsonHelp: "print the queues as JSON",
		fetch:    func(ctx context.Context, cl client) ([]store.QueueInfo, error) { return cl.Queues(ctx) },
		table: func(w io.Writer, qs []store.QueueInfo) {
			fmt.Fprint(w, "QUEUE\tPAUSED")
			for _, st := range store.Statuses() {
				fmt.Fprintf(w, "\t%s", st)
			}
			fmt.Fprintln(w)
			for _, q := range qs {
				fmt.Fprintf(w, "%s\t%t", q.Name, q.Paused)
				for _, st := range store.Statuses() {
					fmt.Fprintf(w, "\t%d", q.Counts[st])
				}
				fmt.Fprintln(w)
			}
		},
	})
}

func runPause(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runSetPaused(ctx, args, stdout, stderr, "pause", true, `
Pause the queue NAME in every process on the database: its tasks stay
queued, claimed by no process, until it is resumed. Tasks already running
finish. The state is kept in the database, across restarts.`)
}

func runResume(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runSetPaused(ctx, args, stdout, stderr, "resume", false, `
Resume the queue NAME: every process claims its tasks again at once.`)
}

func runSetPaused(ctx context.Context, args []string, stdout, stderr io.Writer, name string, paused bool, help string) int {
	fs := newFlags(name, "[flags] NAME", help)
	var c conn
	c.register(fs)
	pos, code, done := parse(fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 1 {
		return fail(stderr, name, usagef("give one queue name"))
	}
	if err := store.CheckQueueName(pos[0]); err != nil {
		return fail(stderr, name, usagef("%v", err))
	}
	return withClient(ctx, c, name, stderr, func(ctx context.Context, cl client) error {
		if err := cl.SetQueuePaused(ctx, pos[0], paused); err != nil {
			return err
		}
		return printJSON(stdout, map[string]any{"name": pos[0], "paused": paused})
	})
}

func runLimit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("limit", "[flags] NAME", `
Set the queue NAME's limits across every process on the database: at most
-max-running of its tasks running at once, at most -partition-max-running
of each of its partitions' tasks running at once (tasks without a
partition are not capped), and at most -rate started per second, with
bursts of up to -burst. A limit left at 0 is removed; with no flag at
all, every limit is.`)
	var c conn
	c.register(fs)
	var l store.QueueLimits
	fs.IntVar(&l.MaxRunning, "max-running", 0, "at most this many of the queue's tasks running at once, cluster-wide (0: no limit)")
	fs.Float64Var(&l.Rate, "rate", 0, "at most this many tasks started per second, cluster-wide (0: no limit)")
	fs.IntVar(&l.Burst, "burst", 0, "how many may start at once after a quiet spell (default: the rate, rounded up)")
	fs.IntVar(&l.PartitionMaxRunning, "partition-max-running", 0, "at most this many of each partition's tasks running at once, cluster-wide (0: no cap)")
	pos, code, done := parse(fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 1 {
		return fail(stderr, "limit", usagef("give one queue name"))
	}
	if err := store.CheckQueueName(pos[0]); err != nil {
		return fail(stderr, "limit", usagef("%v", err))
	}
	l, err := l.Normalize()
	if err != nil {
		return fail(stderr, "limit", usagef("%v", err))
	}
	return withClient(ctx, c, "limit", stderr, func(ctx context.Context, cl client) error {
		if err := cl.SetQueueLimits(ctx, pos[0], l); err != nil {
			return err
		}
		return printJSON(stdout, map[string]any{"name": pos[0], "limits": l})
	})
}
