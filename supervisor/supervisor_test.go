package supervisor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/thejerf/suture/v4"
)

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	s, err := New(Config{})
	require.NoError(t, err)
	require.Equal(t, DefaultName, s.cfg.Name)
	require.Equal(t, DefaultCheckTimeout, s.cfg.CheckTimeout)
	require.Equal(t, DefaultFailureBackoff, s.cfg.FailureBackoff)
	require.Equal(t, DefaultFailureDecay, s.cfg.FailureDecay)
	require.Equal(t, DefaultFailureThreshold, s.cfg.FailureThreshold)
	require.Equal(t, DefaultStopTimeout, s.cfg.StopTimeout)
	require.NotNil(t, s.cfg.Logger)
	require.NotNil(t, s.cfg.BackoffJitter)
	require.Equal(t, DefaultName, s.String())

	// Set values are kept.
	s, err = New(Config{Name: "app", FailureThreshold: 0.5, StopTimeout: time.Millisecond})
	require.NoError(t, err)
	require.Equal(t, "app", s.cfg.Name)
	require.Equal(t, 0.5, s.cfg.FailureThreshold)
	require.Equal(t, time.Millisecond, s.cfg.StopTimeout)
}

func TestNewInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		field string
		cfg   Config
	}{
		{"CheckTimeout", Config{CheckTimeout: -time.Second}},
		{"FailureBackoff", Config{FailureBackoff: -time.Second}},
		{"FailureDecay", Config{FailureDecay: -time.Second}},
		{"StopTimeout", Config{StopTimeout: -1}},
		{"FailureThreshold", Config{FailureThreshold: -1}},
		{"FailureThreshold", Config{FailureThreshold: math.NaN()}},
		{"FailureThreshold", Config{FailureThreshold: math.Inf(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			t.Parallel()
			s, err := New(tt.cfg)
			require.ErrorIs(t, err, ErrInvalidConfig)
			require.ErrorContains(t, err, tt.field)
			require.Nil(t, s)
		})
	}
}

func TestAddInvalid(t *testing.T) {
	t.Parallel()
	s, err := New(Config{})
	require.NoError(t, err)
	svc := blockUntilDone(nil)
	okCheck := func(context.Context) error { return nil }
	require.NoError(t, s.Add("worker", svc))
	require.NoError(t, s.AddCheck("store", okCheck))

	tests := []struct {
		name string
		add  func() error
		want error
	}{
		{"empty service name", func() error { return s.Add("", svc) }, ErrInvalidArgument},
		{"nil service", func() error { return s.Add("x", nil) }, ErrInvalidArgument},
		{"service name taken by service", func() error { return s.Add("worker", svc) }, ErrDuplicateName},
		{"service name taken by check", func() error { return s.Add("store", svc) }, ErrDuplicateName},
		{"empty check name", func() error { return s.AddCheck("", okCheck) }, ErrInvalidArgument},
		{"nil check", func() error { return s.AddCheck("y", nil) }, ErrInvalidArgument},
		{"check name taken by service", func() error { return s.AddCheck("worker", okCheck) }, ErrDuplicateName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorIs(t, tt.add(), tt.want)
		})
	}
	require.Len(t, s.Services(), 1)
}

func TestPanicIsRestarted(t *testing.T) {
	t.Parallel()
	logs := newLogCapture()
	s, err := New(testConfig(logs.logger))
	require.NoError(t, err)

	var starts atomic.Int32
	running := make(chan struct{}, 1)
	require.NoError(t, s.Add("panicky", ServiceFunc(func(ctx context.Context) error {
		if starts.Add(1) == 1 {
			panic("boom")
		}
		return blockUntilDone(running)(ctx)
	}), Required()))

	stop := serve(t, s)
	recv(t, running, "the restart after the panic")
	require.True(t, s.Ready())
	require.Equal(t, []ServiceStatus{{Name: "panicky", Required: true, State: StateRunning, Starts: 2}}, s.Services())
	require.ErrorIs(t, stop(), context.Canceled)

	recs := logs.find(t, msgServicePanic, "panicky")
	require.Len(t, recs, 1)
	rec := recs[0]
	require.Equal(t, "ERROR", rec["level"])
	require.Equal(t, "test", rec["supervisor"])
	require.Equal(t, "boom", rec["panic"])
	require.Equal(t, true, rec["restarting"])
	require.Contains(t, rec["stack"], "TestPanicIsRestarted")
	require.IsType(t, float64(0), rec["failures"])
	require.Equal(t, DefaultFailureThreshold, rec["threshold"])
	require.Empty(t, logs.find(t, msgStopTimeout, ""))
	require.Equal(t, []ServiceStatus{{Name: "panicky", Required: true, State: StateStopped, Starts: 2}}, s.Services())
}

