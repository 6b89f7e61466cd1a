package memstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
)

// FuzzGet checks that any input to Get either finds a task whose ID starts
// with it or fails with one of the documented errors.
func FuzzGet(f *testing.F) {
	ctx := context.Background()
	s := memstore.New(memstore.Options{})
	for _, id := range []string{
		"aaaaaaaa-0000-7000-8000-000000000001",
		"aaaaaaaa-0000-7000-8000-000000000002",
		"abaaaaaa-0000-7000-8000-000000000001",
	} {
		if _, _, err := s.Create(ctx, store.NewTask{ID: id, Type: "t"}); err != nil {
			f.Fatal(err)
		}
	}
	for _, seed := range []string{"", "a", "ab", "AB", "a%", "_", "aaaaaaaa-", "aaaaaaaa_0000", "abaaaaaa-0000-7000-8000-000000000001", "\x00", "ü"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := s.Get(ctx, in)
		if err == nil {
			require.True(t, strings.HasPrefix(got.ID, strings.ToLower(in)), "%q found %s", in, got.ID)
			return
		}
		require.True(t, errors.Is(err, store.ErrInvalidID) || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAmbiguousID), "unexpected error %v", err)
		if strings.ContainsAny(in, "%_") {
			require.ErrorIs(t, err, store.ErrInvalidID)
		}
	})
}
