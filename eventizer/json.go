package eventizer

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// ErrInvalidJSON is returned (wrapped) by [Analyzer.RedactJSON] for input
// that is not one valid JSON value.
var ErrInvalidJSON = errors.New("eventizer: invalid JSON")

// MaxJSONFindings bounds how many findings a [JSONResult] lists; the rest
// are counted in JSONResult.Omitted (and redacted all the same).
const MaxJSONFindings = 100

// JSONFinding is one piece of personal or secret data found in a JSON
// document. It names where the value was, never the value.
type JSONFinding struct {
	// Kind is what was found.
	Kind Kind `json:"kind"`
	// Path locates the value: "$" is the document, ".name" an object
	// member whose name is an identifier, `["a b"]` any other member (as it
	// reads after redaction), "[3]" an array element. A member name longer
	// than 64 bytes is cut and ends with "…".
	Path string `json:"path"`
	// InKey is true when the finding was in the member's name rather than
	// in its value.
	InKey bool `json:"in_key,omitempty"`
	// Validator names the check that accepted the value, as
	// Finding.Validator does, or "key" for a value redacted because of the
	// name it was stored under (see [Analyzer.RedactJSON]).
	Validator string `json:"validator"`
}

// JSONResult is the outcome of [Analyzer.RedactJSON].
type JSONResult struct {
	// JSON is the redacted document. When nothing was found it is the
	// input itself (not a copy).
	JSON json.RawMessage `json:"-"`
	// Findings lists the first MaxJSONFindings findings in document order.
	Findings []JSONFinding `json:"findings,omitempty"`
	// Omitted counts the findings beyond MaxJSONFindings.
	Omitted int `json:"omitted,omitempty"`
}

// Count is the number of findings, listed and omitted.
func (r JSONResult) Count() int { return len(r.Findings) + r.Omitted }

// RedactJSON finds personal data and secrets in a JSON document and
// redacts them in place, in one pass and without decoding the document
// into Go values. The result is valid JSON of the same shape:
//
//   - Every string, object member names included, is analysed as a text
//     (escapes decoded first) and replaced by its redacted text, as
//     [Analyzer.RedactText] does. A member name that redaction makes equal
//     to an earlier redacted name of the same object gets "#2", "#3", ...
//     appended, so no member is lost to a duplicate name.
//   - An integer with seven digits or more is analysed as its digits (a
//     card number written as a JSON number is found by its check digit);
//     one with findings becomes a string holding the redacted text.
//   - A string or number stored under a secret-looking name ("password",
//     "secret", "token", "api_key", "authorization", "cookie", "private
//     key", ... in any case and spelling: snake_case, camelCase, kebab-case)
//     is replaced by a secret token whatever it looks like, and so is
//     every string and number nested below such a name (an array of
//     passwords, an object of credentials). true, false, null and "" are kept. A name
//     that only describes a secret ("token_type", "password_hint",
//     "secret_count") is not secret.
//   - Under a phone-looking name ("phone", "mobile", "tel", "fax", ...) a
//     string or integer of 7 to 15 digits written only with phone
//     punctuation is a phone number; under "ssn" or "social security"
//     one of 9 digits is a social security number. The name is the cue the
//     text alone lacks.
//
// Numbers other than the redacted ones, booleans, null and whitespace are
// kept byte for byte. It returns an error wrapping [ErrInvalidJSON] when
// doc is not one valid JSON value.
//
// Tokens follow Options.Tokens, except that a value redacted because of
// its name always reads "[SECRET_REDACTED]", "[PHONE_REDACTED]" or
// "[SSN_REDACTED]"; numbered tokens count per analysis batch (up to
// MaxBytes of strings), not per document. A redacted member name is made
// unique among the redacted names of its object, not against a raw name
// that already reads like a token.
func (a *Analyzer) RedactJSON(doc []byte) (JSONResult, error) {
	if len(doc) == 0 {
		return JSONResult{}, ErrInvalidJSON
	}
	w := jsonWalkers.Get().(*jsonWalker)
	defer w.release()
	w.a, w.src = a, unsafe.String(unsafe.SliceData(doc), len(doc))
	if err := w.walk(); err != nil {
		return JSONResult{}, err
	}
	w.analyse()
	w.emit()
	res := JSONResult{JSON: doc, Findings: w.findings, Omitted: w.omitted}
	if w.out != nil {
		res.JSON = append(w.out, w.src[w.flushed:]...)
	}
	return res, nil
}

