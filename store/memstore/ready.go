package memstore

import "github.com/seedcore/seedcore/store"

// readyKey names one ready heap: a queue and a task type.
type readyKey struct{ queue, typ string }

// readySet holds the due claimable tasks in one heap per queue and task
// type, so a claim, which reads one queue and maybe some types, reads only
// their heaps: tasks of other queues, and of types no claimer runs, cost
// it nothing.
type readySet struct {
	heaps map[readyKey]*taskHeap
	// types lists, per queue, the types that have a heap.
	types map[string]map[string]*taskHeap
}

// add inserts e into the heap of its queue and type.
func (r *readySet) add(e *entry) {
	k := readyKey{e.t.Queue, e.t.Type}
	h := r.heaps[k]
	if h == nil {
		if r.heaps == nil {
			r.heaps = make(map[readyKey]*taskHeap)
			r.types = make(map[string]map[string]*taskHeap)
		}
		h = &taskHeap{less: readyLess}
		r.heaps[k] = h
		byType := r.types[k.queue]
		if byType == nil {
			byType = make(map[string]*taskHeap)
			r.types[k.queue] = byType
		}
		byType[k.typ] = h
	}
	h.add(e)
}

// holds reports whether e is in the set, in the heap of its queue and
// type.
func (r *readySet) holds(e *entry) bool {
	return e.heap != nil && r.heaps[readyKey{e.t.Queue, e.t.Type}] == e.heap
}

// matching returns the non-empty heaps whose tasks f matches, and drops
// the queue's empty heaps from the set.
func (r *readySet) matching(f store.ClaimFilter, buf []*taskHeap) []*taskHeap {
	queue := f.QueueName()
	if len(f.Types) > 0 {
		for _, t := range f.Types {
			if h := r.heaps[readyKey{queue, t}]; h != nil && h.Len() > 0 {
				buf = append(buf, h)
			}
		}
		return buf
	}
	byType := r.types[queue]
	for t, h := range byType {
		if h.Len() == 0 {
			delete(byType, t)
			delete(r.heaps, readyKey{queue, t})
			continue
		}
		buf = append(buf, h)
	}
	if len(byType) == 0 {
		delete(r.types, queue)
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
