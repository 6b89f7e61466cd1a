package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/seedcore/seedcore/store"
)

// Sentinel errors of the package. Test for them with [errors.Is].
var (
	// ErrInvalidConfig is wrapped by [New] for a configuration it cannot use.
	ErrInvalidConfig = errors.New("httpapi: invalid config")
	// ErrUnauthorized is what a [Config.Authorize] hook wraps to reject a
	// request that carries no valid credentials: the API answers 401 with
	// code "unauthorized".
	ErrUnauthorized = errors.New("httpapi: unauthorized")
	// ErrForbidden is what a [Config.Authorize] hook wraps to reject a
	// request whose credentials do not allow it: the API answers 403 with
	// code "forbidden". Any other hook error is treated the same way.
	ErrForbidden = errors.New("httpapi: forbidden")
)

// The error codes of the API, one per kind of failure. They are stable:
// clients may switch on them. Each is sent as the "code" of an
// [ErrorBody] with the HTTP status noted.
const (
	CodeInvalidJSON          = "invalid_json"           // 400: the body is not well-formed JSON, or has data after it.
	CodeInvalidRequest       = "invalid_request"        // 400: a field or parameter has the wrong type or an invalid value.
	CodeUnknownField         = "unknown_field"          // 400: the body or query names a field the API does not know.
	CodeBodyTooLarge         = "body_too_large"         // 413: the body is larger than Config.MaxBodyBytes.
	CodeTooDeep              = "too_deep"               // 400: the body nests deeper than Config.MaxJSONDepth.
	CodeInvalidID            = "invalid_id"             // 400: the task id is not a UUID or UUID prefix.
	CodeNotFound             = "not_found"              // 404: no task has the id (or the route does not exist).
	CodeAmbiguousID          = "ambiguous_id"           // 409: the id prefix matches more than one task.
	CodeInvalidTransition    = "invalid_transition"     // 409: the task's status does not allow the operation.
	CodeConflict             = "conflict"               // 409: the task collides with an existing one.
	CodeCountMismatch        = "count_mismatch"         // 409: a bulk operation's filter selects another number of tasks than confirm; nothing was changed.
	CodeTooMany              = "too_many"               // 400: a bulk operation's filter selects more than store.MaxBulk tasks.
	CodeUnauthorized         = "unauthorized"           // 401: Config.Authorize returned ErrUnauthorized.
	CodeForbidden            = "forbidden"              // 403: Config.Authorize rejected the request.
	CodeMethodNotAllowed     = "method_not_allowed"     // 405: the route exists for other methods (see the Allow header).
	CodeUnsupportedMediaType = "unsupported_media_type" // 415: the Content-Type is present and is not JSON.
	CodeNotReady             = "not_ready"              // 503: Config.Ready failed (GET /readyz); with Retry-After.
	CodeStoreFull            = "store_full"             // 503: the store holds as many bytes as it may; with Retry-After.
	CodeTooManyStreams       = "too_many_streams"       // 503: Config.MaxStreams event streams are open; with Retry-After.
	CodeUnavailable          = "unavailable"            // 503: the store is unreachable, closed or timed out, or the request was abandoned; with Retry-After.
	CodeInternal             = "internal"               // 500: anything else; logged with the request id.
	CodeNotImplemented       = "not_implemented"        // 501: the store keeps no queue state (no store.QueueManager).
)

// ErrorBody is the JSON body of every error response:
//
//	{"error": {"code": "not_found", "message": "no task has this id"}}
type ErrorBody struct {
	// Error holds the code and message.
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the content of an [ErrorBody].
type ErrorDetail struct {
	// Code is one of the Code constants.
	Code string `json:"code"`
	// Message says what went wrong for a human. It names fields, never
	// echoes a task's text.
	Message string `json:"message"`
}

// apiError is an error that carries its HTTP status and code. Its message
// is written by this package and never quotes request content.
type apiError struct {
	status  int
	code    string
	message string
	cause   error // logged for internal errors only, never sent
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func newError(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

func badRequest(code, message string) *apiError {
	return newError(http.StatusBadRequest, code, message)
}

// storeError maps an error from the store or the enqueuer to an API
// error. Messages are the package's own: the store's text can quote the
// id prefix, the enqueuer's anything.
func storeError(err error) *apiError {
	var ae *apiError
	var pd *store.PersonalDataError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &pd):
		return personalData(pd)
	case errors.Is(err, store.ErrInvalidID):
		return badRequest(CodeInvalidID, "the task id must be a UUID or a prefix of one")
	case errors.Is(err, store.ErrNotFound):
		return newError(http.StatusNotFound, CodeNotFound, "no task has this id")
	case errors.Is(err, store.ErrAmbiguousID):
		return newError(http.StatusConflict, CodeAmbiguousID, "the id prefix matches more than one task; give more characters")
	case errors.Is(err, store.ErrInvalidTransition):
		return newError(http.StatusConflict, CodeInvalidTransition, "the task's status does not allow this operation")
	case errors.Is(err, store.ErrConflict):
		return newError(http.StatusConflict, CodeConflict, "the task conflicts with an existing task")
	case errors.Is(err, store.ErrInvalidCursor):
		return badRequest(CodeInvalidRequest, "invalid cursor")
	case errors.Is(err, store.ErrInvalidQueue):
		return badRequest(CodeInvalidRequest, "invalid queue name")
	case errors.Is(err, store.ErrInvalidStatus):
		return badRequest(CodeInvalidRequest, "invalid status")
	case errors.Is(err, store.ErrInvalidTask):
		return badRequest(CodeInvalidRequest, "the task is invalid")
	case errors.Is(err, store.ErrFull):
		return newError(http.StatusServiceUnavailable, CodeStoreFull, "the task store is full; retry later")
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, store.ErrClosed),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &apiError{status: http.StatusServiceUnavailable, code: CodeUnavailable, message: "the task store is unavailable", cause: err}
	default:
		return &apiError{status: http.StatusInternalServerError, code: CodeInternal, message: "internal error", cause: err}
	}
}

// personalData says which field holds personal data, and of what kinds,
// without the value.
func personalData(pd *store.PersonalDataError) *apiError {
	field := "a field"
	if safeName(pd.Field) {
		field = pd.Field
	}
	var kinds []string
	for _, k := range pd.Kinds {
		if safeName(k) {
			kinds = append(kinds, k)
		}
	}
	return badRequest(CodeInvalidRequest, field+" holds personal data ("+strings.Join(kinds, ", ")+
		"); it was not stored: use a value without it")
}
