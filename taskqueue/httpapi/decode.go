package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/seedcore/seedcore/store"
)

// readJSONObject reads r's body, bounded by MaxBodyBytes, checks its
// Content-Type, its syntax and nesting with one streaming token scan, and
// returns its top-level fields as raw JSON in body order. Every message it
// writes is its own: encoding/json's error strings can quote the input.
func (a *API) readJSONObject(w http.ResponseWriter, r *http.Request) ([]field, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))) {
			return nil, newError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "the body must be application/json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes))
	if err != nil {
		if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
			return nil, newError(http.StatusRequestEntityTooLarge, CodeBodyTooLarge,
				"the body is larger than "+strconv.FormatInt(a.cfg.MaxBodyBytes, 10)+" bytes")
		}
		return nil, badRequest(CodeInvalidJSON, "the body could not be read")
	}
	if !utf8.Valid(body) {
		// RFC 8259 requires UTF-8; decoding would turn bad bytes into
		// U+FFFD silently.
		return nil, badRequest(CodeInvalidJSON, "the body is not valid UTF-8")
	}
	return scanObject(body, a.cfg.MaxJSONDepth)
}

// field is one top-level member of a JSON object.
type field struct {
	name  string
	value json.RawMessage // a sub-slice of the body: byte-exact
}

// scanObject checks that body is exactly one JSON object nested at most
// maxDepth deep, and returns its members. It walks the tokens with a
// streaming decoder, so a too deep body is refused before anything is
// decoded, and numbers are never converted.
func scanObject(body []byte, maxDepth int) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	malformed := badRequest(CodeInvalidJSON, "the body is not well-formed JSON")
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, badRequest(CodeInvalidJSON, "the body is empty")
		}
		return nil, malformed
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		if err := scanRest(dec, tok, maxDepth); err != nil {
			return nil, err
		}
		return nil, badRequest(CodeInvalidRequest, "the body must be a JSON object")
	}
	var (
		fields    []field
		depth     = 1
		expectKey = true // at depth 1: the next token is a member name
		valStart  int64  // offset where the current member's value starts
		name      string
	)
	for depth > 0 {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if depth == 1 {
					valStart = before
				}
				depth++
				if depth > maxDepth {
					return nil, badRequest(CodeTooDeep, "the body nests deeper than "+strconv.Itoa(maxDepth)+" levels")
				}
			case '}', ']':
				depth--
				if depth == 1 {
					fields = append(fields, field{name: name, value: trimValue(body[valStart:dec.InputOffset()])})
					expectKey = true
				}
			}
		default:
			if depth != 1 {
				continue
			}
			if expectKey {
				name, _ = t.(string)
				expectKey = false
				continue
			}
			fields = append(fields, field{name: name, value: trimValue(body[before:dec.InputOffset()])})
			expectKey = true
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, badRequest(CodeInvalidJSON, "the body has data after the JSON object")
	}
	return fields, nil
}

// trimValue strips the separators the decoder leaves before a value (the
// ':' after a name, and white space).
func trimValue(b []byte) json.RawMessage {
	b = bytes.TrimLeft(b, " \t\r\n:")
	return json.RawMessage(bytes.TrimRight(b, " \t\r\n"))
}

// scanRest checks the rest of a body that is not an object, whose first
// token dec returned as first, so that a malformed or too deep body is
// reported as such rather than as the wrong type.
func scanRest(dec *json.Decoder, first json.Token, maxDepth int) error {
	depth := 0
	for tok := first; ; {
		if d, ok := tok.(json.Delim); ok {
			if d == '[' || d == '{' {
				depth++
				if depth > maxDepth {
					return badRequest(CodeTooDeep, "the body nests deeper than "+strconv.Itoa(maxDepth)+" levels")
				}
			} else {
				depth--
			}
		}
		var err error
		tok, err = dec.Token()
		if errors.Is(err, io.EOF) && depth == 0 {
			return nil
		}
		if err != nil {
			return badRequest(CodeInvalidJSON, "the body is not well-formed JSON")
		}
	}
}

// safeName reports whether an unknown name can be quoted in an error
// message: short, and made of lower-case letters and "_" only, like the
// names the API knows. Anything else (digits, punctuation, upper case)
// could carry data put in the wrong place, so it is not repeated.
func safeName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c == '_') {
			return false
		}
	}
	return true
}

