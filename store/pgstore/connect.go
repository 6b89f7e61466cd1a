package pgstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultConnectTimeout bounds each connection attempt of a store made by
// [Open] and of a [Listener]: the TCP connection and the start-up
// exchange with the server (TLS, authentication) together. It is lib/pq's
// connect_timeout, applied when neither the connection string nor the
// PGCONNECT_TIMEOUT environment variable sets one; set connect_timeout in
// the connection string (in whole seconds, 0 for none) to change it.
// Without it, a server that accepts connections and never answers held the
// connection attempt, and whatever waited for it, forever.
const DefaultConnectTimeout = 10 * time.Second

// ErrConnectTimeout is wrapped by the error of a connection attempt that
// got no answer from the server within its connect timeout.
var ErrConnectTimeout = errors.New("pgstore: no answer from the database within the connect timeout")

// setsConnectTimeout reports whether dsn or the environment chooses the
// connect timeout.
func setsConnectTimeout(dsn string) bool {
	return strings.Contains(dsn, "connect_timeout") || os.Getenv("PGCONNECT_TIMEOUT") != ""
}

// withConnectTimeout returns dsn (a URL or key=value string) with
// connect_timeout set to DefaultConnectTimeout, unless dsn or the
// environment already chooses one.
func withConnectTimeout(dsn string) string {
	if setsConnectTimeout(dsn) {
		return dsn
	}
	secs := strconv.Itoa(int(DefaultConnectTimeout / time.Second))
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("connect_timeout", secs)
			u.RawQuery = q.Encode()
			return u.String()
		}
		return dsn // lib/pq reports the bad URL
	}
	return strings.TrimSpace(dsn+" connect_timeout=") + secs
}

// connectErr wraps err, the error of a connection attempt bounded by
// timeout, with ErrConnectTimeout when the attempt timed out.
func connectErr(err error, timeout time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err // the caller's limit, not the connect timeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w (%s): %w", ErrConnectTimeout, timeout, err)
	}
	return err
}

// ctxConnector makes the connections of a store's pool. lib/pq gives up a
// connection attempt only at its connect_timeout: the start-up exchange
// does not watch the context. ctxConnector returns as soon as the context
// ends, and the abandoned attempt closes its connection when it ends.
type ctxConnector struct {
	pq      driver.Connector
	timeout time.Duration // the attempt's own bound, for errors
}

func (c *ctxConnector) Driver() driver.Driver { return c.pq.Driver() }

func (c *ctxConnector) Connect(ctx context.Context) (driver.Conn, error) {
	if ctx.Done() == nil {
		cn, err := c.pq.Connect(ctx)
		if err != nil {
			return nil, connectErr(err, c.timeout)
		}
		return cn, nil
	}
	type result struct {
		cn  driver.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		cn, err := c.pq.Connect(ctx)
		done <- result{cn, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, connectErr(r.err, c.timeout)
		}
		return r.cn, nil
	case <-ctx.Done():
		go func() {
			if r := <-done; r.err == nil {
				_ = r.cn.Close()
			}
		}()
		return nil, fmt.Errorf("pgstore: connect: %w", ctx.Err())
	}
}

// ctxDialer dials the connections of a Listener's Serve and closes them
// all when ctx (Serve's) ends, which also ends a connection attempt stuck
// in lib/pq's start-up exchange (the pq.Listener holds its lock through
// it, so not even its Close could return before).
type ctxDialer struct {
	ctx context.Context
	d   net.Dialer
}

func (c *ctxDialer) Dial(network, address string) (net.Conn, error) {
	return c.DialContext(context.Background(), network, address)
}

func (c *ctxDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return c.DialContext(ctx, network, address)
}

func (c *ctxDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopDial := context.AfterFunc(c.ctx, cancel)
	defer stopDial()
	conn, err := c.d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(c.ctx, func() { _ = conn.Close() })
	return &ctxConn{Conn: conn, stop: stop}, nil
}

// ctxConn is a connection of a ctxDialer.
type ctxConn struct {
	net.Conn
	stop func() bool
}

func (c *ctxConn) Close() error {
	c.stop()
	return c.Conn.Close()
}
