package storetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

// progressBeater returns b's progress heartbeat, or skips the test when b
// has none.
func progressBeater(t *testing.T, b Backend) store.ProgressHeartbeater {
	t.Helper()
	pb, ok := b.(store.ProgressHeartbeater)
	if !ok {
		t.Skip("backend is not a store.ProgressHeartbeater")
	}
	return pb
}

func testProgress(t *testing.T, s *suite) {
	t.Parallel()
	t.Run("WrittenWithHeartbeat", func(t *testing.T) {
		ctx, b := s.fresh(t)
		pb := progressBeater(t, b)
		for range 2 {
			mustCreate(t, ctx, b, store.NewTask{})
		}
		a := claimOne(t, ctx, b, "w1", time.Minute)
		quiet := claimOne(t, ctx, b, "w1", time.Minute)
		require.Nil(t, a.Progress, "a new task has no progress")

		leases, err := pb.HeartbeatProgress(ctx, "w1", []string{a.ID, quiet.ID},
			[]store.Progress{{TaskID: a.ID, Attempt: 1, Value: json.RawMessage(`{"done": 3, "of": 10}`)}}, time.Hour)
		require.NoError(t, err)
		require.Len(t, leases, 2, "both leases are extended")
		got := mustGet(t, ctx, b, a.ID)
		require.JSONEq(t, `{"done": 3, "of": 10}`, string(got.Progress))
		require.True(t, got.LeaseExpiresAt.After(a.LeaseExpiresAt.Add(50*time.Minute)), "lease not extended")
		require.Nil(t, mustGet(t, ctx, b, quiet.ID).Progress, "progress of a task not named in progress")

		// A heartbeat without progress keeps the last one.
		_, err = b.Heartbeat(ctx, "w1", []string{a.ID}, time.Hour)
		require.NoError(t, err)
		require.JSONEq(t, `{"done": 3, "of": 10}`, string(mustGet(t, ctx, b, a.ID).Progress))

		// Any JSON value is accepted; the latest replaces it.
		_, err = pb.HeartbeatProgress(ctx, "w1", []string{a.ID},
			[]store.Progress{{TaskID: a.ID, Attempt: 1, Value: json.RawMessage(`0.75`)}}, time.Hour)
		require.NoError(t, err)
		require.JSONEq(t, `0.75`, string(mustGet(t, ctx, b, a.ID).Progress))

		// It outlives the attempt: the finished task shows the last value.
		require.NoError(t, finish(t, ctx, b, outcome(mustGet(t, ctx, b, a.ID), store.OutcomeComplete)))
		require.JSONEq(t, `0.75`, string(mustGet(t, ctx, b, a.ID).Progress))
	})

	t.Run("Fenced", func(t *testing.T) {
		ctx, b := s.fresh(t)
		pb := progressBeater(t, b)
		for range 2 {
			mustCreate(t, ctx, b, store.NewTask{})
		}
		mine := claimOne(t, ctx, b, "w1", time.Minute)
		theirs := claimOne(t, ctx, b, "w2", time.Minute)
		v := json.RawMessage(`{"done": 1}`)
		_, err := pb.HeartbeatProgress(ctx, "w1", []string{mine.ID, theirs.ID}, []store.Progress{
			{TaskID: mine.ID, Attempt: 2, Value: v},   // another attempt
			{TaskID: theirs.ID, Attempt: 1, Value: v}, // another worker's task
		}, time.Hour)
		require.NoError(t, err)
		require.Nil(t, mustGet(t, ctx, b, mine.ID).Progress, "progress of another attempt was written")
		requireUnchanged(t, ctx, b, theirs)

		// Named in progress but not in held: not extended, not written.
		_, err = pb.HeartbeatProgress(ctx, "w1", nil, []store.Progress{{TaskID: mine.ID, Attempt: 1, Value: v}}, time.Hour)
		require.NoError(t, err)
		require.Nil(t, mustGet(t, ctx, b, mine.ID).Progress, "progress of a task not in held was written")

		// A finished task takes no more progress.
		require.NoError(t, finish(t, ctx, b, outcome(mine, store.OutcomeComplete)))
		leases, err := pb.HeartbeatProgress(ctx, "w1", []string{mine.ID}, []store.Progress{{TaskID: mine.ID, Attempt: 1, Value: v}}, time.Hour)
		require.NoError(t, err)
		require.Empty(t, leases)
		require.Nil(t, mustGet(t, ctx, b, mine.ID).Progress)
	})

	t.Run("Invalid", func(t *testing.T) {
		ctx, b := s.fresh(t)
		pb := progressBeater(t, b)
		mustCreate(t, ctx, b, store.NewTask{})
		task := claimOne(t, ctx, b, "w1", time.Minute)
		for name, v := range map[string]string{
			"empty":      ``,
			"malformed":  `{"done":`,
			"two values": `1 2`,
			"NUL":        `"a\u0000b"`,
			"too large":  `"` + strings.Repeat("x", store.MaxProgressBytes) + `"`,
		} {
			_, err := pb.HeartbeatProgress(ctx, "w1", []string{task.ID},
				[]store.Progress{{TaskID: task.ID, Attempt: 1, Value: json.RawMessage(v)}}, 2*time.Hour)
			require.ErrorIs(t, err, store.ErrInvalidTask, name)
			requireUnchanged(t, ctx, b, task)
		}
		// The largest accepted value.
		largest := `"` + strings.Repeat("x", store.MaxProgressBytes-2) + `"`
		_, err := pb.HeartbeatProgress(ctx, "w1", []string{task.ID},
			[]store.Progress{{TaskID: task.ID, Attempt: 1, Value: json.RawMessage(largest)}}, time.Hour)
		require.NoError(t, err)
		require.JSONEq(t, largest, string(mustGet(t, ctx, b, task.ID).Progress))
	})
}
