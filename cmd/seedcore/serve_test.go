package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/syncbuf"
)

// TestServeSlowClientStop: `seedcore serve` with a client trickling a
// request body stops within the drain timeout (5s) plus a generous margin
// after the signal, with exit status 0, on the in-memory store and on
// PostgreSQL.
func TestServeSlowClientStop(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		pg   bool
	}{{"mem", false}, {"pg", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"serve", "-addr", "127.0.0.1:0", "-token", ""}
			if tc.pg {
				_, db := database(t)
				args = append(args, db...)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var logs syncbuf.Buffer
			served := make(chan int, 1)
			go func() { served <- runContext(ctx, args, io.Discard, &logs) }()
			addrRE := regexp.MustCompile(`msg=listening addr=(\S+)`)
			var addr string
			deadline := time.Now().Add(20 * time.Second)
			for addr == "" {
				if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
					addr = m[1]
					break
				}
				require.True(t, time.Now().Before(deadline), "serve did not listen in time:\n%s", logs.String())
				time.Sleep(10 * time.Millisecond)
			}
			conn, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer conn.Close()
			_, err = fmt.Fprintf(conn, "POST /api/v1/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
			require.NoError(t, err)
			go func() {
				for {
					time.Sleep(500 * time.Millisecond)
					if _, err := conn.Write([]byte(" ")); err != nil {
						return
					}
				}
			}()
			time.Sleep(300 * time.Millisecond)

			cancel()
			// A correctness bound, not a measurement (the old drain waited 30s).
			select {
			case code := <-served:
				require.Equal(t, exitOK, code, logs.String())
			case <-time.After(20 * time.Second):
				t.Fatalf("serve did not stop within 20s:\n%s", logs.String())
			}
			require.Contains(t, logs.String(), "msg=stopped")
		})
	}
}
