package seedcore_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/require"
	"github.com/thejerf/suture/v4"
	"go.uber.org/goleak"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/internal/syncbuf"
	"github.com/seedcore/seedcore/metrics"
	"github.com/seedcore/seedcore/seedcoretest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/supervisor"
	"github.com/seedcore/seedcore/taskqueue"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// lib/pq's listener connection goroutine may still be closing.
		goleak.IgnoreTopFunction("github.com/lib/pq.(*ListenerConn).listenerConnLoop"),
		goleak.Cleanup(pgtest.Exit),
	)
}

func echoMux(t testing.TB) *taskqueue.Mux {
	mux := taskqueue.NewMux()
	require.NoError(t, mux.Handle("test", taskqueue.DispatcherFunc(func(_ context.Context, task *store.Task) (json.RawMessage, error) {
		return json.Marshal(map[string]string{"seen": task.Description})
	})))
	return mux
}

func waitFor(t testing.TB, d time.Duration, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func postJSON(t *testing.T, url, body string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

func getBody(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

type appEnv struct {
	name string
	cfg  func(t *testing.T) seedcore.Config
}

var appEnvs = []appEnv{
	{"mem", func(*testing.T) seedcore.Config { return seedcore.Config{} }},
	{"pg", func(t *testing.T) seedcore.Config {
		db := pgtest.New(t)
		return seedcore.Config{DB: db.DB, DatabaseURL: db.DSN, Schema: db.Schema}
	}},
}

// Secrets that must never leave redacted.
const (
	rawEmail  = "jane.doe@example.com"
	rawCard   = "4111 1111 1111 1111"
	rawSecret = "AKIAIOSFODNN7EXAMPLE"
)

// TestPIINeverLeaves: a task whose description holds an e-mail, a card
// number and a secret has none of them in the stored record, in any API
// response, or in any log line.
func TestPIINeverLeaves(t *testing.T) {
	t.Parallel()
	for _, e := range appEnvs {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			logs := &syncbuf.Buffer{}
			cfg := e.cfg(t)
			cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			cfg.Dispatcher = echoMux(t)
			cfg.PollInterval = 50 * time.Millisecond
			app, err := seedcore.New(context.Background(), cfg)
			require.NoError(t, err)
			seedcoretest.Start(t, app)
			srv := httptest.NewServer(app.Handler())
			defer srv.Close()

			desc := "Guest " + rawEmail + " paid with " + rawCard + " and pasted key " + rawSecret + " — a guest collapsed in room 12, help!"
			body, _ := json.Marshal(map[string]any{"type": "test", "description": desc})
			resp, created := postJSON(t, srv.URL+"/api/v1/tasks", string(body))
			require.Equal(t, http.StatusCreated, resp.StatusCode, string(created))
			var task store.Task
			require.NoError(t, json.Unmarshal(created, &task))
			require.Contains(t, task.Description, "[EMAIL_REDACTED]")

			stored := seedcoretest.WaitFor(t, app, task.ID, store.StatusCompleted)
			rec, _ := json.Marshal(stored)
			_, one := getBody(t, srv.URL+"/api/v1/tasks/"+task.ID)
			_, list := getBody(t, srv.URL+"/api/v1/tasks")
			_, events := getBody(t, srv.URL+"/api/v1/tasks/"+task.ID+"/events")
			for name, text := range map[string]string{
				"stored record": string(rec), "create response": string(created), "get response": string(one),
				"list response": string(list), "event stream": string(events), "logs": logs.String(),
			} {
				for _, secret := range []string{rawEmail, rawCard, rawSecret, "4111111111111111"} {
					require.NotContains(t, text, secret, "%s leaks", name)
				}
			}
			// The analysis was stored with the task.
			var analysis map[string]any
			require.NoError(t, json.Unmarshal(stored.Events, &analysis))
			require.Contains(t, analysis["event_types"], "emergency")
			require.Equal(t, 10, stored.Priority, "the analysis's priority")
			require.NotEmpty(t, logs.String(), "the logger was used")
		})
	}
}

func TestEnqueueFromGo(t *testing.T) {
	t.Parallel()
	for _, e := range appEnvs {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			cfg := e.cfg(t)
			cfg.Dispatcher = echoMux(t)
			app, err := seedcore.New(context.Background(), cfg)
			require.NoError(t, err)
			seedcoretest.Start(t, app)
			task, created, err := app.Enqueue(context.Background(), store.NewTask{Type: "test", Description: "write to " + rawEmail, IdempotencyKey: "k1"})
			require.NoError(t, err)
			require.True(t, created)
			again, created, err := app.Enqueue(context.Background(), store.NewTask{Type: "test", Description: "other", IdempotencyKey: "k1"})
			require.NoError(t, err)
			require.False(t, created)
			require.Equal(t, task.ID, again.ID)
			got := seedcoretest.WaitFor(t, app, task.ID, store.StatusCompleted)
			require.Equal(t, store.StatusCompleted, got.Status)
			require.JSONEq(t, `{"seen":"write to [EMAIL_REDACTED]"}`, string(got.Result))
		})
	}
}

