package memstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
)

// BenchmarkClaimComplete claims ready tasks batch at a time and completes
// each batch with one Finish call. One op is one task; tasks/s is the
// throughput of claim plus complete.
func BenchmarkClaimComplete(b *testing.B) {
	for _, batch := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			ctx := context.Background()
			s := memstore.New(memstore.Options{})
			nts := make([]store.NewTask, b.N)
			for i := range nts {
				nts[i] = store.NewTask{Type: "bench", Priority: i % 10}
			}
			if _, err := s.CreateMany(ctx, nts); err != nil {
				b.Fatal(err)
			}
			outcomes := make([]store.Outcome, 0, batch)
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; {
				tasks, err := s.Claim(ctx, "bench", batch, time.Minute)
				if err != nil {
					b.Fatal(err)
				}
				if len(tasks) == 0 {
					b.Fatalf("ran out of tasks after %d of %d", done, b.N)
				}
				outcomes = outcomes[:0]
				for _, t := range tasks {
					outcomes = append(outcomes, store.Outcome{TaskID: t.ID, Worker: "bench", Attempt: t.Attempts, Kind: store.OutcomeComplete})
				}
				errs, err := s.Finish(ctx, outcomes)
				if err != nil {
					b.Fatal(err)
				}
				for _, err := range errs {
					if err != nil {
						b.Fatal(err)
					}
				}
				done += len(tasks)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
		})
	}
}
