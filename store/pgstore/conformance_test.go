package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/store/pgstore"
	"github.com/seedcore/seedcore/store/storetest"
)

// TestConformance runs the suite on a pool the test opened itself, with
// lib/pq's defaults (parameters in a separate round trip) and statements
// sent as text (NoPrepare).
func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		return setup(t, pgstore.Options{NoPrepare: true}).store
	})
}

// TestConformanceOpen runs the suite on a store made by Open, which turns
// on binary_parameters, with its insert statements prepared.
func TestConformanceOpen(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		env := pgtest.New(t)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s, err := pgstore.Open(ctx, env.DSN, pgstore.Options{Schema: env.Schema})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		require.NoError(t, s.Migrate(ctx))
		return s
	})
}
