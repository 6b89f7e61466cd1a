package dashboard

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/seedcore/seedcore/internal/httpmw"
	"github.com/seedcore/seedcore/store"
)

// FragmentHeader is the request header the page script sends to fetch
// only the live part of a page (the element with id "live").
const FragmentHeader = "X-Dashboard-Fragment"

// latestTasks is how many tasks the overview lists.
const latestTasks = 10

// maxFormBytes bounds the body of an action form.
const maxFormBytes = 8 << 10

// base is what every page template needs.
type base struct {
	Title     string
	Prefix    string
	CSRF      string
	RefreshMS int64
}

func (b base) page() base { return b }

// pageData is any page's data: it embeds base.
type pageData interface{ page() base }

// taskView is a task as the pages show it.
type taskView struct {
	store.Task
	Summary     string
	CanCancel   bool
	CanRun      bool
	CanRetry    bool
	CanDelete   bool
	ParamsBytes int
	ResultText  string
	// ProgressText is the task's progress (taskqueue.SetProgress), indented.
	ProgressText string
}

// rowContext is what the action buttons of one task need.
type rowContext struct {
	Prefix string
	CSRF   string
	Task   taskView
}

type countView struct {
	Status store.Status
	N      int
}

// queueView is one row of the overview's queue table.
type queueView struct {
	Name                   string
	Paused                 bool
	Queued, Retry, Running int
	Limits                 store.QueueLimits
	// Unhandled are the queue's ready types this process does not run.
	Unhandled []store.TypeCount
}

// maxQueueRows bounds the overview's queue table.
const maxQueueRows = 50

type overviewPage struct {
	base
	Queues     []queueView
	MoreQueues int
	Counts     []countView
	Total      int
	Chart      chartView
	Tasks      []taskView
	Processes  []processView
	Schedules  []scheduleView
}

type listFilter struct {
	Status string
	Type   string
	Domain string
	Queue  string
	Cursor string
}

type listPage struct {
	base
	Filter        listFilter
	StatusOptions []store.Status
	Total         int
	// CanRetryAll and CanDeleteAll offer the bulk forms: the filter
	// selects only failed or cancelled (retry) or finished (delete) tasks,
	// at most store.MaxBulk of them.
	CanRetryAll  bool
	CanDeleteAll bool
	Tasks        []taskView
	NextURL      string
	FirstURL     string
}

type detailPage struct {
	base
	Task taskView
	Tags *eventTags
}

type errorPage struct {
	base
	Message string
}

// eventTags is the part of the eventizer's stored JSON that the detail
// page shows. The analysed text itself is not read: the description is
// shown from the task.
type eventTags struct {
	EventTypes []string `json:"event_types"`
	Keywords   []string `json:"keywords"`
	Urgency    string   `json:"urgency"`
	Confidence *float64 `json:"confidence"`
	Truncated  bool     `json:"truncated"`
	Findings   []struct {
		Kind string `json:"kind"`
	} `json:"findings"`
	FindingKinds []kindCount `json:"-"`
}

type kindCount struct {
	Kind string
	N    int
}

func parseTemplates() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"fmtTime": fmtTime,
		"fmtTimePtr": func(t *time.Time) string {
			if t == nil {
				return "—"
			}
			return fmtTime(*t)
		},
		"deref": func(f *float64) float64 { return *f },
		"rowCtx": func(p pageData, t taskView) rowContext {
			b := p.page()
			return rowContext{Prefix: b.Prefix, CSRF: b.CSRF, Task: t}
		},
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	pages := make(map[string]*template.Template)
	for _, name := range []string{"overview", "list", "detail", "error"} {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		pages[name] = t
	}
	return pages, nil
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func (d *Dashboard) base(title, csrf string) base {
	return base{Title: title, Prefix: d.cfg.Prefix, CSRF: csrf, RefreshMS: d.cfg.RefreshInterval.Milliseconds()}
}

