package supervisor

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/thejerf/suture/v4"
)

// eventRecorder collects the events given to Config.OnEvent.
type eventRecorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *eventRecorder) record(ev Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

func (r *eventRecorder) all() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// TestOnEventFailingService: a service that fails with an error, then
// panics, then returns nil (crossing the threshold) produces typed events
// in the order suture reports them, and the log records come from the
// same events.
func TestOnEventFailingService(t *testing.T) {
	t.Parallel()
	logs := newLogCapture()
	var rec eventRecorder
	cfg := testConfig(logs.logger)
	cfg.FailureThreshold = 2
	cfg.FailureDecay = time.Hour // no decay worth counting during the test
	cfg.BackoffJitter = suture.NoJitter{}
	cfg.OnEvent = rec.record
	s, err := New(cfg)
	require.NoError(t, err)

	errFlaky := errors.New("flaky failure")
	running := make(chan struct{}, 1)
	var starts atomic.Int32
	require.NoError(t, s.Add("flaky", ServiceFunc(func(ctx context.Context) error {
		switch starts.Add(1) {
		case 1:
			return errFlaky
		case 2:
			panic("boom")
		case 3: // the third failure crosses the threshold: backoff
			return nil
		default:
			return blockUntilDone(running)(ctx)
		}
	})))

	stop := serve(t, s)
	recv(t, running, "the start after the backoff")
	require.ErrorIs(t, stop(), context.Canceled)

	events := rec.all()
	var started []Event
	var others []Event
	for i, ev := range events {
		require.Equal(t, "test", ev.Supervisor, "event %d", i)
		if ev.Kind == EventServiceStarted {
			started = append(started, ev)
			continue
		}
		others = append(others, ev)
	}

	// A restart's start runs in the service's goroutine and may be
	// reported before or after the failure that caused it; the starts
	// are numbered in order.
	require.Len(t, started, 4)
	for i, ev := range started {
		require.Equal(t, "flaky", ev.Service)
		require.Equal(t, int64(i+1), ev.Starts)
	}

	kinds := make([]EventKind, len(others))
	for i, ev := range others {
		kinds[i] = ev.Kind
	}
	require.Equal(t, []EventKind{
		EventStarting,
		EventServiceFailed,
		EventServicePanicked,
		EventBackoff, // suture reports the backoff before the failure that caused it
		EventServiceFailed,
		EventResumed,
		EventStopped,
	}, kinds)

	require.Equal(t, 1, others[0].Count)

	failed := others[1]
	require.Equal(t, "flaky", failed.Service)
	require.ErrorIs(t, failed.Err, errFlaky)
	require.Equal(t, 1.0, math.Round(failed.Failures))
	require.Equal(t, 2.0, failed.Threshold)
	require.True(t, failed.Restarting)

	panicked := others[2]
	require.Equal(t, "flaky", panicked.Service)
	require.Equal(t, "boom", panicked.Panic)
	require.Contains(t, panicked.Stack, "goroutine")
	require.NoError(t, panicked.Err)
	require.Equal(t, 2.0, math.Round(panicked.Failures))
	require.True(t, panicked.Restarting)

	require.Equal(t, cfg.FailureBackoff, others[3].Backoff)

	early := others[4]
	require.ErrorIs(t, early.Err, errReturnedEarly)
	require.Equal(t, 3.0, math.Round(early.Failures))
	require.False(t, early.Restarting, "the failure that triggers the backoff waits for the resume")

	// Every start but the first follows a failure; the one after the
	// backoff follows the resume.
	idx := func(want Event) int {
		for i, ev := range events {
			if ev.Kind == want.Kind && ev.Starts == want.Starts && ev.Failures == want.Failures {
				return i
			}
		}
		return -1
	}
	require.Less(t, idx(started[0]), idx(failed))
	require.Greater(t, idx(started[3]), idx(others[5]))

	// The log records are the same events.
	require.Len(t, logs.find(t, msgServiceFailed, "flaky"), 2)
	require.Len(t, logs.find(t, msgServicePanic, "flaky"), 1)
	require.Len(t, logs.find(t, msgBackoff, ""), 1)
	require.Len(t, logs.find(t, msgResume, ""), 1)
	require.Len(t, logs.find(t, msgServiceStart, "flaky"), 4)
}

// TestOnEventFinishedAndUnstopped covers the events of a service that
// finishes and of a stop that times out.
func TestOnEventFinishedAndUnstopped(t *testing.T) {
	t.Parallel()
	var rec eventRecorder
	cfg := testConfig(nil)
	cfg.StopTimeout = 20 * time.Millisecond
	cfg.OnEvent = rec.record
	s, err := New(cfg)
	require.NoError(t, err)

	finished := make(chan struct{})
	require.NoError(t, s.Add("once", ServiceFunc(func(context.Context) error {
		defer close(finished)
		return suture.ErrDoNotRestart
	})))
	release := make(chan struct{})
	stuckDone := make(chan struct{})
	stuckStarted := make(chan struct{}, 1)
	require.NoError(t, s.Add("stuck", ServiceFunc(func(context.Context) error {
		defer close(stuckDone)
		stuckStarted <- struct{}{}
		<-release // ignores its context
		return nil
	})))

	stop := serve(t, s)
	recv(t, finished, "the finishing service to return")
	recv(t, stuckStarted, "the stuck service to start")
	require.ErrorIs(t, stop(), ErrStopTimeout)
	close(release)
	recv(t, stuckDone, "the stuck service to return")

	byKind := map[EventKind][]Event{}
	for _, ev := range rec.all() {
		byKind[ev.Kind] = append(byKind[ev.Kind], ev)
	}
	require.Len(t, byKind[EventServiceFinished], 1)
	require.Equal(t, "once", byKind[EventServiceFinished][0].Service)
	require.ErrorIs(t, byKind[EventServiceFinished][0].Err, suture.ErrDoNotRestart)
	require.Len(t, byKind[EventStopTimeout], 1)
	require.Equal(t, "stuck", byKind[EventStopTimeout][0].Service)
	require.Equal(t, cfg.StopTimeout, byKind[EventStopTimeout][0].StopTimeout)
	require.Len(t, byKind[EventUnstopped], 1)
	require.Equal(t, []string{"stuck"}, byKind[EventUnstopped][0].Services)
	require.Empty(t, byKind[EventStopped], "a stop that timed out is reported as unstopped")
	require.Empty(t, byKind[EventServiceFailed])
}

func TestEventKindString(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for k := EventStarting; k <= EventStopped; k++ {
		name := k.String()
		require.NotEqual(t, "unknown", name, "kind %d", int(k))
		require.False(t, seen[name], "duplicate name %q", name)
		seen[name] = true
	}
	require.Equal(t, "service_failed", EventServiceFailed.String())
	require.Equal(t, "unknown", EventKind(0).String())
}
