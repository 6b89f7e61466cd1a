package taskqueue

import "time"

// claimCooldown bounds how long a freed slot waits for others to free
// before a backlogged pool claims for it alone.
const claimCooldown = time.Millisecond

// Claims made for notifications are spaced when tasks arrive faster than
// the pool claims them one at a time. Under a stream of single inserts
// each notification would otherwise cost a claim statement for one or two
// tasks, and the claims would take the database's CPU from the inserts
// (with eight producers and the workers on one machine, claims at most
// every 2 ms gave 3,200-3,300 inserts/s, at most every 10 ms 4,200-4,600).
// So once a claim for a notification returns more than spaceAbove tasks,
// the next one waits until claimDuty times the recent duration of a claim
// has passed since the last began (at most maxClaimGap), and tasks that
// became ready meanwhile share it: claiming then takes about a tenth of
// the time. When claims return spaceAbove tasks or fewer again (a
// trickle, such as 200 tasks/s), a notification is claimed for at once.
//
// claimDuty was 10 while a claim was planned at every call; once the
// plain claim ran a prepared statement (a fifth of its time in the
// database), 6 took W2's pickup at 2,000 tasks/s from a median of 5.6 ms
// to 2.5 ms (p99 10.9 to 6.0 ms) with W3 unchanged (4,915 and 5,088
// completed/s), where 4 took it to 1.6 ms but cost W3 a tenth (three
// alternating rounds each, bench -only w2,w3).
//
// spaceAbove is 2, not 1: on a loaded machine a claim of a trickle takes
// long enough now and then for a second insert to arrive meanwhile, and
// two tasks in one claim then held every following claim back by up to
// maxClaimGap until a claim found one task again: the tail of the pickup
// latency at 200 tasks/s through App.Enqueue was that gap.
const (
	claimDuty   = 6
	maxClaimGap = 10 * time.Millisecond
	spaceAbove  = 2
)

// claimTimer is the one timer a claimThrottle arms: a *time.Timer in a
// pool, a fake one in tests.
type claimTimer interface {
	C() <-chan time.Time
	Reset(d time.Duration)
	Stop()
}

type realTimer struct{ t *time.Timer }

func newRealTimer() claimTimer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return realTimer{t}
}

func (r realTimer) C() <-chan time.Time   { return r.t.C }
func (r realTimer) Reset(d time.Duration) { r.t.Reset(d) }
func (r realTimer) Stop()                 { r.t.Stop() }

// ready is a channel that is always ready to receive from.
var ready = func() chan time.Time {
	c := make(chan time.Time)
	close(c)
	return c
}()

// claimThrottle decides when a pool's claim loop claims. The loop selects
// on C next to its other events, tells the throttle about them (Notify,
// SlotFreed) and brackets each claim with Start and Done:
//
//   - At first, after a notification or a poll, and after a claim that
//     filled every free slot, a claim is due at once.
//   - With a backlog (the last claim filled every free slot or found none
//     free) a freed slot makes a claim due when enough slots are free
//     (the enough function: in a pool, a quarter of what one claim may take) or
//     claimCooldown after the first freed slot, so claims come in batches.
//   - Without a backlog, once claims for notifications find more than
//     spaceAbove tasks, a claim waits until claimDuty times the recent claim duration
//     (at most maxClaimGap) has passed since the last one began; the
//     notifications that arrive meanwhile share it.
//
// A claimThrottle is used by one goroutine.
type claimThrottle struct {
	now    func() time.Time
	enough func() bool // enough slots are free for a backlogged claim
	timer  claimTimer

	wake     bool // a claim is due at once (before spacing)
	more     bool // backlog: the last claim filled every free slot or found none
	deferred bool // a due claim is held back by the spacing until the timer fires
	armed    bool // timer is running
	spaced   bool // the last claim for a notification found more than spaceAbove tasks

	lastClaim time.Time
	avgClaim  time.Duration // moving average of a claim's duration
}

func newClaimThrottle(now func() time.Time, enough func() bool, timer claimTimer) *claimThrottle {
	return &claimThrottle{now: now, enough: enough, timer: timer, wake: true}
}

// C returns a channel that is ready when a claim is due: an always-ready
// channel, the timer's channel, or nil (block) when nothing is due.
func (t *claimThrottle) C() <-chan time.Time {
	if t.wake && !t.more && !t.deferred && t.spaced {
		gap := min(claimDuty*t.avgClaim, maxClaimGap)
		if wait := gap - t.now().Sub(t.lastClaim); wait > 0 && wait <= gap {
			t.wake, t.deferred = false, true
			t.arm(wait)
		}
	}
	switch {
	case t.wake:
		return ready
	case t.armed:
		return t.timer.C()
	}
	return nil
}

func (t *claimThrottle) arm(d time.Duration) {
	if t.armed {
		t.timer.Stop()
	}
	t.timer.Reset(d)
	t.armed = true
}

// Notify reports a notification that tasks are ready, or a poll tick.
func (t *claimThrottle) Notify() {
	if !t.deferred {
		t.wake = true
	}
}

// SlotFreed reports that a running or waiting task left the pool.
func (t *claimThrottle) SlotFreed() {
	switch {
	case !t.more:
	case t.enough():
		t.wake = true
	case !t.armed:
		t.arm(claimCooldown)
	}
}

// Start is called when a claim begins (after C was ready).
func (t *claimThrottle) Start() {
	t.wake, t.deferred = false, false
	if t.armed {
		t.timer.Stop()
		t.armed = false
	}
	t.lastClaim = t.now()
}

// Done is called when a claim ends: it claimed n tasks with free slots
// free.
func (t *claimThrottle) Done(n, free int) {
	took := t.now().Sub(t.lastClaim)
	if t.avgClaim == 0 {
		t.avgClaim = took
	} else {
		t.avgClaim += (took - t.avgClaim) / 8
	}
	if !t.more {
		t.spaced = n > spaceAbove
	}
	// A full batch means there may be more at once; with no free slot,
	// look again as soon as slots free.
	t.more = free == 0 || n == free
	t.wake = free > 0 && n == free
}

// Stop stops the timer.
func (t *claimThrottle) Stop() {
	t.timer.Stop()
	t.armed = false
}