func (d *Dashboard) view(t store.Task) taskView {
	v := taskView{
		Task:        t,
		CanCancel:   !t.Status.Terminal() && !t.CancelRequested,
		CanRun:      t.Status == store.StatusCreated,
		CanRetry:    t.Status == store.StatusFailed || t.Status == store.StatusCancelled,
		CanDelete:   t.Status.Terminal(),
		ParamsBytes: len(t.Params),
	}
	v.Summary = t.Description
	if utf8.RuneCountInString(v.Summary) > 80 {
		r := []rune(v.Summary)
		v.Summary = string(r[:79]) + "…"
	}
	v.ResultText = jsonText(t.Result)
	v.ProgressText = jsonText(t.Progress)
	return v
}

// jsonText is raw indented for the page, or "" when it is empty or null.
func jsonText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var buf bytes.Buffer
	if json.Indent(&buf, raw, "", "  ") != nil {
		return string(raw)
	}
	return buf.String()
}

func (d *Dashboard) views(tasks []store.Task) []taskView {
	out := make([]taskView, len(tasks))
	for i, t := range tasks {
		out[i] = d.view(t)
	}
	return out
}

func isFragment(r *http.Request) bool { return r.Header.Get(FragmentHeader) == "1" }

// notModified answers 304 to a fragment refresh whose copy cannot be
// stale: the notifier is watched, no event arrived since the copy was
// made, and the chart sample is the same. It sets the ETag otherwise.
func (d *Dashboard) notModified(w http.ResponseWriter, r *http.Request, csrf string) bool {
	if !isFragment(r) || !d.metrics.live.Load() {
		return false
	}
	sum := sha256.Sum256([]byte(csrf + "\x00" + r.URL.RequestURI()))
	tag := fmt.Sprintf(`"%d-%d-%s"`, d.metrics.gen.Load(), slotOf(d.cfg.Now()),
		base64.RawURLEncoding.EncodeToString(sum[:12]))
	w.Header().Set("ETag", tag)
	if r.Header.Get("If-None-Match") == tag {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	return false
}

// render writes the page, or only its live part for a fragment request.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, status int, page string, data pageData) {
	name := "layout"
	if isFragment(r) {
		name = "live"
	}
	var buf bytes.Buffer
	if err := d.pages[page].ExecuteTemplate(&buf, name, data); err != nil {
		d.cfg.Logger.Error("dashboard: render failed", slog.String("page", page), slog.String("error", err.Error()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Add("Vary", FragmentHeader)
	if isFragment(r) && status == http.StatusOK {
		h.Set("Cache-Control", "private, no-cache")
	} else {
		h.Set("Cache-Control", "no-store")
		h.Del("ETag")
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail renders an error page. cause, when set, is logged for a server
// error; its text is never shown.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, status int, message string, cause error) {
	if cause != nil && status >= 500 {
		level := slog.LevelError
		if status == http.StatusServiceUnavailable {
			level = slog.LevelWarn
		}
		d.cfg.Logger.Log(r.Context(), level, "dashboard: request failed", slog.String("route", r.Pattern),
			slog.Int("status", status), slog.String("error", cause.Error()))
	}
	d.render(w, r, status, "error", errorPage{base: d.base(http.StatusText(status), ""), Message: message})
}

// storeFail maps a store error to its page.
func (d *Dashboard) storeFail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrInvalidID):
		d.fail(w, r, http.StatusBadRequest, "A task id is a UUID or a prefix of one.", nil)
	case errors.Is(err, store.ErrNotFound):
		d.fail(w, r, http.StatusNotFound, "No task has this id.", nil)
	case errors.Is(err, store.ErrAmbiguousID):
		d.fail(w, r, http.StatusConflict, "The id prefix matches more than one task; give more characters.", nil)
	case errors.Is(err, store.ErrInvalidTransition):
		d.fail(w, r, http.StatusConflict, "The task's status does not allow this operation.", nil)
	case errors.Is(err, store.ErrInvalidCursor):
		d.fail(w, r, http.StatusBadRequest, "The page cursor is not valid.", nil)
	case errors.Is(err, store.ErrInvalidStatus), errors.Is(err, store.ErrInvalidTask):
		d.fail(w, r, http.StatusBadRequest, "The filter is not valid.", nil)
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, store.ErrClosed),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		httpmw.SetRetryAfter(w.Header())
		d.fail(w, r, http.StatusServiceUnavailable, "The task store is unavailable.", err)
	default:
		d.fail(w, r, http.StatusInternalServerError, "Internal error.", err)
	}
}

