package metrics

import "github.com/seedcore/seedcore/supervisor"

// SupervisorEvent counts a supervisor's events: failures
// (supervisor.EventServiceFailed, reason "error") and panics
// (supervisor.EventServicePanicked, reason "panic") in
// seedcore_supervisor_restarts_total by service, and backoffs
// (supervisor.EventBackoff) in seedcore_supervisor_backoffs_total by
// supervisor name. Other events are ignored. Subscribe it to the
// supervisor's events:
//
//	cfg.OnEvent = m.SupervisorEvent
//
// It is safe for concurrent use, as supervisor.Config.OnEvent requires.
func (m *Metrics) SupervisorEvent(ev supervisor.Event) {
	switch ev.Kind {
	case supervisor.EventServiceFailed:
		m.restarts.WithLabelValues(m.services.label(ev.Service), "error").Inc()
	case supervisor.EventServicePanicked:
		m.restarts.WithLabelValues(m.services.label(ev.Service), "panic").Inc()
	case supervisor.EventBackoff:
		m.backoffs.WithLabelValues(m.services.label(ev.Supervisor)).Inc()
	}
}