// jsonWalkers keeps walkers, for their reusable buffers.
var jsonWalkers = sync.Pool{New: func() any { return new(jsonWalker) }}

func (w *jsonWalker) release() {
	// Drop the strings pointing into the document before pooling.
	clear(w.slots[:cap(w.slots)])
	clear(w.tokens[:cap(w.tokens)])
	clear(w.btoks[:cap(w.btoks)])
	if cap(w.batch) > 64<<10 || cap(w.slots) > 1<<14 || cap(w.nodes) > 1<<16 {
		*w = jsonWalker{}
	} else {
		*w = jsonWalker{stack: w.stack[:0], slots: w.slots[:0], nodes: w.nodes[:0],
			batch: w.batch[:0], scratch: w.scratch[:0], found: w.found[:0], tokens: w.tokens[:0], btoks: w.btoks[:0]}
	}
	jsonWalkers.Put(w)
}

// RedactText returns text with every finding replaced by its token, and
// the findings (spans into text). Unlike [Analyzer.Analyze] it keeps the
// whole text: a text longer than Options.MaxBytes is analysed in windows
// of MaxBytes that overlap by a quarter (at most 4 KiB), so a value is cut
// by no window boundary unless it is longer than the overlap. Numbered
// tokens count per window.
func (a *Analyzer) RedactText(text string) (string, []Finding) {
	if len(text) <= a.maxBytes {
		r := a.Analyze(text)
		return r.RedactedText, r.Findings
	}
	margin := min(a.maxBytes/4, 4<<10)
	var b strings.Builder
	b.Grow(len(text) + 64)
	var all []Finding
	for s := 0; s < len(text); {
		e, commit := len(text), len(text)
		if s+a.maxBytes < len(text) {
			e = jsonRuneStart(text, s+a.maxBytes)
			commit = jsonRuneStart(text, e-margin)
			if commit <= s { // a window of one long rune at worst
				commit = e
			}
		}
		w := text[s:e]
		r := a.Analyze(w)
		pos, rpos := 0, 0
		for _, f := range r.Findings {
			if f.Start >= commit-s {
				break
			}
			b.WriteString(w[pos:f.Start])
			rpos += f.Start - pos
			tok := jsonTokenAt(r.RedactedText, rpos, f.Kind)
			b.WriteString(tok)
			rpos += len(tok)
			pos = f.End
			f.Start += s
			f.End += s
			all = append(all, f)
		}
		next := max(commit-s, pos)
		b.WriteString(w[pos:next])
		s += next
	}
	if len(all) == 0 {
		return text, nil
	}
	return b.String(), all
}

// appendTokens appends to dst the token that redacted (text redacted)
// holds in place of each of fs.
func appendTokens(dst []string, text, redacted string, fs []Finding) []string {
	rpos, prev := 0, 0
	for _, f := range fs {
		rpos += f.Start - prev
		tok := jsonTokenAt(redacted, rpos, f.Kind)
		dst = append(dst, tok)
		rpos += len(tok)
		prev = f.End
	}
	return dst
}

