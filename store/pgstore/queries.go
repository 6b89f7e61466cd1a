package pgstore

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/seedcore/seedcore/store"
)

// queries holds the SQL of one store, built once in New with the validated
// schema name (the only identifier ever spliced into SQL) and the channel
// literal.
type queries struct {
	insert, insertMany, insertBatch        string
	byID, byPrefix, byKey, statusOf        string
	run, cancel, counts, setEnrichment     string
	claim, heartbeat, finish, rescue, trim string
	pauseQueue, resumeQueue, setLimits     string
	queueCounts, queueStates, readyTypes   string
	// claimLimitedWith is claimWith for a queue with limits; queueLimited
	// is the statement before a claim that tells (and, FOR UPDATE, locks)
	// a limited queue's row, given the queue literal.
	claimLimitedWith func(worker, limit, leaseUS, queue, cond, fair string, capped, mixed bool) string
	queueLimited     func(queue string, lock, probe bool) string
	// hasParted tells whether the queue $1 has partitioned rows (see
	// pick).
	hasParted string
	// notify sends the notifications of statements that commit without
	// them (finish, claim), outside their durable commit.
	notify string
	// claimSettings precede claim in the same implicit transaction.
	claimSettings string
	// fairSettings follow claimSettings before a fair claim.
	fairSettings string
	// claimWith returns the claim with its four values (SQL literals) in
	// place of claim's $1 (worker), $2 (limit), $3 (lease in
	// microseconds) and $4 (queue), for Store.Claim's one simple-protocol
	// message; cond, when not empty, is a further SQL condition on the
	// ready rows (see claimCond); fair, when not empty, makes it the fair
	// claim (see store.ClaimFilter.Fair), with fair as the order of
	// partitions at equal rank (see fairTurn); mixed makes the plain
	// claim the one for a queue with partitioned rows (see pick).
	claimWith func(worker, limit, leaseUS, queue, cond, fair string, mixed bool) string
	// claimTyped is the claim of the tasks whose type is in the text array
	// $5, as Store.ClaimMatching sends it for a filter with types.
	claimTyped string
	// claimName and claimTypedName name claim and claimTyped prepared
	// with PREPARE on a connection (see Store.claimPrepared): names of
	// their own per schema, so stores on one pool never share one.
	claimName, claimTypedName string
	// genericPlan precedes the EXECUTE of a prepared claim, after
	// claimSettings: the claim runs its generic plan, made once under
	// claimSettings, instead of being planned at each call.
	genericPlan string
}

// rescued is the status a rescued task (of an expired lease or a lost
// process) moves to: the attempt counts.
const rescued = `CASE
	    WHEN t.cancel_requested THEN 'cancelled'
	    WHEN t.attempts >= t.max_attempts THEN 'failed'
	    ELSE 'retry' END`

// terminalList is the SQL list of terminal statuses.
const terminalList = `('completed', 'failed', 'cancelled')`

// asyncCommit, joined into a statement's FROM list, makes the statement's
// own (implicit) transaction commit without waiting for its WAL to reach
// disk. Only statements whose loss in a database crash is harmless use it.
const asyncCommit = `(SELECT set_config('synchronous_commit', 'off', true)) async_commit`

// notifyWrap turns a data-modifying CTE named upd into one statement that
// also runs the notifications in notes (each a SELECT pg_notify(...) ...
// over upd) and returns cols from upd (aliased t). Notifications sent with
// pg_notify inside the statement are delivered only when its transaction
// commits, and PostgreSQL folds identical payloads of one transaction into
// one.
func notifyWrap(upd, cols string, notes []string) string {
	if len(notes) == 0 {
		return `WITH upd AS (` + upd + `) SELECT ` + cols + ` FROM upd t`
	}
	return `WITH upd AS (` + upd + `), n AS (` + strings.Join(notes, " UNION ALL ") + `)
SELECT ` + cols + ` FROM upd t, (SELECT count(*) FROM n) n_`
}

// limitedCond is true of a queues row that sets a limit.
const limitedCond = `(max_running IS NOT NULL OR rate IS NOT NULL OR partition_max_running IS NOT NULL)`

// claimCond is the claim's condition for a filter whose types are the
// text array types (an SQL expression): tasks of other types are passed
// over and stay ready.
func claimCond(types string) string { return `type = ANY(` + types + `)` }

