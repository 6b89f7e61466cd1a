package seedcore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/eventizer"
	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/internal/syncbuf"
	"github.com/seedcore/seedcore/metrics"
	"github.com/seedcore/seedcore/seedcoretest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// Planted values of every kind the eventizer finds, and a password that
// looks like nothing and is found only by the name it is stored under.
const (
	pEmail    = "jane.doe@example.com"
	pCard     = "4111 1111 1111 1111"
	pCardNum  = "4111111111111111"
	pPhone    = "+1 415 555 0100"
	pIBAN     = "DE89 3704 0044 0532 0130 00"
	pSSN      = "536-22-1234"
	pIPv4     = "198.51.100.23"
	pIPv6     = "2001:db8::8a2e:370:7334"
	pGitHub   = "ghp_R2d2C3poL8kE5xW9qT1uY7iO4pA6sD0fG3hJ"
	pAWS      = "AKIAIOSFODNN7EXAMPLE"
	pPassword = "Tr0ub4dor-horse"
)

// plantedText holds every planted value but the password.
const plantedText = "mail " + pEmail + " card " + pCard + " phone " + pPhone + " iban " + pIBAN +
	" ssn " + pSSN + " ip " + pIPv4 + " ip6 " + pIPv6 + " tokens " + pGitHub + " " + pAWS

// rawNeedles are the strings no output may hold: each value, and the
// parts of it that identify it.
var rawNeedles = []string{pEmail, "jane.doe", pCard, pCardNum, pPhone, "415 555 0100", pIBAN,
	"DE89370400440532013000", pSSN, pIPv4, pIPv6, pGitHub, "R2d2C3po", pAWS, pPassword}

// plantedParams puts the values in params: at the top, nested, in arrays,
// a card as a JSON number, the password under a secret-looking name.
func plantedParams() json.RawMessage {
	return json.RawMessage(`{"contact":{"email":"` + pEmail + `","phones":["` + pPhone + `"]},` +
		`"cards":["` + pCard + `",{"pan":` + pCardNum + `}],"note":"` + plantedText + `",` +
		`"auth":{"password":"` + pPassword + `"},"nested":[[{"deep":"` + plantedText + `"}]],` +
		`"iban":"` + pIBAN + `","ssn":"` + pSSN + `","net":{"v4":"` + pIPv4 + `","v6":"` + pIPv6 + `"},` +
		`"keys":["` + pGitHub + `","` + pAWS + `"],"user_password":"` + pPassword + `","count":3}`)
}

// plantingMux runs "ok" (its result holds every value), "fail" (its error
// does) and "panic" (its panic value does).
func plantingMux(t testing.TB) *taskqueue.Mux {
	mux := taskqueue.NewMux()
	require.NoError(t, mux.Handle("ok", taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
		return json.RawMessage(`{"echo":"` + plantedText + `","password":"` + pPassword + `","pan":` + pCardNum +
			`,"list":["` + pEmail + `"]}`), nil
	})))
	require.NoError(t, mux.Handle("fail", taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
		return nil, taskqueue.Permanent(errors.New("upstream refused: " + plantedText))
	})))
	require.NoError(t, mux.Handle("panic", taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
		panic("cannot handle " + plantedText)
	})))
	return mux
}

