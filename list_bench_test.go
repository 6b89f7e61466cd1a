package seedcore_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// BenchmarkListLargeParams measures the memory a listing of large tasks
// takes: it stores 1,000 tasks with about 312 kB of params each (312 MB
// in all), then lists them with limit=1000 through the HTTP API, reading
// every page to the end (one listing on the in-memory store, three at
// once on PostgreSQL). It reports the process's peak resident memory
// (VmHWM, reset just before the listings) and the resident memory
// before them, in MB; Linux only.
//
//	go test -run '^$' -bench ListLargeParams -benchtime 1x .
func BenchmarkListLargeParams(b *testing.B) {
	const tasks, paramBytes = 1000, 312_000
	run := func(b *testing.B, cfg seedcore.Config, concurrent int) {
		ctx := context.Background()
		cfg.Dispatcher = taskqueue.AnyType(taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) { return nil, nil }))
		app, err := seedcore.New(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		// Random text, which PostgreSQL cannot compress, as real params
		// mostly are not.
		blob := make([]byte, paramBytes*3/4)
		_, _ = rand.Read(blob)
		params := json.RawMessage(`{"blob":"` + base64.StdEncoding.EncodeToString(blob) + `"}`)
		batch := make([]store.NewTask, 0, 100)
		for i := range tasks {
			batch = append(batch, store.NewTask{Type: "big", Params: params, Hold: true})
			if len(batch) == cap(batch) || i == tasks-1 {
				createAll(b, ctx, app.Store(), batch)
				batch = batch[:0]
			}
		}
		srv := httptest.NewServer(app.Handler())
		defer srv.Close()
		base := readRSS(b, "VmRSS")
		resetPeakRSS(b)
		b.ResetTimer()
		for range b.N {
			var wg sync.WaitGroup
			for range concurrent {
				wg.Go(func() { listAllHTTP(b, srv.URL) })
			}
			wg.Wait()
		}
		b.StopTimer()
		b.ReportMetric(float64(base)/1024, "base-RSS-MB")
		b.ReportMetric(float64(readRSS(b, "VmHWM"))/1024, "peak-RSS-MB")
	}
	b.Run("memory", func(b *testing.B) { run(b, seedcore.Config{}, 1) })
	b.Run("postgres", func(b *testing.B) {
		env := pgtest.New(b)
		run(b, seedcore.Config{DB: env.DB, Schema: env.Schema}, 3)
	})
}

// createAll stores tasks, in one call when the store takes many at once.
func createAll(b *testing.B, ctx context.Context, st store.Store, tasks []store.NewTask) {
	b.Helper()
	if m, ok := st.(interface {
		CreateMany(context.Context, []store.NewTask) (int, error)
	}); ok {
		if _, err := m.CreateMany(ctx, tasks); err != nil {
			b.Fatal(err)
		}
		return
	}
	for _, t := range tasks {
		if _, _, err := st.Create(ctx, t); err != nil {
			b.Fatal(err)
		}
	}
}

// listAllHTTP reads every page of the listing, discarding the tasks.
func listAllHTTP(b *testing.B, base string) {
	cursor, seen := "", 0
	for {
		query := "limit=1000"
		if cursor != "" {
			query += "&cursor=" + cursor
		}
		resp, err := http.Get(base + "/api/v1/tasks?" + query)
		if err != nil {
			b.Error(err)
			return
		}
		var page struct {
			Tasks      []json.RawMessage `json:"tasks"`
			NextCursor string            `json:"next_cursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Errorf("list: status %d: %v", resp.StatusCode, err)
			return
		}
		seen += len(page.Tasks)
		if page.NextCursor == "" {
			if seen != 1000 {
				b.Errorf("listed %d tasks, want 1000", seen)
			}
			return
		}
		cursor = page.NextCursor
	}
}

// readRSS returns a memory figure of this process from /proc/self/status,
// in kB.
func readRSS(b *testing.B, field string) int {
	b.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Skipf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// resetPeakRSS sets VmHWM back to the current resident size.
func resetPeakRSS(b *testing.B) {
	b.Helper()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Skipf("cannot reset the peak RSS: %v", err)
	}
}
