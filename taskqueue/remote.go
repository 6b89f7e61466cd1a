package taskqueue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/seedcore/seedcore/internal/breaker"
	"github.com/seedcore/seedcore/store"
)

// ErrCircuitOpen is returned (inside a [RetryAfter]) by a [RemoteDispatcher]
// whose circuit breaker is open: the executor failed too often and is given
// a cool-down before it is called again.
var ErrCircuitOpen = errors.New("taskqueue: remote executor circuit open")

// Default values of [RemoteConfig] fields.
const (
	DefaultRemoteTimeout     = 30 * time.Second
	DefaultRemoteMaxResponse = 1 << 20
	DefaultBreakerFailures   = 5
	DefaultBreakerCoolDown   = 10 * time.Second
	remoteErrorSnippet       = 512
)

// RemoteConfig configures a [RemoteDispatcher].
type RemoteConfig struct {
	// BreakerCoolDown is how long the breaker stays open before one trial
	// call. Default DefaultBreakerCoolDown.
	BreakerCoolDown time.Duration
	// BreakerFailures is how many consecutive failures (5xx, timeouts,
	// connection errors) open the breaker. Default DefaultBreakerFailures.
	BreakerFailures int
	// Client sends the requests. Default: a client of its own with a pooled
	// keep-alive transport, reused for every task.
	Client *http.Client
	// Header is added to every request (for example Authorization).
	Header http.Header
	// MaxResponseBytes caps the response body kept as the result; a longer
	// body fails the task permanently. Default DefaultRemoteMaxResponse.
	MaxResponseBytes int64
	// Propagator, when set, writes the trace context of each attempt's
	// ctx into the request's headers (a traceparent, say), so the
	// executor's work joins the attempt's trace. An otelseed.Tracer is
	// one. Default nil: no trace headers.
	Propagator TracePropagator
	// Timeout bounds each request (the task's own deadline applies too).
	// Default DefaultRemoteTimeout.
	Timeout time.Duration
	// URL is the executor's endpoint, http or https. Required.
	URL string
}

// RemoteDispatcher is a [Dispatcher] that runs each task on another service
// over HTTP: it POSTs the task as JSON ([RemoteRequest]) to URL and takes a
// 2xx response body as the task's result (JSON as is; any other body as a
// JSON string).
//
// Responses steer the outcome: 4xx fails the task permanently, except 408
// and 429, which retry; 5xx, timeouts and connection errors retry; a
// Retry-After header on 429 or 503 sets the delay. A circuit breaker stops
// calling an executor that keeps failing. It is safe for concurrent use.
//
// A pool claims only declared task types: serve it as
// Typed(remote, types...) with the types the executor runs, or as
// AnyType(remote) when it runs every type.
type RemoteDispatcher struct {
	cfg     RemoteConfig
	url     string
	breaker *breaker.Breaker
}

// RemoteRequest is the JSON body a [RemoteDispatcher] sends.
type RemoteRequest struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Description string          `json:"description"`
	Domain      string          `json:"domain,omitempty"`
	Params      json.RawMessage `json:"params"`
	Priority    int             `json:"priority"`
	Attempt     int             `json:"attempt"`
	MaxAttempts int             `json:"max_attempts"`
}

// RemoteError is the error for a non-2xx response. It is wrapped in
// [Permanent] for a 4xx other than 408 and 429.
type RemoteError struct {
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// Body is the start of the response body.
	Body string
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("remote executor answered %d: %s", e.StatusCode, e.Body)
}