// decodeCreate turns the members of a POST /tasks body into a NewTask,
// with params of at most maxParams bytes. Every message names the field,
// never its value.
func decodeCreate(fields []field, headerKey string, maxParams int) (store.NewTask, error) {
	var nt store.NewTask
	runImmediately := true
	seen := make(map[string]bool, len(fields))
	for _, f := range fields {
		if seen[f.name] {
			if safeName(f.name) {
				return nt, badRequest(CodeInvalidRequest, "field \""+f.name+"\" is given twice")
			}
			return nt, badRequest(CodeInvalidRequest, "a field is given twice")
		}
		seen[f.name] = true
		v := f.value
		null := string(v) == "null"
		wrongType := func(want string) error {
			return badRequest(CodeInvalidRequest, "field \""+f.name+"\" must be "+want)
		}
		var err error
		switch f.name {
		case "type":
			nt.Type, err = jsonString(v, null)
		case "description":
			nt.Description, err = jsonString(v, null)
		case "domain":
			nt.Domain, err = jsonString(v, null)
		case "queue":
			nt.Queue, err = jsonString(v, null)
		case "partition":
			nt.Partition, err = jsonString(v, null)
		case "idempotency_key":
			nt.IdempotencyKey, err = jsonString(v, null)
		case "params":
			if !null && (len(v) == 0 || v[0] != '{') {
				return nt, wrongType("a JSON object")
			}
			if len(v) > maxParams {
				return nt, badRequest(CodeInvalidRequest, "field \"params\" is larger than "+strconv.Itoa(maxParams)+" bytes")
			}
			if !null {
				nt.Params = v
			}
			continue
		case "priority":
			nt.Priority, err = jsonInt(v, null)
			if err != nil {
				return nt, wrongType("an integer")
			}
			continue
		case "keep_priority":
			switch string(v) {
			case "true":
				nt.KeepPriority = true
			case "false", "null":
				nt.KeepPriority = false
			default:
				return nt, wrongType("a boolean")
			}
			continue
		case "max_attempts":
			nt.MaxAttempts, err = jsonInt(v, null)
			if err != nil {
				return nt, wrongType("an integer")
			}
			continue
		case "run_after":
			var s string
			if s, err = jsonString(v, null); err != nil || s == "" {
				break
			}
			if nt.RunAfter, err = time.Parse(time.RFC3339Nano, s); err != nil {
				return nt, wrongType("an RFC 3339 time")
			}
			continue
		case "run_immediately":
			switch string(v) {
			case "true", "null":
				runImmediately = true
			case "false":
				runImmediately = false
			default:
				return nt, wrongType("a boolean")
			}
			continue
		default:
			if safeName(f.name) {
				return nt, badRequest(CodeUnknownField, "unknown field \""+f.name+"\"")
			}
			return nt, badRequest(CodeUnknownField, "unknown field")
		}
		if bt := (badText{}); errors.As(err, &bt) {
			return nt, badRequest(CodeInvalidRequest, "field \""+f.name+"\" "+bt.Error())
		}
		if err != nil {
			return nt, wrongType("a string")
		}
	}
	nt.Hold = !runImmediately
	switch {
	case headerKey != "" && nt.IdempotencyKey == "":
		nt.IdempotencyKey = headerKey
	case headerKey != "" && headerKey != nt.IdempotencyKey:
		return nt, badRequest(CodeInvalidRequest, "the Idempotency-Key header and the idempotency_key field differ")
	}
	if headerKey != "" && nt.IdempotencyKey == headerKey {
		if _, err := (store.NewTask{Type: "t", IdempotencyKey: headerKey}).Normalize(); err != nil {
			return nt, badRequest(CodeInvalidRequest, "the Idempotency-Key header "+
				strings.TrimPrefix(err.Error(), store.ErrInvalidTask.Error()+": idempotency_key "))
		}
	}
	if _, err := nt.Normalize(); err != nil {
		// Normalize's messages name fields and limits, never text.
		msg := strings.TrimPrefix(err.Error(), store.ErrInvalidTask.Error()+": ")
		return nt, badRequest(CodeInvalidRequest, msg)
	}
	return nt, nil
}

var errWrongType = errors.New("wrong JSON type")

// badText is the reason a string holds text no task can: \u0000 or an
// unpaired surrogate escape, which decoding would keep or replace with
// U+FFFD silently. Its text names no value.
type badText struct{ why error }

func (e badText) Error() string { return e.why.Error() }

// jsonString decodes a JSON string; null is "".
func jsonString(v json.RawMessage, null bool) (string, error) {
	if null {
		return "", nil
	}
	if len(v) == 0 || v[0] != '"' {
		return "", errWrongType
	}
	if err := store.CheckJSON(v); err != nil {
		return "", badText{err}
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", errWrongType
	}
	return s, nil
}

// jsonInt decodes a JSON number written as an integer (no fraction, no
// exponent) that fits an int; null is 0. The text is parsed directly, so
// no value goes through float64.
func jsonInt(v json.RawMessage, null bool) (int, error) {
	if null {
		return 0, nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return 0, errWrongType
	}
	return n, nil
}
