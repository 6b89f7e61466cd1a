package pgstore_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/pgstore"
)

// BenchmarkCreateBadClients measures what clients sending bad input cost
// the others: 195 goroutines create good tasks while, in one phase, 5
// more send tasks PostgreSQL would refuse (a NUL in the description), each
// at the pace of a good client (one request per mean good round trip of
// the phase before), so 5 of every 200 requests are bad, as when 5 of 200
// HTTP clients send bad input. Phases without and with the bad clients
// alternate on one store; b.N counts the good creates of each phase. It
// reports the good creates per second of both, their ratio (1 means the
// bad clients cost nothing), and the median latency of a good create in
// each.
//
// Before the input contract a bad task joined a shared insert statement,
// failed it, and made every task in it be inserted again one by one.
func BenchmarkCreateBadClients(b *testing.B) {
	const good, bad, rounds = 195, 5, 4
	bb := setup(b, pgstore.Options{})
	ctx := context.Background() // setup's context ends after a minute
	goodTask := store.NewTask{Type: "good", Description: "a good task", Params: []byte(`{"n":1}`)}
	badTask := store.NewTask{Type: "bad", Description: "a\x00b", Params: []byte(`{"n":1}`)}

	phase := func(n int, badEvery time.Duration) (time.Duration, []time.Duration) {
		var (
			next    atomic.Int64
			wg, bwg sync.WaitGroup
			stop    = make(chan struct{})
			lat     = make([][]time.Duration, good)
		)
		if badEvery > 0 {
			for range bad {
				bwg.Go(func() {
					tick := time.NewTicker(badEvery)
					defer tick.Stop()
					for {
						if _, _, err := bb.store.Create(ctx, badTask); err == nil {
							b.Error("a task with a NUL was stored")
							return
						}
						select {
						case <-stop:
							return
						case <-tick.C:
						}
					}
				})
			}
		}
		start := time.Now()
		for g := range good {
			wg.Go(func() {
				for next.Add(1) <= int64(n) {
					t0 := time.Now()
					if _, _, err := bb.store.Create(ctx, goodTask); err != nil {
						b.Error(err)
						return
					}
					lat[g] = append(lat[g], time.Since(t0))
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		close(stop)
		bwg.Wait()
		return elapsed, slices.Concat(lat...)
	}

	var clean, dirty time.Duration
	var cleanLat, dirtyLat []time.Duration
	// A warm-up phase, not counted, opens the pool's connections.
	d, _ := phase(b.N, 0)
	roundTrip := d * good / time.Duration(b.N)
	b.ResetTimer()
	// Phases in the order dirty, clean, clean, dirty, dirty, ..., so the
	// table's growth favours neither; a dirty phase paces its bad clients
	// by a good client's mean round trip in the clean phase before it.
	for i := range 2 * rounds {
		if (i+1)/2%2 == 1 {
			d, l := phase(b.N, 0)
			clean += d
			cleanLat = append(cleanLat, l...)
			roundTrip = d * good / time.Duration(b.N)
			continue
		}
		d, l := phase(b.N, roundTrip)
		dirty += d
		dirtyLat = append(dirtyLat, l...)
	}
	b.StopTimer()
	cleanRate := float64(rounds*b.N) / clean.Seconds()
	dirtyRate := float64(rounds*b.N) / dirty.Seconds()
	b.ReportMetric(cleanRate, "good/s-alone")
	b.ReportMetric(dirtyRate, "good/s-with-bad")
	b.ReportMetric(dirtyRate/cleanRate, "ratio")
	b.ReportMetric(float64(median(cleanLat).Microseconds())/1000, "p50-ms-alone")
	b.ReportMetric(float64(median(dirtyLat).Microseconds())/1000, "p50-ms-with-bad")
	b.ReportMetric(0, "ns/op")
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)/2]
}
