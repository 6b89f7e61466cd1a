package httpapi

import (
	"net/http"

	"github.com/seedcore/seedcore/store"
)

// processList is the body of GET {prefix}/processes.
type processList struct {
	Processes []store.Process `json:"processes"`
}

// listProcesses answers the live processes sharing the store.
func (a *API) listProcesses(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.RawQuery) > 0 {
		a.fail(w, r, newError(http.StatusBadRequest, CodeInvalidRequest, "processes takes no parameters"))
		return
	}
	ps, err := a.cfg.Processes.Processes(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if ps == nil {
		ps = []store.Process{}
	}
	a.writeJSON(w, r, http.StatusOK, processList{Processes: ps})
}

// scheduleList is the body of GET {prefix}/schedules.
type scheduleList struct {
	Schedules []store.ScheduleInfo `json:"schedules"`
}

// listSchedules answers the periodic schedules and their next and last
// runs.
func (a *API) listSchedules(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.RawQuery) > 0 {
		a.fail(w, r, newError(http.StatusBadRequest, CodeInvalidRequest, "schedules takes no parameters"))
		return
	}
	ss, err := a.cfg.Schedules.Schedules(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if ss == nil {
		ss = []store.ScheduleInfo{}
	}
	a.writeJSON(w, r, http.StatusOK, scheduleList{Schedules: ss})
}
