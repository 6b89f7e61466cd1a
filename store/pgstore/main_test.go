package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/pgstore"
	"github.com/seedcore/seedcore/taskqueue"
)

// The worker half is checked here: non-test code must not import taskqueue.
var (
	_ taskqueue.Queue   = (*pgstore.Store)(nil)
	_ taskqueue.Cleaner = (*pgstore.Store)(nil)
	_ store.Notifier    = (*pgstore.Listener)(nil)
)

func TestMain(m *testing.M) {
	// database/sql closes pools asynchronously: its connectionOpener
	// goroutine ends shortly after DB.Close, so goleak retries until then
	// (its default), and nothing needs ignoring.
	goleak.VerifyTestMain(m, goleak.Cleanup(pgtest.Exit))
}

// bundle is one test's environment: its own schema, migrated, with a store
// on it.
type bundle struct {
	env   *pgtest.Env
	store *pgstore.Store
	ctx   context.Context
}

// setup returns a fresh migrated schema and a store on it.
func setup(t testing.TB, opts pgstore.Options) *bundle {
	t.Helper()
	env := pgtest.New(t)
	opts.Schema = env.Schema
	s, err := pgstore.New(env.DB, opts)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	require.NoError(t, s.Migrate(ctx))
	return &bundle{env: env, store: s, ctx: ctx}
}

// receive waits for the first event on ch that satisfies match, failing t
// after timeout.
func receive(t *testing.T, ch <-chan store.Event, timeout time.Duration, what string, match func(store.Event) bool) store.Event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev, ok := <-ch:
			require.True(t, ok, "event channel closed while waiting for %s", what)
			if match(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
	}
}
