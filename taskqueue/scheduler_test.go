package taskqueue_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/fakeclock"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/memstore"
	"github.com/seedcore/seedcore/taskqueue"
)

// scheduled returns the idempotency keys of the tasks of type typ, sorted.
func scheduled(t *testing.T, s store.Store, typ string) []string {
	t.Helper()
	page, err := s.List(context.Background(), store.Filter{Type: typ, Limit: store.MaxListLimit})
	require.NoError(t, err)
	var keys []string
	for _, task := range page.Tasks {
		keys = append(keys, task.IdempotencyKey)
	}
	sort.Strings(keys)
	return keys
}

func newScheduler(t *testing.T, s *memstore.Store, schedules ...taskqueue.Schedule) *taskqueue.Scheduler {
	t.Helper()
	sc, err := taskqueue.NewScheduler(taskqueue.SchedulerConfig{Store: s, Enqueue: s.Create, Schedules: schedules})
	require.NoError(t, err)
	return sc
}

// TestSchedulerSlots: on the store's clock, each slot of a five-field, a
// six-field and an @every schedule is created once, with the slot's key,
// and not before its time; the next run is stored.
func TestSchedulerSlots(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := fakeclock.New(start)
	s := memstore.New(memstore.Options{Now: clock.Now})
	ctx := context.Background()
	sc := newScheduler(t, s,
		taskqueue.Schedule{Name: "minutely", Spec: "* * * * *", Task: store.NewTask{Type: "minutely"}},
		taskqueue.Schedule{Name: "tens", Spec: "*/10 * * * * *", Task: store.NewTask{Type: "tens"}},
		taskqueue.Schedule{Name: "halfminute", Spec: "@every 30s", Task: store.NewTask{Type: "halfminute"}},
	)
	wait, err := sc.Check(ctx)
	require.NoError(t, err)
	require.Equal(t, taskqueue.DefaultSchedulerInterval, wait, "the next slot (00:00:10) is further than the longest wait")
	require.Empty(t, scheduled(t, s, "minutely"), "no slot before the schedule was first seen")

	clock.Advance(61 * time.Second)
	_, err = sc.Check(ctx)
	require.NoError(t, err)
	at := func(sec int) string { return start.Add(time.Duration(sec) * time.Second).Format(time.RFC3339Nano) }
	require.Equal(t, []string{"schedule:minutely:" + at(60)}, scheduled(t, s, "minutely"))
	require.Equal(t, []string{"schedule:halfminute:" + at(30), "schedule:halfminute:" + at(60)}, scheduled(t, s, "halfminute"))
	require.Len(t, scheduled(t, s, "tens"), 6)
	require.Equal(t, taskqueue.ScheduleKey("tens", start.Add(10*time.Second)), scheduled(t, s, "tens")[0])

	// Again at the same time: nothing new.
	_, err = sc.Check(ctx)
	require.NoError(t, err)
	require.Len(t, scheduled(t, s, "tens"), 6)

	infos, err := sc.Schedules(ctx)
	require.NoError(t, err)
	require.Len(t, infos, 3)
	require.Equal(t, "halfminute", infos[0].Name)
	require.Equal(t, "skip", infos[0].Missed)
	require.Equal(t, "UTC", infos[0].Timezone)
	require.True(t, infos[0].LastRun.Equal(start.Add(60*time.Second)))
	require.True(t, infos[0].NextRun.Equal(start.Add(90*time.Second)))
	require.True(t, infos[1].NextRun.Equal(start.Add(120*time.Second)), "minutely")
}

// TestSchedulerTwoLeadersOneTask: two schedulers checking the same slots
// at once (two leaders overlapping, or a new one after a crash between
// the create and the record) create each slot's task once.
func TestSchedulerTwoLeadersOneTask(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := fakeclock.New(start)
	s := memstore.New(memstore.Options{Now: clock.Now})
	ctx := context.Background()
	def := taskqueue.Schedule{Name: "tick", Spec: "@every 1s", Task: store.NewTask{Type: "tick"}}
	a, b := newScheduler(t, s, def), newScheduler(t, s, def)
	_, err := a.Check(ctx)
	require.NoError(t, err)
	for range 20 {
		clock.Advance(1500 * time.Millisecond)
		var wg sync.WaitGroup
		for _, sc := range []*taskqueue.Scheduler{a, b} {
			wg.Go(func() {
				_, err := sc.Check(ctx)
				require.NoError(t, err)
			})
		}
		wg.Wait()
	}
	keys := scheduled(t, s, "tick")
	require.Len(t, keys, 30, "one task per second of 30")
	for i, k := range keys {
		require.Equal(t, taskqueue.ScheduleKey("tick", start.Add(time.Duration(i+1)*time.Second)), k)
	}
}

