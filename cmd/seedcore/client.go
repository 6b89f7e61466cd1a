package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// client is what the task commands need, from the database or from a
// server's HTTP API.
type client interface {
	Enqueue(ctx context.Context, t store.NewTask) (store.Task, bool, error)
	Get(ctx context.Context, idOrPrefix string) (store.Task, error)
	List(ctx context.Context, f store.Filter) (store.Page, error)
	Cancel(ctx context.Context, id string) (store.Task, error)
	Run(ctx context.Context, id string) (store.Task, error)
	Retry(ctx context.Context, id string) (store.Task, error)
	Delete(ctx context.Context, id string) error
	RetryMatching(ctx context.Context, f store.BulkFilter) (int, error)
	DeleteMatching(ctx context.Context, f store.BulkFilter) (int, error)
	Queues(ctx context.Context) ([]store.QueueInfo, error)
	SetQueuePaused(ctx context.Context, name string, paused bool) error
	SetQueueLimits(ctx context.Context, name string, limits store.QueueLimits) error
	Close() error
}

// conn holds the flags that choose where a task command goes.
type conn struct {
	db, token              *string
	schema, api, apiPrefix string
	timeout                time.Duration
}

func (c *conn) register(fs *flag.FlagSet) {
	c.db = secretFlag(fs, "db", "DATABASE_URL", "PostgreSQL `URL` (env DATABASE_URL)")
	fs.StringVar(&c.schema, "schema", envOr("SEEDCORE_SCHEMA", "seedcore"), "PostgreSQL schema (env SEEDCORE_SCHEMA)")
	fs.StringVar(&c.api, "api", envOr("SEEDCORE_API", ""), "base URL of a seedcore server, used instead of the database (env SEEDCORE_API)")
	c.token = secretFlag(fs, "token", "SEEDCORE_TOKEN", "bearer `token` for -api (env SEEDCORE_TOKEN)")
	fs.StringVar(&c.apiPrefix, "api-prefix", "/api/v1", "URL `path` of the task API on the -api server (where the server mounts it)")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "time limit of the whole command")
}

// open returns the client the flags choose: the HTTP API when -api is
// set, else the database.
func (c *conn) open(ctx context.Context) (client, error) {
	if c.api != "" {
		u, err := url.Parse(c.api)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usagef("-api must be an http(s) URL, got %q", c.api)
		}
		base := strings.TrimRight(c.api, "/")
		if p := strings.Trim(c.apiPrefix, "/"); p != "" {
			base += "/" + p
		}
		return &apiClient{base: base, token: *c.token, http: &http.Client{Timeout: c.timeout}}, nil
	}
	if *c.db == "" {
		return nil, usagef("no database: set -db or DATABASE_URL, or -api for a server")
	}
	// The App is never served: it is used for its Enqueue (the eventizer
	// redacts the description before it is stored, as on a server) and its
	// store.
	app, err := seedcore.New(ctx, seedcore.Config{
		DatabaseURL: *c.db, Schema: c.schema, SkipMigrations: true,
		// An empty Mux claims nothing.
		Dispatcher: taskqueue.NewMux(),
	})
	if err != nil {
		return nil, err
	}
	return &dbClient{app: app}, nil
}

// dbClient works on the database directly.
type dbClient struct{ app *seedcore.App }

func (c *dbClient) Enqueue(ctx context.Context, t store.NewTask) (store.Task, bool, error) {
	return c.app.Enqueue(ctx, t)
}

func (c *dbClient) Get(ctx context.Context, id string) (store.Task, error) {
	return c.app.Store().Get(ctx, id)
}

func (c *dbClient) List(ctx context.Context, f store.Filter) (store.Page, error) {
	return c.app.Store().List(ctx, f)
}

func (c *dbClient) Cancel(ctx context.Context, id string) (store.Task, error) {
	return c.app.Store().Cancel(ctx, id)
}

func (c *dbClient) Run(ctx context.Context, id string) (store.Task, error) {
	return c.app.Store().Run(ctx, id)
}

func (c *dbClient) Queues(ctx context.Context) ([]store.QueueInfo, error) {
	return c.app.Queues(ctx)
}

func (c *dbClient) SetQueuePaused(ctx context.Context, name string, paused bool) error {
	return c.app.SetQueuePaused(ctx, name, paused)
}

func (c *dbClient) SetQueueLimits(ctx context.Context, name string, limits store.QueueLimits) error {
	return c.app.SetQueueLimits(ctx, name, limits)
}

func (c *dbClient) Close() error { return c.app.Shutdown(context.Background()) }

// apiClient talks to a seedcore server.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

// apiError is an error answer of the HTTP API.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("server answered %d", e.Status)
	}
	return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code)
}

func (c *apiClient) do(ctx context.Context, method, path string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.Unmarshal(b, &e)
		if resp.StatusCode == http.StatusNotFound && e.Error.Code == "" {
			// Not the task API's answer: nothing is served at this path.
			return resp.StatusCode, c.noAPI()
		}
		return resp.StatusCode, &apiError{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message}
	}
	if out == nil {
		return resp.StatusCode, nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return resp.StatusCode, fmt.Errorf("decode server answer: %w", err)
	}
	return resp.StatusCode, nil
}

// noAPI is the error for a 404 where no task can be meant: the server
// does not serve the task API at c.base. It is an operational failure
// (exit 1), not a missing task.
func (c *apiClient) noAPI() error {
	return fmt.Errorf("no seedcore task API at %s (404): check -api and -api-prefix", c.base)
}

