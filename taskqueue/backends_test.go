package taskqueue_test

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
	"github.com/seedcore/seedcore/store/pgstore"
	"github.com/seedcore/seedcore/taskqueue"
)

// Both backends keep the contract and have the optional capabilities
// they document.
var (
	_ taskqueue.Backend         = (*memstore.Store)(nil)
	_ taskqueue.Backend         = (*pgstore.Store)(nil)
	_ store.BulkCreator         = (*memstore.Store)(nil)
	_ store.BulkCreator         = (*pgstore.Store)(nil)
	_ store.EnrichmentWriter    = (*memstore.Store)(nil)
	_ store.EnrichmentWriter    = (*pgstore.Store)(nil)
	_ store.ProgressHeartbeater = (*memstore.Store)(nil)
	_ store.ProgressHeartbeater = (*pgstore.Store)(nil)
	_ store.TxCreator[*sqlx.Tx] = (*pgstore.Store)(nil)
	_ store.TaskNotifier        = (*memstore.Store)(nil)
	_ store.TaskNotifier        = (*pgstore.Listener)(nil)
)

// forEachBackend runs fn as parallel subtests "mem" and "pg", each with a
// fresh backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	t.Run("mem", func(t *testing.T) {
		t.Parallel()
		fn(t, newMemEnv(t))
	})
	t.Run("pg", func(t *testing.T) {
		t.Parallel()
		fn(t, newPGEnv(t))
	})
}

func newMemEnv(testing.TB) *env {
	s := memstore.New(memstore.Options{})
	return &env{name: "mem", be: s, notifier: s}
}

// pgEnv is a PostgreSQL backend in the test's own schema, with a running
// LISTEN connection.
type pgEnv struct {
	*env
	db *pgtest.Env
	s  *pgstore.Store
}

func newPGEnv(t *testing.T) *env { return newPG(t).env }

func newPG(t testing.TB) *pgEnv {
	db := pgtest.New(t)
	ctx := context.Background()
	s, err := pgstore.New(db.DB, pgstore.Options{Schema: db.Schema})
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	l := pgstore.NewListener(db.DSN, pgstore.ListenerOptions{Schema: db.Schema})
	// The listener announces each connection with a resync event: wait for
	// the first, so no notification of the test is missed.
	events, unsubscribe := l.Subscribe()
	defer unsubscribe()
	startService(t, l.Serve)
	select {
	case <-events:
	case <-time.After(10 * time.Second):
		t.Fatal("listener did not connect")
	}
	e := &pgEnv{db: db, s: s}
	e.env = &env{name: "pg", be: s, notifier: l, cut: func(t *testing.T) {
		require.Positive(t, db.TerminateConnections(t))
	}}
	return e
}
