// Package statusrec records the status code an HTTP handler writes, for
// the module's request logs and metrics.
package statusrec

import "net/http"

// Writer wraps an http.ResponseWriter and remembers the first status
// written (200 when the handler writes a body without one).
type Writer struct {
	http.ResponseWriter
	// Status is the status written so far, 0 before any.
	Status int
}

// WriteHeader records status and passes it on.
func (w *Writer) WriteHeader(status int) {
	if w.Status == 0 {
		w.Status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

// Write records an implicit 200 and passes b on.
func (w *Writer) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the server's writer (Flush,
// SetWriteDeadline).
func (w *Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