func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request) {
	csrf := d.token(d.session(w, r))
	if d.notModified(w, r, csrf) {
		return
	}
	counts, err := d.cfg.Store.Counts(r.Context())
	if err != nil {
		d.storeFail(w, r, err)
		return
	}
	now := d.cfg.Now()
	d.metrics.recordCounts(now, counts)
	page, err := d.cfg.Store.List(r.Context(), store.Filter{Limit: latestTasks})
	if err != nil {
		d.storeFail(w, r, err)
		return
	}
	data := overviewPage{base: d.base("Overview", csrf), Tasks: d.views(page.Tasks),
		Chart: buildChart(d.metrics.series(now))}
	for _, s := range store.Statuses() {
		data.Counts = append(data.Counts, countView{Status: s, N: counts[s]})
		data.Total += counts[s]
	}
	if qm, ok := d.cfg.Store.(store.QueueManager); ok {
		qs, err := qm.Queues(r.Context())
		if err != nil {
			d.storeFail(w, r, err)
			return
		}
		for i, q := range qs {
			if i == maxQueueRows {
				data.MoreQueues = len(qs) - i
				break
			}
			data.Queues = append(data.Queues, queueView{Name: q.Name, Paused: q.Paused,
				Queued: q.Counts[store.StatusQueued], Retry: q.Counts[store.StatusRetry], Running: q.Counts[store.StatusRunning],
				Limits: q.Limits})
			if h := d.cfg.Handles; h != nil {
				v := &data.Queues[len(data.Queues)-1]
				for _, tc := range q.ReadyTypes {
					if !h(tc.Type) {
						v.Unhandled = append(v.Unhandled, tc)
					}
				}
			}
		}
	}
	if err := d.cluster(r.Context(), &data); err != nil {
		d.storeFail(w, r, err)
		return
	}
	d.render(w, r, http.StatusOK, "overview", data)
}

// listQuery are the query parameters of the task list.
var listQuery = map[string]bool{"status": true, "type": true, "domain": true, "queue": true, "cursor": true}

func (d *Dashboard) list(w http.ResponseWriter, r *http.Request) {
	csrf := d.token(d.session(w, r))
	q := r.URL.Query()
	for name := range q {
		if !listQuery[name] {
			d.fail(w, r, http.StatusBadRequest, "The list takes only the status, type, domain, queue and cursor parameters.", nil)
			return
		}
	}
	lf := listFilter{Status: q.Get("status"), Type: q.Get("type"), Domain: q.Get("domain"), Queue: q.Get("queue"), Cursor: q.Get("cursor")}
	f := store.Filter{Type: lf.Type, Domain: lf.Domain, Queue: lf.Queue, Cursor: lf.Cursor, Limit: d.cfg.PageSize}
	if lf.Queue != "" && !store.ValidQueueName(lf.Queue) {
		d.fail(w, r, http.StatusBadRequest, "A queue name is ASCII letters, digits and _ . -, starting with a letter or digit.", nil)
		return
	}
	if lf.Status != "" {
		st, err := store.ParseStatus(lf.Status)
		if err != nil {
			d.fail(w, r, http.StatusBadRequest, "Unknown status.", nil)
			return
		}
		f.Statuses = []store.Status{st}
	}
	if d.notModified(w, r, csrf) {
		return
	}
	page, err := d.cfg.Store.List(r.Context(), f)
	if err != nil {
		d.storeFail(w, r, err)
		return
	}
	data := listPage{base: d.base("Tasks", csrf), Filter: lf, StatusOptions: store.Statuses(),
		Total: page.Total, Tasks: d.views(page.Tasks)}
	if len(f.Statuses) == 1 && page.Total > 0 && page.Total <= store.MaxBulk {
		st := f.Statuses[0]
		data.CanRetryAll = st == store.StatusFailed || st == store.StatusCancelled
		data.CanDeleteAll = st.Terminal()
	}
	if page.NextCursor != "" {
		data.NextURL = d.listURL(lf, page.NextCursor)
	}
	if lf.Cursor != "" {
		data.FirstURL = d.listURL(lf, "")
	}
	d.render(w, r, http.StatusOK, "list", data)
}

