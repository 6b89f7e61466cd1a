package seedcore_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/seedcoretest"
	"github.com/seedcore/seedcore/store"
)

// TestMount: the App mounted the README's way (App.Mount in the host's
// own mux, which keeps its own routes, including "/" and /health) answers
// 200 on every route it serves: the probes, the API's list, create and
// get, the dashboard's pages and assets, and an event stream. Before
// Mount, the README mounted only "/api/v1/" and the probes and the
// dashboard answered 404.
func TestMount(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"/tasks", "/ops/queue", ""} {
		t.Run("base="+base, func(t *testing.T) {
			t.Parallel()
			app := seedcoretest.New(t, seedcore.Config{Dispatcher: echoMux(t), BasePath: base, Dashboard: true})
			seedcoretest.Start(t, app)

			host := http.NewServeMux()
			host.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "host home") })
			if base != "" {
				host.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "host health") })
			}
			app.Mount(host)
			srv := httptest.NewServer(host)
			defer srv.Close()

			get := func(path string) (int, string, http.Header) {
				t.Helper()
				resp, err := http.Get(srv.URL + path)
				require.NoError(t, err)
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				return resp.StatusCode, string(b), resp.Header
			}
			ok := func(path string) string {
				t.Helper()
				code, body, _ := get(path)
				require.Equal(t, http.StatusOK, code, "GET %s: %s", path, body)
				return body
			}

			ok(base + "/health")
			ok(base + "/readyz")
			require.Equal(t, "host home", ok("/"), "the host keeps its own root")
			if base != "" {
				require.Equal(t, "host health", ok("/health"), "the host keeps its own /health")
			}

			resp, created := postJSON(t, srv.URL+base+"/api/v1/tasks", `{"type":"test","description":"mounted"}`)
			require.Equal(t, http.StatusCreated, resp.StatusCode, string(created))
			var task store.Task
			require.NoError(t, json.Unmarshal(created, &task))
			require.Equal(t, base+"/api/v1/tasks/"+task.ID, resp.Header.Get("Location"))
			seedcoretest.WaitFor(t, app, task.ID, store.StatusCompleted)
			require.Contains(t, ok(base+"/api/v1/tasks"), task.ID)
			require.Contains(t, ok(base+"/api/v1/tasks/"+task.ID), `"status":"completed"`)

			// The event stream opens and sends the task's state.
			sse, err := http.Get(srv.URL + base + "/api/v1/tasks/" + task.ID + "/events")
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, sse.StatusCode)
			require.Contains(t, sse.Header.Get("Content-Type"), "text/event-stream")
			line, err := readDataLine(sse.Body)
			sse.Body.Close()
			require.NoError(t, err)
			require.Contains(t, line, task.ID)

			// The dashboard: its pages, and the links and assets they name,
			// are under the base.
			page := ok(base + "/ui/")
			require.Contains(t, page, `href="`+base+`/ui/static/app.css"`)
			ok(base + "/ui/static/app.css")
			ok(base + "/ui/static/app.js")
			detail := ok(base + "/ui/tasks/" + task.ID)
			require.Contains(t, detail, "mounted")
			for _, m := range regexp.MustCompile(`(?:href|action|src)="(/[^"]*)"`).FindAllStringSubmatch(page+detail, -1) {
				require.True(t, strings.HasPrefix(m[1], base+"/ui"), "a dashboard link outside the mount: %s", m[1])
			}
			code, _, _ := get(base + "/ui")
			require.Equal(t, http.StatusOK, code, "GET %s/ui redirects to %s/ui/", base, base)
		})
	}
}

// readDataLine returns the first "data:" line of an event stream.
func readDataLine(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data: ") {
			return sc.Text(), nil
		}
	}
	return "", sc.Err()
}

// TestBasePathConfig: BasePath, APIPrefix and DashboardPrefix are each
// checked before they are joined.
func TestBasePathConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []seedcore.Config{
		{BasePath: "tasks"}, {BasePath: "/tasks/"}, {BasePath: "/"},
		{BasePath: "/tasks", APIPrefix: "api"}, {BasePath: "/tasks", DashboardPrefix: "ui"},
	} {
		cfg.Dispatcher = echoMux(t)
		_, err := seedcore.New(t.Context(), cfg)
		require.ErrorIs(t, err, seedcore.ErrInvalidConfig, "%+v", cfg)
	}
}
