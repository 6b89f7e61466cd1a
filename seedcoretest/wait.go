package seedcoretest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/store"
)

// recheckInterval is how often WaitFor reads the task without a
// notification. Notifications are hints that a store may drop (a full
// subscriber buffer, a reconnect) and an App given only Config.DB has
// none, so WaitFor also looks on its own, rarely. (A variable so that a
// test can turn it off.)
var recheckInterval = 100 * time.Millisecond

// WaitFor waits until task id (a full id or an unambiguous prefix) is in
// status, and returns it. It reads the task again whenever the App's
// store notifies a change (App.Notifier), so it returns as soon as the
// status is stored, with no polling loop in the test. It fails t when
// [DefaultTimeout] passes first, at once when the task reaches another
// terminal status (it can never leave it), and when the task cannot be
// read.
func WaitFor(t testing.TB, app *seedcore.App, id string, status store.Status) store.Task {
	t.Helper()
	return WaitForTimeout(t, app, id, status, DefaultTimeout)
}

// WaitForTimeout is [WaitFor] with its own timeout.
func WaitForTimeout(t testing.TB, app *seedcore.App, id string, status store.Status, timeout time.Duration) store.Task {
	t.Helper()
	if !status.Valid() {
		t.Fatalf("seedcoretest: WaitFor: %q is not a status", status)
		return store.Task{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// Resolve a prefix first, so the subscription can name the task.
	if task, err := app.Store().Get(ctx, id); err == nil {
		id = task.ID
	}
	var events <-chan store.Event
	switch n := app.Notifier(); n := n.(type) {
	case store.TaskNotifier:
		ch, unsubscribe := n.SubscribeTask(id)
		defer unsubscribe()
		events = ch
	case store.Notifier:
		ch, unsubscribe := n.Subscribe()
		defer unsubscribe()
		events = ch
	}
	// Subscribed before the reads below, so no change after one is missed.
	recheck := time.NewTicker(recheckInterval)
	defer recheck.Stop()
	var last store.Task
	for {
		task, err := app.Store().Get(ctx, id)
		switch {
		case err != nil && ctx.Err() == nil:
			t.Fatalf("seedcoretest: WaitFor: read task %s: %v", id, err)
			return store.Task{}
		case err == nil && task.Status == status:
			return task
		case err == nil && task.Status.Terminal():
			t.Fatalf("seedcoretest: task %s ended %s (attempts %d, error %q); it will never be %s",
				task.ID, task.Status, task.Attempts, task.Error, status)
			return store.Task{}
		case err == nil:
			last = task
		}
		select {
		case <-ctx.Done():
			t.Fatalf("seedcoretest: task %s is still %s after %s; waited for %s", id, last.Status, timeout, status)
			return store.Task{}
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if ev.Kind == store.EventChanged && ev.TaskID != "" && ev.TaskID != id {
				continue // another task's change
			}
		case <-recheck.C:
		}
	}
}

// RequireEnqueued returns every task that matches f, newest first, and
// fails t when there is none. It reads every page of the listing (f.Limit
// is the page size, f.Cursor where to start), so the result is complete.
func RequireEnqueued(t testing.TB, app *seedcore.App, f store.Filter) []store.Task {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	var tasks []store.Task
	for {
		page, err := app.Store().List(ctx, f)
		if err != nil {
			t.Fatalf("seedcoretest: RequireEnqueued: list tasks: %v", err)
			return nil
		}
		tasks = append(tasks, page.Tasks...)
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	if len(tasks) == 0 {
		t.Fatalf("seedcoretest: no task matches %s", describe(f))
		return nil
	}
	return tasks
}

// describe renders the set fields of f for a failure message.
func describe(f store.Filter) string {
	var parts []string
	if len(f.Statuses) > 0 {
		parts = append(parts, fmt.Sprintf("status in %v", f.Statuses))
	}
	if f.Type != "" {
		parts = append(parts, fmt.Sprintf("type %q", f.Type))
	}
	if f.Domain != "" {
		parts = append(parts, fmt.Sprintf("domain %q", f.Domain))
	}
	if !f.CreatedAfter.IsZero() {
		parts = append(parts, "created at or after "+f.CreatedAfter.Format(time.RFC3339Nano))
	}
	if !f.CreatedBefore.IsZero() {
		parts = append(parts, "created before "+f.CreatedBefore.Format(time.RFC3339Nano))
	}
	if len(parts) == 0 {
		return "the filter (any task)"
	}
	return strings.Join(parts, ", ")
}
