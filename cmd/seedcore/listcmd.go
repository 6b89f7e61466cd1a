package main

import (
	"context"
	"io"
	"text/tabwriter"
)

// listCommand is a subcommand that takes no arguments and prints one list:
// as a table, or as JSON with -json.
type listCommand[T any] struct {
	name, usage, help string
	// jsonHelp describes the -json flag.
	jsonHelp string
	// apiOnly, when set, is why the command needs -api; it refuses to run
	// without it.
	apiOnly string
	// fetch reads the list.
	fetch func(ctx context.Context, cl client) ([]T, error)
	// table writes the header and the rows, tab-separated.
	table func(w io.Writer, items []T)
	// summary, when set, writes a line to stderr after the table.
	summary func(stderr io.Writer, items []T)
}

// printList runs cmd with args: flags, the connection, then the list.
func printList[T any](ctx context.Context, args []string, stdout, stderr io.Writer, cmd listCommand[T]) int {
	fs := newFlags(cmd.name, cmd.usage, cmd.help)
	var c conn
	c.register(fs)
	var asJSON bool
	fs.BoolVar(&asJSON, "json", false, cmd.jsonHelp)
	pos, code, done := parse(fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return fail(stderr, cmd.name, usagef("unexpected argument %q", pos[0]))
	}
	if cmd.apiOnly != "" && c.api == "" {
		return fail(stderr, cmd.name, usagef("%s needs -api (or SEEDCORE_API): %s", cmd.name, cmd.apiOnly))
	}
	return withClient(ctx, c, cmd.name, stderr, func(ctx context.Context, cl client) error {
		items, err := cmd.fetch(ctx, cl)
		if err != nil {
			return err
		}
		if items == nil {
			items = []T{}
		}
		if asJSON {
			return printJSON(stdout, items)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		cmd.table(tw, items)
		if err := tw.Flush(); err != nil {
			return err
		}
		if cmd.summary != nil {
			cmd.summary(stderr, items)
		}
		return nil
	})
}
