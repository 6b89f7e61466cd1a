package dashboard_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue/dashboard"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	st := setup(t, nil).store
	for name, cfg := range map[string]dashboard.Config{
		"no store":          {},
		"short key":         {Store: st, CSRFKey: []byte("short")},
		"prefix slash":      {Store: st, Prefix: "/ui/"},
		"prefix root":       {Store: st, Prefix: "/"},
		"prefix chars":      {Store: st, Prefix: "/u i"},
		"negative page":     {Store: st, PageSize: -1},
		"huge page":         {Store: st, PageSize: store.MaxListLimit + 1},
		"fast refresh":      {Store: st, RefreshInterval: time.Millisecond},
		"header line break": {Store: st, WWWAuthenticate: "Basic\r\nX: y"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := dashboard.New(cfg)
			require.ErrorIs(t, err, dashboard.ErrInvalidConfig)
		})
	}
}

func TestOverview(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.create(t, store.NewTask{Hold: true})
	b.create(t, store.NewTask{})
	b.create(t, store.NewTask{})
	// Complete one of the two queued tasks.
	claimed, err := b.store.Claim(context.Background(), "w", 1, time.Minute)
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	_, err = b.store.Finish(context.Background(), []store.Outcome{{TaskID: claimed[0].ID, Worker: "w", Attempt: 1, Kind: store.OutcomeComplete}})
	require.NoError(t, err)

	w := b.do(t, http.MethodGet, "/ui/", nil, nil)
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
	requireSecurityHeaders(t, w.Header())
	require.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	body := w.Body.String()
	counts, err := b.store.Counts(context.Background())
	require.NoError(t, err)
	for _, s := range store.Statuses() {
		require.Equal(t, counts[s], shownCount(t, body, s), "count of %s", s)
	}
	require.Contains(t, body, `<span class="n">3</span><span class="label">total</span>`)
	require.Contains(t, body, `<script src="/ui/static/app.js" defer></script>`)
	require.Equal(t, 3, strings.Count(body, `<tr id="task-`), "the latest tasks are listed")

	// GET /ui redirects to the overview.
	w = b.do(t, http.MethodGet, "/ui", nil, nil)
	require.Equal(t, http.StatusMovedPermanently, w.Code)
	require.Equal(t, "/ui/", w.Header().Get("Location"))
}

var countRE = regexp.MustCompile(`data-status="(\w+)"><span class="n">(\d+)</span>`)

// shownCount returns the count the overview shows for s.
func shownCount(t *testing.T, body string, s store.Status) int {
	t.Helper()
	for _, m := range countRE.FindAllStringSubmatch(body, -1) {
		if m[1] == string(s) {
			n := 0
			for _, c := range m[2] {
				n = n*10 + int(c-'0')
			}
			return n
		}
	}
	t.Fatalf("no count shown for %s", s)
	return 0
}

func requireSecurityHeaders(t *testing.T, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	require.Contains(t, csp, "script-src 'self'")
	require.Contains(t, csp, "frame-ancestors 'none'")
	require.NotContains(t, csp, "unsafe-inline")
	require.Equal(t, "DENY", h.Get("X-Frame-Options"))
	require.Equal(t, "same-origin", h.Get("Referrer-Policy"))
	require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
}

var rowRE = regexp.MustCompile(`<tr id="task-([0-9a-f-]{36})">`)

