package memstore

// taskHeap is a binary heap of entries. Each entry records the heap it
// is in and its position there, so it can be removed or re-sorted in
// O(log n) when its task changes. An entry is in at most one heap.
type taskHeap struct {
	items []*entry
	less  func(a, b *entry) bool
}

func (h *taskHeap) Len() int { return len(h.items) }

// The heap's own sift functions call less directly: through
// container/heap's interface each comparison was two indirect calls, a
// good part of a claim's cost in memory.

func (h *taskHeap) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].hidx = i
	h.items[j].hidx = j
}

func (h *taskHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if i == j || !h.less(h.items[j], h.items[i]) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h *taskHeap) down(i0, n int) bool {
	i := i0
	for {
		j1 := 2*i + 1
		if j1 >= n || j1 < 0 {
			break
		}
		j := j1
		if j2 := j1 + 1; j2 < n && h.less(h.items[j2], h.items[j1]) {
			j = j2
		}
		if !h.less(h.items[j], h.items[i]) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}

// add inserts e.
func (h *taskHeap) add(e *entry) {
	e.hidx = len(h.items)
	e.heap = h
	h.items = append(h.items, e)
	h.up(e.hidx)
}

// peek returns the smallest entry, or nil.
func (h *taskHeap) peek() *entry {
	if len(h.items) == 0 {
		return nil
	}
	return h.items[0]
}

// pop removes and returns the smallest entry.
func (h *taskHeap) pop() *entry { return h.removeAt(0) }

// removeAt removes and returns the entry at index i.
func (h *taskHeap) removeAt(i int) *entry {
	n := len(h.items) - 1
	if n != i {
		h.swap(i, n)
		if !h.down(i, n) {
			h.up(i)
		}
	}
	e := h.items[n]
	h.items[n] = nil
	h.items = h.items[:n]
	e.hidx = -1
	e.heap = nil
	return e
}

// remove removes e when it is in the heap.
func (h *taskHeap) remove(e *entry) {
	if e.heap == h {
		h.removeAt(e.hidx)
	}
}

// fix restores the order after e's key changed.
func (h *taskHeap) fix(e *entry) {
	if e.heap == h {
		if !h.down(e.hidx, len(h.items)) {
			h.up(e.hidx)
		}
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
