package seedcoretest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/taskqueue"
)

// EnvVar names the environment variable [NewPostgres] reads the database
// URL from.
const EnvVar = "TEST_DATABASE_URL"

// DefaultTimeout bounds [WaitFor] and [Start]'s wait for the App to become
// ready.
const DefaultTimeout = 10 * time.Second

// New builds an App for t from cfg and shuts it down (closing a store it
// opened) when t ends. cfg.Dispatcher defaults to an empty taskqueue.Mux,
// which fails every task as an unknown type; every other field keeps the
// default seedcore.Config documents, so without DB or DatabaseURL the App
// runs on the in-memory store. The App does not serve until [Start]. An
// error from seedcore.New fails the test.
func New(t testing.TB, cfg seedcore.Config) *seedcore.App {
	t.Helper()
	if cfg.Dispatcher == nil {
		cfg.Dispatcher = taskqueue.NewMux()
	}
	app, err := seedcore.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("seedcoretest: new app: %v", err)
		return nil
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := app.Shutdown(ctx); err != nil {
			t.Errorf("seedcoretest: shut down the app: %v", err)
		}
	})
	return app
}

// NewPostgres is [New] on a PostgreSQL schema of t's own in the database
// named by the environment variable TEST_DATABASE_URL (a postgres:// URL).
// The schema is dropped and the connections closed when t ends. Without
// the variable t is skipped with a message naming it, unless the CI
// variable is set: then t fails, so a CI run cannot pass by skipping.
// cfg must not select a database itself.
func NewPostgres(t testing.TB, cfg seedcore.Config) *seedcore.App {
	t.Helper()
	return newPostgres(t, pgtest.New, cfg)
}

// NewPostgresAt is [NewPostgres] on the database at databaseURL (a
// postgres:// URL) instead of the environment's.
func NewPostgresAt(t testing.TB, databaseURL string, cfg seedcore.Config) *seedcore.App {
	t.Helper()
	return newPostgres(t, func(t testing.TB) *pgtest.Env { return pgtest.NewAt(t, databaseURL) }, cfg)
}

func newPostgres(t testing.TB, open func(testing.TB) *pgtest.Env, cfg seedcore.Config) *seedcore.App {
	t.Helper()
	if cfg.DB != nil || cfg.DatabaseURL != "" || cfg.Schema != "" {
		t.Fatalf("seedcoretest: the Config given to NewPostgres must not set DB, DatabaseURL or Schema")
		return nil
	}
	env := open(t)
	if env == nil {
		return nil // skipped or failed
	}
	cfg.DB, cfg.DatabaseURL, cfg.Schema = env.DB, env.DSN, env.Schema
	return New(t, cfg)
}

// Start serves app until t ends, and returns once the App is ready (its
// store answers and its workers run); it fails t when that takes longer
// than [DefaultTimeout]. At the end of t the App stops as App.Serve
// describes; an error other than the stop itself fails t.
func Start(t testing.TB, app *seedcore.App) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, seedcore.ErrShutdown) {
				t.Errorf("seedcoretest: serve: %v", err)
			}
		case <-time.After(time.Minute):
			t.Errorf("seedcoretest: the app did not stop within a minute")
		}
	})
	ready := time.NewTimer(DefaultTimeout)
	defer ready.Stop()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !app.Ready() {
		select {
		case err := <-done:
			done <- err // for the cleanup
			t.Fatalf("seedcoretest: the app stopped before it was ready: %v", err)
			return
		case <-ready.C:
			t.Fatalf("seedcoretest: the app was not ready after %s: %v", DefaultTimeout, app.Check(context.Background()))
			return
		case <-tick.C:
		}
	}
}
