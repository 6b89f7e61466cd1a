package httpapi

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

func TestConcerns(t *testing.T) {
	t.Parallel()
	const id, other = "0a0a0a0a-0000-7000-8000-000000000001", "0a0a0a0a-0000-7000-8000-000000000002"
	tests := []struct {
		ev   store.Event
		want bool
	}{
		{store.Event{Kind: store.EventChanged, TaskID: id}, true},
		{store.Event{Kind: store.EventChanged}, true},
		{store.Event{Kind: store.EventChanged, TaskID: other}, false},
		{store.Event{Kind: store.EventCancel, TaskID: id}, true},
		{store.Event{Kind: store.EventCancel, TaskID: other}, false},
		{store.Event{Kind: store.EventCancel}, false},
		{store.Event{Kind: store.EventResync}, true},
		{store.Event{Kind: store.EventReady}, false},
		{store.Event{Kind: store.EventReady, TaskID: id}, false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, concerns(tt.ev, id), "%+v", tt.ev)
	}
}
