package storetest

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

func testCreate(t *testing.T, s *suite) {
	t.Parallel()
	t.Run("Defaults", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := mustCreate(t, ctx, b, store.NewTask{Type: "email", Description: "hello", Domain: "mail"})
		_, err := store.ParseID(task.ID)
		require.NoError(t, err)
		require.Equal(t, "email", task.Type)
		require.Equal(t, "hello", task.Description)
		require.Equal(t, "mail", task.Domain)
		require.Equal(t, store.StatusQueued, task.Status)
		require.JSONEq(t, `{}`, string(task.Params))
		require.Equal(t, store.DefaultMaxAttempts, task.MaxAttempts)
		require.Zero(t, task.Priority)
		require.Zero(t, task.Attempts)
		require.Empty(t, task.LockedBy)
		require.Nil(t, task.LeaseExpiresAt)
		require.Nil(t, task.StartedAt)
		require.Nil(t, task.FinishedAt)
		require.False(t, task.CancelRequested)
		require.WithinDuration(t, task.CreatedAt, task.RunAfter, time.Second)
		require.False(t, task.UpdatedAt.Before(task.CreatedAt))
		require.Equal(t, norm(task), norm(mustGet(t, ctx, b, task.ID)), "Get differs from Create")
	})

	t.Run("Fields", func(t *testing.T) {
		ctx, b := s.fresh(t)
		runAfter := time.Now().Add(time.Hour).Add(123 * time.Nanosecond)
		task := mustCreate(t, ctx, b, store.NewTask{
			ID:             "0190A0B0-C0D0-7E0F-8A0B-0C0D0E0F1011",
			Type:           "report",
			Params:         json.RawMessage(`{"n": 3, "s": "x"}`),
			Priority:       store.MaxPriority,
			MaxAttempts:    7,
			RunAfter:       runAfter,
			IdempotencyKey: "k-1",
			Events:         json.RawMessage(`["billing"]`),
		})
		require.Equal(t, "0190a0b0-c0d0-7e0f-8a0b-0c0d0e0f1011", task.ID, "explicit ID stored in canonical form")
		require.JSONEq(t, `{"n": 3, "s": "x"}`, string(task.Params))
		require.JSONEq(t, `["billing"]`, string(task.Events))
		require.Equal(t, store.MaxPriority, task.Priority)
		require.Equal(t, 7, task.MaxAttempts)
		require.Equal(t, "k-1", task.IdempotencyKey)
		require.True(t, runAfter.Truncate(time.Microsecond).Equal(task.RunAfter), "run_after %s, want %s", task.RunAfter, runAfter)
		got := mustGet(t, ctx, b, task.ID)
		require.Equal(t, norm(task), norm(got))
	})

	t.Run("TimesUTCMicroseconds", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := mustCreate(t, ctx, b, store.NewTask{})
		claimed := claimID(t, ctx, b, task.ID, "w1", time.Minute)
		require.NoError(t, finish(t, ctx, b, outcome(claimed, store.OutcomeComplete)))
		got := mustGet(t, ctx, b, task.ID)
		require.NotNil(t, got.StartedAt)
		require.NotNil(t, got.FinishedAt)
		times := map[string]*time.Time{
			"created_at": &got.CreatedAt, "updated_at": &got.UpdatedAt, "run_after": &got.RunAfter,
			"started_at": got.StartedAt, "finished_at": got.FinishedAt, "last_heartbeat": got.LastHeartbeat,
			"claim started_at": claimed.StartedAt, "claim lease_expires_at": claimed.LeaseExpiresAt,
		}
		for name, ts := range times {
			if ts == nil {
				continue
			}
			require.Equal(t, time.UTC, ts.Location(), "%s is not in UTC", name)
			require.Zero(t, ts.Nanosecond()%1000, "%s has sub-microsecond precision", name)
		}
	})

	t.Run("Hold", func(t *testing.T) {
		ctx, b := s.fresh(t)
		task := mustCreate(t, ctx, b, store.NewTask{Hold: true})
		require.Equal(t, store.StatusCreated, task.Status)
		claimed, err := b.Claim(ctx, "w1", 10, time.Minute)
		require.NoError(t, err)
		require.Empty(t, claimed, "a held task was claimed")
		run, err := b.Run(ctx, task.ID)
		require.NoError(t, err)
		require.Equal(t, store.StatusQueued, run.Status)
		claimID(t, ctx, b, task.ID, "w1", time.Minute)
	})

	t.Run("Invalid", func(t *testing.T) {
		long := strings.Repeat("x", store.MaxTypeLen+1)
		cases := []struct {
			name string
			nt   store.NewTask
		}{
			{"no type", store.NewTask{}},
			{"long type", store.NewTask{Type: long}},
			{"long domain", store.NewTask{Type: "t", Domain: strings.Repeat("x", store.MaxDomainLen+1)}},
			{"long key", store.NewTask{Type: "t", IdempotencyKey: strings.Repeat("x", store.MaxIdempotencyKeyLen+1)}},
			{"priority below", store.NewTask{Type: "t", Priority: store.MinPriority - 1}},
			{"priority above", store.NewTask{Type: "t", Priority: store.MaxPriority + 1}},
			{"negative attempts", store.NewTask{Type: "t", MaxAttempts: -1}},
			{"too many attempts", store.NewTask{Type: "t", MaxAttempts: store.MaxMaxAttempts + 1}},
			{"params array", store.NewTask{Type: "t", Params: json.RawMessage(`[1]`)}},
			{"params broken", store.NewTask{Type: "t", Params: json.RawMessage(`{"a":`)}},
			{"events broken", store.NewTask{Type: "t", Events: json.RawMessage(`[`)}},
			{"bad id", store.NewTask{Type: "t", ID: "not-a-uuid"}},
			{"wildcard id", store.NewTask{Type: "t", ID: "0190a0b0-c0d0-7e0f-8a0b-0c0d0e0f101%"}},
			{"prefix id", store.NewTask{Type: "t", ID: "0190a0b0"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ctx, b := s.fresh(t)
				_, _, err := b.Create(ctx, tc.nt)
				require.ErrorIs(t, err, store.ErrInvalidTask)
				page, err := b.List(ctx, store.Filter{})
				require.NoError(t, err)
				require.Zero(t, page.Total, "an invalid task was stored")
			})
		}
	})

	t.Run("DuplicateID", func(t *testing.T) {
		ctx, b := s.fresh(t)
		first := mustCreate(t, ctx, b, store.NewTask{Type: "a"})
		_, _, err := b.Create(ctx, store.NewTask{ID: first.ID, Type: "b"})
		require.ErrorIs(t, err, store.ErrConflict)
		requireUnchanged(t, ctx, b, first)
	})

	t.Run("IdempotencyKey", func(t *testing.T) {
		ctx, b := s.fresh(t)
		first := mustCreate(t, ctx, b, store.NewTask{Type: "a", IdempotencyKey: "order-1", Params: json.RawMessage(`{"v":1}`)})
		again, created, err := b.Create(ctx, store.NewTask{Type: "b", IdempotencyKey: "order-1", Params: json.RawMessage(`{"v":2}`)})
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, norm(first), norm(again), "the existing task is returned unchanged")
		other := mustCreate(t, ctx, b, store.NewTask{Type: "a", IdempotencyKey: "order-2"})
		require.NotEqual(t, first.ID, other.ID)
		page, err := b.List(ctx, store.Filter{})
		require.NoError(t, err)
		require.Equal(t, 2, page.Total)
	})

	t.Run("IdempotencyKeyConcurrent", func(t *testing.T) {
		ctx, b := s.fresh(t)
		const n = 8
		var wg sync.WaitGroup
		results := make([]store.Task, n)
		createdFlags := make([]bool, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				results[i], createdFlags[i], errs[i] = b.Create(ctx, store.NewTask{Type: "t", IdempotencyKey: "same"})
			})
		}
		wg.Wait()
		createdCount := 0
		for i := range n {
			require.NoError(t, errs[i])
			require.Equal(t, results[0].ID, results[i].ID, "callers got different tasks for one key")
			if createdFlags[i] {
				createdCount++
			}
		}
		require.Equal(t, 1, createdCount, "exactly one caller creates the task")
		page, err := b.List(ctx, store.Filter{})
		require.NoError(t, err)
		require.Equal(t, 1, page.Total)
	})

	t.Run("Ping", func(t *testing.T) {
		ctx, b := s.fresh(t)
		require.NoError(t, b.Ping(ctx))
	})
}

