package taskqueue

import (
	"math/rand/v2"
	"time"
)

// RetryPolicy decides how long a failed task waits before its next attempt.
type RetryPolicy interface {
	// NextRetry returns the delay before the attempt after attempt (1 for
	// the first attempt).
	NextRetry(attempt int) time.Duration
}

// RetryPolicyFunc adapts a function to [RetryPolicy].
type RetryPolicyFunc func(attempt int) time.Duration

// NextRetry calls f(attempt).
func (f RetryPolicyFunc) NextRetry(attempt int) time.Duration { return f(attempt) }

// ExponentialBackoff is the default [RetryPolicy]: exponential backoff with
// full jitter. The delay after attempt n is uniformly random in
// [0, min(Max, Base·2^(n-1))], which spreads retries of tasks that failed
// together.
type ExponentialBackoff struct {
	// Base is the ceiling of the first delay. Default 1s.
	Base time.Duration
	// Max caps the ceiling. Default 1h.
	Max time.Duration
}

// NextRetry implements [RetryPolicy].
func (b ExponentialBackoff) NextRetry(attempt int) time.Duration {
	base, limit := b.Base, b.Max
	if base <= 0 {
		base = time.Second
	}
	if limit <= 0 {
		limit = time.Hour
	}
	ceiling := limit
	if attempt < 1 {
		attempt = 1
	}
	if shift := attempt - 1; shift < 62 && base <= limit>>shift {
		ceiling = base << shift
	}
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}