// appendAttempt is the attempt_history of the running row t with its
// attempt appended, ending now in the status outcome (an SQL expression)
// with the error text msg: the latest store.MaxAttemptHistory attempts,
// each error cut to store.MaxAttemptErrorChars. The SET list of an UPDATE
// sees the row as it was, so the attempt's number, worker and start are
// the running attempt's.
func appendAttempt(outcome, msg string) string {
	return appendAttemptAt(outcome, msg, `now()`)
}

// appendAttemptAt is appendAttempt with the attempt ending at finished.
//
// A task's last attempt, when it ended the task (completed, failed or
// cancelled, by Finish), is not written into attempt_history: the row
// keeps the attempt's worker in locked_by, and the reader (see
// impliedAttempt) adds the attempt from the row's own columns. Building
// the entry cost an outcome 3.5-4 µs a task (a statement finishing 1,000
// tasks took 13.4 ms instead of 9.4). An operator's retry writes it in
// (retrySet) before the row runs again.
func appendAttemptAt(outcome, msg, finished string) string {
	entry := `jsonb_build_array(jsonb_strip_nulls(jsonb_build_object('attempt', t.attempts, 'worker', t.locked_by,
	    'started_at', t.started_at, 'finished_at', ` + finished + `, 'outcome', ` + outcome + `,
	    'error', nullif(left(` + msg + `, ` + strconv.Itoa(store.MaxAttemptErrorChars) + `), ''))))`
	return `CASE WHEN t.attempt_history IS NULL THEN ` + entry + `
	    WHEN jsonb_array_length(t.attempt_history) < ` + strconv.Itoa(store.MaxAttemptHistory) + `
	    THEN t.attempt_history || ` + entry + `
	    ELSE (t.attempt_history - 0) || ` + entry + ` END`
}

