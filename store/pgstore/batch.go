package pgstore

import (
	"context"
	"errors"
	"sync"

	"github.com/lib/pq"

	"github.com/seedcore/seedcore/store"
)

// maxInsertBatch bounds how many concurrent Create calls one statement
// stores.
const maxInsertBatch = 256

// inserter gathers concurrent [Store.Create] calls into shared statements,
// so that many callers pay for one synchronous commit (one WAL flush)
// instead of one each. A call that finds no statement under way runs its
// own insert at once, in the calling goroutine: an uncontended insert
// costs what it would without the inserter. Calls that arrive while a statement
// runs queue, and a goroutine of the inserter stores them together when
// it ends, up to maxInsertBatch at a time, until none is queued.
//
// A queued caller whose context ends leaves the queue and stores nothing.
// A caller whose context ends while its batch runs returns at once; the
// statement is cancelled only when every caller in it has gone, so one
// impatient caller never fails the others (its task may still be stored,
// as with any write cancelled in flight).
type inserter struct {
	s *Store
	// beforeBatch, when set (tests), is called before each batch runs.
	beforeBatch func(n int)

	mu      sync.Mutex
	busy    bool
	waiting []*insertReq
}

type insertReq struct {
	nt   store.NewTask
	done chan insertRes // buffered: the runner never blocks on it
	// b is the batch that took the request (nil while it waits); guarded
	// by inserter.mu.
	b *insertBatch
}

type insertRes struct {
	task    store.Task
	created bool
	err     error
}

// insertBatch is a statement under way, cancelled when all its callers
// have gone.
type insertBatch struct {
	ctx    context.Context
	cancel context.CancelFunc
	live   int // callers still waiting; guarded by inserter.mu
}

func (in *inserter) create(ctx context.Context, nt store.NewTask) (store.Task, bool, error) {
	in.mu.Lock()
	if !in.busy {
		in.busy = true
		in.mu.Unlock()
		task, created, err := in.s.create(ctx, in.s.db, nt)
		in.release()
		return task, created, err
	}
	r := &insertReq{nt: nt, done: make(chan insertRes, 1)}
	in.waiting = append(in.waiting, r)
	in.mu.Unlock()

	select {
	case res := <-r.done:
		return res.task, res.created, res.err
	case <-ctx.Done():
		select {
		case res := <-r.done: // answered as the context ended: say what happened
			return res.task, res.created, res.err
		default:
		}
		in.abandon(r)
		return store.Task{}, false, errorf("pgstore: create: %w", context.Cause(ctx))
	}
}

// release ends the caller's own turn: queued calls, if any, are handed to
// a goroutine that stores them.
func (in *inserter) release() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.waiting) == 0 {
		in.busy = false
		return
	}
	in.s.bg.goroutine(in.drain)
}

// abandon takes r out of the queue, or out of the count of its batch's
// callers, cancelling the batch when r was its last.
func (in *inserter) abandon(r *insertReq) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if r.b == nil {
		for i, w := range in.waiting {
			if w == r {
				in.waiting = append(in.waiting[:i], in.waiting[i+1:]...)
				return
			}
		}
		return
	}
	r.b.live--
	if r.b.live == 0 {
		r.b.cancel()
	}
}

// drain stores the queued calls, batch after batch, until none is left.
func (in *inserter) drain() {
	for {
		in.mu.Lock()
		if len(in.waiting) == 0 {
			in.busy = false
			in.mu.Unlock()
			return
		}
		n := min(len(in.waiting), maxInsertBatch)
		reqs := make([]*insertReq, n)
		copy(reqs, in.waiting)
		in.waiting = append(in.waiting[:0], in.waiting[n:]...)
		b := &insertBatch{live: n}
		b.ctx, b.cancel = context.WithCancel(context.Background())
		for _, r := range reqs {
			r.b = b
		}
		in.mu.Unlock()

		if in.beforeBatch != nil {
			in.beforeBatch(n)
		}
		in.run(b.ctx, reqs)
		b.cancel()
	}
}

// run stores reqs and answers each.
func (in *inserter) run(ctx context.Context, reqs []*insertReq) {
	if len(reqs) == 1 {
		task, created, err := in.s.create(ctx, in.s.db, reqs[0].nt)
		reqs[0].done <- insertRes{task, created, err}
		return
	}
	res, err := in.s.insertBatch(ctx, reqs)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		// The database refused the batch (a taken ID, say): store each on
		// its own, so only the call at fault gets the error. Input the
		// database would refuse never gets here: Create checks it with
		// NewTask.Normalize before queueing. When a NUL in a description
		// still reached the batch, 5 clients sending one among 195 good
		// ones cut the good creates from about 23,000/s to 1,800/s (median
		// latency 7 ms to 95 ms); now they cost at most a few percent
		// (BenchmarkCreateBadClients, ratio 0.95 to 1.00).
		for _, r := range reqs {
			task, created, err := in.s.create(ctx, in.s.db, r.nt)
			r.done <- insertRes{task, created, err}
		}
		return
	}
	for i, r := range reqs {
		if err != nil {
			r.done <- insertRes{err: errorf("pgstore: create: %w", err)}
			continue
		}
		r.done <- res[i]
	}
}

// insertBatch stores normalized tasks in one statement. A task whose
// idempotency key is taken (by an existing task or by an earlier task of
// the batch) is looked up afterwards, as Create does. Its transaction
// sends one "r" notification when any stored task is ready.
func (s *Store) insertBatch(ctx context.Context, reqs []*insertReq) ([]insertRes, error) {
	tasks := make([]store.NewTask, len(reqs))
	for i, r := range reqs {
		tasks[i] = r.nt
	}
	rows, err := s.prep.insertBatch.queryContext(ctx, s, taskArrays(tasks)...)
	if err != nil {
		return nil, err
	}
	stored := make(map[string]store.Task, len(reqs))
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			_ = rows.Close()
			return nil, err
		}
		stored[t.ID] = t
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]insertRes, len(reqs))
	for i, r := range reqs {
		if t, ok := stored[r.nt.ID]; ok {
			out[i] = insertRes{task: t, created: true}
			continue
		}
		// Not inserted: its idempotency key is taken.
		t, err := s.byIdempotencyKey(ctx, s.db, r.nt.IdempotencyKey)
		out[i] = insertRes{task: t, err: err}
	}
	return out, nil
}
