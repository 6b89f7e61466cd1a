package taskqueue_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

func remoteTask() *store.Task {
	return &store.Task{ID: store.NewID(), Type: "resize", Description: "make it small",
		Params: json.RawMessage(`{"w":10}`), Attempts: 1, MaxAttempts: 3}
}

func TestRemoteDispatcherOutcomes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		status    int
		body      string
		header    map[string]string
		wantErr   error
		permanent bool
		delay     time.Duration
		result    string
	}{
		{name: "2xx json body is the result", status: 200, body: `{"ok":true}`, result: `{"ok":true}`},
		{name: "2xx text body becomes a JSON string", status: 200, body: "done", result: `"done"`},
		{name: "2xx empty body is null", status: 204, result: `null`},
		{name: "4xx is permanent", status: 422, body: "bad params", permanent: true},
		{name: "429 retries after the header", status: 429, header: map[string]string{"Retry-After": "7"}, delay: 7 * time.Second},
		{name: "5xx retries", status: 502, body: "upstream down"},
		{name: "503 with retry-after", status: 503, header: map[string]string{"Retry-After": "2"}, delay: 2 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got taskqueue.RemoteRequest
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				require.Equal(t, http.MethodPost, r.Method)
				require.Equal(t, "application/json", r.Header.Get("Content-Type"))
				require.Equal(t, "Bearer s3cret", r.Header.Get("Authorization"))
				require.NoError(t, json.NewDecoder(r.Body).Decode(&got))
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			d, err := taskqueue.NewRemoteDispatcher(taskqueue.RemoteConfig{URL: srv.URL, Header: http.Header{"Authorization": {"Bearer s3cret"}}})
			require.NoError(t, err)
			task := remoteTask()
			res, err := d.Dispatch(context.Background(), task)
			require.Equal(t, task.ID, got.ID)
			require.Equal(t, "resize", got.Type)
			require.JSONEq(t, `{"w":10}`, string(got.Params))
			if tc.result != "" {
				require.NoError(t, err)
				require.JSONEq(t, tc.result, string(res))
				return
			}
			require.Error(t, err)
			var re *taskqueue.RemoteError
			require.ErrorAs(t, err, &re)
			require.Equal(t, tc.status, re.StatusCode)
			require.Equal(t, tc.permanent, errors.Is(err, taskqueue.ErrPermanent))
			var ra *taskqueue.RetryAfterError
			if tc.delay > 0 {
				require.ErrorAs(t, err, &ra)
				require.Equal(t, tc.delay, ra.Delay)
			} else {
				require.False(t, errors.As(err, &ra))
			}
		})
	}
}

func TestRemoteDispatcherResponseCap(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `"`+strings.Repeat("x", 200)+`"`)
	}))
	defer srv.Close()
	d, err := taskqueue.NewRemoteDispatcher(taskqueue.RemoteConfig{URL: srv.URL, MaxResponseBytes: 100})
	require.NoError(t, err)
	_, err = d.Dispatch(context.Background(), remoteTask())
	require.ErrorIs(t, err, taskqueue.ErrPermanent)
}

func TestRemoteDispatcherTimeoutRetries(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	d, err := taskqueue.NewRemoteDispatcher(taskqueue.RemoteConfig{URL: srv.URL, Timeout: 20 * time.Millisecond})
	require.NoError(t, err)
	_, err = d.Dispatch(context.Background(), remoteTask())
	require.Error(t, err)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NotErrorIs(t, err, taskqueue.ErrPermanent)
}

