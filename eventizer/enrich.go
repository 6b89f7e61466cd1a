package eventizer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/seedcore/seedcore/internal/breaker"
)

// Enricher runs a slower, remote analysis of an already analysed text. It
// receives only the redacted text and the local [Result]; what it returns
// is stored with the task as is.
type Enricher interface {
	// Enrich returns the remote analysis as JSON. redactedText must be
	// r.RedactedText.
	Enrich(ctx context.Context, redactedText string, r Result) (json.RawMessage, error)
}

// ErrNotRedacted is returned by [HTTPEnricher.Enrich] when redactedText is
// not the Result's RedactedText: the enricher refuses to send a text the
// analyzer did not redact.
var ErrNotRedacted = errors.New("eventizer: text is not the result's redacted text")

// HTTPEnricherConfig configures an [HTTPEnricher]. URL is required.
type HTTPEnricherConfig struct {
	// BreakerCoolDown is how long the circuit stays open before one trial
	// request. Default 30s.
	BreakerCoolDown time.Duration
	// BreakerFailures is the number of consecutive failures (transport
	// errors, timeouts, 5xx, 429) that opens the circuit. Default 5.
	BreakerFailures int
	// CacheSize is the number of responses kept (least recently used are
	// dropped). Default 1024; negative disables the cache.
	CacheSize int
	// CacheTTL is how long a response is reused. Default 10m.
	CacheTTL time.Duration
	// Client sends the requests. Default: a client of its own with pooled
	// keep-alive connections.
	Client *http.Client
	// Logger receives debug and warning records. Default: discards them.
	Logger *slog.Logger
	// MaxConcurrent bounds the requests in flight. Default 4.
	MaxConcurrent int
	// MaxResponseBytes caps the response body. Default 1 MiB.
	MaxResponseBytes int64
	// Now is the clock for the cache and the breaker. Default time.Now.
	Now func() time.Time
	// Timeout bounds each request, including reading the body. Default 5s.
	Timeout time.Duration
	// URL receives a POST with the JSON body
	// {"text": <redacted text>, "result": <Result>} and answers 2xx with a
	// JSON body.
	URL string
}

// HTTPEnricher is an [Enricher] that calls a remote HTTP service, behind a
// bounded number of concurrent requests, a circuit breaker and an LRU cache
// (with a TTL) keyed by the SHA-256 of the redacted text. It never sends
// anything but the redacted text and the Result. It is safe for concurrent
// use.
type HTTPEnricher struct {
	cfg       HTTPEnricherConfig
	ownClient bool
	br        *breaker.Breaker
	sem       chan struct{}
	cache     *lruCache
	log       *slog.Logger
}

var _ Enricher = (*HTTPEnricher)(nil)

// NewHTTPEnricher validates cfg, fills its defaults and returns the
// enricher. Errors wrap [ErrInvalidOptions].
func NewHTTPEnricher(cfg HTTPEnricherConfig) (*HTTPEnricher, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("%w: HTTPEnricherConfig.URL is empty", ErrInvalidOptions)
	}
	if cfg.Timeout < 0 || cfg.CacheTTL < 0 || cfg.BreakerCoolDown < 0 || cfg.MaxConcurrent < 0 || cfg.BreakerFailures < 0 || cfg.MaxResponseBytes < 0 {
		return nil, fmt.Errorf("%w: negative HTTPEnricherConfig setting", ErrInvalidOptions)
	}
	if cfg.BreakerCoolDown == 0 {
		cfg.BreakerCoolDown = 30 * time.Second
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = 1024
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = 10 * time.Minute
	}
	ownClient := cfg.Client == nil
	if ownClient {
		cfg.Client = &http.Client{Transport: &http.Transport{
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     90 * time.Second,
		}}
	}
	if cfg.MaxConcurrent == 0 {
		cfg.MaxConcurrent = 4
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = 1 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	br, err := breaker.New(breaker.Config{Failures: cfg.BreakerFailures, CoolDown: cfg.BreakerCoolDown, Now: cfg.Now})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	e := &HTTPEnricher{cfg: cfg, ownClient: ownClient, br: br, sem: make(chan struct{}, cfg.MaxConcurrent), log: log}
	if cfg.CacheSize > 0 {
		e.cache = newLRU(cfg.CacheSize, cfg.CacheTTL, cfg.Now)
	}
	return e, nil
}

type enrichRequest struct {
	Text   string `json:"text"`
	Result Result `json:"result"`
}

