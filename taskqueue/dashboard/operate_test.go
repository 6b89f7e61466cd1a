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

func TestRetryAndDeleteActions(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	task := b.create(t, store.NewTask{MaxAttempts: 1})
	b.finish(t, task.ID, store.OutcomeFail)
	page := "/ui/tasks/" + task.ID
	cookie, token := b.session(t, page)
	body := b.get(t, page)
	require.Contains(t, body, `action="/ui/tasks/`+task.ID+`/retry"`)
	require.Contains(t, body, `action="/ui/tasks/`+task.ID+`/delete"`)
	require.NotContains(t, body, `/cancel"`)

	form := url.Values{dashboard.CSRFField: {token}}
	w := b.do(t, http.MethodPost, page+"/retry", url.Values{}, []*http.Cookie{cookie})
	require.Equal(t, http.StatusForbidden, w.Code, "no token")
	w = b.do(t, http.MethodPost, page+"/retry", form, []*http.Cookie{cookie})
	require.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
	require.Equal(t, page, w.Header().Get("Location"))
	require.Equal(t, store.StatusQueued, b.status(t, task.ID))
	body = b.get(t, page)
	require.NotContains(t, body, `/retry"`, "a queued task has no retry button")
	require.NotContains(t, body, `/delete"`, "nor a delete button")

	w = b.do(t, http.MethodPost, page+"/delete", form, []*http.Cookie{cookie})
	require.Equal(t, http.StatusConflict, w.Code, "a queued task is not deleted")
	_, err := b.store.Cancel(context.Background(), task.ID)
	require.NoError(t, err)
	w = b.do(t, http.MethodPost, page+"/delete", form, []*http.Cookie{cookie})
	require.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
	require.Equal(t, "/ui/tasks", w.Header().Get("Location"))
	_, err = b.store.Get(context.Background(), task.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestBulkActions(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	for range 3 {
		task := b.create(t, store.NewTask{Type: "a", MaxAttempts: 1})
		b.finish(t, task.ID, store.OutcomeFail)
	}
	list := "/ui/tasks?status=failed&type=a"
	cookie, token := b.session(t, list)
	body := b.get(t, list)
	require.Contains(t, body, `Retry all 3`)
	require.Contains(t, body, `Delete all 3`)
	require.Contains(t, body, `name="confirm" value="3"`)
	require.NotContains(t, b.get(t, "/ui/tasks"), "all 3", "no bulk form without one status")
	require.NotContains(t, b.get(t, "/ui/tasks?status=queued"), "Retry all", "queued tasks are not retried")

	form := url.Values{dashboard.CSRFField: {token}, "status": {"failed"}, "type": {"a"}, "confirm": {"2"}}
	w := b.do(t, http.MethodPost, "/ui/tasks/retry", form, []*http.Cookie{cookie})
	require.Equal(t, http.StatusConflict, w.Code, "the list changed since it was shown")
	require.Contains(t, w.Body.String(), "now selects 3 tasks")
	form.Set("confirm", "3")
	w = b.do(t, http.MethodPost, "/ui/tasks/retry", form, []*http.Cookie{cookie})
	require.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
	require.Equal(t, "/ui/tasks?type=a", w.Header().Get("Location"))
	counts, err := b.store.Counts(context.Background())
	require.NoError(t, err)
	require.Equal(t, 3, counts[store.StatusQueued])

	form.Set("status", "queued")
	w = b.do(t, http.MethodPost, "/ui/tasks/delete", form, []*http.Cookie{cookie})
	require.Equal(t, http.StatusBadRequest, w.Code, "queued tasks are not deleted")
	form.Del(dashboard.CSRFField)
	w = b.do(t, http.MethodPost, "/ui/tasks/delete", form, []*http.Cookie{cookie})
	require.Equal(t, http.StatusForbidden, w.Code)
}

func TestDetailAttemptHistory(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	task := b.create(t, store.NewTask{MaxAttempts: 1})
	b.finish(t, task.ID, store.OutcomeFail)
	body := b.get(t, "/ui/tasks/"+task.ID)
	require.Contains(t, body, `id="attempts"`)
	require.Contains(t, body, `<td>1</td><td><span class="status s-failed">failed</span></td><td class="mono">w1</td>`)
	require.Contains(t, body, "boom &lt;b&gt;", "the error is escaped")
}

func TestDetailSnoozes(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	task := b.create(t, store.NewTask{})
	b.finish(t, task.ID, store.OutcomeSnooze)
	require.Contains(t, b.get(t, "/ui/tasks/"+task.ID), `snoozed 1×`)
}
