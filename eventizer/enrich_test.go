package eventizer

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/fakeclock"
)

type enrichBundle struct {
	srv      *httptest.Server
	clock    *fakeclock.Clock
	requests atomic.Int64
	status   atomic.Int64
	bodies   chan enrichRequest
	release  chan struct{}
	block    atomic.Bool
}

func setupEnrich(t *testing.T) *enrichBundle {
	t.Helper()
	b := &enrichBundle{
		clock:   fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		bodies:  make(chan enrichRequest, 100),
		release: make(chan struct{}),
	}
	b.status.Store(http.StatusOK)
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.requests.Add(1)
		var req enrichRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b.bodies <- req
		if b.block.Load() {
			select {
			case <-r.Context().Done():
				return
			case <-b.release:
			}
		}
		w.WriteHeader(int(b.status.Load()))
		_, _ = w.Write([]byte(`{"summary":"ok","n":` + string(rune('0'+len(req.Text)%10)) + `}`))
	}))
	t.Cleanup(func() {
		b.block.Store(false)
		close(b.release)
		b.srv.Close()
	})
	return b
}

func (b *enrichBundle) enricher(t *testing.T, cfg HTTPEnricherConfig) *HTTPEnricher {
	t.Helper()
	cfg.URL = b.srv.URL
	cfg.Client = b.srv.Client()
	cfg.Now = b.clock.Now
	e, err := NewHTTPEnricher(cfg)
	require.NoError(t, err)
	return e
}

func analyzed(t *testing.T, text string) Result {
	t.Helper()
	r, err := Analyze(text, Options{})
	require.NoError(t, err)
	return r
}

func TestEnrichSendsOnlyRedactedTextAndCaches(t *testing.T) {
	t.Parallel()
	b := setupEnrich(t)
	e := b.enricher(t, HTTPEnricherConfig{CacheTTL: time.Minute})
	raw := "Guest maria@example.com lost her luggage, card 4111 1111 1111 1111"
	r := analyzed(t, raw)

	_, err := e.Enrich(context.Background(), raw, r)
	require.ErrorIs(t, err, ErrNotRedacted)
	require.Zero(t, b.requests.Load(), "raw text is never sent")

	v, err := e.Enrich(context.Background(), r.RedactedText, r)
	require.NoError(t, err)
	require.True(t, json.Valid(v))
	sent := <-b.bodies
	require.Equal(t, r.RedactedText, sent.Text)
	require.Equal(t, r.RedactedText, sent.Result.RedactedText)
	require.NotContains(t, sent.Text, "maria@example.com")
	require.NotContains(t, sent.Text, "4111")

	again, err := e.Enrich(context.Background(), r.RedactedText, r)
	require.NoError(t, err)
	require.Equal(t, string(v), string(again))
	require.Equal(t, int64(1), b.requests.Load(), "second call is a cache hit")

	b.clock.Advance(time.Minute)
	_, err = e.Enrich(context.Background(), r.RedactedText, r)
	require.NoError(t, err)
	require.Equal(t, int64(2), b.requests.Load(), "expired entries are fetched again")
}

func TestEnrichLRUEviction(t *testing.T) {
	t.Parallel()
	b := setupEnrich(t)
	e := b.enricher(t, HTTPEnricherConfig{CacheSize: 2})
	texts := []string{"one fire", "two fires", "three fires"}
	for _, s := range texts {
		r := analyzed(t, s)
		_, err := e.Enrich(context.Background(), r.RedactedText, r)
		require.NoError(t, err)
	}
	require.Equal(t, 2, e.cache.len())
	r := analyzed(t, texts[0])
	_, err := e.Enrich(context.Background(), r.RedactedText, r)
	require.NoError(t, err)
	require.Equal(t, int64(4), b.requests.Load(), "the least recently used entry was evicted")
	r = analyzed(t, texts[2])
	_, err = e.Enrich(context.Background(), r.RedactedText, r)
	require.NoError(t, err)
	require.Equal(t, int64(4), b.requests.Load())
}

