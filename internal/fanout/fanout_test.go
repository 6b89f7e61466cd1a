package fanout_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/fanout"
	"github.com/seedcore/seedcore/store"
)

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

var (
	ready  = store.Event{Kind: store.EventReady}
	resync = store.Event{Kind: store.EventResync}
	some   = store.Event{Kind: store.EventChanged}
)

func changed(id string) store.Event { return store.Event{Kind: store.EventChanged, TaskID: id} }
func cancel(id string) store.Event  { return store.Event{Kind: store.EventCancel, TaskID: id} }

// TestRouting checks which events reach a subscriber of all events and
// the subscribers of one task.
func TestRouting(t *testing.T) {
	t.Parallel()
	h := fanout.New(16, 0)
	require.False(t, h.Active())
	h.Send(ready) // nobody listens: nothing happens
	all, unsubscribe := h.Subscribe()
	defer unsubscribe()
	a1, unsubscribeA1 := h.SubscribeTask("a")
	defer unsubscribeA1()
	a2, unsubscribeA2 := h.SubscribeTask("a")
	defer unsubscribeA2()
	b, unsubscribeB := h.SubscribeTask("b")
	defer unsubscribeB()
	require.True(t, h.Active())

	h.Send(ready, changed("a"), cancel("b"), some, resync)
	require.Equal(t, []store.Event{ready, changed("a"), cancel("b"), some, resync}, drain(all))
	require.Equal(t, []store.Event{changed("a"), some, resync}, drain(a1))
	require.Equal(t, []store.Event{changed("a"), some, resync}, drain(a2))
	require.Equal(t, []store.Event{cancel("b"), some, resync}, drain(b))

	h.SendChanged([]string{"a", "c"})
	require.Equal(t, []store.Event{some}, drain(all), "many ids are one event for a subscriber of all")
	require.Equal(t, []store.Event{changed("a")}, drain(a1))
	require.Equal(t, []store.Event{changed("a")}, drain(a2))
	require.Empty(t, drain(b))

	h.SendChanged([]string{"b"})
	require.Equal(t, []store.Event{changed("b")}, drain(all), "one id is named to everyone")
	require.Equal(t, []store.Event{changed("b")}, drain(b))
	require.Empty(t, drain(a1))

	unsubscribeA1()
	unsubscribeA1() // a second call is harmless
	h.Send(changed("a"))
	require.Empty(t, drain(a1), "nothing after unsubscribe")
	require.Equal(t, []store.Event{changed("a")}, drain(a2))
	select {
	case <-a1:
		t.Fatal("unsubscribe closed the channel")
	default:
	}
}

// TestOverflowOwesResync checks that a full subscriber never blocks the
// sender and, once it has room again, gets a resync standing for the
// events it missed, once.
func TestOverflowOwesResync(t *testing.T) {
	t.Parallel()
	h := fanout.New(2, 2)
	slow, unsubscribe := h.Subscribe()
	defer unsubscribe()
	task, unsubscribeTask := h.SubscribeTask("a")
	defer unsubscribeTask()

	h.Send(ready, cancel("a"))
	h.Send(ready) // slow is full: dropped
	h.Send(ready) // still full: covered by the owed resync
	require.Equal(t, ready, <-slow)
	require.Equal(t, cancel("a"), <-slow)
	require.Empty(t, slow)
	h.Send(changed("b"))
	require.Equal(t, []store.Event{resync, changed("b")}, drain(slow), "owed resync comes first")

	h.Send(changed("a"), changed("a"), changed("a")) // task holds two of cancel, changed, changed
	require.Equal(t, []store.Event{cancel("a"), changed("a")}, drain(task))
	h.Send(resync)
	require.Equal(t, []store.Event{resync}, drain(task), "a resync that settles the debt is sent once")
}

// TestConcurrent sends while subscribers come and go; run with -race.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	h := fanout.New(4, 0)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				var (
					ch          <-chan store.Event
					unsubscribe func()
				)
				if i%2 == 0 {
					ch, unsubscribe = h.Subscribe()
				} else {
					ch, unsubscribe = h.SubscribeTask(fmt.Sprint(j % 3))
				}
				drain(ch)
				unsubscribe()
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for j := range 2000 {
				h.Send(changed(fmt.Sprint(j % 3)))
				h.SendChanged([]string{"0", "1"})
			}
		})
	}
	wg.Wait()
	require.False(t, h.Active(), "every subscription ended")
}
