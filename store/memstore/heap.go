package memstore

import "container/heap"

// taskHeap is a binary heap of entries. Each entry records the heap it
// is in and its position there, so it can be removed or re-sorted in
// O(log n) when its task changes. An entry is in at most one heap.
type taskHeap struct {
	items []*entry
	less  func(a, b *entry) bool
}

func (h *taskHeap) Len() int           { return len(h.items) }
func (h *taskHeap) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }
func (h *taskHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].hidx = i
	h.items[j].hidx = j
}

func (h *taskHeap) Push(x any) {
	e := x.(*entry)
	e.hidx = len(h.items)
	e.heap = h
	h.items = append(h.items, e)
}

func (h *taskHeap) Pop() any {
	n := len(h.items) - 1
	e := h.items[n]
	h.items[n] = nil
	h.items = h.items[:n]
	e.hidx = -1
	e.heap = nil
	return e
}

// add inserts e.
func (h *taskHeap) add(e *entry) { heap.Push(h, e) }

// peek returns the smallest entry, or nil.
func (h *taskHeap) peek() *entry {
	if len(h.items) == 0 {
		return nil
	}
	return h.items[0]
}

// pop removes and returns the smallest entry.
func (h *taskHeap) pop() *entry { return heap.Pop(h).(*entry) }

// remove removes e when it is in the heap.
func (h *taskHeap) remove(e *entry) {
	if e.heap == h {
		heap.Remove(h, e.hidx)
	}
}

// fix restores the order after e's key changed.
func (h *taskHeap) fix(e *entry) {
	if e.heap == h {
		heap.Fix(h, e.hidx)
	}
}

// readyLess orders claimable tasks: priority desc, run_after asc, id asc.
func readyLess(a, b *entry) bool {
	if a.t.Priority != b.t.Priority {
		return a.t.Priority > b.t.Priority
	}
	if !a.t.RunAfter.Equal(b.t.RunAfter) {
		return a.t.RunAfter.Before(b.t.RunAfter)
	}
	return a.t.ID < b.t.ID
}

// delayedLess orders waiting tasks by run_after.
func delayedLess(a, b *entry) bool {
	if !a.t.RunAfter.Equal(b.t.RunAfter) {
		return a.t.RunAfter.Before(b.t.RunAfter)
	}
	return a.t.ID < b.t.ID
}

// leaseLess orders running tasks by lease expiry.
func leaseLess(a, b *entry) bool {
	if !a.t.LeaseExpiresAt.Equal(*b.t.LeaseExpiresAt) {
		return a.t.LeaseExpiresAt.Before(*b.t.LeaseExpiresAt)
	}
	return a.t.ID < b.t.ID
}

// finishedLess orders terminal tasks by finished_at.
func finishedLess(a, b *entry) bool {
	if !a.t.FinishedAt.Equal(*b.t.FinishedAt) {
		return a.t.FinishedAt.Before(*b.t.FinishedAt)
	}
	return a.t.ID < b.t.ID
}
