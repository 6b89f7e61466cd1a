package seedcore_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/seedcoretest"
	"github.com/seedcore/seedcore/store"
)

// TestManyStreamsBoundedConnections opens 2,000 event streams on
// PostgreSQL, one per task, and runs some of the tasks to completion while
// they are open: the App's sessions (counted by its own application_name
// in pg_stat_activity) never pass the pool's bound plus the listener's
// connection, each stream sees its own task's changes, and /health and
// creates keep answering meanwhile.
func TestManyStreamsBoundedConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2,000 streams")
	}
	const (
		streams  = 2000
		toRun    = 20
		maxConns = 8
	)
	env := pgtest.New(t)
	u, err := url.Parse(env.DSN)
	require.NoError(t, err)
	appName := env.Schema + "_app"
	q := u.Query()
	q.Set("application_name", appName)
	u.RawQuery = q.Encode()

	ctx := t.Context()
	app, err := seedcore.New(ctx, seedcore.Config{
		DatabaseURL: u.String(), Schema: env.Schema, Dispatcher: echoMux(t),
		MaxOpenConns: maxConns, MaxStreams: streams + 10, PollInterval: 50 * time.Millisecond,
	})
	require.NoError(t, err)
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(func() { _ = app.Shutdown(context.Background()) }) // after Start's stop: closes the pool
	seedcoretest.Start(t, app)

	// Sessions are sampled from the test's own pool, under another name,
	// for the whole test.
	var peak atomic.Int64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			var n int64
			if err := env.DB.Get(&n, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, appName); err == nil && n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-stopSampling:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	defer func() { close(stopSampling); <-sampled }()

	batch := make([]store.NewTask, streams)
	for i := range batch {
		batch[i] = store.NewTask{Type: "test", Hold: true}
	}
	_, err = app.UnredactedPostgreSQL().CreateMany(ctx, batch)
	require.NoError(t, err)
	page, err := app.Store().List(ctx, store.Filter{Limit: store.MaxListLimit})
	require.NoError(t, err)
	ids := taskIDs(page.Tasks)
	for page.NextCursor != "" {
		page, err = app.Store().List(ctx, store.Filter{Limit: store.MaxListLimit, Cursor: page.NextCursor})
		require.NoError(t, err)
		ids = append(ids, taskIDs(page.Tasks)...)
	}
	require.Len(t, ids, streams)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: streams}}
	t.Cleanup(client.CloseIdleConnections)
	streamCtx, closeStreams := context.WithCancel(ctx)
	defer closeStreams()
	type stream struct {
		statuses chan store.Status
		err      error
	}
	all := make([]*stream, streams)
	var (
		wg     sync.WaitGroup
		opened sync.WaitGroup
	)
	opened.Add(streams)
	for i, id := range ids {
		s := &stream{statuses: make(chan store.Status, 16)}
		all[i] = s
		wg.Go(func() {
			defer close(s.statuses)
			first := true
			defer func() {
				if first {
					opened.Done()
				}
			}()
			req, _ := http.NewRequestWithContext(streamCtx, http.MethodGet, srv.URL+"/api/v1/tasks/"+id+"/events", nil)
			resp, err := client.Do(req)
			if err != nil {
				s.err = err
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				s.err = &statusError{resp.StatusCode}
				return
			}
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				data, ok := strings.CutPrefix(sc.Text(), "data: ")
				if !ok {
					continue
				}
				var task store.Task
				if err := json.Unmarshal([]byte(data), &task); err != nil {
					s.err = err
					return
				}
				s.statuses <- task.Status
				if first {
					first = false
					opened.Done()
				}
			}
		})
	}
	opened.Wait()
	for i, s := range all {
		require.NoError(t, s.err, "stream %d", i)
		require.Equal(t, store.StatusCreated, <-s.statuses, "stream %d starts with the current state", i)
	}

	// While the streams are open: the API answers, and some tasks run.
	status, _ := getBody(t, srv.URL+"/health")
	require.Equal(t, http.StatusOK, status)
	resp, body := postJSON(t, srv.URL+"/api/v1/tasks", `{"type":"test","description":"while streaming"}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%s", body)
	for _, id := range ids[:toRun] {
		resp, body := postJSON(t, srv.URL+"/api/v1/tasks/"+id+"/run", ``)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	}
	for i, s := range all[:toRun] {
		var seen []store.Status
		for st := range s.statuses {
			seen = append(seen, st)
		}
		require.NoError(t, s.err, "stream %d", i)
		require.NotEmpty(t, seen, "stream %d", i)
		require.Equal(t, store.StatusCompleted, seen[len(seen)-1], "stream %d ends with its task completed: %v", i, seen)
	}
	status, _ = getBody(t, srv.URL+"/health")
	require.Equal(t, http.StatusOK, status)
	resp, body = postJSON(t, srv.URL+"/api/v1/tasks", `{"type":"test","description":"after the runs"}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%s", body)

	// The other streams are still open and saw no change of their task.
	for i, s := range all[toRun:] {
		select {
		case st, ok := <-s.statuses:
			require.True(t, ok, "stream %d of an untouched task ended: %v", toRun+i, s.err)
			t.Fatalf("stream %d of an untouched task sent %s", toRun+i, st)
		default:
		}
	}
	closeStreams()
	wg.Wait()
	t.Logf("peak sessions of the App: %d (pool bound %d, plus the listener)", peak.Load(), maxConns)
	require.LessOrEqual(t, peak.Load(), int64(maxConns+1), "sessions of the App: its pool's bound plus the listener")
	require.Positive(t, peak.Load(), "the sampling saw the App's sessions")
}

type statusError struct{ code int }

func (e *statusError) Error() string { return http.StatusText(e.code) }

func taskIDs(tasks []store.Task) []string {
	out := make([]string, len(tasks))
	for i, task := range tasks {
		out[i] = task.ID
	}
	return out
}
