// Package httpmw is the request middleware the module's HTTP handlers
// share (taskqueue/httpapi and taskqueue/dashboard): an optional request
// id, status recording, panic recovery and the request log.
//
// Log lines name the matched route (r.Pattern), never the raw path, and a
// request id taken from a client is kept only in a safe format, so no
// client text reaches a log line.
package httpmw

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/seedcore/seedcore/internal/statusrec"
)

// MaxRequestIDLen is the longest X-Request-ID taken from a client.
const MaxRequestIDLen = 64

// RequestIDHeader is the header carrying the request id both ways.
const RequestIDHeader = "X-Request-ID"

// RetryAfter is the Retry-After every 503 answer of the module's
// handlers carries (the HTTP API's and the dashboard's): the store is
// unreachable or closing, or the service is not ready or full.
const RetryAfter = 2 * time.Second

// SetRetryAfter sets h's Retry-After to [RetryAfter], in whole seconds.
// Every 503 answer sets it through here, so the handlers cannot drift
// apart.
func SetRetryAfter(h http.Header) {
	h.Set("Retry-After", strconv.Itoa(int(RetryAfter/time.Second)))
}

// Options configures [Wrap].
type Options struct {
	// Name starts every log message ("httpapi", "dashboard").
	Name string
	// Logger receives the request log (Debug) and panics (Error). It must
	// not be nil.
	Logger *slog.Logger
	// RequestIDs gives each request an id: the client's X-Request-ID when
	// [ValidRequestID] accepts it, else a generated one. The id is set as
	// the response's X-Request-ID, available through [RequestID] and
	// logged as request_id. Off (the zero value): no id.
	RequestIDs bool
	// OnPanic writes the response after h panicked before writing a
	// status. Nil leaves the response to net/http.
	OnPanic func(w http.ResponseWriter, r *http.Request)
}

type ctxKey struct{}

// RequestID returns the id [Wrap] gave r, or "" when it gave none.
func RequestID(r *http.Request) string {
	id, _ := r.Context().Value(ctxKey{}).(string)
	return id
}

// ValidRequestID reports whether id, a client's X-Request-ID, is 1 to
// MaxRequestIDLen characters of A-Z, a-z, 0-9, '.', '_' and '-'. Anything
// else is replaced, so a request id in a log line or a header never
// carries client text beyond that alphabet.
func ValidRequestID(id string) bool {
	if len(id) == 0 || len(id) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// newRequestID returns 32 random hex digits.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error.
	return hex.EncodeToString(b[:])
}

// Wrap returns h with the request id (when o.RequestIDs), status
// recording, panic recovery and the request log. h receives a writer that
// records its status; a panic of http.ErrAbortHandler passes through, as
// net/http means it to.
func Wrap(o Options, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var idAttr []slog.Attr
		if o.RequestIDs {
			id := r.Header.Get(RequestIDHeader)
			if !ValidRequestID(id) {
				id = newRequestID()
			}
			r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, id))
			w.Header().Set(RequestIDHeader, id)
			idAttr = []slog.Attr{slog.String("request_id", id)}
		}
		rec := &statusrec.Writer{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v) // net/http's way to abort a response: let it through.
				}
				o.Logger.LogAttrs(r.Context(), slog.LevelError, o.Name+": handler panicked",
					append(idAttr, slog.String("route", r.Pattern), slog.Any("panic", v))...)
				if rec.Status == 0 && o.OnPanic != nil {
					o.OnPanic(rec, r)
				}
			}
			o.Logger.LogAttrs(r.Context(), slog.LevelDebug, o.Name+": request",
				append(idAttr, slog.String("method", r.Method), slog.String("route", r.Pattern),
					slog.Int("status", rec.Status), slog.Duration("duration", time.Since(start)))...)
		}()
		h.ServeHTTP(rec, r)
	})
}
