package store

import (
	"fmt"
	"maps"
	"strconv"
)

// Limits of a task's trace context ([NewTask.TraceContext]). They hold a
// W3C traceparent and tracestate, B3 or Jaeger headers and a modest
// baggage; a carrier past them is refused, not cut.
const (
	// MaxTraceContextEntries bounds the number of entries.
	MaxTraceContextEntries = 8
	// MaxTraceContextKeyLen bounds each key in bytes.
	MaxTraceContextKeyLen = 64
	// MaxTraceContextBytes bounds the keys and values together, in bytes.
	MaxTraceContextBytes = 4096
)

// CheckTraceContext reports whether c is a valid trace context: at most
// MaxTraceContextEntries entries of MaxTraceContextBytes in all; each key
// 1 to MaxTraceContextKeyLen bytes of lower-case ASCII letters, digits and
// "-", "_", ".", starting with a letter or digit (the lower-case header
// names propagators use); each value 1 or more bytes of printable ASCII
// (0x20 to 0x7e, what an HTTP header value holds). The error wraps
// [ErrInvalidTask] and names the rule, never a key or a value. A nil or
// empty c is valid.
func CheckTraceContext(c map[string]string) error {
	if why := checkTraceContext(c); why != "" {
		return fmt.Errorf("%w: trace_context %s", ErrInvalidTask, why)
	}
	return nil
}

func checkTraceContext(c map[string]string) string {
	if len(c) > MaxTraceContextEntries {
		return "has more than " + strconv.Itoa(MaxTraceContextEntries) + " entries"
	}
	total := 0
	for k, v := range c {
		total += len(k) + len(v)
		if !validTraceKey(k) {
			return "keys must be 1 to " + strconv.Itoa(MaxTraceContextKeyLen) +
				" bytes of lower-case ASCII letters, digits and - _ ., starting with a letter or digit"
		}
		if !validTraceValue(v) {
			return "values must be non-empty printable ASCII"
		}
	}
	if total > MaxTraceContextBytes {
		return "is larger than " + strconv.Itoa(MaxTraceContextBytes) + " bytes"
	}
	return ""
}

func validTraceKey(k string) bool {
	if k == "" || len(k) > MaxTraceContextKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		lowerAlnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !lowerAlnum && (i == 0 || c != '-' && c != '_' && c != '.') {
			return false
		}
	}
	return true
}

func validTraceValue(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

// CloneTraceContext returns a copy of c, or nil when c is empty. Stores use
// it so a task they keep or return shares no map with its caller.
func CloneTraceContext(c map[string]string) map[string]string {
	if len(c) == 0 {
		return nil
	}
	return maps.Clone(c)
}

// traceContextBytes is what c adds to a task's SizeEstimate.
func traceContextBytes(c map[string]string) int {
	n := 0
	for k, v := range c {
		n += len(k) + len(v) + 6 // quotes, colon and comma in JSON
	}
	return n
}
