package seedcoretest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/seedcoretest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// welcome is the application's task handler under test.
func welcomeMux() *taskqueue.Mux {
	type params struct{ User int }
	mux := taskqueue.NewMux()
	_ = taskqueue.HandleFunc(mux, "welcome", func(_ context.Context, _ *store.Task, p params) (string, error) {
		return fmt.Sprintf("sent to user %d", p.User), nil
	})
	return mux
}

// A test that serves the App as production does and waits for the task's
// result. In a real test, pass the test's *testing.T where the Examples
// pass t.
func ExampleWaitFor() {
	t := &recordingTB{print: true}
	defer t.finish()

	app := seedcoretest.New(t, seedcore.Config{Dispatcher: welcomeMux()})
	seedcoretest.Start(t, app)
	task, _, _ := app.Enqueue(context.Background(), store.NewTask{Type: "welcome", Params: []byte(`{"User":7}`)})

	done := seedcoretest.WaitFor(t, app, task.ID, store.StatusCompleted)
	fmt.Println(done.Status, string(done.Result))
	// Output: completed "sent to user 7"
}

// A test of code that enqueues: which tasks did it create?
func ExampleRequireEnqueued() {
	t := &recordingTB{print: true}
	defer t.finish()
	app := seedcoretest.New(t, seedcore.Config{})

	// The code under test.
	signup := func(ctx context.Context, user int) error {
		_, _, err := app.Enqueue(ctx, store.NewTask{
			Type: "welcome", Params: []byte(fmt.Sprintf(`{"User":%d}`, user)), IdempotencyKey: fmt.Sprint("welcome-", user),
		})
		return err
	}
	_ = signup(context.Background(), 7)

	for _, task := range seedcoretest.RequireEnqueued(t, app, store.Filter{Type: "welcome"}) {
		fmt.Println(task.Type, task.Status, string(task.Params), task.IdempotencyKey)
	}
	// Output: welcome queued {"User":7} welcome-7
}

// A deterministic test: the App does not serve; Drain runs what is due
// in the test's goroutine, and the results are stored when it returns.
func ExampleDrain() {
	t := &recordingTB{print: true}
	defer t.finish()
	app := seedcoretest.New(t, seedcore.Config{Dispatcher: welcomeMux()})
	ctx := context.Background()
	for _, user := range []int{1, 2, 3} {
		_, _, _ = app.Enqueue(ctx, store.NewTask{Type: "welcome", Params: []byte(fmt.Sprintf(`{"User":%d}`, user)), Priority: user})
	}

	n, err := seedcoretest.Drain(ctx, app)
	fmt.Println(n, err)
	for _, task := range seedcoretest.RequireEnqueued(t, app, store.Filter{Statuses: []store.Status{store.StatusCompleted}}) {
		fmt.Println(string(task.Result))
	}
	// Output:
	// 3 <nil>
	// "sent to user 3"
	// "sent to user 2"
	// "sent to user 1"
}

// Retries and scheduled tasks on a clock the test moves: nothing waits
// for real time.
func ExampleClock() {
	t := &recordingTB{print: true}
	defer t.finish()
	clock := seedcoretest.NewClock(time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC))
	mux := taskqueue.NewMux()
	_ = mux.Handle("charge", taskqueue.DispatcherFunc(func(_ context.Context, task *store.Task) (json.RawMessage, error) {
		if task.Attempts < 2 {
			return nil, taskqueue.RetryAfter(10*time.Minute, errors.New("card network down"))
		}
		return json.RawMessage(`"charged"`), nil
	}))
	app := seedcoretest.New(t, seedcore.Config{Dispatcher: mux, Now: clock.Now})
	ctx := context.Background()
	task, _, _ := app.Enqueue(ctx, store.NewTask{Type: "charge"})

	show := func() {
		n, _ := seedcoretest.Drain(ctx, app)
		got, _ := app.Store().Get(ctx, task.ID)
		fmt.Println(clock.Now().Format("15:04"), "ran", n, got.Status, got.RunAfter.Format("15:04"))
	}
	show()
	clock.Advance(9 * time.Minute)
	show()
	clock.Advance(time.Minute)
	show()
	// Output:
	// 09:00 ran 1 retry 09:10
	// 09:09 ran 0 retry 09:10
	// 09:10 ran 1 completed 09:10
}
