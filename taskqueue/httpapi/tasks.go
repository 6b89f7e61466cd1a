package httpapi

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/seedcore/seedcore/store"
)

// ListResponse is the body of GET {prefix}/tasks. A page holds at most
// the limit asked for, and ends early (with a NextCursor) once its tasks
// take Config.MaxPageBytes.
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
	nt, err := decodeCreate(fields, r.Header.Get("Idempotency-Key"), a.cfg.MaxParamsBytes)
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
	"status": true, "type": true, "domain": true, "queue": true, "partition": true, "created_after": true,
	"created_before": true, "limit": true, "cursor": true,
}

// parseFilter reads the listing filter from the query. Every parameter
// has one strict rule, and a value that breaks it is answered 400 naming
// the parameter (never a guess at what was meant):
//
//   - status: known status names, comma-separated and/or repeated.
//   - type, domain, partition: a name as store.ValidName defines it.
//   - queue: a queue name (store.ValidQueueName).
//   - created_after, created_before: RFC 3339, years 1 to 9999.
//   - limit: decimal digits without sign or leading zero, 1 to
//     store.MaxListLimit.
//   - cursor: a next_cursor from a previous page.
//
// A parameter given with an empty value, given twice (except status) or
// unknown is refused too.
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
		for _, v := range vals {
			if v == "" {
				return f, badRequest(CodeInvalidRequest, "query parameter \""+name+"\" is empty")
			}
		}
	}
	for _, v := range q["status"] {
		for _, s := range strings.Split(v, ",") {
			st, err := store.ParseStatus(s)
			if err != nil {
				return f, badRequest(CodeInvalidRequest, "status must be one of "+statusNames())
			}
			f.Statuses = append(f.Statuses, st)
		}
	}
	f.Type = q.Get("type")
	f.Domain = q.Get("domain")
	f.Queue = q.Get("queue")
	f.Partition = q.Get("partition")
	if f.Queue != "" && !store.ValidQueueName(f.Queue) {
		return f, badRequest(CodeInvalidRequest, "queue must be 1 to "+strconv.Itoa(store.MaxQueueLen)+" ASCII letters, digits and _ . -, starting with a letter or digit")
	}
	for _, p := range []struct{ name, v string }{{"type", f.Type}, {"domain", f.Domain}, {"partition", f.Partition}} {
		if p.v != "" && !store.ValidName(p.v) {
			return f, badRequest(CodeInvalidRequest, p.name+" must be ASCII letters, digits and _ . - : /, starting with a letter or digit, at most "+strconv.Itoa(store.MaxTypeLen)+" bytes")
		}
	}
	f.Cursor = q.Get("cursor")
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"created_after", &f.CreatedAfter}, {"created_before", &f.CreatedBefore}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil || t.Before(store.MinRunAfter) || t.After(store.MaxRunAfter) {
				return f, badRequest(CodeInvalidRequest, p.name+" must be an RFC 3339 time in the years 1 to 9999")
			}
			*p.dst = t
		}
	}
	if v := q.Get("limit"); v != "" {
		n, ok := decimal(v)
		if !ok || n < 1 || n > store.MaxListLimit {
			return f, badRequest(CodeInvalidRequest, "limit must be an integer from 1 to "+strconv.Itoa(store.MaxListLimit)+", in decimal digits")
		}
		f.Limit = n
	}
	if _, _, err := f.Normalize(); err != nil {
		return f, storeError(err)
	}
	return f, nil
}

// decimal parses s when it is 1 to 9 decimal digits without a leading
// zero (so no sign, space, "0x" or "1e3"): what a page size is written as.
func decimal(s string) (int, bool) {
	if len(s) == 0 || len(s) > 9 || s[0] == '0' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
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
	f.MaxBytes = a.cfg.MaxPageBytes
	page, err := a.cfg.Store.List(r.Context(), f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeList(w, r, page)
}

// writeList writes page as a [ListResponse], encoding one task at a time
// straight to the response and letting go of each once written, so the
// response never holds more than one task's JSON beyond a small buffer.
// The first task is encoded before the status is sent, so it can still
// fail with a 500; a later task that cannot be encoded aborts the
// response, so the client sees a broken body, never a short page that
// looks whole.
func (a *API) writeList(w http.ResponseWriter, r *http.Request, page store.Page) {
	var first []byte
	if len(page.Tasks) > 0 {
		var err error
		if first, err = json.Marshal(&page.Tasks[0]); err != nil {
			a.fail(w, r, &apiError{status: http.StatusInternalServerError, code: CodeInternal, message: "internal error", cause: err})
			return
		}
		page.Tasks[0] = store.Task{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, listBufferSize)
	_, _ = bw.WriteString(`{"tasks":[`)
	_, _ = bw.Write(first)
	for i := 1; i < len(page.Tasks); i++ {
		b, err := json.Marshal(&page.Tasks[i])
		if err != nil {
			a.cfg.Logger.Error("httpapi: encode listed task", slog.String("request_id", requestID(r)), slog.String("error", err.Error()))
			panic(http.ErrAbortHandler)
		}
		page.Tasks[i] = store.Task{}
		_ = bw.WriteByte(',')
		if _, err := bw.Write(b); err != nil {
			return // the client went away
		}
	}
	cursor, _ := json.Marshal(page.NextCursor)
	_, _ = bw.WriteString(`],"total":` + strconv.Itoa(page.Total) + `,"next_cursor":` + string(cursor) + "}\n")
	_ = bw.Flush()
}

// listBufferSize is the write buffer of a listing: tasks are copied into
// it and written out in pieces of this size.
const listBufferSize = 32 << 10

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
