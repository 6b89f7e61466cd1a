package taskqueue_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

func TestHandlerOptions(t *testing.T) {
	t.Parallel()
	noop := taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) { return nil, nil })
	mux := taskqueue.NewMux()
	require.NoError(t, mux.Handle("plain", noop))
	require.NoError(t, mux.Handle("images", noop, taskqueue.WithQueue("media")))
	require.NoError(t, taskqueue.HandleFunc(mux, "typed", func(context.Context, *store.Task, struct{}) (int, error) { return 1, nil },
		taskqueue.WithQueue("first"), nil, taskqueue.WithQueue("last")))

	for typ, queue := range map[string]string{"plain": store.DefaultQueue, "images": "media", "typed": "last"} {
		cfg, ok := mux.Config(typ)
		require.True(t, ok, typ)
		require.Equal(t, queue, cfg.Queue, typ)
	}
	_, ok := mux.Config("missing")
	require.False(t, ok)

	for _, bad := range []string{"", "has space", "-lead", "a/b", string(make([]byte, store.MaxQueueLen+1))} {
		err := mux.Handle("bad-queue", noop, taskqueue.WithQueue(bad))
		require.ErrorIs(t, err, taskqueue.ErrInvalidConfig, "queue %q", bad)
	}
	_, ok = mux.Config("bad-queue")
	require.False(t, ok, "a refused registration registered the handler")
	require.ErrorIs(t, mux.Handle("not a type", noop), taskqueue.ErrInvalidConfig)
	require.Equal(t, []string{"images", "plain", "typed"}, mux.Types())
}

func TestClaimTypes(t *testing.T) {
	t.Parallel()
	noop := taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) { return nil, nil })
	mux := taskqueue.NewMux()
	require.NoError(t, mux.Handle("b", noop))
	require.NoError(t, mux.Handle("a", noop))
	for name, tc := range map[string]struct {
		d       taskqueue.Dispatcher
		types   []string
		any, ok bool
	}{
		"mux":      {mux, []string{"a", "b"}, false, true},
		"typed":    {taskqueue.Typed(noop, "y", "x", "y"), []string{"x", "y"}, false, true},
		"any type": {taskqueue.AnyType(noop), nil, true, true},
		"plain":    {noop, nil, false, false},
	} {
		types, any, ok := taskqueue.ClaimTypes(tc.d)
		require.Equal(t, tc.types, types, name)
		require.Equal(t, tc.any, any, name)
		require.Equal(t, tc.ok, ok, name)
	}
	typed := taskqueue.Typed(noop, "x")
	require.True(t, typed.Handles("x"))
	require.False(t, typed.Handles("y"))
}

// A handler option chooses the default queue of its type.
func ExampleWithQueue() {
	mux := taskqueue.NewMux()
	_ = taskqueue.HandleFunc(mux, "resize", func(context.Context, *store.Task, struct{}) (struct{}, error) {
		return struct{}{}, nil
	}, taskqueue.WithQueue("images"))
	cfg, _ := mux.Config("resize")
	fmt.Println(cfg.Queue, mux.Types())
	// Output: images [resize]
}
