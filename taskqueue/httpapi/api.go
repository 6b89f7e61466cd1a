package httpapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/seedcore/seedcore/internal/httpmw"
	"github.com/seedcore/seedcore/internal/pathprefix"
	"github.com/seedcore/seedcore/store"
)

// Defaults of [Config].
const (
	DefaultPrefix       = "/api/v1"
	DefaultMaxBodyBytes = 1 << 20
	DefaultMaxJSONDepth = 32
	// DefaultMaxParamsBytes is the default Config.MaxParamsBytes (64 KiB).
	DefaultMaxParamsBytes = 64 << 10
	// DefaultMaxStreams is the default Config.MaxStreams.
	DefaultMaxStreams   = 1000
	DefaultPollInterval = time.Second
	// MinPollInterval is the shortest Config.PollInterval accepted, so a
	// stream without a notifier never polls the store in a tight loop.
	MinPollInterval = 10 * time.Millisecond
	// KeepAliveInterval is how often an idle event stream sends a comment
	// line, so proxies do not close it.
	KeepAliveInterval = 15 * time.Second
	// RetryAfter is the Retry-After every 503 answer carries: the store
	// is unreachable or closing, or the service is not ready. The
	// dashboard's 503 answers carry the same value.
	RetryAfter = httpmw.RetryAfter
)

// Enqueuer stores a new task on behalf of the API: the application puts
// its own pipeline here (analyse and redact the description, then
// [store.Store.Create]). It returns the stored task and created == false
// when the task's idempotency key already existed. Errors wrapping the
// store's sentinels are mapped to their HTTP status; their text is never
// sent to the client, but an internal error's text is logged, so it must
// not quote the task's description or params.
type Enqueuer interface {
	Enqueue(ctx context.Context, t store.NewTask) (task store.Task, created bool, err error)
}

// EnqueuerFunc adapts a function to [Enqueuer].
type EnqueuerFunc func(ctx context.Context, t store.NewTask) (store.Task, bool, error)

// Enqueue calls f.
func (f EnqueuerFunc) Enqueue(ctx context.Context, t store.NewTask) (store.Task, bool, error) {
	return f(ctx, t)
}

// Config configures an [API]. Store and Enqueuer are required.
type Config struct {
	// Authorize, when set, is called for every request except GET /health
	// before it is served. A nil return lets the request through; an error
	// wrapping ErrUnauthorized answers 401, any other error 403. The
	// error's text is logged at debug level, never sent. Default: nil,
	// every request is allowed.
	Authorize func(*http.Request) error
	// Enqueuer stores the tasks that POST /tasks receives. Required.
	Enqueuer Enqueuer
	// Logger receives request logs (debug), rejected requests (debug) and
	// internal errors (error), each with the request id. Default: a logger
	// that discards everything.
	Logger *slog.Logger
	// MaxBodyBytes bounds a request body; a larger one is answered 413.
	// Default (zero): DefaultMaxBodyBytes (1 MiB). Negative is an error.
	MaxBodyBytes int64
	// MaxJSONDepth bounds the nesting of a request body's JSON, params
	// included; a deeper body is answered 400 too_deep before it is
	// decoded. Default (zero): DefaultMaxJSONDepth (32). Negative is an
	// error.
	MaxJSONDepth int
	// MaxPageBytes is the byte budget of a listing page
	// ([store.Filter.MaxBytes]): a page ends early, with a cursor, once
	// the tasks in it take about this many bytes. Default (zero):
	// store.DefaultListBytes (8 MiB). Negative is an error.
	MaxPageBytes int
	// MaxParamsBytes bounds the params of a created task, in bytes as
	// sent; larger params are answered 400 invalid_request naming params.
	// Default (zero): DefaultMaxParamsBytes (64 KiB). Negative, or more
	// than the store's hard cap store.MaxParamsBytes (1 MiB), is an error.
	MaxParamsBytes int
	// MaxStreams bounds the event streams (GET .../events) open at once;
	// a stream beyond it is answered 503 too_many_streams with
	// Retry-After. Each open stream holds a connection and a goroutine,
	// and re-reads its task when it changes. Default (zero):
	// DefaultMaxStreams (1,000). Negative is an error.
	MaxStreams int
	// Notifier, when set, tells the event streams when to re-read their
	// task. Default: nil, streams poll the store every PollInterval.
	Notifier store.Notifier
	// PollInterval is how often an event stream re-reads its task when
	// there is no Notifier, and how long it waits before retrying after a
	// store error. Default (zero): DefaultPollInterval (1s). It must not be
	// below MinPollInterval.
	PollInterval time.Duration
	// Prefix is the path under which the task routes are served. It must
	// start with "/", must not end with "/", and its segments may hold
	// only letters, digits, "-", "_", "." and "~". Default (empty):
	// DefaultPrefix ("/api/v1").
	Prefix string
	// Ready reports whether the application is ready to serve. While it
	// fails GET /readyz answers 503 not_ready and logs the error's text
	// (warn); the answer lists the error's reasons when it has a method
	// Reasons() []string (supervisor.Supervisor.Check's errors do: names
	// and states, no driver text), and never the error's text. Default:
	// nil, always ready.
	Ready func(ctx context.Context) error
	// Handles, when set, reports whether this process's workers run tasks
	// of a type: GET {prefix}/queues then marks each ready type with
	// "handled_here", so a type no process handles shows as waiting for a
	// handler. Default nil: types are not marked.
	Handles func(taskType string) bool
	// Processes, when set, serves GET {prefix}/processes: the live
	// processes sharing the store. Default nil: the route is not served.
	Processes store.ProcessLister
	// Schedules, when set, serves GET {prefix}/schedules: the periodic
	// schedules with their next and last runs. Default nil: the route is
	// not served.
	Schedules store.ScheduleLister
	// Store serves the lookups, listings, cancels and runs. Required.
	Store store.Store
}