func TestEnrichBreakerOpensAndRecovers(t *testing.T) {
	t.Parallel()
	b := setupEnrich(t)
	e := b.enricher(t, HTTPEnricherConfig{BreakerFailures: 2, BreakerCoolDown: 10 * time.Second, CacheSize: -1})
	r := analyzed(t, "fire in the lobby")
	b.status.Store(http.StatusBadGateway)
	for range 2 {
		_, err := e.Enrich(context.Background(), r.RedactedText, r)
		require.ErrorIs(t, err, ErrEnrichFailed)
		require.ErrorContains(t, err, "status 502")
	}
	require.Equal(t, "open", e.BreakerState())
	_, err := e.Enrich(context.Background(), r.RedactedText, r)
	require.ErrorIs(t, err, ErrCircuitOpen)
	require.Equal(t, int64(2), b.requests.Load(), "an open circuit sends nothing")

	b.clock.Advance(10 * time.Second)
	require.Equal(t, "half-open", e.BreakerState())
	b.status.Store(http.StatusOK)
	_, err = e.Enrich(context.Background(), r.RedactedText, r)
	require.NoError(t, err)
	require.Equal(t, "closed", e.BreakerState())
}

func TestEnrichClientErrorsDoNotOpenBreaker(t *testing.T) {
	t.Parallel()
	b := setupEnrich(t)
	e := b.enricher(t, HTTPEnricherConfig{BreakerFailures: 1, CacheSize: -1})
	r := analyzed(t, "fire")
	b.status.Store(http.StatusUnprocessableEntity)
	for range 3 {
		_, err := e.Enrich(context.Background(), r.RedactedText, r)
		require.ErrorIs(t, err, ErrEnrichFailed)
	}
	require.Equal(t, "closed", e.BreakerState())
}

func TestEnrichTimeout(t *testing.T) {
	t.Parallel()
	b := setupEnrich(t)
	b.block.Store(true)
	e := b.enricher(t, HTTPEnricherConfig{Timeout: 50 * time.Millisecond, BreakerFailures: 1})
	r := analyzed(t, "smoke")
	_, err := e.Enrich(context.Background(), r.RedactedText, r)
	require.ErrorIs(t, err, ErrEnrichFailed)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, "open", e.BreakerState(), "a timeout counts as a failure")
}

func TestEnrichCallerCancelIsNotAFailure(t *testing.T) {
	t.Parallel()
	b := setupEnrich(t)
	b.block.Store(true)
	e := b.enricher(t, HTTPEnricherConfig{BreakerFailures: 1})
	r := analyzed(t, "smoke")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-b.bodies
		cancel()
	}()
	_, err := e.Enrich(ctx, r.RedactedText, r)
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, "closed", e.BreakerState())
}

func TestEnrichBoundedConcurrency(t *testing.T) {
	t.Parallel()
	b := setupEnrich(t)
	b.block.Store(true)
	e := b.enricher(t, HTTPEnricherConfig{MaxConcurrent: 1, CacheSize: -1})
	r := analyzed(t, "smoke")
	first := make(chan error, 1)
	go func() {
		_, err := e.Enrich(context.Background(), r.RedactedText, r)
		first <- err
	}()
	select {
	case <-b.bodies:
	case <-time.After(5 * time.Second):
		t.Fatal("first request never arrived")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := e.Enrich(ctx, r.RedactedText, r)
	require.ErrorIs(t, err, ErrBusy)
	require.Equal(t, int64(1), b.requests.Load())
	b.release <- struct{}{}
	select {
	case err := <-first:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("first request never finished")
	}
}

func TestEnrichRejectsNonJSON(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("<html>oops</html>"))
	}))
	t.Cleanup(srv.Close)
	e, err := NewHTTPEnricher(HTTPEnricherConfig{URL: srv.URL})
	require.NoError(t, err)
	t.Cleanup(e.Close)
	r := analyzed(t, "fire")
	_, err = e.Enrich(context.Background(), r.RedactedText, r)
	require.ErrorIs(t, err, ErrEnrichFailed)
	require.ErrorContains(t, err, "not JSON")
}

func TestNewHTTPEnricherValidation(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]HTTPEnricherConfig{
		"no url":           {},
		"negative timeout": {URL: "http://x", Timeout: -1},
		"negative slots":   {URL: "http://x", MaxConcurrent: -1},
	} {
		_, err := NewHTTPEnricher(cfg)
		require.ErrorIs(t, err, ErrInvalidOptions, name)
	}
	e, err := NewHTTPEnricher(HTTPEnricherConfig{URL: "http://x"})
	require.NoError(t, err)
	require.Equal(t, 5*time.Second, e.cfg.Timeout)
	require.Equal(t, 4, cap(e.sem))
	require.True(t, strings.HasPrefix(e.BreakerState(), "closed"))
}