func testGet(t *testing.T, s *suite) {
	ctx, b := s.fresh(t)
	for _, id := range []string{
		"aaaaaaaa-0000-7000-8000-000000000001",
		"aaaaaaaa-0000-7000-8000-000000000002",
		"abaaaaaa-0000-7000-8000-000000000001",
	} {
		mustCreate(t, ctx, b, store.NewTask{ID: id})
	}
	cases := []struct {
		in   string
		want string
		err  error
	}{
		{in: "aaaaaaaa-0000-7000-8000-000000000001", want: "aaaaaaaa-0000-7000-8000-000000000001"},
		{in: "AAAAAAAA-0000-7000-8000-000000000002", want: "aaaaaaaa-0000-7000-8000-000000000002"},
		{in: "ab", want: "abaaaaaa-0000-7000-8000-000000000001"},
		{in: "AB", want: "abaaaaaa-0000-7000-8000-000000000001"},
		{in: "abaaaaaa-0", want: "abaaaaaa-0000-7000-8000-000000000001"},
		{in: "aaaaaaaa-0000-7000-8000-000000000002"[:35], err: store.ErrAmbiguousID},
		{in: "a", err: store.ErrAmbiguousID},
		{in: "aaaaaaaa", err: store.ErrAmbiguousID},
		{in: "ac", err: store.ErrNotFound},
		{in: "bbbbbbbb-0000-7000-8000-000000000001", err: store.ErrNotFound},
		{in: "", err: store.ErrInvalidID},
		{in: "%", err: store.ErrInvalidID},
		{in: "a%", err: store.ErrInvalidID},
		{in: "a_", err: store.ErrInvalidID},
		{in: "_", err: store.ErrInvalidID},
		{in: "aaaaaaaa_0000", err: store.ErrInvalidID},
		{in: "aaaaaaaa-0000-7000-8000-0000000000011", err: store.ErrInvalidID},
		{in: "zz", err: store.ErrInvalidID},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := b.Get(ctx, tc.in)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got.ID)
		})
	}
	t.Run("UnknownIDElsewhere", func(t *testing.T) {
		const unknown = "cccccccc-0000-7000-8000-000000000001"
		_, err := b.Run(ctx, unknown)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = b.Cancel(ctx, unknown)
		require.ErrorIs(t, err, store.ErrNotFound)
		if ew, ok := b.(store.EnrichmentWriter); ok {
			require.ErrorIs(t, ew.SetEnrichment(ctx, unknown, json.RawMessage(`{}`)), store.ErrNotFound)
		}
		_, err = b.Run(ctx, "a%")
		require.ErrorIs(t, err, store.ErrInvalidID)
		_, err = b.Cancel(ctx, "a_")
		require.ErrorIs(t, err, store.ErrInvalidID)
	})
}

