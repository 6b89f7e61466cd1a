package taskqueue_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// TestOutcomes runs every outcome path against every backend.
func TestOutcomes(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		cases := []struct {
			name       string
			maxAttempt int
			dispatch   func(ctx context.Context, task *store.Task) (json.RawMessage, error)
			timeout    time.Duration
			want       store.Status
			attempts   int
			errHas     string
			result     string
		}{
			{
				name: "success",
				dispatch: func(context.Context, *store.Task) (json.RawMessage, error) {
					return okResult(map[string]int{"n": 1}), nil
				},
				want: store.StatusCompleted, attempts: 1, result: `{"n": 1}`,
			},
			{
				name: "error then success",
				dispatch: func(_ context.Context, task *store.Task) (json.RawMessage, error) {
					if task.Attempts < 3 {
						return nil, errBoom
					}
					return okResult("third time"), nil
				},
				want: store.StatusCompleted, attempts: 3, result: `"third time"`,
			},
			{
				name:       "exhaustion fails",
				maxAttempt: 3,
				dispatch:   func(context.Context, *store.Task) (json.RawMessage, error) { return nil, errBoom },
				want:       store.StatusFailed, attempts: 3, errHas: "boom",
			},
			{
				name: "permanent fails at once",
				dispatch: func(context.Context, *store.Task) (json.RawMessage, error) {
					return nil, taskqueue.Permanent(fmt.Errorf("bad input"))
				},
				want: store.StatusFailed, attempts: 1, errHas: "bad input",
			},
			{
				name: "retry after",
				dispatch: func(_ context.Context, task *store.Task) (json.RawMessage, error) {
					if task.Attempts == 1 {
						return nil, taskqueue.RetryAfter(5*time.Millisecond, fmt.Errorf("come back later"))
					}
					return okResult("ok"), nil
				},
				want: store.StatusCompleted, attempts: 2, result: `"ok"`,
			},
			{
				name:       "panic fails the attempt, not the worker",
				maxAttempt: 2,
				dispatch:   func(context.Context, *store.Task) (json.RawMessage, error) { panic("kaboom") },
				want:       store.StatusFailed, attempts: 2, errHas: "kaboom",
			},
			{
				name:       "timeout",
				maxAttempt: 2,
				timeout:    20 * time.Millisecond,
				dispatch: func(ctx context.Context, _ *store.Task) (json.RawMessage, error) {
					<-ctx.Done()
					return nil, ctx.Err()
				},
				want: store.StatusFailed, attempts: 2, errHas: "timed out",
			},
			{
				name: "dispatcher cancels",
				dispatch: func(context.Context, *store.Task) (json.RawMessage, error) {
					return nil, taskqueue.Cancelled(fmt.Errorf("no longer wanted"))
				},
				want: store.StatusCancelled, attempts: 1, errHas: "no longer wanted",
			},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				mux := taskqueue.NewMux()
				typ := "t" + fmt.Sprint(time.Now().UnixNano())
				require.NoError(t, mux.Handle(typ, taskqueue.DispatcherFunc(tc.dispatch)))
				_, stop := startPool(t, taskqueue.PoolConfig{
					Queue: e.be, Notifier: e.notifier, Dispatcher: mux, Concurrency: 4,
					RetryPolicy: fastRetry, Timeout: tc.timeout, PollInterval: 20 * time.Millisecond,
				})
				defer stop()
				task := create(t, e.be, store.NewTask{Type: typ, MaxAttempts: tc.maxAttempt})
				got := waitStatus(t, e.be, task.ID, tc.want, 10*time.Second)
				require.Equal(t, tc.attempts, got.Attempts)
				require.Contains(t, got.Error, tc.errHas)
				if tc.result != "" {
					require.JSONEq(t, tc.result, string(got.Result))
				}
				require.NotNil(t, got.FinishedAt)
				require.Empty(t, got.LockedBy)
			})
		}
	})
}

