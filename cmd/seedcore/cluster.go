package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
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
	fs := newFlags("processes", "[flags]", `
List the live processes sharing the database: name, host, pid, version,
the task types each runs, when it started and was last seen, the leader
(which runs the maintenance) and how many tasks each holds.`)
	var c conn
	c.register(fs)
	var asJSON bool
	fs.BoolVar(&asJSON, "json", false, "print the list as JSON")
	pos, code, done := parse(fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return fail(stderr, "processes", usagef("unexpected argument %q", pos[0]))
	}
	return withClient(ctx, c, "processes", stderr, func(ctx context.Context, cl client) error {
		pl, ok := cl.(processLister)
		if !ok {
			return errors.New("this client cannot list processes")
		}
		ps, err := pl.Processes(ctx)
		if err != nil {
			return err
		}
		if ps == nil {
			ps = []store.Process{}
		}
		if asJSON {
			return printJSON(stdout, ps)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tLEADER\tRUNNING\tHOST\tPID\tVERSION\tSTARTED\tLAST SEEN\tTYPES")
		for _, p := range ps {
			leader := ""
			if p.Leader {
				leader = "yes"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\n", p.ID, p.Name, leader, p.Running,
				p.Host, p.PID, p.Version, p.Started.UTC().Format(time.RFC3339), p.LastSeen.UTC().Format(time.RFC3339),
				strings.Join(p.Queues, ","))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%d processes\n", len(ps))
		return nil
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
	fs := newFlags("schedules", "-api URL [flags]", `
List a server's periodic schedules (defined in its code): name, cron
expression, time zone, task type, missed-slot policy, and the next and last
run as its leader recorded them. It needs -api: the schedules live in the
server's configuration.`)
	var c conn
	c.register(fs)
	var asJSON bool
	fs.BoolVar(&asJSON, "json", false, "print the list as JSON")
	pos, code, done := parse(fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return fail(stderr, "schedules", usagef("unexpected argument %q", pos[0]))
	}
	if c.api == "" {
		return fail(stderr, "schedules", usagef("schedules needs -api (or SEEDCORE_API): they are defined in a server's code"))
	}
	return withClient(ctx, c, "schedules", stderr, func(ctx context.Context, cl client) error {
		ac, ok := cl.(*apiClient)
		if !ok {
			return errors.New("schedules needs -api")
		}
		ss, err := ac.Schedules(ctx)
		if err != nil {
			return err
		}
		if ss == nil {
			ss = []store.ScheduleInfo{}
		}
		if asJSON {
			return printJSON(stdout, ss)
		}
		when := func(t *time.Time) string {
			if t == nil {
				return "-"
			}
			return t.UTC().Format(time.RFC3339)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSPEC\tTIMEZONE\tTYPE\tMISSED\tNEXT RUN\tLAST RUN")
		for _, s := range ss {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Spec, s.Timezone, s.Type, s.Missed, when(s.NextRun), when(s.LastRun))
		}
		return tw.Flush()
	})
}
