package demo_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/examples/demo"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

func TestDispatcher(t *testing.T) {
	t.Parallel()
	d := demo.Dispatcher()
	require.Equal(t, []string{"fail", "flaky", "sleep", "test"}, d.Types())
	ctx := context.Background()
	res, err := d.Dispatch(ctx, &store.Task{Type: "test", Description: "hi"})
	require.NoError(t, err)
	require.JSONEq(t, `{"ok":true,"description":"hi"}`, string(res))
	res, err = d.Dispatch(ctx, &store.Task{Type: "sleep", Params: []byte(`{"ms":1}`)})
	require.NoError(t, err)
	require.JSONEq(t, `{"slept_ms":1}`, string(res))
	_, err = d.Dispatch(ctx, &store.Task{Type: "fail"})
	require.ErrorIs(t, err, demo.ErrAlwaysFails)
	_, err = d.Dispatch(ctx, &store.Task{Type: "flaky", Attempts: 2, Params: []byte(`{"failures":2}`)})
	require.ErrorIs(t, err, demo.ErrFlaky)
	res, err = d.Dispatch(ctx, &store.Task{Type: "flaky", Attempts: 2})
	require.NoError(t, err)
	require.JSONEq(t, `{"attempt":2}`, string(res))
	_, err = d.Dispatch(ctx, &store.Task{Type: "other"})
	require.ErrorIs(t, err, taskqueue.ErrUnknownType)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = d.Dispatch(cancelled, &store.Task{Type: "sleep", Params: []byte(`{"ms":60000}`)})
	require.ErrorIs(t, err, context.Canceled)
}
