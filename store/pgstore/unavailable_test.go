package pgstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/pgstore"
)

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// TestUnreachableDatabase: every operation on a database that refuses
// connections fails with an error wrapping store.ErrUnavailable, and
// Open does too.
func TestUnreachableDatabase(t *testing.T) {
	t.Parallel()
	dsn := fmt.Sprintf("postgres://postgres@%s/test?sslmode=disable&connect_timeout=5", closedPort(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	_, err := pgstore.Open(ctx, dsn, pgstore.Options{})
	require.ErrorIs(t, err, store.ErrUnavailable)

	db, err := sqlx.Open("postgres", dsn)
	require.NoError(t, err)
	defer db.Close()
	s, err := pgstore.New(db, pgstore.Options{})
	require.NoError(t, err)
	const id = "00000000-0000-4000-8000-000000000000"
	ops := map[string]func() error{
		"Create": func() error { _, _, err := s.Create(ctx, store.NewTask{Type: "x"}); return err },
		"CreateMany": func() error {
			_, err := s.CreateMany(ctx, []store.NewTask{{Type: "x"}, {Type: "y"}})
			return err
		},
		"Get":       func() error { _, err := s.Get(ctx, id); return err },
		"List":      func() error { _, err := s.List(ctx, store.Filter{}); return err },
		"Cancel":    func() error { _, err := s.Cancel(ctx, id); return err },
		"Run":       func() error { _, err := s.Run(ctx, id); return err },
		"Counts":    func() error { _, err := s.Counts(ctx); return err },
		"Ping":      func() error { return s.Ping(ctx) },
		"Claim":     func() error { _, err := s.Claim(ctx, "w", 1, time.Minute); return err },
		"Heartbeat": func() error { _, err := s.Heartbeat(ctx, "w", []string{id}, time.Minute); return err },
		"Finish": func() error {
			_, err := s.Finish(ctx, []store.Outcome{{TaskID: id, Worker: "w", Attempt: 1, Kind: store.OutcomeComplete}})
			return err
		},
		"Rescue":         func() error { _, err := s.Rescue(ctx, 10); return err },
		"DeleteFinished": func() error { _, err := s.DeleteFinished(ctx, time.Hour, 10); return err },
		"Migrate":        func() error { return s.Migrate(ctx) },
	}
	for name, op := range ops {
		err := op()
		require.ErrorIs(t, err, store.ErrUnavailable, "%s: %v", name, err)
		require.NotErrorIs(t, err, store.ErrNotFound, name)
	}

	// The caller's own deadline is not the database's unavailability.
	past, cancelPast := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelPast()
	_, err = s.List(past, store.Filter{})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NotErrorIs(t, err, store.ErrUnavailable)
}

// TestTerminatedConnection: a statement on a connection the server ended
// (pg_terminate_backend of this test's own backend) fails with an error
// wrapping store.ErrUnavailable, while a statement error (a unique
// violation) does not.
func TestTerminatedConnection(t *testing.T) {
	t.Parallel()
	b := setup(t, pgstore.Options{})
	tx, err := b.env.DB.BeginTxx(b.ctx, nil)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback() }()
	var pid int
	require.NoError(t, tx.GetContext(b.ctx, &pid, `SELECT pg_backend_pid()`))
	var ended bool
	require.NoError(t, b.env.DB.GetContext(b.ctx, &ended, `SELECT pg_terminate_backend($1)`, pid))
	require.True(t, ended)
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, b.env.DB.GetContext(b.ctx, &n, `SELECT count(*) FROM pg_stat_activity WHERE pid = $1`, pid))
		return n == 0
	}, 10*time.Second, 10*time.Millisecond, "backend %d did not end", pid)

	_, _, err = b.store.CreateTx(b.ctx, tx, store.NewTask{Type: "x"})
	require.ErrorIs(t, err, store.ErrUnavailable)

	// A statement error is not a connection failure.
	task, _, err := b.store.Create(b.ctx, store.NewTask{Type: "x"})
	require.NoError(t, err)
	_, _, err = b.store.Create(b.ctx, store.NewTask{ID: task.ID, Type: "x"})
	require.ErrorIs(t, err, store.ErrConflict)
	require.NotErrorIs(t, err, store.ErrUnavailable)
}

// TestClosedPool: a store made by Open answers store.ErrClosed after
// Close, not database/sql's unexported error.
func TestClosedPool(t *testing.T) {
	t.Parallel()
	env := pgtest.New(t)
	ctx := context.Background()
	s, err := pgstore.Open(ctx, env.DSN, pgstore.Options{Schema: env.Schema})
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	require.NoError(t, s.Close())
	_, err = s.List(ctx, store.Filter{})
	require.ErrorIs(t, err, store.ErrClosed)
	_, _, err = s.Create(ctx, store.NewTask{Type: "x"})
	require.ErrorIs(t, err, store.ErrClosed)
	require.NotErrorIs(t, err, sql.ErrNoRows)
}
