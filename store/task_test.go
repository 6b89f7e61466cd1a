package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

// TestStatusesIsACopy: changing the slice Statuses returns changes no
// later caller's view of the statuses.
func TestStatusesIsACopy(t *testing.T) {
	t.Parallel()
	first := store.Statuses()
	require.Len(t, first, 7)
	first[0] = "tampered"
	second := store.Statuses()
	require.Equal(t, store.StatusCreated, second[0])
	for _, s := range second {
		require.True(t, s.Valid(), s)
	}
}
