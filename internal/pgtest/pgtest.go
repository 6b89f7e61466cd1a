// Package pgtest gives tests an isolated PostgreSQL schema on the database
// named by TEST_DATABASE_URL.
//
// Without the variable a test is skipped with a message naming it; when the
// CI variable is set, a missing or unreachable database fails the test
// instead, so a CI run can never pass by skipping. The skips are counted:
// a package's TestMain ends with [Exit], which prints one line saying how
// many tests were skipped and which variable to set.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the driver under test
)

// EnvVar names the environment variable holding the test database URL.
const EnvVar = "TEST_DATABASE_URL"

// exampleURL is the URL the skip messages suggest.
const exampleURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// skipped counts the tests [URL] skipped in this test binary.
var skipped atomic.Int64

// URL returns the test database URL, or skips t (fails it under CI) when
// it is not set. Each skip is counted for [Report].
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvVar)
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set; CI must run the PostgreSQL tests", EnvVar)
		}
		skipped.Add(1)
		t.Skipf("PostgreSQL test skipped: set %s (for example %s)", EnvVar, exampleURL)
	}
	return u
}

// Skipped returns how many tests [URL] has skipped so far in this test
// binary.
func Skipped() int { return int(skipped.Load()) }

// Report writes to w, when [URL] skipped any test in this test binary, one
// line saying how many and which variable to set to run them. It writes
// nothing when no test was skipped, or when the variable is set: then the
// skips came from tests that unset it on purpose to check the skip itself.
func Report(w io.Writer) {
	if os.Getenv(EnvVar) != "" {
		return
	}
	report(w, Skipped())
}

func report(w io.Writer, n int) {
	if n <= 0 {
		return
	}
	noun := "tests"
	if n == 1 {
		noun = "test"
	}
	fmt.Fprintf(w, "seedcore: %d PostgreSQL %s skipped; set %s=%s to run them\n", n, noun, EnvVar, exampleURL)
}

// Exit ends a package's TestMain: it writes [Report] to standard output
// and exits with code. Pass it to goleak as goleak.Cleanup(pgtest.Exit),
// or call it with the result of m.Run.
func Exit(code int) {
	Report(os.Stdout)
	os.Exit(code)
}

// Env is one test's database environment.
type Env struct {
	// DB is connected with application_name set to Schema, so a test can
	// cut exactly its own connections with pg_terminate_backend.
	DB *sqlx.DB
	// DSN is the URL DB was opened with (including application_name); open
	// further connections (such as a pq.Listener) with it.
	DSN string
	// Schema is a fresh schema owned by this test, dropped at cleanup.
	Schema string
}

// New creates a fresh schema for t and returns a pool connected to the test
// database. The schema and the pool are removed in t.Cleanup.
func New(t testing.TB) *Env {
	t.Helper()
	return NewAt(t, URL(t))
}

// NewAt is [New] on the database at base (a lib/pq URL) instead of the
// one TEST_DATABASE_URL names.
func NewAt(t testing.TB, base string) *Env {
	t.Helper()
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	schema := "t_" + hex.EncodeToString(rnd[:])

	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse the test database URL: %v", err)
	}
	q := u.Query()
	q.Set("application_name", schema)
	u.RawQuery = q.Encode()
	dsn := u.String()

	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		t.Fatalf("test database is unreachable: %v", err)
	}
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		_ = db.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		_ = db.Close()
	})
	return &Env{DB: db, DSN: dsn, Schema: schema}
}

// TerminateConnections ends every backend connection of this test's
// application_name (its Schema) except the caller's own statement, and
// returns how many it ended. Connections of other tests are never touched.
func (e *Env) TerminateConnections(t testing.TB) int {
	t.Helper()
	var n int
	err := e.DB.Get(&n, `SELECT count(*) FROM (
		SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = $1 AND pid <> pg_backend_pid()) x`, e.Schema)
	if err != nil {
		t.Fatalf("terminate connections: %v", err)
	}
	return n
}
