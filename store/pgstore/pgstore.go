package pgstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/seedcore/seedcore/store"
)

// DefaultSchema is the schema used when [Options.Schema] is empty.
const DefaultSchema = "seedcore"

// ErrInvalidSchema is returned (wrapped) by [ValidateSchema], [New],
// [Open] and [Listener.Serve] for a schema name that does not match
// ^[a-z_][a-z0-9_]{0,62}$.
var ErrInvalidSchema = errors.New("pgstore: invalid schema name")

var schemaRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// ValidateSchema returns nil when name is usable as a schema name, or an
// error wrapping [ErrInvalidSchema]. The schema name is the only identifier
// the package ever splices into SQL, and only after this check.
func ValidateSchema(name string) error {
	if !schemaRE.MatchString(name) {
		return fmt.Errorf("%w: %q (want ^[a-z_][a-z0-9_]{0,62}$)", ErrInvalidSchema, name)
	}
	return nil
}

// Options configures a [Store]. The zero value is usable.
type Options struct {
	// Logger receives the store's few log lines (migrations applied).
	// Default: a logger that discards everything.
	Logger *slog.Logger
	// MaxOpenConns bounds the connections of the pool [Open] makes: a
	// statement beyond it waits for a free connection (within its
	// context) instead of opening a server session. Default (zero):
	// DefaultMaxOpenConns (32); negative means no bound. [New] leaves the
	// caller's pool as it is, and ignores it.
	MaxOpenConns int
	// NoStatusNotify, when true, stops the store from sending the "c"
	// (status changed) notifications; "r" (ready work) and "x" (cancel
	// requested) are always sent. Default false: status notifications are
	// sent, one per statement.
	NoStatusNotify bool
	// Schema is the PostgreSQL schema that holds the tables; it is also the
	// LISTEN/NOTIFY channel name. Default [DefaultSchema] ("seedcore"). It
	// must match ^[a-z_][a-z0-9_]{0,62}$.
	Schema string
	// NoPrepare, when true, sends the text of every statement each time
	// instead of preparing the insert statements and the plain claim once
	// per connection. Set it behind a connection pooler that cannot keep
	// prepared statements, such as PgBouncer in transaction mode before
	// version 1.21. Default false.
	NoPrepare bool
}

// Store is the PostgreSQL backend. It implements [store.Store] and the
// worker half (Claim, Heartbeat, Finish, Rescue, DeleteFinished). It is
// safe for concurrent use by many goroutines and many processes.
type Store struct {
	db     *sqlx.DB
	ownsDB bool
	schema string
	log    *slog.Logger
	q      queries
	cq     clusterQueries
	// statusNotify is whether "c" notifications are sent.
	statusNotify bool
	// ready and changed send the "r" and "c" notifications of writes that
	// commit without them.
	ready, changed *waker
	// inserts gathers concurrent Create calls into shared statements.
	inserts *inserter
	// bg runs and joins the goroutines of ready, changed and inserts.
	bg *background
	// noPrepare is Options.NoPrepare; prep holds the prepared statements.
	noPrepare bool
	prep      struct{ insert, insertBatch prepared }
	closed    atomic.Bool
	// limited holds the queues last seen with limits (see ClaimMatching).
	limited sync.Map
	// mixed holds the queues last seen with partitioned ready rows: their
	// plain claims merge the claim index's two groups (see ClaimMatching).
	mixed sync.Map
	// fairAfter holds, per queue, the partition of the last task a fair
	// claim took (see store.ClaimFilter.Fair).
	fairAfter sync.Map
}

var _ store.Store = (*Store)(nil)

// New returns a store on db using opts. It does not touch the database;
// call [Store.Migrate] to create or upgrade the schema. The caller keeps
// ownership of db.
func New(db *sqlx.DB, opts Options) (*Store, error) {
	if opts.Schema == "" {
		opts.Schema = DefaultSchema
	}
	if err := ValidateSchema(opts.Schema); err != nil {
		return nil, err
	}
	if db == nil {
		return nil, errors.New("pgstore: nil db")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{
		db:     db,
		schema: opts.Schema,
		log:    opts.Logger,
	}
	s.q = buildQueries(opts.Schema, !opts.NoStatusNotify)
	s.cq = buildClusterQueries(opts.Schema)
	s.statusNotify = !opts.NoStatusNotify
	s.ready = &waker{s: s, kind: "r"}
	s.changed = &waker{s: s, kind: "c", linger: statusLinger}
	s.inserts = &inserter{s: s}
	s.bg = newBackground()
	s.noPrepare = opts.NoPrepare
	s.prep.insert.query = s.q.insert
	s.prep.insertBatch.query = s.q.insertBatch
	return s, nil
}

// DefaultMaxIdleConns is how many idle connections a store made by [Open]
// keeps for reuse. A store made by [New] uses the caller's pool as it is
// configured; the database/sql default of 2 makes a busy store open and
// close connections all the time, so raise it there too.
const DefaultMaxIdleConns = 32

// DefaultMaxOpenConns bounds the pool [Open] makes when
// [Options.MaxOpenConns] is zero. It equals DefaultMaxIdleConns, so a
// busy store reuses every connection it opens; database/sql's own default
// is no bound, and an HTTP server whose every request reads the store
// would then open one server session per concurrent request (PostgreSQL
// allows 100 by default). A process also holds the [Listener]'s
// connection, outside the pool.
const DefaultMaxOpenConns = 32

// Open connects to the database at dsn (a lib/pq URL or key=value string),
// checks that it answers, and returns a store that owns the connection
// pool: [Store.Close] closes it. It does not migrate.
//
// Unless dsn sets binary_parameters itself, Open turns it on, so lib/pq
// sends each statement with its parameters in one round trip instead of
// two (parse, then bind and execute); the store sends every parameter as
// text, so results are the same either way. Unless dsn or PGCONNECT_TIMEOUT
// sets connect_timeout, each connection attempt is bounded by
// [DefaultConnectTimeout]; one that times out fails with an error wrapping
// [ErrConnectTimeout]. Every call, Open's own check included, also returns
// when its context ends, even while the connection is being made.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pq.NewConfig(dsn)
	if err != nil {
		return nil, errorf("pgstore: open: %w", err)
	}
	if !strings.Contains(dsn, "binary_parameters") {
		cfg.BinaryParameters = true
	}
	if !setsConnectTimeout(dsn) {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	connector, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, errorf("pgstore: open: %w", err)
	}
	db := sqlx.NewDb(sql.OpenDB(&ctxConnector{pq: connector, timeout: cfg.ConnectTimeout}), "postgres")
	// database/sql keeps only two idle connections by default: every
	// statement beyond two at once would open a connection (a new server
	// process) and close it after, which under a producer load costs more
	// than the statements.
	db.SetMaxIdleConns(DefaultMaxIdleConns)
	switch {
	case opts.MaxOpenConns == 0:
		db.SetMaxOpenConns(DefaultMaxOpenConns)
	case opts.MaxOpenConns > 0:
		db.SetMaxOpenConns(opts.MaxOpenConns)
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, errorf("pgstore: ping: %w", err)
	}
	s, err := New(db, opts)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	s.ownsDB = true
	return s, nil
}

