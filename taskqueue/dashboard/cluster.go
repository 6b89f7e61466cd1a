package dashboard

import (
	"context"
	"strings"
	"time"

	"github.com/seedcore/seedcore/store"
)

// processView is one live process on the overview.
type processView struct {
	Name, Host, Version string
	Queues, Types       string
	PID, Running        int
	Leader              bool
	Started, LastSeen   string
}

// scheduleView is one periodic schedule on the overview.
type scheduleView struct {
	Name, Spec, Timezone, Type, Missed string
	NextRun, LastRun                   string
}

// cluster fills the overview's processes (when the store lists them) and
// schedules (when Config.Schedules is set).
func (d *Dashboard) cluster(ctx context.Context, data *overviewPage) error {
	if pl, ok := d.cfg.Store.(store.ProcessLister); ok {
		ps, err := pl.Processes(ctx)
		if err != nil {
			return err
		}
		for _, p := range ps {
			data.Processes = append(data.Processes, processView{
				Name: p.Name, Host: p.Host, Version: p.Version, PID: p.PID,
				Queues: strings.Join(p.Queues, ", "), Types: strings.Join(p.Types, ", "), Running: p.Running, Leader: p.Leader,
				Started: stamp(&p.Started), LastSeen: stamp(&p.LastSeen),
			})
		}
	}
	if d.cfg.Schedules != nil {
		ss, err := d.cfg.Schedules.Schedules(ctx)
		if err != nil {
			return err
		}
		for _, s := range ss {
			data.Schedules = append(data.Schedules, scheduleView{
				Name: s.Name, Spec: s.Spec, Timezone: s.Timezone, Type: s.Type, Missed: s.Missed,
				NextRun: stamp(s.NextRun), LastRun: stamp(s.LastRun),
			})
		}
	}
	return nil
}

// stamp formats a time for a table cell; "-" for none.
func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