func (c *apiClient) Enqueue(ctx context.Context, t store.NewTask) (store.Task, bool, error) {
	body := map[string]any{"type": t.Type, "description": t.Description, "run_immediately": !t.Hold}
	if t.Domain != "" {
		body["domain"] = t.Domain
	}
	if t.Queue != "" {
		body["queue"] = t.Queue
	}
	if t.Partition != "" {
		body["partition"] = t.Partition
	}
	if len(t.Params) > 0 {
		body["params"] = t.Params
	}
	if t.Priority != 0 {
		body["priority"] = t.Priority
	}
	if t.MaxAttempts != 0 {
		body["max_attempts"] = t.MaxAttempts
	}
	if !t.RunAfter.IsZero() {
		body["run_after"] = t.RunAfter.Format(time.RFC3339Nano)
	}
	if t.IdempotencyKey != "" {
		body["idempotency_key"] = t.IdempotencyKey
	}
	var task store.Task
	status, err := c.do(ctx, http.MethodPost, "/tasks", body, &task)
	if status == http.StatusNotFound {
		err = c.noAPI()
	}
	return task, status == http.StatusCreated, err
}

func (c *apiClient) Get(ctx context.Context, id string) (store.Task, error) {
	var task store.Task
	status, err := c.do(ctx, http.MethodGet, "/tasks/"+url.PathEscape(id), nil, &task)
	if status == http.StatusNotFound {
		// No such task, or no task API at this path: the list route
		// tells which.
		var page store.Page
		if s, _ := c.do(ctx, http.MethodGet, "/tasks?limit=1", nil, &page); s == http.StatusNotFound {
			err = c.noAPI()
		}
	}
	return task, err
}

func (c *apiClient) List(ctx context.Context, f store.Filter) (store.Page, error) {
	q := url.Values{}
	for _, s := range f.Statuses {
		q.Add("status", string(s))
	}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("type", f.Type)
	set("domain", f.Domain)
	set("queue", f.Queue)
	set("partition", f.Partition)
	set("cursor", f.Cursor)
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if !f.CreatedAfter.IsZero() {
		q.Set("created_after", f.CreatedAfter.Format(time.RFC3339Nano))
	}
	if !f.CreatedBefore.IsZero() {
		q.Set("created_before", f.CreatedBefore.Format(time.RFC3339Nano))
	}
	path := "/tasks"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var page store.Page
	status, err := c.do(ctx, http.MethodGet, path, nil, &page)
	if status == http.StatusNotFound {
		err = c.noAPI()
	}
	return page, err
}

func (c *apiClient) Cancel(ctx context.Context, id string) (store.Task, error) {
	var task store.Task
	_, err := c.do(ctx, http.MethodPost, "/tasks/"+url.PathEscape(id)+"/cancel", nil, &task)
	return task, err
}

func (c *apiClient) Run(ctx context.Context, id string) (store.Task, error) {
	var task store.Task
	_, err := c.do(ctx, http.MethodPost, "/tasks/"+url.PathEscape(id)+"/run", nil, &task)
	return task, err
}

func (c *apiClient) Queues(ctx context.Context) ([]store.QueueInfo, error) {
	var list struct {
		Queues []store.QueueInfo `json:"queues"`
	}
	status, err := c.do(ctx, http.MethodGet, "/queues", nil, &list)
	if status == http.StatusNotFound {
		err = c.noAPI()
	}
	return list.Queues, err
}

func (c *apiClient) SetQueuePaused(ctx context.Context, name string, paused bool) error {
	op := "/resume"
	if paused {
		op = "/pause"
	}
	var state struct{}
	status, err := c.do(ctx, http.MethodPost, "/queues/"+url.PathEscape(name)+op, nil, &state)
	if status == http.StatusNotFound {
		err = c.noAPI()
	}
	return err
}

func (c *apiClient) SetQueueLimits(ctx context.Context, name string, limits store.QueueLimits) error {
	var state struct{}
	status, err := c.do(ctx, http.MethodPut, "/queues/"+url.PathEscape(name)+"/limits", limits, &state)
	if status == http.StatusNotFound {
		err = c.noAPI()
	}
	return err
}

func (c *apiClient) Close() error {
	c.http.CloseIdleConnections()
	return nil
}

// exitCode maps an error to the command's exit code.
func exitCode(err error) int {
	var ue *usageError
	var ae *apiError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue),
		errors.Is(err, store.ErrInvalidID), errors.Is(err, store.ErrInvalidTask), errors.Is(err, store.ErrTooMany),
		errors.Is(err, store.ErrInvalidStatus), errors.Is(err, store.ErrInvalidCursor),
		errors.Is(err, store.ErrInvalidQueue):
		return exitUsage
	case errors.Is(err, store.ErrNotFound):
		return exitNotFound
	case errors.Is(err, store.ErrAmbiguousID), errors.Is(err, store.ErrInvalidTransition), errors.Is(err, store.ErrConflict),
		errors.Is(err, store.ErrCountMismatch):
		return exitConflict
	case errors.As(err, &ae):
		switch {
		case ae.Status == http.StatusNotFound:
			return exitNotFound
		case ae.Status == http.StatusConflict:
			return exitConflict
		case ae.Status == http.StatusBadRequest, ae.Status == http.StatusRequestEntityTooLarge,
			ae.Status == http.StatusUnprocessableEntity, ae.Status == http.StatusUnsupportedMediaType:
			return exitUsage
		}
	}
	return exitFailure
}
