package seedcore_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/eventizer"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

// params returns a params object of exactly n bytes.
func params(n int) string {
	return `{"a":"` + strings.Repeat("x", n-len(`{"a":""}`)) + `"}`
}

// TestParamsLimit: the params limit holds for Enqueue and the API alike,
// on both stores, at its default and when configured.
func TestParamsLimit(t *testing.T) {
	t.Parallel()
	for _, e := range appEnvs {
		for _, limit := range []int{0, 100} {
			want := limit
			if want == 0 {
				want = httpapi.DefaultMaxParamsBytes
			}
			t.Run(e.name, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				cfg := e.cfg(t)
				cfg.Dispatcher = echoMux(t)
				cfg.MaxParamsBytes = limit
				app, err := seedcore.New(ctx, cfg)
				require.NoError(t, err)

				_, created, err := app.Enqueue(ctx, store.NewTask{Type: "t", Params: json.RawMessage(params(want))})
				require.NoError(t, err)
				require.True(t, created)
				_, _, err = app.Enqueue(ctx, store.NewTask{Type: "t", Params: json.RawMessage(params(want + 1))})
				require.ErrorIs(t, err, store.ErrInvalidTask)
				require.Contains(t, err.Error(), "params")

				for n, status := range map[int]int{want: http.StatusCreated, want + 1: http.StatusBadRequest} {
					w := httptest.NewRecorder()
					r := httptest.NewRequest(http.MethodPost, "/api/v1/tasks", strings.NewReader(`{"type":"t","params":`+params(n)+`}`))
					app.Handler().ServeHTTP(w, r)
					require.Equal(t, status, w.Code, w.Body.String())
					if status == http.StatusBadRequest {
						require.Contains(t, w.Body.String(), `\"params\" is larger than`)
					}
				}
				page, err := app.Store().List(ctx, store.Filter{})
				require.NoError(t, err)
				require.Equal(t, 2, page.Total, "only the tasks within the limit are stored")
			})
		}
	}
	for _, bad := range []int{-1, store.MaxParamsBytes + 1} {
		_, err := seedcore.New(context.Background(), seedcore.Config{Dispatcher: echoMux(t), MaxParamsBytes: bad})
		require.ErrorIs(t, err, seedcore.ErrInvalidConfig)
	}
}

// TestInferredDomainNotAName: a rule pack whose default domain is not a
// name (store.ValidName) does not make Enqueue refuse a task whose caller
// gave no domain: the task is stored without one.
func TestInferredDomainNotAName(t *testing.T) {
	t.Parallel()
	pack := eventizer.DefaultPack()
	pack.DefaultDomain = "front desk"
	an, err := eventizer.New(eventizer.Options{Pack: pack})
	require.NoError(t, err)
	app, err := seedcore.New(context.Background(), seedcore.Config{Dispatcher: echoMux(t), Analyzer: an})
	require.NoError(t, err)
	task, created, err := app.Enqueue(context.Background(), store.NewTask{Type: "t", Description: "nothing to see"})
	require.NoError(t, err)
	require.True(t, created)
	require.Empty(t, task.Domain)
}

// TestEnqueueChecksTheRawInput: Enqueue and EnqueueMany refuse what the
// stores refuse, on both stores, although redaction rewrites the params
// and the description before they reach the store.
func TestEnqueueChecksTheRawInput(t *testing.T) {
	t.Parallel()
	for _, e := range appEnvs {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			cfg := e.cfg(t)
			cfg.Dispatcher = echoMux(t)
			app, err := seedcore.New(context.Background(), cfg)
			require.NoError(t, err)
			for _, nt := range []store.NewTask{
				{Type: "t", Params: json.RawMessage(`{"a":"\ud800"}`)},
				{Type: "t", Params: json.RawMessage(`{"a":"\u0000"}`)},
				{Type: "t", Params: json.RawMessage(`{"a":1e999999}`)},
				{Type: "t", Params: json.RawMessage("{\"a\":\"\xff\"}")},
				{Type: "t", Description: "a\x00b"},
				{Type: "a b"},
			} {
				_, _, err := app.Enqueue(context.Background(), nt)
				require.ErrorIs(t, err, store.ErrInvalidTask, "%q %q", nt.Params, nt.Description)
				_, err = app.EnqueueMany(context.Background(), []store.NewTask{{Type: "ok"}, nt})
				require.ErrorIs(t, err, store.ErrInvalidTask, "%q %q", nt.Params, nt.Description)
			}
			page, err := app.Store().List(context.Background(), store.Filter{})
			require.NoError(t, err)
			require.Zero(t, page.Total)
		})
	}
}
