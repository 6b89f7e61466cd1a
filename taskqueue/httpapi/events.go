package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/seedcore/seedcore/store"
)

// taskEvents streams the task's status as server-sent events: the current
// state first, then one "status" event per observed status change and one
// "progress" event per observed change of its progress alone (both carry
// the whole task), until the task is terminal or the client goes away. It runs in the request's
// goroutine and starts none, so nothing outlives the request.
//
// At most Config.MaxStreams streams are open at once; beyond that a
// request is answered 503 too_many_streams with Retry-After before it
// touches the store.
func (a *API) taskEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if a.streams.Add(1) > int64(a.cfg.MaxStreams) {
		a.streams.Add(-1)
		a.fail(w, r, newError(http.StatusServiceUnavailable, CodeTooManyStreams, "too many event streams are open; retry later"))
		return
	}
	defer a.streams.Add(-1)
	events, unsubscribe, task, err := a.subscribe(r)
	defer unsubscribe()
	if err != nil {
		a.fail(w, r, err)
		return
	}
	id := task.ID

	rc := http.NewResponseController(w)
	// A stream outlives any write timeout the server has; lift it where the
	// server allows (the error only says it does not).
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	seq := 0
	send := func(event string, t store.Task) bool {
		data, err := json.Marshal(t)
		if err != nil {
			a.cfg.Logger.Error("httpapi: encode event", slog.String("request_id", requestID(r)), slog.String("error", err.Error()))
			return false
		}
		seq++
		buf := make([]byte, 0, len(data)+48)
		buf = append(buf, "event: "...)
		buf = append(buf, event...)
		buf = append(buf, "\nid: "...)
		buf = strconv.AppendInt(buf, int64(seq), 10)
		buf = append(buf, "\ndata: "...)
		buf = append(buf, data...)
		buf = append(buf, "\n\n"...)
		if _, err := w.Write(buf); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("status", task) || task.Status.Terminal() {
		return
	}

	keepAlive := time.NewTicker(a.keepAlive)
	defer keepAlive.Stop()
	var poll <-chan time.Time
	if events == nil {
		t := time.NewTicker(a.cfg.PollInterval)
		defer t.Stop()
		poll = t.C
	}
	// retry is armed after a failed read: the store is read again after
	// PollInterval even if no event comes.
	retry := time.NewTimer(a.cfg.PollInterval)
	retry.Stop()
	defer retry.Stop()

	last, lastProgress := task.Status, task.Progress
	for {
		select {
		case <-ctx.Done():
			return
		case <-keepAlive.C:
			if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil || rc.Flush() != nil {
				return
			}
			continue
		case ev := <-events:
			if !concerns(ev, id) {
				continue
			}
			drainEvents(events)
		case <-poll:
		case <-retry.C:
		}
		t, err := a.cfg.Store.Get(ctx, id)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, store.ErrNotFound):
			// Deleted (retention) while watched: nothing more will come.
			_, _ = w.Write([]byte("event: error\ndata: {\"error\":{\"code\":\"not_found\",\"message\":\"the task was deleted\"}}\n\n"))
			_ = rc.Flush()
			return
		case err != nil:
			a.cfg.Logger.Warn("httpapi: event stream: read task", slog.String("request_id", requestID(r)), slog.String("error", err.Error()))
			retry.Reset(a.cfg.PollInterval)
			continue
		}
		event := "status"
		switch {
		case t.Status != last:
		case !bytes.Equal(t.Progress, lastProgress):
			event = "progress"
		default:
			continue
		}
		last, lastProgress = t.Status, t.Progress
		if !send(event, t) || t.Status.Terminal() {
			return
		}
	}
}

// subscribe reads the task of the request and subscribes to its events
// (nil without a notifier). It subscribes before the read that the
// stream starts from, so no change between the two is missed: with a
// [store.TaskNotifier] and an id prefix, which must be read to be known,
// that is a second read. unsubscribe is never nil.
func (a *API) subscribe(r *http.Request) (events <-chan store.Event, unsubscribe func(), task store.Task, err error) {
	unsubscribe = func() {}
	n := a.cfg.Notifier
	tn, perTask := n.(store.TaskNotifier)
	if n != nil && !perTask {
		events, unsubscribe = n.Subscribe()
	}
	if perTask {
		if id, err := store.ParseID(r.PathValue("id")); err == nil {
			events, unsubscribe = tn.SubscribeTask(id)
			perTask = false // subscribed before the read
		}
	}
	task, err = a.lookup(r)
	if err != nil || !perTask {
		return events, unsubscribe, task, err
	}
	events, unsubscribe = tn.SubscribeTask(task.ID)
	task, err = a.cfg.Store.Get(r.Context(), task.ID)
	return events, unsubscribe, task, err
}

// concerns reports whether ev may change the status of task id.
func concerns(ev store.Event, id string) bool {
	switch ev.Kind {
	case store.EventChanged:
		return ev.TaskID == "" || ev.TaskID == id
	case store.EventCancel:
		return ev.TaskID == id
	case store.EventResync:
		return true
	}
	return false
}

// drainEvents discards the events already queued: one read of the store
// covers them all. It may drop events about other tasks, which this
// stream does not watch anyway.
func drainEvents(events <-chan store.Event) {
	for {
		select {
		case <-events:
		default:
			return
		}
	}
}
