package memstore

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

// TestMaxBytes fills a store with a byte cap: creates past the cap fail
// with ErrFull and store nothing, outcomes still apply, and retention
// frees the room.
func TestMaxBytes(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clock := newFakeClock()
	params := json.RawMessage(`{"blob":"` + strings.Repeat("x", 10_000) + `"}`)
	size := int64((&store.Task{Type: "t", Queue: store.DefaultQueue, Params: params}).SizeEstimate())
	s := New(Options{Now: clock.Now, MaxBytes: 3 * size})

	for range 3 {
		create(t, ctx, s, store.NewTask{Params: params})
	}
	_, _, err := s.Create(ctx, store.NewTask{Type: "t", Params: params})
	require.ErrorIs(t, err, store.ErrFull)
	_, err = s.CreateMany(ctx, []store.NewTask{{Type: "t"}})
	require.ErrorIs(t, err, store.ErrFull, "even a small task does not fit a full store")
	counts, err := s.Counts(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, counts[store.StatusQueued], "a refused create stores nothing")

	// A full store still finishes its tasks, results included.
	running := claim(t, ctx, s, time.Minute)
	require.Len(t, running, 3)
	var outcomes []store.Outcome
	for _, task := range running {
		outcomes = append(outcomes, store.Outcome{TaskID: task.ID, Worker: "w", Attempt: 1,
			Kind: store.OutcomeComplete, Result: json.RawMessage(`{"ok":true}`)})
	}
	errs, err := s.Finish(ctx, outcomes)
	require.NoError(t, err)
	for _, e := range errs {
		require.NoError(t, e)
	}

	// Retention frees the room.
	clock.Advance(time.Hour)
	n, err := s.DeleteFinished(ctx, time.Minute, 100)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.Zero(t, s.bytes, "every deleted task's bytes are given back")
	_, err = s.CreateMany(ctx, []store.NewTask{{Type: "t", Params: params}, {Type: "t", Params: params}})
	require.NoError(t, err)
	_, err = s.CreateMany(ctx, []store.NewTask{{Type: "t", Params: params}, {Type: "t", Params: params}})
	require.ErrorIs(t, err, store.ErrFull, "a batch that does not fit stores nothing")
	counts, err = s.Counts(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, counts[store.StatusQueued])
	create(t, ctx, s, store.NewTask{Params: params})
}

// TestBytesCounted checks the running count against a recount after every
// kind of write.
func TestBytesCounted(t *testing.T) {
	ctx, s, clock := newClocked(t)
	recount := func() int64 {
		var n int64
		for _, e := range s.tasks {
			n += int64(e.t.SizeEstimate())
		}
		return n
	}
	a := create(t, ctx, s, store.NewTask{Description: "some text", Params: json.RawMessage(`{"a":1}`), IdempotencyKey: "k"})
	create(t, ctx, s, store.NewTask{})
	require.Equal(t, recount(), s.bytes)
	got := claim(t, ctx, s, time.Second)
	require.Len(t, got, 2)
	_, err := s.Finish(ctx, []store.Outcome{{TaskID: a.ID, Worker: "w", Attempt: 1, Kind: store.OutcomeComplete, Result: json.RawMessage(`{"result":"long enough"}`)}})
	require.NoError(t, err)
	require.NoError(t, s.SetEnrichment(ctx, a.ID, json.RawMessage(`{"enriched":true}`)))
	require.Equal(t, recount(), s.bytes)
	clock.Advance(time.Minute)
	require.Len(t, rescue(t, ctx, s), 1)
	require.Equal(t, recount(), s.bytes)
}
