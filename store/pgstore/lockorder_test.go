package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/pgstore"
)

// TestNoDeadlockHeartbeatVersusOutcomes runs, round after round, the
// heartbeats of two workers and an outcome batch (Finish) naming tasks of
// both (in the order they finished, not the order of their ids) at the
// same time
// over overlapping sets of running tasks, as the heartbeat loops and the
// outcome writer of busy pools do. Every multi-row statement locks its rows
// in one order, so none may ever fail with deadlock_detected (40P01).
func TestNoDeadlockHeartbeatVersusOutcomes(t *testing.T) {
	t.Parallel()
	env := pgtest.New(t)
	// The rounds are about locks, not durability: commits that do not wait
	// for the disk keep thousands of them short.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	db, s := asyncStore(t, ctx, env)
	tbl := env.Schema + ".tasks"
	const (
		tasks = 200
		lease = time.Minute
	)
	rounds := newRoundBudget(300, 2000, 90*time.Second)
	workers := []string{"w1", "w2"}
	// A table shaped like a live queue (mostly finished tasks), analyzed,
	// so the statements are planned as in production.
	_, err := db.ExecContext(ctx, `INSERT INTO `+tbl+` (id, type, status, finished_at)
		SELECT gen_random_uuid(), 't', 'completed', now() FROM generate_series(1, 5000)`)
	require.NoError(t, err)
	var ids []string
	require.NoError(t, db.SelectContext(ctx, &ids, `INSERT INTO `+tbl+` (id, type, status, attempts, max_attempts, locked_by, lease_expires_at)
		SELECT gen_random_uuid(), 't', 'running', 1, 1000, CASE WHEN g % 2 = 0 THEN 'w1' ELSE 'w2' END, now() + interval '1 hour'
		FROM generate_series(1, $1) g RETURNING id`, tasks))
	_, err = db.ExecContext(ctx, `ANALYZE `+tbl)
	require.NoError(t, err)
	owner := func(i int) string { return workers[i%2] }
	var byWorker [2][]string
	for i, id := range ids {
		byWorker[i%2] = append(byWorker[i%2], id)
	}
	kinds := []store.OutcomeKind{store.OutcomeComplete, store.OutcomeRetry, store.OutcomeRelease, store.OutcomeFail}
	rng := rand.New(rand.NewPCG(1, 2))
	deadlock := func(err error) bool {
		var pqErr *pq.Error
		return errors.As(err, &pqErr) && pqErr.Code == "40P01"
	}
	for round := 0; rounds.more(round); round++ {
		if round%200 == 0 && testing.Verbose() {
			t.Logf("round %d at %s", round, time.Now().Format(time.StampMilli))
		}
		if round%100 == 99 {
			// Each round leaves a few hundred dead row versions and index
			// entries: clear them as autovacuum would, keeping rounds short.
			_, err := db.ExecContext(ctx, `VACUUM `+tbl)
			require.NoError(t, err)
		}
		// Every task runs again under its worker, attempt 1 (one statement,
		// nothing else running).
		_, err = db.ExecContext(ctx, `UPDATE `+tbl+` SET status = 'running', attempts = 1,
			locked_by = CASE WHEN id = ANY($1::uuid[]) THEN 'w1' ELSE 'w2' END,
			lease_expires_at = now() + interval '1 hour', finished_at = NULL
			WHERE id = ANY($2::uuid[])`, pq.StringArray(byWorker[0]), pq.StringArray(ids))
		require.NoError(t, err)

		// The outcome batch names half the tasks, in a random order.
		order := rng.Perm(tasks)[:tasks/2]
		outcomes := make([]store.Outcome, len(order))
		for j, i := range order {
			outcomes[j] = store.Outcome{TaskID: ids[i], Worker: owner(i), Attempt: 1, Kind: kinds[rng.IntN(len(kinds))]}
		}
		var wg sync.WaitGroup
		errs := make([]error, 1+len(workers))
		wg.Go(func() {
			_, errs[0] = s.Finish(ctx, outcomes)
		})
		for w := range workers {
			held := slices.Clone(byWorker[w])
			rng.Shuffle(len(held), func(i, j int) { held[i], held[j] = held[j], held[i] })
			wg.Go(func() {
				_, errs[1+w] = s.Heartbeat(ctx, workers[w], held, lease)
			})
		}
		wg.Wait()
		for _, err := range errs {
			if deadlock(err) {
				t.Fatalf("round %d: %v", round, err)
			}
			require.NoError(t, err, "round %d", round)
		}
	}
}

// TestNoDeadlockConcurrentInsertsSameKeys runs, round after round, two
// CreateMany calls at once whose tasks carry the same idempotency keys in
// different orders, as two processes storing the retries of the same
// clients do, through both insert paths (one statement over arrays, and
// COPY from CopyThreshold tasks on). An insert that finds a key taken by an
// insert not yet committed waits for it, so each statement takes the keys
// in one order: none may ever fail with deadlock_detected (40P01), and each
// key is stored once.
func TestNoDeadlockConcurrentInsertsSameKeys(t *testing.T) {
	t.Parallel()
	env := pgtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	_, s := asyncStore(t, ctx, env)
	rng := rand.New(rand.NewPCG(3, 4))
	rounds := newRoundBudget(100, 300, 60*time.Second)
	for round := 0; rounds.more(round); round++ {
		n := 100
		if round%50 == 49 {
			n = pgstore.CopyThreshold
		}
		var batches [2][]store.NewTask
		for b := range batches {
			for _, i := range rng.Perm(n) {
				batches[b] = append(batches[b], store.NewTask{Type: "t",
					IdempotencyKey: fmt.Sprintf("r%d-k%d", round, i)})
			}
		}
		var wg sync.WaitGroup
		var errs [2]error
		var stored [2]int
		for b := range batches {
			wg.Go(func() { stored[b], errs[b] = s.CreateMany(ctx, batches[b]) })
		}
		wg.Wait()
		for _, err := range errs {
			var pqErr *pq.Error
			if errors.As(err, &pqErr) && pqErr.Code == "40P01" {
				t.Fatalf("round %d (%d tasks): %v", round, n, err)
			}
			require.NoError(t, err, "round %d", round)
		}
		require.Equal(t, n, stored[0]+stored[1], "round %d: each key stored once", round)
	}
}

// asyncStore opens a migrated store in env's schema whose commits do not
// wait for the disk: the lock-order tests are about locks, not durability,
// and short commits keep thousands of rounds short.
func asyncStore(t *testing.T, ctx context.Context, env *pgtest.Env) (*sqlx.DB, *pgstore.Store) {
	t.Helper()
	db, err := sqlx.Open("postgres", env.DSN+"&synchronous_commit=off")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	s, err := pgstore.New(db, pgstore.Options{Schema: env.Schema, NoStatusNotify: true})
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	return db, s
}

// roundBudget bounds a stress test's rounds: at least min, at most max,
// and no new round past min once the time budget is spent. On a loaded
// machine the test then runs fewer rounds instead of outrunning its
// context; on a quiet one it runs them all.
type roundBudget struct {
	least, most int
	deadline    time.Time
}

func newRoundBudget(least, most int, budget time.Duration) roundBudget {
	return roundBudget{least: least, most: most, deadline: time.Now().Add(budget)}
}

// more reports whether round (counted from 0) should run.
func (b roundBudget) more(round int) bool {
	if round >= b.most {
		return false
	}
	return round < b.least || time.Now().Before(b.deadline)
}
