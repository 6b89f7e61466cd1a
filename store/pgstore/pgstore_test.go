package pgstore_test

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
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

func TestNewRejectsBadSchema(t *testing.T) {
	t.Parallel()
	cases := []string{
		"Seedcore", "1abc", "a-b", "a b", "a;drop table x", `a"b`, "public.tasks",
		strings.Repeat("a", 64), "é",
	}
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// New checks the name before anything else, so no pool is needed.
			_, err := pgstore.New(nil, pgstore.Options{Schema: name})
			require.ErrorIs(t, err, pgstore.ErrInvalidSchema)
			require.ErrorIs(t, pgstore.ValidateSchema(name), pgstore.ErrInvalidSchema)
		})
	}
	for _, name := range []string{"seedcore", "_x", "a1_b2", strings.Repeat("a", 63)} {
		require.NoError(t, pgstore.ValidateSchema(name), name)
	}
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	env := pgtest.New(t)
	s, err := pgstore.New(env.DB, pgstore.Options{})
	require.NoError(t, err)
	require.Equal(t, pgstore.DefaultSchema, s.Schema())
	_, err = pgstore.New(env.DB, pgstore.Options{Schema: "Bad"})
	require.ErrorIs(t, err, pgstore.ErrInvalidSchema)
}

func TestMigrateIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t, pgstore.Options{})
	v, err := b.store.SchemaVersion(b.ctx)
	require.NoError(t, err)
	require.Equal(t, pgstore.LatestVersion(), v)
	require.Positive(t, v)
	require.NoError(t, b.store.Migrate(b.ctx), "second Migrate")
	v2, err := b.store.SchemaVersion(b.ctx)
	require.NoError(t, err)
	require.Equal(t, v, v2)
	var rows int
	require.NoError(t, b.env.DB.Get(&rows, `SELECT count(*) FROM `+b.env.Schema+`.schema_migrations`))
	// Versions need not be contiguous (numbers are reserved ahead).
	require.Equal(t, pgstore.MigrationCount(), rows, "each migration recorded once")

	// The indexes of the migrated table are exactly those the statements
	// need (an extra index is paid for on every write).
	var indexes []string
	require.NoError(t, b.env.DB.Select(&indexes, `SELECT indexname FROM pg_indexes
		WHERE schemaname = $1 AND tablename = 'tasks' ORDER BY indexname`, b.env.Schema))
	require.Equal(t, []string{"tasks_claim_idx", "tasks_created_idx", "tasks_idempotency_key_idx",
		"tasks_lease_idx", "tasks_partition_claim_idx", "tasks_pkey"}, indexes)
}

func TestMigrateConcurrentCreatesSchema(t *testing.T) {
	t.Parallel()
	env := pgtest.New(t)
	// A schema that does not exist yet: Migrate must create it.
	schema := env.Schema + "_m"
	t.Cleanup(func() {
		_, err := env.DB.Exec(`DROP SCHEMA IF EXISTS ` + schema + ` CASCADE`)
		require.NoError(t, err)
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	s, err := pgstore.New(env.DB, pgstore.Options{Schema: schema})
	require.NoError(t, err)
	v, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	require.Zero(t, v, "an absent schema has version 0")

	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			st, err := pgstore.New(env.DB, pgstore.Options{Schema: schema})
			if err != nil {
				errs[i] = err
				return
			}
			errs[i] = st.Migrate(ctx)
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "migrator %d", i)
	}
	v, err = s.SchemaVersion(ctx)
	require.NoError(t, err)
	require.Equal(t, pgstore.LatestVersion(), v)
	_, _, err = s.Create(ctx, store.NewTask{Type: "t"})
	require.NoError(t, err)
}