// TestNoRawValueAnywhere plants values of every kind in every field
// through every way of creating a task, on both stores, with logs, metrics
// and the dashboard on, and looks for them in every output: the API's
// responses (create, get, list, events), the dashboard's pages, the log,
// the metrics, the tasks returned to Go and the stored rows themselves.
func TestNoRawValueAnywhere(t *testing.T) {
	t.Parallel()
	for _, e := range appEnvs {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			logs := &syncbuf.Buffer{}
			reg := prometheus.NewRegistry()
			m, err := metrics.New(reg, metrics.Options{})
			require.NoError(t, err)
			cfg := e.cfg(t)
			cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			cfg.Dispatcher = plantingMux(t)
			cfg.Metrics = m
			cfg.Dashboard = true
			cfg.PollInterval = 20 * time.Millisecond
			app, err := seedcore.New(ctx, cfg)
			require.NoError(t, err)
			seedcoretest.Start(t, app)
			srv := httptest.NewServer(app.Handler())
			defer srv.Close()

			var outputs bytes.Buffer // everything a client or operator sees
			keep := func(what string, v any) {
				b, err := json.Marshal(v)
				require.NoError(t, err)
				fmt.Fprintf(&outputs, "\n== %s\n%s", what, b)
			}
			nt := func(typ string) store.NewTask {
				return store.NewTask{Type: typ, Description: "Guest wrote: " + plantedText + " password: " + pPassword,
					Params: plantedParams()}
			}
			var ids []string
			for _, typ := range []string{"ok", "fail", "panic"} {
				one := nt(typ)
				one.MaxAttempts = 1

				task, _, err := app.Enqueue(ctx, one)
				require.NoError(t, err)
				keep("Enqueue "+typ, task)
				ids = append(ids, task.ID)

				if pg := app.UnredactedPostgreSQL(); pg != nil {
					db := pg.DB()
					tx, err := db.BeginTxx(ctx, nil)
					require.NoError(t, err)
					task, _, err = app.EnqueueTx(ctx, tx, one)
					require.NoError(t, err)
					require.NoError(t, tx.Commit())
					keep("EnqueueTx "+typ, task)
					ids = append(ids, task.ID)
				}

				n, err := app.EnqueueMany(ctx, []store.NewTask{one, one})
				require.NoError(t, err)
				require.Equal(t, 2, n)

				task, _, err = app.Store().Create(ctx, one)
				require.NoError(t, err)
				keep("Store().Create "+typ, task)
				ids = append(ids, task.ID)

				bulk, ok := app.Store().(interface {
					CreateMany(context.Context, []store.NewTask) (int, error)
				})
				require.True(t, ok, "the App's store offers bulk creation")
				n, err = bulk.CreateMany(ctx, []store.NewTask{one})
				require.NoError(t, err)
				require.Equal(t, 1, n)

				body, err := json.Marshal(map[string]any{"type": typ, "description": one.Description,
					"params": json.RawMessage(one.Params), "max_attempts": 1})
				require.NoError(t, err)
				resp, created := postJSON(t, srv.URL+"/api/v1/tasks", string(body))
				require.Equal(t, http.StatusCreated, resp.StatusCode, string(created))
				fmt.Fprintf(&outputs, "\n== POST %s\n%s", typ, created)
				var ht store.Task
				require.NoError(t, json.Unmarshal(created, &ht))
				ids = append(ids, ht.ID)
			}

			// An idempotency key with personal data is refused everywhere,
			// naming the field and the kind, never the value.
			for _, key := range []string{"order-" + pEmail, pCardNum, "k-" + pGitHub, "from " + pIPv4} {
				bad := store.NewTask{Type: "ok", IdempotencyKey: key}
				_, _, err := app.Enqueue(ctx, bad)
				require.ErrorIs(t, err, store.ErrPersonalData)
				require.ErrorIs(t, err, store.ErrInvalidTask)
				require.Contains(t, err.Error(), "idempotency_key holds personal data")
				require.NotContains(t, err.Error(), key)
				_, err = app.EnqueueMany(ctx, []store.NewTask{{Type: "ok"}, bad})
				require.ErrorIs(t, err, store.ErrPersonalData)
				_, _, err = app.Store().Create(ctx, bad)
				require.ErrorIs(t, err, store.ErrPersonalData)
				body, _ := json.Marshal(map[string]any{"type": "ok", "idempotency_key": key})
				resp, answer := postJSON(t, srv.URL+"/api/v1/tasks", string(body))
				require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(answer))
				require.Contains(t, string(answer), "idempotency_key holds personal data")
				fmt.Fprintf(&outputs, "\n== POST bad key\n%s", answer)
				req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/tasks", strings.NewReader(`{"type":"ok"}`))
				require.NoError(t, err)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", key)
				hresp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				answer, _ = io.ReadAll(hresp.Body)
				hresp.Body.Close()
				require.Equal(t, http.StatusBadRequest, hresp.StatusCode, string(answer))
				fmt.Fprintf(&outputs, "\n== POST bad key header\n%s", answer)
			}

			// Every task ends: ok completes, fail and panic fail.
			var all []store.Task
			waitFor(t, 20*time.Second, func() bool {
				page, err := app.Store().List(ctx, store.Filter{Limit: store.MaxListLimit})
				require.NoError(t, err)
				all = page.Tasks
				for _, task := range all {
					if !task.Status.Terminal() {
						return false
					}
				}
				return true
			}, "tasks did not finish")
			// Per type: Enqueue, EnqueueTx (PostgreSQL), EnqueueMany (2),
			// Store().Create, its CreateMany, POST.
			perType := 7
			if app.UnredactedPostgreSQL() == nil {
				perType = 6
			}
			require.Equal(t, 3*perType, len(all), "every task stored, no refused one")
			for _, task := range all {
				switch task.Type {
				case "ok":
					require.Equal(t, store.StatusCompleted, task.Status)
					require.Contains(t, string(task.Result), "[EMAIL_REDACTED]")
					var res map[string]any
					require.NoError(t, json.Unmarshal(task.Result, &res))
					require.Equal(t, "[SECRET_REDACTED]", res["password"])
					require.Equal(t, "[CARD_REDACTED]", res["pan"])
				default:
					require.Equal(t, store.StatusFailed, task.Status)
					require.Contains(t, task.Error, "[CARD_REDACTED]")
				}
				require.Contains(t, task.Description, "[EMAIL_REDACTED]")
				var params map[string]any
				require.NoError(t, json.Unmarshal(task.Params, &params), "params stay a JSON object")
				require.Len(t, params, 11, "params keep their shape")
				require.EqualValues(t, 3, params["count"])
				var an struct {
					Params eventizer.JSONResult `json:"params"`
				}
				require.NoError(t, json.Unmarshal(task.Events, &an))
				paths := map[string]bool{}
				for _, f := range an.Params.Findings {
					paths[f.Path] = true
				}
				for _, p := range []string{"$.contact.email", "$.contact.phones[0]", "$.cards[1].pan",
					"$.auth.password", "$.nested[0][0].deep", "$.user_password", "$.keys[1]"} {
					require.True(t, paths[p], "finding at %s recorded; got %v", p, paths)
				}
			}
			keep("List", all)

			// The API, the event streams and the dashboard.
			for _, path := range []string{"/api/v1/tasks?limit=1000", "/ui/", "/ui/tasks"} {
				code, b := getBody(t, srv.URL+path)
				require.Equal(t, http.StatusOK, code, path)
				fmt.Fprintf(&outputs, "\n== GET %s\n%s", path, b)
			}
			for _, id := range ids {
				for _, path := range []string{"/api/v1/tasks/" + id, "/api/v1/tasks/" + id + "/events", "/ui/tasks/" + id} {
					code, b := getBody(t, srv.URL+path)
					require.Equal(t, http.StatusOK, code, path)
					fmt.Fprintf(&outputs, "\n== GET %s\n%s", path, b)
				}
			}
			// The metrics.
			rec := httptest.NewRecorder()
			promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
			require.Contains(t, rec.Body.String(), "seedcore_tasks_created_total")
			fmt.Fprintf(&outputs, "\n== metrics\n%s", rec.Body.String())
			// The stored rows, as the database (or the memory) holds them.
			if pg := app.UnredactedPostgreSQL(); pg != nil {
				rows, err := pg.DB().QueryContext(ctx, `SELECT row_to_json(t)::text FROM `+pg.Schema()+`.tasks t`)
				require.NoError(t, err)
				n := 0
				for rows.Next() {
					var row string
					require.NoError(t, rows.Scan(&row))
					fmt.Fprintf(&outputs, "\n== row\n%s", row)
					n++
				}
				require.NoError(t, rows.Err())
				require.NoError(t, rows.Close())
				require.Equal(t, len(all), n)
			} else {
				page, err := app.UnredactedStore().List(ctx, store.Filter{Limit: store.MaxListLimit})
				require.NoError(t, err)
				keep("memory", page.Tasks)
			}
			out := outputs.String() + "\n== log\n" + logs.String()
			require.Contains(t, logs.String(), "dispatcher panicked", "the log was written")
			for _, raw := range rawNeedles {
				if i := strings.Index(out, raw); i >= 0 {
					t.Errorf("raw %q leaks: ...%s...", raw, out[max(0, i-300):min(len(out), i+100)])
				}
			}
		})
	}
}