// TestRemoteDispatcherCircuitBreaker: consecutive failures open the
// breaker, calls stop reaching the executor, and after the cool-down one
// trial closes it again.
func TestRemoteDispatcherCircuitBreaker(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	var healthy atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		if !healthy.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, `"fine"`)
	}))
	defer srv.Close()
	const coolDown = 50 * time.Millisecond
	d, err := taskqueue.NewRemoteDispatcher(taskqueue.RemoteConfig{URL: srv.URL, BreakerFailures: 3, BreakerCoolDown: coolDown})
	require.NoError(t, err)
	for range 3 {
		_, err := d.Dispatch(context.Background(), remoteTask())
		require.Error(t, err)
	}
	require.Equal(t, int32(3), calls.Load())
	_, err = d.Dispatch(context.Background(), remoteTask())
	require.ErrorIs(t, err, taskqueue.ErrCircuitOpen)
	var ra *taskqueue.RetryAfterError
	require.ErrorAs(t, err, &ra)
	require.Equal(t, coolDown, ra.Delay)
	require.Equal(t, int32(3), calls.Load(), "an open breaker does not call the executor")

	healthy.Store(true)
	eventually(t, 5*time.Second, func() bool {
		_, err := d.Dispatch(context.Background(), remoteTask())
		return err == nil
	}, "breaker never closed again")
	_, err = d.Dispatch(context.Background(), remoteTask())
	require.NoError(t, err)
}

// TestRemoteDispatcherReusesConnections: one keep-alive connection serves
// many sequential tasks.
func TestRemoteDispatcherReusesConnections(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `1`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	d, err := taskqueue.NewRemoteDispatcher(taskqueue.RemoteConfig{URL: srv.URL})
	require.NoError(t, err)
	for range 20 {
		_, err := d.Dispatch(context.Background(), remoteTask())
		require.NoError(t, err)
	}
	require.Equal(t, int32(1), conns.Load())
}

func TestRemoteDispatcherEndToEnd(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req taskqueue.RemoteRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		if req.Attempt < 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"attempt": req.Attempt})
	}))
	defer srv.Close()
	d, err := taskqueue.NewRemoteDispatcher(taskqueue.RemoteConfig{URL: srv.URL})
	require.NoError(t, err)
	e := newMemEnv(t)
	startPool(t, taskqueue.PoolConfig{Queue: e.be, Notifier: e.notifier, Dispatcher: taskqueue.Typed(d, "remote"), RetryPolicy: fastRetry})
	task := create(t, e.be, store.NewTask{Type: "remote"})
	got := waitStatus(t, e.be, task.ID, store.StatusCompleted, 10*time.Second)
	require.JSONEq(t, `{"attempt":2}`, string(got.Result))
}

func TestRemoteDispatcherConfig(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "ftp://x", "/relative", "http://"} {
		_, err := taskqueue.NewRemoteDispatcher(taskqueue.RemoteConfig{URL: u})
		require.ErrorIs(t, err, taskqueue.ErrInvalidConfig, u)
	}
	_, err := taskqueue.NewRemoteDispatcher(taskqueue.RemoteConfig{URL: "http://x", Timeout: -1})
	require.ErrorIs(t, err, taskqueue.ErrInvalidConfig)
}

// headerPropagator is a TracePropagator whose trace is a context value.
type headerPropagator struct{}

type propKey struct{}

func (headerPropagator) Inject(ctx context.Context, c map[string]string) {
	if v, ok := ctx.Value(propKey{}).(string); ok {
		c["traceparent"] = v
	}
}
func (headerPropagator) Extract(ctx context.Context, _ map[string]string) context.Context { return ctx }
func (headerPropagator) Fields() []string                                                 { return []string{"traceparent"} }

// TestRemoteDispatcherPropagatesTrace: the attempt's trace context goes
// to the executor as request headers; without one, no header is sent.
func TestRemoteDispatcherPropagatesTrace(t *testing.T) {
	t.Parallel()
	got := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Traceparent")
	}))
	t.Cleanup(srv.Close)
	d, err := taskqueue.NewRemoteDispatcher(taskqueue.RemoteConfig{URL: srv.URL, Client: srv.Client(), Propagator: headerPropagator{}})
	require.NoError(t, err)
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	_, err = d.Dispatch(context.WithValue(context.Background(), propKey{}, tp), remoteTask())
	require.NoError(t, err)
	require.Equal(t, tp, <-got)
	_, err = d.Dispatch(context.Background(), remoteTask())
	require.NoError(t, err)
	require.Empty(t, <-got)
}
