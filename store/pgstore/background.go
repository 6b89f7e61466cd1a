package pgstore

import "sync"

// background runs and joins a store's goroutines (the wakers' sends and
// the inserter's shared statements), so that [Store.Close] returns only
// after the work they were started for is done.
type background struct {
	mu      sync.Mutex
	wg      sync.WaitGroup
	active  int // joined goroutines still running; guarded by mu
	closing bool
	// stop is closed by close: a waker that lingers sends at once.
	stop chan struct{}
}

func newBackground() *background { return &background{stop: make(chan struct{})} }

// goroutine runs f in a goroutine of its own, joined by close when it
// starts before close does, or while goroutines close waits for still run
// (a shared insert that ends during Close starts the send of the "r" it
// owes, and Close waits for that too).
func (b *background) goroutine(f func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing && b.active == 0 {
		// A store made by New keeps working after Close; what it starts
		// then is not joined (Close has returned).
		go f()
		return
	}
	b.active++
	b.wg.Add(1) // the count is above zero here when close waits
	go func() {
		defer b.wg.Done()
		defer func() {
			b.mu.Lock()
			b.active--
			b.mu.Unlock()
		}()
		f()
	}()
}

// close stops lingering and waits for the goroutines started before it. It
// may be called more than once.
func (b *background) close() {
	b.mu.Lock()
	if !b.closing {
		b.closing = true
		close(b.stop)
	}
	b.mu.Unlock()
	b.wg.Wait()
}
