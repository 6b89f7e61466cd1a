package supervisor

import (
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/thejerf/suture/v4"
)

// Defaults applied by [New] to zero-valued [Config] fields.
const (
	// DefaultCheckTimeout bounds each readiness check run by [Supervisor.Check].
	DefaultCheckTimeout = 5 * time.Second
	// DefaultFailureBackoff is how long the tree pauses restarts once the
	// failure threshold is crossed.
	DefaultFailureBackoff = 15 * time.Second
	// DefaultFailureDecay is the half-life of the failure count.
	DefaultFailureDecay = 30 * time.Second
	// DefaultFailureThreshold is the decayed failure count above which the
	// tree enters backoff.
	DefaultFailureThreshold = 5.0
	// DefaultName names the supervisor in logs and errors.
	DefaultName = "supervisor"
	// DefaultStopTimeout is how long a stop waits for the services to return.
	DefaultStopTimeout = 10 * time.Second
)

// Config configures a [Supervisor]. The zero value is valid: every zero
// field takes the default stated on it. Negative durations and negative,
// NaN or infinite thresholds are rejected by [New] with an error wrapping
// [ErrInvalidConfig] that names the field.
type Config struct {
	// BackoffJitter spreads the backoff pause so that many processes that
	// failed together do not restart together. Default: suture's
	// DefaultJitter, which stretches FailureBackoff by a random 0–50 %.
	// Use suture.NoJitter{} for an exact pause.
	BackoffJitter suture.Jitter

	// CheckTimeout bounds each named readiness check (see
	// [Supervisor.AddCheck]) when [Supervisor.Check] or [Supervisor.Ready]
	// runs it. Default: [DefaultCheckTimeout] (5s).
	CheckTimeout time.Duration

	// FailureBackoff is how long the whole tree pauses restarting failed
	// services once the decayed failure count passes FailureThreshold.
	// While paused the supervisor is not ready. Default:
	// [DefaultFailureBackoff] (15s).
	FailureBackoff time.Duration

	// FailureDecay is the half-life of the failure count: every
	// FailureDecay the count of recent failures is halved (smoothly).
	// Default: [DefaultFailureDecay] (30s).
	FailureDecay time.Duration

	// FailureThreshold is the decayed number of failures (returns and
	// panics of any service) above which the tree enters backoff. Each
	// failure adds one. Default: [DefaultFailureThreshold] (5).
	FailureThreshold float64

	// Logger receives every supervision [Event] as a structured record:
	// panics (with the stack), terminations, backoff, resume, stop
	// timeouts and the report of services that did not stop. The records'
	// messages are for people and may change: subscribe to OnEvent to act
	// on events. Default: a logger that discards everything.
	Logger *slog.Logger

	// Name identifies the supervisor in logs, errors and, when it is
	// added to another suture tree, in that tree's events. Default:
	// [DefaultName] ("supervisor").
	Name string

	// OnEvent, when set, is called with every supervision [Event], after
	// it is logged. It is called synchronously from suture's control loop
	// and from the services' goroutines, possibly concurrently, so it must
	// be safe for concurrent use, return quickly and not call the
	// Supervisor's methods. Default: nil (events are only logged).
	OnEvent func(Event)

	// StopTimeout is how long a stop waits for the services to return
	// after their context is cancelled. All services are cancelled at
	// once, so each one gets the full StopTimeout. Services still running
	// after it are reported (see [ErrStopTimeout]). Default:
	// [DefaultStopTimeout] (10s).
	StopTimeout time.Duration
}

// withDefaults returns a copy of cfg with defaults filled in, or an error
// wrapping ErrInvalidConfig that names the first invalid field.
func (cfg Config) withDefaults() (Config, error) {
	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"CheckTimeout", &cfg.CheckTimeout, DefaultCheckTimeout},
		{"FailureBackoff", &cfg.FailureBackoff, DefaultFailureBackoff},
		{"FailureDecay", &cfg.FailureDecay, DefaultFailureDecay},
		{"StopTimeout", &cfg.StopTimeout, DefaultStopTimeout},
	}
	for _, d := range durations {
		if *d.v < 0 {
			return Config{}, fmt.Errorf("%w: %s must not be negative, got %s", ErrInvalidConfig, d.name, *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	switch {
	case math.IsNaN(cfg.FailureThreshold) || math.IsInf(cfg.FailureThreshold, 0):
		return Config{}, fmt.Errorf("%w: FailureThreshold must be a finite number, got %v", ErrInvalidConfig, cfg.FailureThreshold)
	case cfg.FailureThreshold < 0:
		return Config{}, fmt.Errorf("%w: FailureThreshold must not be negative, got %v", ErrInvalidConfig, cfg.FailureThreshold)
	case cfg.FailureThreshold == 0:
		cfg.FailureThreshold = DefaultFailureThreshold
	}
	if cfg.BackoffJitter == nil {
		cfg.BackoffJitter = &suture.DefaultJitter{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Name == "" {
		cfg.Name = DefaultName
	}
	return cfg, nil
}
