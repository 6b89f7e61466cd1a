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