func buildQueries(schema string, statusNotify bool) queries {
	tbl := schema + ".tasks"
	ch := "'" + schema + "'" // a validated name needs no escaping
	note := func(payload, where string) string {
		return `SELECT pg_notify(` + ch + `, ` + payload + `)` + where
	}
	status := func(n ...string) []string {
		if statusNotify {
			return n
		}
		return nil
	}
	var q queries

	// Inserts carry their "r" notification in their own transaction, so it
	// is delivered exactly when the task becomes visible. That makes insert
	// transactions take PostgreSQL's notify lock (see notify below) through
	// their WAL flush, but a store has at most one insert statement of its
	// own under way at a time (see inserter), and sending the notification
	// in a statement of its own after the commit cost a second statement
	// per insert: with eight producers and the workers running, 1,900
	// inserts/s that way against 3,200-3,600/s this way.
	q.insert = notifyWrap(`INSERT INTO `+tbl+` AS t
	(id, type, description, domain, params, status, priority, max_attempts,
	 run_after, idempotency_key, events, trace_context, queue, partition)
	VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8,
	 coalesce($9::timestamptz, now()), nullif($10, ''), $11::jsonb, $12::jsonb, $13, $14)
	ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
	RETURNING t.*`, taskCols,
		[]string{note(`'r'`, ` FROM upd WHERE status = 'queued' AND run_after <= now()`)})

	// NOTIFY holds a cluster-wide lock from its transaction's pre-commit to
	// its end, through the WAL flush of a synchronous commit, so notifying
	// transactions commit one at a time. Outcomes and claims therefore
	// commit without notifying, and their notifications go out in
	// this separate statement, whose own commit is asynchronous (it writes
	// nothing but the notification, so losing it in a crash loses only a
	// hint).
	q.notify = `SELECT count(pg_notify(` + ch + `, p)) FROM ` + asyncCommit + `, unnest($1::text[]) p`

	// unnestInsert stores the tasks given as one parameter array per
	// column (see taskArrays), skipping those whose idempotency key is
	// taken, and returns cols of the stored rows. It inserts them in key
	// order (then in the order given, so the first of a repeated key is
	// the one stored): an insert that meets a key inserted by a
	// transaction not yet committed waits for it, and two batches holding
	// the same keys in different orders deadlocked.
	unnestInsert := func(cols string) string {
		return `INSERT INTO ` + tbl + ` AS t
	(id, type, description, domain, params, status, priority, max_attempts,
	 run_after, idempotency_key, events, trace_context, queue, partition)
	SELECT id, type, description, domain, params::jsonb, status, priority, max_attempts,
	 coalesce(nullif(run_after, '')::timestamptz, now()), nullif(key, ''), nullif(events, '')::jsonb,
	 nullif(trace, '')::jsonb, queue, partition
	FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
	            $7::int[], $8::int[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])
	     WITH ORDINALITY AS n(id, type, description, domain, params, status, priority, max_attempts, run_after, key, events, trace,
	                          queue, partition, ord)
	ORDER BY key, ord
	ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
	RETURNING ` + cols
	}
	q.insertMany = notifyWrap(unnestInsert(`t.status, t.run_after`), `count(*)`,
		[]string{note(`'r'`, ` WHERE EXISTS (SELECT 1 FROM upd WHERE status = 'queued' AND run_after <= now())`)})
	// insertBatch stores the tasks of concurrent Create calls (see
	// inserter), with one "r" when any is ready.
	q.insertBatch = notifyWrap(unnestInsert(`t.*`), taskCols,
		[]string{note(`'r'`, ` FROM upd WHERE status = 'queued' AND run_after <= now()`)})

	q.byID = `SELECT ` + taskCols + ` FROM ` + tbl + ` t WHERE t.id = $1`
	q.byPrefix = `SELECT ` + taskCols + ` FROM ` + tbl + ` t
	WHERE t.id BETWEEN $1::uuid AND $2::uuid ORDER BY t.id LIMIT 2`
	q.byKey = `SELECT ` + taskCols + ` FROM ` + tbl + ` t WHERE t.idempotency_key = $1`
	q.statusOf = `SELECT status FROM ` + tbl + ` WHERE id = $1`

	q.run = notifyWrap(`UPDATE `+tbl+` t SET status = 'queued', updated_at = now()
	WHERE t.id = $1 AND t.status = 'created' RETURNING t.*`, taskCols,
		append([]string{note(`'r'`, ` FROM upd WHERE run_after <= now()`)},
			status(note(`'c:' || id`, ` FROM upd`))...))

	cancelNote := note(`CASE WHEN status = 'running' THEN 'x:' ELSE 'c:' END || id`, ` FROM upd`)
	if !statusNotify {
		cancelNote += ` WHERE status = 'running'`
	}
	q.cancel = notifyWrap(`UPDATE `+tbl+` t SET
	status = CASE WHEN t.status = 'running' THEN 'running' ELSE 'cancelled' END,
	cancel_requested = (t.status = 'running'),
	finished_at = CASE WHEN t.status = 'running' THEN NULL ELSE now() END,
	updated_at = now()
	WHERE t.id = $1 AND t.status IN ('created', 'queued', 'retry', 'running')
	RETURNING t.*`, taskCols, []string{cancelNote})

	q.counts = `SELECT status, count(*) FROM ` + tbl + ` GROUP BY status`
	queues := schema + ".queues"
	q.pauseQueue = `INSERT INTO ` + queues + ` (name, paused) VALUES ($1, true)
	ON CONFLICT (name) DO UPDATE SET paused = true, updated_at = now()`
	// A resume wakes the pools when it unpaused the queue.
	q.resumeQueue = `WITH upd AS (UPDATE ` + queues + ` SET paused = false, updated_at = now()
	WHERE name = $1 AND paused RETURNING name)
	SELECT count(pg_notify(` + ch + `, 'r')) FROM upd`
	// Setting limits fills the bucket, and wakes the pools.
	q.setLimits = `WITH up AS (INSERT INTO ` + queues + ` AS q (name, max_running, rate, burst, tokens, tokens_at, partition_max_running)
	VALUES ($1, nullif($2, 0), nullif($3, 0::float8), nullif($4, 0), $4, clock_timestamp(), nullif($5, 0))
	ON CONFLICT (name) DO UPDATE SET max_running = excluded.max_running, rate = excluded.rate,
	    burst = excluded.burst, tokens = excluded.tokens, tokens_at = excluded.tokens_at,
	    partition_max_running = excluded.partition_max_running, updated_at = now()
	RETURNING name)
	SELECT count(pg_notify(` + ch + `, 'r')) FROM up`
	q.queueCounts = `SELECT queue, status, count(*) FROM ` + tbl + ` GROUP BY queue, status`
	q.readyTypes = `SELECT queue, type, count(*) FROM ` + tbl + `
	WHERE status IN ('queued', 'retry') AND run_after <= now() GROUP BY queue, type`
	q.queueStates = `SELECT name, paused, coalesce(max_running, 0), coalesce(rate, 0), coalesce(burst, 0),
	coalesce(partition_max_running, 0) FROM ` + queues + `
	WHERE paused OR ` + limitedCond
	q.setEnrichment = `UPDATE ` + tbl + ` SET enrichment = $2::jsonb, updated_at = now() WHERE id = $1`

	// The claim: the inner SELECT walks the claim's queue in
	// tasks_claim_idx in claim order and skips rows other claimers hold
	// (nothing when the queue is paused: a one-time condition, checked
	// before the scan); its WHERE repeats the index predicate
	// literally so the planner can use the partial index. The picked ids
	// come back as one array, so the update fetches exactly those rows by
	// primary key (a join on a subquery of ids let the planner hash-join the
	// whole table), and no notification rides on it: its "c" goes out
	// through the waker.
	//
	// A claim commits asynchronously (synchronous_commit = off in
	// claimSettings): if the database crashes before the commit reaches
	// disk, the claim is forgotten and the task is simply claimed again,
	// which at-least-once delivery allows. The task's outcome is written
	// with a synchronous commit, which also flushes the claim before it.
	//
	// It runs after claimSettings in one simple-protocol message (one
	// implicit transaction, one round trip; see Store.Claim). The settings
	// keep the planner on an ordered scan of tasks_claim_idx: a bitmap scan
	// of it (which the planner prefers when its statistics are stale, as
	// after a burst) reads every dead entry left by earlier claims and never
	// marks them dead, so each claim got slower until the next vacuum; an
	// ordered scan stops at LIMIT and marks the dead entries it passes.
	q.claimSettings = `SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off; ` +
		`SET LOCAL synchronous_commit = off; `
	// The fair claim joins its ranked candidates (a few rows per
	// partition) to the table to lock them. The planner cannot tell how
	// few they are (their count per partition is a parameter, the number
	// of partitions the result of a recursive scan) and, with a large
	// backlog, hash-joined them to a scan of every row of the table; a
	// nested loop reads each candidate by primary key. The claim by
	// partition is a large plan, costed high by the settings that turn
	// plans off: without jit = off, PostgreSQL compiled it on every claim
	// (seconds on a loaded machine, for a claim that runs in milliseconds).
	q.fairSettings = `SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; SET LOCAL jit = off; `
	// pick is the claim's choice of ids: up to limit ready rows of the
	// queue that satisfy cond (with its leading AND, or empty), unless
	// the queue's row satisfies stop, in claim order, skipping rows other
	// claimers hold.
	//
	// tasks_claim_idx keeps a queue's ready rows in two groups, those
	// without a partition first (its second key is partition <> ''), each
	// in claim order. A queue without partitioned ready rows, which is
	// most queues, is read as before partitions existed: one ordered scan
	// of the first group, guarded by a one-time probe of the second (the
	// pick takes nothing when the queue has partitioned rows; the store,
	// finding nothing claimed, asks with hasParted, and claims again). For
	// a queue with such rows the store uses the mixed pick (mixed): it
	// locks the first rows of each group (two ordered scans, CTEs because
	// a locking clause cannot sit under a UNION) and keeps the first limit
	// of them in claim order; the look before it (queueLimited with probe)
	// tells when the queue has none left. The rows of the other group it
	// locked and did not keep stay locked until the claim commits, in the
	// same message.
	//
	// The fair pick (see store.ClaimFilter.Fair) first finds the
	// partitions with ready rows, one probe of tasks_partition_claim_idx
	// each (a loose index scan; that index holds only partitioned rows)
	// and one probe of tasks_claim_idx for the partition "", takes the
	// first rows of each in claim order (enough for its share of limit,
	// and one more), those of "" from the first group of tasks_claim_idx,
	// and ranks each row within its partition: the claim takes rank 0 of
	// every partition, then rank 1, and so on; at equal rank, partitions
	// go in the order fair (see fairTurn), which is empty for the plain
	// claim.
	//
	// A queue with a partition cap (queues.partition_max_running, read by
	// the limited claim from its lim CTE) claims partition by partition,
	// plain or fair: the loose scan finds the partitions with ready rows,
	// the running rows of the queue are counted by partition once (read
	// through tasks_lease_idx, however large the backlog), and
	// each partition yields at most its room under the cap (none when
	// full) of its first rows; the partition "" is not capped. The plain
	// capped claim then keeps the first limit candidates in claim order,
	// the fair one ranks them as above.
	//
	// The conditions are written so the planner matches them to the
	// indexes: (partition <> '') IS FALSE and IS TRUE are the two groups
	// of tasks_claim_idx (NOT of it would be rewritten to partition = '',
	// which the index does not hold), and partition > '' implies the
	// predicate of tasks_partition_claim_idx (partition <> '') without
	// matching the claim index's second key, which the planner otherwise
	// chose for a partition's rows, reading past other partitions' rows.
	ready := func(queue, cond string) string {
		return `queue = ` + queue + ` AND status IN ('queued', 'retry') AND run_after <= now()` + cond
	}
	const unparted, parted, inPartIdx = `(partition <> '') IS FALSE`, `(partition <> '') IS TRUE`, `partition > ''`
	// hasParted is true of the queue's queued and retry rows with a
	// partition, due or not: one descent into the second group.
	hasParted := func(queue string) string {
		return `queue = ` + queue + ` AND status IN ('queued', 'retry') AND ` + parted
	}
	pick := func(queue, cond, stop, limit, fair string, capped, mixed bool) string {
		paused := `NOT EXISTS (SELECT FROM ` + schema + `.queues WHERE name = ` + queue + ` AND ` + stop + `)`
		if fair == "" && !capped && !mixed {
			return `SELECT id FROM ` + tbl + `
	      WHERE ` + ready(queue, cond) + ` AND ` + unparted + `
	        AND ` + paused + `
	        AND NOT EXISTS (SELECT FROM ` + tbl + ` WHERE ` + hasParted(queue) + `)
	      ORDER BY priority DESC, run_after, id
	      LIMIT ` + limit + `
	      FOR UPDATE SKIP LOCKED`
		}
		if fair == "" && !capped {
			group := func(g string) string {
				return `SELECT id, priority, run_after FROM ` + tbl + `
	        WHERE ` + ready(queue, cond) + ` AND ` + g + `
	          AND ` + paused + `
	        ORDER BY priority DESC, run_after, id
	        LIMIT ` + limit + `
	        FOR UPDATE SKIP LOCKED`
			}
			return `WITH u AS (` + group(unparted) + `),
	      p AS (` + group(parted) + `)
	      SELECT id FROM (SELECT * FROM u UNION ALL SELECT * FROM p) g
	      ORDER BY priority DESC, run_after, id
	      LIMIT ` + limit
		}
		// share is how many rows each partition offers: for the fair
		// claim its share of limit and one more, for the plain (capped)
		// one all of limit.
		share := limit
		if fair != "" {
			share = `least(` + limit + `, ceil((` + limit + `)::float8 / greatest(
	              (SELECT count(*) FROM parts WHERE p IS NOT NULL) +
	              (EXISTS (SELECT FROM ` + tbl + ` WHERE ` + ready(queue, cond) + ` AND ` + unparted + `))::int, 1))::bigint + 1)`
		}
		// room is what each partition offers: its share, or less under
		// the cap.
		room := `SELECT p, (SELECT k FROM share) AS n FROM parts WHERE p IS NOT NULL`
		if capped {
			room = `SELECT parts.p, greatest(0, least((SELECT k FROM share),
	              coalesce((SELECT pmax FROM lim) - coalesce(run.n, 0), (SELECT k FROM share)))) AS n
	            FROM parts LEFT JOIN (SELECT partition AS p, count(*) AS n FROM ` + tbl + `
	                WHERE lease_expires_at IS NOT NULL AND queue = ` + queue + ` AND partition <> '' GROUP BY partition) run
	              ON run.p = parts.p
	            WHERE parts.p IS NOT NULL`
		}
		order := `r.rn, ` + fair
		if fair == "" {
			order = `r.priority DESC, r.run_after, r.id`
		}
		return `SELECT t.id FROM ` + tbl + ` t JOIN (
	        WITH RECURSIVE parts(p) AS (
	          (SELECT partition FROM ` + tbl + ` WHERE ` + ready(queue, cond) + ` AND ` + inPartIdx + ` ORDER BY partition LIMIT 1)
	          UNION ALL
	          SELECT (SELECT partition FROM ` + tbl + ` WHERE ` + ready(queue, cond) + ` AND ` + inPartIdx + ` AND partition > parts.p
	              ORDER BY partition LIMIT 1)
	            FROM parts WHERE parts.p IS NOT NULL),
	        share AS (SELECT ` + share + ` AS k),
	        room AS (` + room + `),
	        cand AS (
	          SELECT c.id, room.p, c.priority, c.run_after
	            FROM room, LATERAL (SELECT id, priority, run_after FROM ` + tbl + `
	                WHERE ` + ready(queue, cond) + ` AND ` + inPartIdx + ` AND partition = room.p
	                ORDER BY priority DESC, run_after, id LIMIT room.n) c
	            WHERE room.n > 0
	          UNION ALL
	          (SELECT id, '', priority, run_after FROM ` + tbl + `
	              WHERE ` + ready(queue, cond) + ` AND ` + unparted + `
	              ORDER BY priority DESC, run_after, id LIMIT (SELECT k FROM share)))
	        SELECT id, p, priority, run_after,
	            row_number() OVER (PARTITION BY p ORDER BY priority DESC, run_after, id) AS rn FROM cand) r ON r.id = t.id
	      WHERE t.status IN ('queued', 'retry') AND ` + paused + `
	      ORDER BY ` + order + `
	      LIMIT ` + limit + `
	      FOR UPDATE OF t SKIP LOCKED`
	}
	q.claimWith = func(worker, limit, leaseUS, queue, cond, fair string, mixed bool) string {
		if cond != "" {
			cond = ` AND ` + cond
		}
		return `UPDATE ` + tbl + ` t SET
	status = 'running',
	attempts = t.attempts + 1,
	locked_by = ` + worker + `,
	lease_expires_at = now() + ` + leaseUS + `::float8 * interval '1 microsecond',
	last_heartbeat = now(),
	started_at = now(),
	updated_at = now()
	WHERE t.id = ANY(ARRAY(` + pick(queue, cond, `(paused OR `+limitedCond+`)`, limit, fair, false, mixed) + `))
	RETURNING ` + claimedCols
	}
	// The claim of a limited queue (see Store.ClaimMatching) runs after
	// queueLimited has locked the queue's row, in a statement of its own,
	// so its snapshot sees every claim committed before it took the lock:
	// the running tasks it counts and the tokens it reads are current. It
	// takes at most what max_running leaves and the bucket holds, and
	// from each partition at most what partition_max_running leaves,
	// spends the tokens, and stamps every task it starts, and the bucket,
	// with one clock_timestamp() read after the lock, so start times
	// follow the order the claims took turns in. A queue without a row,
	// or without limits, claims as the plain claim does. queueLimited
	// returns a row when the queue is limited: whether it caps its
	// partitions, and NULL. A limited claim built without the cap (capped
	// false) takes nothing from a queue that has one, and the store
	// claims again with it. With probe it returns one row: whether the
	// queue caps its partitions (NULL when it has no limits), and whether
	// it has partitioned rows (see pick).
	q.queueLimited = func(queue string, lock, probe bool) string {
		lockRow := ""
		if lock {
			lockRow = ` FOR UPDATE`
		}
		if !probe {
			return `SELECT partition_max_running IS NOT NULL, NULL::boolean FROM ` + schema + `.queues
	WHERE name = ` + queue + ` AND ` + limitedCond + lockRow + `; `
		}
		return `SELECT (SELECT partition_max_running IS NOT NULL FROM ` + schema + `.queues
	WHERE name = ` + queue + ` AND ` + limitedCond + lockRow + `), EXISTS (SELECT FROM ` + tbl + ` WHERE ` + hasParted(queue) + `); `
	}
	q.hasParted = `SELECT EXISTS (SELECT FROM ` + tbl + ` WHERE ` + hasParted(`$1`) + `)`
	q.claimLimitedWith = func(worker, limit, leaseUS, queue, cond, fair string, capped, mixed bool) string {
		if cond != "" {
			cond = ` AND ` + cond
		}
		stop := `paused`
		if !capped {
			stop = `(paused OR partition_max_running IS NOT NULL)`
		}
		return `WITH c AS (SELECT clock_timestamp() AS ts),
	lim AS (SELECT q.max_running, CASE WHEN q.rate IS NOT NULL THEN least(q.burst::float8,
	      q.tokens + q.rate * greatest(0, extract(epoch FROM (SELECT ts FROM c) - q.tokens_at))) END AS tokens,
	      q.partition_max_running AS pmax
	    FROM ` + schema + `.queues q WHERE q.name = ` + queue + `),
	n AS (SELECT coalesce((SELECT greatest(0, least(` + limit + `,
	      coalesce(l.max_running - (SELECT count(*) FROM ` + tbl + ` r
	          WHERE r.lease_expires_at IS NOT NULL AND r.queue = ` + queue + `), ` + limit + `),
	      coalesce(floor(l.tokens)::bigint, ` + limit + `))) FROM lim l), ` + limit + `) AS n),
	upd AS (UPDATE ` + tbl + ` t SET
	    status = 'running',
	    attempts = t.attempts + 1,
	    locked_by = ` + worker + `,
	    lease_expires_at = (SELECT ts FROM c) + ` + leaseUS + `::float8 * interval '1 microsecond',
	    last_heartbeat = (SELECT ts FROM c),
	    started_at = (SELECT ts FROM c),
	    updated_at = (SELECT ts FROM c)
	  WHERE t.id = ANY(ARRAY(` + pick(queue, cond, stop, `(SELECT n FROM n)`, fair, capped, mixed) + `))
	  RETURNING ` + claimedCols + `),
	tok AS (UPDATE ` + schema + `.queues q SET tokens = l.tokens - (SELECT count(*) FROM upd), tokens_at = (SELECT ts FROM c)
	    FROM lim l WHERE q.name = ` + queue + ` AND l.tokens IS NOT NULL)
	SELECT * FROM upd`
	}
	q.claim = q.claimWith("$1", "$2", "$3", "$4", "", "", false)
	q.claimTyped = q.claimWith("$1", "$2", "$3", "$4", claimCond("$5::text[]"), "", false)
	h := fnv.New64a()
	h.Write([]byte(schema))
	q.claimName = fmt.Sprintf("seedcore_claim_%016x", h.Sum64())
	q.claimTypedName = q.claimName + "_typed"
	q.genericPlan = `SET LOCAL plan_cache_mode = force_generic_plan; `

	// named is "the rows whose id is in the uuid array p", read by primary
	// key. The array goes through an InitPlan, so the planner does not see
	// its elements: given them (as "id = ANY(p)"), it estimated each one's
	// selectivity and, for the thousand tasks of a drain's outcome on a
	// table of 30,000, chose a sequential scan of the table (2.8 ms per
	// statement and growing with the table) over the primary key.
	named := func(p string) string { return `ANY(ARRAY(SELECT unnest(` + p + `::uuid[])))` }
	// locked is "the rows named by the uuid array p that satisfy cond,
	// locked in id order": statements that update named rows take their
	// row locks here, all of them, before updating any. Every statement
	// that waits for row locks takes them in this one order (the others
	// skip locked rows), so two of them can wait for each other's rows in
	// no cycle: without it, an outcome batch (locking in the order its
	// tasks finished) and a heartbeat (in the order its plan read them)
	// deadlocked under load, each time costing deadlock_timeout and a
	// retried batch. The lock is the one the update takes (FOR NO KEY
	// UPDATE), which then finds its rows already held. The ORDER BY sits
	// under the locking node, so whatever the plan reads first, the rows
	// are locked sorted.
	locked := func(p, cond string) string {
		return `ANY(ARRAY(SELECT id FROM ` + tbl + ` WHERE id = ` + named(p) + ` AND ` + cond + `
	      ORDER BY id FOR NO KEY UPDATE))`
	}

	// A heartbeat lost in a crash only shortens a lease: async as well.
	// It also writes the progress of the tasks named in $4 (with their
	// attempts in $5 and values in $6, empty arrays when there is none)
	// whose attempt still runs.
	q.heartbeat = `UPDATE ` + tbl + ` t SET
	lease_expires_at = now() + $3::float8 * interval '1 microsecond',
	last_heartbeat = now(),
	progress = coalesce((SELECT p.v::jsonb FROM unnest($4::uuid[], $5::int[], $6::text[]) AS p(id, attempt, v)
	    WHERE p.id = t.id AND p.attempt = t.attempts LIMIT 1), t.progress)
	FROM ` + asyncCommit + `
	WHERE t.id = ` + locked("$2", `locked_by = $1 AND status = 'running'`) + `
	  AND t.locked_by = $1 AND t.status = 'running'
	RETURNING t.id, t.attempts, t.cancel_requested`

	const newStatus = `CASE
	    WHEN t.cancel_requested OR o.kind = 'cancel' THEN 'cancelled'
	    WHEN o.kind = 'complete' THEN 'completed'
	    WHEN o.kind = 'fail' THEN 'failed'
	    WHEN o.kind IN ('release', 'snooze') THEN 'queued'
	    WHEN t.attempts >= t.max_attempts THEN 'failed'
	    ELSE 'retry' END`
	// uncounted is true for an outcome whose attempt does not count: a
	// release or a snooze of a task not asked to cancel.
	const uncounted = `o.kind IN ('release', 'snooze') AND NOT t.cancel_requested`
	// Finish joins the outcomes to their rows by primary key. "id =
	// locked($1)" lets the planner fetch exactly those rows (and locks
	// them in id order first); comparing the worker with IS NOT DISTINCT
	// FROM keeps locked_by out of the join keys, where a merge join on one
	// worker's name would pair every outcome with every task that worker
	// runs. Finish notifies nothing itself: Store.Finish sends "r" and "c"
	// through the wakers after it commits. It returns, for each outcome,
	// whether its task is due again at once.
	q.finish = `UPDATE ` + tbl + ` t SET
	status = ` + newStatus + `,
	attempt_history = CASE WHEN ` + uncounted + ` OR ` + newStatus + ` IN ` + terminalList + ` THEN t.attempt_history
	    ELSE ` + appendAttempt(newStatus, `o.error`) + ` END,
	snoozes = t.snoozes + CASE WHEN o.kind = 'snooze' AND NOT t.cancel_requested THEN 1 ELSE 0 END,
	result = CASE WHEN o.kind = 'complete' AND NOT t.cancel_requested THEN nullif(o.result, '')::jsonb ELSE t.result END,
	error = CASE WHEN o.kind IN ('release', 'snooze') THEN t.error ELSE o.error END,
	attempts = CASE WHEN ` + uncounted + ` THEN t.attempts - 1 ELSE t.attempts END,
	run_after = CASE ` + newStatus + `
	    WHEN 'queued' THEN now() + CASE WHEN o.kind = 'snooze' THEN o.retry_us * interval '1 microsecond' ELSE interval '0' END
	    WHEN 'retry' THEN now() + o.retry_us * interval '1 microsecond'
	    ELSE t.run_after END,
	finished_at = CASE WHEN ` + newStatus + ` IN ` + terminalList + ` THEN now() END,
	locked_by = CASE WHEN ` + newStatus + ` IN ` + terminalList + ` THEN t.locked_by END,
	lease_expires_at = NULL,
	updated_at = now()
	FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::bigint[])
	     WITH ORDINALITY AS o(id, worker, attempt, kind, result, error, retry_us, ord)
	WHERE t.id = ` + locked("$1", `status = 'running'`) + ` AND t.id = o.id AND t.status = 'running'
	  AND t.locked_by IS NOT DISTINCT FROM o.worker AND t.attempts = o.attempt
	RETURNING o.ord, t.status IN ('queued', 'retry') AND t.run_after <= now()`

	q.rescue = notifyWrap(`UPDATE `+tbl+` t SET
	status = `+rescued+`,
	run_after = CASE WHEN `+rescued+` = 'retry' THEN now() ELSE t.run_after END,
	finished_at = CASE WHEN `+rescued+` = 'retry' THEN NULL ELSE now() END,
	error = 'lease expired',
	attempt_history = `+appendAttempt(rescued, `'lease expired'`)+`,
	locked_by = NULL,
	lease_expires_at = NULL,
	updated_at = now()
	FROM (SELECT id FROM `+tbl+`
	      WHERE status = 'running' AND lease_expires_at < now()
	      ORDER BY lease_expires_at
	      LIMIT $1
	      FOR UPDATE SKIP LOCKED) picked
	WHERE t.id = picked.id
	RETURNING t.id, t.type, t.status`, `t.id, t.type, t.status`,
		// The "c" naming the tasks goes out after it, through the waker.
		[]string{note(`'r'`, ` WHERE EXISTS (SELECT 1 FROM upd WHERE status = 'retry')`)})

	// Retention walks tasks_created_idx from the oldest task: one that
	// finished before the cutoff was created before it. The walk passes
	// the old tasks that are not finished (held, scheduled far ahead or
	// long running), which are few in a queue that keeps up.
	q.trim = `DELETE FROM ` + tbl + ` WHERE id IN (
	SELECT id FROM ` + tbl + `
	WHERE created_at < now() - $1::float8 * interval '1 microsecond'
	  AND status IN ` + terminalList + ` AND finished_at < now() - $1::float8 * interval '1 microsecond'
	ORDER BY created_at, id
	LIMIT $2 FOR UPDATE SKIP LOCKED)`
	return q
}