// TestDescriptionTruncatedInResponses: a description cut at the
// analyzer's limit says so on create and get, and a value straddling the
// cut is not stored in part.
func TestDescriptionTruncatedInResponses(t *testing.T) {
	t.Parallel()
	for _, e := range appEnvs {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			cfg := e.cfg(t)
			cfg.Dispatcher = plantingMux(t)
			app, err := seedcore.New(context.Background(), cfg)
			require.NoError(t, err)
			srv := httptest.NewServer(app.Handler())
			defer srv.Close()
			long := strings.Repeat("a long note ", eventizer.DefaultMaxBytes/12+10)
			body, _ := json.Marshal(map[string]any{"type": "ok", "description": long, "run_immediately": false})
			resp, created := postJSON(t, srv.URL+"/api/v1/tasks", string(body))
			require.Equal(t, http.StatusCreated, resp.StatusCode, string(created))
			require.Contains(t, string(created), `"description_truncated":true`)
			var task store.Task
			require.NoError(t, json.Unmarshal(created, &task))
			_, got := getBody(t, srv.URL+"/api/v1/tasks/"+task.ID)
			require.Contains(t, string(got), `"description_truncated":true`)

			short, _, err := app.Enqueue(context.Background(), store.NewTask{Type: "ok", Description: "short", Hold: true})
			require.NoError(t, err)
			require.False(t, short.DescriptionTruncated)
			_, got = getBody(t, srv.URL+"/api/v1/tasks/"+short.ID)
			require.NotContains(t, string(got), `description_truncated`)
		})
	}
}