func TestBackoffAndReadinessTransitions(t *testing.T) {
	t.Parallel()
	logs := newLogCapture()
	cfg := testConfig(logs.logger)
	cfg.FailureThreshold = 2
	cfg.FailureDecay = time.Hour // no decay worth counting during the test
	cfg.FailureBackoff = 30 * time.Millisecond
	cfg.BackoffJitter = suture.NoJitter{}
	s, err := New(cfg)
	require.NoError(t, err)

	errFlaky := errors.New("flaky failure")
	trip := make(chan struct{})
	running := make(chan int32, 2)
	var starts atomic.Int32
	require.NoError(t, s.Add("flaky", ServiceFunc(func(ctx context.Context) error {
		n := starts.Add(1)
		switch n {
		case 1: // run, then fail when told
			running <- n
			select {
			case <-trip:
				return errFlaky
			case <-ctx.Done():
				return ctx.Err()
			}
		case 2, 3: // fail at once: the third failure crosses the threshold
			return errFlaky
		default: // healthy after the backoff
			running <- n
			<-ctx.Done()
			return ctx.Err()
		}
	}), Required()))
	require.NoError(t, s.Add("steady", blockUntilDone(nil)))

	// The backoff and resume hooks run in suture's control loop, before it
	// restarts anything, so readiness seen there is exactly the state
	// during backoff.
	inBackoff := make(chan error, 1)
	atResume := make(chan error, 1)
	logs.setOnLog(func(msg string) {
		switch msg {
		case msgBackoff:
			inBackoff <- s.Check(context.Background())
		case msgResume:
			atResume <- s.Check(context.Background())
		}
	})

	// Starting: not served yet.
	err = s.Check(context.Background())
	require.ErrorIs(t, err, ErrNotReady)
	require.ErrorContains(t, err, `supervisor "test" is not running`)

	stop := serve(t, s)
	require.Equal(t, int32(1), recv(t, running, "first start"))
	require.NoError(t, s.Check(context.Background()), "ready while running")

	close(trip)
	err = recv(t, inBackoff, "backoff")
	require.ErrorIs(t, err, ErrNotReady)
	require.ErrorContains(t, err, `supervisor "test" is in backoff`)
	require.ErrorContains(t, err, `service "flaky" is restarting`)

	err = recv(t, atResume, "resume")
	require.ErrorIs(t, err, ErrNotReady)
	require.ErrorContains(t, err, `service "flaky" is restarting`)
	require.NotContains(t, err.Error(), "backoff")

	require.Equal(t, int32(4), recv(t, running, "start after the backoff"))
	require.NoError(t, s.Check(context.Background()), "ready again after resume")
	require.ErrorIs(t, stop(), context.Canceled)

	terms := logs.find(t, msgServiceFailed, "flaky")
	require.Len(t, terms, 3)
	for i, rec := range terms {
		require.Equal(t, "WARN", rec["level"])
		require.Equal(t, errFlaky.Error(), rec["error"])
		require.Equal(t, float64(i+1), math.Round(rec["failures"].(float64)))
		require.Equal(t, i < 2, rec["restarting"], "only the failure that triggers backoff waits")
	}
	backoff := logs.find(t, msgBackoff, "")
	require.Len(t, backoff, 1)
	require.Equal(t, "WARN", backoff[0]["level"])
	require.Equal(t, float64(cfg.FailureBackoff), backoff[0]["backoff"])
	resume := logs.find(t, msgResume, "")
	require.Len(t, resume, 1)
	require.Equal(t, "INFO", resume[0]["level"])
	require.Equal(t, "test", resume[0]["supervisor"])
}

