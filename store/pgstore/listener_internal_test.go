package pgstore

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

// drainEvents returns the events waiting on ch.
func drainEvents(ch <-chan store.Event) []store.Event {
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

// TestPublishPayloads checks how each notification payload reaches the
// subscribers of all events and those of one task.
func TestPublishPayloads(t *testing.T) {
	t.Parallel()
	const a, b = "00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"
	ready := store.Event{Kind: store.EventReady}
	changed := func(id string) store.Event { return store.Event{Kind: store.EventChanged, TaskID: id} }
	cases := []struct {
		payload       string
		all, ofA, ofB []store.Event
	}{
		{"r", []store.Event{ready}, nil, nil},
		{"c", []store.Event{changed("")}, []store.Event{changed("")}, []store.Event{changed("")}},
		{"c:" + a, []store.Event{changed(a)}, []store.Event{changed(a)}, nil},
		{"c:" + a + ",00000000-0000-4000-8000-00000000000c", []store.Event{changed("")}, []store.Event{changed(a)}, nil},
		{"x:" + b, []store.Event{{Kind: store.EventCancel, TaskID: b}}, nil, []store.Event{{Kind: store.EventCancel, TaskID: b}}},
		{"x", nil, nil, nil},
		{"", nil, nil, nil},
		{"zzz", nil, nil, nil},
	}
	for _, tc := range cases {
		l := NewListener("unused", ListenerOptions{})
		all, unsubscribe := l.Subscribe()
		ofA, unsubscribeA := l.SubscribeTask(a)
		ofB, unsubscribeB := l.SubscribeTask(b)
		l.publish(tc.payload)
		require.Equal(t, tc.all, drainEvents(all), "%q: subscriber of all events", tc.payload)
		require.Equal(t, tc.ofA, drainEvents(ofA), "%q: subscriber of task a", tc.payload)
		require.Equal(t, tc.ofB, drainEvents(ofB), "%q: subscriber of task b", tc.payload)
		unsubscribe()
		unsubscribeA()
		unsubscribeB()
	}
}

// TestChangedPayloads checks that the ids of a "c" notification are
// named once each, in payloads PostgreSQL accepts.
func TestChangedPayloads(t *testing.T) {
	t.Parallel()
	id := func(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", i) }
	var ids []string
	for i := range 300 {
		ids = append(ids, id(i), id(i)) // each twice: sent once
	}
	ps := changedPayloads(ids)
	require.Greater(t, len(ps), 1, "300 ids do not fit one payload")
	seen := map[string]int{}
	for _, p := range ps {
		require.LessOrEqual(t, len(p), maxPayloadBytes, "a payload within PostgreSQL's limit")
		require.Equal(t, "c:", p[:2])
		for _, x := range strings.Split(p[2:], ",") {
			seen[x]++
		}
	}
	require.Len(t, seen, 300)
	for x, n := range seen {
		require.Equal(t, 1, n, x)
	}
	require.Equal(t, []string{"c"}, changedPayloads(nil), "no names: some tasks changed")
	many := make([]string, maxNotifyIDs+1)
	for i := range many {
		many[i] = id(i)
	}
	require.Equal(t, []string{"c"}, changedPayloads(many), "too many names: some tasks changed")
}