// TestSchedulerMissedSlots: slots older than MissedAfter when a leader
// sees them are dropped (skip) or run once (run_once); newer ones are
// all created.
func TestSchedulerMissedSlots(t *testing.T) {
	t.Parallel()
	for _, policy := range []taskqueue.MissedPolicy{taskqueue.MissedSkip, taskqueue.MissedRunOnce} {
		t.Run(policy.String(), func(t *testing.T) {
			t.Parallel()
			start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			clock := fakeclock.New(start)
			s := memstore.New(memstore.Options{Now: clock.Now})
			ctx := context.Background()
			sc := newScheduler(t, s, taskqueue.Schedule{Name: "m", Spec: "* * * * *", Task: store.NewTask{Type: "m"}, Missed: policy})
			_, err := sc.Check(ctx)
			require.NoError(t, err)
			// Down from 00:00 to 00:11:01: slots 00:01 to 00:10 are more
			// than a minute old, 00:11 is one second old.
			clock.Advance(11*time.Minute + time.Second)
			_, err = sc.Check(ctx)
			require.NoError(t, err)
			want := []string{taskqueue.ScheduleKey("m", start.Add(11*time.Minute))}
			if policy == taskqueue.MissedRunOnce {
				want = append([]string{taskqueue.ScheduleKey("m", start.Add(10*time.Minute))}, want...)
			}
			require.Equal(t, want, scheduled(t, s, "m"))
			infos, err := sc.Schedules(ctx)
			require.NoError(t, err)
			require.True(t, infos[0].LastRun.Equal(start.Add(11*time.Minute)))
		})
	}
}

// TestSchedulerTimeZone: a schedule's fields are read in its Location,
// or in the zone of a CRON_TZ prefix.
func TestSchedulerTimeZone(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone database")
	}
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := memstore.New(memstore.Options{Now: fakeclock.New(start).Now})
	ctx := context.Background()
	sc := newScheduler(t, s,
		taskqueue.Schedule{Name: "loc", Spec: "0 9 * * *", Location: paris, Task: store.NewTask{Type: "x"}},
		taskqueue.Schedule{Name: "tz", Spec: "CRON_TZ=America/New_York 0 9 * * *", Task: store.NewTask{Type: "x"}},
	)
	_, err = sc.Check(ctx)
	require.NoError(t, err)
	infos, err := sc.Schedules(ctx)
	require.NoError(t, err)
	require.Equal(t, "Europe/Paris", infos[0].Timezone)
	require.True(t, infos[0].NextRun.Equal(time.Date(2030, 1, 1, 8, 0, 0, 0, time.UTC)), "09:00 in Paris is 08:00 UTC in winter: %s", infos[0].NextRun)
	require.True(t, infos[1].NextRun.Equal(time.Date(2030, 1, 1, 14, 0, 0, 0, time.UTC)), "09:00 in New York is 14:00 UTC in winter: %s", infos[1].NextRun)
}

// TestSchedulerConfig: bad schedules are refused, naming them.
func TestSchedulerConfig(t *testing.T) {
	t.Parallel()
	s := memstore.New(memstore.Options{})
	ok := store.NewTask{Type: "x"}
	for name, scs := range map[string][]taskqueue.Schedule{
		"bad spec":   {{Name: "a", Spec: "every minute", Task: ok}},
		"six fields": {{Name: "a", Spec: "* * * * * * *", Task: ok}},
		"no name":    {{Spec: "* * * * *", Task: ok}},
		"bad name":   {{Name: "a b", Spec: "* * * * *", Task: ok}},
		"twice":      {{Name: "a", Spec: "* * * * *", Task: ok}, {Name: "a", Spec: "@hourly", Task: ok}},
		"key":        {{Name: "a", Spec: "* * * * *", Task: store.NewTask{Type: "x", IdempotencyKey: "k"}}},
		"bad task":   {{Name: "a", Spec: "* * * * *", Task: store.NewTask{}}},
		"policy":     {{Name: "a", Spec: "* * * * *", Task: ok, Missed: 7}},
	} {
		_, err := taskqueue.NewScheduler(taskqueue.SchedulerConfig{Store: s, Enqueue: s.Create, Schedules: scs})
		require.ErrorIs(t, err, taskqueue.ErrInvalidConfig, name)
	}
	_, err := taskqueue.NewScheduler(taskqueue.SchedulerConfig{Store: s, Enqueue: s.Create, Schedules: []taskqueue.Schedule{
		{Name: "a", Spec: "@every 30s", Task: ok}, {Name: "b", Spec: "0 */5 * * * *", Task: ok}, {Name: "c", Spec: "@daily", Task: ok},
	}})
	require.NoError(t, err)
}

// TestSchedulerPostgres: on PostgreSQL the slots follow the database's
// clock, and every second's slot of "@every 1s" is created once by two
// schedulers checking on their own.
func TestSchedulerPostgres(t *testing.T) {
	t.Parallel()
	e := newPG(t)
	def := taskqueue.Schedule{Name: "tick", Spec: "@every 1s", Task: store.NewTask{Type: "tick"}}
	var scs []*taskqueue.Scheduler
	for range 2 {
		sc, err := taskqueue.NewScheduler(taskqueue.SchedulerConfig{Store: e.s, Enqueue: e.s.Create, Schedules: []taskqueue.Schedule{def}})
		require.NoError(t, err)
		scs = append(scs, sc)
		serveUntil(t, sc.Serve)
	}
	eventually(t, 20*time.Second, func() bool { return len(scheduled(t, e.s, "tick")) >= 3 }, "three slots")
	infos, err := scs[0].Schedules(context.Background())
	require.NoError(t, err)
	require.NotNil(t, infos[0].LastRun)
	keys := scheduled(t, e.s, "tick")
	for i := 1; i < len(keys); i++ {
		prev, err := time.Parse(time.RFC3339Nano, keys[i-1][len("schedule:tick:"):])
		require.NoError(t, err)
		cur, err := time.Parse(time.RFC3339Nano, keys[i][len("schedule:tick:"):])
		require.NoError(t, err)
		require.Equal(t, time.Second, cur.Sub(prev), "consecutive slots, none missed or twice: %v", keys)
	}
}