func jsonRuneStart(s string, i int) int {
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

// jsonTokenAt returns the token the analyzer wrote at rt[i:] (it runs to the
// first ']'), or a label token for k if there is none there.
func jsonTokenAt(rt string, i int, k Kind) string {
	if i < len(rt) && rt[i] == '[' {
		if j := strings.IndexByte(rt[i:], ']'); j > 0 {
			return rt[i : i+j+1]
		}
	}
	return "[" + kindToken(k) + "_REDACTED]"
}

// jsonCue is what a member's name says about its value.
type jsonCue uint8

const (
	cueNone   jsonCue = iota
	cueSecret         // any string or number below it is a secret
	cuePhone          // a phone-shaped value is a phone number
	cueSSN            // a nine-digit value is an SSN
)

// The walk runs in three steps. walk checks the syntax and collects a
// slot for every object member name, string and long integer, with a
// path node for every value that may need one. analyse concatenates the
// slots' texts into batches of at most MaxBytes and analyses each batch
// once: one call of Analyze costs about as much as 30 bytes of text, so a
// document of many short strings is analysed at the speed of one long
// text. emit writes the replacements in document order and records the
// findings with their paths.

// jsonSep separates the texts of a batch. No detector reads across a line
// break followed by a NUL; a finding that did would be cut at it.
const jsonSep = "\n\x00\n"

type jsonFrame struct {
	array  bool
	index  int32
	node   int32 // the container's own path node
	secret bool  // below a secret-looking name
	cue    jsonCue
}

// jsonNode is one step of a path: element index of, or member (name
// slot) of, its parent node.
type jsonNode struct {
	parent int32
	index  int32 // -1 for a member
	name   int32 // slot of the member's name; -1 for an element
}

type jsonSlot struct {
	start, end int    // the token in src, quotes included
	text       string // its text, escapes decoded
	raw        bool   // text is src[start+1:end-1] (a string without escapes)
	number     bool
	name       bool  // an object member name
	node       int32 // path node of the value (of the member for a name)
	forced     Kind  // redacted whole because of the name it is under
	off        int   // offset of text in its batch; -1 when not analysed
	first, n   int32 // its findings: w.found[first:first+n]
	out        string
}

type jsonWalker struct {
	a        *Analyzer
	src      string
	i        int
	stack    []jsonFrame
	nodes    []jsonNode
	slots    []jsonSlot
	batch    []byte
	found    []Finding // per slot, spans into the slot's text
	tokens   []string  // the token the analyzer wrote for each of found
	btoks    []string  // the tokens of one batch
	scratch  []byte
	out      []byte // nil until the first change
	flushed  int    // src[:flushed] is in out
	names    map[jsonName]int
	findings []JSONFinding
	omitted  int
}

type jsonName struct {
	parent int32
	name   string
}

func (w *jsonWalker) fail() error { return ErrInvalidJSON }

// replace writes repl in place of src[from:to]; calls come in document
// order.
func (w *jsonWalker) replace(from, to int, repl string) {
	if w.out == nil {
		w.out = make([]byte, 0, len(w.src)+64)
	}
	w.out = append(w.out, w.src[w.flushed:from]...)
	w.out = append(w.out, repl...)
	w.flushed = to
}

func (w *jsonWalker) skipWS() {
	for w.i < len(w.src) {
		switch w.src[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

func (w *jsonWalker) node(parent, index, name int32) int32 {
	w.nodes = append(w.nodes, jsonNode{parent: parent, index: index, name: name})
	return int32(len(w.nodes) - 1)
}

// walk checks the document and collects its slots, with an explicit stack
// (no recursion, so any depth is safe).
func (w *jsonWalker) walk() error {
	w.skipWS()
	if err := w.value(cueNone, false, -1, -1, -1); err != nil {
		return err
	}
	for len(w.stack) > 0 {
		top := &w.stack[len(w.stack)-1]
		w.skipWS()
		if w.i >= len(w.src) {
			return w.fail()
		}
		c := w.src[w.i]
		w.i++
		switch {
		case c == ',' && top.array:
			top.index++
			w.skipWS()
			if err := w.value(top.cue, top.secret, top.node, top.index, -1); err != nil {
				return err
			}
		case c == ',':
			w.skipWS()
			if err := w.member(); err != nil {
				return err
			}
		case c == ']' && top.array, c == '}' && !top.array:
			w.stack = w.stack[:len(w.stack)-1]
		default:
			return w.fail()
		}
	}
	w.skipWS()
	if w.i != len(w.src) {
		return w.fail()
	}
	return nil
}

// value reads one value at w.i, the element index or member (name slot)
// of the container node parent. A container is pushed and its first
// element or member read; walk reads the rest.
func (w *jsonWalker) value(cue jsonCue, secret bool, parent, index, name int32) error {
	if w.i >= len(w.src) {
		return w.fail()
	}
	switch c := w.src[w.i]; {
	case c == '{', c == '[':
		w.i++
		f := jsonFrame{array: c == '[', node: w.node(parent, index, name), secret: secret || cue == cueSecret}
		if f.array && cue != cueSecret {
			f.cue = cue
		}
		w.stack = append(w.stack, f)
		w.skipWS()
		if w.i < len(w.src) && w.src[w.i] == "}]"[btoi(f.array)] {
			w.i++
			w.stack = w.stack[:len(w.stack)-1]
			return nil
		}
		if f.array {
			return w.value(f.cue, f.secret, f.node, 0, -1)
		}
		return w.member()
	case c == '"':
		start := w.i
		text, raw, err := w.str()
		if err != nil {
			return err
		}
		if text != "" {
			w.slot(jsonSlot{start: start, end: w.i, text: text, raw: raw}, cue, secret, parent, index, name)
		}
		return nil
	case c == '-' || (c >= '0' && c <= '9'):
		start := w.i
		integer, err := w.number()
		if err != nil {
			return err
		}
		if secret || cue == cueSecret || (integer && w.i-start >= 7) {
			w.slot(jsonSlot{start: start, end: w.i, text: w.src[start:w.i], number: true}, cue, secret, parent, index, name)
		}
		return nil
	case c == 't':
		return w.literal("true")
	case c == 'f':
		return w.literal("false")
	case c == 'n':
		return w.literal("null")
	}
	return w.fail()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (w *jsonWalker) slot(s jsonSlot, cue jsonCue, secret bool, parent, index, name int32) {
	s.node = w.node(parent, index, name)
	s.off = -1
	switch {
	case secret || cue == cueSecret:
		s.forced = KindSecret
	case cue == cuePhone || cue == cueSSN:
		if k, ok := jsonCuedValue(s.text, cue); ok {
			s.forced = k
		}
	}
	w.slots = append(w.slots, s)
}

func (w *jsonWalker) literal(lit string) error {
	if !strings.HasPrefix(w.src[w.i:], lit) {
		return w.fail()
	}
	w.i += len(lit)
	return nil
}

// member reads one "name": value pair of the object on top of the stack.
func (w *jsonWalker) member() error {
	if w.i >= len(w.src) || w.src[w.i] != '"' {
		return w.fail()
	}
	start := w.i
	name, raw, err := w.str()
	if err != nil {
		return err
	}
	top := w.stack[len(w.stack)-1]
	nameSlot := int32(len(w.slots))
	w.slots = append(w.slots, jsonSlot{start: start, end: w.i, text: name, raw: raw, name: true, off: -1})
	node := w.node(top.node, -1, nameSlot)
	w.slots[nameSlot].node = node
	w.skipWS()
	if w.i >= len(w.src) || w.src[w.i] != ':' {
		return w.fail()
	}
	w.i++
	w.skipWS()
	return w.value(jsonNameCue(name), top.secret, top.node, -1, nameSlot)
}

// analyse runs the analyzer over the slots' texts, many slots per call.
func (w *jsonWalker) analyse() {
	limit := w.a.maxBytes
	from := 0 // first slot of the current batch
	w.batch = w.batch[:0]
	for k := range w.slots {
		s := &w.slots[k]
		if s.forced != "" || s.text == "" {
			continue
		}
		if len(s.text) > limit-len(jsonSep) {
			red, fs := w.a.RedactText(s.text)
			s.first, s.n = int32(len(w.found)), int32(len(fs))
			w.found = append(w.found, fs...)
			w.tokens = appendTokens(w.tokens, s.text, red, fs)
			continue
		}
		if len(w.batch)+len(s.text)+len(jsonSep) > limit {
			w.runBatch(from, k)
			from = k
		}
		s.off = len(w.batch)
		w.batch = append(w.batch, s.text...)
		w.batch = append(w.batch, jsonSep...)
	}
	w.runBatch(from, len(w.slots))
}

// runBatch analyses the batch of slots[from:to] and gives each its
// findings, cut to its own text.
func (w *jsonWalker) runBatch(from, to int) {
	if len(w.batch) == 0 {
		return
	}
	text := unsafe.String(unsafe.SliceData(w.batch), len(w.batch))
	res := w.a.Analyze(text)
	fs := res.Findings
	w.btoks = appendTokens(w.btoks[:0], text, res.RedactedText, fs)
	toks := w.btoks
	w.batch = w.batch[:0]
	for k := from; k < to && len(fs) > 0; k++ {
		s := &w.slots[k]
		if s.off < 0 {
			continue
		}
		lo, hi := s.off, s.off+len(s.text)
		s.first = int32(len(w.found))
		for len(fs) > 0 && fs[0].Start < hi {
			f := fs[0]
			if f.End > lo {
				f.Start, f.End = max(f.Start, lo)-lo, min(f.End, hi)-lo
				w.found = append(w.found, f)
				w.tokens = append(w.tokens, toks[0])
			}
			if fs[0].End > hi {
				break // it runs on into the next slot
			}
			fs, toks = fs[1:], toks[1:]
		}
		s.n = int32(len(w.found)) - s.first
	}
}

// emit writes the replacements in document order and records the
// findings.
func (w *jsonWalker) emit() {
	for k := range w.slots {
		s := &w.slots[k]
		if s.forced != "" {
			s.out = "[" + kindToken(s.forced) + "_REDACTED]"
			w.replace(s.start, s.end, `"`+s.out+`"`)
			w.record(s.node, s.forced, "key", false)
			continue
		}
		if s.n == 0 {
			continue
		}
		fs := w.found[s.first : s.first+s.n]
		toks := w.tokens[s.first : s.first+s.n]
		var b strings.Builder
		prev := 0
		for i, f := range fs {
			b.WriteString(s.text[prev:f.Start])
			b.WriteString(toks[i])
			prev = f.End
		}
		b.WriteString(s.text[prev:])
		s.out = b.String()
		if s.name {
			s.out = w.uniqueName(w.nodes[s.node].parent, s.out)
		}
		if s.raw {
			w.replace(s.start+1, s.end-1, s.out)
		} else {
			w.replace(s.start, s.end, jsonQuote(s.out))
		}
		for _, f := range fs {
			w.record(s.node, f.Kind, f.Validator, s.name)
		}
	}
}

// uniqueName returns name, or name with "#2", "#3", ... appended when
// another redacted name of the same object already reads so.
func (w *jsonWalker) uniqueName(parent int32, name string) string {
	if w.names == nil {
		w.names = make(map[jsonName]int)
	}
	key := jsonName{parent, name}
	n := w.names[key] + 1
	w.names[key] = n
	if n > 1 {
		return name + "#" + strconv.Itoa(n)
	}
	return name
}

func (w *jsonWalker) record(node int32, k Kind, validator string, inKey bool) {
	if len(w.findings) >= MaxJSONFindings {
		w.omitted++
		return
	}
	w.findings = append(w.findings, JSONFinding{Kind: k, Path: w.path(node), InKey: inKey, Validator: validator})
}

// path renders the location of node, member names as written out.
func (w *jsonWalker) path(node int32) string {
	var steps [64]int32
	chain := steps[:0]
	for n := node; n >= 0; n = w.nodes[n].parent {
		chain = append(chain, n)
	}
	var b strings.Builder
	b.WriteByte('$')
	for i := len(chain) - 1; i >= 0; i-- {
		nd := w.nodes[chain[i]]
		switch {
		case nd.name >= 0:
			ns := &w.slots[nd.name]
			k := ns.text
			if ns.out != "" {
				k = ns.out
			}
			cut := false
			if len(k) > 64 {
				k, cut = k[:jsonRuneStart(k, 64)]+"…", true
			}
			if jsonIdent(k) && !cut {
				b.WriteByte('.')
				b.WriteString(k)
			} else {
				b.WriteByte('[')
				b.WriteString(jsonQuote(k))
				b.WriteByte(']')
			}
		case nd.index >= 0:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(int(nd.index)))
			b.WriteByte(']')
		}
	}
	return b.String()
}

func jsonIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// str reads a JSON string at w.i and returns its decoded text; raw is true
// when the source holds no escape, so the text is the source itself.
func (w *jsonWalker) str() (text string, raw bool, err error) {
	w.i++ // opening quote
	start := w.i
	esc := false
	for w.i < len(w.src) {
		c := w.src[w.i]
		switch {
		case c == '"':
			s := w.src[start:w.i]
			w.i++
			if !esc {
				return s, true, nil
			}
			t, ok := w.unescape(s)
			if !ok {
				return "", false, w.fail()
			}
			return t, false, nil
		case c == '\\':
			esc = true
			w.i += 2
		case c < 0x20:
			return "", false, w.fail()
		default:
			w.i++
		}
	}
	return "", false, w.fail()
}

func (w *jsonWalker) unescape(s string) (string, bool) {
	b := w.scratch[:0]
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return "", false
		}
		switch s[i+1] {
		case '"', '\\', '/':
			b = append(b, s[i+1])
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := jsonHex4(s, i+2)
			if !ok {
				return "", false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r2, ok := jsonHex4(s, i+2); ok && i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						b = utf8.AppendRune(b, d)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			return "", false
		}
		i += 2
	}
	w.scratch = b
	return string(b), true
}

func jsonHex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
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

// quote returns s as a JSON string.
func jsonQuote(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
	}
	b = append(b, '"')
	return string(b)
}

// number reads a JSON number at w.i; integer is true when it has neither
// fraction nor exponent.
func (w *jsonWalker) number() (integer bool, err error) {
	s, i := w.src, w.i
	neg := s[i] == '-'
	if neg {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false, w.fail()
	}
	integer = true
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false, w.fail()
		}
		integer = false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false, w.fail()
		}
		integer = false
	}
	w.i = i
	return integer && !neg, nil
}

func jsonDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}

// jsonCuedValue reports whether text, stored under a name with cue, is a
// phone number or an SSN by its shape.
func jsonCuedValue(text string, cue jsonCue) (Kind, bool) {
	if len(text) > 32 {
		return "", false
	}
	n := 0
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c >= '0' && c <= '9':
			n++
		case c == ' ' || c == '-':
		case cue == cuePhone && (c == '+' || c == '.' || c == '(' || c == ')'):
		default:
			return "", false
		}
	}
	switch {
	case cue == cuePhone && n >= 7 && n <= 15:
		return KindPhone, true
	case cue == cueSSN && n == 9:
		return KindSSN, true
	}
	return "", false
}

// Words of member names. A name is split into lower-case words at
// non-alphanumerics and at case changes ("apiKey", "API_KEY" and "api-key"
// are all "api key").
var (
	jsonSecretWords = map[string]bool{
		"password": true, "passwords": true, "passwd": true, "pwd": true, "passphrase": true, "passcode": true,
		"secret": true, "secrets": true, "token": true, "authorization": true,
		"credential": true, "credentials": true, "cookie": true, "cookies": true,
		"apikey": true, "privatekey": true, "secretkey": true, "accesskey": true,
		"sessionid": true, "cvv": true, "cvc": true, "cvv2": true, "cvc2": true,
		"pin": true, "otp": true, "totp": true, "bearer": true, "jwt": true,
	}
	// jsonSecretPairs are two consecutive words that together name a secret.
	jsonSecretPairs = map[string]bool{
		"api key": true, "private key": true, "access key": true, "session id": true,
		"signing key": true, "encryption key": true, "auth key": true, "client key": true,
		"pass word": true, "auth token": true,
	}
	// jsonSecretNames are whole names that are secrets alone.
	jsonSecretNames = map[string]bool{"auth": true, "pass": true, "pw": true}
	// jsonDescribing words end a name that is about a secret, not the secret.
	jsonDescribing = map[string]bool{
		"count": true, "counts": true, "length": true, "len": true, "size": true,
		"limit": true, "max": true, "min": true, "type": true, "kind": true,
		"expires": true, "expiry": true, "expiration": true, "ttl": true, "url": true,
		"uri": true, "endpoint": true, "policy": true, "hint": true, "required": true,
		"enabled": true, "set": true, "changed": true, "updated": true, "at": true,
		"id": true, "name": true, "present": true, "valid": true, "used": true,
	}
	jsonPhoneWords = map[string]bool{
		"phone": true, "phones": true, "telephone": true, "tel": true, "mobile": true,
		"cell": true, "cellphone": true, "fax": true, "msisdn": true, "sms": true, "whatsapp": true,
	}
)

