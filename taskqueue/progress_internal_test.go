package taskqueue

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

// progressQueue is a beatQueue that also takes progress, records it, and
// fails its next call when fail is set.
type progressQueue struct {
	beatQueue
	progress [][]store.Progress
	fail     bool
}

func (q *progressQueue) HeartbeatProgress(ctx context.Context, worker string, held []string, progress []store.Progress, lease time.Duration) ([]store.Lease, error) {
	q.mu.Lock()
	fail := q.fail
	q.fail = false
	if !fail {
		q.progress = append(q.progress, progress)
	}
	q.mu.Unlock()
	if fail {
		return nil, errors.New("connection reset")
	}
	return q.Heartbeat(ctx, worker, held, lease)
}

// A periodic heartbeat carries pending progress once, names a young
// attempt that has some, puts the values back after a failed call (unless
// a newer one came), and leaves an ended attempt's progress unwritten.
func TestHeartbeatCarriesProgress(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	q := &progressQueue{beatQueue: beatQueue{alive: map[string]bool{"young": true, "quiet": true, "ended": true}}}
	p, err := NewPool(PoolConfig{
		Queue: q, Now: clock.Now, Lease: 9 * time.Second, HeartbeatInterval: 3 * time.Second,
		Dispatcher: AnyType(DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) { return nil, nil })),
	})
	require.NoError(t, err)
	hold(p, "young", clock.Now())
	hold(p, "quiet", clock.Now())
	hold(p, "ended", clock.Now().Add(-time.Minute))
	attemptCtx := func(id string) context.Context {
		p.mu.Lock()
		defer p.mu.Unlock()
		return context.WithValue(context.Background(), progressKey{}, &p.held[id].progress)
	}
	young := attemptCtx("young")
	require.NoError(t, SetProgress(young, map[string]int{"done": 1}))
	require.NoError(t, SetProgress(young, map[string]int{"done": 2}), "the latest value replaces the first")
	require.NoError(t, SetProgress(attemptCtx("ended"), "late"))
	p.mu.Lock()
	p.held["ended"].ended.Store(true)
	p.mu.Unlock()
	clock.Add(time.Second)

	require.True(t, p.heartbeat(context.Background(), false))
	require.Equal(t, [][]string{{"ended", "young"}}, q.beats, "the young attempt with progress is named, the quiet one is not")
	require.Equal(t, [][]store.Progress{{{TaskID: "young", Attempt: 1, Value: []byte(`{"done":2}`)}}}, q.progress)

	// Sent once: the next heartbeat has none, and uses Heartbeat.
	require.True(t, p.heartbeat(context.Background(), false))
	require.Len(t, q.progress, 1)
	require.Equal(t, []string{"ended"}, q.beats[1])

	// A failed heartbeat puts the value back; a newer value wins over it.
	require.NoError(t, SetProgress(young, 3))
	q.fail = true
	require.False(t, p.heartbeat(context.Background(), false))
	require.True(t, p.heartbeat(context.Background(), false))
	require.Equal(t, []store.Progress{{TaskID: "young", Attempt: 1, Value: []byte(`3`)}}, q.progress[1])
	require.NoError(t, SetProgress(young, 4))
	q.fail = true
	require.False(t, p.heartbeat(context.Background(), false))
	require.NoError(t, SetProgress(young, 5))
	require.True(t, p.heartbeat(context.Background(), false))
	require.Equal(t, []store.Progress{{TaskID: "young", Attempt: 1, Value: []byte(`5`)}}, q.progress[2])
}
