package pgstore_test

import (
	"fmt"
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
				bb := setup(b, pgstore.Options{NoStatusNotify: !notify})
				s := bb.store
				tasks := make([]store.NewTask, b.N)
				for i := range tasks {
					tasks[i] = store.NewTask{Type: "bench", Params: []byte(`{"n":1}`)}
				}
				for len(tasks) > 0 {
					chunk := tasks[:min(len(tasks), 10000)]
					_, err := s.CreateMany(bb.ctx, chunk)
					require.NoError(b, err)
					tasks = tasks[len(chunk):]
				}
				_, err := bb.env.DB.Exec(`ANALYZE ` + bb.env.Schema + `.tasks`)
				require.NoError(b, err)
				outcomes := make([]store.Outcome, 0, batch)
				result := []byte(`{"ok":true}`)

				b.ResetTimer()
				start := time.Now()
				done := 0
				for done < b.N {
					claimed, err := s.Claim(bb.ctx, "bench", min(batch, b.N-done), time.Minute)
					if err != nil {
						b.Fatal(err)
					}
					if len(claimed) == 0 {
						b.Fatalf("nothing to claim after %d of %d tasks", done, b.N)
					}
					outcomes = outcomes[:0]
					for _, t := range claimed {
						outcomes = append(outcomes, store.Outcome{TaskID: t.ID, Worker: "bench", Attempt: t.Attempts, Kind: store.OutcomeComplete, Result: result})
					}
					errs, err := s.Finish(bb.ctx, outcomes)
					if err != nil {
						b.Fatal(err)
					}
					for _, e := range errs {
						if e != nil {
							b.Fatal(e)
						}
					}
					done += len(claimed)
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