func TestDoNotRestart(t *testing.T) {
	t.Parallel()
	logs := newLogCapture()
	s, err := New(testConfig(logs.logger))
	require.NoError(t, err)

	var starts atomic.Int32
	require.NoError(t, s.Add("once", ServiceFunc(func(context.Context) error {
		starts.Add(1)
		return fmt.Errorf("all done: %w", suture.ErrDoNotRestart)
	}), Required()))
	require.NoError(t, s.Add("steady", blockUntilDone(nil)))

	stop := serve(t, s)
	inner := s.run.inner
	// suture drops the service from its tree once it has handled its end;
	// after that nothing can restart it.
	waitFor(t, "suture to drop the service", func() bool { return len(inner.Services()) == 1 })
	require.Equal(t, int32(1), starts.Load())
	status := s.Services()
	require.Equal(t, StateDone, status[0].State)
	require.Equal(t, int64(1), status[0].Starts)

	err = s.Check(context.Background())
	require.ErrorIs(t, err, ErrNotReady)
	require.ErrorContains(t, err, `service "once" is done`)

	require.ErrorIs(t, stop(), context.Canceled)
	require.Equal(t, int32(1), starts.Load())
	require.Empty(t, logs.find(t, msgServiceFailed, "once"))
	finished := logs.find(t, msgServiceFinished, "once")
	require.Len(t, finished, 1)
	require.Contains(t, finished[0]["error"], "all done")
}

func TestReturnNilIsAFailure(t *testing.T) {
	t.Parallel()
	logs := newLogCapture()
	s, err := New(testConfig(logs.logger))
	require.NoError(t, err)

	var starts atomic.Int32
	running := make(chan struct{}, 1)
	require.NoError(t, s.Add("early", ServiceFunc(func(ctx context.Context) error {
		if starts.Add(1) == 1 {
			return nil
		}
		return blockUntilDone(running)(ctx)
	})))
	stop := serve(t, s)
	recv(t, running, "restart after the nil return")
	require.ErrorIs(t, stop(), context.Canceled)

	terms := logs.find(t, msgServiceFailed, "early")
	require.Len(t, terms, 1)
	require.Equal(t, errReturnedEarly.Error(), terms[0]["error"])
}

func TestStopTimeoutReportsUnstopped(t *testing.T) {
	t.Parallel()
	logs := newLogCapture()
	cfg := testConfig(logs.logger)
	cfg.StopTimeout = 20 * time.Millisecond
	s, err := New(cfg)
	require.NoError(t, err)

	release := make(chan struct{})
	exited := make(chan struct{})
	started := make(chan struct{}, 2)
	require.NoError(t, s.Add("stubborn", ServiceFunc(func(context.Context) error {
		defer close(exited)
		started <- struct{}{}
		<-release // ignores its context
		return nil
	})))
	require.NoError(t, s.Add("polite", blockUntilDone(started)))

	// The stop-timeout record is logged while the stop is under way.
	whileStopping := make(chan error, 1)
	logs.setOnLog(func(msg string) {
		if msg == msgStopTimeout {
			whileStopping <- s.Check(context.Background())
		}
	})

	stop := serve(t, s)
	recv(t, started, "first service start")
	recv(t, started, "second service start")

	err = stop()
	require.ErrorContains(t, recv(t, whileStopping, "the stop timeout"), `supervisor "test" is stopping`)
	require.ErrorIs(t, err, ErrStopTimeout)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, `"stubborn"`)
	require.NotContains(t, err.Error(), "polite")
	require.Equal(t, []string{"stubborn"}, s.Unstopped())

	timeouts := logs.find(t, msgStopTimeout, "")
	require.Len(t, timeouts, 1)
	require.Equal(t, "stubborn", timeouts[0]["service"])
	require.Equal(t, "ERROR", timeouts[0]["level"])
	require.Equal(t, float64(cfg.StopTimeout), timeouts[0]["stop_timeout"])
	report := logs.find(t, msgUnstopped, "")
	require.Len(t, report, 1)
	require.Equal(t, "stubborn", report[0]["services"])
	require.Equal(t, float64(1), report[0]["count"])

	byName := map[string]State{}
	for _, st := range s.Services() {
		byName[st.Name] = st.State
	}
	require.Equal(t, map[string]State{"stubborn": StateRunning, "polite": StateStopped}, byName)

	// Let it go, so no goroutine outlives the test.
	close(release)
	recv(t, exited, "the stubborn service to exit")
	waitFor(t, "the stubborn service to be marked stopped", func() bool {
		return s.Services()[0].State == StateStopped
	})
}