func testCreateMany(t *testing.T, s *suite) {
	t.Parallel()
	t.Run("InsertsAndSkipsKeys", func(t *testing.T) {
		ctx, b := s.fresh(t)
		bc := bulk(t, b)
		existing := mustCreate(t, ctx, b, store.NewTask{IdempotencyKey: "k1"})
		n, err := bc.CreateMany(ctx, []store.NewTask{
			{Type: "a", IdempotencyKey: "k1"}, // exists in the store
			{Type: "a", IdempotencyKey: "k2"},
			{Type: "a", IdempotencyKey: "k2"}, // repeats one earlier in the batch
			{Type: "b"},
			{Type: "b", Hold: true},
			{Type: "c", Params: json.RawMessage(`{"x":1}`), Priority: 9},
		})
		require.NoError(t, err)
		require.Equal(t, 4, n)
		requireUnchanged(t, ctx, b, existing)

		page, err := b.List(ctx, store.Filter{})
		require.NoError(t, err)
		require.Equal(t, 5, page.Total)
		counts, err := b.Counts(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, counts[store.StatusCreated])
		require.Equal(t, 4, counts[store.StatusQueued])

		again, created, err := b.Create(ctx, store.NewTask{Type: "x", IdempotencyKey: "k2"})
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, "a", again.Type)

		claimed := claimOne(t, ctx, b, "w1", time.Minute)
		require.Equal(t, "c", claimed.Type, "highest priority first")
		require.JSONEq(t, `{"x":1}`, string(claimed.Params))
	})

	t.Run("Empty", func(t *testing.T) {
		ctx, b := s.fresh(t)
		bc := bulk(t, b)
		n, err := bc.CreateMany(ctx, nil)
		require.NoError(t, err)
		require.Zero(t, n)
	})

	t.Run("InvalidStoresNothing", func(t *testing.T) {
		ctx, b := s.fresh(t)
		bc := bulk(t, b)
		_, err := bc.CreateMany(ctx, []store.NewTask{{Type: "a"}, {Type: ""}})
		require.ErrorIs(t, err, store.ErrInvalidTask)
		page, err := b.List(ctx, store.Filter{})
		require.NoError(t, err)
		require.Zero(t, page.Total)
	})

	t.Run("DuplicateIDStoresNothing", func(t *testing.T) {
		ctx, b := s.fresh(t)
		bc := bulk(t, b)
		first := mustCreate(t, ctx, b, store.NewTask{})
		_, err := bc.CreateMany(ctx, []store.NewTask{{Type: "a"}, {Type: "b", ID: first.ID}})
		require.ErrorIs(t, err, store.ErrConflict)
		page, err := b.List(ctx, store.Filter{})
		require.NoError(t, err)
		require.Equal(t, 1, page.Total)
	})
}