// TestRedactOptOut: each field opted out is stored as given, and only
// that field.
func TestRedactOptOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range []struct {
		name string
		opt  seedcore.RedactOptOut
		raw  func(store.Task) string // the field kept raw
	}{
		{"description", seedcore.RedactOptOut{Description: true}, func(t store.Task) string { return t.Description }},
		{"params", seedcore.RedactOptOut{Params: true}, func(t store.Task) string { return string(t.Params) }},
		{"key", seedcore.RedactOptOut{IdempotencyKey: true}, func(t store.Task) string { return t.IdempotencyKey }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			app, err := seedcore.New(ctx, seedcore.Config{Dispatcher: plantingMux(t), Redact: c.opt})
			require.NoError(t, err)
			nt := store.NewTask{Type: "ok", Description: "to " + pEmail, Params: json.RawMessage(`{"to":"` + pEmail + `"}`), Hold: true}
			if c.opt.IdempotencyKey {
				nt.IdempotencyKey = "for " + pEmail
			}
			task, _, err := app.Enqueue(ctx, nt)
			require.NoError(t, err)
			require.Contains(t, c.raw(task), pEmail)
			all, _ := json.Marshal(task)
			require.Equal(t, 1, strings.Count(string(all), pEmail), "only the opted-out field is raw")
		})
	}
	// Results and errors.
	app, err := seedcore.New(ctx, seedcore.Config{Dispatcher: plantingMux(t), PollInterval: 20 * time.Millisecond,
		Redact: seedcore.RedactOptOut{Result: true, Error: true}})
	require.NoError(t, err)
	seedcoretest.Start(t, app)
	ok, _, err := app.Enqueue(ctx, store.NewTask{Type: "ok"})
	require.NoError(t, err)
	fail, _, err := app.Enqueue(ctx, store.NewTask{Type: "fail"})
	require.NoError(t, err)
	require.Contains(t, string(seedcoretest.WaitFor(t, app, ok.ID, store.StatusCompleted).Result), pEmail)
	require.Contains(t, seedcoretest.WaitFor(t, app, fail.ID, store.StatusFailed).Error, pEmail)
}

// TestUnredactedStore: the raw store is there, under its name, and stores
// what it is given.
func TestUnredactedStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	app, err := seedcore.New(ctx, seedcore.Config{Dispatcher: plantingMux(t)})
	require.NoError(t, err)
	raw, _, err := app.UnredactedStore().Create(ctx, store.NewTask{Type: "ok", Description: pEmail, Hold: true})
	require.NoError(t, err)
	require.Equal(t, pEmail, raw.Description)
	red, _, err := app.Store().Create(ctx, store.NewTask{Type: "ok", Description: pEmail, Hold: true})
	require.NoError(t, err)
	require.Equal(t, "[EMAIL_REDACTED]", red.Description)
	require.Nil(t, app.UnredactedPostgreSQL())
}

