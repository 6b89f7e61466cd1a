package pgstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/pgstore"
)

type created struct {
	task    store.Task
	created bool
	err     error
}

// gate makes the store's next Create block inside the database: an open
// transaction holds an uncommitted task with idempotency key "gate", and a
// Create with that key waits for it. It returns once that Create is
// waiting; release rolls the transaction back, and the blocked Create then
// stores its task.
func gate(t *testing.T, b *bundle) (release func(), first <-chan created) {
	t.Helper()
	tx, err := b.env.DB.BeginTxx(b.ctx, nil)
	require.NoError(t, err)
	_, err = tx.ExecContext(b.ctx, `INSERT INTO `+b.env.Schema+`.tasks (id, type, status, idempotency_key)
		VALUES ($1, 'gate', 'created', 'gate')`, store.NewID())
	require.NoError(t, err)
	out := make(chan created, 1)
	go func() {
		task, c, err := b.store.Create(b.ctx, store.NewTask{Type: "first", IdempotencyKey: "gate"})
		out <- created{task, c, err}
	}()
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, b.env.DB.GetContext(b.ctx, &n, `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = $1 AND wait_event_type = 'Lock' AND query LIKE 'WITH upd AS (INSERT%'`, b.env.Schema))
		return n == 1
	}, 10*time.Second, 5*time.Millisecond, "the first Create never blocked")
	var once sync.Once
	release = func() { once.Do(func() { require.NoError(t, tx.Rollback()) }) }
	t.Cleanup(release)
	return release, out
}

// createAll starts a Create for each task and waits until all of them are
// queued behind the one under way.
func createAll(t *testing.T, b *bundle, ctx context.Context, tasks []store.NewTask) []chan created {
	t.Helper()
	outs := make([]chan created, len(tasks))
	before := pgstore.Queued(b.store)
	for i, nt := range tasks {
		outs[i] = make(chan created, 1)
		go func() {
			task, c, err := b.store.Create(ctx, nt)
			outs[i] <- created{task, c, err}
		}()
	}
	require.Eventually(t, func() bool { return pgstore.Queued(b.store) == before+len(tasks) },
		10*time.Second, time.Millisecond, "the Create calls never queued")
	return outs
}

func recordBatches(b *bundle) func() []int {
	var mu sync.Mutex
	var sizes []int
	pgstore.SetBeforeBatch(b.store, func(n int) {
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, n)
	})
	return func() []int {
		mu.Lock()
		defer mu.Unlock()
		return append([]int(nil), sizes...)
	}
}

func TestCreateSharesStatementsUnderContention(t *testing.T) {
	t.Parallel()
	b := setup(t, pgstore.Options{})
	batches := recordBatches(b)
	existing, ok, err := b.store.Create(b.ctx, store.NewTask{Type: "old", IdempotencyKey: "taken"})
	require.NoError(t, err)
	require.True(t, ok)

	release, first := gate(t, b)
	var tasks []store.NewTask
	for range 16 {
		tasks = append(tasks, store.NewTask{Type: "plain", Params: []byte(`{"n":1}`)})
	}
	tasks = append(tasks,
		store.NewTask{Type: "dup", IdempotencyKey: "same"},
		store.NewTask{Type: "dup", IdempotencyKey: "same"},
		store.NewTask{Type: "again", IdempotencyKey: "taken"},
		store.NewTask{Type: "later", RunAfter: time.Now().Add(time.Hour)},
		store.NewTask{Type: "held", Hold: true},
	)
	outs := createAll(t, b, b.ctx, tasks)
	release()

	f := <-first
	require.NoError(t, f.err)
	require.True(t, f.created)
	res := make([]created, len(outs))
	for i, o := range outs {
		res[i] = <-o
		require.NoError(t, res[i].err, "task %d", i)
	}
	require.Equal(t, []int{len(tasks)}, batches(), "the queued calls shared one statement")

	for i := range 16 {
		require.True(t, res[i].created)
		got, err := b.store.Get(b.ctx, res[i].task.ID)
		require.NoError(t, err)
		require.Equal(t, res[i].task, got, "Create returns the stored row")
		require.Equal(t, store.StatusQueued, got.Status)
		require.JSONEq(t, `{"n":1}`, string(got.Params))
	}
	dupA, dupB := res[16], res[17]
	require.Equal(t, dupA.task.ID, dupB.task.ID, "one task per idempotency key")
	require.True(t, dupA.created != dupB.created, "exactly one of the two created it")
	require.False(t, res[18].created)
	require.Equal(t, existing.ID, res[18].task.ID)
	require.Equal(t, store.StatusQueued, res[19].task.Status)
	require.WithinDuration(t, tasks[19].RunAfter, res[19].task.RunAfter, time.Millisecond)
	require.Equal(t, store.StatusCreated, res[20].task.Status)

	counts, err := b.store.Counts(b.ctx)
	require.NoError(t, err)
	// 16 plain, "same", "old", "first", "later" queued; "held" created.
	require.Equal(t, 20, counts[store.StatusQueued])
	require.Equal(t, 1, counts[store.StatusCreated])
}