// Close waits for the store's background work (notifications owed for
// writes, which it sends at once instead of lingering, and queued Create
// calls), then releases the store's prepared statements and closes the
// connection pool when the store was made by [Open]. A store made by [New]
// leaves the pool to its caller and keeps working on it, without prepared
// statements.
func (s *Store) Close() error {
	s.closed.Store(true)
	s.bg.close()
	var errs []error
	for _, p := range []*prepared{&s.prep.insert, &s.prep.insertBatch} {
		errs = append(errs, p.close())
	}
	if s.ownsDB {
		errs = append(errs, s.db.Close())
	}
	return errors.Join(errs...)
}

// Schema returns the schema name, which is also the notification channel.
func (s *Store) Schema() string { return s.schema }

// DB returns the connection pool the store uses.
func (s *Store) DB() *sqlx.DB { return s.db }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return errorf("pgstore: ping: %w", err)
	}
	return nil
}

//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, errorf("pgstore: bad migration file name %q", base)
		}
		b, err := migrationFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, errorf("pgstore: duplicate migration version %d", ms[i].version)
		}
	}
	return ms, nil
}

// migrateLockClass is the first key of the advisory lock Migrate takes; the
// second is a hash of the schema name.
const migrateLockClass = 0x5eedc0

// Migrate creates the schema when it is missing and applies every embedded
// migration not yet recorded in <schema>.schema_migrations, all in one
// transaction. It is idempotent and safe to run from several processes at
// once: an advisory lock keyed on the schema serializes them.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	// The lock is taken on the session, before the transaction begins: a
	// transaction's start is where PostgreSQL catches up with catalog
	// changes committed by others, so a migrator that waited for the lock
	// then sees the schema and tables the one before it created (taken
	// inside the transaction, the lock let a waiter's CREATE SCHEMA IF NOT
	// EXISTS miss a schema created meanwhile and fail on a duplicate key).
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return errorf("pgstore: migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1, hashtext($2))`, migrateLockClass, s.schema); err != nil {
		return errorf("pgstore: migrate: lock: %w", err)
	}
	defer func() {
		// Unlocked even when ctx has ended. A connection that fails to
		// unlock is discarded (its session ends, and the lock with it)
		// rather than returned to the pool holding the lock.
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, hashtext($2))`, migrateLockClass, s.schema); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return errorf("pgstore: migrate: %w", err)
	}
	defer func() { _ = tx.Rollback() }()

	if _, err := tx.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+s.schema); err != nil {
		return errorf("pgstore: migrate: create schema: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+s.schema+`.schema_migrations (
		version    integer     PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return errorf("pgstore: migrate: create schema_migrations: %w", err)
	}
	var current int
	if err := tx.GetContext(ctx, &current, `SELECT coalesce(max(version), 0) FROM `+s.schema+`.schema_migrations`); err != nil {
		return errorf("pgstore: migrate: read version: %w", err)
	}
	applied := 0
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		if _, err := tx.ExecContext(ctx, strings.ReplaceAll(m.sql, "{{schema}}", s.schema)); err != nil {
			return errorf("pgstore: migrate: %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+s.schema+`.schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
			return errorf("pgstore: migrate: record %s: %w", m.name, err)
		}
		applied++
	}
	if err := tx.Commit(); err != nil {
		return errorf("pgstore: migrate: commit: %w", err)
	}
	if applied > 0 {
		s.log.LogAttrs(ctx, slog.LevelInfo, "pgstore: migrations applied",
			slog.String("schema", s.schema), slog.Int("count", applied), slog.Int("version", ms[len(ms)-1].version))
	}
	return nil
}

// SchemaVersion returns the highest migration version applied to the
// schema, or 0 when it has not been migrated.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.GetContext(ctx, &v, `SELECT coalesce(max(version), 0) FROM `+s.schema+`.schema_migrations`)
	if hasCode(err, "42P01") || hasCode(err, "3F000") {
		return 0, nil // undefined_table or invalid_schema_name: not migrated
	}
	if err != nil {
		return 0, errorf("pgstore: schema version: %w", err)
	}
	return v, nil
}

// LatestVersion returns the version of the newest embedded migration.
func LatestVersion() int {
	ms, err := loadMigrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}