func TestCreateTx(t *testing.T) {
	t.Parallel()
	for _, commit := range []bool{true, false} {
		t.Run(fmt.Sprintf("commit=%v", commit), func(t *testing.T) {
			t.Parallel()
			b := setup(t, pgstore.Options{})
			tx, err := b.env.DB.BeginTxx(b.ctx, nil)
			require.NoError(t, err)
			task, created, err := b.store.CreateTx(b.ctx, tx, store.NewTask{Type: "t", IdempotencyKey: "k"})
			require.NoError(t, err)
			require.True(t, created)
			// Outside the transaction the task does not exist yet.
			_, err = b.store.Get(b.ctx, task.ID)
			require.ErrorIs(t, err, store.ErrNotFound)
			// Inside it, the key is already taken.
			again, created, err := b.store.CreateTx(b.ctx, tx, store.NewTask{Type: "t", IdempotencyKey: "k"})
			require.NoError(t, err)
			require.False(t, created)
			require.Equal(t, task.ID, again.ID)
			if commit {
				require.NoError(t, tx.Commit())
				got, err := b.store.Get(b.ctx, task.ID)
				require.NoError(t, err)
				require.Equal(t, store.StatusQueued, got.Status)
			} else {
				require.NoError(t, tx.Rollback())
				_, err := b.store.Get(b.ctx, task.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
			}
		})
	}
}

func TestCreateManyCopy(t *testing.T) {
	t.Parallel()
	b := setup(t, pgstore.Options{})
	_, _, err := b.store.Create(b.ctx, store.NewTask{Type: "t", IdempotencyKey: "key-7"})
	require.NoError(t, err)

	n := pgstore.CopyThreshold
	tasks := make([]store.NewTask, n)
	unkeyed, keys := 0, map[string]bool{}
	for i := range tasks {
		tasks[i] = store.NewTask{
			Type:        "bulk",
			Description: fmt.Sprintf("task %d with a tab\tand a newline\n", i),
			Params:      json.RawMessage(fmt.Sprintf(`{"i": %d, "s": "a\\\\b"}`, i)),
			Priority:    i % 10,
			Events:      json.RawMessage(`["x"]`),
		}
		if i%100 != 7 {
			unkeyed++
			continue
		}
		// Keyed tasks alternate between key-7, which exists already, and
		// key-107, which repeats within the batch.
		tasks[i].IdempotencyKey = fmt.Sprintf("key-%d", i%200)
		keys[tasks[i].IdempotencyKey] = true
	}
	delete(keys, "key-7")
	inserted, err := b.store.CreateMany(b.ctx, tasks)
	require.NoError(t, err)
	require.Equal(t, unkeyed+len(keys), inserted)

	page, err := b.store.List(b.ctx, store.Filter{Type: "bulk", Limit: 1})
	require.NoError(t, err)
	require.Equal(t, inserted, page.Total)
	got := page.Tasks[0]
	require.Contains(t, got.Description, "\tand a newline\n", "COPY keeps special characters")
	var params map[string]any
	require.NoError(t, json.Unmarshal(got.Params, &params))
	require.Equal(t, `a\\b`, params["s"])
	require.JSONEq(t, `["x"]`, string(got.Events))

	// A taken explicit ID fails the whole COPY batch and stores nothing.
	again := make([]store.NewTask, pgstore.CopyThreshold)
	runAfter := time.Now().Add(time.Hour)
	for i := range again {
		again[i] = store.NewTask{Type: "again", Hold: true, RunAfter: runAfter}
	}
	again[len(again)-1].ID = got.ID
	_, err = b.store.CreateMany(b.ctx, again)
	require.ErrorIs(t, err, store.ErrConflict)
	page, err = b.store.List(b.ctx, store.Filter{Type: "again"})
	require.NoError(t, err)
	require.Zero(t, page.Total)

	again[len(again)-1].ID = ""
	inserted, err = b.store.CreateMany(b.ctx, again)
	require.NoError(t, err)
	require.Equal(t, len(again), inserted)
	page, err = b.store.List(b.ctx, store.Filter{Type: "again", Limit: 1})
	require.NoError(t, err)
	require.Equal(t, store.StatusCreated, page.Tasks[0].Status)
	require.True(t, runAfter.Truncate(time.Microsecond).Equal(page.Tasks[0].RunAfter))
}

// TestTimesFromDatabaseClock checks that leases and retry delays are
// computed by the server from its own now(): the differences between
// stamps written by one statement are exactly the requested durations,
// which a client clock (read at another instant) could not produce.
func TestTimesFromDatabaseClock(t *testing.T) {
	t.Parallel()
	b := setup(t, pgstore.Options{})
	task, _, err := b.store.Create(b.ctx, store.NewTask{Type: "t"})
	require.NoError(t, err)

	const lease = 90*time.Second + 123*time.Microsecond
	claimed, err := b.store.Claim(b.ctx, "w1", 1, lease)
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	c := claimed[0]
	require.Equal(t, lease, c.LeaseExpiresAt.Sub(*c.StartedAt))
	require.Equal(t, *c.StartedAt, c.UpdatedAt)

	const retryIn = time.Hour + 7*time.Microsecond
	errs, err := b.store.Finish(b.ctx, []store.Outcome{{TaskID: task.ID, Worker: "w1", Attempt: 1, Kind: store.OutcomeRetry, Error: "e", RetryIn: retryIn}})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	got, err := b.store.Get(b.ctx, task.ID)
	require.NoError(t, err)
	require.Equal(t, store.StatusRetry, got.Status)
	require.Equal(t, retryIn, got.RunAfter.Sub(got.UpdatedAt))

	// The database clock decides what is due: an hour away is not.
	none, err := b.store.Claim(b.ctx, "w1", 1, lease)
	require.NoError(t, err)
	require.Empty(t, none)
	var due bool
	require.NoError(t, b.env.DB.Get(&due, `SELECT run_after <= now() + interval '2 hours' FROM `+b.env.Schema+`.tasks WHERE id = $1`, task.ID))
	require.True(t, due)
}

// TestPlansUseIndexes loads a table shaped like a long-lived queue (many
// finished rows, a few hundred ready and running ones), analyzes it, and
// checks that each hot statement reads the index made for it rather than
// scanning the table.
func TestPlansUseIndexes(t *testing.T) {
	t.Parallel()
	b := setup(t, pgstore.Options{})
	tbl := b.env.Schema + ".tasks"
	for _, q := range []string{
		`INSERT INTO ` + tbl + ` (id, type, status, finished_at)
			SELECT gen_random_uuid(), 't', 'completed', now() FROM generate_series(1, 20000)`,
		`INSERT INTO ` + tbl + ` (id, type, status, priority)
			SELECT gen_random_uuid(), 't', 'queued', g % 5 FROM generate_series(1, 200) g`,
		`INSERT INTO ` + tbl + ` (id, type, status, attempts, locked_by, lease_expires_at)
			SELECT gen_random_uuid(), 't', 'running', 1, 'w' || (g % 20), now() + interval '1 hour'
			FROM generate_series(1, 200) g`,
		`ANALYZE ` + tbl,
	} {
		_, err := b.env.DB.Exec(q)
		require.NoError(t, err)
	}
	minute := int64(time.Minute / time.Microsecond)
	var held []string
	require.NoError(t, b.env.DB.Select(&held, `SELECT id FROM `+tbl+` WHERE locked_by = 'w1'`))
	require.NotEmpty(t, held)
	heldIDs := pq.StringArray(held)
	qs := pgstore.QueriesForTest(b.store)
	// Heartbeats and outcomes name their tasks: they read them by primary
	// key, never by walking all the running rows, as planned at each call
	// and in the generic plan a prepared statement would settle on (which
	// does not know how many tasks are named).
	outcome := func(ids pq.StringArray) []any {
		n := len(ids)
		return []any{ids, pq.StringArray(slices.Repeat([]string{"w1"}, n)), pq.Int64Array(slices.Repeat([]int64{1}, n)),
			pq.StringArray(slices.Repeat([]string{"complete"}, n)), pq.StringArray(slices.Repeat([]string{"null"}, n)),
			pq.StringArray(slices.Repeat([]string{""}, n)), pq.Int64Array(slices.Repeat([]int64{0}, n))}
	}
	// A drain names a thousand tasks at once.
	var many pq.StringArray
	require.NoError(t, b.env.DB.Select(&many, `SELECT id FROM `+tbl+` LIMIT 1000`))
	cases := []struct {
		name    string
		indexes []string
		args    []any
	}{
		{"claim", []string{"tasks_claim_idx"}, []any{"w1", 10, minute, store.DefaultQueue}},
		{"claimTyped", []string{"tasks_claim_idx"}, []any{"w1", 10, minute, store.DefaultQueue, pq.StringArray{"t1", "t2"}}},
		// The plain claim of a queue with partitioned rows merges the two
		// groups of the claim index.
		{"claimMixed", []string{"tasks_claim_idx"}, nil},
		// The fair claim probes the partition index once per partition.
		{"claimFair", []string{"tasks_partition_claim_idx"}, nil},
		{"heartbeat", []string{"tasks_pkey"}, []any{"w1", heldIDs, minute, pq.StringArray{}, pq.Int64Array{}, pq.StringArray{}}},
		{"heartbeat/progress", []string{"tasks_pkey"}, []any{"w1", heldIDs, minute, heldIDs[:1], pq.Int64Array{1}, pq.StringArray{`{"done": 1}`}}},
		{"heartbeat/1000", []string{"tasks_pkey"}, []any{"w1", many, minute, pq.StringArray{}, pq.Int64Array{}, pq.StringArray{}}},
		{"finish", []string{"tasks_pkey"}, outcome(heldIDs)},
		{"finish/1000", []string{"tasks_pkey"}, outcome(many)},
		{"rescue", []string{"tasks_lease_idx"}, []any{100}},
		{"trim", []string{"tasks_created_idx"}, []any{int64(time.Hour / time.Microsecond), 1000}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var plans []string
			query, _, _ := strings.Cut(tc.name, "/")
			switch query {
			case "claim", "claimTyped": // with its settings, and prepared as the store runs it
				plans = append(plans, explain(t, b, qs["claimSettings"], qs[query], tc.args...),
					explainGeneric(t, b, qs["claimSettings"], qs[query], tc.args...))
			case "claimMixed": // with its settings
				plans = append(plans, explain(t, b, qs["claimSettings"], qs[query], tc.args...))
			case "claimFair":
				plans = append(plans, explain(t, b, qs["claimSettings"]+qs["fairSettings"], qs[query], tc.args...))
			case "heartbeat", "finish":
				plans = append(plans, explain(t, b, "", qs[query], tc.args...),
					explainGeneric(t, b, "", qs[query], tc.args...))
			default:
				plans = append(plans, explain(t, b, "", qs[query], tc.args...))
			}
			for _, plan := range plans {
				used := false
				for _, idx := range tc.indexes {
					used = used || strings.Contains(plan, "using "+idx+" on tasks") ||
						strings.Contains(plan, "Bitmap Index Scan on "+idx)
				}
				require.True(t, used, "%s plan uses none of %v:\n%s", tc.name, tc.indexes, plan)
				require.NotContains(t, plan, "Seq Scan on tasks", "%s plan:\n%s", tc.name, plan)
				if query == "claim" || query == "claimTyped" {
					// The queue's rows are read in claim order, not sorted.
					require.NotContains(t, plan, "Sort", "%s plan:\n%s", tc.name, plan)
				}
				if query == "claimMixed" {
					// The one sort merges the first rows of the two groups
					// of tasks_claim_idx (see the claim in queries.go).
					requireOnlyMergeSort(t, plan)
				}
				if query == "heartbeat" || query == "finish" {
					// The named rows are locked (in id order) before the update.
					require.Contains(t, plan, "LockRows", "%s plan:\n%s", tc.name, plan)
				}
			}
		})
	}
}

