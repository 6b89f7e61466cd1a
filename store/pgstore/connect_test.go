package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/store/pgstore"
)

// returnsWithin runs f and fails t when it has not returned after bound (a
// generous correctness bound, not a measure of speed), or returns its
// error.
func returnsWithin(t *testing.T, bound time.Duration, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(bound):
		t.Fatalf("%s still blocked after %s against a server that never answers", what, bound)
		return nil
	}
}

// TestOpenSilentServer: against a server that accepts connections and
// never answers, Open gives up at the connect timeout (the DSN's, else
// DefaultConnectTimeout) with an error saying so, and at once when its
// context ends, even though lib/pq's start-up exchange does not watch the
// context.
func TestOpenSilentServer(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Silent(t)
	t.Run("dsn connect_timeout", func(t *testing.T) {
		t.Parallel()
		err := returnsWithin(t, 20*time.Second, "Open", func() error {
			_, err := pgstore.Open(context.Background(), dsn+"&connect_timeout=1", pgstore.Options{})
			return err
		})
		require.ErrorIs(t, err, pgstore.ErrConnectTimeout)
		require.ErrorContains(t, err, "connect timeout (1s)")
	})
	t.Run("default connect_timeout", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		err := returnsWithin(t, pgstore.DefaultConnectTimeout+20*time.Second, "Open", func() error {
			_, err := pgstore.Open(context.Background(), dsn, pgstore.Options{})
			return err
		})
		require.ErrorIs(t, err, pgstore.ErrConnectTimeout)
		require.ErrorContains(t, err, "connect timeout ("+pgstore.DefaultConnectTimeout.String()+")")
		require.GreaterOrEqual(t, time.Since(start), pgstore.DefaultConnectTimeout-time.Second, "gave up before the default")
	})
	t.Run("context deadline", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		// No connect timeout at all: only the context can end the attempt.
		err := returnsWithin(t, 20*time.Second, "Open", func() error {
			_, err := pgstore.Open(ctx, dsn+"&connect_timeout=0", pgstore.Options{})
			return err
		})
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

// TestListenerSilentServer: the Listener's Serve returns an error naming
// the connect timeout when its first connection attempt gets no answer, and
// returns when its context ends while an attempt is stuck (lib/pq's
// Listener holds its lock through the attempt, so before, not even Close
// returned).
func TestListenerSilentServer(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Silent(t)
	t.Run("connect_timeout", func(t *testing.T) {
		t.Parallel()
		l := pgstore.NewListener(dsn+"&connect_timeout=1", pgstore.ListenerOptions{})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err := returnsWithin(t, 20*time.Second, "Serve", func() error { return l.Serve(ctx) })
		require.ErrorIs(t, err, pgstore.ErrConnectTimeout)
		require.ErrorContains(t, err, "connect timeout (1s)")
	})
	t.Run("context ends", func(t *testing.T) {
		t.Parallel()
		l := pgstore.NewListener(dsn+"&connect_timeout=0", pgstore.ListenerOptions{})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := returnsWithin(t, 20*time.Second, "Serve", func() error { return l.Serve(ctx) })
		require.True(t, errors.Is(err, context.DeadlineExceeded), "err = %v", err)
	})
}
