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

// typeLabels names task types in labels: only the types declared (by
// Options.Types or a taskqueue.TypedDispatcher), capped by a limiter;
// every other type is OtherLabel, so no client text becomes a label and
// unknown types cannot use up the cap.
type typeLabels struct {
	static map[string]struct{}
	known  atomic.Pointer[[]func(string) bool]
	mu     sync.Mutex // serializes add
	cap    *limiter
}

func newTypeLabels(types []string, max int) *typeLabels {
	l := &typeLabels{static: make(map[string]struct{}, len(types)), cap: newLimiter(max)}
	for _, t := range types {
		l.static[t] = struct{}{}
	}
	return l
}

// add declares the types for which handles returns true.
func (l *typeLabels) add(handles func(string) bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var fs []func(string) bool
	if old := l.known.Load(); old != nil {
		fs = append(fs, *old...)
	}
	fs = append(fs, handles)
	l.known.Store(&fs)
}

// label returns t when it is declared (and within the cap), else OtherLabel.
func (l *typeLabels) label(t string) string {
	if l.declared(t) {
		return l.cap.label(t)
	}
	return OtherLabel
}

func (l *typeLabels) declared(t string) bool {
	if _, ok := l.static[t]; ok {
		return true
	}
	if fs := l.known.Load(); fs != nil {
		for _, f := range *fs {
			if f(t) {
				return true
			}
		}
	}
	return false
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