// TestPoolsClaimOnlyTheirTypes runs two pools on one backend, as two
// processes with different handlers on one database: each must run only
// the tasks of its own types, and a task no pool handles must stay
// queued, never fail ("no handler for task type").
func TestPoolsClaimOnlyTheirTypes(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		muxFor := func(name, taskType string) *taskqueue.Mux {
			mux := taskqueue.NewMux()
			require.NoError(t, mux.Handle(taskType, taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
				return okResult(map[string]string{"pool": name}), nil
			})))
			return mux
		}
		for _, name := range []string{"a", "b"} {
			startPool(t, taskqueue.PoolConfig{
				Queue: e.be, Notifier: e.notifier, Dispatcher: muxFor(name, "type-"+name),
				WorkerName: "pool-" + name, PollInterval: 20 * time.Millisecond,
			})
		}
		orphan := create(t, e.be, store.NewTask{Type: "nobody-handles-this", Priority: 100})
		var tasks []store.Task
		for i := range 40 {
			tasks = append(tasks, create(t, e.be, store.NewTask{Type: "type-" + []string{"a", "b"}[i%2]}))
		}
		for _, task := range tasks {
			got := waitStatus(t, e.be, task.ID, store.StatusCompleted, 10*time.Second)
			require.JSONEq(t, `{"pool":"`+strings.TrimPrefix(task.Type, "type-")+`"}`, string(got.Result), "task of type %s", task.Type)
			require.Equal(t, 1, got.Attempts)
		}
		got, err := e.be.Get(context.Background(), orphan.ID)
		require.NoError(t, err)
		require.Equal(t, store.StatusQueued, got.Status)
		require.Zero(t, got.Attempts)
		require.Empty(t, got.Error)
	})
}

// TestPoolClaimsHandlersAddedWhileServing: a Mux that gains a handler
// while its pool serves has that type claimed from then on.
func TestPoolClaimsHandlersAddedWhileServing(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		mux := taskqueue.NewMux()
		startPool(t, taskqueue.PoolConfig{Queue: e.be, Notifier: e.notifier, Dispatcher: mux, PollInterval: 20 * time.Millisecond})
		task := create(t, e.be, store.NewTask{Type: "late"})
		time.Sleep(100 * time.Millisecond) // several polls: nothing claims it
		got, err := e.be.Get(context.Background(), task.ID)
		require.NoError(t, err)
		require.Equal(t, store.StatusQueued, got.Status)
		require.NoError(t, mux.Handle("late", taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) {
			return nil, nil
		})))
		waitStatus(t, e.be, task.ID, store.StatusCompleted, 10*time.Second)
	})
}

// TestMuxDispatchUnknownTypeIsPermanent: dispatched directly (not through
// a pool that claims only its types), a Mux still fails an unknown type
// permanently.
func TestMuxDispatchUnknownTypeIsPermanent(t *testing.T) {
	t.Parallel()
	_, err := taskqueue.NewMux().Dispatch(context.Background(), &store.Task{Type: "nobody-handles-this"})
	require.ErrorIs(t, err, taskqueue.ErrUnknownType)
	require.ErrorIs(t, err, taskqueue.ErrPermanent)
}

func TestTypedHandlerDecodeFailureIsPermanent(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		type resize struct {
			Width  int `json:"width"`
			Height int `json:"height"`
		}
		mux := taskqueue.NewMux()
		require.NoError(t, taskqueue.HandleFunc(mux, "resize", func(_ context.Context, _ *store.Task, p resize) (map[string]int, error) {
			return map[string]int{"area": p.Width * p.Height}, nil
		}))
		startPool(t, taskqueue.PoolConfig{Queue: e.be, Notifier: e.notifier, Dispatcher: mux, PollInterval: 20 * time.Millisecond})

		good := create(t, e.be, store.NewTask{Type: "resize", Params: json.RawMessage(`{"width":3,"height":4}`)})
		bad := create(t, e.be, store.NewTask{Type: "resize", Params: json.RawMessage(`{"width":"wide"}`)})
		got := waitStatus(t, e.be, good.ID, store.StatusCompleted, 10*time.Second)
		require.JSONEq(t, `{"area":12}`, string(got.Result))
		failed := waitStatus(t, e.be, bad.ID, store.StatusFailed, 10*time.Second)
		require.Equal(t, 1, failed.Attempts)
		require.Contains(t, failed.Error, "cannot decode task params")
	})
}

func TestCancelQueuedAndRunning(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		// A held task is cancelled at once and never runs.
		var ran atomic.Int32
		started := make(chan string, 1)
		mux := taskqueue.NewMux()
		require.NoError(t, mux.Handle("block", taskqueue.DispatcherFunc(func(ctx context.Context, task *store.Task) (json.RawMessage, error) {
			ran.Add(1)
			started <- task.ID
			<-ctx.Done()
			// A late "success" after cancellation must not win.
			return okResult("late"), nil
		})))
		queued := create(t, e.be, store.NewTask{Type: "block", Hold: true})
		_, err := e.be.Cancel(ctx, queued.ID)
		require.NoError(t, err)

		// A long heartbeat interval shows the notification path delivers the
		// cancellation; the heartbeat is the fallback.
		_, stop := startPool(t, taskqueue.PoolConfig{
			Queue: e.be, Notifier: e.notifier, Dispatcher: mux, Lease: 3 * time.Second,
			HeartbeatInterval: 500 * time.Millisecond, PollInterval: 20 * time.Millisecond,
		})
		defer stop()
		running := create(t, e.be, store.NewTask{Type: "block"})
		select {
		case id := <-started:
			require.Equal(t, running.ID, id)
		case <-time.After(10 * time.Second):
			t.Fatal("task did not start")
		}
		_, err = e.be.Cancel(ctx, running.ID)
		require.NoError(t, err)
		got := waitStatus(t, e.be, running.ID, store.StatusCancelled, 5*time.Second)
		require.Nil(t, got.Result)
		require.Equal(t, int32(1), ran.Load())
		q, err := e.be.Get(ctx, queued.ID)
		require.NoError(t, err)
		require.Equal(t, store.StatusCancelled, q.Status)
		require.Equal(t, 0, q.Attempts)
	})
}