// API is the HTTP task API. Create one with [New]; it is safe for
// concurrent use.
type API struct {
	cfg       Config
	handler   http.Handler
	keepAlive time.Duration
	// streams counts the open event streams.
	streams atomic.Int64
}

// New validates cfg, fills its defaults and returns the API. Errors wrap
// [ErrInvalidConfig].
func New(cfg Config) (*API, error) {
	bad := func(format string, args ...any) (*API, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	switch {
	case cfg.Store == nil:
		return bad("Store is required")
	case cfg.Enqueuer == nil:
		return bad("Enqueuer is required")
	case cfg.MaxBodyBytes < 0:
		return bad("MaxBodyBytes %d is negative", cfg.MaxBodyBytes)
	case cfg.MaxJSONDepth < 0:
		return bad("MaxJSONDepth %d is negative", cfg.MaxJSONDepth)
	case cfg.MaxParamsBytes < 0 || cfg.MaxParamsBytes > store.MaxParamsBytes:
		return bad("MaxParamsBytes %d is outside 0..%d", cfg.MaxParamsBytes, store.MaxParamsBytes)
	case cfg.MaxStreams < 0:
		return bad("MaxStreams %d is negative", cfg.MaxStreams)
	case cfg.MaxPageBytes < 0:
		return bad("MaxPageBytes %d is negative", cfg.MaxPageBytes)
	case cfg.PollInterval < 0 || (cfg.PollInterval > 0 && cfg.PollInterval < MinPollInterval):
		return bad("PollInterval %s is below %s", cfg.PollInterval, MinPollInterval)
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if err := pathprefix.Check(cfg.Prefix); err != nil {
		return bad("Prefix %q: %s", cfg.Prefix, err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxJSONDepth == 0 {
		cfg.MaxJSONDepth = DefaultMaxJSONDepth
	}
	if cfg.MaxParamsBytes == 0 {
		cfg.MaxParamsBytes = DefaultMaxParamsBytes
	}
	if cfg.MaxStreams == 0 {
		cfg.MaxStreams = DefaultMaxStreams
	}
	if cfg.MaxPageBytes == 0 {
		cfg.MaxPageBytes = store.DefaultListBytes
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	a := &API{cfg: cfg, keepAlive: KeepAliveInterval}
	a.handler = a.routes()
	return a, nil
}

// Prefix returns the path prefix of the task routes.
func (a *API) Prefix() string { return a.cfg.Prefix }

// Handler returns the handler that serves the task routes under the
// prefix and GET /health and GET /readyz at the root. Every response
// carries an X-Request-ID header (the request's own when it sent a
// usable one). A host can serve it directly or mount it in its own mux
// at the prefix and at the two health paths; paths are matched in full,
// so do not strip a prefix in front of it.
func (a *API) Handler() http.Handler { return a.handler }

// Guard returns h behind the API's own middleware, for a route the host
// serves next to the API (such as /metrics): the request id, the
// [Config.Authorize] check with the API's JSON error bodies (401
// unauthorized, 403 forbidden), panic recovery and the request log.
func (a *API) Guard(h http.Handler) http.Handler { return a.wrap(h.ServeHTTP, true) }

// route is one registered path and the handlers for its methods.
type route struct {
	path    string
	methods map[string]http.HandlerFunc
	// shadows is set for a literal path that a {id} pattern also matches
	// (tasks/retry, tasks/batch and tasks/{id}): its 405 answer is registered per method,
	// as a pattern for every method would conflict with the {id} routes'.
	shadows bool
}

func (a *API) routes() http.Handler {
	p := a.cfg.Prefix
	mux := http.NewServeMux()
	routes := []route{
		{"/health", map[string]http.HandlerFunc{http.MethodGet: a.health}, false},
		{"/readyz", map[string]http.HandlerFunc{http.MethodGet: a.readyz}, false},
		{p + "/tasks", map[string]http.HandlerFunc{http.MethodGet: a.listTasks, http.MethodPost: a.createTask,
			http.MethodDelete: a.deleteMatching}, false},
		{p + "/tasks/retry", map[string]http.HandlerFunc{http.MethodPost: a.retryMatching}, true},
		{p + "/tasks/batch", map[string]http.HandlerFunc{http.MethodPost: a.createBatch}, true},
		{p + "/tasks/{id}", map[string]http.HandlerFunc{http.MethodGet: a.getTask, http.MethodDelete: a.deleteTask}, false},
		{p + "/tasks/{id}/retry", map[string]http.HandlerFunc{http.MethodPost: a.retryTask}, false},
		{p + "/tasks/{id}/cancel", map[string]http.HandlerFunc{http.MethodPost: a.cancelTask}, false},
		{p + "/tasks/{id}/run", map[string]http.HandlerFunc{http.MethodPost: a.runTask}, false},
		{p + "/tasks/{id}/events", map[string]http.HandlerFunc{http.MethodGet: a.taskEvents}, false},
		{p + "/queues", map[string]http.HandlerFunc{http.MethodGet: a.listQueues}, false},
		{p + "/queues/{name}/pause", map[string]http.HandlerFunc{http.MethodPost: a.pauseQueue}, false},
		{p + "/queues/{name}/resume", map[string]http.HandlerFunc{http.MethodPost: a.resumeQueue}, false},
		{p + "/queues/{name}/limits", map[string]http.HandlerFunc{http.MethodPut: a.setQueueLimits}, false},
	}
	if a.cfg.Processes != nil {
		routes = append(routes, route{p + "/processes", map[string]http.HandlerFunc{http.MethodGet: a.listProcesses}, false})
	}
	if a.cfg.Schedules != nil {
		routes = append(routes, route{p + "/schedules", map[string]http.HandlerFunc{http.MethodGet: a.listSchedules}, false})
	}
	for _, rt := range routes {
		guarded := rt.path != "/health"
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
			h, ok := rt.methods[m]
			if !ok {
				continue
			}
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
			mux.Handle(m+" "+rt.path, a.wrap(h, guarded))
		}
		// The same path without a method matches every other method.
		allowed := strings.Join(allow, ", ")
		notAllowed := a.wrap(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allowed)
			a.fail(w, r, newError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method not allowed; see the Allow header"))
		}, guarded)
		if !rt.shadows {
			mux.Handle(rt.path, notAllowed)
			continue
		}
		for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if rt.methods[m] == nil {
				mux.Handle(m+" "+rt.path, notAllowed)
			}
		}
	}
	mux.Handle("/", a.wrap(func(w http.ResponseWriter, r *http.Request) {
		a.fail(w, r, newError(http.StatusNotFound, CodeNotFound, "no such route"))
	}, true))
	return mux
}

// requestID returns the id the middleware gave r.
func requestID(r *http.Request) string { return httpmw.RequestID(r) }

// MaxRequestIDLen is the longest X-Request-ID the API takes from a
// client: one of 1 to MaxRequestIDLen characters of A-Z, a-z, 0-9, '.',
// '_' and '-' is kept, anything else replaced by a generated id, so a
// request id in a log line or a header never carries other client text.
const MaxRequestIDLen = httpmw.MaxRequestIDLen

// wrap adds the request id, the authorization check (when guarded), panic
// recovery and the request log to h.
func (a *API) wrap(h http.HandlerFunc, guarded bool) http.Handler {
	return httpmw.Wrap(httpmw.Options{
		Name:       "httpapi",
		Logger:     a.cfg.Logger,
		RequestIDs: true,
		OnPanic: func(w http.ResponseWriter, r *http.Request) {
			a.fail(w, r, newError(http.StatusInternalServerError, CodeInternal, "internal error"))
		},
	}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if guarded && a.cfg.Authorize != nil {
			if err := a.cfg.Authorize(r); err != nil {
				a.cfg.Logger.Debug("httpapi: request not authorized", slog.String("request_id", requestID(r)),
					slog.String("route", r.Pattern), slog.String("error", err.Error()))
				if errors.Is(err, ErrUnauthorized) {
					a.fail(w, r, newError(http.StatusUnauthorized, CodeUnauthorized, "authentication required"))
				} else {
					a.fail(w, r, newError(http.StatusForbidden, CodeForbidden, "access denied"))
				}
				return
			}
		}
		h(w, r)
	}))
}

