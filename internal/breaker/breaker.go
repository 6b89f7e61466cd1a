package breaker

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrOpen is returned by [Breaker.Allow] while the breaker is open, or while
// it is half-open and its single trial call is already in flight.
var ErrOpen = errors.New("breaker: circuit open")

// State is the position of a [Breaker].
type State int

const (
	// Closed lets every call through and counts consecutive failures.
	Closed State = iota
	// Open rejects every call until the cool-down has passed.
	Open
	// HalfOpen lets exactly one trial call through; its outcome closes or
	// re-opens the breaker.
	HalfOpen
)

// String returns "closed", "open" or "half-open".
func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case Open:
		return "open"
	case HalfOpen:
		return "half-open"
	default:
		return fmt.Sprintf("State(%d)", int(s))
	}
}

// Config configures a [Breaker]. The zero value is valid.
type Config struct {
	// CoolDown is how long the breaker stays open before it lets one trial
	// call through. Default 10s; negative is an error.
	CoolDown time.Duration
	// Failures is the number of consecutive failures that opens the
	// breaker. Default 5; negative is an error.
	Failures int
	// Now is the clock. Default time.Now; tests inject a fake clock.
	Now func() time.Time
}

// Breaker is a consecutive-failure circuit breaker. It is safe for
// concurrent use.
//
// A caller asks [Breaker.Allow] before each call and reports the result with
// the returned done function (exactly once). Closed, it counts consecutive
// failures and opens at Config.Failures. Open, it rejects calls with
// [ErrOpen] until Config.CoolDown has passed, then half-opens: one trial call
// is let through (others are rejected) and its success closes the breaker
// while its failure re-opens it for another cool-down.
type Breaker struct {
	coolDown time.Duration
	limit    int
	now      func() time.Time

	mu       sync.Mutex
	state    State
	failures int
	openedAt time.Time
	trial    bool // a half-open trial is in flight
	gen      uint64
}

// New returns a closed breaker, or an error for a negative setting.
func New(cfg Config) (*Breaker, error) {
	if cfg.CoolDown < 0 {
		return nil, fmt.Errorf("breaker: negative CoolDown %v", cfg.CoolDown)
	}
	if cfg.Failures < 0 {
		return nil, fmt.Errorf("breaker: negative Failures %d", cfg.Failures)
	}
	b := &Breaker{coolDown: cfg.CoolDown, limit: cfg.Failures, now: cfg.Now}
	if b.coolDown == 0 {
		b.coolDown = 10 * time.Second
	}
	if b.limit == 0 {
		b.limit = 5
	}
	if b.now == nil {
		b.now = time.Now
	}
	return b, nil
}

// State reports the current state, moving an open breaker whose cool-down
// has passed to half-open.
func (b *Breaker) State() State {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance()
	return b.state
}

func (b *Breaker) advance() {
	if b.state == Open && !b.now().Before(b.openedAt.Add(b.coolDown)) {
		b.state = HalfOpen
		b.trial = false
	}
}

// Outcome is what a call reports to the breaker.
type Outcome int

const (
	// Success resets the failure count and closes a half-open breaker.
	Success Outcome = iota
	// Failure counts towards opening and re-opens a half-open breaker.
	Failure
	// Ignored says nothing about the remote side's health (the caller's own
	// context was cancelled, say): nothing is counted, and a half-open
	// breaker lets another trial through.
	Ignored
)

// Allow asks to make one call. It returns [ErrOpen] when the call must not
// be made; otherwise the caller makes the call and reports its outcome by
// calling done once (later calls are ignored).
func (b *Breaker) Allow() (done func(Outcome), err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance()
	switch b.state {
	case Open:
		return nil, ErrOpen
	case HalfOpen:
		if b.trial {
			return nil, ErrOpen
		}
		b.trial = true
	}
	gen := b.gen
	var once sync.Once
	return func(o Outcome) {
		once.Do(func() { b.report(gen, o) })
	}, nil
}

// report records an outcome. Outcomes of calls started before the last
// state change (gen) are stale: a slow failure from before the breaker
// closed must not count against the new closed period, except that any
// failure while closed still counts.
func (b *Breaker) report(gen uint64, o Outcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if o == Ignored {
		if b.state == HalfOpen && gen == b.gen {
			b.trial = false
		}
		return
	}
	success := o == Success
	switch b.state {
	case Closed:
		if success {
			b.failures = 0
			return
		}
		b.failures++
		if b.failures >= b.limit {
			b.trip()
		}
	case HalfOpen:
		if gen != b.gen || !b.trial {
			return // a call from before the breaker opened
		}
		if success {
			b.state = Closed
			b.failures = 0
			b.trial = false
			b.gen++
			return
		}
		b.trip()
	case Open:
		// Late outcomes of calls started while closed change nothing.
	}
}

func (b *Breaker) trip() {
	b.state = Open
	b.openedAt = b.now()
	b.failures = 0
	b.trial = false
	b.gen++
}
