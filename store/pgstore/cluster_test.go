package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/pgstore"
	"github.com/seedcore/seedcore/store/storetest"
)

// TestMembershipConformance runs the membership suite; a session is lost
// by terminating the server process of its own connection (found by the
// advisory lock it holds), never any other.
func TestMembershipConformance(t *testing.T) {
	t.Parallel()
	storetest.RunMembership(t, func(t *testing.T) storetest.ClusterBackend {
		return setup(t, pgstore.Options{}).store
	}, func(t *testing.T, b storetest.ClusterBackend, se store.Session) {
		s := b.(*pgstore.Store)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var n int
		require.NoError(t, s.DB().GetContext(ctx, &n, `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
			WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = $1::oid AND objid = $2::oid
			  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
			s.ClusterLockKey(), se.ID()))
		require.Equal(t, 1, n, "the session's connection")
	})
}

func TestScheduleStoreConformance(t *testing.T) {
	t.Parallel()
	storetest.RunScheduleStore(t, func(t *testing.T) store.ScheduleStore {
		return setup(t, pgstore.Options{}).store
	})
}
