package store

import "fmt"

// ClaimFilter narrows what a claim may take. Its zero value matches every
// ready task. A worker pool claims with the task types its dispatcher
// runs, so a process never takes a task it has no handler for: such a
// task stays queued until a process that runs its type claims it.
type ClaimFilter struct {
	// Types, when not empty, limits the claim to tasks of these types.
	// Each is a task type name ([ValidName]). Empty claims every type.
	Types []string
}

// Validate reports a filter no task could match as intended: a type that
// is not a task type name. The error wraps [ErrInvalidTask].
func (f ClaimFilter) Validate() error {
	for _, t := range f.Types {
		if !ValidName(t) {
			return fmt.Errorf("%w: claim filter type %s", ErrInvalidTask, nameRule)
		}
	}
	return nil
}

// Matches reports whether a task of type taskType passes f.
func (f ClaimFilter) Matches(taskType string) bool {
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