// rowIDs returns the ids of the task rows of a page, in order.
func rowIDs(body string) []string {
	var ids []string
	for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	held := b.create(t, store.NewTask{Type: "email", Domain: "billing", Hold: true})
	b.clock.Advance(time.Second)
	queued := b.create(t, store.NewTask{Type: "email", Domain: "support"})
	b.clock.Advance(time.Second)
	other := b.create(t, store.NewTask{Type: "resize", Domain: "billing", Hold: true})

	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{other.ID, queued.ID, held.ID}},
		{"?status=created", []string{other.ID, held.ID}},
		{"?status=queued", []string{queued.ID}},
		{"?type=email", []string{queued.ID, held.ID}},
		{"?domain=billing", []string{other.ID, held.ID}},
		{"?status=created&type=email&domain=billing", []string{held.ID}},
		{"?type=none", nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			body := b.get(t, "/ui/tasks"+tc.query)
			require.Equal(t, tc.want, rowIDs(body))
			require.Contains(t, body, `<span id="total">`+itoa(len(tc.want))+`</span>`)
		})
	}

	t.Run("filter values are kept in the form", func(t *testing.T) {
		body := b.get(t, "/ui/tasks?status=created&type=%22%3E%3Cb%3E")
		require.Contains(t, body, `<option value="created" selected>`)
		require.Contains(t, body, `name="type" value="&#34;&gt;&lt;b&gt;"`)
	})
	for _, bad := range []string{"?status=bogus", "?cursor=zzz", "?limit=5"} {
		t.Run("bad "+bad, func(t *testing.T) {
			w := b.do(t, http.MethodGet, "/ui/tasks"+bad, nil, nil)
			require.Equal(t, http.StatusBadRequest, w.Code)
			require.Contains(t, w.Body.String(), `class="error-message"`)
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

var nextRE = regexp.MustCompile(`<a rel="next" href="([^"]+)">`)

func TestListPaging(t *testing.T) {
	t.Parallel()
	const pageSize, tasks = 2, 5
	b := setup(t, func(c *dashboard.Config) { c.PageSize = pageSize })
	var want []string
	for range tasks {
		task := b.create(t, store.NewTask{Type: "page", Hold: true})
		want = append([]string{task.ID}, want...) // newest first
		b.clock.Advance(time.Millisecond)
	}
	b.create(t, store.NewTask{Type: "elsewhere"})

	var got []string
	path := "/ui/tasks?type=page"
	pages := 0
	for path != "" {
		body := b.get(t, path)
		pages++
		ids := rowIDs(body)
		require.LessOrEqual(t, len(ids), pageSize)
		got = append(got, ids...)
		path = ""
		if m := nextRE.FindStringSubmatch(body); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
			require.Contains(t, path, "type=page", "the next link keeps the filter")
			require.Contains(t, body, `<span id="total">`+itoa(tasks)+`</span>`)
		}
		require.LessOrEqual(t, pages, tasks, "paging does not end")
	}
	require.Equal(t, want, got)
	require.Equal(t, (tasks+pageSize-1)/pageSize, pages)
}

func TestDetail(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	events := `{"redacted_text":"x","event_types":["outage","billing"],"keywords":["down"],"urgency":"high",` +
		`"confidence":0.87,"findings":[{"kind":"email","start":0,"end":5},{"kind":"email","start":9,"end":14},{"kind":"card","start":20,"end":36}]}`
	task := b.create(t, store.NewTask{
		Type:        "notify",
		Domain:      "ops",
		Description: `site down <script>alert(1)</script> [EMAIL_REDACTED]`,
		Params:      json.RawMessage(`{"secret":"hunter2-not-shown"}`),
		Events:      json.RawMessage(events),
		MaxAttempts: 3,
	})
	b.finish(t, task.ID, store.OutcomeComplete)

	for _, path := range []string{"/ui/tasks/" + task.ID, "/ui/tasks/" + task.ID[:8]} {
		body := b.get(t, path)
		require.Contains(t, body, task.ID)
		require.Contains(t, body, `data-status="completed"`)
		require.Contains(t, body, "site down &lt;script&gt;alert(1)&lt;/script&gt; [EMAIL_REDACTED]")
		require.NotContains(t, body, "<script>alert")
		require.Contains(t, body, "<dd>1/3</dd>", "attempts/max")
		for _, tag := range []string{`"tag event">outage`, `"tag event">billing`, `"tag kw">down`,
			"urgency: high", "confidence: 0.87", "card redacted ×1", "email redacted ×2"} {
			require.Contains(t, body, tag)
		}
		require.NotContains(t, body, "hunter2", "params are never shown")
		require.Contains(t, body, "&#34;ok&#34;: true", "the result, indented")
		require.Contains(t, body, fmtTestTime(b.clock.Now()))
		require.NotContains(t, body, `class="cancel"`, "a completed task has no cancel button")
	}

	failed := b.create(t, store.NewTask{MaxAttempts: 1})
	b.finish(t, failed.ID, store.OutcomeFail)
	body := b.get(t, "/ui/tasks/"+failed.ID)
	require.Contains(t, body, `<pre class="error">boom &lt;b&gt;</pre>`)
	require.Contains(t, body, `data-status="failed"`)
}

func fmtTestTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

func TestDetailErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.create(t, store.NewTask{ID: "0190a000-0000-7000-8000-000000000001"})
	b.create(t, store.NewTask{ID: "0190a000-0000-7000-8000-000000000002"})
	for _, tc := range []struct {
		path string
		code int
	}{
		{"/ui/tasks/0190a000-0000-7000-8000-0000000000ff", http.StatusNotFound},
		{"/ui/tasks/ffff", http.StatusNotFound},
		{"/ui/tasks/not-a-uuid!", http.StatusBadRequest},
		{"/ui/tasks/0190a000", http.StatusConflict},
		{"/ui/nowhere", http.StatusNotFound},
	} {
		t.Run(tc.path, func(t *testing.T) {
			w := b.do(t, http.MethodGet, tc.path, nil, nil)
			require.Equal(t, tc.code, w.Code)
			require.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
			requireSecurityHeaders(t, w.Header())
		})
	}
}

func TestActions(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	task := b.create(t, store.NewTask{Hold: true})
	page := "/ui/tasks/" + task.ID
	cookie, token := b.session(t, page)
	body := b.get(t, page)
	require.Contains(t, body, `action="/ui/tasks/`+task.ID+`/run"`)
	require.Contains(t, body, `action="/ui/tasks/`+task.ID+`/cancel"`)

	form := url.Values{dashboard.CSRFField: {token}}
	w := b.do(t, http.MethodPost, page+"/run", form, []*http.Cookie{cookie}, "Origin", "http://example.com", "Sec-Fetch-Site", "same-origin")
	require.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
	require.Equal(t, page, w.Header().Get("Location"))
	require.Equal(t, store.StatusQueued, b.status(t, task.ID))
	require.NotContains(t, b.get(t, page), `/run"`, "a queued task has no run button")

	w = b.do(t, http.MethodPost, page+"/cancel", form, []*http.Cookie{cookie})
	require.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
	require.Equal(t, page, w.Header().Get("Location"))
	require.Equal(t, store.StatusCancelled, b.status(t, task.ID))

	// A terminal task cannot be cancelled or run again.
	for _, action := range []string{"/cancel", "/run"} {
		w = b.do(t, http.MethodPost, page+action, form, []*http.Cookie{cookie})
		require.Equal(t, http.StatusConflict, w.Code)
	}
	w = b.do(t, http.MethodPost, "/ui/tasks/0190a000-0000-7000-8000-0000000000ff/cancel", form, []*http.Cookie{cookie})
	require.Equal(t, http.StatusNotFound, w.Code)

	// A running task is asked to cancel.
	running := b.create(t, store.NewTask{})
	_, err := b.store.Claim(context.Background(), "w", 1, time.Minute)
	require.NoError(t, err)
	w = b.do(t, http.MethodPost, "/ui/tasks/"+running.ID+"/cancel", form, []*http.Cookie{cookie})
	require.Equal(t, http.StatusSeeOther, w.Code)
	body = b.get(t, "/ui/tasks/"+running.ID)
	require.Contains(t, body, "cancel requested")
	require.NotContains(t, body, `class="cancel"`)
}

func TestCSRFRejected(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.create(t, store.NewTask{Hold: true}) // a task, so the list has forms
	cookie, token := b.session(t, "/ui/tasks")
	otherCookie, otherToken := b.session(t, "/ui/tasks")
	require.NotEqual(t, token, otherToken, "each session has its own token")
	foreign := setup(t, nil)
	foreign.create(t, store.NewTask{Hold: true})
	_, foreignToken := foreign.session(t, "/ui/tasks")

	for _, tc := range []struct {
		name    string
		form    url.Values
		cookies []*http.Cookie
		header  []string
	}{
		{"missing token", url.Values{}, []*http.Cookie{cookie}, nil},
		{"empty token", url.Values{dashboard.CSRFField: {""}}, []*http.Cookie{cookie}, nil},
		{"wrong token", url.Values{dashboard.CSRFField: {"AAAA" + token[4:]}}, []*http.Cookie{cookie}, nil},
		{"token of another session", url.Values{dashboard.CSRFField: {otherToken}}, []*http.Cookie{cookie}, nil},
		{"token under another key", url.Values{dashboard.CSRFField: {foreignToken}}, []*http.Cookie{cookie}, nil},
		{"no session cookie", url.Values{dashboard.CSRFField: {token}}, nil, nil},
		{"forged session cookie", url.Values{dashboard.CSRFField: {token}},
			[]*http.Cookie{{Name: dashboard.SessionCookie, Value: "forged"}}, nil},
		{"cross-site Origin", url.Values{dashboard.CSRFField: {token}}, []*http.Cookie{cookie},
			[]string{"Origin", "https://evil.example"}},
		{"cross-site fetch", url.Values{dashboard.CSRFField: {token}}, []*http.Cookie{cookie},
			[]string{"Sec-Fetch-Site", "cross-site"}},
		{"same-site fetch", url.Values{dashboard.CSRFField: {otherToken}}, []*http.Cookie{otherCookie},
			[]string{"Sec-Fetch-Site", "same-site", "Origin", "https://sub.example.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			task := b.create(t, store.NewTask{Hold: true})
			for _, action := range []string{"/cancel", "/run"} {
				w := b.do(t, http.MethodPost, "/ui/tasks/"+task.ID+action, tc.form, tc.cookies, tc.header...)
				require.Equal(t, http.StatusForbidden, w.Code)
				require.Contains(t, w.Body.String(), "Reload the page")
			}
			require.Equal(t, store.StatusCreated, b.status(t, task.ID), "nothing changed")
		})
	}

	t.Run("the valid token passes", func(t *testing.T) {
		t.Parallel()
		task := b.create(t, store.NewTask{Hold: true})
		w := b.do(t, http.MethodPost, "/ui/tasks/"+task.ID+"/cancel", url.Values{dashboard.CSRFField: {token}},
			[]*http.Cookie{cookie}, "Origin", "http://example.com")
		require.Equal(t, http.StatusSeeOther, w.Code)
	})
}

func TestSessionCookie(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *dashboard.Config) { c.Prefix = "/admin/queue" })
	w := b.do(t, http.MethodGet, "/admin/queue/", nil, nil)
	require.Equal(t, http.StatusOK, w.Code)
	cookies := w.Result().Cookies()
	require.Len(t, cookies, 1)
	c := cookies[0]
	require.Equal(t, dashboard.SessionCookie, c.Name)
	require.True(t, c.HttpOnly)
	require.Equal(t, http.SameSiteStrictMode, c.SameSite)
	require.Equal(t, "/admin/queue/", c.Path)

	// A browser that has a session keeps it.
	w = b.do(t, http.MethodGet, "/admin/queue/tasks", nil, []*http.Cookie{c})
	require.Equal(t, http.StatusOK, w.Code)
	require.Empty(t, w.Result().Cookies())
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *dashboard.Config) {
		c.WWWAuthenticate = `Basic realm="seedcore"`
		c.Authorize = func(r *http.Request) error {
			user, pass, ok := r.BasicAuth()
			switch {
			case !ok:
				return httpapi.ErrUnauthorized
			case user == "ops" && pass == "pw":
				return nil
			case user == "ops":
				return errors.New("wrong password") // any other error: 403
			default:
				return httpapi.ErrForbidden
			}
		}
	})
	task := b.create(t, store.NewTask{Hold: true})
	paths := []string{"/ui/", "/ui/tasks", "/ui/tasks/" + task.ID, "/ui/static/app.css"}
	for _, tc := range []struct {
		name string
		auth []string
		code int
	}{
		{"no credentials", nil, http.StatusUnauthorized},
		{"wrong password", []string{"Authorization", basic("ops", "nope")}, http.StatusForbidden},
		{"other user", []string{"Authorization", basic("eve", "pw")}, http.StatusForbidden},
		{"allowed", []string{"Authorization", basic("ops", "pw")}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range paths {
				w := b.do(t, http.MethodGet, p, nil, nil, tc.auth...)
				require.Equal(t, tc.code, w.Code, p)
				requireSecurityHeaders(t, w.Header())
				if tc.code == http.StatusUnauthorized {
					require.Equal(t, `Basic realm="seedcore"`, w.Header().Get("WWW-Authenticate"))
				} else {
					require.Empty(t, w.Header().Get("WWW-Authenticate"))
				}
			}
			// Actions are guarded before the CSRF check, and change nothing.
			w := b.do(t, http.MethodPost, "/ui/tasks/"+task.ID+"/cancel", url.Values{}, nil, tc.auth...)
			if tc.code == http.StatusOK {
				require.Equal(t, http.StatusForbidden, w.Code, "passes the hook, fails the CSRF check")
			} else {
				require.Equal(t, tc.code, w.Code)
			}
			require.Equal(t, store.StatusCreated, b.status(t, task.ID))
		})
	}
}

