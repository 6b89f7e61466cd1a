package seedcore_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/seedcoretest"
	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue"
)

// TestProcessesAndLeader: a serving App registers itself, leads (alone, or
// first among two on one PostgreSQL schema), and lists the live processes
// at GET /api/v1/processes; when the leader stops, the other App takes
// over.
func TestProcessesAndLeader(t *testing.T) {
	for _, env := range appEnvs {
		t.Run(env.name, func(t *testing.T) {
			t.Parallel()
			cfg := env.cfg(t)
			cfg.Dispatcher = echoMux(t)
			cfg.WorkerName = "first"
			a := seedcoretest.New(t, cfg)
			require.Equal(t, "first", a.WorkerName())
			seedcoretest.Start(t, a)
			waitFor(t, 10*time.Second, a.Leading, "the App never led")

			srv := httptest.NewServer(a.Handler())
			defer srv.Close()
			list := func() []store.Process {
				code, body := getBody(t, srv.URL+"/api/v1/processes")
				require.Equal(t, http.StatusOK, code, string(body))
				var got struct {
					Processes []store.Process `json:"processes"`
				}
				require.NoError(t, json.Unmarshal(body, &got))
				return got.Processes
			}
			ps := list()
			require.Len(t, ps, 1)
			require.Equal(t, "first", ps[0].Name)
			require.True(t, ps[0].Leader)
			require.Equal(t, []string{"test"}, ps[0].Types)
			require.Equal(t, []string{store.DefaultQueue}, ps[0].Queues)
			require.NotZero(t, ps[0].PID)
			code, _ := getBody(t, srv.URL+"/api/v1/processes?x=1")
			require.Equal(t, http.StatusBadRequest, code)

			if env.name != "pg" {
				return
			}
			cfg.WorkerName = "second"
			b := seedcoretest.New(t, cfg)
			seedcoretest.Start(t, b)
			waitFor(t, 10*time.Second, func() bool { return len(list()) == 2 }, "the second App never joined")
			require.False(t, b.Leading())
			_, err := b.Processes(context.Background())
			require.NoError(t, err)

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			require.NoError(t, a.Shutdown(ctx))
			waitFor(t, 10*time.Second, b.Leading, "the second App never took over")
			ps, err = b.Processes(ctx)
			require.NoError(t, err)
			require.Len(t, ps, 1)
			require.Equal(t, "second", ps[0].Name)
			require.True(t, ps[0].Leader)
		})
	}
}

// TestWorkerNameDefault: without Config.WorkerName the App has a name of
// its own.
func TestWorkerNameDefault(t *testing.T) {
	a := seedcoretest.New(t, seedcore.Config{})
	require.NotEmpty(t, a.WorkerName())
	require.False(t, a.Leading(), "not serving")
}

// TestSchedules: the App's leader creates a schedule's task at every
// slot, the workers run them, and GET /api/v1/schedules lists the
// schedule with its next and last run.
func TestSchedules(t *testing.T) {
	for _, env := range appEnvs {
		t.Run(env.name, func(t *testing.T) {
			t.Parallel()
			cfg := env.cfg(t)
			cfg.Dispatcher = echoMux(t)
			cfg.Schedules = []taskqueue.Schedule{{Name: "tick", Spec: "@every 1s", Task: store.NewTask{Type: "test", Description: "tick"}}}
			a := seedcoretest.New(t, cfg)
			seedcoretest.Start(t, a)
			ctx := context.Background()
			var done []store.Task
			waitFor(t, 15*time.Second, func() bool {
				page, err := a.Store().List(ctx, store.Filter{Type: "test", Statuses: []store.Status{store.StatusCompleted}})
				require.NoError(t, err)
				done = page.Tasks
				return len(done) >= 2
			}, "the schedule's tasks never ran")
			for _, task := range done {
				require.True(t, strings.HasPrefix(task.IdempotencyKey, "schedule:tick:"), task.IdempotencyKey)
			}

			srv := httptest.NewServer(a.Handler())
			defer srv.Close()
			code, body := getBody(t, srv.URL+"/api/v1/schedules")
			require.Equal(t, http.StatusOK, code, string(body))
			var got struct {
				Schedules []store.ScheduleInfo `json:"schedules"`
			}
			require.NoError(t, json.Unmarshal(body, &got))
			require.Len(t, got.Schedules, 1)
			s := got.Schedules[0]
			require.Equal(t, "tick", s.Name)
			require.Equal(t, "@every 1s", s.Spec)
			require.Equal(t, "test", s.Type)
			require.NotNil(t, s.NextRun)
			require.NotNil(t, s.LastRun)
			require.True(t, s.NextRun.After(*s.LastRun))
		})
	}
}

// TestMaxOpenConnsLeavesRoomForTheSession: a pool of one connection would
// be taken by the membership session, so it is refused.
func TestMaxOpenConnsLeavesRoomForTheSession(t *testing.T) {
	_, err := seedcore.New(context.Background(), seedcore.Config{Dispatcher: echoMux(t), DatabaseURL: "postgres://127.0.0.1:1/none", MaxOpenConns: 1})
	require.ErrorIs(t, err, seedcore.ErrInvalidConfig)
}