// BenchmarkEnqueueMany measures the cost of redaction on bulk creation:
// EnqueueMany (analyse, redact, then the store's CreateMany) against the
// store's raw CreateMany of the same tasks, in the same run, on both
// stores, below and above pgstore's COPY threshold. Each task has a
// description and a 600-byte params object with an e-mail address, a
// phone number and a password. The raw run reports the redacting one's
// cost as a ratio.
func BenchmarkEnqueueMany(b *testing.B) {
	params := json.RawMessage(`{"order_id":"ord_8f3a2c","customer":{"id":918273,"name":"Jane Roe","tier":"gold",` +
		`"email":"jane.roe@example.com","phone":"+1 415 555 0100"},"items":[{"sku":"SKU-107","qty":3,"price":19.99},` +
		`{"sku":"SKU-2210","qty":1,"price":5.5}],"shipping":{"method":"express","address":"12 Market Street, Springfield"},` +
		`"auth":{"password":"hunter2"},"flags":{"fragile":false,"insured":true},"comment":"asked twice about the delivery window"}`)
	for _, name := range []string{"mem", "pg"} {
		for _, size := range []int{100, 2000} {
			b.Run(fmt.Sprintf("%s/batch=%d", name, size), func(b *testing.B) {
				var cfg seedcore.Config
				if name == "pg" {
					db := pgtest.New(b)
					cfg = seedcore.Config{DB: db.DB, Schema: db.Schema}
				}
				cfg.Dispatcher = plantingMux(b)
				app, err := seedcore.New(context.Background(), cfg)
				require.NoError(b, err)
				defer func() { _ = app.Shutdown(context.Background()) }()
				tasks := make([]store.NewTask, size)
				for i := range tasks {
					tasks[i] = store.NewTask{Type: "ok", Description: "Order for jane.roe@example.com, deliver after 5 pm",
						Params: params, Hold: true}
				}
				raw := app.UnredactedStore().(interface {
					CreateMany(context.Context, []store.NewTask) (int, error)
				})
				var perRaw, perRedacted float64
				b.Run("raw", func(b *testing.B) {
					for b.Loop() {
						if _, err := raw.CreateMany(context.Background(), tasks); err != nil {
							b.Fatal(err)
						}
					}
					perRaw = float64(b.Elapsed()) / float64(b.N*size)
					b.ReportMetric(perRaw, "ns/task")
				})
				b.Run("redacted", func(b *testing.B) {
					for b.Loop() {
						if _, err := app.EnqueueMany(context.Background(), tasks); err != nil {
							b.Fatal(err)
						}
					}
					perRedacted = float64(b.Elapsed()) / float64(b.N*size)
					b.ReportMetric(perRedacted, "ns/task")
					if perRaw > 0 {
						b.ReportMetric(perRedacted/perRaw, "x-raw")
					}
				})
			})
		}
	}
}

// TestIdempotencyKeyShapesAccepted: the usual shapes of idempotency keys
// (UUIDs, ULIDs, digests, random base64url, business references, dates)
// hold no personal data and are accepted.
func TestIdempotencyKeyShapesAccepted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	app, err := seedcore.New(ctx, seedcore.Config{Dispatcher: plantingMux(t)})
	require.NoError(t, err)
	for _, key := range []string{
		"550e8400-e29b-41d4-a716-446655440000", "01ARZ3NDEKTSV4RRFFQ69G5FAV",
		"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"Qm7vTr2pp9kZx3Lw0aBc1D", "order-12345", "invoice/2026/000123", "2026-12-02:daily-report",
		"user:918273:welcome-mail", "stripe_evt_1NqJ2kLkdIwHu7ix", "a.b.c-1.2.3",
	} {
		_, created, err := app.Enqueue(ctx, store.NewTask{Type: "ok", IdempotencyKey: key, Hold: true})
		require.NoError(t, err, "%q", key)
		require.True(t, created, "%q", key)
	}
}