// requireOnlyMergeSort checks that the only sort in a plain claim's plan
// is the merge of the two groups' first rows, above their ordered scans.
func requireOnlyMergeSort(t *testing.T, plan string) {
	t.Helper()
	keys := regexp.MustCompile(`Sort Key: (\S+)`).FindAllStringSubmatch(plan, -1)
	require.Len(t, keys, 1, plan)
	require.Equal(t, "u.priority", keys[0][1], plan)
}

// scanRowsRe matches the actual rows of a plan node and the rows its
// filter removed.
var scanRowsRe = regexp.MustCompile(`(?:Scan|Scan Backward) using \S+ on tasks.*actual time=\S+ rows=(\d+) loops=(\d+)|Rows Removed by Filter: (\d+)`)

// tasksRowsRead sums, over a plan's scans of tasks, the index entries
// each returned (times its loops) and the rows its filter removed: how
// many rows of tasks the statement read.
func tasksRowsRead(t *testing.T, plan string) int {
	t.Helper()
	n := 0
	for _, m := range scanRowsRe.FindAllStringSubmatch(plan, -1) {
		if m[3] != "" {
			r, err := strconv.Atoi(m[3])
			require.NoError(t, err)
			n += r
			continue
		}
		rows, err := strconv.Atoi(m[1])
		require.NoError(t, err)
		loops, err := strconv.Atoi(m[2])
		require.NoError(t, err)
		n += rows * loops
	}
	return n
}

