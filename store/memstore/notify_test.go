package memstore

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

// drain returns every event waiting on ch. Events are sent before the
// store call returns, so no wait is needed.
func drain(ch <-chan store.Event) []store.Event {
	var out []store.Event
	for {
		select {
		case ev := <-ch:
			out = append(out, ev)
		default:
			return out
		}
	}
}

func TestNotifications(t *testing.T) {
	ctx, s, clock := newClocked(t)
	events, unsubscribe := s.Subscribe()
	defer unsubscribe()
	ready := store.Event{Kind: store.EventReady}
	changed := func(id string) store.Event { return store.Event{Kind: store.EventChanged, TaskID: id} }

	held := create(t, ctx, s, store.NewTask{Hold: true})
	require.Empty(t, drain(events), "a held task is not ready")
	create(t, ctx, s, store.NewTask{RunAfter: clock.Now().Add(time.Hour)})
	require.Empty(t, drain(events), "a delayed task is not ready")

	_, err := s.Run(ctx, held.ID)
	require.NoError(t, err)
	require.Equal(t, []store.Event{ready, changed(held.ID)}, drain(events))

	running := claim(t, ctx, s, time.Minute)
	require.Len(t, running, 1)
	require.Equal(t, []store.Event{changed(held.ID)}, drain(events))

	_, err = s.Cancel(ctx, held.ID)
	require.NoError(t, err)
	require.Equal(t, []store.Event{{Kind: store.EventCancel, TaskID: held.ID}}, drain(events))
	_, err = s.Cancel(ctx, held.ID)
	require.NoError(t, err)
	require.Empty(t, drain(events), "a repeated cancel request says nothing new")

	errs, err := s.Finish(ctx, []store.Outcome{{TaskID: held.ID, Worker: "w", Attempt: 1, Kind: store.OutcomeComplete}})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	require.Equal(t, []store.Event{changed(held.ID)}, drain(events))

	n, err := s.CreateMany(ctx, []store.NewTask{{Type: "a"}, {Type: "b"}, {Type: "c"}})
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.Equal(t, []store.Event{ready}, drain(events), "one ready event per operation")

	next := claim(t, ctx, s, time.Minute)[0]
	drain(events)
	_, err = s.Finish(ctx, []store.Outcome{{TaskID: next.ID, Worker: "w", Attempt: 1, Kind: store.OutcomeRelease}})
	require.NoError(t, err)
	require.Equal(t, []store.Event{ready, changed(next.ID)}, drain(events))

	next = claim(t, ctx, s, time.Minute)[0]
	drain(events)
	_, err = s.Finish(ctx, []store.Outcome{{TaskID: next.ID, Worker: "w", Attempt: next.Attempts, Kind: store.OutcomeRetry, RetryIn: time.Hour}})
	require.NoError(t, err)
	require.Equal(t, []store.Event{changed(next.ID)}, drain(events), "a retry due later is not ready")

	unsubscribe()
	unsubscribe() // a second call is harmless
	create(t, ctx, s, store.NewTask{})
	require.Empty(t, drain(events), "no events after unsubscribe")
	select {
	case _, ok := <-events:
		require.True(t, ok, "unsubscribe closed the channel")
	default:
	}
}

func TestNotificationsRescue(t *testing.T) {
	ctx, s, clock := newClocked(t)
	task := create(t, ctx, s, store.NewTask{})
	claim(t, ctx, s, time.Second)
	events, unsubscribe := s.Subscribe()
	defer unsubscribe()
	clock.Advance(2 * time.Second)
	require.Len(t, rescue(t, ctx, s), 1)
	require.Equal(t, []store.Event{{Kind: store.EventReady}, {Kind: store.EventChanged, TaskID: task.ID}}, drain(events))
}

func TestNotificationsOverflow(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := New(Options{EventBuffer: 2})
	slow, unsubscribeSlow := s.Subscribe()
	defer unsubscribeSlow()
	fast, unsubscribeFast := s.Subscribe()
	defer unsubscribeFast()

	var fastSeen int
	for range 5 {
		create(t, ctx, s, store.NewTask{})
		fastSeen += len(drain(fast))
	}
	require.Equal(t, 5, fastSeen, "a slow subscriber does not hold back a fast one")
	require.Len(t, drain(slow), 2, "the full buffer dropped the rest")

	create(t, ctx, s, store.NewTask{})
	require.Equal(t, []store.Event{{Kind: store.EventResync}, {Kind: store.EventReady}}, drain(slow),
		"after a drop the subscriber is told to resync")
	create(t, ctx, s, store.NewTask{})
	require.Equal(t, []store.Event{{Kind: store.EventReady}}, drain(slow))
}
