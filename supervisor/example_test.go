package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/seedcore/seedcore/supervisor"
	"github.com/thejerf/suture/v4"
)

// A supervisor with one required worker and a store check, served in the
// background and stopped by cancelling its context.
func Example() {
	sup, err := supervisor.New(supervisor.Config{Name: "app", StopTimeout: time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}

	started := make(chan struct{})
	worker := supervisor.ServiceFunc(func(ctx context.Context) error {
		close(started)
		<-ctx.Done() // work until told to stop
		return ctx.Err()
	})
	if err := sup.Add("worker", worker, supervisor.Required()); err != nil {
		fmt.Println(err)
		return
	}
	storeUp := false
	if err := sup.AddCheck("store", func(context.Context) error {
		if !storeUp {
			return errors.New("no answer")
		}
		return nil
	}); err != nil {
		fmt.Println(err)
		return
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := sup.ServeBackground(ctx)
	<-started
	fmt.Println(sup.Check(ctx))
	storeUp = true
	fmt.Println("ready:", sup.Ready())

	cancel()
	fmt.Println("stopped:", <-done)
	fmt.Println("ready:", sup.Ready())
	// Output:
	// supervisor: not ready: check "store": no answer
	// ready: true
	// stopped: context canceled
	// ready: false
}

// The supervisor is a suture.Service, so it can run inside an existing
// suture tree and stops when that tree stops.
func Example_embedded() {
	sup, err := supervisor.New(supervisor.Config{Name: "tasks"})
	if err != nil {
		fmt.Println(err)
		return
	}
	started := make(chan struct{})
	if err := sup.Add("worker", supervisor.ServiceFunc(func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}), supervisor.Required()); err != nil {
		fmt.Println(err)
		return
	}

	root := suture.New("root", suture.Spec{EventHook: func(suture.Event) {}})
	root.Add(sup)
	ctx, cancel := context.WithCancel(context.Background())
	done := root.ServeBackground(ctx)
	<-started
	fmt.Println("ready:", sup.Ready())

	cancel()
	<-done
	for _, st := range sup.Services() {
		fmt.Println(st.Name, st.State)
	}
	// Output:
	// ready: true
	// worker stopped
}

// Config.OnEvent receives every supervision event as a typed value, the
// way metrics subscribe to restarts. Here a service fails once and is
// restarted; the starts are left out because a restart's start runs in
// the service's own goroutine, concurrently with the failure event.
func ExampleConfig_onEvent() {
	sup, err := supervisor.New(supervisor.Config{
		Name: "app",
		OnEvent: func(ev supervisor.Event) {
			switch ev.Kind {
			case supervisor.EventServiceStarted:
			case supervisor.EventServiceFailed:
				fmt.Printf("%s %s: %v (restarting: %t)\n", ev.Kind, ev.Service, ev.Err, ev.Restarting)
			default:
				fmt.Println(ev.Kind, ev.Supervisor)
			}
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	restarted := make(chan struct{})
	var runs atomic.Int32
	if err := sup.Add("mailer", supervisor.ServiceFunc(func(ctx context.Context) error {
		if runs.Add(1) == 1 {
			return errors.New("smtp: connection refused")
		}
		close(restarted)
		<-ctx.Done()
		return ctx.Err()
	})); err != nil {
		fmt.Println(err)
		return
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := sup.ServeBackground(ctx)
	<-restarted
	cancel()
	<-done
	// Output:
	// starting app
	// service_failed mailer: smtp: connection refused (restarting: true)
	// stopped app
}