func TestEnqueueTx(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := context.Background()
	app, err := seedcore.New(ctx, seedcore.Config{DB: db.DB, Schema: db.Schema, Dispatcher: echoMux(t)})
	require.NoError(t, err)

	tx, err := db.DB.BeginTxx(ctx, nil)
	require.NoError(t, err)
	rolledBack, _, err := app.EnqueueTx(ctx, tx, store.NewTask{Type: "test"})
	require.NoError(t, err)
	require.NoError(t, tx.Rollback())
	_, err = app.Store().Get(ctx, rolledBack.ID)
	require.ErrorIs(t, err, store.ErrNotFound)

	tx, err = db.DB.BeginTxx(ctx, nil)
	require.NoError(t, err)
	committed, _, err := app.EnqueueTx(ctx, tx, store.NewTask{Type: "test"})
	require.NoError(t, err)
	require.NoError(t, tx.Commit())
	_, err = app.Store().Get(ctx, committed.ID)
	require.NoError(t, err)

	mem, err := seedcore.New(ctx, seedcore.Config{Dispatcher: echoMux(t)})
	require.NoError(t, err)
	_, _, err = mem.EnqueueTx(ctx, nil, store.NewTask{Type: "test"})
	require.ErrorIs(t, err, seedcore.ErrNoTransactions)
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, err := seedcore.New(ctx, seedcore.Config{})
	require.ErrorIs(t, err, seedcore.ErrInvalidConfig)
	_, err = seedcore.New(ctx, seedcore.Config{Dispatcher: echoMux(t), Concurrency: -1})
	require.ErrorIs(t, err, seedcore.ErrInvalidConfig)
	_, err = seedcore.New(ctx, seedcore.Config{Dispatcher: echoMux(t), APIPrefix: "no-slash"})
	require.ErrorIs(t, err, seedcore.ErrInvalidConfig)
	// The clock drives the in-memory store only: PostgreSQL's times are the database's.
	_, err = seedcore.New(ctx, seedcore.Config{Dispatcher: echoMux(t), DatabaseURL: "postgres://127.0.0.1:1/none", Now: time.Now})
	require.ErrorIs(t, err, seedcore.ErrInvalidConfig)
}

