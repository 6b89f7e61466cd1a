package store

import (
	"time"
	"unicode/utf8"
)

// MaxAttemptHistory is how many attempts a task's AttemptHistory keeps:
// the latest ones, the oldest dropped first.
const MaxAttemptHistory = 20

// MaxAttemptErrorChars bounds the error text of one [Attempt], in
// characters; a longer error is cut there (the task's Error holds the last
// attempt's text whole).
const MaxAttemptErrorChars = 1024

// Attempt is one ended attempt of a task, as its [Task.AttemptHistory]
// records it: written by the backend with the attempt's outcome (or its
// rescue), in the same write.
type Attempt struct {
	// Attempt is the attempt's number (Task.Attempts when it ran).
	Attempt int `json:"attempt"`
	// Worker names the worker that held the attempt's lease.
	Worker string `json:"worker"`
	// StartedAt is when the attempt was claimed; FinishedAt when its
	// outcome was written (or its expired lease rescued).
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// Outcome is the status the attempt left the task in: completed,
	// retry, failed or cancelled.
	Outcome Status `json:"outcome"`
	// Error is the attempt's error text (redacted by the worker pool
	// before it was written), cut to MaxAttemptErrorChars; a rescued
	// attempt says "lease expired" or "worker process lost".
	Error string `json:"error,omitempty"`
}

// AppendAttempt returns history with a appended, a's error cut to
// MaxAttemptErrorChars and the oldest attempts dropped beyond
// MaxAttemptHistory. Backends that keep the history in memory use it.
func AppendAttempt(history []Attempt, a Attempt) []Attempt {
	if utf8.RuneCountInString(a.Error) > MaxAttemptErrorChars {
		a.Error = string([]rune(a.Error)[:MaxAttemptErrorChars])
	}
	if len(history) >= MaxAttemptHistory {
		history = history[len(history)-MaxAttemptHistory+1:]
	}
	out := make([]Attempt, 0, len(history)+1)
	return append(append(out, history...), a)
}

// attemptBytes is what SizeEstimate counts for each attempt beyond its
// text: its field names, number and times.
const attemptBytes = 160

func attemptHistoryBytes(h []Attempt) int {
	n := 0
	for _, a := range h {
		n += attemptBytes + len(a.Worker) + len(a.Error)
	}
	return n
}
