package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

// listAll walks every page of f and returns the tasks in order.
func listAll(t *testing.T, ctx context.Context, b Backend, f store.Filter) []store.Task {
	t.Helper()
	var out []store.Task
	for range 10000 {
		page, err := b.List(ctx, f)
		require.NoError(t, err)
		out = append(out, page.Tasks...)
		if page.NextCursor == "" {
			return out
		}
		f.Cursor = page.NextCursor
	}
	t.Fatal("listing did not end")
	return nil
}

// newerFirst reports whether a sorts before b in a listing.
func newerFirst(a, b store.Task) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.After(b.CreatedAt)
	}
	return a.ID > b.ID
}

func testList(t *testing.T, s *suite) {
	t.Parallel()
	t.Run("Filters", func(t *testing.T) {
		ctx, b := s.fresh(t)
		var all []store.Task
		for i := range 12 {
			nt := store.NewTask{Type: []string{"a", "b"}[i%2], Domain: []string{"x", "y", "z"}[i%3], Hold: i%4 == 0,
				Queue: []string{"", "q1", "q2", "q1"}[i%4], Partition: []string{"", "p1"}[i%2]}
			all = append(all, mustCreate(t, ctx, b, nt))
		}
		cancelled, err := b.Cancel(ctx, all[1].ID)
		require.NoError(t, err)
		all[1] = cancelled
		// Re-read so every task carries its stored created_at.
		for i := range all {
			all[i] = mustGet(t, ctx, b, all[i].ID)
		}
		mid := all[6].CreatedAt

		cases := []struct {
			name string
			f    store.Filter
			keep func(store.Task) bool
		}{
			{"none", store.Filter{}, func(store.Task) bool { return true }},
			{"status", store.Filter{Statuses: []store.Status{store.StatusCreated}}, func(x store.Task) bool { return x.Status == store.StatusCreated }},
			{"statuses", store.Filter{Statuses: []store.Status{store.StatusCreated, store.StatusCancelled}}, func(x store.Task) bool {
				return x.Status == store.StatusCreated || x.Status == store.StatusCancelled
			}},
			{"status none match", store.Filter{Statuses: []store.Status{store.StatusRunning}}, func(store.Task) bool { return false }},
			{"type", store.Filter{Type: "a"}, func(x store.Task) bool { return x.Type == "a" }},
			{"domain", store.Filter{Domain: "y"}, func(x store.Task) bool { return x.Domain == "y" }},
			{"type and domain", store.Filter{Type: "b", Domain: "z"}, func(x store.Task) bool { return x.Type == "b" && x.Domain == "z" }},
			{"queue", store.Filter{Queue: "q1"}, func(x store.Task) bool { return x.Queue == "q1" }},
			{"default queue", store.Filter{Queue: store.DefaultQueue}, func(x store.Task) bool { return x.Queue == store.DefaultQueue }},
			{"partition", store.Filter{Partition: "p1"}, func(x store.Task) bool { return x.Partition == "p1" }},
			{"queue and partition", store.Filter{Queue: "q2", Partition: "p1"}, func(store.Task) bool { return false }},
			{"created after", store.Filter{CreatedAfter: mid}, func(x store.Task) bool { return !x.CreatedAt.Before(mid) }},
			{"created before", store.Filter{CreatedBefore: mid}, func(x store.Task) bool { return x.CreatedAt.Before(mid) }},
			{"created range", store.Filter{CreatedAfter: all[2].CreatedAt, CreatedBefore: all[9].CreatedAt}, func(x store.Task) bool {
				return !x.CreatedAt.Before(all[2].CreatedAt) && x.CreatedAt.Before(all[9].CreatedAt)
			}},
			{"unknown type", store.Filter{Type: "nope"}, func(store.Task) bool { return false }},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var want []store.Task
				for _, x := range all {
					if tc.keep(x) {
						want = append(want, x)
					}
				}
				slices.SortFunc(want, func(a, b store.Task) int {
					if newerFirst(a, b) {
						return -1
					}
					return 1
				})
				f := tc.f
				f.Limit = 5
				got := listAll(t, ctx, b, f)
				require.Equal(t, ids(want), ids(got))
				page, err := b.List(ctx, f)
				require.NoError(t, err)
				require.Equal(t, len(want), page.Total, "total counts every match")
				require.LessOrEqual(t, len(page.Tasks), 5)
			})
		}
	})

	t.Run("Paging", func(t *testing.T) {
		ctx, b := s.fresh(t)
		var want []string
		for range 7 {
			want = append(want, mustCreate(t, ctx, b, store.NewTask{}).ID)
		}
		var got []store.Task
		f := store.Filter{Limit: 3}
		sizes := []int{}
		for {
			page, err := b.List(ctx, f)
			require.NoError(t, err)
			require.Equal(t, 7, page.Total)
			sizes = append(sizes, len(page.Tasks))
			got = append(got, page.Tasks...)
			if page.NextCursor == "" {
				break
			}
			require.Len(t, page.Tasks, 3, "only the last page is short")
			f.Cursor = page.NextCursor
		}
		require.Equal(t, []int{3, 3, 1}, sizes)
		require.Equal(t, sorted(want), sorted(ids(got)))
		require.True(t, slices.IsSortedFunc(got, func(a, b store.Task) int {
			if newerFirst(a, b) {
				return -1
			}
			return 1
		}), "newest first by (created_at, id)")
	})

	t.Run("ExactLastPage", func(t *testing.T) {
		ctx, b := s.fresh(t)
		for range 4 {
			mustCreate(t, ctx, b, store.NewTask{})
		}
		page, err := b.List(ctx, store.Filter{Limit: 2})
		require.NoError(t, err)
		require.NotEmpty(t, page.NextCursor)
		page, err = b.List(ctx, store.Filter{Limit: 2, Cursor: page.NextCursor})
		require.NoError(t, err)
		require.Len(t, page.Tasks, 2)
		require.Empty(t, page.NextCursor, "no cursor on the last page")
		page, err = b.List(ctx, store.Filter{Limit: 4})
		require.NoError(t, err)
		require.Len(t, page.Tasks, 4)
		require.Empty(t, page.NextCursor)
	})

	t.Run("LimitCap", func(t *testing.T) {
		ctx, b := s.fresh(t)
		n := store.MaxListLimit + 5
		batch := make([]store.NewTask, n)
		for i := range batch {
			batch[i] = store.NewTask{Type: "bulk"}
		}
		createAll(t, ctx, b, batch)
		page, err := b.List(ctx, store.Filter{Limit: store.MaxListLimit * 10})
		require.NoError(t, err)
		require.Len(t, page.Tasks, store.MaxListLimit)
		require.Equal(t, n, page.Total)
		require.NotEmpty(t, page.NextCursor)
		page, err = b.List(ctx, store.Filter{})
		require.NoError(t, err)
		require.Len(t, page.Tasks, store.DefaultListLimit)
	})

	t.Run("ByteBudget", func(t *testing.T) {
		ctx, b := s.fresh(t)
		const n, blob = 10, 20_000
		params := json.RawMessage(`{"blob":"` + strings.Repeat("x", blob) + `"}`)
		var want []string
		for range n {
			want = append([]string{mustCreate(t, ctx, b, store.NewTask{Params: params}).ID}, want...)
		}
		// A budget of two and a half tasks: each page stops at the task
		// that reaches it, so pages hold three tasks, the last one.
		f := store.Filter{Limit: store.MaxListLimit, MaxBytes: 5 * blob / 2}
		var got []string
		for pages := 0; ; pages++ {
			require.Less(t, pages, n, "the listing does not end")
			page, err := b.List(ctx, f)
			require.NoError(t, err)
			require.Equal(t, n, page.Total)
			require.NotEmpty(t, page.Tasks)
			sum := 0
			for i, task := range page.Tasks {
				require.Less(t, sum, f.MaxBytes, "task %d of the page comes after the budget was spent", i)
				sum += task.SizeEstimate()
				got = append(got, task.ID)
			}
			if page.NextCursor == "" {
				break
			}
			require.GreaterOrEqual(t, sum, f.MaxBytes, "a page with a cursor ends only when its budget is spent")
			require.Len(t, page.Tasks, 3)
			f.Cursor = page.NextCursor
		}
		require.Equal(t, want, got, "every task once, newest first")

		// A task larger than the whole budget still makes a page of its own.
		f = store.Filter{Limit: store.MaxListLimit, MaxBytes: 1}
		page, err := b.List(ctx, f)
		require.NoError(t, err)
		require.Len(t, page.Tasks, 1)
		require.NotEmpty(t, page.NextCursor)
	})

	t.Run("Invalid", func(t *testing.T) {
		ctx, b := s.fresh(t)
		mustCreate(t, ctx, b, store.NewTask{})
		_, err := b.List(ctx, store.Filter{Limit: -1})
		require.ErrorIs(t, err, store.ErrInvalidTask)
		_, err = b.List(ctx, store.Filter{MaxBytes: -1})
		require.ErrorIs(t, err, store.ErrInvalidTask)
		_, err = b.List(ctx, store.Filter{Cursor: "!!not a cursor"})
		require.ErrorIs(t, err, store.ErrInvalidCursor)
		_, err = b.List(ctx, store.Filter{Cursor: "WyJ4IiwieSJd"}) // ["x","y"]
		require.ErrorIs(t, err, store.ErrInvalidCursor)
		_, err = b.List(ctx, store.Filter{Statuses: []store.Status{"sleeping"}})
		require.ErrorIs(t, err, store.ErrInvalidStatus)
	})

	t.Run("StableUnderInserts", func(t *testing.T) {
		ctx, b := s.fresh(t)
		const n = 200
		original := map[string]bool{}
		for i := range n {
			original[mustCreate(t, ctx, b, store.NewTask{Type: fmt.Sprint("orig-", i)}).ID] = true
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var insertErr error
		inserted := 0
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := b.Create(ctx, store.NewTask{Type: "late"}); err != nil {
					insertErr = err
					return
				}
				inserted++
			}
		})
		seen := map[string]int{}
		f := store.Filter{Limit: 7}
		for range 1000 {
			page, err := b.List(ctx, f)
			require.NoError(t, err)
			for _, x := range page.Tasks {
				seen[x.ID]++
			}
			if page.NextCursor == "" {
				break
			}
			f.Cursor = page.NextCursor
		}
		close(stop)
		wg.Wait()
		require.NoError(t, insertErr)
		for id, c := range seen {
			require.Equal(t, 1, c, "task %s listed %d times", id, c)
		}
		for id := range original {
			require.Equal(t, 1, seen[id], "original task %s skipped", id)
		}
		t.Logf("%d tasks inserted while paging", inserted)
	})
}

