package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/internal/proctest"
	"github.com/seedcore/seedcore/internal/syncbuf"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/pgstore"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// lib/pq's Listener may still be tearing down its connection
		// goroutine right after Close returns.
		goleak.IgnoreTopFunction("github.com/lib/pq.(*ListenerConn).listenerConnLoop"),
		goleak.Cleanup(pgtest.Exit),
	)
}

// result is one in-process run of the command.
type result struct {
	code           int
	stdout, stderr string
}

func runCmd(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

// requireCode fails with the command's output when its exit code is not want.
func (r result) requireCode(t *testing.T, want int) result {
	t.Helper()
	require.Equal(t, want, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	return r
}

func (r result) task(t *testing.T) store.Task {
	t.Helper()
	var task store.Task
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &task), r.stdout)
	return task
}

func TestHelpBinary(t *testing.T) {
	t.Parallel()
	bin := proctest.Build(t, ".")
	out, err := exec.Command(bin, "help").Output()
	require.NoError(t, err, "seedcore help exits 0")
	for name := range commands {
		require.Contains(t, string(out), "\n  "+name+" ")
	}
	require.Contains(t, string(out), exitCodesHelp)

	err = exec.Command(bin, "no-such-command").Run()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, exitUsage, ee.ExitCode())
}

func TestUsage(t *testing.T) {
	t.Parallel()
	none := []string{"-db", "", "-api", ""} // whatever the environment holds
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"no command", nil, exitUsage, "", "Usage: seedcore COMMAND"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{"help", []string{"help"}, exitOK, "Exit codes:", ""},
		{"help of a command", []string{"help", "list"}, exitOK, "Usage: seedcore list", ""},
		{"help of an unknown command", []string{"help", "nope"}, exitUsage, "", `unknown command "nope"`},
		{"unknown flag", []string{"list", "-frob"}, exitUsage, "", "flag provided but not defined: -frob"},
		{"bad flag value", []string{"list", "-limit", "x"}, exitUsage, "", "invalid value"},
		{"enqueue without type", append([]string{"enqueue"}, none...), exitUsage, "", "-type is required"},
		{"enqueue without store", append([]string{"enqueue", "-type", "x"}, none...), exitUsage, "", "no database"},
		{"bad params", append([]string{"enqueue", "-type", "x", "-run-after", "soon"}, none...), exitUsage, "", "-run-after"},
		{"get without id", append([]string{"get"}, none...), exitUsage, "", "want exactly one task id"},
		{"cancel with two ids", append([]string{"cancel", "a", "b"}, none...), exitUsage, "", "want exactly one task id"},
		{"run without id", append([]string{"run"}, none...), exitUsage, "", "want exactly one task id"},
		{"run with two ids", append([]string{"run", "a", "b"}, none...), exitUsage, "", "want exactly one task id"},
		{"old -prefix flag", []string{"get", "-prefix", "/api/v1", "x"}, exitUsage, "", "flag provided but not defined: -prefix"},
		{"list bad status", append([]string{"list", "-status", "done"}, none...), exitUsage, "", "-status"},
		{"list limit too large", append([]string{"list", "-limit", "5000"}, none...), exitUsage, "", "-limit must be from 1 to 1000"},
		{"list limit zero", append([]string{"list", "-limit", "0"}, none...), exitUsage, "", "-limit must be from 1 to 1000"},
		{"list bad api", []string{"list", "-api", "ftp://x"}, exitUsage, "", "-api must be an http(s) URL"},
		{"migrate without db", []string{"migrate", "-db", ""}, exitUsage, "", "no database"},
		{"migrate bad schema", []string{"migrate", "-db", "postgres://x", "-schema", "Bad-Name"}, exitUsage, "", "invalid schema"},
		{"serve open without token", []string{"serve", "-addr", "0.0.0.0:0", "-token", ""}, exitUsage, "", "refusing to listen"},
		{"bench bad store", []string{"bench", "-store", "redis"}, exitUsage, "", "-store must be memory or postgres"},
		{"bench postgres without db", []string{"bench", "-store", "postgres", "-db", ""}, exitUsage, "", "needs -db"},
		{"unreachable database", []string{"get", "-db", "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2", "-api", "", "0190"}, exitFailure, "", "seedcore get:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runCmd(t, tc.args...).requireCode(t, tc.code)
			require.Contains(t, r.stdout, tc.stdout)
			require.Contains(t, r.stderr, tc.stderr)
		})
	}
	// Every command answers -h with its usage on stdout and exit 0.
	for name := range commands {
		r := runCmd(t, name, "-h").requireCode(t, exitOK)
		require.Contains(t, r.stdout, "Usage: seedcore "+name)
		require.Contains(t, r.stdout, "Exit codes:")
	}
}

