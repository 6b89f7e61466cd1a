package pgstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/store"
)

// BenchmarkCreateManyPath compares the two bulk insert paths at several
// batch sizes; copyThreshold is chosen from it. b.N counts rows.
func BenchmarkCreateManyPath(b *testing.B) {
	paths := []struct {
		name string
		do   func(s *Store, ctx context.Context, ts []store.NewTask) (int, error)
	}{
		{"unnest", (*Store).insertMany},
		{"copy", (*Store).copyMany},
	}
	for _, size := range []int{50, 200, 500, 2000} {
		for _, p := range paths {
			b.Run(fmt.Sprintf("batch=%d/%s", size, p.name), func(b *testing.B) {
				env := pgtest.New(b)
				s, err := New(env.DB, Options{Schema: env.Schema})
				require.NoError(b, err)
				ctx := context.Background()
				require.NoError(b, s.Migrate(ctx))
				b.ResetTimer()
				start := time.Now()
				for done := 0; done < b.N; {
					ts := make([]store.NewTask, min(size, b.N-done))
					for i := range ts {
						ts[i], _ = store.NewTask{Type: "bench", Params: []byte(`{"n":1}`)}.Normalize()
					}
					n, err := p.do(s, ctx, ts)
					if err != nil {
						b.Fatal(err)
					}
					done += n
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rows/s")
			})
		}
	}
}
