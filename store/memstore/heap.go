package memstore

import (
	"iter"
	"slices"
)

// taskHeap is an ordered set of entries: the one with the smallest key
// (by less) comes out first. Each entry records the set it is in and its
// place there, so it can be removed or re-sorted when its task changes.
// An entry is in at most one set.
//
// Entries mostly arrive in key order: a bulk insert's tasks are ready in
// id order, a claim's leases expire together and after every earlier
// lease, tasks finish later than the ones before. Such an entry is
// appended to run, a sorted list, in O(1), and leaves it from the front
// in O(1); only an entry that sorts before the run's last goes into the
// binary heap (items). The smallest entry is the smaller of the run's
// first and the heap's first. An entry removed from the middle of the run
// leaves a hole (nil) that is dropped when it reaches an end, or when
// holes outnumber the run's entries.
type taskHeap struct {
	items []*entry
	less  func(a, b *entry) bool

	// run[head:] is the run: run[i] is the entry whose hidx is i, or nil
	// for a hole; run[head] and run[len(run)-1] are never holes.
	// The slots before head are free, and are reused by moving the run
	// down once they are half the slice, so a run that entries keep
	// passing through (leases) allocates nothing once it is large enough.
	run  []*entry
	head int
	// inRun counts the run's entries (not its holes).
	inRun int
}

// Len returns the number of entries.
func (h *taskHeap) Len() int { return len(h.items) + h.inRun }

// all yields every entry, in no particular order.
func (h *taskHeap) all() iter.Seq[*entry] {
	return func(yield func(*entry) bool) {
		for _, e := range h.run[h.head:] {
			if e != nil && !yield(e) {
				return
			}
		}
		for _, e := range h.items {
			if !yield(e) {
				return
			}
		}
	}
}

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

// add inserts e: at the run's end when it sorts no earlier than the
// run's last entry, else into the binary heap.
func (h *taskHeap) add(e *entry) {
	e.heap = h
	if n := len(h.run); n == h.head || !h.less(e, h.run[n-1]) {
		e.inRun = true
		e.hidx = n
		h.run = append(h.run, e)
		h.inRun++
		return
	}
	e.inRun = false
	e.hidx = len(h.items)
	h.items = append(h.items, e)
	h.up(e.hidx)
}

// peek returns the smallest entry, or nil.
func (h *taskHeap) peek() *entry {
	var first *entry
	if len(h.run) > h.head {
		first = h.run[h.head]
	}
	if len(h.items) > 0 && (first == nil || h.less(h.items[0], first)) {
		first = h.items[0]
	}
	return first
}

// pop removes and returns the smallest entry, or nil when there is none.
func (h *taskHeap) pop() *entry {
	e := h.peek()
	if e != nil {
		h.remove(e)
	}
	return e
}

// removeAt removes and returns the heap entry at index i.
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

// removeRun takes e out of the run.
func (h *taskHeap) removeRun(e *entry) {
	h.run[e.hidx] = nil
	h.inRun--
	e.hidx, e.heap, e.inRun = -1, nil, false
	// Holes at the ends go at once: the front's by moving head.
	for h.head < len(h.run) && h.run[h.head] == nil {
		h.head++
	}
	n := len(h.run)
	for n > h.head && h.run[n-1] == nil {
		n--
	}
	h.run = h.run[:n]
	if n == h.head {
		h.run, h.head = h.run[:0], 0
		if cap(h.run) > 1024 {
			h.run = nil // a burst's array is not kept
		}
		return
	}
	// The run moves down to the slice's start when the free slots before
	// it are half the slice, and drops its holes while it moves when they
	// outnumber its entries; the entries are renumbered either way. Its
	// memory stays within about four times its entries.
	holes := n - h.head - h.inRun
	if free := h.head; free > 32 && 2*free >= n || holes > 32 && holes > h.inRun {
		w := 0
		for _, x := range h.run[h.head:] {
			if x != nil {
				h.run[w] = x
				x.hidx = w
				w++
			}
		}
		clear(h.run[w:])
		h.run, h.head = h.run[:w], 0
		if cap(h.run) > 1024 && cap(h.run) > 8*w {
			h.run = slices.Clip(slices.Clone(h.run)) // a burst's array is not kept
		}
	}
}

// remove removes e when it is in the set.
func (h *taskHeap) remove(e *entry) {
	switch {
	case e.heap != h:
	case e.inRun:
		h.removeRun(e)
	default:
		h.removeAt(e.hidx)
	}
}

// fix restores the order after e's key changed.
func (h *taskHeap) fix(e *entry) {
	if e.heap != h {
		return
	}
	if e.inRun {
		h.removeRun(e)
		h.add(e)
		return
	}
	if !h.down(e.hidx, len(h.items)) {
		h.up(e.hidx)
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
