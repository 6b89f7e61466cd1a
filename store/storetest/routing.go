package storetest

import (
	"context"
	"math"
	"slices"
	"strings"
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

// testQueues pins named queues: a claim reads one queue (the default one
// unless it names another), and a paused queue's tasks stay queued in
// every claim until it is resumed.
func testQueues(t *testing.T, s *suite) {
	t.Parallel()
	t.Run("ClaimReadsOneQueue", func(t *testing.T) {
		ctx, b := s.fresh(t)
		def := mustCreate(t, ctx, b, store.NewTask{})
		require.Equal(t, store.DefaultQueue, def.Queue)
		mail := mustCreate(t, ctx, b, store.NewTask{Queue: "mail", Priority: 100, Partition: "c1"})
		require.Equal(t, "mail", mail.Queue)
		require.Equal(t, "c1", mail.Partition)
		other := mustCreate(t, ctx, b, store.NewTask{Queue: "other", Priority: 100})

		got, err := b.Claim(ctx, "w1", 10, time.Minute)
		require.NoError(t, err)
		require.Equal(t, []string{def.ID}, ids(got), "Claim reads the default queue")
		got, err = b.ClaimMatching(ctx, "w1", 10, time.Minute, store.ClaimFilter{Queue: "mail"})
		require.NoError(t, err)
		require.Equal(t, []string{mail.ID}, ids(got))
		require.Equal(t, "mail", got[0].Queue)
		require.Equal(t, "c1", got[0].Partition)
		require.Equal(t, norm(got[0]), norm(mustGet(t, ctx, b, mail.ID)), "Claim returns the stored task")
		requireUnchanged(t, ctx, b, other)
		got, err = b.ClaimMatching(ctx, "w1", 10, time.Minute, store.ClaimFilter{Queue: "other", Types: []string{"nope"}})
		require.NoError(t, err)
		require.Empty(t, got)
		_, err = b.ClaimMatching(ctx, "w1", 10, time.Minute, store.ClaimFilter{Queue: "no/slash"})
		require.ErrorIs(t, err, store.ErrInvalidTask)
	})

	t.Run("PauseResume", func(t *testing.T) {
		ctx, b := s.fresh(t)
		qm, ok := b.(store.QueueManager)
		if !ok {
			t.Skip("backend is not a store.QueueManager")
		}
		mail := mustCreate(t, ctx, b, store.NewTask{Queue: "mail"})
		def := mustCreate(t, ctx, b, store.NewTask{})
		require.NoError(t, qm.SetQueuePaused(ctx, "mail", true))
		require.NoError(t, qm.SetQueuePaused(ctx, "mail", true), "pausing twice")
		require.NoError(t, qm.SetQueuePaused(ctx, "empty", true), "a queue without tasks")
		got, err := b.ClaimMatching(ctx, "w1", 10, time.Minute, store.ClaimFilter{Queue: "mail"})
		require.NoError(t, err)
		require.Empty(t, got, "a paused queue's task was claimed")
		requireUnchanged(t, ctx, b, mail)
		require.Equal(t, def.ID, claimOne(t, ctx, b, "w1", time.Minute).ID, "another queue is not paused")

		queues, err := qm.Queues(ctx)
		require.NoError(t, err)
		require.Len(t, queues, 3)
		require.Equal(t, []string{store.DefaultQueue, "empty", "mail"}, []string{queues[0].Name, queues[1].Name, queues[2].Name})
		require.False(t, queues[0].Paused)
		require.Equal(t, 1, queues[0].Counts[store.StatusRunning])
		require.True(t, queues[1].Paused)
		require.Zero(t, queues[1].Counts[store.StatusQueued])
		require.Len(t, queues[1].Counts, len(store.Statuses()), "every status is counted")
		require.True(t, queues[2].Paused)
		require.Equal(t, 1, queues[2].Counts[store.StatusQueued])
		require.Equal(t, []store.TypeCount{{Type: "test", Ready: 1}}, queues[2].ReadyTypes)
		require.Empty(t, queues[0].ReadyTypes, "the default queue's task runs")

		require.NoError(t, qm.SetQueuePaused(ctx, "mail", false))
		require.NoError(t, qm.SetQueuePaused(ctx, "never-paused", false))
		got, err = b.ClaimMatching(ctx, "w1", 10, time.Minute, store.ClaimFilter{Queue: "mail"})
		require.NoError(t, err)
		require.Equal(t, []string{mail.ID}, ids(got))
		queues, err = qm.Queues(ctx)
		require.NoError(t, err)
		for _, q := range queues {
			require.Equal(t, q.Name == "empty", q.Paused, q.Name)
		}

		for _, bad := range []string{"", "a b", "a/b", "-x", strings.Repeat("q", store.MaxQueueLen+1)} {
			require.ErrorIs(t, qm.SetQueuePaused(ctx, bad, true), store.ErrInvalidQueue, "queue %q", bad)
		}
	})
}

// testQueueLimits pins a queue's limits: a claim never takes a task that
// would pass MaxRunning running tasks, nor PartitionMaxRunning running
// tasks of its partition (tasks without one are not capped), nor more
// than the token bucket holds, and the zero limits remove them.
func testQueueLimits(t *testing.T, s *suite) {
	t.Parallel()
	t.Run("MaxRunning", func(t *testing.T) {
		ctx, b := s.fresh(t)
		qm, ok := b.(store.QueueManager)
		if !ok {
			t.Skip("backend is not a store.QueueManager")
		}
		for range 5 {
			mustCreate(t, ctx, b, store.NewTask{Queue: "lim"})
		}
		other := mustCreate(t, ctx, b, store.NewTask{Queue: "free"})
		require.NoError(t, qm.SetQueueLimits(ctx, "lim", store.QueueLimits{MaxRunning: 2}))
		f := store.ClaimFilter{Queue: "lim"}
		got, err := b.ClaimMatching(ctx, "w1", 10, time.Minute, f)
		require.NoError(t, err)
		require.Len(t, got, 2)
		none, err := b.ClaimMatching(ctx, "w2", 10, time.Minute, f)
		require.NoError(t, err)
		require.Empty(t, none, "a claim passed max_running")
		free, err := b.ClaimMatching(ctx, "w2", 10, time.Minute, store.ClaimFilter{Queue: "free"})
		require.NoError(t, err)
		require.Equal(t, []string{other.ID}, ids(free), "another queue is not limited")
		errs, err := b.Finish(ctx, []store.Outcome{{TaskID: got[0].ID, Worker: "w1", Attempt: 1, Kind: store.OutcomeComplete}})
		require.NoError(t, err)
		require.NoError(t, errs[0])
		one, err := b.ClaimMatching(ctx, "w2", 10, time.Minute, f)
		require.NoError(t, err)
		require.Len(t, one, 1, "a finished task frees its place")

		queues, err := qm.Queues(ctx)
		require.NoError(t, err)
		require.Equal(t, "lim", queues[1].Name)
		require.Equal(t, store.QueueLimits{MaxRunning: 2}, queues[1].Limits)

		require.NoError(t, qm.SetQueueLimits(ctx, "lim", store.QueueLimits{}))
		rest, err := b.ClaimMatching(ctx, "w2", 10, time.Minute, f)
		require.NoError(t, err)
		require.Len(t, rest, 2, "removed limits still held")
	})

	t.Run("Rate", func(t *testing.T) {
		ctx, b := s.fresh(t)
		qm, ok := b.(store.QueueManager)
		if !ok {
			t.Skip("backend is not a store.QueueManager")
		}
		for range 10 {
			mustCreate(t, ctx, b, store.NewTask{Queue: "lim"})
		}
		// One token per 1,000 s: only the burst is there to take.
		require.NoError(t, qm.SetQueueLimits(ctx, "lim", store.QueueLimits{Rate: 0.001, Burst: 3}))
		f := store.ClaimFilter{Queue: "lim"}
		got, err := b.ClaimMatching(ctx, "w1", 2, time.Minute, f)
		require.NoError(t, err)
		require.Len(t, got, 2)
		got, err = b.ClaimMatching(ctx, "w1", 10, time.Minute, f)
		require.NoError(t, err)
		require.Len(t, got, 1, "the burst is 3")
		got, err = b.ClaimMatching(ctx, "w1", 10, time.Minute, f)
		require.NoError(t, err)
		require.Empty(t, got, "a claim passed the rate")
		queues, err := qm.Queues(ctx)
		require.NoError(t, err)
		require.Equal(t, store.QueueLimits{Rate: 0.001, Burst: 3}, queues[0].Limits)
		// Setting limits again fills the bucket; the default burst is ⌈rate⌉.
		require.NoError(t, qm.SetQueueLimits(ctx, "lim", store.QueueLimits{Rate: 1.5}))
		queues, err = qm.Queues(ctx)
		require.NoError(t, err)
		require.Equal(t, store.QueueLimits{Rate: 1.5, Burst: 2}, queues[0].Limits)
		got, err = b.ClaimMatching(ctx, "w1", 10, time.Minute, f)
		require.NoError(t, err)
		require.Len(t, got, 2)
	})

	t.Run("PartitionMaxRunning", func(t *testing.T) {
		ctx, b := s.fresh(t)
		qm, ok := b.(store.QueueManager)
		if !ok {
			t.Skip("backend is not a store.QueueManager")
		}
		// by counts the tasks of ts by partition.
		by := func(ts []store.Task) map[string]int {
			m := map[string]int{}
			for _, t := range ts {
				m[t.Partition]++
			}
			return m
		}
		for range 5 {
			mustCreate(t, ctx, b, store.NewTask{Queue: "cap", Partition: "a"})
		}
		mustCreate(t, ctx, b, store.NewTask{Queue: "cap", Partition: "b"})
		for range 3 {
			mustCreate(t, ctx, b, store.NewTask{Queue: "cap"})
		}
		require.NoError(t, qm.SetQueueLimits(ctx, "cap", store.QueueLimits{PartitionMaxRunning: 2}))
		f := store.ClaimFilter{Queue: "cap"}
		got, err := b.ClaimMatching(ctx, "w1", 10, time.Minute, f)
		require.NoError(t, err)
		require.Equal(t, map[string]int{"a": 2, "b": 1, "": 3}, by(got),
			"each partition yields up to the cap; tasks without a partition are not capped")
		none, err := b.ClaimMatching(ctx, "w2", 10, time.Minute, f)
		require.NoError(t, err)
		require.Empty(t, none, "a full partition yielded a task")
		var a store.Task
		for _, t := range got {
			if t.Partition == "a" {
				a = t
			}
		}
		errs, err := b.Finish(ctx, []store.Outcome{{TaskID: a.ID, Worker: "w1", Attempt: 1, Kind: store.OutcomeComplete}})
		require.NoError(t, err)
		require.NoError(t, errs[0])
		one, err := b.ClaimMatching(ctx, "w2", 10, time.Minute, f)
		require.NoError(t, err)
		require.Equal(t, map[string]int{"a": 1}, by(one), "a finished task frees its partition's place")
		mustCreate(t, ctx, b, store.NewTask{Queue: "cap", Partition: "b"})
		mustCreate(t, ctx, b, store.NewTask{Queue: "cap", Partition: "b"})
		more, err := b.ClaimMatching(ctx, "w2", 10, time.Minute, f)
		require.NoError(t, err)
		require.Equal(t, map[string]int{"b": 1}, by(more), "b had one place left")

		queues, err := qm.Queues(ctx)
		require.NoError(t, err)
		require.Equal(t, "cap", queues[0].Name)
		require.Equal(t, store.QueueLimits{PartitionMaxRunning: 2}, queues[0].Limits)

		// The fair claim is capped alike: it rotates over the partitions
		// with room, a task each, then stops at the cap.
		for _, p := range []string{"x", "x", "x", "y", "y", "y", "", ""} {
			mustCreate(t, ctx, b, store.NewTask{Queue: "fcap", Partition: p})
		}
		require.NoError(t, qm.SetQueueLimits(ctx, "fcap", store.QueueLimits{MaxRunning: 100, PartitionMaxRunning: 2}))
		ff := store.ClaimFilter{Queue: "fcap", Fair: true}
		got, err = b.ClaimMatching(ctx, "w1", 3, time.Minute, ff)
		require.NoError(t, err)
		require.Equal(t, map[string]int{"x": 1, "y": 1, "": 1}, by(got))
		got, err = b.ClaimMatching(ctx, "w1", 10, time.Minute, ff)
		require.NoError(t, err)
		require.Equal(t, map[string]int{"x": 1, "y": 1, "": 1}, by(got), "x and y have one place left each")
		none, err = b.ClaimMatching(ctx, "w1", 10, time.Minute, ff)
		require.NoError(t, err)
		require.Empty(t, none, "a full partition yielded a task to a fair claim")

		// Without the cap, the queue's partitions are claimed in full.
		require.NoError(t, qm.SetQueueLimits(ctx, "cap", store.QueueLimits{}))
		rest, err := b.ClaimMatching(ctx, "w2", 10, time.Minute, f)
		require.NoError(t, err)
		require.Equal(t, map[string]int{"a": 2, "b": 1}, by(rest), "removed cap still held")
	})

	t.Run("Invalid", func(t *testing.T) {
		ctx, b := s.fresh(t)
		qm, ok := b.(store.QueueManager)
		if !ok {
			t.Skip("backend is not a store.QueueManager")
		}
		for name, l := range map[string]store.QueueLimits{
			"negative running":           {MaxRunning: -1},
			"too many running":           {MaxRunning: store.MaxQueueRunning + 1},
			"negative rate":              {Rate: -1},
			"tiny rate":                  {Rate: store.MinQueueRate / 2},
			"huge rate":                  {Rate: store.MaxQueueRate * 2},
			"NaN rate":                   {Rate: math.NaN()},
			"burst alone":                {Burst: 3},
			"negative burst":             {Rate: 1, Burst: -1},
			"negative partition running": {PartitionMaxRunning: -1},
			"too many partition running": {PartitionMaxRunning: store.MaxQueueRunning + 1},
		} {
			require.ErrorIs(t, qm.SetQueueLimits(ctx, "q", l), store.ErrInvalidQueue, name)
		}
		require.ErrorIs(t, qm.SetQueueLimits(ctx, "a b", store.QueueLimits{MaxRunning: 1}), store.ErrInvalidQueue)
		queues, err := qm.Queues(ctx)
		require.NoError(t, err)
		require.Empty(t, queues, "a refused limit was stored")
	})
}

// testReadyTypes pins QueueInfo.ReadyTypes: the due ready tasks of each
// queue by type, largest first, bounded.
func testReadyTypes(t *testing.T, s *suite) {
	ctx, b := s.fresh(t)
	qm, ok := b.(store.QueueManager)
	if !ok {
		t.Skip("backend is not a store.QueueManager")
	}
	for i := range 3 {
		mustCreate(t, ctx, b, store.NewTask{Type: "resize", Queue: "img"})
		if i < 2 {
			mustCreate(t, ctx, b, store.NewTask{Type: "crop", Queue: "img"})
		}
	}
	mustCreate(t, ctx, b, store.NewTask{Type: "later", Queue: "img", RunAfter: time.Now().Add(time.Hour)})
	mustCreate(t, ctx, b, store.NewTask{Type: "held", Queue: "img", Hold: true})
	for i := range store.MaxReadyTypes + 5 {
		mustCreate(t, ctx, b, store.NewTask{Type: "t" + strings.Repeat("x", i+1), Queue: "many"})
	}
	claimed, err := b.ClaimMatching(ctx, "w", 1, time.Minute, store.ClaimFilter{Queue: "img", Types: []string{"crop"}})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	queues, err := qm.Queues(ctx)
	require.NoError(t, err)
	require.Len(t, queues, 2)
	require.Equal(t, []store.TypeCount{{Type: "resize", Ready: 3}, {Type: "crop", Ready: 1}}, queues[0].ReadyTypes,
		"running, delayed and held tasks are not ready")
	require.Len(t, queues[1].ReadyTypes, store.MaxReadyTypes)
}

// testFairness pins the fair claim: it takes the first ready task of each
// partition of the queue, then the second of each, and so on, so a
// partition's backlog does not hold back another partition's tasks, and
// it honours the filter's types, a pause and the queue's limits as any
// claim does.
func testFairness(t *testing.T, s *suite) {
	t.Parallel()
	// backlog creates, in queue "fair", 50 tasks of partition "a" that
	// come first in claim order, then 3 of "b" and 1 without a partition.
	backlog := func(t *testing.T, ctx context.Context, b Backend) {
		for range 50 {
			mustCreate(t, ctx, b, store.NewTask{Queue: "fair", Partition: "a", Priority: 20})
		}
		for range 3 {
			mustCreate(t, ctx, b, store.NewTask{Queue: "fair", Partition: "b", Priority: 10})
		}
		mustCreate(t, ctx, b, store.NewTask{Queue: "fair"})
	}
	parts := func(ts []store.Task) []string {
		out := make([]string, len(ts))
		for i, task := range ts {
			out[i] = task.Partition
		}
		return out
	}
	t.Run("RotatesAcrossPartitions", func(t *testing.T) {
		ctx, b := s.fresh(t)
		backlog(t, ctx, b)
		f := store.ClaimFilter{Queue: "fair", Fair: true}
		got, err := b.ClaimMatching(ctx, "w1", 4, time.Minute, f)
		require.NoError(t, err)
		// Partitions take turns in key order: "" first.
		require.Equal(t, []string{"", "a", "b", "a"}, parts(got))
		for _, task := range got {
			require.Equal(t, store.StatusRunning, task.Status)
			require.Equal(t, "w1", task.LockedBy)
		}
		got, err = b.ClaimMatching(ctx, "w2", 4, time.Minute, f)
		require.NoError(t, err)
		// The next claim starts after the last partition served ("a").
		require.Equal(t, []string{"b", "a", "b", "a"}, parts(got))
		got, err = b.ClaimMatching(ctx, "w2", 100, time.Minute, f)
		require.NoError(t, err)
		require.Len(t, got, 46, "the rest of the queue")
		require.Empty(t, slices.DeleteFunc(parts(got), func(p string) bool { return p == "a" }))
	})

	t.Run("ClaimsOfOneTakeTurns", func(t *testing.T) {
		ctx, b := s.fresh(t)
		backlog(t, ctx, b)
		f := store.ClaimFilter{Queue: "fair", Fair: true}
		var got []string
		for range 7 {
			one, err := b.ClaimMatching(ctx, "w1", 1, time.Minute, f)
			require.NoError(t, err)
			require.Len(t, one, 1)
			got = append(got, one[0].Partition)
		}
		require.Equal(t, []string{"", "a", "b", "a", "b", "a", "b"}, got)
	})

	t.Run("UnfairClaimTakesClaimOrder", func(t *testing.T) {
		ctx, b := s.fresh(t)
		backlog(t, ctx, b)
		got, err := b.ClaimMatching(ctx, "w1", 4, time.Minute, store.ClaimFilter{Queue: "fair"})
		require.NoError(t, err)
		require.Equal(t, []string{"a", "a", "a", "a"}, parts(got))
	})

	t.Run("FilterPauseAndLimits", func(t *testing.T) {
		ctx, b := s.fresh(t)
		backlog(t, ctx, b)
		other := mustCreate(t, ctx, b, store.NewTask{Queue: "fair", Type: "other", Partition: "c"})
		got, err := b.ClaimMatching(ctx, "w1", 4, time.Minute, store.ClaimFilter{Queue: "fair", Fair: true, Types: []string{"other"}})
		require.NoError(t, err)
		require.Equal(t, []string{other.ID}, ids(got))
		qm, ok := b.(store.QueueManager)
		if !ok {
			t.Skip("backend is not a store.QueueManager")
		}
		f := store.ClaimFilter{Queue: "fair", Fair: true, Types: []string{"test"}}
		require.NoError(t, qm.SetQueuePaused(ctx, "fair", true))
		got, err = b.ClaimMatching(ctx, "w1", 4, time.Minute, f)
		require.NoError(t, err)
		require.Empty(t, got, "a paused queue's task was claimed")
		require.NoError(t, qm.SetQueuePaused(ctx, "fair", false))
		require.NoError(t, qm.SetQueueLimits(ctx, "fair", store.QueueLimits{MaxRunning: 3}))
		got, err = b.ClaimMatching(ctx, "w1", 10, time.Minute, f)
		require.NoError(t, err)
		require.Equal(t, []string{"", "a"}, parts(got), "max running 3 with one running")
	})
}
