package store

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
)

// MaxQueues bounds how many queues [QueueManager.Queues] returns.
const MaxQueues = 1000

// QueueInfo is one queue's shared state and how many of its tasks are in
// each status.
type QueueInfo struct {
	// Name is the queue's name.
	Name string `json:"name"`
	// Paused is true while the queue is paused: no claim takes its tasks.
	Paused bool `json:"paused"`
	// Counts holds every status, zero included.
	Counts map[Status]int `json:"counts"`
	// Limits are the queue's cluster-wide limits (zero: none).
	Limits QueueLimits `json:"limits"`
	// ReadyTypes counts the queue's ready tasks (queued or retry, due
	// now) by type, the largest counts first (then by type), at most
	// MaxReadyTypes of them. A type that stays here while the queue is
	// served is waiting for a process whose dispatcher handles it.
	ReadyTypes []TypeCount `json:"ready_types,omitempty"`
}

// MaxReadyTypes bounds [QueueInfo.ReadyTypes].
const MaxReadyTypes = 20

// TypeCount is how many ready tasks of one type a queue holds.
type TypeCount struct {
	Type  string `json:"type"`
	Ready int    `json:"ready"`
}

// SortTypeCounts orders c by count, largest first, then by type, and
// keeps at most MaxReadyTypes.
func SortTypeCounts(c []TypeCount) []TypeCount {
	slices.SortFunc(c, func(a, b TypeCount) int {
		if a.Ready != b.Ready {
			return b.Ready - a.Ready
		}
		return strings.Compare(a.Type, b.Type)
	})
	return c[:min(len(c), MaxReadyTypes)]
}

// Bounds of [QueueLimits].
const (
	MaxQueueRunning = 1_000_000
	MaxQueueRate    = 1_000_000.0
	MinQueueRate    = 0.001
	MaxQueueBurst   = 1_000_000
)

// QueueLimits are a queue's limits across every process on the backend,
// enforced by the claim itself: claims of a limited queue take turns (on
// PostgreSQL they lock the queue's row), so no two processes can both
// take the last place.
type QueueLimits struct {
	// MaxRunning, when positive, caps the queue's running tasks (claimed
	// and not finished, in every process), at most MaxQueueRunning.
	MaxRunning int `json:"max_running,omitempty"`
	// Rate, when positive, caps how many of the queue's tasks start per
	// second, in every process together: MinQueueRate to MaxQueueRate.
	Rate float64 `json:"rate,omitempty"`
	// Burst is how many may start at once after a quiet spell (the size
	// of the token bucket that Rate refills); over any span of s seconds
	// at most Burst + Rate×s tasks start. Zero means max(1, ⌈Rate⌉); it
	// needs Rate.
	Burst int `json:"burst,omitempty"`
	// PartitionMaxRunning, when positive, caps the running tasks of each
	// partition of the queue (claimed and not finished, in every process),
	// at most MaxQueueRunning: a partition that has that many running
	// yields nothing to any claim, plain or fair, until one of them
	// finishes, while the queue's other partitions are claimed as usual.
	// Tasks without a partition (the partition "") are not a tenant and
	// are not capped; MaxRunning bounds them with the rest of the queue.
	PartitionMaxRunning int `json:"partition_max_running,omitempty"`
}

// Normalize validates l and fills in Burst. Errors wrap [ErrInvalidQueue].
func (l QueueLimits) Normalize() (QueueLimits, error) {
	bad := func(why string) (QueueLimits, error) {
		return QueueLimits{}, fmt.Errorf("%w: limits: %s", ErrInvalidQueue, why)
	}
	switch {
	case l.MaxRunning < 0 || l.MaxRunning > MaxQueueRunning:
		return bad(fmt.Sprintf("max_running must be 0 (none) to %d", MaxQueueRunning))
	case math.IsNaN(l.Rate) || l.Rate < 0 || l.Rate > MaxQueueRate || (l.Rate > 0 && l.Rate < MinQueueRate):
		return bad(fmt.Sprintf("rate must be 0 (none) or %g to %g tasks per second", MinQueueRate, MaxQueueRate))
	case l.Burst < 0 || l.Burst > MaxQueueBurst:
		return bad(fmt.Sprintf("burst must be 0 (default) to %d", MaxQueueBurst))
	case l.Burst > 0 && l.Rate == 0:
		return bad("burst needs a rate")
	case l.PartitionMaxRunning < 0 || l.PartitionMaxRunning > MaxQueueRunning:
		return bad(fmt.Sprintf("partition_max_running must be 0 (none) to %d", MaxQueueRunning))
	}
	if l.Rate > 0 && l.Burst == 0 {
		l.Burst = max(1, int(math.Ceil(l.Rate)))
	}
	return l, nil
}

// Limited reports whether l sets any limit.
func (l QueueLimits) Limited() bool {
	return l.MaxRunning > 0 || l.Rate > 0 || l.PartitionMaxRunning > 0
}

// QueueManager is the optional capability of keeping queue state shared
// by every process on the backend; find it by type assertion.
// memstore.Store and pgstore.Store have it.
type QueueManager interface {
	// SetQueuePaused pauses (paused true) or resumes the queue name. A
	// paused queue's tasks stay queued: no claim takes them, in any
	// process, until it is resumed (a claim under way when the pause
	// commits may still take some). The state is kept by the backend
	// (PostgreSQL keeps it across restarts); a queue need not have tasks
	// to be paused. Resuming sends [EventReady], so pools claim at once.
	// A name that is not a queue name ([ValidQueueName]) is an error
	// wrapping [ErrInvalidQueue], and nothing changes.
	SetQueuePaused(ctx context.Context, name string, paused bool) error
	// SetQueueLimits sets the queue's cluster-wide limits (the zero
	// QueueLimits removes them): from the next claim on, no claim in any
	// process takes a task of the queue that would pass MaxRunning
	// running tasks, or PartitionMaxRunning running tasks of its
	// partition, or start more than Rate tasks per second beyond Burst. Setting limits fills the token bucket. Limits that do not
	// normalize ([QueueLimits.Normalize]) and a name that is not a queue
	// name are errors wrapping [ErrInvalidQueue], and nothing changes.
	SetQueueLimits(ctx context.Context, name string, limits QueueLimits) error
	// Queues returns, sorted by name, every queue that holds tasks or has
	// state set (at most [MaxQueues]), with its task counts by status.
	Queues(ctx context.Context) ([]QueueInfo, error)
}

// CheckQueueName returns nil when name is a queue name, else an error
// wrapping [ErrInvalidQueue].
func CheckQueueName(name string) error {
	if !ValidQueueName(name) {
		return fmt.Errorf("%w: queue %s", ErrInvalidQueue, queueRule)
	}
	return nil
}
