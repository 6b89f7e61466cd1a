package seedcoretest

import (
	"context"

	"github.com/seedcore/seedcore"
)

// Drain runs every task of app that is due, in the calling goroutine and
// one at a time, until none is due, and returns how many attempts it ran
// (App.RunDue). When it returns nil, every outcome is in the store: a test
// reads the results without waiting, and runs are in claim order
// (priority, then due time, then id), so the test is deterministic.
// Retries that are due at once run in the same call; tasks scheduled for
// later (RunAfter, a retry's backoff) run in a later call once due, which
// a [Clock] makes a matter of advancing it.
//
// The App must not be serving (do not [Start] it): Drain then returns an
// error wrapping taskqueue.ErrPoolBusy. When ctx ends, the running
// attempt is cancelled and released, and Drain returns ctx's error.
func Drain(ctx context.Context, app *seedcore.App) (int, error) {
	return app.RunDue(ctx)
}
