package pgstore

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// prepared is one of the store's insert statements, prepared on first use
// and kept until [Store.Close]. A prepared statement skips the parsing
// and planning of its text on every call: with eight producers the shared
// insert statement took 0.50-0.61 ms instead of 0.73-0.83 ms, and the
// store went from 5,000-5,500 to 6,500-8,000 inserts/s. database/sql
// prepares it again on each connection it runs on. With
// [Options.NoPrepare] the text is sent each time instead.
//
// Only inserts are prepared this way: their plan reads no table (the
// plain claim, prepared with PREPARE, is the one other; see
// Store.claimPrepared). PostgreSQL caches
// a generic plan for a prepared statement after a few calls and keeps it
// until the table's statistics change; an outcome or heartbeat planned
// while the table was nearly empty (a fresh schema) kept a sequential
// scan as the table grew, until autovacuum next analyzed it. Sent as text,
// they are planned at every call with the table's current size.
type prepared struct {
	query string

	stmt atomic.Pointer[sql.Stmt]
	mu   sync.Mutex // serializes preparation
}

// queryContext runs the statement with args on the store's pool.
func (p *prepared) queryContext(ctx context.Context, s *Store, args ...any) (*sql.Rows, error) {
	stmt, err := p.get(ctx, s)
	if err != nil {
		return nil, err
	}
	if stmt == nil {
		return s.db.QueryContext(ctx, p.query, args...)
	}
	return stmt.QueryContext(ctx, args...)
}

// queryRowContext runs the statement with args on the store's pool and
// returns its first row.
func (p *prepared) queryRowContext(ctx context.Context, s *Store, args ...any) scanner {
	stmt, err := p.get(ctx, s)
	if err != nil {
		return errRow{err}
	}
	if stmt == nil {
		return s.db.QueryRowContext(ctx, p.query, args...)
	}
	return stmt.QueryRowContext(ctx, args...)
}

// get returns the prepared statement, preparing it when it is not yet (a
// failed preparation is tried again on the next call). It returns nil
// without an error when the text is to be sent instead: with
// Options.NoPrepare, or once the store is closed (a store made by [New]
// keeps working on its caller's pool after Close).
func (p *prepared) get(ctx context.Context, s *Store) (*sql.Stmt, error) {
	if s.noPrepare {
		return nil, nil
	}
	if stmt := p.stmt.Load(); stmt != nil {
		return stmt, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if stmt := p.stmt.Load(); stmt != nil {
		return stmt, nil
	}
	if s.closed.Load() {
		return nil, nil
	}
	stmt, err := s.db.PrepareContext(ctx, p.query)
	if err != nil {
		return nil, err
	}
	p.stmt.Store(stmt)
	return stmt, nil
}

// close releases the statement, if it was prepared.
func (p *prepared) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	stmt := p.stmt.Swap(nil)
	if stmt == nil {
		return nil
	}
	return stmt.Close()
}

// errRow is a row whose query failed before it ran.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
