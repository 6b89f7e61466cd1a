package memstore

import (
	"slices"
	"strings"

	"github.com/seedcore/seedcore/store"
)

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

// partitionPick returns up to limit tasks of hs, at most room(p) of each
// partition p (room nil: no cap), the first of each in claim order. With
// fair they come in the order of a fair claim (see
// store.ClaimFilter.Fair): the first task of each partition, then the
// second of each, and so on; at equal rank, partitions go in key order
// from the first key after after when rotated. Without fair they come in
// claim order. The tasks stay in their heaps.
func partitionPick(hs []*taskHeap, limit int, room func(string) int, fair bool, after string, rotated bool) []*entry {
	// parts holds, per partition, its first tasks in claim order: at
	// most limit (or its room), so a large backlog costs one comparison
	// per task.
	parts := make(map[string][]*entry)
	rooms := make(map[string]int)
	for _, h := range hs {
		for e := range h.all() {
			k, ok := rooms[e.t.Partition]
			if !ok {
				k = limit
				if room != nil {
					k = max(0, min(k, room(e.t.Partition)))
				}
				rooms[e.t.Partition] = k
			}
			if k == 0 {
				continue
			}
			top := parts[e.t.Partition]
			if len(top) == k && !readyLess(e, top[k-1]) {
				continue
			}
			i, _ := slices.BinarySearchFunc(top, e, cmpReady)
			if len(top) == k {
				top = top[:k-1]
			}
			parts[e.t.Partition] = slices.Insert(top, i, e)
		}
	}
	if !fair {
		var all []*entry
		for _, top := range parts {
			all = append(all, top...)
		}
		slices.SortFunc(all, cmpReady)
		return all[:min(len(all), limit)]
	}
	var ranked [][]*entry // ranked[r] holds the r-th task of each partition
	for _, top := range parts {
		for r, e := range top {
			if r == len(ranked) {
				ranked = append(ranked, nil)
			}
			ranked[r] = append(ranked[r], e)
		}
	}
	late := func(p string) bool { return rotated && p <= after }
	turn := func(a, b *entry) int {
		if la, lb := late(a.t.Partition), late(b.t.Partition); la != lb {
			if la {
				return 1
			}
			return -1
		}
		return strings.Compare(a.t.Partition, b.t.Partition)
	}
	out := make([]*entry, 0, limit)
	for _, rank := range ranked {
		slices.SortFunc(rank, turn)
		out = append(out, rank[:min(len(rank), limit-len(out))]...)
		if len(out) == limit {
			break
		}
	}
	return out
}

// cmpReady compares a and b in claim order, as readyLess orders them.
func cmpReady(a, b *entry) int { return compareBy(readyLess, a, b) }

// compareBy turns the order less into a three-way comparison of a and b.
func compareBy(less func(a, b *entry) bool, a, b *entry) int {
	switch {
	case less(a, b):
		return -1
	case less(b, a):
		return 1
	}
	return 0
}
