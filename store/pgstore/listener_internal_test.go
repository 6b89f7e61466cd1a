package pgstore

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

func TestParsePayload(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want store.Event
		ok   bool
	}{
		{"r", store.Event{Kind: store.EventReady}, true},
		{"c", store.Event{Kind: store.EventChanged}, true},
		{"c:abc", store.Event{Kind: store.EventChanged, TaskID: "abc"}, true},
		{"x:abc", store.Event{Kind: store.EventCancel, TaskID: "abc"}, true},
		{"x", store.Event{}, false},
		{"", store.Event{}, false},
		{"zzz", store.Event{}, false},
	}
	for _, tc := range cases {
		got, ok := parsePayload(tc.in)
		require.Equal(t, tc.ok, ok, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

// TestPublishOverflowOwesResync checks that a full subscriber never blocks
// the listener and, once it has room again, gets a resync standing for the
// events it missed.
func TestPublishOverflowOwesResync(t *testing.T) {
	t.Parallel()
	l := NewListener("unused", ListenerOptions{Buffer: 2})
	slow, unsubscribe := l.Subscribe()
	defer unsubscribe()
	fast, unsubscribeFast := l.Subscribe()
	defer unsubscribeFast()

	ready := store.Event{Kind: store.EventReady}
	cancel := store.Event{Kind: store.EventCancel, TaskID: "a"}
	l.publish(ready)
	l.publish(cancel)
	<-fast
	<-fast
	l.publish(ready) // slow is full: dropped
	l.publish(ready) // still full: covered by the owed resync
	<-fast
	<-fast

	require.Equal(t, ready, <-slow)
	require.Equal(t, cancel, <-slow)
	require.Empty(t, slow)

	changed := store.Event{Kind: store.EventChanged, TaskID: "b"}
	l.publish(changed)
	require.Equal(t, store.Event{Kind: store.EventResync}, <-slow, "owed resync comes first")
	require.Equal(t, changed, <-slow)
	require.Equal(t, changed, <-fast)

	// A resync that settles the debt is not sent twice.
	l.publish(ready)
	l.publish(ready)
	l.publish(ready) // dropped
	<-slow
	<-slow
	l.publish(store.Event{Kind: store.EventResync})
	require.Equal(t, store.Event{Kind: store.EventResync}, <-slow)
	require.Empty(t, slow)

	unsubscribe()
	_, open := <-slow
	require.False(t, open, "unsubscribe closes the channel")
	unsubscribe() // a second call is harmless
}