func testCounts(t *testing.T, s *suite) {
	ctx, b := s.fresh(t)
	counts, err := b.Counts(ctx)
	require.NoError(t, err)
	want := map[store.Status]int{}
	for _, st := range store.Statuses() {
		want[st] = 0
	}
	require.Equal(t, want, counts, "every status is present on an empty store")

	mustCreate(t, ctx, b, store.NewTask{Hold: true})
	mustCreate(t, ctx, b, store.NewTask{Hold: true})
	mustCreate(t, ctx, b, store.NewTask{Priority: 3})
	mustCreate(t, ctx, b, store.NewTask{Priority: 2})
	mustCreate(t, ctx, b, store.NewTask{Priority: 1})
	c := mustCreate(t, ctx, b, store.NewTask{})
	_, err = b.Cancel(ctx, c.ID)
	require.NoError(t, err)
	running := claimOne(t, ctx, b, "w1", time.Minute)
	done := claimOne(t, ctx, b, "w1", time.Minute)
	require.NoError(t, finish(t, ctx, b, outcome(done, store.OutcomeComplete)))
	require.Equal(t, 3, running.Priority)

	counts, err = b.Counts(ctx)
	require.NoError(t, err)
	want[store.StatusCreated] = 2
	want[store.StatusQueued] = 1
	want[store.StatusRunning] = 1
	want[store.StatusCompleted] = 1
	want[store.StatusCancelled] = 1
	require.Equal(t, want, counts)
}
