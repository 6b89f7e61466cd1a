package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/seedcore/seedcore/store"
)

func runEnqueue(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("enqueue", "-type TYPE [flags]", `
Create a task and print it as JSON. Against the database (-db), the
description and the params are redacted exactly as the server does before
they are stored, and an idempotency key holding personal data is refused;
with -api the server does it. A repeated -idempotency-key
prints the existing task (and says so on stderr).`)
	var c conn
	c.register(fs)
	var (
		nt       store.NewTask
		params   string
		runAfter string
	)
	fs.StringVar(&nt.Type, "type", "", "task type (required)")
	fs.StringVar(&nt.Description, "description", "", "task description (free text; PII is redacted)")
	fs.StringVar(&nt.Domain, "domain", "", "business domain (default: inferred from the description)")
	fs.StringVar(&nt.Queue, "queue", "", "queue (default: the one the type's handler declares, else \"default\")")
	fs.StringVar(&nt.Partition, "partition", "", "partition key within the queue, such as a customer id")
	fs.StringVar(&params, "params", "", "task params as a JSON object (PII and secrets are redacted)")
	fs.IntVar(&nt.Priority, "priority", 0, "priority 0-100, higher first (default: from the description's analysis)")
	fs.IntVar(&nt.MaxAttempts, "max-attempts", 0, "attempts before the task fails for good (default 5)")
	fs.StringVar(&runAfter, "run-after", "", "first run at an RFC 3339 time, or after a duration such as 10m")
	fs.BoolVar(&nt.Hold, "hold", false, "leave the task in created until it is run")
	fs.StringVar(&nt.IdempotencyKey, "idempotency-key", "", "return the existing task with this key instead of creating another")
	pos, code, done := parse(fs, args, stdout, stderr)
	if done {
		return code
	}
	switch {
	case len(pos) > 0:
		return fail(stderr, "enqueue", usagef("unexpected argument %q", pos[0]))
	case nt.Type == "":
		return fail(stderr, "enqueue", usagef("-type is required"))
	}
	if params != "" {
		nt.Params = json.RawMessage(params)
	}
	if runAfter != "" {
		t, err := parseWhen(runAfter)
		if err != nil {
			return fail(stderr, "enqueue", usagef("-run-after: %v", err))
		}
		nt.RunAfter = t
	}
	return withClient(ctx, c, "enqueue", stderr, func(ctx context.Context, cl client) error {
		task, created, err := cl.Enqueue(ctx, nt)
		if err != nil {
			return err
		}
		if !created {
			fmt.Fprintf(stderr, "seedcore enqueue: task %s already exists with this idempotency key\n", task.ID)
		}
		return printJSON(stdout, task)
	})
}

func runGet(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("get", "[flags] ID|PREFIX", `
Print one task as JSON. A prefix of the id is enough when only one task
starts with it (exit 4 when several do).`,
		exitNotFoundHelp, "4  ambiguous id prefix (several tasks start with it)")
	var c conn
	c.register(fs)
	pos, code, done := parse(fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 1 {
		return fail(stderr, "get", usagef("want exactly one task id or prefix"))
	}
	return withClient(ctx, c, "get", stderr, func(ctx context.Context, cl client) error {
		task, err := cl.Get(ctx, pos[0])
		if err != nil {
			return err
		}
		return printJSON(stdout, task)
	})
}

func runCancel(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runTransition(ctx, args, stdout, stderr, "cancel", `
Cancel a task and print it as JSON. A created, queued or retry task is
cancelled at once; a running one is asked to stop (cancel_requested) and
ends cancelled. Cancelling a finished task exits 4.`,
		"4  conflict (ambiguous id prefix, or the task is already finished)", client.Cancel)
}

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runTransition(ctx, args, stdout, stderr, "run", `
Release a held task to the workers (created → queued) and print it as
JSON. A task is held when it was enqueued with -hold (or
run_immediately false through the API); any other status exits 4.`,
		"4  conflict (ambiguous id prefix, or the task is not held in created)", client.Run)
}

