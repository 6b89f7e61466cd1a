package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/seedcore/seedcore/store"
)

// BulkResponse is the body of a bulk retry or delete: how many tasks it
// changed.
type BulkResponse struct {
	// Retried is how many tasks a bulk retry put back in the queue.
	Retried int `json:"retried,omitempty"`
	// Deleted is how many tasks a bulk delete removed.
	Deleted int `json:"deleted,omitempty"`
}

func (a *API) retryTask(w http.ResponseWriter, r *http.Request) {
	t, err := a.lookup(r)
	if err == nil {
		t, err = a.cfg.Store.Retry(r.Context(), t.ID)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, t)
}

func (a *API) deleteTask(w http.ResponseWriter, r *http.Request) {
	t, err := a.lookup(r)
	if err == nil {
		err = a.cfg.Store.Delete(r.Context(), t.ID)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) retryMatching(w http.ResponseWriter, r *http.Request) {
	f, err := parseBulk(r.URL.Query())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	n, err := a.cfg.Store.RetryMatching(r.Context(), f)
	if err != nil {
		a.fail(w, r, bulkError(err))
		return
	}
	a.writeJSON(w, r, http.StatusOK, BulkResponse{Retried: n})
}

func (a *API) deleteMatching(w http.ResponseWriter, r *http.Request) {
	f, err := parseBulk(r.URL.Query())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	n, err := a.cfg.Store.DeleteMatching(r.Context(), f)
	if err != nil {
		a.fail(w, r, bulkError(err))
		return
	}
	a.writeJSON(w, r, http.StatusOK, BulkResponse{Deleted: n})
}

// parseBulk reads a bulk operation's filter from the query: the listing's
// filter parameters (without limit and cursor) and confirm, the number of
// tasks the caller expects to change, 1 to store.MaxBulk.
func parseBulk(q url.Values) (store.BulkFilter, error) {
	var bf store.BulkFilter
	vals, ok := q["confirm"]
	if !ok {
		return bf, badRequest(CodeInvalidRequest, "query parameter \"confirm\" is required: the number of tasks the filter selects, as GET .../tasks with the same filter counts them (total)")
	}
	if len(vals) != 1 {
		return bf, badRequest(CodeInvalidRequest, "query parameter \"confirm\" is given more than once")
	}
	n, okN := decimal(vals[0])
	if !okN || n > store.MaxBulk {
		return bf, badRequest(CodeInvalidRequest, "confirm must be an integer from 1 to "+strconv.Itoa(store.MaxBulk)+", in decimal digits")
	}
	rest := url.Values{}
	for k, v := range q {
		switch k {
		case "confirm":
		case "limit", "cursor":
			return bf, badRequest(CodeUnknownField, "query parameter \""+k+"\" does not apply to a bulk operation")
		default:
			rest[k] = v
		}
	}
	f, err := parseFilter(rest)
	if err != nil {
		return bf, err
	}
	return store.BulkFilter{Statuses: f.Statuses, Type: f.Type, Domain: f.Domain,
		CreatedAfter: f.CreatedAfter, CreatedBefore: f.CreatedBefore, Confirm: n}, nil
}

// bulkError maps the errors particular to bulk operations.
func bulkError(err error) error {
	var mismatch *store.CountMismatchError
	switch {
	case errors.As(err, &mismatch):
		return newError(http.StatusConflict, CodeCountMismatch, "the filter selects "+strconv.Itoa(mismatch.Matched)+
			" tasks, not the "+strconv.Itoa(mismatch.Confirmed)+" confirmed; nothing was changed")
	case errors.Is(err, store.ErrTooMany):
		return badRequest(CodeTooMany, "the filter selects more than "+strconv.Itoa(store.MaxBulk)+" tasks; narrow it (by type or creation time) and repeat")
	case errors.Is(err, store.ErrInvalidTask):
		return badRequest(CodeInvalidRequest, "a selected status is not one this operation acts on")
	}
	return err
}