// jsonNameCue says what a member name tells of its value. It allocates
// nothing.
func jsonNameCue(name string) jsonCue {
	if name == "" || len(name) > 128 {
		return cueNone
	}
	var lb [128]byte
	var spans [32][2]uint8
	words := jsonSplitWords(name, &lb, spans[:0])
	if len(words) == 0 {
		return cueNone
	}
	word := func(i int) []byte { return lb[words[i][0]:words[i][1]] }
	if len(words) == 1 && jsonSecretNames[string(word(0))] {
		return cueSecret
	}
	lastDescribes := jsonDescribing[string(word(len(words)-1))]
	var pair [64]byte
	for i := range words {
		secret := jsonSecretWords[string(word(i))]
		if !secret && i > 0 {
			p := append(append(append(pair[:0], word(i-1)...), ' '), word(i)...)
			secret = jsonSecretPairs[string(p)]
		}
		if secret && (!lastDescribes || i == len(words)-1) {
			return cueSecret
		}
	}
	if lastDescribes {
		return cueNone
	}
	for i := range words {
		w := string(word(i))
		if jsonPhoneWords[w] {
			return cuePhone
		}
		if w == "ssn" || (i > 0 && w == "security" && string(word(i-1)) == "social") {
			return cueSSN
		}
	}
	return cueNone
}

// jsonSplitWords lower-cases the ASCII letters of s into lb and returns the
// spans of its words: runs of letters and digits, also split where a
// lower-case letter or digit is followed by an upper-case one, and before
// the last upper-case letter of a run followed by a lower-case one
// ("APIKey" is "api key"). At most len(spans' capacity) words are kept.
func jsonSplitWords(s string, lb *[128]byte, spans [][2]uint8) [][2]uint8 {
	start := -1
	flush := func(i int) {
		if start >= 0 && len(spans) < cap(spans) {
			spans = append(spans, [2]uint8{uint8(start), uint8(i)})
		}
		start = -1
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		isUpper := c >= 'A' && c <= 'Z'
		isAlnum := isUpper || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
		if !isAlnum {
			flush(i)
			continue
		}
		if start >= 0 && isUpper {
			prev := s[i-1]
			prevLower := (prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9')
			nextLower := i+1 < len(s) && s[i+1] >= 'a' && s[i+1] <= 'z'
			if prevLower || (prev >= 'A' && prev <= 'Z' && nextLower) {
				flush(i)
			}
		}
		if isUpper {
			c += 'a' - 'A'
		}
		lb[i] = c
		if start < 0 {
			start = i
		}
	}
	flush(len(s))
	return spans
}