// runTransition is a command that resolves one task id or prefix and
// applies one status change to it (cancel, run), printing the task.
func runTransition(ctx context.Context, args []string, stdout, stderr io.Writer, name, help, conflictHelp string,
	change func(client, context.Context, string) (store.Task, error)) int {
	fs := newFlags(name, "[flags] ID|PREFIX", help, exitNotFoundHelp, conflictHelp)
	var c conn
	c.register(fs)
	pos, code, done := parse(fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 1 {
		return fail(stderr, name, usagef("want exactly one task id or prefix"))
	}
	return withClient(ctx, c, name, stderr, func(ctx context.Context, cl client) error {
		task, err := cl.Get(ctx, pos[0]) // resolves a prefix
		if err != nil {
			return err
		}
		if task, err = change(cl, ctx, task.ID); err != nil {
			return err
		}
		return printJSON(stdout, task)
	})
}

func runList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("list", "[flags]", `
List tasks, newest first, as a table (or the page as JSON with -json). The
count and the cursor of the next page go to stderr.`)
	var c conn
	c.register(fs)
	var (
		f             store.Filter
		status        string
		after, before string
		asJSON        bool
	)
	fs.StringVar(&status, "status", "", "keep these statuses (comma-separated: "+statusNames()+")")
	fs.StringVar(&f.Type, "type", "", "keep this task type")
	fs.StringVar(&f.Domain, "domain", "", "keep this domain")
	fs.StringVar(&f.Queue, "queue", "", "keep this queue")
	fs.StringVar(&f.Partition, "partition", "", "keep this partition")
	fs.StringVar(&after, "after", "", "keep tasks created at or after this RFC 3339 time, or this long ago (such as 1h)")
	fs.StringVar(&before, "before", "", "keep tasks created before this RFC 3339 time, or this long ago")
	fs.IntVar(&f.Limit, "limit", store.DefaultListLimit, fmt.Sprintf("page size (at most %d)", store.MaxListLimit))
	fs.StringVar(&f.Cursor, "cursor", "", "continue from a previous page's cursor")
	fs.BoolVar(&asJSON, "json", false, "print the page as JSON")
	pos, code, done := parse(fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return fail(stderr, "list", usagef("unexpected argument %q", pos[0]))
	}
	if f.Limit < 1 || f.Limit > store.MaxListLimit {
		// The rule the API applies to its limit parameter, so a local and
		// a remote list agree.
		return fail(stderr, "list", usagef("-limit must be from 1 to %d", store.MaxListLimit))
	}
	if err := parseSelection(&f, status, after, before, statusNames()); err != nil {
		return fail(stderr, "list", err)
	}
	return withClient(ctx, c, "list", stderr, func(ctx context.Context, cl client) error {
		page, err := cl.List(ctx, f)
		if err != nil {
			return err
		}
		if page.Tasks == nil {
			page.Tasks = []store.Task{}
		}
		if asJSON {
			return printJSON(stdout, page)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tQUEUE\tTYPE\tPRIORITY\tATTEMPTS\tCREATED")
		for _, t := range page.Tasks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d/%d\t%s\n", t.ID, t.Status, t.Queue, t.Type, t.Priority,
				t.Attempts, t.MaxAttempts, t.CreatedAt.UTC().Format(time.RFC3339))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%d of %d tasks\n", len(page.Tasks), page.Total)
		if page.NextCursor != "" {
			fmt.Fprintf(stderr, "next page: -cursor %s\n", page.NextCursor)
		}
		return nil
	})
}

// parseSelection sets f's statuses and creation bounds from the -status,
// -after and -before flags; allowed lists the status names for the error.
func parseSelection(f *store.Filter, status, after, before, allowed string) error {
	for _, s := range strings.Split(status, ",") {
		if s = strings.TrimSpace(s); s != "" {
			st, err := store.ParseStatus(s)
			if err != nil {
				return usagef("-status: %q is not one of %s", s, allowed)
			}
			f.Statuses = append(f.Statuses, st)
		}
	}
	for _, p := range []struct {
		name, v string
		dst     *time.Time
	}{{"after", after, &f.CreatedAfter}, {"before", before, &f.CreatedBefore}} {
		if p.v == "" {
			continue
		}
		t, err := parseAgo(p.v)
		if err != nil {
			return usagef("-%s: %v", p.name, err)
		}
		*p.dst = t
	}
	return nil
}

// withClient opens the client c chooses, runs fn within c.timeout, closes
// the client and returns the exit code.
func withClient(ctx context.Context, c conn, name string, stderr io.Writer, fn func(context.Context, client) error) int {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	// An error after the time limit names it.
	timedOut := func(err error) error {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("gave up at the time limit (-timeout %s): %w", c.timeout, err)
		}
		return err
	}
	cl, err := c.open(ctx)
	if err != nil {
		return fail(stderr, name, timedOut(err))
	}
	err = fn(ctx, cl)
	if cerr := cl.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fail(stderr, name, timedOut(err))
	}
	return exitOK
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func statusNames() string {
	names := make([]string, len(store.Statuses()))
	for i, s := range store.Statuses() {
		names[i] = string(s)
	}
	return strings.Join(names, ",")
}

// parseWhen reads an RFC 3339 time or a duration from now.
func parseWhen(s string) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration", s)
	}
	return t, nil
}

// parseAgo reads an RFC 3339 time or a duration before now.
func parseAgo(s string) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration", s)
	}
	return t, nil
}
