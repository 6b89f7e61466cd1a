package memstore

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTaskHeapOrder runs random adds, pops, removals and key changes
// against a taskHeap and a sorted list side by side: keys mostly rise, as
// a store's do, with some that sort earlier, so both the run and the
// binary heap are used, and entries leave the run's middle and ends. Every
// pop must return the list's first entry, and the set's structure must
// hold after every step.
func TestTaskHeapOrder(t *testing.T) {
	t.Parallel()
	seeds := uint64(20)
	if raceEnabled {
		seeds = 5 // each seed takes seconds under the race detector
	}
	for seed := uint64(1); seed <= seeds; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, seed))
			h := &taskHeap{less: delayedLess}
			var ref []*entry // sorted by delayedLess
			var out []*entry // entries not in h
			base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			clock := 0
			id := 0
			key := func(e *entry) {
				clock += rng.IntN(3)
				at := clock
				if rng.IntN(10) == 0 {
					at -= rng.IntN(50)
				}
				e.t.RunAfter = base.Add(time.Duration(at) * time.Second)
			}
			cmp := func(a, b *entry) int { return compareBy(delayedLess, a, b) }
			insert := func(e *entry) {
				i, _ := slices.BinarySearchFunc(ref, e, cmp)
				ref = slices.Insert(ref, i, e)
			}
			drop := func(e *entry) {
				i := slices.Index(ref, e)
				require.GreaterOrEqual(t, i, 0)
				ref = slices.Delete(ref, i, i+1)
			}
			for step := 0; step < 4000; step++ {
				switch op := rng.IntN(10); {
				case op < 4 || len(ref) == 0:
					var e *entry
					if len(out) > 0 && rng.IntN(2) == 0 {
						e, out = out[len(out)-1], out[:len(out)-1]
					} else {
						id++
						e = &entry{hidx: -1}
						e.t.ID = fmt.Sprintf("%08d", id)
					}
					key(e)
					h.add(e)
					insert(e)
				case op < 6:
					want := ref[0]
					require.Same(t, want, h.peek())
					require.Same(t, want, h.pop())
					ref = ref[1:]
					out = append(out, want)
				case op < 8:
					e := ref[rng.IntN(len(ref))]
					h.remove(e)
					drop(e)
					out = append(out, e)
				default:
					e := ref[rng.IntN(len(ref))]
					drop(e)
					key(e)
					h.fix(e)
					insert(e)
				}
				checkTaskHeap(t, h, len(ref))
				for _, e := range out {
					require.Nil(t, e.heap)
				}
			}
			for len(ref) > 0 {
				require.Same(t, ref[0], h.pop())
				ref = ref[1:]
			}
			require.Nil(t, h.pop())
			require.Zero(t, h.Len())
		})
	}
}

// checkTaskHeap checks h's structure: the binary heap's order and
// indexes, the run's order, indexes and ends, and the count.
func checkTaskHeap(t *testing.T, h *taskHeap, n int) {
	t.Helper()
	require.Equal(t, n, h.Len())
	for i, e := range h.items {
		require.Equal(t, i, e.hidx)
		require.Same(t, h, e.heap)
		require.False(t, e.inRun)
		if i > 0 {
			require.False(t, h.less(e, h.items[(i-1)/2]), "heap order broken at %d", i)
		}
	}
	var last *entry
	inRun := 0
	for i, e := range h.run {
		if i < h.head {
			require.Nil(t, e, "entry before the run's start")
			continue
		}
		if e == nil {
			require.NotEqual(t, h.head, i, "hole at the run's start")
			require.NotEqual(t, len(h.run)-1, i, "hole at the run's end")
			continue
		}
		inRun++
		require.True(t, e.inRun)
		require.Equal(t, i, e.hidx)
		require.Same(t, h, e.heap)
		if last != nil {
			require.False(t, h.less(e, last), "run order broken at %d", i)
		}
		last = e
	}
	require.Equal(t, inRun, h.inRun, "run count")
	require.LessOrEqual(t, len(h.run)-h.head-h.inRun, max(33, h.inRun), "holes kept")
	require.LessOrEqual(t, h.head, max(33, len(h.run)/2+1), "free slots kept")
	seen := 0
	for range h.all() {
		seen++
	}
	require.Equal(t, n, seen)
}