// TestCommandExitCodes: each command's help lists the exit codes that
// command returns, and no other.
func TestCommandExitCodes(t *testing.T) {
	t.Parallel()
	want := map[string][]string{
		"migrate":   {"0", "1", "2"},
		"serve":     {"0", "1", "2"},
		"bench":     {"0", "1", "2"},
		"enqueue":   {"0", "1", "2"},
		"list":      {"0", "1", "2"},
		"get":       {"0", "1", "2", "3", "4"},
		"cancel":    {"0", "1", "2", "3", "4"},
		"run":       {"0", "1", "2", "3", "4"},
		"retry":     {"0", "1", "2", "3", "4"},
		"delete":    {"0", "1", "2", "3", "4"},
		"processes": {"0", "1", "2"},
		"queues":    {"0", "1", "2"},
		"pause":     {"0", "1", "2"},
		"resume":    {"0", "1", "2"},
		"schedules": {"0", "1", "2"},
		"limit":     {"0", "1", "2"},
	}
	require.Len(t, want, len(commands), "every command is listed here")
	codeLine := regexp.MustCompile(`^  (\d)  \S`)
	for name, codes := range want {
		r := runCmd(t, name, "-h").requireCode(t, exitOK)
		_, section, ok := strings.Cut(r.stdout, "\nExit codes:\n")
		require.True(t, ok, "%s -h has an exit codes section:\n%s", name, r.stdout)
		var got []string
		for line := range strings.Lines(section) {
			if m := codeLine.FindStringSubmatch(line); m != nil {
				got = append(got, m[1])
			}
		}
		require.Equal(t, codes, got, "exit codes of %s -h", name)
	}
	require.Contains(t, runCmd(t, "run", "-h").stdout, "the task is not held in created")
	require.Contains(t, runCmd(t, "get", "-h").stdout, "ambiguous id prefix")
	require.NotContains(t, runCmd(t, "get", "-h").stdout, "status forbids")
}

func TestBenchMemory(t *testing.T) {
	t.Parallel()
	r := runCmd(t, "bench", "-n", "2000", "-rate", "400", "-duration", "250ms", "-progress", "50ms").requireCode(t, exitOK)
	require.Regexp(t, `burndown store=memory tasks=2000 concurrency=100: \S+, \d+ tasks/s`, r.stdout)
	require.Regexp(t, `latency store=memory rate=400/s duration=250ms: n=100 p50=\S+ p90=\S+ p99=\S+ max=\S+`, r.stdout)
	require.Contains(t, r.stderr, "burndown: inserted 2000/2000", "progress goes to stderr")
}

// database returns -db and -schema flags for a fresh test schema.
func database(t *testing.T) (env *pgtest.Env, flags []string) {
	t.Helper()
	env = pgtest.New(t)
	return env, []string{"-db", env.DSN, "-schema", env.Schema}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	_, db := database(t)
	args := func(extra ...string) []string { return append(append([]string{"migrate"}, db...), extra...) }
	latest := pgstore.LatestVersion()

	r := runCmd(t, args("-status")...).requireCode(t, exitOK)
	require.Regexp(t, `version 0, latest \d+ \(\d+ pending\)`, r.stdout)

	r = runCmd(t, args()...).requireCode(t, exitOK)
	require.Contains(t, r.stderr, "migrating schema")
	require.Regexp(t, `version \d+, up to date`, r.stdout)

	r = runCmd(t, args("-status")...).requireCode(t, exitOK)
	require.Contains(t, r.stdout, "latest "+strconv.Itoa(latest)+" (up to date)")
	require.Contains(t, r.stdout, "version "+strconv.Itoa(latest)+",")

	runCmd(t, args()...).requireCode(t, exitOK) // idempotent
}

