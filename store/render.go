package store

import (
	"encoding/json"
	"slices"
	"time"
)

// taskFields is Task without its methods, so encoding/json renders it
// field by field.
type taskFields Task

// MarshalJSON renders t as JSON and never fails, so one task that cannot
// be rendered as it is stored (a row written before the input contract,
// or by hand) cannot fail a page, an event stream or a dashboard that
// shows it. A field that cannot be rendered is sent as null and named in
// "invalid" (see [Task.Invalid]): a time outside the years 0 to 9999,
// which RFC 3339 cannot write, or a JSON field that is not valid JSON.
func (t Task) MarshalJSON() ([]byte, error) {
	if len(t.Invalid) == 0 {
		if b, err := json.Marshal(taskFields(t)); err == nil {
			return b, nil
		}
	}
	return json.Marshal(t.renderable())
}

// wireTask is a Task whose times and JSON fields may be null.
type wireTask struct {
	taskFields
	Params         json.RawMessage `json:"params"`
	Result         json.RawMessage `json:"result,omitempty"`
	Events         json.RawMessage `json:"events,omitempty"`
	Enrichment     json.RawMessage `json:"enrichment,omitempty"`
	RunAfter       *time.Time      `json:"run_after"`
	LeaseExpiresAt *time.Time      `json:"lease_expires_at,omitempty"`
	LastHeartbeat  *time.Time      `json:"last_heartbeat,omitempty"`
	CreatedAt      *time.Time      `json:"created_at"`
	UpdatedAt      *time.Time      `json:"updated_at"`
	StartedAt      *time.Time      `json:"started_at,omitempty"`
	FinishedAt     *time.Time      `json:"finished_at,omitempty"`
	Invalid        []string        `json:"invalid,omitempty"`
}

// renderable returns t with every field that cannot be rendered nulled
// and named in Invalid.
func (t Task) renderable() wireTask {
	w := wireTask{taskFields: taskFields(t), Invalid: slices.Clone(t.Invalid)}
	mark := func(name string) {
		if !slices.Contains(w.Invalid, name) {
			w.Invalid = append(w.Invalid, name)
		}
	}
	raw := func(name string, v json.RawMessage, required bool) json.RawMessage {
		switch {
		case slices.Contains(w.Invalid, name):
			return json.RawMessage("null")
		case len(v) == 0 && required:
			return json.RawMessage("null")
		case len(v) > 0 && !json.Valid(v):
			mark(name)
			return json.RawMessage("null")
		}
		return v
	}
	w.Params = raw("params", t.Params, true)
	w.Result = raw("result", t.Result, false)
	w.Events = raw("events", t.Events, false)
	w.Enrichment = raw("enrichment", t.Enrichment, false)
	at := func(name string, v time.Time) *time.Time {
		if slices.Contains(w.Invalid, name) {
			return nil
		}
		if y := v.Year(); y < 0 || y > 9999 {
			mark(name)
			return nil
		}
		return &v
	}
	opt := func(name string, v *time.Time) *time.Time {
		if v == nil {
			return nil
		}
		return at(name, *v)
	}
	w.RunAfter = at("run_after", t.RunAfter)
	w.CreatedAt = at("created_at", t.CreatedAt)
	w.UpdatedAt = at("updated_at", t.UpdatedAt)
	w.LeaseExpiresAt = opt("lease_expires_at", t.LeaseExpiresAt)
	w.LastHeartbeat = opt("last_heartbeat", t.LastHeartbeat)
	w.StartedAt = opt("started_at", t.StartedAt)
	w.FinishedAt = opt("finished_at", t.FinishedAt)
	slices.Sort(w.Invalid)
	return w
}