func basic(user, pass string) string {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

func TestStaticAssets(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	for _, tc := range []struct {
		path, contentType, contains string
	}{
		{"/ui/static/app.css", "text/css; charset=utf-8", ".status"},
		{"/ui/static/app.js", "text/javascript; charset=utf-8", "X-Dashboard-Fragment"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			w := b.do(t, http.MethodGet, tc.path, nil, nil)
			require.Equal(t, http.StatusOK, w.Code)
			require.Equal(t, tc.contentType, w.Header().Get("Content-Type"))
			require.Contains(t, w.Body.String(), tc.contains)
			requireSecurityHeaders(t, w.Header())
		})
	}
	w := b.do(t, http.MethodGet, "/ui/static/missing.js", nil, nil)
	require.Equal(t, http.StatusNotFound, w.Code)
}

var svgRE = regexp.MustCompile(`(?s)<svg .*?</svg>`)

// chartOf returns the overview's chart, checked to be well-formed XML,
// and the titles of its bars.
func chartOf(t *testing.T, body string) (svg string, bars []string) {
	t.Helper()
	svg = svgRE.FindString(body)
	require.NotEmpty(t, svg, "no chart")
	dec := xml.NewDecoder(strings.NewReader(svg))
	dec.Strict = true
	var inBar bool
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "the chart is not well-formed")
		switch e := tok.(type) {
		case xml.StartElement:
			if e.Name.Local == "svg" {
				require.Equal(t, "http://www.w3.org/2000/svg", e.Name.Space)
			}
			if e.Name.Local == "rect" {
				inBar = true
			}
		case xml.CharData:
			if inBar && strings.TrimSpace(string(e)) != "" {
				bars = append(bars, string(e))
			}
		case xml.EndElement:
			if e.Name.Local == "rect" {
				inBar = false
			}
		}
	}
	return svg, bars
}

