package taskqueue_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

func TestMuxRegistration(t *testing.T) {
	t.Parallel()
	m := taskqueue.NewMux()
	noop := taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) { return nil, nil })
	require.NoError(t, m.Handle("a", noop))
	require.ErrorIs(t, m.Handle("a", noop), taskqueue.ErrInvalidConfig, "duplicate type")
	require.ErrorIs(t, m.Handle("", noop), taskqueue.ErrInvalidConfig, "empty type")
	require.ErrorIs(t, m.Handle("b", nil), taskqueue.ErrInvalidConfig, "nil dispatcher")
	require.ErrorIs(t, taskqueue.HandleFunc[struct{}, int](m, "c", nil), taskqueue.ErrInvalidConfig)
	require.Equal(t, []string{"a"}, m.Types())

	_, err := m.Dispatch(context.Background(), &store.Task{Type: "zzz"})
	require.ErrorIs(t, err, taskqueue.ErrUnknownType)
	require.ErrorIs(t, err, taskqueue.ErrPermanent)
}

func TestHandleFuncTyped(t *testing.T) {
	t.Parallel()
	type params struct {
		Big json.Number `json:"big"`
	}
	m := taskqueue.NewMux()
	require.NoError(t, taskqueue.HandleFunc(m, "echo", func(_ context.Context, _ *store.Task, p params) (params, error) {
		return p, nil
	}))
	require.NoError(t, taskqueue.HandleFunc(m, "unencodable", func(context.Context, *store.Task, struct{}) (func(), error) {
		return func() {}, nil
	}))
	res, err := m.Dispatch(context.Background(), &store.Task{Type: "echo", Params: json.RawMessage(`{"big":12345678901234567890}`)})
	require.NoError(t, err)
	require.JSONEq(t, `{"big":12345678901234567890}`, string(res), "numbers stay exact")

	_, err = m.Dispatch(context.Background(), &store.Task{Type: "echo", Params: json.RawMessage(`[1,2]`)})
	require.ErrorIs(t, err, taskqueue.ErrDecodeParams)
	require.ErrorIs(t, err, taskqueue.ErrPermanent)

	_, err = m.Dispatch(context.Background(), &store.Task{Type: "unencodable"})
	require.ErrorIs(t, err, taskqueue.ErrPermanent)
}

func TestOutcomeErrors(t *testing.T) {
	t.Parallel()
	cause := fmt.Errorf("root cause")
	p := taskqueue.Permanent(cause)
	require.ErrorIs(t, p, taskqueue.ErrPermanent)
	require.ErrorIs(t, p, cause)
	c := taskqueue.Cancelled(cause)
	require.ErrorIs(t, c, taskqueue.ErrCancelled)
	require.ErrorIs(t, c, cause)
	require.ErrorIs(t, taskqueue.Cancelled(nil), taskqueue.ErrCancelled)
	r := fmt.Errorf("wrapped: %w", taskqueue.RetryAfter(3*time.Second, cause))
	var ra *taskqueue.RetryAfterError
	require.True(t, errors.As(r, &ra))
	require.Equal(t, 3*time.Second, ra.Delay)
	require.ErrorIs(t, r, cause)
	require.NotErrorIs(t, r, taskqueue.ErrPermanent)
}

func TestExponentialBackoff(t *testing.T) {
	t.Parallel()
	b := taskqueue.ExponentialBackoff{Base: 100 * time.Millisecond, Max: time.Second}
	for attempt, ceiling := range map[int]time.Duration{
		0: 100 * time.Millisecond, 1: 100 * time.Millisecond, 2: 200 * time.Millisecond,
		3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 80: time.Second,
	} {
		var maxSeen time.Duration
		for range 2000 {
			d := b.NextRetry(attempt)
			require.GreaterOrEqual(t, d, time.Duration(0))
			require.LessOrEqual(t, d, ceiling, "attempt %d", attempt)
			maxSeen = max(maxSeen, d)
		}
		// Full jitter spreads delays over the whole range.
		require.Greater(t, maxSeen, ceiling/2, "attempt %d", attempt)
	}
	def := taskqueue.ExponentialBackoff{}
	require.LessOrEqual(t, def.NextRetry(1), time.Second)
	require.LessOrEqual(t, def.NextRetry(1000), time.Hour)
}

// TestOutcomeErrorText: the outcome wrappers name their reason, or <nil>
// when there is none.
func TestOutcomeErrorText(t *testing.T) {
	t.Parallel()
	reason := errors.New("gone")
	for _, tc := range []struct {
		err  error
		want string
	}{
		{taskqueue.Permanent(reason), "permanent: gone"},
		{taskqueue.Permanent(nil), "permanent: <nil>"},
		{taskqueue.Cancelled(nil), "cancelled: <nil>"},
		{taskqueue.Cancelled(reason), "cancelled: gone"},
		{taskqueue.RetryAfter(time.Minute, reason), "retry after 1m0s: gone"},
		{taskqueue.RetryAfter(time.Second, nil), "retry after 1s: <nil>"},
	} {
		require.Equal(t, tc.want, tc.err.Error())
	}
}
