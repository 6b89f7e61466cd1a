package supervisor

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// No ignore list: every test must leave no goroutine behind, including
	// the ones whose services ignore their context.
	goleak.VerifyTestMain(m)
}

// waitLimit bounds every wait in these tests; it only matters when a test
// is broken, so it is generous.
const waitLimit = 5 * time.Second

// recv returns the next value from ch or fails the test after waitLimit.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLimit):
		require.FailNowf(t, "timed out", "waiting for %s", what)
		var zero T
		return zero
	}
}

// waitFor polls cond until it holds or fails the test after waitLimit.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			require.FailNowf(t, "timed out", "waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// logCapture records slog output as JSON and can call a function
// synchronously for each record, from the goroutine that logged it.
type logCapture struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	onLog  func(msg string)
	logger *slog.Logger
}

func newLogCapture() *logCapture {
	c := &logCapture{}
	c.logger = slog.New(&captureHandler{c: c, h: slog.NewJSONHandler(lockedWriter{c}, &slog.HandlerOptions{Level: slog.LevelDebug})})
	return c
}

// setOnLog installs fn, called for each record after it is written.
func (c *logCapture) setOnLog(fn func(msg string)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onLog = fn
}

// records returns every record written so far, decoded.
func (c *logCapture) records(t *testing.T) []map[string]any {
	t.Helper()
	c.mu.Lock()
	data := c.buf.String()
	c.mu.Unlock()
	var out []map[string]any
	for line := range strings.Lines(data) {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "line %q", line)
		out = append(out, rec)
	}
	return out
}

// find returns the records with the given message (and service, if not
// empty).
func (c *logCapture) find(t *testing.T, msg, service string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, rec := range c.records(t) {
		if rec["msg"] == msg && (service == "" || rec["service"] == service) {
			out = append(out, rec)
		}
	}
	return out
}

type lockedWriter struct{ c *logCapture }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	return w.c.buf.Write(p)
}

type captureHandler struct {
	c *logCapture
	h slog.Handler
}

func (h *captureHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.h.Enabled(ctx, l) }

func (h *captureHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.h.Handle(ctx, r)
	h.c.mu.Lock()
	fn := h.c.onLog
	h.c.mu.Unlock()
	if fn != nil {
		fn(r.Message)
	}
	return err
}

func (h *captureHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &captureHandler{c: h.c, h: h.h.WithAttrs(as)}
}

func (h *captureHandler) WithGroup(name string) slog.Handler {
	return &captureHandler{c: h.c, h: h.h.WithGroup(name)}
}

// blockUntilDone is a well-behaved service body: it signals started (if
// not nil) and returns when its context ends.
func blockUntilDone(started chan<- struct{}) ServiceFunc {
	return func(ctx context.Context) error {
		if started != nil {
			started <- struct{}{}
		}
		<-ctx.Done()
		return ctx.Err()
	}
}

// testConfig returns a config with short durations and the given logger.
func testConfig(logger *slog.Logger) Config {
	return Config{
		Name:           "test",
		Logger:         logger,
		FailureBackoff: 20 * time.Millisecond,
		StopTimeout:    time.Second,
		CheckTimeout:   time.Second,
	}
}

// serve starts s in the background and returns a function that stops it
// and returns Serve's error. The stop also runs at cleanup if the test did
// not call it.
func serve(t *testing.T, s *Supervisor) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := s.ServeBackground(ctx)
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = recv(t, done, "Serve to return")
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}