type readyFlag struct {
	ready atomic.Bool
}

func (r *readyFlag) Ready() bool { return r.ready.Load() }

func (r *readyFlag) Serve(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestCheckNamesWhatFails(t *testing.T) {
	t.Parallel()
	errStore := errors.New("connection refused")

	tests := []struct {
		name    string
		setup   func(t *testing.T, s *Supervisor)
		wantErr []string // substrings; none means ready
		wantIs  error
	}{
		{
			name: "all pass",
			setup: func(t *testing.T, s *Supervisor) {
				require.NoError(t, s.AddCheck("store", func(context.Context) error { return nil }))
			},
		},
		{
			name: "failing check",
			setup: func(t *testing.T, s *Supervisor) {
				require.NoError(t, s.AddCheck("store", func(context.Context) error { return errStore }))
				require.NoError(t, s.AddCheck("cache", func(context.Context) error { return nil }))
			},
			wantErr: []string{`check "store": connection refused`},
			wantIs:  errStore,
		},
		{
			name: "check that hangs is bounded by CheckTimeout",
			setup: func(t *testing.T, s *Supervisor) {
				s.cfg.CheckTimeout = 10 * time.Millisecond
				require.NoError(t, s.AddCheck("slow", func(ctx context.Context) error {
					<-ctx.Done()
					return ctx.Err()
				}))
			},
			wantErr: []string{`check "slow"`},
			wantIs:  context.DeadlineExceeded,
		},
		{
			name: "required service reports not ready",
			setup: func(t *testing.T, s *Supervisor) {
				require.NoError(t, s.Add("pool", &readyFlag{}, Required()))
			},
			wantErr: []string{`service "pool" reports not ready`},
		},
		{
			name: "required service reports ready",
			setup: func(t *testing.T, s *Supervisor) {
				r := &readyFlag{}
				r.ready.Store(true)
				require.NoError(t, s.Add("pool", r, Required()))
			},
		},
		{
			name: "optional service is not consulted",
			setup: func(t *testing.T, s *Supervisor) {
				require.NoError(t, s.Add("notifier", &readyFlag{}))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := New(testConfig(nil))
			require.NoError(t, err)
			tt.setup(t, s)
			stop := serve(t, s)
			waitFor(t, "services to start", func() bool {
				for _, st := range s.Services() {
					if st.State != StateRunning {
						return false
					}
				}
				return true
			})

			err = s.Check(context.Background())
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				require.True(t, s.Ready())
			} else {
				require.ErrorIs(t, err, ErrNotReady)
				for _, want := range tt.wantErr {
					require.ErrorContains(t, err, want)
				}
				if tt.wantIs != nil {
					require.ErrorIs(t, err, tt.wantIs)
				}
				require.False(t, s.Ready())
			}
			require.ErrorIs(t, stop(), context.Canceled)
			require.False(t, s.Ready(), "not ready once stopped")
		})
	}
}

func TestAddWhileRunning(t *testing.T) {
	t.Parallel()
	s, err := New(testConfig(nil))
	require.NoError(t, err)
	stop := serve(t, s)

	started := make(chan struct{}, 1)
	require.NoError(t, s.Add("late", blockUntilDone(started), Required()))
	recv(t, started, "the service added after start")
	require.True(t, s.Ready())
	require.ErrorIs(t, stop(), context.Canceled)
}

