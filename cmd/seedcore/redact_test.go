package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// Values planted through the command line; none may come back or be
// stored.
var cliRaw = []string{"jane.doe@example.com", "4111 1111 1111 1111", "4111111111111111", "+1 415 555 0100",
	"536-22-1234", "198.51.100.23", "2001:db8::8a2e:370:7334", "AKIAIOSFODNN7EXAMPLE", "Tr0ub4dor-horse"}

const cliText = "mail jane.doe@example.com card 4111 1111 1111 1111 phone +1 415 555 0100 ssn 536-22-1234 " +
	"ip 198.51.100.23 ip6 2001:db8::8a2e:370:7334 key AKIAIOSFODNN7EXAMPLE"

var cliParams = `{"note":"` + cliText + `","pan":4111111111111111,"auth":{"password":"Tr0ub4dor-horse"},"list":["jane.doe@example.com"]}`

// enqueueRedacted runs `seedcore enqueue` with values in the description
// and the params, then get and list, and returns everything printed; an
// idempotency key with personal data fails without echoing it.
func enqueueRedacted(t *testing.T, flags []string) string {
	t.Helper()
	var out strings.Builder
	r := runCmd(t, append([]string{"enqueue", "-type", "test", "-hold", "-description", cliText, "-params", cliParams}, flags...)...).
		requireCode(t, exitOK)
	task := r.task(t)
	require.Contains(t, task.Description, "[EMAIL_REDACTED]")
	var params map[string]any
	require.NoError(t, json.Unmarshal(task.Params, &params))
	require.Equal(t, "[CARD_REDACTED]", params["pan"])
	out.WriteString(r.stdout + r.stderr)
	for _, args := range [][]string{{"get", task.ID}, {"list", "-json"}, {"list"}} {
		r := runCmd(t, append(args, flags...)...).requireCode(t, exitOK)
		out.WriteString(r.stdout + r.stderr)
	}
	bad := runCmd(t, append([]string{"enqueue", "-type", "test", "-idempotency-key", "for jane.doe@example.com"}, flags...)...)
	require.NotEqual(t, exitOK, bad.code)
	require.Contains(t, bad.stderr, "idempotency_key holds personal data (email)")
	out.WriteString(bad.stdout + bad.stderr)
	return out.String()
}

func requireNoRaw(t *testing.T, where, text string) {
	t.Helper()
	for _, raw := range cliRaw {
		require.NotContains(t, text, raw, "%s leaks", where)
	}
}

// TestEnqueueRedactsDatabase: `seedcore enqueue -db` redacts every field
// before the row is written.
func TestEnqueueRedactsDatabase(t *testing.T) {
	t.Parallel()
	env, db := database(t)
	runCmd(t, append([]string{"migrate"}, db...)...).requireCode(t, exitOK)
	out := enqueueRedacted(t, append(db, "-api", ""))
	requireNoRaw(t, "command output", out)
	var rows []string
	require.NoError(t, env.DB.Select(&rows, `SELECT row_to_json(t)::text FROM `+env.Schema+`.tasks t`))
	require.Len(t, rows, 1, "the refused task was not stored")
	requireNoRaw(t, "database row", strings.Join(rows, "\n"))
}

// TestEnqueueRedactsAPI: `seedcore enqueue -api` against an App on the
// in-memory store.
func TestEnqueueRedactsAPI(t *testing.T) {
	t.Parallel()
	app, err := seedcore.New(context.Background(), seedcore.Config{
		Dispatcher: taskqueue.AnyType(taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
			return nil, taskqueue.Permanent(errors.New("not run"))
		})),
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = app.Shutdown(context.Background()) })
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	out := enqueueRedacted(t, []string{"-api", srv.URL, "-db", ""})
	requireNoRaw(t, "command output", out)
	page, err := app.UnredactedStore().List(context.Background(), store.Filter{})
	require.NoError(t, err)
	require.Equal(t, 1, page.Total)
	stored, err := json.Marshal(page.Tasks)
	require.NoError(t, err)
	requireNoRaw(t, "stored task", string(stored))
}
