package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// seedcoreSystem drives a seedcore App with seedcore.Config{} defaults
// (only Dispatcher, DatabaseURL and Logger are set, and Concurrency when
// workers is not 0).
type seedcoreSystem struct {
	log     *slog.Logger
	workers int
	// queues and partitions, when set, spread the bulk-inserted tasks over
	// that many named queues (each served with workers/queues workers)
	// and partition keys, round robin.
	queues, partitions int
	app                *seedcore.App
	served             chan error
}

type bulkCreator interface {
	CreateMany(ctx context.Context, tasks []store.NewTask) (int, error)
}

func (s *seedcoreSystem) Open(ctx context.Context, dsn string, p *probe) error {
	d := taskqueue.DispatcherFunc(func(_ context.Context, t *store.Task) (json.RawMessage, error) {
		p.started(t.ID)
		return nil, nil
	})
	cfg := seedcore.Config{Dispatcher: taskqueue.Typed(d, "noop"), DatabaseURL: dsn, Logger: s.log, Concurrency: s.workers}
	if s.queues > 0 {
		per := max(1, max(s.workers, taskqueue.DefaultConcurrency)/s.queues)
		cfg.Queues = make(map[string]taskqueue.QueueConfig, s.queues)
		for q := range s.queues {
			cfg.Queues[fmt.Sprintf("q%d", q)] = taskqueue.QueueConfig{Concurrency: per}
		}
	}
	app, err := seedcore.New(ctx, cfg)
	if err != nil {
		return fmt.Errorf("seedcore: %w", err)
	}
	s.app = app
	return nil
}

func (s *seedcoreSystem) InsertMany(ctx context.Context, n, batch int) error {
	bc, ok := s.app.Store().(bulkCreator)
	if !ok {
		return errors.New("seedcore: store has no CreateMany")
	}
	tasks := make([]store.NewTask, min(n, batch))
	for i := range tasks {
		tasks[i] = store.NewTask{Type: "noop"}
	}
	for done := 0; done < n; {
		k := min(batch, n-done)
		for i := range tasks[:k] {
			if s.queues > 0 {
				tasks[i].Queue = fmt.Sprintf("q%d", (done+i)%s.queues)
			}
			if s.partitions > 0 {
				tasks[i].Partition = fmt.Sprintf("p%d", (done+i)%s.partitions)
			}
		}
		if _, err := bc.CreateMany(ctx, tasks[:k]); err != nil {
			return fmt.Errorf("seedcore: create many: %w", err)
		}
		done += k
	}
	return nil
}

// singleDescription is the description of W2-W4's single inserts: short,
// as most are, and analysed by the eventizer on the way in (it is on by
// default).
const singleDescription = "nightly export for account 4711 finished"

func (s *seedcoreSystem) Insert(ctx context.Context) (string, error) {
	t, _, err := s.app.Enqueue(ctx, store.NewTask{Type: "noop", Description: singleDescription})
	if err != nil {
		return "", fmt.Errorf("seedcore: enqueue: %w", err)
	}
	return t.ID, nil
}

func (s *seedcoreSystem) Start(ctx context.Context) error {
	s.served = make(chan error, 1)
	go func() { s.served <- s.app.Serve(context.WithoutCancel(ctx)) }()
	// Serve returns only at stop; wait until the pool and store report ready.
	deadline := time.Now().Add(30 * time.Second)
	for !s.app.Ready() {
		if time.Now().After(deadline) {
			return errors.New("seedcore: app not ready after 30s")
		}
		select {
		case err := <-s.served:
			return fmt.Errorf("seedcore: serve: %w", err)
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}

func (s *seedcoreSystem) Completed(ctx context.Context) (int, error) {
	c, err := s.app.Store().Counts(ctx)
	if err != nil {
		return 0, fmt.Errorf("seedcore: counts: %w", err)
	}
	return c[store.StatusCompleted], nil
}

func (s *seedcoreSystem) Close(ctx context.Context) error {
	if s.app == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return s.app.Shutdown(ctx)
}