// NewRemoteDispatcher returns a RemoteDispatcher for cfg. Errors wrap
// [ErrInvalidConfig].
func NewRemoteDispatcher(cfg RemoteConfig) (*RemoteDispatcher, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: remote URL %q must be an absolute http or https URL", ErrInvalidConfig, cfg.URL)
	}
	if cfg.Timeout < 0 || cfg.MaxResponseBytes < 0 || cfg.BreakerFailures < 0 || cfg.BreakerCoolDown < 0 {
		return nil, fmt.Errorf("%w: remote settings must not be negative", ErrInvalidConfig)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultRemoteTimeout
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = DefaultRemoteMaxResponse
	}
	if cfg.BreakerFailures == 0 {
		cfg.BreakerFailures = DefaultBreakerFailures
	}
	if cfg.BreakerCoolDown == 0 {
		cfg.BreakerCoolDown = DefaultBreakerCoolDown
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
			ForceAttemptHTTP2:   true,
		}}
	}
	b, err := breaker.New(breaker.Config{Failures: cfg.BreakerFailures, CoolDown: cfg.BreakerCoolDown})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return &RemoteDispatcher{cfg: cfg, url: u.String(), breaker: b}, nil
}

// Dispatch implements [Dispatcher].
func (d *RemoteDispatcher) Dispatch(ctx context.Context, t *store.Task) (json.RawMessage, error) {
	body, err := json.Marshal(RemoteRequest{
		ID: t.ID, Type: t.Type, Description: t.Description, Domain: t.Domain, Params: t.Params,
		Priority: t.Priority, Attempt: t.Attempts, MaxAttempts: t.MaxAttempts,
	})
	if err != nil {
		return nil, Permanent(fmt.Errorf("taskqueue: encode remote request: %w", err))
	}
	done, err := d.breaker.Allow()
	if err != nil {
		return nil, RetryAfter(d.cfg.BreakerCoolDown, ErrCircuitOpen)
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(body))
	if err != nil {
		done(breaker.Ignored)
		return nil, Permanent(fmt.Errorf("taskqueue: build remote request: %w", err))
	}
	for k, vs := range d.cfg.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", t.ID)
	if d.cfg.Propagator != nil {
		trace := make(map[string]string, 2)
		d.cfg.Propagator.Inject(ctx, trace)
		for k, v := range trace {
			req.Header.Set(k, v)
		}
	}

	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		// Our own task context being cancelled says nothing about the
		// executor; a timeout or a connection error does.
		if ctx.Err() == context.Canceled {
			done(breaker.Ignored)
		} else {
			done(breaker.Failure)
		}
		return nil, fmt.Errorf("taskqueue: remote executor: %w", err)
	}
	defer resp.Body.Close()
	data, readErr := io.ReadAll(io.LimitReader(resp.Body, d.cfg.MaxResponseBytes+1))

	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		done(breaker.Success)
		if readErr != nil {
			return nil, fmt.Errorf("taskqueue: read remote response: %w", readErr)
		}
		if int64(len(data)) > d.cfg.MaxResponseBytes {
			return nil, Permanent(fmt.Errorf("taskqueue: remote response is larger than %d bytes", d.cfg.MaxResponseBytes))
		}
		return asJSON(data), nil
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout:
		done(breaker.Success)
		return nil, retryFor(resp, &RemoteError{StatusCode: code, Body: snippet(data)})
	case code >= 400 && code < 500:
		done(breaker.Success)
		return nil, Permanent(&RemoteError{StatusCode: code, Body: snippet(data)})
	default:
		done(breaker.Failure)
		return nil, retryFor(resp, &RemoteError{StatusCode: code, Body: snippet(data)})
	}
}

// retryFor honours a Retry-After header (seconds or an HTTP date).
func retryFor(resp *http.Response, err error) error {
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return err
	}
	if s, perr := strconv.Atoi(v); perr == nil && s >= 0 {
		return RetryAfter(time.Duration(s)*time.Second, err)
	}
	if at, perr := http.ParseTime(v); perr == nil {
		return RetryAfter(max(time.Until(at), 0), err)
	}
	return err
}

func asJSON(data []byte) json.RawMessage {
	if len(bytes.TrimSpace(data)) == 0 {
		return json.RawMessage("null")
	}
	if json.Valid(data) {
		return json.RawMessage(data)
	}
	s, _ := json.Marshal(string(data))
	return s
}

func snippet(data []byte) string {
	return truncate(string(bytes.TrimSpace(data)), remoteErrorSnippet)
}
