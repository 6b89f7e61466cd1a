package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

// waitTimeout bounds every wait in these tests.
const waitTimeout = 5 * time.Second

type testBundle struct {
	store *memstore.Store
	api   *httpapi.API
	h     http.Handler
}

// setup returns a fresh memstore and an API over it whose enqueuer passes
// tasks straight to the store. mutate, when set, edits the config first.
func setup(t *testing.T, mutate func(*httpapi.Config)) *testBundle {
	t.Helper()
	st := memstore.New(memstore.Options{})
	cfg := httpapi.Config{
		Store:    st,
		Enqueuer: httpapi.EnqueuerFunc(st.Create),
		Notifier: st,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	api, err := httpapi.New(cfg)
	require.NoError(t, err)
	return &testBundle{store: st, api: api, h: api.Handler()}
}

// do serves one request and returns the recorded response.
func (b *testBundle) do(t *testing.T, method, path, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, path, nil)
	} else {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, r)
	return w
}

// requireError checks that w is a JSON error with this status and code.
func requireError(t *testing.T, w *httptest.ResponseRecorder, status int, code string) httpapi.ErrorDetail {
	t.Helper()
	require.Equal(t, status, w.Code, "body: %s", w.Body.String())
	require.Equal(t, "application/json", w.Header().Get("Content-Type"))
	var body httpapi.ErrorBody
	dec := json.NewDecoder(strings.NewReader(w.Body.String()))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&body), "body: %s", w.Body.String())
	require.Equal(t, code, body.Error.Code, "message: %s", body.Error.Message)
	require.NotEmpty(t, body.Error.Message)
	return body.Error
}

// decodeTask checks w's status and decodes the task it carries.
func decodeTask(t *testing.T, w *httptest.ResponseRecorder, status int) store.Task {
	t.Helper()
	require.Equal(t, status, w.Code, "body: %s", w.Body.String())
	require.Equal(t, "application/json", w.Header().Get("Content-Type"))
	var task store.Task
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &task))
	return task
}

// create posts body to /api/v1/tasks and requires a 201.
func (b *testBundle) create(t *testing.T, body string) store.Task {
	t.Helper()
	return decodeTask(t, b.do(t, http.MethodPost, "/api/v1/tasks", body), http.StatusCreated)
}

// claim claims the one ready task as worker "w" and returns it.
func (b *testBundle) claim(t *testing.T) store.Task {
	t.Helper()
	tasks, err := b.store.Claim(context.Background(), "w", 1, time.Minute)
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	return tasks[0]
}

// finish records kind for task t, claimed by claim.
func (b *testBundle) finish(t *testing.T, task store.Task, kind store.OutcomeKind) {
	t.Helper()
	errs, err := b.store.Finish(context.Background(), []store.Outcome{{
		TaskID: task.ID, Worker: "w", Attempt: task.Attempts, Kind: kind, Result: json.RawMessage(`{"ok":true}`),
	}})
	require.NoError(t, err)
	require.NoError(t, errs[0])
}

// sseEvent is one parsed server-sent event (or keep-alive comment).
type sseEvent struct {
	comment string
	event   string
	id      string
	data    string
}

// readEvents parses the stream body into events on the returned channel,
// which is closed at the end of the stream. The goroutine ends when body
// is closed or ends.
func readEvents(body *bufio.Reader) <-chan sseEvent {
	ch := make(chan sseEvent, 16)
	go func() {
		defer close(ch)
		var ev sseEvent
		for {
			line, err := body.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "":
				ch <- ev
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				ev.comment = strings.TrimSpace(line[1:])
			case strings.HasPrefix(line, "event: "):
				ev.event = line[len("event: "):]
			case strings.HasPrefix(line, "id: "):
				ev.id = line[len("id: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			}
		}
	}()
	return ch
}

// nextEvent returns the next event from ch, failing the test after
// waitTimeout or at the end of the stream.
func nextEvent(t *testing.T, ch <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-ch:
		require.True(t, ok, "the stream ended")
		return ev
	case <-time.After(waitTimeout):
		require.FailNow(t, "no event within the timeout")
		return sseEvent{}
	}
}

// nextStatus returns the next status event's task, skipping keep-alives.
func nextStatus(t *testing.T, ch <-chan sseEvent) (store.Task, sseEvent) {
	t.Helper()
	for {
		ev := nextEvent(t, ch)
		if ev.comment != "" {
			continue
		}
		require.Equal(t, "status", ev.event)
		var task store.Task
		require.NoError(t, json.Unmarshal([]byte(ev.data), &task))
		return task, ev
	}
}

// requireEnd waits for the end of the stream.
func requireEnd(t *testing.T, ch <-chan sseEvent) {
	t.Helper()
	select {
	case ev, ok := <-ch:
		require.False(t, ok, "unexpected event %+v", ev)
	case <-time.After(waitTimeout):
		require.FailNow(t, "the stream did not end within the timeout")
	}
}

// openStream starts a test server for b and opens the event stream of
// the task id. The server and the response are closed in t.Cleanup.
func (b *testBundle) openStream(t *testing.T, ctx context.Context, id string) (*http.Response, <-chan sseEvent) {
	t.Helper()
	srv := httptest.NewServer(b.h)
	t.Cleanup(srv.Close)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/tasks/"+id+"/events", nil)
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	return resp, readEvents(bufio.NewReader(resp.Body))
}

func bufioReader(resp *http.Response) *bufio.Reader { return bufio.NewReader(resp.Body) }
