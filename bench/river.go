package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// noopArgs is River's no-op job.
type noopArgs struct{}

func (noopArgs) Kind() string { return "noop" }

// riverSystem drives a River client on a pgx pool.
type riverSystem struct {
	log      *slog.Logger
	tuned    bool // FetchCooldown 2ms, FetchPollInterval 20ms, MaxWorkers 2000 unless workers is set
	workers  int  // MaxWorkers; 0: 2000 tuned, 100 otherwise
	maxConns int32
	pool     *pgxpool.Pool
	client   *river.Client[pgx.Tx]
}

func (s *riverSystem) Open(ctx context.Context, dsn string, p *probe) error {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("river: pool config: %w", err)
	}
	if s.maxConns > 0 {
		cfg.MaxConns = s.maxConns
	}
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return fmt.Errorf("river: pool: %w", err)
	}
	drv := riverpgxv5.New(s.pool)
	m, err := rivermigrate.New(drv, &rivermigrate.Config{Logger: s.log})
	if err != nil {
		return fmt.Errorf("river: migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river: migrate: %w", err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(_ context.Context, job *river.Job[noopArgs]) error {
		p.started(strconv.FormatInt(job.ID, 10))
		return nil
	}))
	n := s.workers
	if n == 0 {
		n = 100
		if s.tuned {
			n = 2000
		}
	}
	rc := &river.Config{
		Logger:  s.log,
		Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: n}},
		Workers: workers,
	}
	if s.tuned {
		rc.FetchCooldown = 2 * time.Millisecond
		rc.FetchPollInterval = 20 * time.Millisecond
	}
	if s.client, err = river.NewClient(drv, rc); err != nil {
		return fmt.Errorf("river: client: %w", err)
	}
	return nil
}

func (s *riverSystem) InsertMany(ctx context.Context, n, batch int) error {
	params := make([]river.InsertManyParams, min(n, batch))
	for i := range params {
		params[i] = river.InsertManyParams{Args: noopArgs{}}
	}
	for done := 0; done < n; {
		k := min(batch, n-done)
		if _, err := s.client.InsertManyFast(ctx, params[:k]); err != nil {
			return fmt.Errorf("river: insert many: %w", err)
		}
		done += k
	}
	return nil
}

func (s *riverSystem) Insert(ctx context.Context) (string, error) {
	res, err := s.client.Insert(ctx, noopArgs{}, nil)
	if err != nil {
		return "", fmt.Errorf("river: insert: %w", err)
	}
	return strconv.FormatInt(res.Job.ID, 10), nil
}

func (s *riverSystem) Start(ctx context.Context) error {
	if err := s.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("river: start: %w", err)
	}
	return nil
}

func (s *riverSystem) Completed(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE state = 'completed'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("river: count: %w", err)
	}
	return n, nil
}

func (s *riverSystem) Close(ctx context.Context) error {
	var err error
	if s.client != nil {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		err = s.client.Stop(ctx)
	}
	if s.pool != nil {
		s.pool.Close()
	}
	return err
}
