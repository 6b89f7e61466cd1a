package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/seedcore/seedcore/store"
)

// MaxBatch is the most tasks one POST {prefix}/tasks/batch creates; a
// larger batch is refused whole (400). The body is bounded by
// Config.MaxBodyBytes as every body is.
const MaxBatch = 1000

// batchWorkers is how many tasks of a batch are enqueued at once: a
// store that shares statements between concurrent creates (pgstore)
// stores them together.
const batchWorkers = 32

// BatchResponse is the body of POST {prefix}/tasks/batch: one result per
// task sent, in the order sent, and how many were created, already
// existed (a repeated idempotency key) and failed.
type BatchResponse struct {
	Results  []BatchResult `json:"results"`
	Created  int           `json:"created"`
	Existing int           `json:"existing"`
	Failed   int           `json:"failed"`
}

// BatchResult is the result of one task of a batch: the HTTP status a
// POST {prefix}/tasks of that task alone would have had, and the task
// (201 created, 200 existing) or the error.
type BatchResult struct {
	Index  int          `json:"index"`
	Status int          `json:"status"`
	Task   *store.Task  `json:"task,omitempty"`
	Error  *ErrorDetail `json:"error,omitempty"`
}

func (a *API) createBatch(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Idempotency-Key") != "" {
		a.fail(w, r, badRequest(CodeInvalidRequest, "a batch takes no Idempotency-Key header: give each task its idempotency_key"))
		return
	}
	fields, err := a.readJSONObject(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var items []json.RawMessage
	for _, f := range fields {
		if f.name != "tasks" {
			if safeName(f.name) {
				a.fail(w, r, badRequest(CodeUnknownField, "unknown field \""+f.name+"\""))
			} else {
				a.fail(w, r, badRequest(CodeUnknownField, "unknown field"))
			}
			return
		}
		if items != nil {
			a.fail(w, r, badRequest(CodeInvalidRequest, "field \"tasks\" is given twice"))
			return
		}
		if items, err = splitArray(f.value); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	switch {
	case items == nil:
		a.fail(w, r, badRequest(CodeInvalidRequest, "field \"tasks\" is required: an array of tasks"))
		return
	case len(items) == 0:
		a.fail(w, r, badRequest(CodeInvalidRequest, "field \"tasks\" is empty"))
		return
	case len(items) > MaxBatch:
		a.fail(w, r, badRequest(CodeInvalidRequest, "a batch holds at most "+strconv.Itoa(MaxBatch)+" tasks"))
		return
	}
	resp := BatchResponse{Results: make([]BatchResult, len(items))}
	// Every task is decoded first. A task that repeats an idempotency key
	// of an earlier one is enqueued after the others, so the earlier task
	// is the one created, as if they had been sent one by one.
	tasks := make([]store.NewTask, len(items))
	var first, later []int
	seen := map[string]bool{}
	for i, raw := range items {
		nt, err := decodeItem(raw, a.cfg.MaxJSONDepth, a.cfg.MaxParamsBytes)
		if err != nil {
			resp.Results[i] = a.itemFailure(r, i, err)
			continue
		}
		tasks[i] = nt
		if k := nt.IdempotencyKey; k != "" && seen[k] {
			later = append(later, i)
			continue
		} else if k != "" {
			seen[k] = true
		}
		first = append(first, i)
	}
	for _, idx := range [][]int{first, later} {
		var wg sync.WaitGroup
		next := make(chan int)
		for range min(batchWorkers, len(idx)) {
			wg.Go(func() {
				for i := range next {
					resp.Results[i] = a.enqueueItem(r, i, tasks[i])
				}
			})
		}
		for _, i := range idx {
			next <- i
		}
		close(next)
		wg.Wait()
	}
	for _, res := range resp.Results {
		switch res.Status {
		case http.StatusCreated:
			resp.Created++
		case http.StatusOK:
			resp.Existing++
		default:
			resp.Failed++
		}
	}
	a.writeJSON(w, r, http.StatusOK, resp)
}

// decodeItem decodes one task of a batch, as the body of a single create.
func decodeItem(raw json.RawMessage, maxDepth, maxParams int) (store.NewTask, error) {
	if len(raw) == 0 || raw[0] != '{' {
		return store.NewTask{}, badRequest(CodeInvalidRequest, "a task must be a JSON object")
	}
	fields, err := scanObject(raw, maxDepth)
	if err != nil {
		return store.NewTask{}, err
	}
	return decodeCreate(fields, "", maxParams)
}

// itemFailure is the result of task i of a batch that failed with err.
func (a *API) itemFailure(r *http.Request, i int, err error) BatchResult {
	ae := storeError(err)
	a.logFailure(r, ae)
	return BatchResult{Index: i, Status: ae.status, Error: &ErrorDetail{Code: ae.code, Message: ae.message}}
}

// enqueueItem enqueues task i of a batch.
func (a *API) enqueueItem(r *http.Request, i int, nt store.NewTask) BatchResult {
	task, created, err := a.cfg.Enqueuer.Enqueue(r.Context(), nt)
	if err != nil {
		return a.itemFailure(r, i, err)
	}
	res := BatchResult{Index: i, Status: http.StatusOK, Task: &task}
	if created {
		res.Status = http.StatusCreated
	}
	return res
}

// splitArray returns the elements of the JSON array v, byte for byte.
func splitArray(v json.RawMessage) ([]json.RawMessage, error) {
	notArray := badRequest(CodeInvalidRequest, "field \"tasks\" must be an array of tasks")
	if len(v) == 0 || v[0] != '[' {
		return nil, notArray
	}
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, notArray
	}
	items := []json.RawMessage{}
	for dec.More() {
		if len(items) == MaxBatch {
			return nil, badRequest(CodeInvalidRequest, "a batch holds at most "+strconv.Itoa(MaxBatch)+" tasks")
		}
		var item json.RawMessage
		if err := dec.Decode(&item); err != nil {
			return nil, notArray
		}
		items = append(items, item)
	}
	if _, err := dec.Token(); err != nil && !errors.Is(err, io.EOF) {
		return nil, notArray
	}
	return items, nil
}
