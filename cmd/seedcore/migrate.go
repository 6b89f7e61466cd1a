package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/seedcore/seedcore/store/pgstore"
)

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("migrate", "[-status] [flags]", `
Apply the embedded PostgreSQL migrations to the schema (creating it when
missing), in one transaction; safe to run from several processes at once.
With -status, print the schema's current and latest version instead; the
exit code is 0 either way.`)
	db := secretFlag(fs, "db", "DATABASE_URL", "PostgreSQL `URL` (env DATABASE_URL)")
	schema := fs.String("schema", envOr("SEEDCORE_SCHEMA", "seedcore"), "PostgreSQL schema (env SEEDCORE_SCHEMA)")
	status := fs.Bool("status", false, "print the current and latest schema version; change nothing")
	timeout := fs.Duration("timeout", 10*time.Minute, "time limit of the migration")
	pos, code, done := parse(fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return fail(stderr, "migrate", usagef("unexpected argument %q", pos[0]))
	}
	if *db == "" {
		return fail(stderr, "migrate", usagef("no database: set -db or DATABASE_URL"))
	}
	if err := pgstore.ValidateSchema(*schema); err != nil {
		return fail(stderr, "migrate", usagef("%v", err))
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	s, err := pgstore.Open(ctx, *db, pgstore.Options{Schema: *schema})
	if err != nil {
		return fail(stderr, "migrate", err)
	}
	defer s.Close()
	current, err := s.SchemaVersion(ctx)
	if err != nil {
		return fail(stderr, "migrate", err)
	}
	latest := pgstore.LatestVersion()
	if *status {
		state := "up to date"
		switch {
		case current < latest:
			state = fmt.Sprintf("%d pending", latest-current)
		case current > latest:
			state = "newer than this program"
		}
		fmt.Fprintf(stdout, "schema %s: version %d, latest %d (%s)\n", *schema, current, latest, state)
		return exitOK
	}
	if current >= latest {
		fmt.Fprintf(stdout, "schema %s: version %d, up to date\n", *schema, current)
		return exitOK
	}
	fmt.Fprintf(stderr, "migrating schema %s from version %d to %d\n", *schema, current, latest)
	err = withProgress(stderr, 2*time.Second, func(elapsed time.Duration) string {
		return fmt.Sprintf("still migrating schema %s (%s)", *schema, elapsed.Round(time.Second))
	}, func() error { return s.Migrate(ctx) })
	if err != nil {
		return fail(stderr, "migrate", err)
	}
	if current, err = s.SchemaVersion(ctx); err != nil {
		return fail(stderr, "migrate", err)
	}
	fmt.Fprintf(stdout, "schema %s: version %d, up to date\n", *schema, current)
	return exitOK
}

// withProgress runs fn, printing line(elapsed) to w every interval until
// it returns.
func withProgress(w io.Writer, every time.Duration, line func(time.Duration) string, fn func() error) error {
	start := time.Now()
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintln(w, line(time.Since(start)))
			}
		}
	}()
	err := fn()
	close(done)
	<-stopped
	return err
}