func TestChartFromObserver(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	task := &store.Task{ID: store.NewID()}
	for range 3 {
		b.dash.Claimed(task)
		b.dash.Finished(task, store.OutcomeComplete, 200*time.Millisecond, nil)
	}
	b.dash.Finished(task, store.OutcomeFail, 400*time.Millisecond, nil)
	b.dash.Finished(task, store.OutcomeComplete, time.Hour, store.ErrLeaseLost) // not written: ignored
	b.clock.Advance(dashboard.SampleInterval)
	b.dash.Finished(task, store.OutcomeComplete, 100*time.Millisecond, nil)

	svg, bars := chartOf(t, b.get(t, "/ui/"))
	require.Len(t, bars, dashboard.ChartSamples, "one bar per sample once the observer feeds the chart")
	perMin := int(time.Minute / dashboard.SampleInterval)
	require.Contains(t, bars[len(bars)-2], itoa(3*perMin)+" completed/min")
	require.Contains(t, bars[len(bars)-1], itoa(perMin)+" completed/min")
	require.Contains(t, svg, "mean run time 250ms", "(3×200ms + 400ms) / 4")
	require.Contains(t, svg, "mean run time 100ms")
	require.Contains(t, svg, "<polyline ")

	// Ten minutes later the samples have left the chart.
	b.clock.Advance(dashboard.ChartSamples * dashboard.SampleInterval)
	svg, bars = chartOf(t, b.get(t, "/ui/"))
	for _, bar := range bars {
		require.Contains(t, bar, ": 0 completed/min")
	}
	require.Contains(t, svg, "no attempts observed")
}