// TestClaimPlansDoNotScanBacklogs: whatever the mix of partitioned and
// unpartitioned ready rows in a queue, the plain and the fair claim read
// a few rows per partition, never the backlog of one: a partition of
// 100,000 ready tasks beside a small one (the fairness benchmark's
// queue), the same with tasks without a partition behind the backlog,
// and 100,000 tasks without a partition with a few partitioned ones
// behind them.
func TestClaimPlansDoNotScanBacklogs(t *testing.T) {
	t.Parallel()
	const backlog = 100000
	shapes := []struct {
		name string
		rows []string // the backlog's partition, then those of 5 rows each, newer
		// capped is how many of 10 the capped claims take.
		capped int
	}{
		{"big and small", []string{"big", "small"}, 7},
		{"partitioned then unpartitioned", []string{"big", "small", ""}, 10},
		{"unpartitioned then partitioned", []string{"", "small", "other"}, 10},
	}
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, pgstore.Options{})
			tbl := b.env.Schema + ".tasks"
			for i, p := range sh.rows {
				n := 5
				if i == 0 {
					n = backlog
				}
				// The first partition's backlog is older than every other row,
				// so a scan in claim order filtering it out would read all of it.
				_, err := b.env.DB.Exec(`INSERT INTO `+tbl+` (id, type, status, partition, run_after)
					SELECT gen_random_uuid(), 't', 'queued', $1, now() - interval '1 hour' + ($2 * 200000 + g) * interval '1 ms'
					FROM generate_series(1, $3) g`, p, i, n)
				require.NoError(t, err)
			}
			// A few of the backlog's tasks run, for the capped claims to count.
			_, err := b.env.DB.Exec(`UPDATE ` + tbl + ` SET status = 'running', attempts = 1, locked_by = 'w0',
				lease_expires_at = now() + interval '1 hour'
				WHERE id IN (SELECT id FROM ` + tbl + ` ORDER BY run_after LIMIT 3)`)
			require.NoError(t, err)
			_, err = b.env.DB.Exec(`ANALYZE ` + tbl)
			require.NoError(t, err)
			qs := pgstore.QueriesForTest(b.store)
			for _, c := range []struct {
				name, query string
				args        []any
			}{
				// Every shape has partitioned rows: the plain claim merges
				// the two groups of the claim index.
				{"claimMixed", qs["claimMixed"], nil},
				{"claimMixedTyped", qs["claimMixedTyped"], nil},
				{"claimFair", qs["claimFair"], nil},
				// The claims of a queue that caps its partitions (at 5: the
				// backlog's partition has 2 places left).
				{"claimCapped", qs["claimCapped"], nil},
				{"claimCappedFair", qs["claimCappedFair"], nil},
			} {
				settings := qs["claimSettings"]
				if !strings.HasPrefix(c.name, "claimMixed") {
					settings += qs["fairSettings"]
				}
				if strings.HasPrefix(c.name, "claimCapped") {
					require.NoError(t, b.store.SetQueueLimits(b.ctx, store.DefaultQueue, store.QueueLimits{PartitionMaxRunning: 5}))
				}
				plan := explain(t, b, settings, c.query, c.args...)
				require.NotContains(t, plan, "Seq Scan on tasks", "%s plan:\n%s", c.name, plan)
				want := 10
				if strings.HasPrefix(c.name, "claimCapped") {
					want = sh.capped
				}
				require.Regexp(t, fmt.Sprintf(`Update on tasks .*actual time=\S+ rows=%d loops=1`, want), plan, "%s claims %d", c.name, want)
				read := tasksRowsRead(t, plan)
				require.Less(t, read, 200, "%s reads %d rows of tasks:\n%s", c.name, read, plan)
				if !strings.HasPrefix(c.name, "claimMixed") {
					require.Contains(t, plan, "tasks_partition_claim_idx", plan)
				}
			}
		})
	}
}