// listURL is the address of the list with the filter lf at cursor.
func (d *Dashboard) listURL(lf listFilter, cursor string) string {
	v := url.Values{}
	for _, kv := range [][2]string{{"status", lf.Status}, {"type", lf.Type}, {"domain", lf.Domain}, {"queue", lf.Queue}, {"cursor", cursor}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	if len(v) == 0 {
		return d.cfg.Prefix + "/tasks"
	}
	return d.cfg.Prefix + "/tasks?" + v.Encode()
}

// lookup resolves the {id} path value, a full id or an unambiguous
// prefix, to its task.
func (d *Dashboard) lookup(r *http.Request) (store.Task, error) {
	id := r.PathValue("id")
	if _, err := store.ParsePrefix(id); err != nil {
		return store.Task{}, err
	}
	return d.cfg.Store.Get(r.Context(), id)
}

func (d *Dashboard) detail(w http.ResponseWriter, r *http.Request) {
	csrf := d.token(d.session(w, r))
	if d.notModified(w, r, csrf) {
		return
	}
	t, err := d.lookup(r)
	if err != nil {
		d.storeFail(w, r, err)
		return
	}
	data := detailPage{base: d.base("Task "+t.ID[:min(8, len(t.ID))], csrf), Task: d.view(t), Tags: parseTags(t.Events)}
	d.render(w, r, http.StatusOK, "detail", data)
}

// parseTags reads the eventizer tags of a task, or nil when there are
// none or they cannot be read.
func parseTags(events json.RawMessage) *eventTags {
	if len(events) == 0 {
		return nil
	}
	var tags eventTags
	if err := json.Unmarshal(events, &tags); err != nil {
		return nil
	}
	n := map[string]int{}
	for _, f := range tags.Findings {
		n[f.Kind]++
	}
	for k, c := range n {
		tags.FindingKinds = append(tags.FindingKinds, kindCount{Kind: k, N: c})
	}
	sort.Slice(tags.FindingKinds, func(i, j int) bool { return tags.FindingKinds[i].Kind < tags.FindingKinds[j].Kind })
	return &tags
}

type actionKind int

const (
	actCancel actionKind = iota + 1
	actRun
	actRetry
	actDelete
)

var actionNames = map[actionKind]string{actCancel: "cancel", actRun: "run", actRetry: "retry", actDelete: "delete"}

// action returns the handler of a cancel or run form: it checks the CSRF
// defence, applies the action and redirects (303) to the task's page.
func (d *Dashboard) action(kind actionKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !d.checkForm(w, r) {
			return
		}
		t, err := d.lookup(r)
		if err == nil {
			switch kind {
			case actCancel:
				t, err = d.cfg.Store.Cancel(r.Context(), t.ID)
			case actRun:
				t, err = d.cfg.Store.Run(r.Context(), t.ID)
			case actRetry:
				t, err = d.cfg.Store.Retry(r.Context(), t.ID)
			case actDelete:
				err = d.cfg.Store.Delete(r.Context(), t.ID)
			}
		}
		if err != nil {
			d.storeFail(w, r, err)
			return
		}
		d.cfg.Logger.Info("dashboard: task "+actionNames[kind],
			slog.String("task_id", t.ID), slog.String("status", string(t.Status)))
		if kind == actDelete {
			http.Redirect(w, r, d.cfg.Prefix+"/tasks", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, d.cfg.Prefix+"/tasks/"+t.ID, http.StatusSeeOther)
	}
}

// checkForm bounds an action form's body and checks its CSRF defence,
// answering 403 when it fails.
func (d *Dashboard) checkForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := d.checkCSRF(r); err != nil {
		d.cfg.Logger.Debug("dashboard: action refused", slog.String("route", r.Pattern), slog.String("error", err.Error()))
		d.fail(w, r, http.StatusForbidden,
			"This form was not sent from this dashboard, or it has expired. Reload the page and try again.", nil)
		return false
	}
	return true
}

