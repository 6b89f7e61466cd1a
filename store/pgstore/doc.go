// Package pgstore is the PostgreSQL task store: durable, and shared by
// every process that connects to the same database and schema. It
// implements [store.Store] and the worker half of the queue (Claim,
// Heartbeat, Finish, Rescue, DeleteFinished), and passes the store/storetest
// conformance suite.
//
// # Setup
//
// [New] wraps a *sqlx.DB (driver "postgres", github.com/lib/pq) that the
// caller owns; [Open] connects from a DSN and owns the pool. Every table
// lives in one schema, [Options.Schema] (default "seedcore"), which is also
// the LISTEN/NOTIFY channel. [Store.Migrate] creates the schema when
// missing and applies the embedded migrations (migrations/*.sql) in one
// transaction under an advisory lock keyed on the schema, so it is
// idempotent and safe to run from many processes at start-up;
// [Store.SchemaVersion] reports the applied version, recorded in
// <schema>.schema_migrations.
//
// # Statements
//
// Each operation is a single SQL statement, so each is one round trip and
// one commit:
//
//   - Claim: UPDATE … WHERE id = ANY(ARRAY(SELECT id … WHERE status IN
//     ('queued','retry') AND run_after <= now() ORDER BY priority DESC,
//     run_after, id LIMIT n FOR UPDATE SKIP LOCKED)) … RETURNING, served by
//     the partial index tasks_claim_idx, which holds only ready rows, a
//     queue's tasks without a partition apart from its partitioned ones
//     (the claim of a queue that has both merges the first rows of the
//     two). A fair claim, and the
//     claim of a queue that caps its partitions
//     (store.QueueLimits.PartitionMaxRunning), also probe
//     tasks_partition_claim_idx, which holds only partitioned ready rows,
//     once per partition.
//   - Heartbeat: one UPDATE, by primary key, of the running tasks the
//     worker names and still holds, which also writes their progress
//     (HeartbeatProgress).
//   - Finish: one UPDATE … FROM unnest(…) for a whole batch of outcomes,
//     fenced by status, worker and attempt; the rows it returns say which
//     outcomes applied.
//   - Rescue and DeleteFinished: bounded batches with SKIP LOCKED, so
//     several maintenance processes never block each other.
//
// Heartbeat and Finish lock the rows they name in id order
// before updating them, and every other statement that locks several rows
// skips those locked by others, so no two statements can wait for each
// other's rows (no deadlock_detected errors under load).
//
// Every time is the database's: stamps use now(), and lease and retry
// durations are sent as microseconds and added on the server, so clients
// with skewed clocks agree. The insert statements, whose plan reads no
// table, are prepared once per connection, which skips their parsing and
// planning on every call; so is the plain claim (of a queue without
// limits or partitioned tasks), whose settings leave the planner one
// plan, an ordered scan of the claim index, however large the table;
// [Options.NoPrepare] turns that off for connection poolers that cannot
// keep prepared statements. Every other statement that reads the table
// (outcome, heartbeat, rescue, the other claims) is planned at each call
// with its actual parameters and the table's current size: a cached
// generic plan made while the table was nearly empty would keep a
// sequential scan as it grows.
//
// [Store.Create] shares statements among concurrent callers: a call that
// finds no insert under way runs its own at once; calls that arrive while
// one runs queue, and are stored together in one statement and one commit
// when it ends (up to 256), each getting its own task or error. A queued
// caller whose context ends leaves the queue and stores nothing.
//
// [Store.CreateMany] streams tasks with COPY into a temporary table and
// moves them in with one INSERT … SELECT … ON CONFLICT DO NOTHING on the
// idempotency key. [Store.CreateTx] creates a task inside the caller's
// transaction, so it exists, and its notification is sent, only if that
// transaction commits.
//
// # Notifications
//
// The store notifies on the channel named after the schema with
// pg_notify. Payloads carry task ids, never task data. Two kinds of
// statement send them:
//
//   - Inserts, Run, Cancel and the "r" of Rescue
//     notify inside the statement itself (CreateMany in its transaction),
//     so the notification is delivered only when the change commits.
//   - Claim, Finish, and the "c" of Rescue commit
//     without notifying. After they commit, the store sends their
//     notifications in a statement of its own with an asynchronous commit
//     (see Performance below), folding calls that arrive while one is
//     under way; "c" lingers 100 ms to gather a burst.
//
// The payloads:
//
//   - "r": new work may be ready (create, bulk create, run, a retry or
//     release that is due at once, a rescue to retry).
//   - "c:<id>,<id>,…": these tasks' statuses changed (run and cancel name
//     their task; claims, outcomes and rescues are gathered and named
//     together, up to 200 ids a payload, several payloads in one
//     statement, under PostgreSQL's 8,000-byte limit). A plain "c" says
//     some tasks changed, which ones is not known: it is sent instead when
//     more than 1,200 ids are owed at once. [Options.NoStatusNotify] turns
//     them off for deployments that do not stream status changes.
//   - "x:<id>": a running task was asked to cancel.
//
// [Listener] receives them over a dedicated pq.Listener connection and
// implements [store.TaskNotifier]. It maps "r", "c" and "x" to
// [store.EventReady], [store.EventChanged] and [store.EventCancel]; a
// subscriber of one task ([Listener.SubscribeTask]) gets only the events
// naming it (and those naming no task), and a subscriber of all events
// gets one EventChanged per "c" payload. After LISTEN is in place and
// after every reconnection it publishes [store.EventResync], because
// notifications sent while it was disconnected are lost.
// [Listener.Serve] is a suture-compatible service; run one per process.
//
// # Performance
//
// The hot table is lean: one partial index serves the claim, a small
// partial index serves rescue, heartbeats and outcomes go by primary key,
// the creation index (listings, retention) leaves running rows out, so a
// claim enters two indexes, not three, no trigger fires per row, and JSON
// columns have no GIN index. The table is created with fillfactor 80 and
// aggressive autovacuum settings, because claims leave dead entries in the
// claim index until vacuum (or a later scan) clears them. Throughput is
// won by batching: claim as many tasks as there are free workers and
// finish them in one call; concurrent inserts share statements.
//
// [Open] tunes its pool for this: it keeps [DefaultMaxIdleConns] idle
// connections (database/sql keeps two, so a busy store would start a new
// server process for most statements beyond two at once), bounds it at
// [DefaultMaxOpenConns] ([Options.MaxOpenConns]), so a burst of readers
// waits for a connection rather than exhausting the server's, and it turns on
// lib/pq's binary_parameters unless the DSN sets it, so a statement and its
// parameters travel in one round trip instead of two (the store sends
// every parameter as text, so results are the same). Its connection
// attempts give up after [DefaultConnectTimeout] unless the DSN sets
// connect_timeout, and return when the caller's context ends, even in the
// middle of the start-up exchange, which lib/pq does not bound by the
// context; the [Listener] connects the same way. A pool given to [New]
// is used as its caller configured it; raise its idle connections.
//
// Notifications have a price beyond the payload: PostgreSQL serializes
// the commits of all transactions that notify (across the whole server) on
// one lock held through the commit's WAL flush, so such commits cannot
// share a flush. Claims and outcomes therefore commit without notifying
// and a per-store sender notifies after them; with many concurrent
// claimers [Options.NoStatusNotify] can matter more than the single-writer
// benchmarks below show. BenchmarkClaimComplete and BenchmarkCreateMany
// measure it:
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	    go test -run '^$' -bench . ./store/pgstore/
//
// # Testing
//
// The tests use internal/pgtest: each gets its own schema on the database
// named by TEST_DATABASE_URL and skips without it.
package pgstore