// taskCommands exercises enqueue, get, list and cancel against where
// flags point (the database, or a server's API).
func taskCommands(t *testing.T, flags []string) {
	t.Helper()
	cmd := func(name string, args ...string) []string {
		return append(append([]string{name}, flags...), args...)
	}

	r := runCmd(t, cmd("enqueue", "-type", "report", "-description", "call ana@example.com", "-hold",
		"-params", `{"n":1}`, "-priority", "7", "-idempotency-key", "k1")...).requireCode(t, exitOK)
	a := r.task(t)
	require.Equal(t, store.StatusCreated, a.Status)
	require.Equal(t, 7, a.Priority)
	require.NotContains(t, a.Description, "ana@example.com", "the description is redacted before it is stored")
	require.JSONEq(t, `{"n":1}`, string(a.Params))

	again := runCmd(t, cmd("enqueue", "-type", "report", "-idempotency-key", "k1", "-hold")...).requireCode(t, exitOK)
	require.Equal(t, a.ID, again.task(t).ID)
	require.Contains(t, again.stderr, "already exists")

	b := runCmd(t, cmd("enqueue", "-type", "other", "-hold")...).requireCode(t, exitOK).task(t)

	runCmd(t, cmd("enqueue", "-type", "x", "-priority", "1000")...).requireCode(t, exitUsage)
	runCmd(t, cmd("enqueue", "-type", "x", "-params", "[1]")...).requireCode(t, exitUsage)

	// get: full id, unique prefix, ambiguous prefix, unknown id, bad id.
	require.Equal(t, a.ID, runCmd(t, cmd("get", a.ID)...).requireCode(t, exitOK).task(t).ID)
	require.Equal(t, b.ID, runCmd(t, cmd("get", b.ID[:len(b.ID)-1])...).requireCode(t, exitOK).task(t).ID)
	common := 0
	for common < len(a.ID) && a.ID[common] == b.ID[common] {
		common++
	}
	if common > 0 {
		runCmd(t, cmd("get", a.ID[:common])...).requireCode(t, exitConflict)
	}
	runCmd(t, cmd("get", "00000000-0000-0000-0000-000000000000")...).requireCode(t, exitNotFound)
	runCmd(t, cmd("get", "not-an-id!")...).requireCode(t, exitUsage)

	// list: JSON, table, paging with a cursor, filters.
	var page store.Page
	r = runCmd(t, cmd("list", "-json")...).requireCode(t, exitOK)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &page))
	require.Equal(t, 2, page.Total)
	require.Equal(t, []string{b.ID, a.ID}, []string{page.Tasks[0].ID, page.Tasks[1].ID}, "newest first")

	r = runCmd(t, cmd("list", "-limit", "1")...).requireCode(t, exitOK)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 2)
	require.Regexp(t, `^ID\s+STATUS\s+QUEUE\s+TYPE`, lines[0])
	require.Contains(t, lines[1], b.ID)
	require.Contains(t, r.stderr, "1 of 2 tasks")
	cursor := regexp.MustCompile(`-cursor (\S+)`).FindStringSubmatch(r.stderr)
	require.NotNil(t, cursor, r.stderr)
	r = runCmd(t, cmd("list", "-limit", "1", "-cursor", cursor[1])...).requireCode(t, exitOK)
	require.Contains(t, r.stdout, a.ID)
	require.NotContains(t, r.stderr, "-cursor", "last page")

	r = runCmd(t, cmd("list", "-json", "-type", "other", "-status", "created,queued")...).requireCode(t, exitOK)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &page))
	require.Equal(t, 1, page.Total)
	require.Equal(t, b.ID, page.Tasks[0].ID)
	r = runCmd(t, cmd("list", "-json", "-status", "completed")...).requireCode(t, exitOK)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &page))
	require.Empty(t, page.Tasks)
	runCmd(t, cmd("list", "-cursor", "garbage")...).requireCode(t, exitUsage)

	// run: a held task by prefix (created → queued), then again
	// (conflict), unknown (not found), bad id, two ids.
	ran := runCmd(t, cmd("run", b.ID[:len(b.ID)-2])...).requireCode(t, exitOK).task(t)
	require.Equal(t, b.ID, ran.ID)
	require.Equal(t, store.StatusQueued, ran.Status)
	r = runCmd(t, cmd("run", b.ID)...).requireCode(t, exitConflict)
	require.Contains(t, r.stderr, "seedcore run:")
	runCmd(t, cmd("run", "00000000-0000-0000-0000-000000000000")...).requireCode(t, exitNotFound)
	runCmd(t, cmd("run", "not-an-id!")...).requireCode(t, exitUsage)

	// cancel: by prefix, then again (conflict), unknown (not found).
	c := runCmd(t, cmd("cancel", a.ID[:len(a.ID)-2])...).requireCode(t, exitOK).task(t)
	require.Equal(t, a.ID, c.ID)
	require.Equal(t, store.StatusCancelled, c.Status)
	runCmd(t, cmd("cancel", a.ID)...).requireCode(t, exitConflict)
	runCmd(t, cmd("cancel", "00000000-0000-0000-0000-000000000000")...).requireCode(t, exitNotFound)

	// retry: the cancelled task, by prefix, back to queued; a held task
	// cannot be retried (conflict); unknown (not found).
	rt := runCmd(t, cmd("retry", a.ID[:len(a.ID)-2])...).requireCode(t, exitOK).task(t)
	require.Equal(t, a.ID, rt.ID)
	require.Equal(t, store.StatusQueued, rt.Status)
	held := runCmd(t, cmd("enqueue", "-type", "held", "-hold")...).requireCode(t, exitOK).task(t)
	runCmd(t, cmd("retry", held.ID)...).requireCode(t, exitConflict)
	runCmd(t, cmd("delete", held.ID)...).requireCode(t, exitConflict)
	runCmd(t, cmd("cancel", held.ID)...).requireCode(t, exitOK)
	runCmd(t, cmd("retry", "00000000-0000-0000-0000-000000000000")...).requireCode(t, exitNotFound)
	runCmd(t, cmd("retry", a.ID, "-type", "report")...).requireCode(t, exitUsage)
	runCmd(t, cmd("retry")...).requireCode(t, exitUsage)

	// finished brings a released task to an end: no worker handles its
	// type, so it waits in the queue until it is cancelled.
	finished := func(id string) {
		t.Helper()
		runCmd(t, cmd("cancel", id)...).requireCode(t, exitOK)
		deadline := time.Now().Add(15 * time.Second)
		for !runCmd(t, cmd("get", id)...).requireCode(t, exitOK).task(t).Status.Terminal() {
			require.True(t, time.Now().Before(deadline), "task %s did not finish", id)
			time.Sleep(20 * time.Millisecond)
		}
	}
	finished(a.ID)
	finished(b.ID)

	// bulk: count the three finished tasks (a dry run changes nothing),
	// confirm a wrong count (conflict), then the right one.
	r = runCmd(t, cmd("retry", "-status", "cancelled,failed")...).requireCode(t, exitOK)
	require.JSONEq(t, `{"matched":3}`, r.stdout)
	require.Contains(t, r.stderr, "-confirm 3")
	runCmd(t, cmd("retry", "-status", "queued")...).requireCode(t, exitUsage)
	runCmd(t, cmd("retry", "-confirm", "2")...).requireCode(t, exitConflict)
	r = runCmd(t, cmd("retry", "-type", "other", "-confirm", "1")...).requireCode(t, exitOK)
	require.JSONEq(t, `{"retried":1}`, r.stdout)
	finished(b.ID)
	r = runCmd(t, cmd("delete", a.ID)...).requireCode(t, exitOK)
	require.JSONEq(t, `{"deleted":1}`, r.stdout)
	runCmd(t, cmd("get", a.ID)...).requireCode(t, exitNotFound)
	r = runCmd(t, cmd("delete", "-type", "other", "-confirm", "1")...).requireCode(t, exitOK)
	require.JSONEq(t, `{"deleted":1}`, r.stdout)
	runCmd(t, cmd("get", b.ID)...).requireCode(t, exitNotFound)
	// queues: a task in a named queue, pause, list, resume.
	m := runCmd(t, cmd("enqueue", "-type", "other", "-queue", "mail", "-partition", "c1", "-hold")...).requireCode(t, exitOK).task(t)
	require.Equal(t, "mail", m.Queue)
	require.Equal(t, "c1", m.Partition)
	r = runCmd(t, cmd("list", "-json", "-queue", "mail", "-partition", "c1")...).requireCode(t, exitOK)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &page))
	require.Equal(t, 1, page.Total)
	require.Equal(t, m.ID, page.Tasks[0].ID)
	r = runCmd(t, cmd("pause", "mail")...).requireCode(t, exitOK)
	require.JSONEq(t, `{"name":"mail","paused":true}`, r.stdout)
	var queues []store.QueueInfo
	r = runCmd(t, cmd("queues", "-json")...).requireCode(t, exitOK)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &queues))
	byName := map[string]store.QueueInfo{}
	for _, q := range queues {
		byName[q.Name] = q
	}
	require.True(t, byName["mail"].Paused)
	require.Equal(t, 1, byName["mail"].Counts[store.StatusCreated])
	require.False(t, byName[store.DefaultQueue].Paused)
	r = runCmd(t, cmd("queues")...).requireCode(t, exitOK)
	require.Regexp(t, `(?m)^mail\s+true\s+1\s`, r.stdout)
	runCmd(t, cmd("resume", "mail")...).requireCode(t, exitOK)
	r = runCmd(t, cmd("queues", "-json")...).requireCode(t, exitOK)
	require.NotContains(t, r.stdout, `"paused": true`)
	r = runCmd(t, cmd("limit", "-max-running", "3", "-rate", "2.5", "mail")...).requireCode(t, exitOK)
	require.JSONEq(t, `{"name":"mail","limits":{"max_running":3,"rate":2.5,"burst":3}}`, r.stdout)
	r = runCmd(t, cmd("queues", "-json")...).requireCode(t, exitOK)
	require.Contains(t, r.stdout, `"max_running": 3`)
	r = runCmd(t, cmd("limit", "-partition-max-running", "2", "mail")...).requireCode(t, exitOK)
	require.JSONEq(t, `{"name":"mail","limits":{"partition_max_running":2}}`, r.stdout)
	r = runCmd(t, cmd("queues", "-json")...).requireCode(t, exitOK)
	require.Contains(t, r.stdout, `"partition_max_running": 2`)
	runCmd(t, cmd("limit", "mail")...).requireCode(t, exitOK)
	runCmd(t, cmd("limit", "-burst", "2", "mail")...).requireCode(t, exitUsage)
	runCmd(t, cmd("limit", "-partition-max-running", "-1", "mail")...).requireCode(t, exitUsage)
	runCmd(t, cmd("pause", "a/b")...).requireCode(t, exitUsage)
	runCmd(t, cmd("pause")...).requireCode(t, exitUsage)
	runCmd(t, cmd("enqueue", "-type", "x", "-queue", "a b")...).requireCode(t, exitUsage)
}

