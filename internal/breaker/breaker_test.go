package breaker

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seedcore/seedcore/internal/fakeclock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func setup(t *testing.T, failures int, coolDown time.Duration) (*Breaker, *fakeclock.Clock) {
	t.Helper()
	clk := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	b, err := New(Config{Failures: failures, CoolDown: coolDown, Now: clk.Now})
	require.NoError(t, err)
	return b, clk
}

func outcome(success bool) Outcome {
	if success {
		return Success
	}
	return Failure
}

func call(t *testing.T, b *Breaker, success bool) {
	t.Helper()
	done, err := b.Allow()
	require.NoError(t, err)
	done(outcome(success))
}

func TestNewRejectsNegative(t *testing.T) {
	t.Parallel()
	_, err := New(Config{Failures: -1})
	require.Error(t, err)
	_, err = New(Config{CoolDown: -time.Second})
	require.Error(t, err)
	b, err := New(Config{})
	require.NoError(t, err)
	require.Equal(t, 5, b.limit)
	require.Equal(t, 10*time.Second, b.coolDown)
}

func TestOpensAfterConsecutiveFailures(t *testing.T) {
	t.Parallel()
	b, _ := setup(t, 3, time.Minute)
	call(t, b, false)
	call(t, b, false)
	call(t, b, true) // resets the count
	call(t, b, false)
	call(t, b, false)
	require.Equal(t, Closed, b.State())
	call(t, b, false)
	require.Equal(t, Open, b.State())
	_, err := b.Allow()
	require.ErrorIs(t, err, ErrOpen)
}

func TestHalfOpenLetsOneTrialThrough(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		success bool
		want    State
	}{
		{"trial succeeds closes", true, Closed},
		{"trial fails reopens", false, Open},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, clk := setup(t, 1, time.Minute)
			call(t, b, false)
			require.Equal(t, Open, b.State())
			clk.Advance(time.Minute - time.Nanosecond)
			require.Equal(t, Open, b.State())
			clk.Advance(time.Nanosecond)
			require.Equal(t, HalfOpen, b.State())

			done, err := b.Allow()
			require.NoError(t, err)
			_, err = b.Allow()
			require.ErrorIs(t, err, ErrOpen, "only one trial while half-open")
			done(outcome(tc.success))
			done(outcome(!tc.success)) // a second report is ignored
			require.Equal(t, tc.want, b.State())
			if tc.want == Open {
				clk.Advance(time.Minute)
				require.Equal(t, HalfOpen, b.State())
			}
		})
	}
}

func TestStaleOutcomeIgnoredWhileHalfOpen(t *testing.T) {
	t.Parallel()
	b, clk := setup(t, 1, time.Second)
	slow, err := b.Allow() // started while closed
	require.NoError(t, err)
	call(t, b, false)
	clk.Advance(time.Second)
	require.Equal(t, HalfOpen, b.State())
	slow(Success) // from before the breaker opened: not the trial
	require.Equal(t, HalfOpen, b.State())
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	b, clk := setup(t, 4, time.Millisecond)
	var allowed, rejected atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				done, err := b.Allow()
				if err != nil {
					rejected.Add(1)
					clk.Advance(time.Millisecond)
					continue
				}
				allowed.Add(1)
				done(outcome((i+g)%7 == 0)) // six failures in a row open it
			}
		}()
	}
	wg.Wait()
	require.Equal(t, int64(8*500), allowed.Load()+rejected.Load())
	require.Positive(t, allowed.Load())
	// Whatever state the race left, the breaker still works.
	clk.Advance(time.Millisecond)
	for b.State() != Open {
		if done, err := b.Allow(); err == nil {
			done(Failure)
		}
	}
	_, err := b.Allow()
	require.ErrorIs(t, err, ErrOpen)
}

func TestIgnoredOutcome(t *testing.T) {
	t.Parallel()
	b, clk := setup(t, 2, time.Second)
	call(t, b, false)
	done, err := b.Allow()
	require.NoError(t, err)
	done(Ignored) // does not count as the second failure
	require.Equal(t, Closed, b.State())
	call(t, b, false)
	require.Equal(t, Open, b.State())

	clk.Advance(time.Second)
	done, err = b.Allow()
	require.NoError(t, err)
	done(Ignored) // frees the trial slot
	require.Equal(t, HalfOpen, b.State())
	done, err = b.Allow()
	require.NoError(t, err, "another trial is allowed after an ignored one")
	done(Success)
	require.Equal(t, Closed, b.State())
}

func TestStateString(t *testing.T) {
	t.Parallel()
	require.Equal(t, "closed", Closed.String())
	require.Equal(t, "open", Open.String())
	require.Equal(t, "half-open", HalfOpen.String())
	require.Equal(t, "State(9)", State(9).String())
}
