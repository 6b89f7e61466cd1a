// Package breaker is a small consecutive-failure circuit breaker shared by
// the clients that call remote services (the eventizer's HTTP enricher, the
// HTTP dispatcher).
//
// # States
//
// A [Breaker] starts closed. After Config.Failures consecutive failures it
// opens and rejects calls with [ErrOpen]. After Config.CoolDown it
// half-opens and lets one trial call through: success closes it, failure
// opens it again.
//
// # Time
//
// Config.Now injects the clock, so tests move time by hand instead of
// sleeping.
package breaker
