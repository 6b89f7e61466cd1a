package store

import (
	"context"
	"fmt"
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
