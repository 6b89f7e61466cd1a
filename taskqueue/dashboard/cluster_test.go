package dashboard_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/taskqueue/dashboard"
)

type fakeSchedules []store.ScheduleInfo

func (f fakeSchedules) Schedules(context.Context) ([]store.ScheduleInfo, error) { return f, nil }

// TestOverviewProcessesAndSchedules: the overview lists the live
// processes, the leader marked, and the schedules with their next and
// last runs.
func TestOverviewProcessesAndSchedules(t *testing.T) {
	t.Parallel()
	next := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	b := setup(t, func(c *dashboard.Config) {
		c.Schedules = fakeSchedules{{Name: "nightly", Spec: "0 2 * * *", Timezone: "Europe/Paris", Type: "report", Missed: "run_once", NextRun: &next}}
	})
	ctx := context.Background()
	body := b.get(t, "/ui/")
	require.NotContains(t, body, "<h2>Processes</h2>", "no process has joined")

	se, err := b.store.Join(ctx, store.ProcessInfo{Name: "worker-a", Host: "host-a", PID: 4242, Version: "v9",
		Queues: []string{"default", "media"}, Types: []string{"resize", "thumbnail"}})
	require.NoError(t, err)
	defer func() { _ = se.Leave(ctx) }()
	lead, err := se.Lead(ctx)
	require.NoError(t, err)
	require.True(t, lead)
	body = b.get(t, "/ui/")
	require.Contains(t, body, "<h2>Processes</h2>")
	require.Contains(t, body, "<td>worker-a</td><td><strong>leader</strong></td>")
	require.Contains(t, body, "<td>host-a</td><td>4242</td><td>v9</td><td>default, media</td><td>resize, thumbnail</td>")
	require.Contains(t, body, "<h2>Schedules</h2>")
	require.Contains(t, body, "<td>nightly</td><td><code>0 2 * * *</code></td><td>Europe/Paris</td><td>report</td><td>run_once</td><td>2030-01-02 03:04:05 UTC</td><td>-</td>")
}
