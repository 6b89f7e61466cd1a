package seedcore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/store"
)

// running is an App served by Run on a loopback listener.
type running struct {
	app  *seedcore.App
	srv  *http.Server
	base string
	stop context.CancelFunc
	done chan error
}

func startRun(t *testing.T, cfg seedcore.Config, srv *http.Server) *running {
	t.Helper()
	app, err := seedcore.New(context.Background(), cfg)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{app: app, srv: srv, base: "http://" + ln.Addr().String(), stop: cancel, done: make(chan error, 1)}
	go func() { r.done <- app.Run(ctx, srv, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(60 * time.Second):
			t.Error("Run did not return")
		}
	})
	waitFor(t, 10*time.Second, app.Ready, "app never became ready")
	return r
}

// trickle opens a connection that sends a POST's headers and then one byte
// of its body every interval, forever: a slow client.
func trickle(t *testing.T, base string, interval time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	_, err = fmt.Fprintf(conn, "POST /api/v1/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
	require.NoError(t, err)
	go func() {
		for {
			time.Sleep(interval)
			if _, err := conn.Write([]byte(" ")); err != nil {
				return
			}
		}
	}()
}

// TestRunSlowClientDoesNotBlockStop: with a client trickling a request
// body, a stop by ctx returns nil within the drain timeout (plus a
// generous margin), and a task that becomes due after the stop began is
// never claimed, on both stores.
func TestRunSlowClientDoesNotBlockStop(t *testing.T) {
	t.Parallel()
	for _, e := range appEnvs {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			cfg := e.cfg(t)
			cfg.Dispatcher = echoMux(t)
			cfg.DrainTimeout = time.Second
			cfg.PollInterval = 20 * time.Millisecond
			r := startRun(t, cfg, &http.Server{})

			// A task due shortly after the signal.
			due, _, err := r.app.Enqueue(context.Background(), store.NewTask{Type: "test", RunAfter: time.Now().Add(500 * time.Millisecond)})
			require.NoError(t, err)
			trickle(t, r.base, 100*time.Millisecond)
			time.Sleep(200 * time.Millisecond) // let the request reach its handler; the bound below does not depend on it

			start := time.Now()
			r.stop()
			// A correctness bound, not a measurement: the drain timeout
			// plus the App's stop, with room for a loaded machine. Before
			// the fix the HTTP drain alone waited StopTimeout (30s).
			const bound = 15 * time.Second
			select {
			case err := <-r.done:
				r.done <- err // for the cleanup
				require.NoError(t, err)
			case <-time.After(bound):
				t.Fatalf("Run did not return within %s of the stop", bound)
			}
			t.Logf("Run returned %s after the stop (drain timeout %s)", time.Since(start).Round(time.Millisecond), cfg.DrainTimeout)
			// Past the due time, the task was not claimed: claiming ended
			// at the stop.
			time.Sleep(time.Until(due.RunAfter.Add(100 * time.Millisecond)))
			got, err := r.app.Store().Get(context.Background(), due.ID)
			require.NoError(t, err)
			require.Equal(t, store.StatusQueued, got.Status)
			require.Equal(t, 0, got.Attempts)
		})
	}
}

// TestRunSetsTimeouts: Run gives the server the default read, write and
// idle timeouts it lacks and keeps those it has.
func TestRunSetsTimeouts(t *testing.T) {
	t.Parallel()
	srv := &http.Server{WriteTimeout: -1}
	r := startRun(t, seedcore.Config{Dispatcher: echoMux(t)}, srv)
	r.stop()
	select {
	case err := <-r.done:
		r.done <- err
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return")
	}
	require.Equal(t, seedcore.DefaultReadHeaderTimeout, srv.ReadHeaderTimeout)
	require.Equal(t, seedcore.DefaultReadTimeout, srv.ReadTimeout)
	require.Equal(t, time.Duration(-1), srv.WriteTimeout, "a set value is kept")
	require.Equal(t, seedcore.DefaultIdleTimeout, srv.IdleTimeout)
}

// TestRunStreamOutlivesTimeouts: an event stream goes on past the server's
// read and write timeouts (the handler lifts the write deadline for its
// request; net/http clears the read deadline once a body-less request is
// read), while those timeouts still hold for other requests.
func TestRunStreamOutlivesTimeouts(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	r := startRun(t, seedcore.Config{Dispatcher: echoMux(t), PollInterval: 20 * time.Millisecond},
		&http.Server{ReadTimeout: timeout, WriteTimeout: timeout})
	held, _, err := r.app.Enqueue(context.Background(), store.NewTask{Type: "test", Hold: true})
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+"/api/v1/tasks/"+held.ID+"/events", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	time.Sleep(3 * timeout) // past both timeouts
	_, err = r.app.Store().Run(context.Background(), held.ID)
	require.NoError(t, err)
	var statuses []string
	for line := range lines {
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			for _, s := range []string{"created", "queued", "running", "completed"} {
				if strings.Contains(data, `"status":"`+s+`"`) {
					statuses = append(statuses, s)
				}
			}
		}
	}
	require.NotEmpty(t, statuses)
	require.Equal(t, "completed", statuses[len(statuses)-1], "the stream ended early: %v", statuses)

	// A trickled request body is still cut by the read timeout.
	conn, err := net.Dial("tcp", strings.TrimPrefix(r.base, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /api/v1/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(15*time.Second)))
	buf := make([]byte, 4096)
	for {
		// The server answers (an error for the cut body) and closes, or
		// just closes; either way the connection ends long before 15s.
		if _, err := conn.Read(buf); err != nil {
			var ne net.Error
			require.False(t, errors.As(err, &ne) && ne.Timeout(), "the read timeout did not cut the trickled body")
			break
		}
	}
}

// TestEnqueueAfterShutdown: after Shutdown, Enqueue (and EnqueueTx) store
// nothing and return an error wrapping ErrShutdown and store.ErrClosed,
// on both stores, whether or not the App was serving.
func TestEnqueueAfterShutdown(t *testing.T) {
	t.Parallel()
	for _, e := range appEnvs {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			for _, serving := range []bool{false, true} {
				cfg := e.cfg(t)
				cfg.Dispatcher = echoMux(t)
				app, err := seedcore.New(context.Background(), cfg)
				require.NoError(t, err)
				if serving {
					done := make(chan error, 1)
					go func() { done <- app.Serve(context.Background()) }()
					waitFor(t, 10*time.Second, app.Ready, "app never became ready")
					require.NoError(t, app.Shutdown(context.Background()))
					require.ErrorIs(t, <-done, seedcore.ErrShutdown)
				} else {
					require.NoError(t, app.Shutdown(context.Background()))
				}
				_, _, err = app.Enqueue(context.Background(), store.NewTask{Type: "test", Description: "late"})
				require.ErrorIs(t, err, seedcore.ErrShutdown)
				require.ErrorIs(t, err, store.ErrClosed)
				_, _, err = app.EnqueueTx(context.Background(), nil, store.NewTask{Type: "test"})
				require.ErrorIs(t, err, seedcore.ErrShutdown)
				page, err := app.Store().List(context.Background(), store.Filter{})
				require.NoError(t, err)
				require.Empty(t, page.Tasks, "nothing was stored")
			}
		})
	}
}
