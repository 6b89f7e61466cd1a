package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/seedcore/seedcore/store"
)

func runRetry(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runOperate(ctx, args, stdout, stderr, operation{
		name: "retry", verb: "retried", statuses: store.RetryableStatuses(),
		help: `
Put a failed or cancelled task back in the queue, with as many attempts
again as it was first given, and print it as JSON. Its attempt history
and last error are kept. Any other status exits 4.

With filter flags instead of an id, retry every failed or cancelled task
they select. Without -confirm nothing changes: the command prints how many
tasks match ({"matched": n}); run it again with -confirm n to retry
exactly those. If the number changed meanwhile, nothing is retried and the
command exits 4. At most 10000 tasks at once.`,
		one: func(cl client, ctx context.Context, id string) (any, error) { return cl.Retry(ctx, id) },
		many: func(cl client, ctx context.Context, f store.BulkFilter) (int, error) {
			return cl.RetryMatching(ctx, f)
		},
	})
}

func runDelete(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runOperate(ctx, args, stdout, stderr, operation{
		name: "delete", verb: "deleted", statuses: store.DeletableStatuses(),
		help: `
Delete a finished (completed, failed or cancelled) task for good and
print {"deleted": 1}. Any other status exits 4.

With filter flags instead of an id, delete every finished task they
select. Without -confirm nothing changes: the command prints how many
tasks match ({"matched": n}); run it again with -confirm n to delete
exactly those. If the number changed meanwhile, nothing is deleted and the
command exits 4. At most 10000 tasks at once.`,
		one: func(cl client, ctx context.Context, id string) (any, error) {
			return map[string]int{"deleted": 1}, cl.Delete(ctx, id)
		},
		many: func(cl client, ctx context.Context, f store.BulkFilter) (int, error) {
			return cl.DeleteMatching(ctx, f)
		},
	})
}

// operation is a command that acts on one task or on every task a filter
// selects (retry, delete).
type operation struct {
	name, verb, help string
	// statuses are the statuses the operation acts on.
	statuses []store.Status
	one      func(client, context.Context, string) (any, error)
	many     func(client, context.Context, store.BulkFilter) (int, error)
}

func runOperate(ctx context.Context, args []string, stdout, stderr io.Writer, op operation) int {
	fs := newFlags(op.name, "[flags] ID|PREFIX | [filter flags] [-confirm N]", op.help, exitNotFoundHelp,
		"4  conflict (ambiguous id prefix, the task's status forbids it, or the number of matching tasks is not -confirm)")
	var c conn
	c.register(fs)
	var (
		f             store.BulkFilter
		status        string
		after, before string
	)
	names := make([]string, len(op.statuses))
	for i, s := range op.statuses {
		names[i] = string(s)
	}
	fs.StringVar(&status, "status", "", "select these statuses (comma-separated; default and allowed: "+strings.Join(names, ",")+")")
	fs.StringVar(&f.Type, "type", "", "select this task type")
	fs.StringVar(&f.Domain, "domain", "", "select this domain")
	fs.StringVar(&after, "after", "", "select tasks created at or after this RFC 3339 time, or this long ago (such as 1h)")
	fs.StringVar(&before, "before", "", "select tasks created before this RFC 3339 time, or this long ago")
	fs.IntVar(&f.Confirm, "confirm", 0, "the number of tasks the filter selects, as a run without -confirm printed")
	pos, code, done := parse(fs, args, stdout, stderr)
	if done {
		return code
	}
	filtered := status != "" || f.Type != "" || f.Domain != "" || after != "" || before != "" || f.Confirm != 0
	switch {
	case len(pos) == 1 && filtered:
		return fail(stderr, op.name, usagef("give a task id or filter flags, not both"))
	case len(pos) == 1:
		return withClient(ctx, c, op.name, stderr, func(ctx context.Context, cl client) error {
			task, err := cl.Get(ctx, pos[0]) // resolves a prefix
			if err != nil {
				return err
			}
			out, err := op.one(cl, ctx, task.ID)
			if err != nil {
				return err
			}
			return printJSON(stdout, out)
		})
	case len(pos) > 1:
		return fail(stderr, op.name, usagef("want one task id or prefix"))
	case !filtered:
		return fail(stderr, op.name, usagef("give a task id, or filter flags to select tasks"))
	}
	sel := f.Filter()
	if err := parseSelection(&sel, status, after, before, strings.Join(names, ",")); err != nil {
		return fail(stderr, op.name, err)
	}
	f.Statuses, f.CreatedAfter, f.CreatedBefore = sel.Statuses, sel.CreatedAfter, sel.CreatedBefore
	if f.Confirm < 0 || f.Confirm > store.MaxBulk {
		return fail(stderr, op.name, usagef("-confirm must be from 1 to %d", store.MaxBulk))
	}
	return withClient(ctx, c, op.name, stderr, func(ctx context.Context, cl client) error {
		if f.Confirm == 0 {
			// A dry run: count what the filter selects, as the listing does.
			lf := f.Filter()
			lf.Limit = 1
			if len(lf.Statuses) == 0 {
				lf.Statuses = op.statuses
			}
			for _, s := range lf.Statuses {
				if !containsStatus(op.statuses, s) {
					return usagef("-status: %s cannot be %s (allowed: %s)", s, op.verb, strings.Join(names, ","))
				}
			}
			page, err := cl.List(ctx, lf)
			if err != nil {
				return err
			}
			if page.Total > 0 {
				fmt.Fprintf(stderr, "%d tasks match; nothing was %s. Run again with -confirm %d to do it.\n", page.Total, op.verb, page.Total)
			}
			return printJSON(stdout, map[string]int{"matched": page.Total})
		}
		n, err := op.many(cl, ctx, f)
		if err != nil {
			return err
		}
		return printJSON(stdout, map[string]int{op.verb: n})
	})
}

