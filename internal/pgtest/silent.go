package pgtest

import (
	"net"
	"sync"
	"testing"
)

// Silent starts a TCP server on loopback that accepts every connection and
// never answers, the way a database host behind a black-holing proxy or a
// hung server behaves, and returns a PostgreSQL URL pointing at it
// (sslmode=disable, no connect_timeout). The server and its connections
// are closed in t.Cleanup. It needs no database.
func Silent(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("silent server: %v", err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return "postgres://seedcore@" + ln.Addr().String() + "/seedcore?sslmode=disable"
}