func testSetEnrichment(t *testing.T, s *suite) {
	ctx, b := s.fresh(t)
	ew := enricher(t, b)
	task := mustCreate(t, ctx, b, store.NewTask{})
	require.NoError(t, ew.SetEnrichment(ctx, task.ID, json.RawMessage(`{"score": 0.5}`)))
	require.JSONEq(t, `{"score": 0.5}`, string(mustGet(t, ctx, b, task.ID).Enrichment))
	require.NoError(t, ew.SetEnrichment(ctx, task.ID, json.RawMessage(`{"score": 1}`)))
	got := mustGet(t, ctx, b, task.ID)
	require.JSONEq(t, `{"score": 1}`, string(got.Enrichment))
	require.Equal(t, task.Status, got.Status)
	require.Error(t, ew.SetEnrichment(ctx, task.ID, json.RawMessage(`{"broken":`)))
	require.JSONEq(t, `{"score": 1}`, string(mustGet(t, ctx, b, task.ID).Enrichment), "bad JSON changed nothing")
	// JSON PostgreSQL refuses is refused by every backend alike.
	for _, bad := range []string{`{"a":"\u0000"}`, `{"a":"\ud800"}`, `{"a":1e999999}`, "{\"a\":\"\xff\"}"} {
		require.ErrorIs(t, ew.SetEnrichment(ctx, task.ID, json.RawMessage(bad)), store.ErrInvalidTask, bad)
	}
	require.JSONEq(t, `{"score": 1}`, string(mustGet(t, ctx, b, task.ID).Enrichment), "refused JSON changed nothing")
}