func containsStatus(list []store.Status, s store.Status) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func (c *dbClient) Retry(ctx context.Context, id string) (store.Task, error) {
	return c.app.Store().Retry(ctx, id)
}

func (c *dbClient) Delete(ctx context.Context, id string) error {
	return c.app.Store().Delete(ctx, id)
}

func (c *dbClient) RetryMatching(ctx context.Context, f store.BulkFilter) (int, error) {
	return c.app.Store().RetryMatching(ctx, f)
}

func (c *dbClient) DeleteMatching(ctx context.Context, f store.BulkFilter) (int, error) {
	return c.app.Store().DeleteMatching(ctx, f)
}

func (c *apiClient) Retry(ctx context.Context, id string) (store.Task, error) {
	var task store.Task
	_, err := c.do(ctx, http.MethodPost, "/tasks/"+url.PathEscape(id)+"/retry", nil, &task)
	return task, err
}

func (c *apiClient) Delete(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodDelete, "/tasks/"+url.PathEscape(id), nil, nil)
	return err
}

// bulkQuery is the query of a bulk operation for f.
func bulkQuery(f store.BulkFilter) string {
	q := url.Values{}
	for _, s := range f.Statuses {
		q.Add("status", string(s))
	}
	if f.Type != "" {
		q.Set("type", f.Type)
	}
	if f.Domain != "" {
		q.Set("domain", f.Domain)
	}
	if !f.CreatedAfter.IsZero() {
		q.Set("created_after", f.CreatedAfter.Format(time.RFC3339Nano))
	}
	if !f.CreatedBefore.IsZero() {
		q.Set("created_before", f.CreatedBefore.Format(time.RFC3339Nano))
	}
	q.Set("confirm", strconv.Itoa(f.Confirm))
	return "?" + q.Encode()
}

func (c *apiClient) RetryMatching(ctx context.Context, f store.BulkFilter) (int, error) {
	var out struct{ Retried int }
	_, err := c.do(ctx, http.MethodPost, "/tasks/retry"+bulkQuery(f), nil, &out)
	return out.Retried, err
}

func (c *apiClient) DeleteMatching(ctx context.Context, f store.BulkFilter) (int, error) {
	var out struct{ Deleted int }
	_, err := c.do(ctx, http.MethodDelete, "/tasks"+bulkQuery(f), nil, &out)
	return out.Deleted, err
}
