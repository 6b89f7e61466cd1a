package metrics

import (
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/seedcore/seedcore/store"
)

// limiter bounds the distinct values of a label: the first max values seen
// are kept, later ones become [OtherLabel].
type limiter struct {
	max  int
	mu   sync.RWMutex
	seen map[string]struct{}
}

func newLimiter(max int) *limiter {
	return &limiter{max: max, seen: make(map[string]struct{}, max)}
}

// label returns v when it is one of the first max values seen (and valid
// UTF-8), otherwise OtherLabel.
func (l *limiter) label(v string) string {
	l.mu.RLock()
	_, ok := l.seen[v]
	full := len(l.seen) >= l.max
	l.mu.RUnlock()
	switch {
	case ok:
		return v
	case full, !utf8.ValidString(v):
		return OtherLabel
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.seen[v]; ok {
		return v
	}
	if len(l.seen) >= l.max {
		return OtherLabel
	}
	l.seen[v] = struct{}{}
	return v
}

// atomicStore holds the tracked store, or nil.
type atomicStore struct{ p atomic.Pointer[storeBox] }

type storeBox struct{ s store.Store }

func (a *atomicStore) Store(s store.Store) {
	if s == nil {
		a.p.Store(nil)
		return
	}
	a.p.Store(&storeBox{s: s})
}

func (a *atomicStore) Load() store.Store {
	if b := a.p.Load(); b != nil {
		return b.s
	}
	return nil
}
