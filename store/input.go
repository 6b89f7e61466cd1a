package store

import (
	"errors"
	"math"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// The input contract: what [NewTask.Normalize] accepts. Every backend
// calls Normalize before it stores anything, so the in-memory and the
// PostgreSQL store accept and reject exactly the same tasks, and a task
// PostgreSQL would refuse (text, jsonb and timestamptz columns) never
// reaches a statement another task shares.
const (
	// MaxTypeLen bounds Type in bytes (at least 1).
	MaxTypeLen = 128
	// MaxDomainLen bounds Domain in bytes (0 means "infer").
	MaxDomainLen = 128
	// MaxIdempotencyKeyLen bounds IdempotencyKey in bytes.
	MaxIdempotencyKeyLen = 200
	// MaxDescriptionBytes bounds Description in bytes.
	MaxDescriptionBytes = 1 << 20
	// MaxParamsBytes is the store's hard cap on Params in bytes (1 MiB).
	// Applications set a lower limit of their own (the HTTP API's
	// default is 64 KiB); this one holds for every caller.
	MaxParamsBytes = 1 << 20
	// MaxJSONDepth bounds the nesting of Params and Events: an object or
	// array inside another counts one level more.
	MaxJSONDepth = 64
	// MaxJSONExponent bounds the exponent written in a JSON number.
	MaxJSONExponent = 10000
	// MaxJSONDecimals bounds the digits after the decimal point of a JSON
	// number once its exponent is applied (1.5e-3 has 4): PostgreSQL's
	// numeric keeps at most this many.
	MaxJSONDecimals = 16383
)

// MinRunAfter and MaxRunAfter bound a non-zero NewTask.RunAfter: the
// instants whose UTC year is 1 to 9999, which RFC 3339 (and so JSON),
// PostgreSQL's timestamptz and Go all represent.
var (
	MinRunAfter = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxRunAfter = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
)

// ValidName reports whether s is a valid task type or domain name: 1 to
// 128 bytes of ASCII letters, digits and "_", ".", "-", ":", "/", starting
// with a letter or a digit. Names are shown in logs, metrics and the
// dashboard, so they carry no spaces, control characters or escapes.
func ValidName(s string) bool {
	if s == "" || len(s) > MaxTypeLen || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '_' && c != '.' && c != '-' && c != ':' && c != '/' {
			return false
		}
	}
	return true
}

// DefaultQueue is the queue of a task that names none.
const DefaultQueue = "default"

// MaxQueueLen bounds a queue name in bytes.
const MaxQueueLen = 64

// ValidQueueName reports whether s is a valid queue name: 1 to MaxQueueLen
// bytes of ASCII letters, digits and "_", ".", "-", starting with a letter
// or a digit. Queues are names an operator declares: they are shown in
// logs, the dashboard and as metric labels.
func ValidQueueName(s string) bool {
	if s == "" || len(s) > MaxQueueLen || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// checkText reports why s cannot be stored as text: invalid UTF-8, or a
// NUL character (PostgreSQL's text cannot hold one).
func checkText(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return "contains a NUL character"
		}
	}
	return ""
}

// checkKey reports why s is not a valid idempotency key: it must be valid
// UTF-8 without control characters (C0, DEL and C1, so no terminal
// escapes), at most MaxIdempotencyKeyLen bytes.
func checkKey(s string) string {
	if len(s) > MaxIdempotencyKeyLen {
		return "is longer than " + strconv.Itoa(MaxIdempotencyKeyLen) + " bytes"
	}
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "contains a control character"
		}
	}
	return ""
}

// checkTime reports why a non-zero t is outside [MinRunAfter, MaxRunAfter].
func checkTime(t time.Time) string {
	if t.Before(MinRunAfter) || t.After(MaxRunAfter) {
		return "is outside the years 1 to 9999 (UTC)"
	}
	return ""
}

// errJSON is the reason a JSON value breaks the contract.
type errJSON string

func (e errJSON) Error() string { return string(e) }

// CheckJSON reports whether b is one JSON value that every backend stores
// and returns alike: well-formed (RFC 8259) and valid UTF-8; no \u0000 and
// no unpaired surrogate escape in any string or member name (PostgreSQL's
// jsonb refuses both); numbers finite as a float64, with an exponent of at
// most MaxJSONExponent and at most MaxJSONDecimals digits after the
// decimal point; nested at most MaxJSONDepth deep. Its error says what is
// wrong without quoting b.
func CheckJSON(b []byte) error {
	if !utf8.Valid(b) {
		return errJSON("is not valid UTF-8")
	}
	s := jsonScan{b: b}
	s.space()
	if err := s.value(0); err != nil {
		return err
	}
	s.space()
	if s.i != len(b) {
		return errMalformed
	}
	return nil
}

