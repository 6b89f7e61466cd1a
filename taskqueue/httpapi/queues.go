package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/seedcore/seedcore/store"
)

// queueList is the body of GET /queues.
type queueList struct {
	Queues []queueInfo `json:"queues"`
}

// queueInfo is one queue of GET /queues: the store's, with each ready
// type marked when the API knows which types this process handles.
type queueInfo struct {
	store.QueueInfo
	ReadyTypes []readyType `json:"ready_types,omitempty"`
}

type readyType struct {
	store.TypeCount
	// HandledHere says whether this process's workers run the type; a
	// type handled by no process waits for a handler.
	HandledHere *bool `json:"handled_here,omitempty"`
}

// queueState is the body of POST /queues/{name}/pause and /resume.
type queueState struct {
	Name   string `json:"name"`
	Paused bool   `json:"paused"`
}

// queueName returns the {name} of the path, or answers 400 when it is
// not a queue name (without echoing it).
func (a *API) queueName(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := r.PathValue("name")
	if !store.ValidQueueName(name) {
		a.fail(w, r, badRequest(CodeInvalidRequest, "the queue name must be 1 to "+strconv.Itoa(store.MaxQueueLen)+
			" ASCII letters, digits and _ . -, starting with a letter or digit"))
		return "", false
	}
	return name, true
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
	out := queueList{Queues: make([]queueInfo, len(qs))}
	for i, q := range qs {
		out.Queues[i].QueueInfo = q
		for _, tc := range q.ReadyTypes {
			rt := readyType{TypeCount: tc}
			if a.cfg.Handles != nil {
				h := a.cfg.Handles(tc.Type)
				rt.HandledHere = &h
			}
			out.Queues[i].ReadyTypes = append(out.Queues[i].ReadyTypes, rt)
		}
	}
	a.writeJSON(w, r, http.StatusOK, out)
}

func (a *API) pauseQueue(w http.ResponseWriter, r *http.Request)  { a.setPaused(w, r, true) }
func (a *API) resumeQueue(w http.ResponseWriter, r *http.Request) { a.setPaused(w, r, false) }

// setPaused pauses or resumes the queue the path names, in every process
// on the store.
func (a *API) setPaused(w http.ResponseWriter, r *http.Request, paused bool) {
	name, ok := a.queueName(w, r)
	if !ok {
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

// queueLimits is the body of PUT /queues/{name}/limits and of its answer.
type queueLimits struct {
	Name   string            `json:"name"`
	Limits store.QueueLimits `json:"limits"`
}

// setQueueLimits answers PUT /queues/{name}/limits: the body is
// {"max_running": n, "rate": r, "burst": b, "partition_max_running": p},
// each optional (absent or 0: no such limit), and replaces the queue's
// limits in every process.
func (a *API) setQueueLimits(w http.ResponseWriter, r *http.Request) {
	name, ok := a.queueName(w, r)
	if !ok {
		return
	}
	fields, err := a.readJSONObject(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var l store.QueueLimits
	seen := map[string]bool{}
	for _, f := range fields {
		if seen[f.name] {
			a.fail(w, r, badRequest(CodeInvalidRequest, "field \""+f.name+"\" is given more than once"))
			return
		}
		seen[f.name] = true
		null := string(f.value) == "null"
		switch f.name {
		case "max_running":
			l.MaxRunning, err = jsonInt(f.value, null)
		case "burst":
			l.Burst, err = jsonInt(f.value, null)
		case "partition_max_running":
			l.PartitionMaxRunning, err = jsonInt(f.value, null)
		case "rate":
			if !null {
				if err = json.Unmarshal(f.value, &l.Rate); err != nil {
					err = badRequest(CodeInvalidRequest, "field \"rate\" must be a number")
				}
			}
		default:
			if safeName(f.name) {
				err = badRequest(CodeUnknownField, "unknown field \""+f.name+"\"")
			} else {
				err = badRequest(CodeUnknownField, "unknown field")
			}
		}
		if errors.Is(err, errWrongType) {
			err = badRequest(CodeInvalidRequest, "field \""+f.name+"\" must be an integer")
		}
		if err != nil {
			a.fail(w, r, err)
			return
		}
	}
	l, err = l.Normalize()
	if err != nil {
		a.fail(w, r, badRequest(CodeInvalidRequest, strings.TrimPrefix(err.Error(), store.ErrInvalidQueue.Error()+": ")))
		return
	}
	qm, ok := a.queueManager(w, r)
	if !ok {
		return
	}
	if err := qm.SetQueueLimits(r.Context(), name, l); err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, queueLimits{Name: name, Limits: l})
}
