package pgstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/lib/pq"

	"github.com/seedcore/seedcore/store"
)

var (
	_ store.Membership    = (*Store)(nil)
	_ store.ProcessLister = (*Store)(nil)
)

// clusterKey is the first key of the schema's membership and leader
// advisory locks: a positive 32-bit hash of the schema name, so that
// schemas sharing a database hold distinct locks. The second key is a
// registration's id (positive), 0 for the leader lock, and -1 for the
// transaction lock that serialises joins.
func clusterKey(schema string) int32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte("seedcore.processes:" + schema))
	return int32(h.Sum32() & 0x7fffffff)
}

// ClusterLockKey returns the first key of the store's membership
// advisory locks, as pg_locks shows it (classid, with objsubid 2): the
// lock (key, id) is held by the session of registration id, (key, 0) by
// the leader's.
func (s *Store) ClusterLockKey() int32 { return clusterKey(s.schema) }

// clusterQueries holds the membership statements of one store.
type clusterQueries struct {
	lockJoins, nameTaken, insert, lock, tryLead, seen, leave string
	// rescueLost takes the row limit as $1 and a name as $2 ("" for any).
	// With a name (a join, which has checked that no live process holds
	// it) it also returns every running task still held by that name: one
	// claimed after the name's last registration was removed (a claim in
	// flight when its session ended) would otherwise wait out its lease.
	rescueLost string
	list       string
}

func buildClusterQueries(schema string) clusterQueries {
	k := strconv.Itoa(int(clusterKey(schema)))
	procs := schema + ".processes"
	tasks := schema + ".tasks"
	// held lists the registrations whose lock some session holds, with
	// that session's backend pid, read once per statement.
	held := `SELECT l.objid::bigint AS id, l.pid FROM pg_locks l
	WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
	  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
	  AND l.classid = ` + k + `::oid`
	var q clusterQueries
	q.lockJoins = `SELECT pg_advisory_xact_lock(` + k + `, -1)`
	q.nameTaken = `WITH held AS MATERIALIZED (` + held + `)
	SELECT EXISTS (SELECT 1 FROM ` + procs + ` p WHERE p.name = $1 AND p.id IN (SELECT id FROM held))`
	q.insert = `INSERT INTO ` + procs + ` (name, host, pid, version, queues, types)
	VALUES ($1, $2, $3, $4, $5::text[], $6::text[]) RETURNING id`
	q.lock = `SELECT pg_advisory_lock(` + k + `, $1)`
	q.tryLead = `SELECT pg_try_advisory_lock(` + k + `, 0)`
	q.seen = `UPDATE ` + procs + ` SET last_seen_at = now() WHERE id = $1`
	q.leave = `DELETE FROM ` + procs + ` WHERE id = $1`

	// A lost registration's running tasks are found through the lease
	// index (running rows are few); a name that a live registration holds
	// again is skipped: that process stops its old attempts itself.
	q.rescueLost = `WITH held AS MATERIALIZED (` + held + `),
	dead AS (
	  DELETE FROM ` + procs + ` p WHERE p.id IN (
	    SELECT id FROM ` + procs + `
	    WHERE ($2 = '' OR name = $2) AND id NOT IN (SELECT id FROM held)
	    ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
	  RETURNING p.id, p.name),
	picked AS (
	  SELECT t.id FROM ` + tasks + ` t
	  WHERE t.lease_expires_at IS NOT NULL AND t.status = 'running'
	    AND (t.locked_by IN (SELECT name FROM dead d WHERE NOT EXISTS (
	      SELECT 1 FROM ` + procs + ` o WHERE o.name = d.name AND o.id NOT IN (SELECT id FROM dead)))
	      OR t.locked_by = NULLIF($2, ''))
	  ORDER BY t.id FOR UPDATE SKIP LOCKED),
	upd AS (
	  UPDATE ` + tasks + ` t SET
	    status = ` + rescued + `,
	    run_after = CASE WHEN ` + rescued + ` = 'retry' THEN now() ELSE t.run_after END,
	    finished_at = CASE WHEN ` + rescued + ` = 'retry' THEN NULL ELSE now() END,
	    error = 'worker process lost',
	    attempt_history = ` + appendAttempt(rescued, `'worker process lost'`) + `,
	    locked_by = NULL,
	    lease_expires_at = NULL,
	    updated_at = now()
	  FROM picked WHERE t.id = picked.id
	  RETURNING t.id, t.type, t.status),
	n AS (SELECT pg_notify('` + schema + `', 'r') WHERE EXISTS (SELECT 1 FROM upd WHERE status = 'retry'))
	SELECT u.id, u.type, u.status FROM upd u, (SELECT count(*) FROM n) n_`

	q.list = `WITH held AS MATERIALIZED (` + held + `),
	leader AS (SELECT pid FROM held WHERE id = 0)
	SELECT p.id, p.name, p.host, p.pid, p.version, p.queues, p.types, p.started_at, p.last_seen_at,
	  h.pid IN (SELECT pid FROM leader) AS leader,
	  (SELECT count(*) FROM ` + tasks + ` t WHERE t.lease_expires_at IS NOT NULL
	     AND t.status = 'running' AND t.locked_by = p.name) AS running
	FROM ` + procs + ` p JOIN held h ON h.id = p.id
	ORDER BY p.id`
	return q
}

