package seedcoretest

import (
	"time"

	"github.com/seedcore/seedcore/internal/fakeclock"
)

// Clock is a clock that stands still until the test moves it. Pass its
// Now as seedcore.Config.Now: the App's in-memory store then stamps and
// schedules every task by it, so a task with RunAfter in an hour, or a
// retry after a one-minute backoff, becomes due exactly when the test
// advances the clock past it. It is safe for concurrent use.
//
// It drives the in-memory store only (see the package documentation): a
// serving App's workers still look for work on their real-time poll
// interval, and [Drain] runs what is due at once.
type Clock struct {
	c *fakeclock.Clock
}

// NewClock returns a clock that reads start.
func NewClock(start time.Time) *Clock { return &Clock{c: fakeclock.New(start)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return c.c.Now() }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.c.Advance(d) }