var (
	errMalformed = errJSON("is not well-formed JSON")
	errDeep      = errJSON("nests deeper than " + strconv.Itoa(MaxJSONDepth) + " levels")
	errNUL       = errJSON(`contains \u0000`)
	errSurrogate = errJSON("contains an unpaired UTF-16 surrogate escape")
	errNumber    = errJSON("contains a number outside the accepted range")
)

// jsonScan is a strict, allocation-free JSON checker (encoding/json's
// scanner accepts \u0000, lone surrogates and any number).
type jsonScan struct {
	b []byte
	i int
}

func (s *jsonScan) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jsonScan) value(depth int) error {
	if s.i >= len(s.b) {
		return errMalformed
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(depth + 1)
	case c == '[':
		return s.array(depth + 1)
	case c == '"':
		return s.str()
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
				s.i += len(lit)
				return nil
			}
		}
		return errMalformed
	}
}

func (s *jsonScan) object(depth int) error {
	if depth > MaxJSONDepth {
		return errDeep
	}
	s.i++ // {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return errMalformed
		}
		if err := s.str(); err != nil {
			return err
		}
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return errMalformed
		}
		s.i++
		s.space()
		if err := s.value(depth); err != nil {
			return err
		}
		s.space()
		if s.i >= len(s.b) {
			return errMalformed
		}
		switch s.b[s.i] {
		case ',':
			s.i++
			s.space()
		case '}':
			s.i++
			return nil
		default:
			return errMalformed
		}
	}
}

func (s *jsonScan) array(depth int) error {
	if depth > MaxJSONDepth {
		return errDeep
	}
	s.i++ // [
	s.space()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		if err := s.value(depth); err != nil {
			return err
		}
		s.space()
		if s.i >= len(s.b) {
			return errMalformed
		}
		switch s.b[s.i] {
		case ',':
			s.i++
			s.space()
		case ']':
			s.i++
			return nil
		default:
			return errMalformed
		}
	}
}

// str checks a string starting at its opening quote. The input is known
// to be valid UTF-8.
func (s *jsonScan) str() error {
	s.i++ // "
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return nil
		case c < 0x20:
			return errMalformed
		case c != '\\':
			s.i++
			continue
		}
		// An escape.
		if s.i+1 >= len(s.b) {
			return errMalformed
		}
		switch s.b[s.i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			s.i += 2
			continue
		case 'u':
		default:
			return errMalformed
		}
		r, ok := s.hex4(s.i + 2)
		if !ok {
			return errMalformed
		}
		s.i += 6
		switch {
		case r == 0:
			return errNUL
		case r >= 0xDC00 && r <= 0xDFFF:
			return errSurrogate // a low half with no high half before it
		case r >= 0xD800 && r <= 0xDBFF:
			// A high half must be followed at once by an escaped low half.
			if s.i+1 >= len(s.b) || s.b[s.i] != '\\' || s.b[s.i+1] != 'u' {
				return errSurrogate
			}
			lo, ok := s.hex4(s.i + 2)
			if !ok {
				return errMalformed
			}
			if lo < 0xDC00 || lo > 0xDFFF {
				return errSurrogate
			}
			s.i += 6
		}
	}
	return errMalformed
}

// hex4 decodes the four hex digits at b[at:].
func (s *jsonScan) hex4(at int) (rune, bool) {
	if at+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range s.b[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// number checks a number: RFC 8259's grammar, then the range rules.
func (s *jsonScan) number() error {
	start := s.i
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.b[s.i] == '-' {
		s.i++
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if digits() == 0 {
		return errMalformed
	}
	decimals := 0
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if decimals = digits(); decimals == 0 {
			return errMalformed
		}
	}
	exp := 0
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		neg := false
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			neg = s.b[s.i] == '-'
			s.i++
		}
		at := s.i
		if digits() == 0 {
			return errMalformed
		}
		e, err := strconv.Atoi(string(s.b[at:s.i]))
		if err != nil || e > MaxJSONExponent {
			return errNumber
		}
		if neg {
			e = -e
		}
		exp = e
	}
	if decimals-exp > MaxJSONDecimals {
		return errNumber
	}
	f, err := strconv.ParseFloat(string(s.b[start:s.i]), 64)
	if err != nil && (math.IsInf(f, 0) || !errors.Is(err, strconv.ErrRange)) {
		return errNumber
	}
	return nil
}