func TestChartFromCounts(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, bars := chartOf(t, b.get(t, "/ui/"))
	require.Empty(t, bars, "no throughput is known before two count samples")

	const completed = 2
	for range completed {
		task := b.create(t, store.NewTask{})
		b.finish(t, task.ID, store.OutcomeComplete)
	}
	b.clock.Advance(dashboard.SampleInterval)
	svg, bars := chartOf(t, b.get(t, "/ui/"))
	require.Len(t, bars, 1)
	require.Contains(t, bars[0], itoa(completed*int(time.Minute/dashboard.SampleInterval))+" completed/min")
	require.Contains(t, svg, "no attempts observed")
}

func TestFragment(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	task := b.create(t, store.NewTask{Hold: true})
	for _, path := range []string{"/ui/", "/ui/tasks", "/ui/tasks/" + task.ID} {
		w := b.do(t, http.MethodGet, path, nil, nil, dashboard.FragmentHeader, "1")
		require.Equal(t, http.StatusOK, w.Code)
		body := w.Body.String()
		require.NotContains(t, body, "<html")
		require.NotContains(t, body, `<form class="filters"`, "the filter form is not live")
		require.Contains(t, body, `id="task-`+task.ID+`"`)
		require.Contains(t, body, `name="csrf_token"`)
		require.Equal(t, "private, no-cache", w.Header().Get("Cache-Control"))
		require.Contains(t, w.Header().Values("Vary"), dashboard.FragmentHeader)
		require.Empty(t, w.Header().Get("ETag"), "no ETag unless Serve watches the notifier")
	}
}

