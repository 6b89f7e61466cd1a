package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

func TestParsePrefix(t *testing.T) {
	id := store.NewID()
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{id, id, true},
		{"0190A1B2-C3D4-7E5F-8A6B-7C8D9E0F1A2B", "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b", true},
		{"0190a1b2", "0190a1b2", true},
		{"0190a1b2-c3", "0190a1b2-c3", true},
		{"", "", false},
		{"0190a1b2c3", "", false},                           // hyphen missing
		{"0190a1b%", "", false},                             // LIKE metacharacter
		{"0190a1b_", "", false},                             // LIKE metacharacter
		{"0190a1bg", "", false},                             // not hex
		{id + "0", "", false},                               // too long
		{"0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2é", "", false}, // not ASCII
	} {
		got, err := store.ParsePrefix(tc.in)
		if !tc.ok {
			require.ErrorIs(t, err, store.ErrInvalidID, "%q", tc.in)
			continue
		}
		require.NoError(t, err, "%q", tc.in)
		require.Equal(t, tc.want, got)
	}
	_, err := store.ParseID("0190a1b2")
	require.ErrorIs(t, err, store.ErrInvalidID, "a prefix is not a full ID")
}

// TestParseIDCanonicalDoesNotAllocate: the IDs a pool hands back with its
// outcomes are already canonical, and checking them must not copy them.
func TestParseIDCanonicalDoesNotAllocate(t *testing.T) {
	id := store.NewID()
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := store.ParseID(id); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
}

func TestNewIDIncreases(t *testing.T) {
	prev := store.NewID()
	for range 10000 {
		id := store.NewID()
		require.Greater(t, id, prev)
		_, err := store.ParseID(id)
		require.NoError(t, err)
		prev = id
	}
}

// TestNewIDIsVersion7: the ID is an RFC 9562 version 7 UUID whose
// timestamp is the time it was made, so IDs sort by creation time across
// processes as well.
func TestNewIDIsVersion7(t *testing.T) {
	before := time.Now().UnixMilli()
	id := store.NewID()
	after := time.Now().UnixMilli()
	u, err := uuid.Parse(id)
	require.NoError(t, err)
	require.Equal(t, uuid.Version(7), u.Version())
	require.Equal(t, uuid.RFC4122, u.Variant())
	sec, nsec := u.Time().UnixTime()
	ms := sec*1000 + nsec/1e6
	require.GreaterOrEqual(t, ms, before)
	require.LessOrEqual(t, ms, after+1, "the sub-millisecond counter may carry into the next millisecond")
}

// TestNewIDConcurrentUnique: IDs made at once by many goroutines are
// distinct.
func TestNewIDConcurrentUnique(t *testing.T) {
	const workers, each = 8, 2000
	ids := make(chan string, workers*each)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				ids <- store.NewID()
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := make(map[string]bool, workers*each)
	for id := range ids {
		require.False(t, seen[id], "duplicate %s", id)
		seen[id] = true
	}
	require.Len(t, seen, workers*each)
}

// BenchmarkNewID measures ID generation (google/uuid's NewV7 and its
// canonical text), from all CPUs at once as concurrent enqueues do.
func BenchmarkNewID(b *testing.B) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = store.NewID()
		}
	})
}
