package pgstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/lib/pq"

	"github.com/seedcore/seedcore/store"
)

// errorf is fmt.Errorf for the store's errors: when the error it wraps is
// a connection-level failure (see [unreachable]) the result also wraps
// [store.ErrUnavailable], and when the store's pool was closed it also
// wraps [store.ErrClosed]. The text is fmt.Errorf's.
func errorf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	switch {
	case closedPool(err):
		return &classified{err: err, class: store.ErrClosed}
	case unreachable(err):
		return &classified{err: err, class: store.ErrUnavailable}
	}
	return err
}

// classified adds a sentinel to an error without changing its text.
type classified struct {
	err   error
	class error
}

func (e *classified) Error() string   { return e.err.Error() }
func (e *classified) Unwrap() []error { return []error{e.err, e.class} }

// closedPool reports whether err is database/sql's "database is closed",
// which it does not export.
func closedPool(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if e.Error() == "sql: database is closed" {
			return true
		}
	}
	return false
}

// unreachable reports whether err says the database cannot be reached or
// cannot serve now, as opposed to an error in a statement: the driver gave
// up on the connection (driver.ErrBadConn, sql.ErrConnDone, an unexpected
// end of the stream), the network failed (refused, reset, timed out, no
// route), or the server said so: a connection exception (class 08),
// admin_shutdown, crash_shutdown, cannot_connect_now (57P01-57P03) or
// too_many_connections (53300).
func unreachable(err error) bool {
	// The caller's own deadline or cancellation says nothing about the
	// database (and context.DeadlineExceeded is a net.Error).
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var pe *pq.Error
	if errors.As(err, &pe) {
		switch pe.Code {
		case "57P01", "57P02", "57P03", "53300":
			return true
		}
		return pe.Code.Class() == "08"
	}
	return false
}
