package store

import "fmt"

// ClaimFilter narrows what a claim may take. Its zero value matches every
// ready task. A worker pool claims with the task types its dispatcher
// runs, so a process never takes a task it has no handler for: such a
// task stays queued until a process that runs its type claims it.
type ClaimFilter struct {
	// Queue is the queue the claim takes tasks from; empty means
	// [DefaultQueue]. A claim reads one queue: every queue is served by
	// claims of its own, so one queue's backlog never delays another's.
	Queue string
	// Types, when not empty, limits the claim to tasks of these types.
	// Each is a task type name ([ValidName]). Empty claims every type.
	Types []string
	// Fair, when set, makes the claim rotate across the partitions of the
	// queue that have ready work: it takes the first task (in claim order:
	// highest priority, then earliest RunAfter, then ID) of each partition,
	// then the second of each, and so on. Partitions take their turns in
	// the order of their keys, starting after the partition of the last
	// task the store's previous fair claim of the queue took, so even
	// claims of one task go round the partitions, and a partition's
	// backlog delays another partition's tasks by a few claims at most.
	// Tasks without a partition form one partition of their own (key "").
	// Without Fair the claim takes the queue's tasks in claim order
	// whatever their partition.
	Fair bool
}

// QueueName returns the queue f claims from.
func (f ClaimFilter) QueueName() string {
	if f.Queue == "" {
		return DefaultQueue
	}
	return f.Queue
}

// Validate reports a filter no task could match as intended: a queue that
// is not a queue name, a type that is not a task type name. The error
// wraps [ErrInvalidTask].
func (f ClaimFilter) Validate() error {
	if f.Queue != "" && !ValidQueueName(f.Queue) {
		return fmt.Errorf("%w: claim filter queue %s", ErrInvalidTask, queueRule)
	}
	for _, t := range f.Types {
		if !ValidName(t) {
			return fmt.Errorf("%w: claim filter type %s", ErrInvalidTask, nameRule)
		}
	}
	return nil
}

// Matches reports whether a task of type taskType in queue passes f.
func (f ClaimFilter) Matches(queue, taskType string) bool {
	if queue != f.QueueName() {
		return false
	}
	if len(f.Types) == 0 {
		return true
	}
	for _, t := range f.Types {
		if t == taskType {
			return true
		}
	}
	return false
}
