package memstore

import "github.com/seedcore/seedcore/store"

// readySet holds the due claimable tasks in one heap per task type, so a
// claim restricted to some types reads only their heaps: tasks of types
// no claimer runs cost those claims nothing.
type readySet struct {
	heaps map[string]*taskHeap
}

// add inserts e into the heap of its type.
func (r *readySet) add(e *entry) {
	h := r.heaps[e.t.Type]
	if h == nil {
		if r.heaps == nil {
			r.heaps = make(map[string]*taskHeap)
		}
		h = &taskHeap{less: readyLess}
		r.heaps[e.t.Type] = h
	}
	h.add(e)
}

// holds reports whether e is in the set, in the heap of its type.
func (r *readySet) holds(e *entry) bool {
	return e.heap != nil && r.heaps[e.t.Type] == e.heap
}

// matching returns the non-empty heaps whose tasks f matches, and drops
// empty heaps from the set.
func (r *readySet) matching(f store.ClaimFilter, buf []*taskHeap) []*taskHeap {
	if len(f.Types) > 0 {
		for _, t := range f.Types {
			if h := r.heaps[t]; h != nil && h.Len() > 0 {
				buf = append(buf, h)
			}
		}
		return buf
	}
	for t, h := range r.heaps {
		if h.Len() == 0 {
			delete(r.heaps, t)
			continue
		}
		buf = append(buf, h)
	}
	return buf
}

// popFirst removes and returns the first task in claim order among hs,
// or nil when they are all empty.
func popFirst(hs []*taskHeap) *entry {
	var best *taskHeap
	for _, h := range hs {
		if h.Len() > 0 && (best == nil || readyLess(h.peek(), best.peek())) {
			best = h
		}
	}
	if best == nil {
		return nil
	}
	return best.pop()
}
