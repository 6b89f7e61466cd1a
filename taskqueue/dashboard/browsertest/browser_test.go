package browsertest_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
	"github.com/seedcore/seedcore/taskqueue/dashboard"
)

func TestMain(m *testing.M) {
	// The test waits for Chromium and its App to stop: no goroutine may
	// outlive it.
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds the wait for the App and the dashboard to stop.
const waitTimeout = 30 * time.Second

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

var screenshotPath = flag.String("dashboard.screenshot", "",
	"where the browser test saves its screenshot (env DASHBOARD_SCREENSHOT; default: a temporary directory)")

// observer forwards the pool's observations to a dashboard made after
// the App (the dashboard needs the App's store).
type observer struct {
	d atomic.Pointer[dashboard.Dashboard]
}

func (o *observer) Claimed(t *store.Task) {
	if d := o.d.Load(); d != nil {
		d.Claimed(t)
	}
}

func (o *observer) Finished(t *store.Task, kind store.OutcomeKind, ran time.Duration, err error) {
	if d := o.d.Load(); d != nil {
		d.Finished(t, kind, ran, err)
	}
}

var _ taskqueue.Observer = (*dashboard.Dashboard)(nil)

// TestBrowser drives the dashboard in headless Chromium against a real
// App: a task created through the JSON API appears and completes on the
// page without a reload, and a held task is cancelled with its button.
func TestBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but there is no Chromium at %s (apt-get install chromium): %v", chromiumPath, err)
		}
		t.Skipf("no Chromium at %s (apt-get install chromium); skipping the browser test", chromiumPath)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	mux := taskqueue.NewMux()
	require.NoError(t, taskqueue.HandleFunc(mux, "test", func(_ context.Context, _ *store.Task, _ json.RawMessage) (map[string]bool, error) {
		time.Sleep(30 * time.Millisecond) // a run time the chart can show
		return map[string]bool{"ok": true}, nil
	}))
	// flaky fails its first attempt and completes any later one.
	require.NoError(t, taskqueue.HandleFunc(mux, "flaky", func(_ context.Context, task *store.Task, _ json.RawMessage) (map[string]int, error) {
		if task.Attempts <= 1 {
			return nil, errors.New("first attempts fail")
		}
		return map[string]int{"attempt": task.Attempts}, nil
	}))
	obs := &observer{}
	app, err := seedcore.New(ctx, seedcore.Config{Dispatcher: mux, Observer: obs, Concurrency: 4})
	require.NoError(t, err)
	d, err := dashboard.New(dashboard.Config{
		Store: app.Store(), Notifier: app.Notifier(), RefreshInterval: dashboard.MinRefreshInterval,
	})
	require.NoError(t, err)
	obs.d.Store(d)

	runCtx, stopRun := context.WithCancel(context.Background())
	appDone, dashDone := make(chan error, 1), make(chan error, 1)
	go func() { appDone <- app.Serve(runCtx) }()
	go func() { dashDone <- d.Serve(runCtx) }()
	root := http.NewServeMux()
	root.Handle("/", app.Handler())
	root.Handle(d.Prefix()+"/", d.Handler())
	srv := httptest.NewServer(root) // listens on 127.0.0.1
	defer func() {
		srv.Close()
		stopRun()
		for _, ch := range []chan error{appDone, dashDone} {
			select {
			case <-ch:
			case <-time.After(waitTimeout):
				t.Error("the App or the dashboard did not stop")
			}
		}
	}()

	allocCtx, stopAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	defer stopAlloc()
	browser, stopBrowser := chromedp.NewContext(allocCtx)
	defer stopBrowser()

	// The first run starts the browser, which lives as long as the context
	// of that run: give it the test's context, not a step's.
	require.NoError(t, chromedp.Do(browser, chromedp.Navigate(srv.URL+"/ui/")), "open the overview")
	// Step bounds each later browser step, so a broken page fails the test.
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(browser, 20*time.Second)
		defer cancel()
		require.NoError(t, chromedp.Do(sctx, actions...), what)
	}
	step("see the counts", chromedp.WaitVisible(chromedp.CSS(`section.counts`)))

	held := createTask(t, srv.URL, `{"type":"test","description":"hold this one for the operator","run_immediately":false}`)
	var tasks []string
	for i := range 5 {
		tasks = append(tasks, createTask(t, srv.URL,
			`{"type":"test","description":"nightly export `+string(rune('A'+i))+` for ops@example.com"}`))
	}

	// The page refreshes itself: the tasks appear and complete without a reload.
	for _, id := range tasks {
		step("see task "+id+" complete", chromedp.WaitVisible(chromedp.CSS(`tr#task-`+id+` span[data-status="completed"]`)))
	}
	step("see the held task", chromedp.WaitVisible(chromedp.CSS(`tr#task-`+held+` span[data-status="created"]`)))
	email, err := chromedp.Run(browser, chromedp.Text(chromedp.CSS(`tr#task-`+tasks[0]+` td.desc`)))
	require.NoError(t, err)
	require.Contains(t, email, "[EMAIL_REDACTED]")
	require.NotContains(t, email, "ops@example.com")

	// Cancel the held task with its button: the task page shows it cancelled.
	step("cancel the held task",
		chromedp.Click(chromedp.CSS(`tr#task-`+held+` button.cancel`)),
		chromedp.WaitVisible(chromedp.CSS(`dl#task-`+held+` span[data-status="cancelled"]`)),
	)
	got, err := app.Store().Get(ctx, held)
	require.NoError(t, err)
	require.Equal(t, store.StatusCancelled, got.Status)

	// A task that failed its only attempt is retried with its button on
	// its page and completes.
	failed := createTask(t, srv.URL, `{"type":"flaky","description":"flaky export","max_attempts":1}`)
	step("see the flaky task fail and retry it",
		chromedp.Navigate(srv.URL+"/ui/tasks/"+failed),
		chromedp.WaitVisible(chromedp.CSS(`dl#task-`+failed+` span[data-status="failed"]`)),
		chromedp.Click(chromedp.CSS(`dl#task-`+failed+` button.retry`)),
		chromedp.WaitVisible(chromedp.CSS(`dl#task-`+failed+` span[data-status="completed"]`)),
	)
	got, err = app.Store().Get(ctx, failed)
	require.NoError(t, err)
	require.Equal(t, store.StatusCompleted, got.Status)
	require.Equal(t, 2, got.Attempts)

	// Two more fail; the filtered list retries both with one confirmed form.
	more := []string{
		createTask(t, srv.URL, `{"type":"flaky","description":"flaky import A","max_attempts":1}`),
		createTask(t, srv.URL, `{"type":"flaky","description":"flaky import B","max_attempts":1}`),
	}
	for _, id := range more {
		waitStatus(t, app, id, store.StatusFailed)
	}
	step("retry every failed flaky task from the list",
		chromedp.Navigate(srv.URL+"/ui/tasks?status=failed&type=flaky"),
		chromedp.WaitVisible(chromedp.CSS(`button#retry-all`)),
		chromedp.Click(chromedp.CSS(`button#retry-all`)),
		chromedp.WaitVisible(chromedp.CSS(`tr#task-`+more[0]+` span[data-status="completed"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr#task-`+more[1]+` span[data-status="completed"]`)),
	)

	// Back on the overview, the chart shows the completions.
	step("reopen the overview",
		chromedp.Navigate(srv.URL+"/ui/"),
		chromedp.WaitVisible(chromedp.CSS(`tr#task-`+held+` span[data-status="cancelled"]`)),
		chromedp.WaitVisible(chromedp.CSS(`svg.chart rect.bar`)),
	)
	shot, err := chromedp.Run(browser, chromedp.FullScreenshot(100)) // quality 100 makes a PNG, below a JPEG
	require.NoError(t, err, "screenshot")
	path := *screenshotPath
	if path == "" {
		path = os.Getenv("DASHBOARD_SCREENSHOT")
	}
	if path == "" {
		path = filepath.Join(t.TempDir(), "dashboard.png")
	}
	require.NoError(t, os.WriteFile(path, shot, 0o644))
	t.Logf("screenshot saved to %s", path)
	require.NoError(t, app.Shutdown(ctx))
}

// waitStatus waits until task id of app reaches want.
func waitStatus(t *testing.T, app *seedcore.App, id string, want store.Status) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := app.Store().Get(context.Background(), id)
		require.NoError(t, err)
		if got.Status == want {
			return
		}
		require.True(t, time.Now().Before(deadline), "task %s is %s, want %s", id, got.Status, want)
		time.Sleep(20 * time.Millisecond)
	}
}

// createTask creates a task through the JSON API and returns its id.
func createTask(t *testing.T, base, body string) string {
	t.Helper()
	resp, err := http.Post(base+"/api/v1/tasks", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(raw))
	var task store.Task
	require.NoError(t, json.Unmarshal(raw, &task))
	return task.ID
}
