package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

// testClaimMatching pins ClaimMatching: a claim takes only the tasks its
// filter matches, in claim order, and leaves the others untouched.
func testClaimMatching(t *testing.T, s *suite) {
	t.Parallel()
	t.Run("Types", func(t *testing.T) {
		ctx, b := s.fresh(t)
		// The other type sorts first in claim order, so a claim that did
		// not filter would take it.
		other := mustCreate(t, ctx, b, store.NewTask{Type: "other", Priority: 100})
		low := mustCreate(t, ctx, b, store.NewTask{Type: "a", Priority: 1})
		high := mustCreate(t, ctx, b, store.NewTask{Type: "b", Priority: 50})
		claimed, err := b.ClaimMatching(ctx, "w1", 10, time.Minute, store.ClaimFilter{Types: []string{"a", "b", "unknown"}})
		require.NoError(t, err)
		require.Equal(t, []string{high.ID, low.ID}, ids(claimed))
		requireUnchanged(t, ctx, b, other)
		none, err := b.ClaimMatching(ctx, "w1", 10, time.Minute, store.ClaimFilter{Types: []string{"a"}})
		require.NoError(t, err)
		require.Empty(t, none)
		// The zero filter matches every type.
		rest, err := b.ClaimMatching(ctx, "w2", 10, time.Minute, store.ClaimFilter{})
		require.NoError(t, err)
		require.Equal(t, []string{other.ID}, ids(rest))
	})

	t.Run("LimitAcrossTypes", func(t *testing.T) {
		ctx, b := s.fresh(t)
		var want []string
		for i := range 6 {
			task := mustCreate(t, ctx, b, store.NewTask{Type: []string{"a", "b", "c"}[i%3], Priority: 10 - i})
			if task.Type != "c" {
				want = append(want, task.ID)
			}
		}
		f := store.ClaimFilter{Types: []string{"b", "a"}}
		first, err := b.ClaimMatching(ctx, "w1", 3, time.Minute, f)
		require.NoError(t, err)
		second, err := b.ClaimMatching(ctx, "w1", 3, time.Minute, f)
		require.NoError(t, err)
		require.Equal(t, want, append(ids(first), ids(second)...), "claim order across types")
	})

	t.Run("InvalidFilter", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := mustCreate(t, ctx, b, store.NewTask{})
		for _, bad := range []string{"", "no spaces", "it's", "{a}", "a,b", `"`} {
			claimed, err := b.ClaimMatching(ctx, "w1", 10, time.Minute, store.ClaimFilter{Types: []string{"test", bad}})
			require.ErrorIs(t, err, store.ErrInvalidTask, "type %q", bad)
			require.Empty(t, claimed)
		}
		requireUnchanged(t, ctx, b, task)
	})
}
