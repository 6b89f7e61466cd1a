package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

// testDescriptionTruncated pins that both stores derive
// Task.DescriptionTruncated from the stored analysis on every read.
func testDescriptionTruncated(t *testing.T, s *suite) {
	ctx, b := s.fresh(t)
	cut := json.RawMessage(`{"redacted_text":"x","truncated":true,"attributes":{"length":20000}}`)
	whole := json.RawMessage(`{"redacted_text":"\"truncated\":true","truncated":false}`)
	tc, _, err := b.Create(ctx, store.NewTask{Type: "a", Events: cut})
	require.NoError(t, err)
	require.True(t, tc.DescriptionTruncated)
	tw, _, err := b.Create(ctx, store.NewTask{Type: "a", Events: whole})
	require.NoError(t, err)
	require.False(t, tw.DescriptionTruncated, "a string value is not the member")
	tn, _, err := b.Create(ctx, store.NewTask{Type: "a"})
	require.NoError(t, err)
	require.False(t, tn.DescriptionTruncated)

	got, err := b.Get(ctx, tc.ID)
	require.NoError(t, err)
	require.True(t, got.DescriptionTruncated)
	page, err := b.List(ctx, store.Filter{})
	require.NoError(t, err)
	n := 0
	for _, task := range page.Tasks {
		require.Equal(t, task.ID == tc.ID, task.DescriptionTruncated, task.ID)
		n++
	}
	require.Equal(t, 3, n)
	claimed, err := b.Claim(ctx, "w1", 10, time.Minute)
	require.NoError(t, err)
	for _, task := range claimed {
		require.Equal(t, task.ID == tc.ID, task.DescriptionTruncated, task.ID)
	}
}
