package memstore_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
	"github.com/seedcore/seedcore/store/storetest"
	"github.com/seedcore/seedcore/taskqueue"
)

// The worker half and retention, checked here so the package itself does
// not import taskqueue.
var (
	_ taskqueue.Queue   = (*memstore.Store)(nil)
	_ taskqueue.Cleaner = (*memstore.Store)(nil)
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		return memstore.New(memstore.Options{})
	})
}

func TestNotifierConformance(t *testing.T) {
	t.Parallel()
	storetest.RunNotifier(t, func(t *testing.T) (storetest.Backend, store.Notifier) {
		s := memstore.New(memstore.Options{})
		return s, s
	})
}

func TestMembershipConformance(t *testing.T) {
	t.Parallel()
	storetest.RunMembership(t, func(t *testing.T) storetest.ClusterBackend {
		return memstore.New(memstore.Options{})
	}, func(t *testing.T, b storetest.ClusterBackend, se store.Session) {
		b.(*memstore.Store).LoseSession(se.ID())
	})
}

func TestScheduleStoreConformance(t *testing.T) {
	t.Parallel()
	storetest.RunScheduleStore(t, func(t *testing.T) store.ScheduleStore {
		return memstore.New(memstore.Options{})
	})
}