// Enrich returns the service's JSON answer for r, from the cache when a
// fresh answer for the same redacted text is there. It returns an error
// wrapping [ErrNotRedacted] when redactedText is not r.RedactedText,
// [ErrCircuitOpen] while the breaker is open, [ErrBusy] when no
// concurrency slot frees up before ctx ends, and [ErrEnrichFailed] when the
// request fails.
func (e *HTTPEnricher) Enrich(ctx context.Context, redactedText string, r Result) (json.RawMessage, error) {
	if redactedText != r.RedactedText {
		return nil, ErrNotRedacted
	}
	key := sha256.Sum256([]byte(redactedText))
	if e.cache != nil {
		if v, ok := e.cache.get(key); ok {
			e.log.DebugContext(ctx, "eventizer: enrichment cache hit")
			return v, nil
		}
	}
	select {
	case e.sem <- struct{}{}:
		defer func() { <-e.sem }()
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	}
	done, err := e.br.Allow()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCircuitOpen, err)
	}
	v, healthy, err := e.do(ctx, redactedText, r)
	switch {
	case err == nil:
		done(breaker.Success)
	case ctx.Err() != nil:
		done(breaker.Ignored) // the caller gave up; says nothing about the service
	case healthy:
		done(breaker.Success) // the service answered; the request was at fault
	default:
		done(breaker.Failure)
	}
	if err != nil {
		e.log.WarnContext(ctx, "eventizer: enrichment failed", slog.String("error", err.Error()))
		return nil, err
	}
	if e.cache != nil {
		e.cache.put(key, v)
	}
	return v, nil
}

// do sends one request. healthy reports that the service answered sanely
// even if the request failed (a 4xx other than 429).
func (e *HTTPEnricher) do(ctx context.Context, text string, r Result) (v json.RawMessage, healthy bool, err error) {
	body, err := json.Marshal(enrichRequest{Text: text, Result: r})
	if err != nil {
		return nil, true, fmt.Errorf("%w: encode request: %w", ErrEnrichFailed, err)
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return nil, true, fmt.Errorf("%w: %w", ErrEnrichFailed, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := e.cfg.Client.Do(req)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", ErrEnrichFailed, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, e.cfg.MaxResponseBytes+1))
	if err != nil {
		return nil, false, fmt.Errorf("%w: read response: %w", ErrEnrichFailed, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		healthy := resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests
		return nil, healthy, fmt.Errorf("%w: status %d", ErrEnrichFailed, resp.StatusCode)
	}
	if int64(len(data)) > e.cfg.MaxResponseBytes {
		return nil, true, fmt.Errorf("%w: response larger than %d bytes", ErrEnrichFailed, e.cfg.MaxResponseBytes)
	}
	if !json.Valid(data) {
		return nil, false, fmt.Errorf("%w: response is not JSON", ErrEnrichFailed)
	}
	return json.RawMessage(data), true, nil
}

// Close releases the idle connections of the enricher's own client (not
// those of a Config.Client). The enricher stays usable.
func (e *HTTPEnricher) Close() {
	if e.ownClient {
		e.cfg.Client.CloseIdleConnections()
	}
}

// BreakerState reports the circuit breaker's state: "closed", "open" or
// "half-open".
func (e *HTTPEnricher) BreakerState() string { return e.br.State().String() }

// lruCache is a fixed-size LRU cache with a TTL per entry. The recency
// list is golang-lru's; expiry is checked here against the configured
// clock, so no goroutine sweeps the cache and tests drive the TTL with a
// fake clock (golang-lru's expirable cache offers neither).
type lruCache struct {
	mu  sync.Mutex
	ttl time.Duration
	now func() time.Time
	lru *simplelru.LRU[[32]byte, lruEntry]
}

type lruEntry struct {
	val     json.RawMessage
	expires time.Time
}

func newLRU(size int, ttl time.Duration, now func() time.Time) *lruCache {
	l, err := simplelru.NewLRU[[32]byte, lruEntry](size, nil)
	if err != nil {
		panic(err) // size > 0 is checked by NewHTTPEnricher
	}
	return &lruCache{ttl: ttl, now: now, lru: l}
}

func (c *lruCache) get(k [32]byte) (json.RawMessage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ent, ok := c.lru.Get(k)
	if !ok {
		return nil, false
	}
	if !c.now().Before(ent.expires) {
		c.lru.Remove(k)
		return nil, false
	}
	return append(json.RawMessage(nil), ent.val...), true
}

func (c *lruCache) put(k [32]byte, v json.RawMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Add(k, lruEntry{val: v, expires: c.now().Add(c.ttl)})
}

func (c *lruCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
