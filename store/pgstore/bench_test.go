package pgstore_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/pgstore"
)

// BenchmarkClaimComplete measures the worker round trip: claim a batch of
// tasks in one statement, then complete all of them in one Finish call.
// b.N counts tasks; the tasks are inserted with CreateMany before the
// timer starts. "notify=off" runs with Options.NoStatusNotify, to show the
// cost of the per-statement status notifications.
func BenchmarkClaimComplete(b *testing.B) {
	for _, batch := range []int{1, 10, 100} {
		for _, notify := range []bool{true, false} {
			name := fmt.Sprintf("batch=%d/notify=%s", batch, map[bool]string{true: "on", false: "off"}[notify])
			b.Run(name, func(b *testing.B) {
				bb := seeded(b, pgstore.Options{NoStatusNotify: !notify}, b.N)
				outcomes := make([]store.Outcome, 0, batch)
				result := []byte(`{"ok":true}`)

				b.ResetTimer()
				start := time.Now()
				done := 0
				for done < b.N {
					n, err := claimComplete(bb, "bench", min(batch, b.N-done), outcomes, result)
					if err != nil {
						b.Fatal(err)
					}
					if n == 0 {
						b.Fatalf("nothing to claim after %d of %d tasks", done, b.N)
					}
					done += n
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tasks/s")
			})
		}
	}
}

// BenchmarkCreateMany measures bulk insert with COPY; b.N counts rows,
// inserted in batches of the given size.
func BenchmarkCreateMany(b *testing.B) {
	for _, batch := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			bb := setup(b, pgstore.Options{})
			tasks := make([]store.NewTask, batch)
			for i := range tasks {
				tasks[i] = store.NewTask{Type: "bench", Description: "a bulk task", Params: []byte(`{"n":1}`)}
			}
			b.ResetTimer()
			start := time.Now()
			for done := 0; done < b.N; {
				n := min(batch, b.N-done)
				got, err := bb.store.CreateMany(bb.ctx, tasks[:n])
				if err != nil {
					b.Fatal(err)
				}
				if got != n {
					b.Fatalf("inserted %d of %d", got, n)
				}
				done += n
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rows/s")
		})
	}
}

// BenchmarkCreate measures single-task inserts, one statement each.
func BenchmarkCreate(b *testing.B) {
	bb := setup(b, pgstore.Options{})
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, _, err := bb.store.Create(bb.ctx, store.NewTask{Type: "bench", Params: []byte(`{"n":1}`)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rows/s")
}

// BenchmarkClaimCompleteParallel runs four workers claiming and completing
// batches of 10 at once, with and without status notifications: the
// commits of notifying transactions are serialized by PostgreSQL, which a
// single worker cannot show.
func BenchmarkClaimCompleteParallel(b *testing.B) {
	const workers, batch = 4, 10
	for _, notify := range []bool{true, false} {
		b.Run(fmt.Sprintf("workers=%d/batch=%d/notify=%s", workers, batch, map[bool]string{true: "on", false: "off"}[notify]), func(b *testing.B) {
			bb := seeded(b, pgstore.Options{NoStatusNotify: !notify}, b.N)
			result := []byte(`{"ok":true}`)
			var (
				done  atomic.Int64
				wg    sync.WaitGroup
				errMu sync.Mutex
				first error
			)
			b.ResetTimer()
			start := time.Now()
			for w := range workers {
				wg.Go(func() {
					outcomes := make([]store.Outcome, 0, batch)
					for done.Load() < int64(b.N) {
						n, err := claimComplete(bb, fmt.Sprintf("bench-%d", w), batch, outcomes, result)
						if err != nil {
							errMu.Lock()
							first = err
							errMu.Unlock()
							return
						}
						if n == 0 {
							return
						}
						done.Add(int64(n))
					}
				})
			}
			wg.Wait()
			require.NoError(b, first)
			b.ReportMetric(float64(done.Load())/time.Since(start).Seconds(), "tasks/s")
		})
	}
}

// seeded returns a migrated store holding n ready tasks, analyzed.
func seeded(b *testing.B, opts pgstore.Options, n int) *bundle {
	b.Helper()
	bb := setup(b, opts)
	tasks := make([]store.NewTask, n)
	for i := range tasks {
		tasks[i] = store.NewTask{Type: "bench", Params: []byte(`{"n":1}`)}
	}
	for len(tasks) > 0 {
		chunk := tasks[:min(len(tasks), 10000)]
		_, err := bb.store.CreateMany(bb.ctx, chunk)
		require.NoError(b, err)
		tasks = tasks[len(chunk):]
	}
	_, err := bb.env.DB.Exec(`ANALYZE ` + bb.env.Schema + `.tasks`)
	require.NoError(b, err)
	return bb
}

// claimComplete claims up to limit tasks as worker and completes them all
// in one Finish call, returning how many it completed.
func claimComplete(bb *bundle, worker string, limit int, outcomes []store.Outcome, result []byte) (int, error) {
	claimed, err := bb.store.Claim(bb.ctx, worker, limit, time.Minute)
	if err != nil || len(claimed) == 0 {
		return 0, err
	}
	outcomes = outcomes[:0]
	for _, t := range claimed {
		outcomes = append(outcomes, store.Outcome{TaskID: t.ID, Worker: worker, Attempt: t.Attempts, Kind: store.OutcomeComplete, Result: result})
	}
	errs, err := bb.store.Finish(bb.ctx, outcomes)
	if err != nil {
		return 0, err
	}
	for _, e := range errs {
		if e != nil {
			return 0, e
		}
	}
	return len(claimed), nil
}
