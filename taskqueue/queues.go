package taskqueue

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/seedcore/seedcore/store"
)

// QueueConfig configures how a [Pool] serves one named queue.
type QueueConfig struct {
	// Concurrency is how many of the queue's tasks this pool runs at
	// once. Default: PoolConfig.Concurrency.
	Concurrency int
	// Fair makes the pool's claims of this queue rotate across the
	// partitions with ready tasks (see [store.ClaimFilter.Fair]): the
	// first task of each partition, then the second of each, and so on,
	// so one partition's backlog delays another partition's tasks by a
	// few claims at most. Tasks without a partition count as one
	// partition. A fair claim costs more than the plain one (on
	// PostgreSQL one index probe per partition with ready tasks), so it
	// is off by default.
	Fair bool
}

// newQueuesPool returns the pool of cfg when it serves several queues:
// one pool per queue (sorted by name), each with the queue's concurrency,
// its own claims, prefetch and workers, so a queue whose tasks are slow
// or backlogged never holds the places of another. The queue pools hold
// their leases under the one WorkerName (each heartbeats and finishes the
// tasks it holds, by id), so the process is one worker to the backend and
// to its Member.
func newQueuesPool(cfg PoolConfig) (*Pool, error) {
	names := make([]string, 0, len(cfg.Queues))
	for name := range cfg.Queues {
		names = append(names, name)
	}
	slices.Sort(names)
	p := &Pool{cfg: cfg, quit: make(chan struct{})}
	for _, name := range names {
		sub := cfg
		sub.Queues = map[string]QueueConfig{name: cfg.Queues[name]}
		qp, err := NewPool(sub)
		if err != nil {
			return nil, err
		}
		p.queues = append(p.queues, qp)
	}
	return p, nil
}

// checkQueues validates cfg.Queues and fills in each queue's defaults.
func checkQueues(cfg PoolConfig) (map[string]QueueConfig, error) {
	if len(cfg.Queues) == 0 {
		return map[string]QueueConfig{store.DefaultQueue: {Concurrency: cfg.Concurrency}}, nil
	}
	out := make(map[string]QueueConfig, len(cfg.Queues))
	for name, qc := range cfg.Queues {
		if !store.ValidQueueName(name) {
			return nil, fmt.Errorf("%w: Queues: %q is not a queue name", ErrInvalidConfig, name)
		}
		switch {
		case qc.Concurrency < 0:
			return nil, fmt.Errorf("%w: Queues[%q].Concurrency must not be negative", ErrInvalidConfig, name)
		case qc.Concurrency == 0:
			qc.Concurrency = cfg.Concurrency
		}
		out[name] = qc
	}
	return out, nil
}

// Queues returns the names of the queues the pool serves, sorted.
func (p *Pool) Queues() []string {
	if p.queues == nil {
		return []string{p.queue}
	}
	out := make([]string, len(p.queues))
	for i, qp := range p.queues {
		out[i] = qp.queue
	}
	return out
}

// serveQueues serves every queue pool until ctx ends.
func (p *Pool) serveQueues(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return fmt.Errorf("%w: pool %s is already serving", ErrInvalidConfig, p.cfg.WorkerName)
	}
	defer p.running.Store(false)
	var wg sync.WaitGroup
	errs := make([]error, len(p.queues))
	for i, qp := range p.queues {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = qp.Serve(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && err != ctx.Err() {
			return err
		}
	}
	<-ctx.Done()
	return ctx.Err()
}

// runDueQueues runs RunDue on each queue pool in turn until a whole round
// runs nothing.
func (p *Pool) runDueQueues(ctx context.Context) (int, error) {
	if !p.running.CompareAndSwap(false, true) {
		return 0, fmt.Errorf("%w: pool %s", ErrPoolBusy, p.cfg.WorkerName)
	}
	defer p.running.Store(false)
	total := 0
	for {
		round := 0
		for _, qp := range p.queues {
			n, err := qp.RunDue(ctx)
			round += n
			total += n
			if err != nil {
				return total, err
			}
		}
		if round == 0 {
			return total, nil
		}
	}
}