// Join registers a process and returns its session. The session keeps
// one connection of the store's pool for itself (so the pool serves other
// statements with one connection fewer) and holds, on it, a session-level
// advisory lock keyed by the registration: when the process dies or its
// connection is cut, the lock is released at once and the leader returns
// the process's tasks to the queue (see [store.Session.RescueLost]).
// Joins of one schema are serialised; a dead registration under the same
// name is removed (and its tasks returned) first, and a live one fails
// the join with [store.ErrNameInUse].
func (s *Store) Join(ctx context.Context, p store.ProcessInfo) (store.Session, error) {
	if p.Name == "" {
		return nil, fmt.Errorf("pgstore: join: empty worker name: %w", store.ErrInvalidLease)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, errorf("pgstore: join: %w", err)
	}
	se := &session{s: s, conn: conn}
	id, err := se.join(ctx, p)
	if err != nil {
		se.discard()
		return nil, err
	}
	se.id = id
	return se, nil
}

func (se *session) join(ctx context.Context, p store.ProcessInfo) (int64, error) {
	q := &se.s.cq
	tx, err := se.conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, errorf("pgstore: join: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, q.lockJoins); err != nil {
		return 0, errorf("pgstore: join: %w", err)
	}
	var taken bool
	if err := tx.QueryRowContext(ctx, q.nameTaken, p.Name).Scan(&taken); err != nil {
		return 0, errorf("pgstore: join: %w", err)
	}
	if taken {
		return 0, fmt.Errorf("pgstore: join %q: %w", p.Name, store.ErrNameInUse)
	}
	rescued, err := scanRescued(tx.QueryContext(ctx, q.rescueLost, 1000, p.Name))
	if err != nil {
		return 0, errorf("pgstore: join: rescue: %w", err)
	}
	var id int64
	if err := tx.QueryRowContext(ctx, q.insert, p.Name, p.Host, p.PID, p.Version,
		pq.StringArray(nonNil(p.Queues)), pq.StringArray(nonNil(p.Types))).Scan(&id); err != nil {
		return 0, errorf("pgstore: join: %w", err)
	}
	// A session-level lock taken inside the transaction outlives its
	// commit: the row becomes visible with its lock already held.
	if _, err := tx.ExecContext(ctx, q.lock, id); err != nil {
		return 0, errorf("pgstore: join: lock: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, errorf("pgstore: join: %w", err)
	}
	se.s.wakeRescued(rescued)
	return id, nil
}

// Processes lists the registrations whose session holds its lock, with
// the leader marked and the count of tasks each holds.
func (s *Store) Processes(ctx context.Context) ([]store.Process, error) {
	rows, err := s.db.QueryContext(ctx, s.cq.list)
	if err != nil {
		return nil, errorf("pgstore: processes: %w", err)
	}
	defer rows.Close()
	var out []store.Process
	for rows.Next() {
		var (
			p             store.Process
			queues, types pq.StringArray
		)
		if err := rows.Scan(&p.ID, &p.Name, &p.Host, &p.PID, &p.Version, &queues, &types,
			&p.Started, &p.LastSeen, &p.Leader, &p.Running); err != nil {
			return nil, errorf("pgstore: processes: %w", err)
		}
		p.Queues, p.Types = nonNil([]string(queues)), nonNil([]string(types))
		p.Started, p.LastSeen = p.Started.UTC(), p.LastSeen.UTC()
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, errorf("pgstore: processes: %w", err)
	}
	return out, nil
}

// scanRescued reads the rows of the rescueLost statement.
func scanRescued(rows *sql.Rows, err error) ([]store.Rescued, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Rescued
	for rows.Next() {
		var (
			r  store.Rescued
			st string
		)
		if err := rows.Scan(&r.TaskID, &r.Type, &st); err != nil {
			return nil, err
		}
		r.Status = store.Status(st)
		out = append(out, r)
	}
	return out, rows.Err()
}

// wakeRescued sends the "c" notification naming rescued tasks (their
// "r" rode in the statement), unless [Options.NoStatusNotify].
func (s *Store) wakeRescued(rs []store.Rescued) {
	if len(rs) == 0 || !s.statusNotify {
		return
	}
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.TaskID
	}
	s.changed.wake(ids...)
}