// TestEmbedInSutureTree: the App runs inside a caller's suture tree, its
// routes mounted in a caller's mux (App.Mount), and stops with the tree.
func TestEmbedInSutureTree(t *testing.T) {
	t.Parallel()
	app, err := seedcore.New(context.Background(), seedcore.Config{Dispatcher: echoMux(t)})
	require.NoError(t, err)
	root := suture.NewSimple("host")
	root.Add(app)
	ctx, cancel := context.WithCancel(context.Background())
	errc := root.ServeBackground(ctx)
	waitFor(t, 10*time.Second, app.Ready, "embedded app never became ready")

	mux := http.NewServeMux()
	mux.HandleFunc("GET /host/hello", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hi") })
	app.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	resp, body := postJSON(t, srv.URL+"/api/v1/tasks", `{"type":"test","description":"test task"}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	var task store.Task
	require.NoError(t, json.Unmarshal(body, &task))
	seedcoretest.WaitFor(t, app, task.ID, store.StatusCompleted)
	code, hello := getBody(t, srv.URL+"/host/hello")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "hi", string(hello))

	cancel()
	select {
	case err := <-errc:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(30 * time.Second):
		t.Fatal("host tree did not stop")
	}
	require.False(t, app.Ready())
}

// TestShutdown: Shutdown stops a serving App, Serve reports it, and a
// suture tree would not restart it.
func TestShutdown(t *testing.T) {
	t.Parallel()
	app, err := seedcore.New(context.Background(), seedcore.Config{Dispatcher: echoMux(t)})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- app.Serve(context.Background()) }()
	waitFor(t, 10*time.Second, app.Ready, "app never became ready")
	require.NoError(t, app.Shutdown(context.Background()))
	err = <-done
	require.ErrorIs(t, err, seedcore.ErrShutdown)
	require.ErrorIs(t, err, suture.ErrDoNotRestart)
	require.ErrorIs(t, app.Serve(context.Background()), seedcore.ErrShutdown)
}

// TestReadyzWhenStoreGoesAway: /readyz is 200 while PostgreSQL answers and
// 503, naming the store, once its database is unreachable.
func TestReadyzWhenStoreGoesAway(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := context.Background()
	// A pool of its own, so closing it cuts only this App off.
	own, err := sqlxOpen(db.DSN)
	require.NoError(t, err)
	app, err := seedcore.New(ctx, seedcore.Config{DB: own, Schema: db.Schema, Dispatcher: echoMux(t), PollInterval: 50 * time.Millisecond})
	require.NoError(t, err)
	seedcoretest.Start(t, app)
	srv := httptest.NewServer(app.Handler())
	defer srv.Close()
	code, _ := getBody(t, srv.URL+"/readyz")
	require.Equal(t, http.StatusOK, code)
	require.NoError(t, own.Close())
	code, body := getBody(t, srv.URL+"/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, string(body), "store")
}

// readSSE reads server-sent events until the stream ends.
func readSSE(t *testing.T, r io.Reader) []string {
	t.Helper()
	var statuses []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			var task store.Task
			require.NoError(t, json.Unmarshal([]byte(data), &task))
			statuses = append(statuses, string(task.Status))
		}
	}
	return statuses
}

// TestDashboardMounted: with Config.Dashboard the App's handler serves the
// dashboard beside the API, and the dashboard sees the pool's tasks.
func TestDashboardMounted(t *testing.T) {
	t.Parallel()
	app, err := seedcore.New(context.Background(), seedcore.Config{Dispatcher: echoMux(t), Dashboard: true})
	require.NoError(t, err)
	seedcoretest.Start(t, app)
	srv := httptest.NewServer(app.Handler())
	defer srv.Close()
	task, _, err := app.Enqueue(context.Background(), store.NewTask{Type: "test", Description: "shown on the dashboard"})
	require.NoError(t, err)
	seedcoretest.WaitFor(t, app, task.ID, store.StatusCompleted)

	resp, err := http.Get(srv.URL + "/ui/tasks/" + task.ID)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	require.Contains(t, string(body), "shown on the dashboard")
	code, _ := getBody(t, srv.URL+"/api/v1/tasks/"+task.ID)
	require.Equal(t, http.StatusOK, code, "the API is still served")

	_, err = seedcore.New(context.Background(), seedcore.Config{Dispatcher: echoMux(t), Dashboard: true, DashboardPrefix: "/api/v1/ui"})
	require.ErrorIs(t, err, seedcore.ErrInvalidConfig)
}

// TestMetricsWired: with Config.Metrics the App counts what it creates,
// what the eventizer finds and how tasks end.
func TestMetricsWired(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{})
	require.NoError(t, err)
	mux := echoMux(t)
	require.NoError(t, mux.Handle("broken", taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
		return nil, taskqueue.Permanent(errors.New("no"))
	})))
	app, err := seedcore.New(context.Background(), seedcore.Config{Dispatcher: mux, Metrics: m})
	require.NoError(t, err)
	seedcoretest.Start(t, app)
	ok, _, err := app.Enqueue(context.Background(), store.NewTask{Type: "test", Description: "mail " + rawEmail})
	require.NoError(t, err)
	bad, _, err := app.Enqueue(context.Background(), store.NewTask{Type: "broken"})
	require.NoError(t, err)
	seedcoretest.WaitFor(t, app, ok.ID, store.StatusCompleted)
	seedcoretest.WaitFor(t, app, bad.ID, store.StatusFailed)

	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	var text string
	waitFor(t, 5*time.Second, func() bool {
		_, b := getBody(t, srv.URL)
		text = string(b)
		// The pool tells its observers after it hands the outcome to the
		// store, so the counts may follow the stored status by a moment.
		return strings.Contains(text, `seedcore_tasks_failed_total{type="broken"} 1`) &&
			strings.Contains(text, `seedcore_tasks_completed_total{type="test"} 1`)
	}, "finished tasks not counted")
	for _, want := range []string{
		`seedcore_tasks_created_total{type="test"} 1`,
		`seedcore_tasks_created_total{type="broken"} 1`,
		`seedcore_tasks_completed_total{type="test"} 1`,
		`seedcore_eventizer_findings_total{kind="email"} 1`,
		`seedcore_dispatcher_errors_total{class="permanent"} 1`,
		`seedcore_tasks{status="completed"} 1`,
	} {
		require.Contains(t, text, want)
	}
	require.NotContains(t, text, rawEmail)
}

// TestMetricsCountParamsFindings: the findings redacted from params are
// counted with the description's, by kind, and no label holds the text.
func TestMetricsCountParamsFindings(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{})
	require.NoError(t, err)
	app, err := seedcore.New(context.Background(), seedcore.Config{Dispatcher: echoMux(t), Metrics: m})
	require.NoError(t, err)
	t.Cleanup(func() { _ = app.Shutdown(context.Background()) })
	_, _, err = app.Enqueue(context.Background(), store.NewTask{
		Type: "test", Description: "mail " + rawEmail,
		Params: json.RawMessage(`{"to": "` + rawEmail + `", "cc": ["other@example.org"]}`),
	})
	require.NoError(t, err)

	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	_, b := getBody(t, srv.URL)
	text := string(b)
	require.Contains(t, text, `seedcore_eventizer_findings_total{kind="email"} 3`, "one in the description, two in params")
	require.NotContains(t, text, rawEmail)
	require.NotContains(t, text, "example.org")
}

// TestMetricsCountSupervisorEvents: with Config.Metrics the App counts
// the supervisor's restarts from its events, whatever its logger keeps,
// and still gives every event to Config.Supervisor.OnEvent.
func TestMetricsCountSupervisorEvents(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{})
	require.NoError(t, err)
	failed := make(chan supervisor.Event, 1)
	app, err := seedcore.New(context.Background(), seedcore.Config{
		Dispatcher: echoMux(t),
		Metrics:    m,
		Supervisor: supervisor.Config{OnEvent: func(ev supervisor.Event) {
			if ev.Kind == supervisor.EventServiceFailed {
				failed <- ev
			}
		}},
	})
	require.NoError(t, err)
	var runs atomic.Int32
	require.NoError(t, app.Supervisor().Add("flaky", supervisor.ServiceFunc(func(ctx context.Context) error {
		if runs.Add(1) == 1 {
			return errors.New("first run fails")
		}
		<-ctx.Done()
		return ctx.Err()
	})))
	seedcoretest.Start(t, app)

	select {
	case ev := <-failed:
		require.Equal(t, "flaky", ev.Service)
		require.Equal(t, "seedcore", ev.Supervisor)
	case <-time.After(5 * time.Second):
		t.Fatal("Supervisor.OnEvent was not given the failure")
	}
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	_, body := getBody(t, srv.URL)
	require.Contains(t, string(body), `seedcore_supervisor_restarts_total{reason="error",service="flaky"} 1`)
}

// TestEnqueueManyKeepsOrder: tasks of one EnqueueMany, due together at
// equal priority, are claimed in the order given. Their IDs, which break
// the tie, rise with their place in the batch, though a large batch is
// analysed by several goroutines.
func TestEnqueueManyKeepsOrder(t *testing.T) {
	t.Parallel()
	app := seedcoretest.New(t, seedcore.Config{})
	ctx := context.Background()
	const n = 1000
	tasks := make([]store.NewTask, n)
	for i := range tasks {
		tasks[i] = store.NewTask{Type: "ordered", Params: json.RawMessage(`{"i":` + strconv.Itoa(i) + `}`), Description: "nightly export finished"}
	}
	got, err := app.EnqueueMany(ctx, tasks)
	require.NoError(t, err)
	require.Equal(t, n, got)
	var all []store.Task
	f := store.Filter{Type: "ordered", Limit: store.MaxListLimit}
	for {
		page, err := app.Store().List(ctx, f)
		require.NoError(t, err)
		all = append(all, page.Tasks...)
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	require.Len(t, all, n)
	slices.SortFunc(all, func(a, b store.Task) int { return strings.Compare(a.ID, b.ID) })
	for i, task := range all {
		var p struct{ I int }
		require.NoError(t, json.Unmarshal(task.Params, &p))
		require.Equal(t, i, p.I, "task %d in ID order", i)
	}
}