func TestServeNotModified(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	task := b.create(t, store.NewTask{Hold: true})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- b.dash.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-served:
			require.ErrorIs(t, err, context.Canceled)
		case <-time.After(waitTimeout):
			t.Error("Serve did not return")
		}
	})

	cookie, _ := b.session(t, "/ui/")
	cookies := []*http.Cookie{cookie}
	var etag string
	eventually(t, "an ETag on fragments", func() bool {
		w := b.do(t, http.MethodGet, "/ui/", nil, cookies, dashboard.FragmentHeader, "1")
		etag = w.Header().Get("ETag")
		return etag != ""
	})
	w := b.do(t, http.MethodGet, "/ui/", nil, cookies, dashboard.FragmentHeader, "1", "If-None-Match", etag)
	require.Equal(t, http.StatusNotModified, w.Code)
	require.Empty(t, w.Body.String())

	// A change in the store invalidates the copy.
	_, err := b.store.Run(context.Background(), task.ID)
	require.NoError(t, err)
	eventually(t, "the change to be noticed", func() bool {
		w := b.do(t, http.MethodGet, "/ui/", nil, cookies, dashboard.FragmentHeader, "1", "If-None-Match", etag)
		return w.Code == http.StatusOK && strings.Contains(w.Body.String(), `data-status="queued"`)
	})
	// A full page is never answered 304.
	w = b.do(t, http.MethodGet, "/ui/", nil, cookies, "If-None-Match", etag)
	require.Equal(t, http.StatusOK, w.Code)
}
