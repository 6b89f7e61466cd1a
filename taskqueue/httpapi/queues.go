package httpapi

import (
	"net/http"
	"strconv"

	"github.com/seedcore/seedcore/store"
)

// queueList is the body of GET /queues.
type queueList struct {
	Queues []store.QueueInfo `json:"queues"`
}

// queueState is the body of POST /queues/{name}/pause and /resume.
type queueState struct {
	Name   string `json:"name"`
	Paused bool   `json:"paused"`
}

// queueManager returns the store's queue capability, or answers 501.
func (a *API) queueManager(w http.ResponseWriter, r *http.Request) (store.QueueManager, bool) {
	qm, ok := a.cfg.Store.(store.QueueManager)
	if !ok {
		a.fail(w, r, newError(http.StatusNotImplemented, CodeNotImplemented, "the task store keeps no queue state"))
	}
	return qm, ok
}

// listQueues answers GET /queues: every queue with tasks or state, by
// name, with its counts by status and whether it is paused.
func (a *API) listQueues(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.Query()) > 0 {
		a.fail(w, r, badRequest(CodeUnknownField, "GET queues takes no query parameters"))
		return
	}
	qm, ok := a.queueManager(w, r)
	if !ok {
		return
	}
	qs, err := qm.Queues(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if qs == nil {
		qs = []store.QueueInfo{}
	}
	a.writeJSON(w, r, http.StatusOK, queueList{Queues: qs})
}

func (a *API) pauseQueue(w http.ResponseWriter, r *http.Request)  { a.setPaused(w, r, true) }
func (a *API) resumeQueue(w http.ResponseWriter, r *http.Request) { a.setPaused(w, r, false) }

// setPaused pauses or resumes the queue the path names, in every process
// on the store.
func (a *API) setPaused(w http.ResponseWriter, r *http.Request, paused bool) {
	name := r.PathValue("name")
	if !store.ValidQueueName(name) {
		a.fail(w, r, badRequest(CodeInvalidRequest, "the queue name must be 1 to "+strconv.Itoa(store.MaxQueueLen)+
			" ASCII letters, digits and _ . -, starting with a letter or digit"))
		return
	}
	qm, ok := a.queueManager(w, r)
	if !ok {
		return
	}
	if err := qm.SetQueuePaused(r.Context(), name, paused); err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, queueState{Name: name, Paused: paused})
}
