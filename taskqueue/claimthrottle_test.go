package taskqueue

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/fakeclock"
)

// fakeTimer is a claimTimer on a fakeclock: it fires (its channel becomes
// ready) once the clock has been advanced to its deadline.
type fakeTimer struct {
	clock    *fakeclock.Clock
	deadline time.Time
	running  bool
	c        chan time.Time
	resets   []time.Duration
}

func newFakeTimer(c *fakeclock.Clock) *fakeTimer {
	return &fakeTimer{clock: c, c: make(chan time.Time, 1)}
}

func (f *fakeTimer) C() <-chan time.Time {
	if f.running && !f.clock.Now().Before(f.deadline) {
		f.running = false
		f.c <- f.deadline
	}
	return f.c
}

func (f *fakeTimer) Reset(d time.Duration) {
	f.resets = append(f.resets, d)
	f.deadline, f.running = f.clock.Now().Add(d), true
}

func (f *fakeTimer) Stop() {
	f.running = false
	select {
	case <-f.c:
	default:
	}
}

type throttleRig struct {
	t      *testing.T
	clock  *fakeclock.Clock
	timer  *fakeTimer
	enough bool
	th     *claimThrottle
	got    bool // due received from C and no claim started since
}

func newThrottleRig(t *testing.T) *throttleRig {
	r := &throttleRig{t: t, clock: fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
	r.timer = newFakeTimer(r.clock)
	r.th = newClaimThrottle(r.clock.Now, func() bool { return r.enough }, r.timer)
	return r
}

// due reports whether the throttle's channel is ready now.
func (r *throttleRig) due() bool {
	if r.got {
		return true
	}
	select {
	case <-r.th.C():
		r.got = true
		return true
	default:
		return false
	}
}

// claim runs a claim that takes took and claims n of free slots; it
// requires the claim to be due.
func (r *throttleRig) claim(took time.Duration, n, free int) {
	r.t.Helper()
	require.True(r.t, r.due(), "claim not due")
	r.got = false
	r.th.Start()
	r.clock.Advance(took)
	r.th.Done(n, free)
}

func TestClaimThrottleDueAtStart(t *testing.T) {
	t.Parallel()
	r := newThrottleRig(t)
	require.True(t, r.due())
	r.claim(time.Millisecond, 0, 4) // nothing ready
	require.False(t, r.due())
	require.Nil(t, r.th.C(), "idle: nothing to wait for")
}

func TestClaimThrottleFullBatchClaimsAgainAtOnce(t *testing.T) {
	t.Parallel()
	r := newThrottleRig(t)
	r.claim(time.Millisecond, 4, 4)
	require.True(t, r.due(), "a full batch may have more behind it")
	r.claim(time.Millisecond, 2, 4)
	require.False(t, r.due())
}

func TestClaimThrottleNotifyAndPoll(t *testing.T) {
	t.Parallel()
	r := newThrottleRig(t)
	r.claim(time.Millisecond, 0, 4)
	require.False(t, r.due())
	r.th.Notify()
	require.True(t, r.due())
	r.claim(time.Millisecond, 1, 4)
	require.False(t, r.due())
	// A freed slot without a backlog claims nothing.
	r.th.SlotFreed()
	require.False(t, r.due())
	require.Empty(t, r.timer.resets)
}

func TestClaimThrottleBacklogWaitsForEnoughSlots(t *testing.T) {
	t.Parallel()
	r := newThrottleRig(t)
	r.claim(time.Millisecond, 0, 0) // no free slot: backlog
	require.False(t, r.due())
	r.enough = true
	r.th.SlotFreed()
	require.True(t, r.due(), "a quarter of the slots free: claim at once")
}

func TestClaimThrottleBacklogCooldown(t *testing.T) {
	t.Parallel()
	r := newThrottleRig(t)
	r.claim(time.Millisecond, 8, 8) // full batch: backlog
	r.claim(time.Millisecond, 0, 0)
	r.th.SlotFreed()
	require.Equal(t, []time.Duration{claimCooldown}, r.timer.resets)
	r.clock.Advance(claimCooldown / 2)
	r.th.SlotFreed() // the first freed slot set the deadline
	require.Len(t, r.timer.resets, 1)
	require.False(t, r.due())
	r.clock.Advance(claimCooldown / 2)
	require.True(t, r.due(), "claimCooldown after the first freed slot")
	r.claim(0, 2, 2)
	require.True(t, r.due())
	require.False(t, r.timer.running, "a claim stops the timer")
}

func TestClaimThrottleSpacesNotificationClaims(t *testing.T) {
	t.Parallel()
	r := newThrottleRig(t)
	r.claim(time.Millisecond, 0, 100)
	r.th.Notify()
	// A claim for a notification that takes 200µs and finds 3 tasks.
	r.claim(200*time.Microsecond, 3, 100)
	require.False(t, r.due())
	r.clock.Advance(300 * time.Microsecond)
	r.th.Notify()
	// The gap is claimDuty times the average claim duration
	// (1ms*7/8 + 200µs/8 = 900µs) from the claim's start (500µs ago).
	gap := claimDuty * 900 * time.Microsecond
	require.False(t, r.due(), "held back by the spacing")
	require.Equal(t, []time.Duration{gap - 500*time.Microsecond}, r.timer.resets)
	r.th.Notify() // notifications meanwhile share the held-back claim
	require.Len(t, r.timer.resets, 1)
	r.clock.Advance(gap - time.Millisecond)
	require.False(t, r.due())
	r.clock.Advance(500 * time.Microsecond)
	require.True(t, r.due())
	// The spaced claim finds one task: the next notification claims at once.
	r.claim(100*time.Microsecond, 1, 100)
	r.th.Notify()
	require.True(t, r.due())
}

func TestClaimThrottleSpacingIsBounded(t *testing.T) {
	t.Parallel()
	r := newThrottleRig(t)
	r.claim(50*time.Millisecond, 0, 100) // slow claims: gap capped at maxClaimGap
	r.th.Notify()
	r.claim(0, 3, 100)
	r.th.Notify()
	require.False(t, r.due())
	require.Equal(t, []time.Duration{maxClaimGap}, r.timer.resets)
	r.clock.Advance(maxClaimGap)
	require.True(t, r.due())
	r.claim(time.Millisecond, 3, 100)
	// Once the gap has passed since the last claim began, claim at once.
	r.clock.Advance(maxClaimGap)
	r.th.Notify()
	require.True(t, r.due())
}

// Two tasks in a claim of a trickle (an insert arrived while a slow claim
// ran) do not space the claims that follow.
func TestClaimThrottleTwoTasksDoNotSpace(t *testing.T) {
	t.Parallel()
	r := newThrottleRig(t)
	r.claim(time.Millisecond, 0, 100)
	r.th.Notify()
	r.claim(time.Millisecond, 2, 100)
	r.th.Notify()
	require.True(t, r.due(), "claimed at once")
	require.Empty(t, r.timer.resets)
}

func TestClaimThrottleBacklogIsNotSpaced(t *testing.T) {
	t.Parallel()
	r := newThrottleRig(t)
	r.claim(time.Millisecond, 3, 100) // spaced
	r.th.Notify()
	require.False(t, r.due())
	r.clock.Advance(maxClaimGap)
	r.claim(time.Millisecond, 5, 5) // full batch: backlog, due at once
	require.True(t, r.due(), "a backlog claims without spacing")
}