func TestServeTwiceConcurrently(t *testing.T) {
	t.Parallel()
	s, err := New(testConfig(nil))
	require.NoError(t, err)
	stop := serve(t, s)

	err = s.Serve(context.Background())
	require.ErrorIs(t, err, ErrAlreadyRunning)
	require.ErrorIs(t, err, suture.ErrDoNotRestart)
	require.ErrorIs(t, <-s.ServeBackground(context.Background()), ErrAlreadyRunning)
	require.ErrorIs(t, stop(), context.Canceled)
}

func TestEmbeddedInSutureTree(t *testing.T) {
	t.Parallel()
	logs := newLogCapture()
	s, err := New(testConfig(logs.logger))
	require.NoError(t, err)

	started := make(chan struct{}, 1)
	stopped := make(chan struct{}, 1)
	require.NoError(t, s.Add("worker", ServiceFunc(func(ctx context.Context) error {
		started <- struct{}{}
		<-ctx.Done()
		stopped <- struct{}{}
		return ctx.Err()
	}), Required()))

	parent := suture.New("parent", suture.Spec{EventHook: func(suture.Event) {}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	token := parent.Add(s)
	parentDone := parent.ServeBackground(ctx)

	recv(t, started, "the worker to start under the parent tree")
	require.True(t, s.Ready())

	// Stopping it from the parent stops the whole subtree.
	require.NoError(t, parent.RemoveAndWait(token, waitLimit))
	recv(t, stopped, "the worker to stop")
	require.False(t, s.Ready())
	require.Equal(t, StateStopped, s.Services()[0].State)

	// The same Supervisor can be served again: a fresh run.
	parent.Add(s)
	recv(t, started, "the worker to start again")
	require.True(t, s.Ready())
	require.Equal(t, int64(1), s.Services()[0].Starts)

	// Cancelling the parent's context stops it too.
	cancel()
	require.ErrorIs(t, recv(t, parentDone, "the parent to return"), context.Canceled)
	recv(t, stopped, "the worker to stop with the parent")
	require.False(t, s.Ready())
	require.Len(t, logs.find(t, msgStopped, ""), 2)
}

func TestTerminateTree(t *testing.T) {
	t.Parallel()
	s, err := New(testConfig(nil))
	require.NoError(t, err)
	stopped := make(chan struct{}, 1)
	require.NoError(t, s.Add("steady", ServiceFunc(func(ctx context.Context) error {
		<-ctx.Done()
		stopped <- struct{}{}
		return ctx.Err()
	})))
	require.NoError(t, s.Add("fatal", ServiceFunc(func(context.Context) error {
		return fmt.Errorf("cannot go on: %w", suture.ErrTerminateSupervisorTree)
	})))

	// Serve returns while its context is still live, with the error.
	err = s.Serve(context.Background())
	require.ErrorIs(t, err, suture.ErrTerminateSupervisorTree)
	recv(t, stopped, "the other service to stop with the tree")
	require.False(t, s.Ready())
	for _, st := range s.Services() {
		require.Equal(t, StateStopped, st.State, st.Name)
	}
}

// TestCheckReasons: the readiness error lists its reasons without the
// failing checks' own text, which may quote a driver.
func TestCheckReasons(t *testing.T) {
	t.Parallel()
	s, err := New(Config{Name: "app"})
	require.NoError(t, err)
	require.NoError(t, s.AddCheck("store", func(context.Context) error {
		return errors.New(`pq: password authentication failed for user "app"`)
	}))
	err = s.Check(context.Background())
	require.ErrorIs(t, err, ErrNotReady)
	require.ErrorContains(t, err, "password authentication failed", "the error itself keeps the text, for logs")
	var rs interface{ Reasons() []string }
	require.ErrorAs(t, err, &rs)
	require.Equal(t, []string{`supervisor "app" is not running`, `check "store" failed`}, rs.Reasons())
}