// bulkAction returns the handler of a list page's "retry all" or "delete
// all" form: it carries the list's filter and the number of tasks the
// page showed, and the store changes the tasks only when the filter still
// selects exactly that many. It redirects (303) to the list of the same
// type and domain.
func (d *Dashboard) bulkAction(kind actionKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !d.checkForm(w, r) {
			return
		}
		lf := listFilter{Status: r.PostFormValue("status"), Type: r.PostFormValue("type"), Domain: r.PostFormValue("domain")}
		f := store.BulkFilter{Type: lf.Type, Domain: lf.Domain}
		st, err := store.ParseStatus(lf.Status)
		if err != nil {
			d.fail(w, r, http.StatusBadRequest, "Choose one status to act on.", nil)
			return
		}
		f.Statuses = []store.Status{st}
		if f.Confirm, err = strconv.Atoi(r.PostFormValue("confirm")); err != nil {
			d.fail(w, r, http.StatusBadRequest, "The form does not say how many tasks to change.", nil)
			return
		}
		var n int
		if kind == actRetry {
			n, err = d.cfg.Store.RetryMatching(r.Context(), f)
		} else {
			n, err = d.cfg.Store.DeleteMatching(r.Context(), f)
		}
		var mismatch *store.CountMismatchError
		switch {
		case errors.As(err, &mismatch):
			d.fail(w, r, http.StatusConflict, fmt.Sprintf("The filter now selects %d tasks, not the %d shown: nothing was changed. Reload the list and try again.",
				mismatch.Matched, mismatch.Confirmed), nil)
			return
		case errors.Is(err, store.ErrTooMany):
			d.fail(w, r, http.StatusBadRequest, fmt.Sprintf("The filter selects more than %d tasks; narrow it.", store.MaxBulk), nil)
			return
		case err != nil:
			d.storeFail(w, r, err)
			return
		}
		d.cfg.Logger.Info("dashboard: bulk "+actionNames[kind], slog.Int("tasks", n), slog.String("status", string(st)))
		// The list of the same type and domain, any status: retried tasks
		// are seen running and ending, deleted ones gone.
		lf.Status = ""
		http.Redirect(w, r, d.listURL(lf, ""), http.StatusSeeOther)
	}
}

// queueAction returns the handler of a queue's pause or resume form: it
// checks the CSRF defence, sets the queue's state in the store (so every
// process sees it) and redirects (303) to the overview.
func (d *Dashboard) queueAction(pause bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !d.checkForm(w, r) {
			return
		}
		name := r.PathValue("name")
		if !store.ValidQueueName(name) {
			d.fail(w, r, http.StatusBadRequest, "A queue name is ASCII letters, digits and _ . -, starting with a letter or digit.", nil)
			return
		}
		qm, ok := d.cfg.Store.(store.QueueManager)
		if !ok {
			d.fail(w, r, http.StatusNotImplemented, "The task store keeps no queue state.", nil)
			return
		}
		if err := qm.SetQueuePaused(r.Context(), name, pause); err != nil {
			d.storeFail(w, r, err)
			return
		}
		d.cfg.Logger.Info("dashboard: queue "+map[bool]string{true: "paused", false: "resumed"}[pause], slog.String("queue", name))
		http.Redirect(w, r, d.cfg.Prefix+"/", http.StatusSeeOther)
	}
}