func TestCreateBatchRefusedFallsBackToSingleInserts(t *testing.T) {
	t.Parallel()
	b := setup(t, pgstore.Options{})
	batches := recordBatches(b)
	release, first := gate(t, b)
	id := store.NewID()
	tasks := []store.NewTask{
		{Type: "a"}, {ID: id, Type: "mine"}, {Type: "b"}, {ID: id, Type: "mine-too"}, {Type: "c"},
	}
	outs := createAll(t, b, b.ctx, tasks)
	release()
	require.NoError(t, (<-first).err)

	var conflicts int
	for i, o := range outs {
		r := <-o
		if errors.Is(r.err, store.ErrConflict) {
			conflicts++
			require.Equal(t, id, tasks[i].ID, "only a call with the taken ID fails")
			continue
		}
		require.NoError(t, r.err, "task %d", i)
		require.True(t, r.created)
	}
	require.Equal(t, 1, conflicts)
	require.Equal(t, []int{len(tasks)}, batches())
	counts, err := b.store.Counts(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 5, counts[store.StatusQueued], "first, a, b, c and one of the two")
}

func TestCreateQueuedCallerLeavesOnCancel(t *testing.T) {
	t.Parallel()
	b := setup(t, pgstore.Options{})
	batches := recordBatches(b)
	release, first := gate(t, b)

	stay := createAll(t, b, b.ctx, []store.NewTask{{Type: "stay"}, {Type: "stay"}})
	ctx, cancel := context.WithCancel(b.ctx)
	leave := createAll(t, b, ctx, []store.NewTask{{Type: "leave"}})
	cancel()
	select {
	case r := <-leave[0]:
		require.ErrorIs(t, r.err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("a queued Create did not return when its context ended")
	}
	require.Equal(t, 2, pgstore.Queued(b.store), "it left the queue")

	release()
	require.NoError(t, (<-first).err)
	for _, o := range stay {
		r := <-o
		require.NoError(t, r.err)
		require.True(t, r.created)
	}
	require.Equal(t, []int{2}, batches())
	var left int
	require.NoError(t, b.env.DB.GetContext(b.ctx, &left, `SELECT count(*) FROM `+b.env.Schema+`.tasks WHERE type = 'leave'`))
	require.Zero(t, left, "the task of a call that left is not stored")
}

// TestCreateConcurrentStress has many producers create at once: every call
// gets its own stored task, and the shared statements are seen to form.
func TestCreateConcurrentStress(t *testing.T) {
	t.Parallel()
	b := setup(t, pgstore.Options{})
	batches := recordBatches(b)
	const producers, each = 16, 25
	var wg sync.WaitGroup
	ids := make(chan string, producers*each)
	for range producers {
		wg.Go(func() {
			for range each {
				task, ok, err := b.store.Create(b.ctx, store.NewTask{Type: "stress"})
				if !assert.NoError(t, err) || !assert.True(t, ok) {
					return
				}
				ids <- task.ID
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		require.False(t, seen[id])
		seen[id] = true
	}
	require.Len(t, seen, producers*each)
	counts, err := b.store.Counts(b.ctx)
	require.NoError(t, err)
	require.Equal(t, producers*each, counts[store.StatusQueued])
	shared := 0
	for _, n := range batches() {
		shared += n
	}
	t.Logf("%d of %d tasks went through %d shared statements", shared, producers*each, len(batches()))
}

// TestCreateBadInputNeverJoinsABatch: while a shared statement is under
// way, tasks PostgreSQL would refuse (NUL, a lone surrogate, a number
// numeric cannot hold) are answered ErrInvalidTask at once, without
// queueing, and the good tasks queued meanwhile share one statement that
// succeeds: no bad row makes the batch fail and fall back to inserting
// row by row. Before the input contract they queued, failed the shared
// statement and got a database error.
func TestCreateBadInputNeverJoinsABatch(t *testing.T) {
	t.Parallel()
	b := setup(t, pgstore.Options{})
	batches := recordBatches(b)
	release, first := gate(t, b)
	good := make([]store.NewTask, 8)
	for i := range good {
		good[i] = store.NewTask{Type: "good"}
	}
	outs := createAll(t, b, b.ctx, good)
	for _, bad := range []store.NewTask{
		{Type: "bad", Description: "a\x00b"},
		{Type: "bad", Params: []byte(`{"a":"\u0000"}`)},
		{Type: "bad", Params: []byte(`{"a":"\ud800"}`)},
		{Type: "bad", Params: []byte("{\"a\":\"\xff\"}")},
		{Type: "bad", Params: []byte(`{"a":1e999999}`)},
		{Type: "bad", IdempotencyKey: "k\x00"},
		{Type: "bad\x00"},
	} {
		_, _, err := b.store.Create(b.ctx, bad)
		require.ErrorIs(t, err, store.ErrInvalidTask)
	}
	require.Equal(t, len(good), pgstore.Queued(b.store), "no bad task queued")
	release()
	require.NoError(t, (<-first).err)
	for _, o := range outs {
		r := <-o
		require.NoError(t, r.err)
		require.True(t, r.created)
	}
	require.Equal(t, []int{len(good)}, batches(), "one shared statement, no fallback")
}