// writeJSON writes v as the JSON response with the given status.
func (a *API) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		a.fail(w, r, &apiError{status: http.StatusInternalServerError, code: CodeInternal, message: "internal error", cause: err})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	body = append(body, '\n')
	_, _ = w.Write(body)
}

// fail writes err as an [ErrorBody]. Errors that are not an *apiError are
// mapped by storeError; internal ones are logged with the request id.
// logFailure logs an internal error with the request id.
func (a *API) logFailure(r *http.Request, ae *apiError) {
	if ae.status >= 500 && ae.cause != nil {
		level := slog.LevelError
		if ae.status == http.StatusServiceUnavailable {
			level = slog.LevelWarn // the store is closing or slow, or the client left
		}
		a.cfg.Logger.Log(r.Context(), level, "httpapi: request failed", slog.String("request_id", requestID(r)),
			slog.String("route", r.Pattern), slog.String("code", ae.code), slog.String("error", ae.cause.Error()))
	}
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	ae := storeError(err)
	a.logFailure(r, ae)
	body, _ := json.Marshal(ErrorBody{Error: ErrorDetail{Code: ae.code, Message: ae.message}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if ae.status == http.StatusServiceUnavailable {
		httpmw.SetRetryAfter(w.Header())
	}
	w.WriteHeader(ae.status)
	_, _ = w.Write(append(body, '\n'))
}

func (a *API) health(w http.ResponseWriter, r *http.Request) {
	a.writeJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
}

// reasoner is a readiness error that can say why without its own text.
type reasoner interface{ Reasons() []string }

func (a *API) readyz(w http.ResponseWriter, r *http.Request) {
	if a.cfg.Ready != nil {
		if err := a.cfg.Ready(r.Context()); err != nil {
			a.cfg.Logger.Warn("httpapi: not ready", slog.String("request_id", requestID(r)), slog.String("error", err.Error()))
			msg := "not ready"
			var rs reasoner
			if errors.As(err, &rs) {
				if reasons := rs.Reasons(); len(reasons) > 0 {
					msg += ": " + strings.Join(reasons, "; ")
				}
			}
			a.fail(w, r, newError(http.StatusServiceUnavailable, CodeNotReady, msg))
			return
		}
	}
	a.writeJSON(w, r, http.StatusOK, map[string]string{"status": "ready"})
}

// BearerToken returns an authorization hook for [Config.Authorize] that
// lets through requests carrying "Authorization: Bearer <token>" (the
// scheme in any case, as RFC 9110 has it, then one or more spaces): a
// request without the header gets 401, one with another value 403. The
// comparison of the token takes constant time. An empty token lets no
// request through.
func BearerToken(token string) func(*http.Request) error {
	want := []byte(token)
	return func(r *http.Request) error {
		got := r.Header.Get("Authorization")
		if got == "" {
			return fmt.Errorf("%w: no bearer token", ErrUnauthorized)
		}
		scheme, cred, _ := strings.Cut(got, " ")
		cred = strings.TrimLeft(cred, " ")
		if !strings.EqualFold(scheme, "Bearer") || len(want) == 0 || subtle.ConstantTimeCompare([]byte(cred), want) != 1 {
			return fmt.Errorf("%w: wrong bearer token", ErrForbidden)
		}
		return nil
	}
}
