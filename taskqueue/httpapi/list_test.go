package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

func (b *testBundle) list(t *testing.T, query string) httpapi.ListResponse {
	t.Helper()
	w := b.do(t, http.MethodGet, "/api/v1/tasks?"+query, "")
	require.Equal(t, http.StatusOK, w.Code, "body: %s", w.Body.String())
	require.Equal(t, "application/json", w.Header().Get("Content-Type"))
	var resp httpapi.ListResponse
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp))
	return resp
}

func ids(tasks []store.Task) []string {
	out := make([]string, len(tasks))
	for i, t := range tasks {
		out[i] = t.ID
	}
	return out
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	// A clock that advances one second per reading gives every task its
	// own creation time.
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var tick time.Duration
	st := memstore.New(memstore.Options{Now: func() time.Time { tick += time.Second; return base.Add(tick) }})
	b := setup(t, func(c *httpapi.Config) { c.Store = st; c.Enqueuer = httpapi.EnqueuerFunc(st.Create); c.Notifier = st })

	email1 := b.create(t, `{"type":"email","domain":"billing"}`)
	email2 := b.create(t, `{"type":"email","domain":"support","run_immediately":false}`)
	sms := b.create(t, `{"type":"sms","domain":"billing"}`)
	cancelled := decodeTask(t, b.do(t, http.MethodPost, "/api/v1/tasks/"+sms.ID+"/cancel", ""), http.StatusOK)
	report := b.create(t, `{"type":"report","domain":"billing"}`)

	tests := []struct {
		name  string
		query url.Values
		want  []store.Task
	}{
		{"all, newest first", nil, []store.Task{report, sms, email2, email1}},
		{"one status", url.Values{"status": {"queued"}}, []store.Task{report, email1}},
		{"comma-separated statuses", url.Values{"status": {"created,cancelled"}}, []store.Task{sms, email2}},
		{"repeated statuses", url.Values{"status": {"created", "cancelled"}}, []store.Task{sms, email2}},
		{"type", url.Values{"type": {"email"}}, []store.Task{email2, email1}},
		{"domain", url.Values{"domain": {"billing"}}, []store.Task{report, sms, email1}},
		{"type and domain", url.Values{"type": {"email"}, "domain": {"billing"}}, []store.Task{email1}},
		{"created after (inclusive)", url.Values{"created_after": {email2.CreatedAt.Format(time.RFC3339Nano)}}, []store.Task{report, sms, email2}},
		{"created before (exclusive)", url.Values{"created_before": {sms.CreatedAt.Format(time.RFC3339)}}, []store.Task{email2, email1}},
		{"no match", url.Values{"type": {"fax"}}, nil},
	}
	require.Equal(t, store.StatusCancelled, cancelled.Status)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := b.list(t, tt.query.Encode())
			require.Equal(t, ids(tt.want), ids(resp.Tasks))
			require.Equal(t, len(tt.want), resp.Total)
			require.Empty(t, resp.NextCursor)
			require.NotNil(t, resp.Tasks, "an empty page is [] not null")
		})
	}
}

func TestListPaging(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	const n = 7
	created := make([]string, 0, n)
	for range n {
		created = append(created, b.create(t, `{"type":"page"}`).ID)
	}
	b.create(t, `{"type":"other"}`)

	var got []string
	cursor := ""
	pages := 0
	for {
		q := url.Values{"type": {"page"}, "limit": {"3"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		resp := b.list(t, q.Encode())
		pages++
		require.Equal(t, n, resp.Total, "total ignores limit and cursor")
		require.LessOrEqual(t, len(resp.Tasks), 3)
		got = append(got, ids(resp.Tasks)...)
		if resp.NextCursor == "" {
			break
		}
		cursor = resp.NextCursor
		require.Less(t, pages, n, "paging does not end")
	}
	require.Equal(t, (n+2)/3, pages)
	// Newest first: the reverse of creation order, each task once.
	want := make([]string, n)
	for i, id := range created {
		want[n-1-i] = id
	}
	require.Equal(t, want, got)
}

func TestListLimitCap(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	tasks := make([]store.NewTask, store.MaxListLimit+5)
	for i := range tasks {
		tasks[i] = store.NewTask{Type: "bulk"}
	}
	n, err := b.store.CreateMany(context.Background(), tasks)
	require.NoError(t, err)
	require.Equal(t, len(tasks), n)

	resp := b.list(t, "limit=1000")
	require.Len(t, resp.Tasks, store.MaxListLimit)
	require.Equal(t, len(tasks), resp.Total)
	require.NotEmpty(t, resp.NextCursor)

	resp = b.list(t, "")
	require.Len(t, resp.Tasks, store.DefaultListLimit)

	resp = b.list(t, "limit=1000&cursor="+url.QueryEscape(resp.NextCursor))
	require.Len(t, resp.Tasks, len(tasks)-store.DefaultListLimit)
	require.Empty(t, resp.NextCursor)
}

// largeParams returns params of about n bytes.
func largeParams(n int) string {
	return `{"blob":"` + strings.Repeat("x", n) + `"}`
}

// TestListByteBudget lists tasks with large params: a page ends early,
// with a cursor, once its tasks take MaxPageBytes, and the cursors still
// reach every task once.
func TestListByteBudget(t *testing.T) {
	t.Parallel()
	const n, blob = 10, 30_000
	b := setup(t, func(c *httpapi.Config) { c.MaxPageBytes = 100_000 })
	var want []string
	for range n {
		want = append([]string{b.create(t, `{"type":"big","params":`+largeParams(blob)+`}`).ID}, want...)
	}
	var got []string
	query := "limit=1000"
	for pages := 0; ; pages++ {
		require.Less(t, pages, n, "the listing does not end")
		resp := b.list(t, query)
		require.Equal(t, n, resp.Total)
		require.NotEmpty(t, resp.Tasks)
		require.LessOrEqual(t, len(resp.Tasks), 4, "a page of about 100 kB holds at most four tasks of 30 kB")
		got = append(got, ids(resp.Tasks)...)
		if resp.NextCursor == "" {
			break
		}
		query = "limit=1000&cursor=" + url.QueryEscape(resp.NextCursor)
	}
	require.Equal(t, want, got, "every task once, newest first")
}

// largestWrite records the largest single Write a handler makes.
type largestWrite struct {
	*httptest.ResponseRecorder
	largest int
}

func (w *largestWrite) Write(p []byte) (int, error) {
	w.largest = max(w.largest, len(p))
	return w.ResponseRecorder.Write(p)
}

// TestListStreamsTasks checks that a listing is written to the client a
// task at a time, never built whole: no single write holds more than one
// task (or the write buffer), while the page holds ten.
func TestListStreamsTasks(t *testing.T) {
	t.Parallel()
	const n, blob = 10, 50_000
	b := setup(t, nil)
	for range n {
		b.create(t, `{"type":"big","params":`+largeParams(blob)+`}`)
	}
	w := &largestWrite{ResponseRecorder: httptest.NewRecorder()}
	b.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/tasks?limit=1000", nil))
	require.Equal(t, http.StatusOK, w.Code)
	var resp httpapi.ListResponse
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp))
	require.Len(t, resp.Tasks, n)
	require.Equal(t, n, resp.Total)
	require.Greater(t, w.Body.Len(), n*blob)
	require.Less(t, w.largest, 2*blob, "one write held more than one task: the body was built whole")
}
