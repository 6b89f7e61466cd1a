package seedcore_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/eventizer"
	"github.com/seedcore/seedcore/seedcoretest"
	"github.com/seedcore/seedcore/store"
)

// TestEnrichment: a task whose analysis advises enrichment is enriched in
// the background through the HTTP enricher, which only ever sees redacted
// text, and the result is stored on the task; a failing enricher never
// fails the task.
func TestEnrichment(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	fail := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, string(b))
		f := fail
		mu.Unlock()
		if f {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, `{"label":"billing","score":0.93}`)
	}))
	defer srv.Close()
	enricher, err := eventizer.NewHTTPEnricher(eventizer.HTTPEnricherConfig{URL: srv.URL, Timeout: 2 * time.Second})
	require.NoError(t, err)
	// A pack that advises enrichment below 0.7 confidence: unclassified
	// texts (confidence 0.6) then ask for it.
	pack := *eventizer.DefaultPack()
	pack.EnrichBelow = 0.7
	analyzer, err := eventizer.New(eventizer.Options{Pack: &pack})
	require.NoError(t, err)
	app, err := seedcore.New(context.Background(), seedcore.Config{Dispatcher: echoMux(t), Enricher: enricher, Analyzer: analyzer})
	require.NoError(t, err)
	seedcoretest.Start(t, app)

	desc := "the invoice for " + rawEmail + " looks odd"
	task, _, err := app.Enqueue(context.Background(), store.NewTask{Type: "test", Description: desc})
	require.NoError(t, err)
	var analysis eventizer.Result
	require.NoError(t, json.Unmarshal(task.Events, &analysis))
	require.True(t, analysis.EnrichmentAdvised, "an unclassified text advises enrichment")

	waitFor(t, 10*time.Second, func() bool {
		got, err := app.Store().Get(context.Background(), task.ID)
		require.NoError(t, err)
		return len(got.Enrichment) > 0
	}, "enrichment was not stored")
	got, err := app.Store().Get(context.Background(), task.ID)
	require.NoError(t, err)
	require.JSONEq(t, `{"label":"billing","score":0.93}`, string(got.Enrichment))

	mu.Lock()
	fail = true
	mu.Unlock()
	second, _, err := app.Enqueue(context.Background(), store.NewTask{Type: "test", Description: "another odd invoice for " + rawEmail})
	require.NoError(t, err)
	seedcoretest.WaitFor(t, app, second.ID, store.StatusCompleted) // a failing enricher never fails the task

	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, seen)
	for _, body := range seen {
		require.NotContains(t, body, rawEmail)
		require.Contains(t, body, "[EMAIL_REDACTED]")
	}
}