func TestTaskCommandsDatabase(t *testing.T) {
	t.Parallel()
	_, db := database(t)
	flags := append(db, "-api", "")
	runCmd(t, append([]string{"get", "00000000-0000-0000-0000-000000000000"}, flags...)...).requireCode(t, exitFailure) // not migrated yet
	runCmd(t, append([]string{"migrate"}, db...)...).requireCode(t, exitOK)
	taskCommands(t, flags)
}

func TestServeAndAPI(t *testing.T) {
	t.Parallel()
	_, db := database(t)
	const token = "s3cret"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncbuf.Buffer
	served := make(chan int, 1)
	go func() {
		served <- runContext(ctx, append([]string{"serve", "-addr", "127.0.0.1:0", "-token", token}, db...), io.Discard, &logs)
	}()
	addrRE := regexp.MustCompile(`msg=listening addr=(\S+)`)
	var base string
	deadline := time.Now().Add(20 * time.Second)
	for base == "" {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			base = "http://" + m[1]
			break
		}
		select {
		case code := <-served:
			t.Fatalf("serve exited %d before listening:\n%s", code, logs.String())
		default:
		}
		require.True(t, time.Now().Before(deadline), "serve did not listen in time:\n%s", logs.String())
		time.Sleep(10 * time.Millisecond)
	}

	api := []string{"-api", base, "-token", token}
	taskCommands(t, api)
	runCmd(t, "list", "-api", base, "-token", "wrong").requireCode(t, exitFailure)

	// A task of a type the demo dispatcher does not handle is not touched:
	// another service's workers may run it.
	other := runCmd(t, append([]string{"enqueue", "-type", "resize"}, api...)...).requireCode(t, exitOK).task(t)
	// A demo task runs, and /metrics counts it.
	task := runCmd(t, append([]string{"enqueue", "-type", "test"}, api...)...).requireCode(t, exitOK).task(t)
	waitDeadline := time.Now().Add(15 * time.Second)
	for {
		got := runCmd(t, append([]string{"get", task.ID}, api...)...).requireCode(t, exitOK).task(t)
		if got.Status == store.StatusCompleted {
			break
		}
		require.True(t, time.Now().Before(waitDeadline), "task is %s", got.Status)
		time.Sleep(20 * time.Millisecond)
	}
	got := runCmd(t, append([]string{"get", other.ID}, api...)...).requireCode(t, exitOK).task(t)
	require.Equal(t, store.StatusQueued, got.Status)
	require.Zero(t, got.Attempts)

	// A task that fails its only attempt is retried from the command
	// line and completes.
	flaky := runCmd(t, append([]string{"enqueue", "-type", "flaky", "-max-attempts", "1"}, api...)...).requireCode(t, exitOK).task(t)
	waitStatus(t, api, flaky.ID, store.StatusFailed)
	retried := runCmd(t, append([]string{"retry", flaky.ID}, api...)...).requireCode(t, exitOK).task(t)
	require.Equal(t, 2, retried.MaxAttempts)
	done := waitStatus(t, api, flaky.ID, store.StatusCompleted)
	require.Equal(t, 2, done.Attempts)
	require.JSONEq(t, `{"attempt":2}`, string(done.Result))

	body := scrapeMetrics(t, base, token)
	require.Contains(t, body, `seedcore_tasks_claimed_total{type="test"} 1`)
	require.Contains(t, body, `seedcore_tasks_completed_total{type="test"} 1`)
	require.Contains(t, body, `seedcore_tasks{status="completed"} 2`) // test and flaky
	require.Contains(t, body, `seedcore_store_up 1`)
	require.Contains(t, body, `seedcore_leader 1`)
	require.Contains(t, body, `seedcore_leadership_changes_total{change="gained"} 1`)

	// The server is the one live process, and it leads; the database and
	// the API list the same.
	for _, via := range [][]string{api, append(db, "-api", "")} {
		out := runCmd(t, append([]string{"processes", "-json"}, via...)...).requireCode(t, exitOK)
		var ps []store.Process
		require.NoError(t, json.Unmarshal([]byte(out.stdout), &ps), out.stdout)
		require.Len(t, ps, 1)
		require.True(t, ps[0].Leader)
		require.Contains(t, ps[0].Types, "test", "the demo dispatcher's types")
		require.Equal(t, []string{store.DefaultQueue}, ps[0].Queues)
		table := runCmd(t, append([]string{"processes"}, via...)...).requireCode(t, exitOK)
		require.Contains(t, table.stdout, ps[0].Name)
		require.Contains(t, table.stdout, "LEADER")
	}
	runCmd(t, "schedules", "-api", base, "-token", token).requireCode(t, exitOK)
	runCmd(t, append([]string{"schedules"}, db...)...).requireCode(t, exitUsage)

	cancel()
	select {
	case code := <-served:
		require.Equal(t, exitOK, code, logs.String())
	case <-time.After(40 * time.Second):
		t.Fatal("serve did not stop")
	}
	require.Contains(t, logs.String(), "msg=stopped")
}

