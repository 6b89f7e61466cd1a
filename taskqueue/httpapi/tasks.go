package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/seedcore/seedcore/store"
)

// ListResponse is the body of GET {prefix}/tasks.
type ListResponse struct {
	// Tasks is the page, newest first.
	Tasks []store.Task `json:"tasks"`
	// Total counts every task matching the filters, across all pages.
	Total int `json:"total"`
	// NextCursor continues the listing (pass it as the cursor parameter);
	// empty on the last page.
	NextCursor string `json:"next_cursor"`
}

func (a *API) createTask(w http.ResponseWriter, r *http.Request) {
	fields, err := a.readJSONObject(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	nt, err := decodeCreate(fields, r.Header.Get("Idempotency-Key"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	task, created, err := a.cfg.Enqueuer.Enqueue(r.Context(), nt)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", a.cfg.Prefix+"/tasks/"+task.ID)
	}
	a.writeJSON(w, r, status, task)
}

// listParams are the query parameters GET /tasks accepts.
var listParams = map[string]bool{
	"status": true, "type": true, "domain": true, "created_after": true,
	"created_before": true, "limit": true, "cursor": true,
}

// parseFilter reads the listing filter from the query. Unknown parameters
// and parameters given twice (except status) are refused, so a typo does
// not silently list everything.
func parseFilter(q url.Values) (store.Filter, error) {
	var f store.Filter
	for name, vals := range q {
		if !listParams[name] {
			if safeName(name) {
				return f, badRequest(CodeUnknownField, "unknown query parameter \""+name+"\"")
			}
			return f, badRequest(CodeUnknownField, "unknown query parameter")
		}
		if name != "status" && len(vals) > 1 {
			return f, badRequest(CodeInvalidRequest, "query parameter \""+name+"\" is given more than once")
		}
	}
	for _, v := range q["status"] {
		for _, s := range strings.Split(v, ",") {
			st, err := store.ParseStatus(strings.TrimSpace(s))
			if err != nil {
				return f, badRequest(CodeInvalidRequest, "status must be one of "+statusNames())
			}
			f.Statuses = append(f.Statuses, st)
		}
	}
	f.Type = q.Get("type")
	f.Domain = q.Get("domain")
	f.Cursor = q.Get("cursor")
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"created_after", &f.CreatedAfter}, {"created_before", &f.CreatedBefore}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return f, badRequest(CodeInvalidRequest, p.name+" must be an RFC 3339 time")
			}
			*p.dst = t
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return f, badRequest(CodeInvalidRequest, "limit must be a positive integer")
		}
		f.Limit = min(n, store.MaxListLimit)
	}
	if _, _, err := f.Normalize(); err != nil {
		return f, storeError(err)
	}
	return f, nil
}

func statusNames() string {
	names := make([]string, len(store.Statuses()))
	for i, s := range store.Statuses() {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

func (a *API) listTasks(w http.ResponseWriter, r *http.Request) {
	f, err := parseFilter(r.URL.Query())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	page, err := a.cfg.Store.List(r.Context(), f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if page.Tasks == nil {
		page.Tasks = []store.Task{}
	}
	a.writeJSON(w, r, http.StatusOK, ListResponse{Tasks: page.Tasks, Total: page.Total, NextCursor: page.NextCursor})
}

// lookup resolves the {id} path value, a full id or an unambiguous
// prefix, to its task.
func (a *API) lookup(r *http.Request) (store.Task, error) {
	id := r.PathValue("id")
	if _, err := store.ParsePrefix(id); err != nil {
		return store.Task{}, storeError(err)
	}
	return a.cfg.Store.Get(r.Context(), id)
}

func (a *API) getTask(w http.ResponseWriter, r *http.Request) {
	t, err := a.lookup(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, t)
}

func (a *API) cancelTask(w http.ResponseWriter, r *http.Request) {
	t, err := a.lookup(r)
	if err == nil {
		t, err = a.cfg.Store.Cancel(r.Context(), t.ID)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, t)
}

func (a *API) runTask(w http.ResponseWriter, r *http.Request) {
	t, err := a.lookup(r)
	if err == nil {
		t, err = a.cfg.Store.Run(r.Context(), t.ID)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, t)
}