// session is a registration held on a connection of its own.
type session struct {
	s      *Store
	conn   *sql.Conn
	id     int64
	leader bool
	lost   bool
}

// ID returns the registration's number.
func (se *session) ID() int64 { return se.id }

// lose ends the session after err: the connection is discarded (its
// server session ends, and every lock with it), so the process never
// believes itself gone while others see it alive.
func (se *session) lose(op string, err error) error {
	se.discard()
	return fmt.Errorf("pgstore: %s: %w: %w", op, store.ErrSessionLost, errorf("%w", err))
}

func (se *session) discard() {
	if se.lost {
		return
	}
	se.lost = true
	_ = se.conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = se.conn.Close()
}

func (se *session) check(op string) error {
	if se.lost {
		return fmt.Errorf("pgstore: %s: %w", op, store.ErrSessionLost)
	}
	return nil
}

// Lead takes the leader lock when it is free; once held, it only checks
// that the session lives.
func (se *session) Lead(ctx context.Context) (bool, error) {
	if err := se.check("lead"); err != nil {
		return false, err
	}
	if se.leader {
		if err := se.conn.PingContext(ctx); err != nil {
			return false, se.lose("lead", err)
		}
		return true, nil
	}
	var ok bool
	if err := se.conn.QueryRowContext(ctx, se.s.cq.tryLead).Scan(&ok); err != nil {
		return false, se.lose("lead", err)
	}
	se.leader = ok
	return ok, nil
}

// Seen records the process's last-seen time.
func (se *session) Seen(ctx context.Context) error {
	if err := se.check("seen"); err != nil {
		return err
	}
	res, err := se.conn.ExecContext(ctx, se.s.cq.seen, se.id)
	if err != nil {
		return se.lose("seen", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		// The row is gone while its lock was held: removed by hand.
		return se.lose("seen", errors.New("registration removed"))
	}
	return nil
}

// RescueLost removes lost registrations and returns their tasks to the
// queue, on the session's connection, in one statement.
func (se *session) RescueLost(ctx context.Context, limit int) ([]store.Rescued, error) {
	if err := se.check("rescue lost"); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	out, err := scanRescued(se.conn.QueryContext(ctx, se.s.cq.rescueLost, limit, ""))
	if err != nil {
		return nil, se.lose("rescue lost", err)
	}
	se.s.wakeRescued(out)
	return out, nil
}

// Leave removes the registration and ends the session's connection, which
// releases its locks.
func (se *session) Leave(ctx context.Context) error {
	if err := se.check("leave"); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, err := se.conn.ExecContext(ctx, se.s.cq.leave, se.id)
	se.discard()
	if err != nil {
		return errorf("pgstore: leave: %w", err)
	}
	return nil
}

// nonNil returns ss, or an empty slice for nil: a list is never null.
func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