// waitStatus polls task id through the command until it reaches want.
func waitStatus(t *testing.T, api []string, id string, want store.Status) store.Task {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := runCmd(t, append([]string{"get", id}, api...)...).requireCode(t, exitOK).task(t)
		if got.Status == want {
			return got
		}
		require.True(t, time.Now().Before(deadline), "task is %s, want %s", got.Status, want)
		time.Sleep(20 * time.Millisecond)
	}
}

func scrapeMetrics(t *testing.T, base, token string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "metrics need the token")
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.JSONEq(t, `{"error":{"code":"unauthorized","message":"authentication required"}}`, string(b))

	req.Header.Set("Authorization", "bearer "+token) // the scheme in any case
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	b, err = io.ReadAll(resp.Body)
	require.NoError(t, err)
	http.DefaultClient.CloseIdleConnections()
	return string(b)
}

func TestBenchPostgres(t *testing.T) {
	t.Parallel()
	env := pgtest.New(t)
	schema := env.Schema + "_bench" // a schema the bench creates, and so drops
	r := runCmd(t, "bench", "-store", "postgres", "-db", env.DSN, "-schema", schema,
		"-n", "300", "-rate", "100", "-duration", "200ms", "-progress", "100ms").requireCode(t, exitOK)
	require.Contains(t, r.stdout, "burndown store=postgres tasks=300")
	require.Contains(t, r.stdout, "latency store=postgres rate=100/s duration=200ms: n=20")
	var n int
	require.NoError(t, env.DB.Get(&n, `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, schema))
	require.Zero(t, n, "the bench drops the schema it created")
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want int
	}{
		{nil, exitOK},
		{errors.New("boom"), exitFailure},
		{usagef("bad"), exitUsage},
		{store.ErrInvalidTask, exitUsage},
		{store.ErrNotFound, exitNotFound},
		{store.ErrAmbiguousID, exitConflict},
		{store.ErrInvalidTransition, exitConflict},
		{&apiError{Status: http.StatusNotFound}, exitNotFound},
		{&apiError{Status: http.StatusConflict}, exitConflict},
		{&apiError{Status: http.StatusBadRequest}, exitUsage},
		{&apiError{Status: http.StatusForbidden}, exitFailure},
		{&apiError{Status: http.StatusServiceUnavailable}, exitFailure},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, exitCode(tc.err), "%v", tc.err)
	}
}

func TestHelpHidesSecrets(t *testing.T) {
	// Not parallel: it sets the environment.
	t.Setenv("DATABASE_URL", "postgres://user:hunter2@db.example/x")
	t.Setenv("SEEDCORE_TOKEN", "tok-hunter2")
	for name := range commands {
		r := runCmd(t, name, "-h").requireCode(t, exitOK)
		require.NotContains(t, r.stdout, "hunter2", name)
	}
	r := runCmd(t, "migrate", "-status", "-timeout", "1s")
	require.Equal(t, exitFailure, r.code, "the environment's database is used: %s", r.stderr)
}
