package taskqueue

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// Default values of the maintenance services' settings.
const (
	DefaultRescueInterval   = 2 * time.Second
	DefaultRescueBatch      = 1000
	DefaultRetention        = 7 * 24 * time.Hour
	DefaultRetentionEvery   = time.Minute
	DefaultRetentionBatch   = 1000
	maintenanceErrorBackoff = time.Second
)

// RescuerConfig configures a [Rescuer].
type RescuerConfig struct {
	// Queue is the backend. Required.
	Queue Queue
	// Interval is the time between sweeps. Default DefaultRescueInterval.
	// A dead pool's tasks run again within its lease plus Interval.
	Interval time.Duration
	// Batch bounds the tasks moved per call; a full batch is followed by
	// another call at once. Default DefaultRescueBatch.
	Batch int
	// Logger receives a record per sweep that rescued something. Default:
	// discard.
	Logger *slog.Logger
	// OnRescue, when set, is called with each sweep's count (for metrics).
	OnRescue func(rescued int)
}

// Rescuer is a maintenance service that returns tasks whose lease expired
// (their pool died, hung or lost its connection) to retry, or fails them
// once MaxAttempts is spent. It is a suture.Service.
type Rescuer struct {
	cfg   RescuerConfig
	ready atomic.Bool
}

// NewRescuer returns a Rescuer for cfg. Errors wrap [ErrInvalidConfig].
func NewRescuer(cfg RescuerConfig) (*Rescuer, error) {
	if cfg.Queue == nil {
		return nil, fmt.Errorf("%w: rescuer needs a Queue", ErrInvalidConfig)
	}
	if cfg.Interval < 0 || cfg.Batch < 0 {
		return nil, fmt.Errorf("%w: rescuer Interval and Batch must not be negative", ErrInvalidConfig)
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultRescueInterval
	}
	if cfg.Batch == 0 {
		cfg.Batch = DefaultRescueBatch
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Rescuer{cfg: cfg}, nil
}

// String names the service in supervisor logs.
func (r *Rescuer) String() string { return "taskqueue.Rescuer" }

// Ready reports whether the last sweep reached the backend.
func (r *Rescuer) Ready() bool { return r.ready.Load() }

// Serve sweeps every Interval until ctx ends, and returns ctx.Err().
func (r *Rescuer) Serve(ctx context.Context) error {
	defer r.ready.Store(false)
	return every(ctx, r.cfg.Interval, func() bool {
		total := 0
		for {
			rescued, err := r.cfg.Queue.Rescue(ctx, r.cfg.Batch)
			if err != nil {
				if ctx.Err() == nil {
					r.ready.Store(false)
					r.cfg.Logger.Warn("rescue failed", slog.String("error", err.Error()))
				}
				return false
			}
			r.ready.Store(true)
			total += len(rescued)
			for _, t := range rescued {
				r.cfg.Logger.Info("task rescued from an expired lease",
					slog.String("task_id", t.TaskID), slog.String("type", t.Type), slog.String("status", string(t.Status)))
			}
			if len(rescued) < r.cfg.Batch || ctx.Err() != nil {
				break
			}
		}
		if r.cfg.OnRescue != nil && total > 0 {
			r.cfg.OnRescue(total)
		}
		return true
	})
}

// RetentionConfig configures a [RetentionCleaner].
type RetentionConfig struct {
	// Cleaner is the backend. Required.
	Cleaner Cleaner
	// Retention is how long finished tasks are kept. Default DefaultRetention.
	Retention time.Duration
	// Interval is the time between cleanups. Default DefaultRetentionEvery.
	Interval time.Duration
	// Batch bounds the rows deleted per statement. Default DefaultRetentionBatch.
	Batch int
	// Logger receives a record per cleanup that deleted something. Default:
	// discard.
	Logger *slog.Logger
}

// RetentionCleaner is a maintenance service that deletes finished tasks
// older than the retention age, in bounded batches. It is a suture.Service.
type RetentionCleaner struct {
	cfg RetentionConfig
}

// NewRetentionCleaner returns a RetentionCleaner for cfg. Errors wrap
// [ErrInvalidConfig].
func NewRetentionCleaner(cfg RetentionConfig) (*RetentionCleaner, error) {
	if cfg.Cleaner == nil {
		return nil, fmt.Errorf("%w: retention cleaner needs a Cleaner", ErrInvalidConfig)
	}
	if cfg.Retention < 0 || cfg.Interval < 0 || cfg.Batch < 0 {
		return nil, fmt.Errorf("%w: retention settings must not be negative", ErrInvalidConfig)
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultRetentionEvery
	}
	if cfg.Batch == 0 {
		cfg.Batch = DefaultRetentionBatch
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &RetentionCleaner{cfg: cfg}, nil
}

// String names the service in supervisor logs.
func (c *RetentionCleaner) String() string { return "taskqueue.RetentionCleaner" }

// Serve cleans up every Interval until ctx ends, and returns ctx.Err().
func (c *RetentionCleaner) Serve(ctx context.Context) error {
	return every(ctx, c.cfg.Interval, func() bool {
		n, err := c.cfg.Cleaner.DeleteFinished(ctx, c.cfg.Retention, c.cfg.Batch)
		if err != nil {
			if ctx.Err() == nil {
				c.cfg.Logger.Warn("retention cleanup failed", slog.String("error", err.Error()))
			}
			return false
		}
		if n > 0 {
			c.cfg.Logger.Info("finished tasks deleted", slog.Int("deleted", n), slog.Duration("retention", c.cfg.Retention))
		}
		return true
	})
}

// every runs fn at once and then every interval (or after
// maintenanceErrorBackoff when it fails, if that is sooner) until ctx ends.
func every(ctx context.Context, interval time.Duration, fn func() bool) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
		next := interval
		if !fn() && maintenanceErrorBackoff < next {
			next = maintenanceErrorBackoff
		}
		timer.Reset(next)
	}
}