// explainGeneric prepares query and explains the generic plan of its
// execution with args, the plan a prepared statement settles on.
func explainGeneric(t *testing.T, b *bundle, settings, query string, args ...any) string {
	t.Helper()
	lits := make([]string, len(args))
	for i, a := range args {
		v, err := driver.DefaultParameterConverter.ConvertValue(a)
		if valuer, ok := a.(driver.Valuer); ok {
			v, err = valuer.Value()
		}
		require.NoError(t, err)
		lits[i] = pq.QuoteLiteral(fmt.Sprint(v))
	}
	// A prepared statement outlives the transaction: a name of its own.
	name := fmt.Sprintf("probe_%d", time.Now().UnixNano())
	return explain(t, b, settings+"SET LOCAL plan_cache_mode = force_generic_plan; PREPARE "+name+" AS "+query,
		"EXECUTE "+name+"("+strings.Join(lits, ", ")+")")
}

// TestListPlanUsesIndexes: a page of the listing reads the tasks that are
// not running from tasks_created_idx and the running ones through
// tasks_lease_idx, newest first, and never scans the table, with and
// without a filter.
func TestListPlanUsesIndexes(t *testing.T) {
	t.Parallel()
	b := setup(t, pgstore.Options{})
	tbl := b.env.Schema + ".tasks"
	for _, q := range []string{
		`INSERT INTO ` + tbl + ` (id, type, status, finished_at)
			SELECT gen_random_uuid(), 't', 'completed', now() FROM generate_series(1, 20000)`,
		`INSERT INTO ` + tbl + ` (id, type, status, attempts, locked_by, lease_expires_at)
			SELECT gen_random_uuid(), 't', 'running', 1, 'w', now() + interval '1 hour'
			FROM generate_series(1, 200) g`,
		`ANALYZE ` + tbl,
	} {
		_, err := b.env.DB.Exec(q)
		require.NoError(t, err)
	}
	for _, cond := range []string{"", " WHERE t.type = 't'"} {
		plan := explain(t, b, "", pgstore.ListPageForTest(b.store, cond), 51)
		require.Contains(t, plan, "tasks_created_idx", plan)
		require.Contains(t, plan, "tasks_lease_idx", plan)
		require.NotContains(t, plan, "Seq Scan on tasks", plan)
	}
}