func TestPriorityOrder(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		order := make(chan int, 10)
		mux := taskqueue.NewMux()
		require.NoError(t, mux.Handle("p", taskqueue.DispatcherFunc(func(_ context.Context, task *store.Task) (json.RawMessage, error) {
			order <- task.Priority
			return nil, nil
		})))
		for _, p := range []int{1, 5, 3, 9, 0} {
			create(t, e.be, store.NewTask{Type: "p", Priority: p})
		}
		startPool(t, taskqueue.PoolConfig{Queue: e.be, Notifier: e.notifier, Dispatcher: mux, Concurrency: 1, PollInterval: 20 * time.Millisecond})
		var got []int
		for range 5 {
			select {
			case p := <-order:
				got = append(got, p)
			case <-time.After(10 * time.Second):
				t.Fatalf("only %v ran", got)
			}
		}
		require.Equal(t, []int{9, 5, 3, 1, 0}, got)
	})
}

func TestPoolConfigValidation(t *testing.T) {
	t.Parallel()
	plain := taskqueue.DispatcherFunc(func(context.Context, *store.Task) (json.RawMessage, error) { return nil, nil })
	d := taskqueue.AnyType(plain)
	for name, cfg := range map[string]taskqueue.PoolConfig{
		"untyped dispatcher":  {Queue: nopQueue{}, Dispatcher: plain},
		"bad declared type":   {Queue: nopQueue{}, Dispatcher: taskqueue.Typed(plain, "no spaces")},
		"no queue":            {Dispatcher: d},
		"no dispatcher":       {Queue: nopQueue{}},
		"negative":            {Queue: nopQueue{}, Dispatcher: d, Concurrency: -1},
		"heartbeat too long":  {Queue: nopQueue{}, Dispatcher: d, Lease: time.Second, HeartbeatInterval: 2 * time.Second},
		"lease far too short": {Queue: nopQueue{}, Dispatcher: d, Lease: time.Millisecond},
	} {
		_, err := taskqueue.NewPool(cfg)
		require.ErrorIs(t, err, taskqueue.ErrInvalidConfig, name)
	}
}

// nopQueue has no work; it stands in where a config is only validated.
type nopQueue struct{}

func (nopQueue) Claim(context.Context, string, int, time.Duration) ([]store.Task, error) {
	return nil, nil
}
func (nopQueue) ClaimMatching(context.Context, string, int, time.Duration, store.ClaimFilter) ([]store.Task, error) {
	return nil, nil
}
func (nopQueue) Heartbeat(context.Context, string, []string, time.Duration) ([]store.Lease, error) {
	return nil, nil
}
func (nopQueue) Finish(_ context.Context, o []store.Outcome) ([]error, error) {
	return make([]error, len(o)), nil
}
func (nopQueue) Rescue(context.Context, int) ([]store.Rescued, error) { return nil, nil }

// TestPoolClaimsNotificationsInQuickSuccession creates tasks two at a
// time, each pair as soon as the previous pair started: claims find two
// tasks, so the pool spaces its claims, and most notifications arrive
// within the gap and are held back. Each must still be claimed as soon as
// the gap ends, not at the next poll (an hour away).
func TestPoolClaimsNotificationsInQuickSuccession(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		started := make(chan string, 2)
		startPool(t, taskqueue.PoolConfig{
			Queue: e.be, Notifier: e.notifier, PollInterval: time.Hour,
			Dispatcher: taskqueue.AnyType(taskqueue.DispatcherFunc(func(_ context.Context, task *store.Task) (json.RawMessage, error) {
				started <- task.ID
				return nil, nil
			})),
		})
		bulk := e.be.(bulkBackend)
		for i := range 30 {
			_, err := bulk.CreateMany(context.Background(), []store.NewTask{{Type: "next"}, {Type: "next"}})
			require.NoError(t, err)
			for range 2 {
				select {
				case <-started:
				case <-time.After(5 * time.Second):
					t.Fatalf("pair %d was not claimed after its notification", i)
				}
			}
		}
	})
}
