package dashboard

import (
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/seedcore/seedcore/internal/httpmw"
	"github.com/seedcore/seedcore/internal/pathprefix"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

// Defaults and limits of [Config].
const (
	// DefaultPrefix is the path under which the dashboard is served.
	DefaultPrefix = "/ui"
	// DefaultRefreshInterval is how often an open page refreshes itself.
	DefaultRefreshInterval = 3 * time.Second
	// MinRefreshInterval is the shortest Config.RefreshInterval accepted.
	MinRefreshInterval = 500 * time.Millisecond
	// DefaultPageSize is the number of tasks on one page of the list.
	DefaultPageSize = 25
	// MinCSRFKeyLen is the shortest Config.CSRFKey accepted, in bytes.
	MinCSRFKeyLen = 16
)

// ErrInvalidConfig is wrapped by [New] for a configuration it cannot use.
var ErrInvalidConfig = errors.New("dashboard: invalid config")

// Config configures a [Dashboard]. Only Store is required; every other
// field has the default its comment states.
type Config struct {
	// Authorize, when set, is called for every dashboard request (pages,
	// fragments, actions and static files) before it is served, with the
	// same meaning as httpapi.Config.Authorize: a nil return lets the
	// request through; an error wrapping httpapi.ErrUnauthorized answers
	// 401, any other error 403. The error's text is logged at debug level,
	// never shown. Default: nil, every request is allowed.
	Authorize func(*http.Request) error
	// CSRFKey signs the per-session tokens that the action forms (cancel,
	// run, retry, delete) carry. Give the same key to every process behind one load balancer.
	// It must be at least MinCSRFKeyLen bytes. Default (nil): a random key
	// made at New, so tokens do not survive a restart (an open page gets
	// a fresh token on its next refresh).
	CSRFKey []byte
	// Logger receives request logs (debug), rejected requests (debug) and
	// internal errors (error). Default: a logger that discards everything.
	Logger *slog.Logger
	// Notifier, when set, is watched while [Dashboard.Serve] runs: a page
	// refresh whose data cannot have changed since the browser's last copy
	// is answered 304 without reading the store. Default: nil, every
	// refresh reads the store.
	Notifier store.Notifier
	// Now returns the current time, for the chart's time buckets and the
	// ages shown on the pages. Default: time.Now.
	Now func() time.Time
	// PageSize is the number of tasks on one page of the list, at most
	// store.MaxListLimit. Default (zero): DefaultPageSize (25).
	PageSize int
	// Prefix is the path under which the dashboard is served. It must
	// start with "/", must not end with "/", and its segments may hold only
	// letters, digits, "-", "_", "." and "~". Default (empty):
	// DefaultPrefix ("/ui").
	Prefix string
	// RefreshInterval is how often an open page fetches its live part
	// again. Default (zero): DefaultRefreshInterval (3s); it must not be
	// below MinRefreshInterval.
	RefreshInterval time.Duration
	// Schedules, when set, lists the periodic schedules on the overview,
	// with their next and last runs. Default nil: no schedules section.
	// (The live processes are listed when Store is a
	// store.ProcessLister.)
	Schedules store.ScheduleLister
	// Store is read for the pages and receives the cancel, run, retry and
	// delete actions. Required.
	Store store.Store
	// Handles, when set, reports whether this process's workers run tasks
	// of a type: the queue table then lists, per queue, the ready types
	// this process does not handle (waiting for a handler, unless another
	// process handles them). Default nil: not shown.
	Handles func(taskType string) bool
	// WWWAuthenticate, when set, is sent as the WWW-Authenticate header of
	// every 401 answer, so a browser can prompt for credentials (for
	// example `Basic realm="seedcore"`). Default: empty, no header.
	WWWAuthenticate string
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Dashboard is the operator dashboard: server-rendered pages over a
// [store.Store]. Create one with [New]; it is safe for concurrent use.
type Dashboard struct {
	cfg     Config
	key     []byte
	pages   map[string]*template.Template
	static  http.Handler
	metrics *metrics
	handler http.Handler
	cop     *http.CrossOriginProtection
}

// New validates cfg, fills its defaults and returns the dashboard. Errors
// wrap [ErrInvalidConfig].
func New(cfg Config) (*Dashboard, error) {
	bad := func(format string, args ...any) (*Dashboard, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	switch {
	case cfg.Store == nil:
		return bad("Store is required")
	case cfg.CSRFKey != nil && len(cfg.CSRFKey) < MinCSRFKeyLen:
		return bad("CSRFKey is %d bytes, fewer than %d", len(cfg.CSRFKey), MinCSRFKeyLen)
	case cfg.PageSize < 0 || cfg.PageSize > store.MaxListLimit:
		return bad("PageSize %d is outside 1..%d", cfg.PageSize, store.MaxListLimit)
	case cfg.RefreshInterval < 0 || (cfg.RefreshInterval > 0 && cfg.RefreshInterval < MinRefreshInterval):
		return bad("RefreshInterval %s is below %s", cfg.RefreshInterval, MinRefreshInterval)
	case strings.ContainsAny(cfg.WWWAuthenticate, "\r\n"):
		return bad("WWWAuthenticate holds a line break")
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
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.RefreshInterval == 0 {
		cfg.RefreshInterval = DefaultRefreshInterval
	}
	d := &Dashboard{cfg: cfg, metrics: newMetrics(), cop: http.NewCrossOriginProtection()}
	if cfg.CSRFKey != nil {
		d.key = append([]byte(nil), cfg.CSRFKey...)
	} else {
		d.key = make([]byte, 32)
		_, _ = rand.Read(d.key) // crypto/rand.Read never returns an error.
	}
	var err error
	if d.pages, err = parseTemplates(); err != nil {
		return nil, fmt.Errorf("dashboard: templates: %w", err)
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("dashboard: static files: %w", err)
	}
	d.static = http.StripPrefix(cfg.Prefix+"/static/", http.FileServerFS(sub))
	d.handler = d.routes()
	return d, nil
}

// Prefix returns the path under which the dashboard is served.
func (d *Dashboard) Prefix() string { return d.cfg.Prefix }

// Handler returns the handler of every dashboard route, all under the
// prefix:
//
//	GET  {prefix}/                   overview: counts by status, the queues, throughput and latency chart
//	GET  {prefix}/tasks              task list (query: status, type, domain, queue, cursor)
//	GET  {prefix}/tasks/{id}         one task (full id or unambiguous prefix)
//	POST {prefix}/tasks/{id}/cancel  cancel the task (form with the CSRF token)
//	POST {prefix}/tasks/{id}/run     release a created task (form with the CSRF token)
//	POST {prefix}/tasks/{id}/retry   put a failed or cancelled task back in the queue (form)
//	POST {prefix}/tasks/{id}/delete  delete a finished task (form)
//	POST {prefix}/tasks/retry        retry every task of one status a list filter selects (form with status,
//	                                 type, domain and confirm, the count the list showed)
//	POST {prefix}/tasks/delete       delete every task of one status a list filter selects (same form)
//	POST {prefix}/queues/{name}/pause   pause a queue in every process (form with the CSRF token)
//	POST {prefix}/queues/{name}/resume  resume it (form with the CSRF token)
//	GET  {prefix}/static/...         the embedded CSS and JavaScript
//
// GET {prefix} redirects to {prefix}/. Mount it in a mux at "{prefix}/"
// without stripping the prefix: paths are matched in full.
func (d *Dashboard) Handler() http.Handler { return d.handler }

func (d *Dashboard) routes() http.Handler {
	p := d.cfg.Prefix
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+p+"/{$}", d.overview)
	mux.HandleFunc("GET "+p+"/tasks", d.list)
	mux.HandleFunc("GET "+p+"/tasks/{id}", d.detail)
	mux.HandleFunc("POST "+p+"/tasks/{id}/cancel", d.action(actCancel))
	mux.HandleFunc("POST "+p+"/tasks/{id}/run", d.action(actRun))
	mux.HandleFunc("POST "+p+"/tasks/{id}/retry", d.action(actRetry))
	mux.HandleFunc("POST "+p+"/tasks/{id}/delete", d.action(actDelete))
	mux.HandleFunc("POST "+p+"/tasks/retry", d.bulkAction(actRetry))
	mux.HandleFunc("POST "+p+"/tasks/delete", d.bulkAction(actDelete))
	mux.HandleFunc("POST "+p+"/queues/{name}/pause", d.queueAction(true))
	mux.HandleFunc("POST "+p+"/queues/{name}/resume", d.queueAction(false))
	mux.Handle("GET "+p+"/static/", d.static)
	mux.HandleFunc("GET "+p, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, p+"/", http.StatusMovedPermanently)
	})
	mux.HandleFunc(p+"/", func(w http.ResponseWriter, r *http.Request) {
		d.fail(w, r, http.StatusNotFound, "There is no such page.", nil)
	})
	return d.wrap(mux)
}

// contentSecurityPolicy allows scripts, styles and fetches from the
// dashboard's own origin only: no inline script or style, no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// wrap adds the security headers, the authorization check, panic recovery
// and the request log to h.
func (d *Dashboard) wrap(h http.Handler) http.Handler {
	return httpmw.Wrap(httpmw.Options{
		Name:   "dashboard",
		Logger: d.cfg.Logger,
		OnPanic: func(w http.ResponseWriter, r *http.Request) {
			d.fail(w, r, http.StatusInternalServerError, "Internal error.", nil)
		},
	}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Content-Type-Options", "nosniff")
		if d.cfg.Authorize != nil {
			if err := d.cfg.Authorize(r); err != nil {
				// Not routed yet: no route to name, and the path is the
				// client's text, which is never logged.
				d.cfg.Logger.Debug("dashboard: request not authorized", slog.String("error", err.Error()))
				if errors.Is(err, httpapi.ErrUnauthorized) {
					if d.cfg.WWWAuthenticate != "" {
						hd.Set("WWW-Authenticate", d.cfg.WWWAuthenticate)
					}
					d.fail(w, r, http.StatusUnauthorized, "Authentication required.", nil)
				} else {
					d.fail(w, r, http.StatusForbidden, "Access denied.", nil)
				}
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
}
