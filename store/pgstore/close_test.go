package pgstore_test

import (
	"context"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/pgstore"
)

var goroutineHeader = regexp.MustCompile(`^goroutine (\d+) `)

// storeGoroutines returns the stacks of the goroutines running pgstore's
// background work (waker sends, shared inserts) whose ids are not in
// before; with before nil, it returns the ids of all of them.
func storeGoroutines(before map[string]bool) (ids map[string]bool, stacks []string) {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	ids = map[string]bool{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		m := goroutineHeader.FindStringSubmatch(g)
		if m == nil || !strings.Contains(g, "store/pgstore.") ||
			(!strings.Contains(g, "(*waker)") && !strings.Contains(g, "(*inserter).drain")) {
			continue
		}
		ids[m[1]] = true
		if !before[m[1]] {
			stacks = append(stacks, g)
		}
	}
	return ids, stacks
}

// TestCloseJoinsBackground checks that Close returns only after the
// store's own goroutines ended: the "c" notification a claim owes (which
// otherwise lingers 100 ms) and a shared insert under way. The test is not
// parallel, so no other test's store starts such goroutines meanwhile.
func TestCloseJoinsBackground(t *testing.T) {
	before, _ := storeGoroutines(nil)
	env := pgtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := pgstore.New(env.DB, pgstore.Options{Schema: env.Schema})
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))

	// A shared insert that is still running when Close is called.
	var batches atomic.Int32
	pgstore.SetBeforeBatch(s, func(int) {
		if batches.Add(1) == 1 {
			for !pgstore.Closing(s) {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond) // Close would be done by now if it did not wait
		}
	})
	// Creators stop once the shared insert began: the calls queued behind
	// it are stored by the same goroutine, so none starts after Close.
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for batches.Load() == 0 {
				_, _, err := s.Create(ctx, store.NewTask{Type: "close"})
				if err != nil {
					return
				}
			}
		})
	}
	require.Eventually(t, func() bool { return batches.Load() > 0 }, 30*time.Second, time.Millisecond, "no shared insert")
	// A claim owes a "c" notification, sent after a linger.
	claimed, err := s.Claim(ctx, "w1", 1, time.Minute)
	require.NoError(t, err)
	require.Len(t, claimed, 1)

	require.NoError(t, s.Close())
	_, leaked := storeGoroutines(before)
	wg.Wait()
	require.Empty(t, leaked, "goroutines of the store still running after Close")
}