func explain(t *testing.T, b *bundle, settings, query string, args ...any) string {
	t.Helper()
	tx, err := b.env.DB.BeginTxx(b.ctx, nil)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback() }() // EXPLAIN ANALYZE runs the update
	if settings != "" {
		_, err := tx.ExecContext(b.ctx, settings)
		require.NoError(t, err)
	}
	rows, err := tx.QueryContext(b.ctx, `EXPLAIN (ANALYZE, BUFFERS) `+query, args...)
	require.NoError(t, err)
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var line string
		require.NoError(t, rows.Scan(&line))
		lines = append(lines, line)
	}
	require.NoError(t, rows.Err())
	return strings.Join(lines, "\n")
}

// TestFinishDuplicateInBatch sends the same outcome twice in one batch:
// the single statement applies it once and reports the other as lost.
func TestFinishDuplicateInBatch(t *testing.T) {
	t.Parallel()
	b := setup(t, pgstore.Options{})
	for range 3 {
		_, _, err := b.store.Create(b.ctx, store.NewTask{Type: "t"})
		require.NoError(t, err)
	}
	claimed, err := b.store.Claim(b.ctx, "w1", 3, time.Minute)
	require.NoError(t, err)
	require.Len(t, claimed, 3)
	o := func(i int, kind store.OutcomeKind) store.Outcome {
		return store.Outcome{TaskID: claimed[i].ID, Worker: "w1", Attempt: claimed[i].Attempts, Kind: kind}
	}
	errs, err := b.store.Finish(b.ctx, []store.Outcome{
		o(0, store.OutcomeComplete),
		o(0, store.OutcomeComplete),
		o(1, store.OutcomeRetry),
		{TaskID: "not-an-id", Worker: "w1", Attempt: 1, Kind: store.OutcomeComplete},
		o(2, store.OutcomeRelease),
	})
	require.NoError(t, err)
	require.Len(t, errs, 5)
	lost := 0
	for _, e := range errs[:2] {
		if e != nil {
			require.ErrorIs(t, e, store.ErrLeaseLost)
			lost++
		}
	}
	require.Equal(t, 1, lost, "exactly one of the duplicates applies")
	require.NoError(t, errs[2])
	require.ErrorIs(t, errs[3], store.ErrLeaseLost)
	require.NoError(t, errs[4])

	want := map[string]store.Status{
		claimed[0].ID: store.StatusCompleted,
		claimed[1].ID: store.StatusRetry,
		claimed[2].ID: store.StatusQueued,
	}
	for id, st := range want {
		got, err := b.store.Get(b.ctx, id)
		require.NoError(t, err)
		require.Equal(t, st, got.Status, id)
		require.Empty(t, got.LockedBy)
		require.Nil(t, got.LeaseExpiresAt)
	}
	released, err := b.store.Get(b.ctx, claimed[2].ID)
	require.NoError(t, err)
	require.Zero(t, released.Attempts, "a release does not count the attempt")
}

// TestCreateManyFieldsBothPaths checks that every field survives both bulk
// paths (parameter arrays below CopyThreshold, COPY from it).
func TestCreateManyFieldsBothPaths(t *testing.T) {
	t.Parallel()
	for _, size := range []int{3, pgstore.CopyThreshold} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			t.Parallel()
			b := setup(t, pgstore.Options{})
			runAfter := time.Now().Add(time.Hour).Add(789 * time.Nanosecond)
			tasks := make([]store.NewTask, size)
			for i := range tasks {
				tasks[i] = store.NewTask{Type: "filler"}
			}
			tasks[0] = store.NewTask{
				ID: "0190a0b0-c0d0-7e0f-8a0b-0c0d0e0f1011", Type: "full", Description: "d\\n\ttab",
				Domain: "billing", Params: json.RawMessage(`{"a":[1,2]}`), Priority: 42, MaxAttempts: 9,
				RunAfter: runAfter, IdempotencyKey: "key", Events: json.RawMessage(`{"e":true}`),
			}
			n, err := b.store.CreateMany(b.ctx, tasks)
			require.NoError(t, err)
			require.Equal(t, size, n)
			got, err := b.store.Get(b.ctx, tasks[0].ID)
			require.NoError(t, err)
			require.Equal(t, "full", got.Type)
			require.Equal(t, "d\\n\ttab", got.Description)
			require.Equal(t, "billing", got.Domain)
			require.JSONEq(t, `{"a":[1,2]}`, string(got.Params))
			require.Equal(t, 42, got.Priority)
			require.Equal(t, 9, got.MaxAttempts)
			require.True(t, runAfter.Truncate(time.Microsecond).Equal(got.RunAfter), "run_after %s", got.RunAfter)
			require.Equal(t, "key", got.IdempotencyKey)
			require.JSONEq(t, `{"e":true}`, string(got.Events))
			require.Equal(t, store.StatusQueued, got.Status)
			filler, err := b.store.List(b.ctx, store.Filter{Type: "filler", Limit: 1})
			require.NoError(t, err)
			require.Equal(t, size-1, filler.Total)
			require.Empty(t, filler.Tasks[0].IdempotencyKey)
			require.Nil(t, filler.Tasks[0].Events)
			require.WithinDuration(t, filler.Tasks[0].CreatedAt, filler.Tasks[0].RunAfter, time.Second, "run_after defaults to now()")
		})
	}
}

