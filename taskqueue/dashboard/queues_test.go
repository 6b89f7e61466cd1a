package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue/dashboard"
)

func TestQueuesPauseResume(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	task := b.create(t, store.NewTask{Queue: "mail"})
	b.create(t, store.NewTask{})
	cookie, token := b.session(t, "/ui/")
	body := b.get(t, "/ui/")
	require.Contains(t, body, `<a href="/ui/tasks?queue=mail">mail</a>`)
	require.Contains(t, body, `action="/ui/queues/mail/pause"`)
	require.Contains(t, body, `action="/ui/queues/default/pause"`)

	form := url.Values{dashboard.CSRFField: {token}}
	w := b.do(t, http.MethodPost, "/ui/queues/mail/pause", form, []*http.Cookie{cookie})
	require.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
	require.Equal(t, "/ui/", w.Header().Get("Location"))
	queues, err := b.store.Queues(context.Background())
	require.NoError(t, err)
	require.Equal(t, "mail", queues[1].Name)
	require.True(t, queues[1].Paused)
	require.NoError(t, b.store.SetQueueLimits(context.Background(), "mail", store.QueueLimits{MaxRunning: 3, Rate: 2.5}))
	body = b.get(t, "/ui/")
	require.Contains(t, body, "at most 3 running · 2.5/s, burst 3")
	require.NoError(t, b.store.SetQueueLimits(context.Background(), "mail", store.QueueLimits{MaxRunning: 3, PartitionMaxRunning: 2}))
	body = b.get(t, "/ui/")
	require.Contains(t, body, "at most 3 running · at most 2 running per partition")
	require.Contains(t, body, `action="/ui/queues/mail/resume"`)
	require.Contains(t, body, "paused")

	w = b.do(t, http.MethodPost, "/ui/queues/mail/resume", form, []*http.Cookie{cookie})
	require.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
	queues, err = b.store.Queues(context.Background())
	require.NoError(t, err)
	require.False(t, queues[1].Paused)

	// No CSRF token: refused, nothing changes.
	w = b.do(t, http.MethodPost, "/ui/queues/mail/pause", url.Values{}, []*http.Cookie{cookie})
	require.Equal(t, http.StatusForbidden, w.Code)
	queues, err = b.store.Queues(context.Background())
	require.NoError(t, err)
	require.False(t, queues[1].Paused)
	w = b.do(t, http.MethodPost, "/ui/queues/a:b/pause", form, []*http.Cookie{cookie})
	require.Equal(t, http.StatusBadRequest, w.Code)

	// A dashboard that knows this process's types lists the ready types
	// no handler here runs.
	h := setup(t, func(c *dashboard.Config) { c.Handles = func(typ string) bool { return typ == "test" } })
	h.create(t, store.NewTask{Type: "resize"})
	h.create(t, store.NewTask{Type: "test"})
	body = h.get(t, "/ui/")
	require.Contains(t, body, "waiting for a handler (none here): resize ×1")
	require.NotContains(t, body, "test ×1")

	// The list filters by queue.
	body = b.get(t, "/ui/tasks?queue=mail")
	require.Contains(t, body, task.ID)
	require.Contains(t, body, `1</span> matching task`)
	w = b.do(t, http.MethodGet, "/ui/tasks?queue=a%20b", nil, nil)
	require.Equal(t, http.StatusBadRequest, w.Code)
}
