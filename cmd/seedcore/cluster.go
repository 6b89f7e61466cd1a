package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/seedcore/seedcore/store"
)

// processLister is the processes command's need of a client; both
// clients have it.
type processLister interface {
	Processes(ctx context.Context) ([]store.Process, error)
}

func (c *dbClient) Processes(ctx context.Context) ([]store.Process, error) {
	return c.app.Processes(ctx)
}

func (c *apiClient) Processes(ctx context.Context) ([]store.Process, error) {
	var out struct {
		Processes []store.Process `json:"processes"`
	}
	err := c.getRoute(ctx, "/processes", &out)
	return out.Processes, err
}

// getRoute reads a route of the API that takes no parameters into out; a
// 404 means there is no such API at -api.
func (c *apiClient) getRoute(ctx context.Context, path string, out any) error {
	status, err := c.do(ctx, http.MethodGet, path, nil, out)
	if status == http.StatusNotFound {
		err = c.noAPI()
	}
	return err
}

func runProcesses(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return printList(ctx, args, stdout, stderr, listCommand[store.Process]{
		name: "processes", usage: "[flags]", help: `
List the live processes sharing the database: name, host, pid, version,
the queues each serves and the task types it runs, when it started and was last seen, the leader
(which runs the maintenance) and how many tasks each holds.`,
		jsonHelp: "print the list as JSON",
		fetch: func(ctx context.Context, cl client) ([]store.Process, error) {
			pl, ok := cl.(processLister)
			if !ok {
				return nil, errors.New("this client cannot list processes")
			}
			return pl.Processes(ctx)
		},
		table: func(w io.Writer, ps []store.Process) {
			fmt.Fprintln(w, "ID\tNAME\tLEADER\tRUNNING\tHOST\tPID\tVERSION\tSTARTED\tLAST SEEN\tQUEUES\tTYPES")
			for _, p := range ps {
				leader := ""
				if p.Leader {
					leader = "yes"
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Name, leader, p.Running,
					p.Host, p.PID, p.Version, p.Started.UTC().Format(time.RFC3339), p.LastSeen.UTC().Format(time.RFC3339),
					strings.Join(p.Queues, ","), strings.Join(p.Types, ","))
			}
		},
		summary: func(stderr io.Writer, ps []store.Process) { fmt.Fprintf(stderr, "%d processes\n", len(ps)) },
	})
}

func (c *apiClient) Schedules(ctx context.Context) ([]store.ScheduleInfo, error) {
	var out struct {
		Schedules []store.ScheduleInfo `json:"schedules"`
	}
	err := c.getRoute(ctx, "/schedules", &out)
	return out.Schedules, err
}

func runSchedules(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return printList(ctx, args, stdout, stderr, listCommand[store.ScheduleInfo]{
		name: "schedules", usage: "-api URL [flags]", help: `
List a server's periodic schedules (defined in its code): name, cron
expression, time zone, task type, missed-slot policy, and the next and last
run as its leader recorded them. It needs -api: the schedules live in the
server's configuration.`,
		jsonHelp: "print the list as JSON",
		apiOnly:  "they are defined in a server's code",
		fetch: func(ctx context.Context, cl client) ([]store.ScheduleInfo, error) {
			ac, ok := cl.(*apiClient)
			if !ok {
				return nil, errors.New("schedules needs -api")
			}
			return ac.Schedules(ctx)
		},
		table: func(w io.Writer, ss []store.ScheduleInfo) {
			when := func(t *time.Time) string {
				if t == nil {
					return "-"
				}
				return t.UTC().Format(time.RFC3339)
			}
			fmt.Fprintln(w, "NAME\tSPEC\tTIMEZONE\tTYPE\tMISSED\tNEXT RUN\tLAST RUN")
			for _, s := range ss {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Spec, s.Timezone, s.Type, s.Missed, when(s.NextRun), when(s.LastRun))
			}
		},
	})
}