// TestCloseKeepsCallerPool: Close releases the prepared statements; a
// store made by New keeps working on its caller's pool afterwards, while
// one made by Open has closed its own.
func TestCloseKeepsCallerPool(t *testing.T) {
	t.Parallel()
	b := setup(t, pgstore.Options{})
	_, _, err := b.store.Create(b.ctx, store.NewTask{Type: "before"})
	require.NoError(t, err)
	require.NoError(t, b.store.Close())
	task, created, err := b.store.Create(b.ctx, store.NewTask{Type: "after"})
	require.NoError(t, err)
	require.True(t, created)
	tasks, err := b.store.Claim(b.ctx, "w", 10, time.Minute)
	require.NoError(t, err)
	require.Len(t, tasks, 2)
	errs, err := b.store.Finish(b.ctx, []store.Outcome{{TaskID: task.ID, Worker: "w", Attempt: 1, Kind: store.OutcomeComplete}})
	require.NoError(t, err)
	require.NoError(t, errs[0])

	own, err := pgstore.Open(b.ctx, b.env.DSN, pgstore.Options{Schema: b.env.Schema})
	require.NoError(t, err)
	_, _, err = own.Create(b.ctx, store.NewTask{Type: "own"})
	require.NoError(t, err)
	require.NoError(t, own.Close())
	_, _, err = own.Create(b.ctx, store.NewTask{Type: "closed"})
	require.Error(t, err)
}

// singleConnStore returns a pool of one connection to b's database and
// a store on it, in b's schema, made with opts.
func singleConnStore(t *testing.T, b *bundle, opts pgstore.Options) (*sqlx.DB, *pgstore.Store) {
	t.Helper()
	db, err := sqlx.Open("postgres", b.env.DSN)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(1)
	opts.Schema = b.env.Schema
	s, err := pgstore.New(db, opts)
	require.NoError(t, err)
	return db, s
}

// TestNoPrepare checks on a single connection that the store prepares its
// insert statement and its plain claim by default and prepares none with
// NoPrepare.
func TestNoPrepare(t *testing.T) {
	t.Parallel()
	for _, noPrepare := range []bool{false, true} {
		t.Run(fmt.Sprint("NoPrepare=", noPrepare), func(t *testing.T) {
			t.Parallel()
			b := setup(t, pgstore.Options{})
			db, s := singleConnStore(t, b, pgstore.Options{NoPrepare: noPrepare})
			task, _, err := s.Create(b.ctx, store.NewTask{Type: "p"})
			require.NoError(t, err)
			_, err = s.Claim(b.ctx, "w", 1, time.Minute)
			require.NoError(t, err)
			_, err = s.Finish(b.ctx, []store.Outcome{{TaskID: task.ID, Worker: "w", Attempt: 1, Kind: store.OutcomeComplete}})
			require.NoError(t, err)
			var n int
			require.NoError(t, db.GetContext(b.ctx, &n, `SELECT count(*) FROM pg_prepared_statements`))
			if noPrepare {
				require.Zero(t, n)
			} else {
				require.Equal(t, 2, n, "the insert and the claim")
			}
		})
	}
}

// TestClaimPreparedAgain: the plain claim runs a statement prepared on its
// connection; on a connection that lost it (a session reset) the claim
// prepares it again and claims, and the typed claim has one of its own.
func TestClaimPreparedAgain(t *testing.T) {
	t.Parallel()
	b := setup(t, pgstore.Options{})
	db, s := singleConnStore(t, b, pgstore.Options{})
	claims := func() []string {
		var names []string
		require.NoError(t, db.SelectContext(b.ctx, &names,
			`SELECT name FROM pg_prepared_statements WHERE from_sql AND statement LIKE 'PREPARE %' ORDER BY name`))
		return names
	}
	for i := range 3 {
		_, _, err := s.Create(b.ctx, store.NewTask{Type: "p", Priority: 3 - i})
		require.NoError(t, err)
	}
	got, err := s.Claim(b.ctx, "w", 1, time.Minute)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, 3, got[0].Priority)
	names := claims()
	require.Len(t, names, 1)

	_, err = db.ExecContext(b.ctx, `DEALLOCATE `+names[0])
	require.NoError(t, err)
	got, err = s.Claim(b.ctx, "w", 1, time.Minute)
	require.NoError(t, err, "a claim on a connection without the statement")
	require.Len(t, got, 1)
	require.Equal(t, 2, got[0].Priority)
	require.Equal(t, names, claims())

	got, err = s.ClaimMatching(b.ctx, "w", 5, time.Minute, store.ClaimFilter{Types: []string{"other"}})
	require.NoError(t, err)
	require.Empty(t, got)
	got, err = s.ClaimMatching(b.ctx, "w", 5, time.Minute, store.ClaimFilter{Types: []string{"other", "p"}})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, 1, got[0].Priority)
	require.Len(t, claims(), 2, "the plain and the typed claim")
}

// TestTraceContextWrittenByHand: a trace_context the input contract would
// refuse (written by hand) is read as none and named in Task.Invalid, so
// the task still reads and renders.
func TestTraceContextWrittenByHand(t *testing.T) {
	t.Parallel()
	b := setup(t, pgstore.Options{})
	task, _, err := b.store.Create(b.ctx, store.NewTask{Type: "t",
		TraceContext: map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}})
	require.NoError(t, err)
	for _, raw := range []string{`[1]`, `{"traceparent": 5}`, `{"Upper": "x"}`, `"text"`} {
		_, err := b.env.DB.Exec(`UPDATE `+b.env.Schema+`.tasks SET trace_context = $1::jsonb WHERE id = $2`, raw, task.ID)
		require.NoError(t, err)
		got, err := b.store.Get(b.ctx, task.ID)
		require.NoError(t, err, raw)
		require.Nil(t, got.TraceContext, raw)
		require.Equal(t, []string{"trace_context"}, got.Invalid, raw)
		_, err = json.Marshal(got)
		require.NoError(t, err)
	}
}

// TestPlainClaimLearnsPartitionedRows: a store whose queue had no
// partitioned rows claims with one scan of the claim index's first group;
// when another process adds a partitioned task that comes first in claim
// order, the next claim still takes it (the scan's guard takes nothing,
// and the store claims again merging both groups), and once the queue
// has no partitioned rows left its claims take the rest in order.
func TestPlainClaimLearnsPartitionedRows(t *testing.T) {
	t.Parallel()
	for _, limits := range []store.QueueLimits{{}, {MaxRunning: 100}} {
		t.Run(fmt.Sprintf("max_running=%d", limits.MaxRunning), func(t *testing.T) {
			t.Parallel()
			b := setup(t, pgstore.Options{})
			require.NoError(t, b.store.SetQueueLimits(b.ctx, store.DefaultQueue, limits))
			other, err := pgstore.New(b.env.DB, pgstore.Options{Schema: b.env.Schema})
			require.NoError(t, err)
			var plain []string
			for range 3 {
				task, _, err := b.store.Create(b.ctx, store.NewTask{Type: "t"})
				require.NoError(t, err)
				plain = append(plain, task.ID)
			}
			got, err := b.store.Claim(b.ctx, "w1", 1, time.Minute)
			require.NoError(t, err)
			require.Equal(t, plain[:1], taskIDs(got))
			urgent, _, err := other.Create(b.ctx, store.NewTask{Type: "t", Partition: "p", Priority: 5})
			require.NoError(t, err)
			got, err = b.store.Claim(b.ctx, "w1", 1, time.Minute)
			require.NoError(t, err)
			require.Equal(t, []string{urgent.ID}, taskIDs(got), "the partitioned task first in claim order")
			got, err = b.store.Claim(b.ctx, "w1", 1, time.Minute)
			require.NoError(t, err)
			require.Equal(t, plain[1:2], taskIDs(got))
			got, err = b.store.Claim(b.ctx, "w1", 5, time.Minute)
			require.NoError(t, err)
			require.Equal(t, plain[2:], taskIDs(got))
		})
	}
}

// taskIDs returns the ids of ts, in order.
func taskIDs(ts []store.Task) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}
