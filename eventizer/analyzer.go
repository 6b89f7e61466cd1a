package eventizer

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"
)

// TokenStyle selects the replacement written over each finding.
type TokenStyle int

const (
	// TokensLabel writes "[EMAIL_REDACTED]", "[CARD_REDACTED]", ... (the
	// default, and the original system's style).
	TokensLabel TokenStyle = iota
	// TokensNumbered writes "[EMAIL_1]", "[EMAIL_2]", ...: within one text
	// the same value always gets the same number, so a reader can tell
	// that two mentions are the same address.
	TokensNumbered
	// TokensHMAC writes "[EMAIL_3f9a0c1b2d4e]": the first 12 hex digits of
	// HMAC-SHA256(Options.HMACKey, kind, value). The same value gives the
	// same token across texts, for joining without revealing it. The key
	// is required.
	TokensHMAC
)

// DefaultMaxBytes is the default Options.MaxBytes: 16 KiB.
const DefaultMaxBytes = 16 << 10

// Options configures an [Analyzer]. The zero value is valid: the built-in
// pack, label tokens, a 16 KiB cap.
type Options struct {
	// HMACKey is the key for [TokensHMAC]; required with it, ignored
	// otherwise. There is no default key.
	HMACKey []byte
	// MaxBytes caps the bytes analysed; longer input is cut on a UTF-8
	// boundary and Result.Truncated is set. A value crossing the cut is
	// kept whole, so it is redacted whole: the analysed prefix then runs to
	// its end. Default [DefaultMaxBytes]; negative is an error.
	MaxBytes int
	// Pack is the rule pack. Default [DefaultPack].
	Pack *Pack
	// Tokens is the redaction token style. Default [TokensLabel].
	Tokens TokenStyle
}

// Analyzer holds a compiled rule pack. Build it once with [New]; it is safe
// for concurrent use.
type Analyzer struct {
	c        *compiled
	maxBytes int
	tokens   TokenStyle
	hmacKey  []byte
	pool     sync.Pool
}

type kwMatch struct {
	kw      int32
	endWord int32
	endByte int32
}

// scratch is the reusable per-call working memory.
type scratch struct {
	scan       scan
	matches    []kwMatch
	suppressed []bool
	lastPos    []int32      // per rule group: the word of its last keyword
	lastSent   []int32      // per rule group: the sentence of its last keyword
	kwSent     []int32      // per keyword that stops rules: the last sentence holding it
	pendMark   []int32      // per rule: 1 + the sentence it matched in, while pending
	armed      []int32      // per rule: the last sentence it was armed in
	scoreMark  []int32      // per keyword: the first sentence of the last text that summed its weights
	counted    []matchCount // per match: how fireRules counted it
	nextSent   int32        // the number after the last sentence of the previous analysis
	pending    []int32      // rules matched in the current sentence
	deferred   []int32      // rules with unlessEvents or ifEvents matched in some sentence
	fired      []bool
	evFired    []bool
	evKw       []int     // per event: distinct keywords supporting it
	evMulti    []bool    // per event: a rule of several groups matched
	evScore    []float64 // per event: the sum of its Score's weights over the text's keywords
	evScored   []bool    // per event: matched by its Score, not by a rule
	seen       []bool
	redact     redactScratch
	norm       []byte     // the normalised copy of the text, when needed
	edits      []normEdit // how its offsets map to the original
}

// New compiles opts into an Analyzer. It returns an error wrapping
// [ErrInvalidPack] for a bad pack, [ErrMissingHMACKey] for HMAC tokens
// without a key, and [ErrInvalidOptions] for other bad settings.
func New(opts Options) (*Analyzer, error) {
	if opts.MaxBytes < 0 {
		return nil, fmt.Errorf("%w: negative MaxBytes %d", ErrInvalidOptions, opts.MaxBytes)
	}
	switch opts.Tokens {
	case TokensLabel, TokensNumbered:
	case TokensHMAC:
		if len(opts.HMACKey) == 0 {
			return nil, ErrMissingHMACKey
		}
	default:
		return nil, fmt.Errorf("%w: unknown token style %d", ErrInvalidOptions, opts.Tokens)
	}
	var c *compiled
	var err error
	if opts.Pack == nil {
		c, err = defaultCompiled()
	} else {
		c, err = compilePack(opts.Pack)
	}
	if err != nil {
		return nil, err
	}
	a := &Analyzer{c: c, maxBytes: opts.MaxBytes, tokens: opts.Tokens}
	if a.maxBytes == 0 {
		a.maxBytes = DefaultMaxBytes
	}
	if opts.Tokens == TokensHMAC {
		a.hmacKey = append([]byte(nil), opts.HMACKey...)
	}
	a.pool.New = func() any {
		return &scratch{
			matches:    make([]kwMatch, 0, 64),
			suppressed: make([]bool, 0, 64),
			lastPos:    make([]int32, c.totalGroups),
			lastSent:   make([]int32, c.totalGroups),
			kwSent:     make([]int32, len(c.kws)),
			pendMark:   make([]int32, len(c.rules)),
			armed:      make([]int32, len(c.rules)),
			scoreMark:  make([]int32, len(c.kws)),
			fired:      make([]bool, len(c.rules)),
			evFired:    make([]bool, len(c.events)),
			evKw:       make([]int, len(c.events)),
			evMulti:    make([]bool, len(c.events)),
			evScore:    make([]float64, len(c.events)),
			evScored:   make([]bool, len(c.events)),
			seen:       make([]bool, len(c.kws)),
		}
	}
	return a, nil
}

var defaultAnalyzer = sync.OnceValue(func() *Analyzer {
	a, err := New(Options{})
	if err != nil {
		panic("eventizer: default analyzer: " + err.Error())
	}
	return a
})

// Analyze analyses text with opts. With zero Options it uses a shared
// default analyzer; otherwise it compiles a new one for this call, so
// callers with their own options should build an [Analyzer] once with
// [New] instead.
func Analyze(text string, opts Options) (Result, error) {
	if opts.HMACKey == nil && opts.MaxBytes == 0 && opts.Pack == nil && opts.Tokens == TokensLabel {
		return defaultAnalyzer().Analyze(text), nil
	}
	a, err := New(opts)
	if err != nil {
		return Result{}, err
	}
	return a.Analyze(text), nil
}

// truncMargin is how far past Options.MaxBytes the detectors read, so that
// a value straddling the cut is found whole and redacted whole.
const truncMargin = 1 << 10

// Analyze analyses text. It is deterministic: the same text gives the same
// Result (apart from ProcessingTime). A text with no findings and no
// matched event allocates nothing.
func (a *Analyzer) Analyze(text string) Result {
	began := time.Now()
	r := Result{Attributes: Attributes{Length: len(text)}}
	s, cut := text, len(text)
	if len(text) > a.maxBytes {
		// Read a margin past the cut; a value that crosses it is kept whole
		// (and so redacted whole) rather than cut into a partial value.
		cut = runeCut(text, a.maxBytes)
		s = text[:runeCut(text, a.maxBytes+truncMargin)]
		r.Truncated = true
	}
	sc := a.pool.Get().(*scratch)
	// Detection runs on a normalised copy when the text holds zero-width
	// characters, Unicode spaces or full-width forms (see normalize.go).
	ns, ncut, normed := s, cut, false
	if from := normStart(s); from >= 0 {
		sc.norm, sc.edits = normalize(s, from, sc.norm, sc.edits)
		ns, normed = unsafeString(sc.norm), true
		ncut = sort.Search(len(ns)+1, func(p int) bool { return origOffset(sc.edits, p) >= cut })
	}
	end := a.scanText(sc, ns, ncut, &r)
	if end < len(ns) {
		// Truncated: keyword matches past the analysed prefix do not count.
		m := sc.matches
		for len(m) > 0 && int(m[len(m)-1].endByte) >= end {
			m = m[:len(m)-1]
		}
		sc.matches = m
	}
	a.evaluate(sc, &r)
	if normed {
		for k := range sc.scan.findings {
			f := &sc.scan.findings[k]
			f.Start, f.End = origOffset(sc.edits, f.Start), origOffset(sc.edits, f.End)
		}
		end = origOffset(sc.edits, end)
	}
	s = text[:end]
	if len(sc.scan.findings) > 0 {
		a.addRepeats(sc, s)
		r.Findings = append([]Finding(nil), sc.scan.findings...)
		r.RedactedText = a.redactText(sc, s, r.Findings)
	} else {
		r.RedactedText = s
	}
	if r.Truncated {
		r.EnrichmentAdvised = true
	}
	sc.scan = scan{findings: sc.scan.findings[:0]}
	a.pool.Put(sc)
	r.ProcessingTime = time.Since(began)
	return r
}

// runeCut returns the largest UTF-8 boundary of s at or before n.
func runeCut(s string, n int) int {
	if n >= len(s) {
		return len(s)
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// unsafeString views b as a string without copying; b is scratch memory
// that outlives the call's use of the string.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// scanText is the single pass over the bytes: the keyword automaton runs on
// every byte, and the PII detectors are tried where a word starts or at the
// few punctuation bytes that can begin or anchor a finding. A finding is
// skipped over, so no keyword matches inside PII.
//
// The pass covers s[:cut]; the detectors may read on to len(s), so that a
// value crossing the cut is found whole. It returns the end of the analysed
// prefix: cut, or the end of a finding that crosses it.
func (a *Analyzer) scanText(sc *scratch, s string, cut int, r *Result) int {
	if d := a.c.auto.delta16; d != nil {
		return scanWith(a, d, sc, s, cut, r)
	}
	return scanWith(a, a.c.auto.delta32, sc, s, cut, r)
}

// scanWith is scanText over the automaton's table delta, of 16- or 32-bit
// entries; each has its own compiled loop.
func scanWith[E uint16 | uint32](a *Analyzer, delta []E, sc *scratch, s string, cut int, r *Result) int {
	au := &a.c.auto
	col := &au.column
	// The states whose keywords must end a word are numbered from
	// wordEnd to prefix, those with a prefix keyword from prefix on.
	wordEnd, prefix := au.wordEnd, au.prefix
	ends := prefix - wordEnd
	sc.scan.s = s
	sc.matches = sc.matches[:0]
	st := int(au.start)
	prevSep := true
	words := int32(0)
	n := len(s)
	i := 0
	for ; i < cut; i++ {
		b := s[i]
		c := col[b]
		if !prevSep && c != 0 && (b^s[i-1]) < 0x80 {
			// Inside a word, in one script: the step alone, which most
			// bytes take, in a loop that checks nothing else.
			for {
				st = int(delta[int(c)+st])
				if uint32(st) >= prefix {
					sc.matches = prefixOuts(sc.matches, au, st, s, i, words-1)
				}
				if i+1 == cut {
					break
				}
				b = s[i+1]
				c = col[b]
				if c == 0 || (b^s[i]) >= 0x80 {
					break
				}
				i++
			}
			continue
		}
		if c == 0 { // a separator
			if !prevSep {
				// A word ends: the keywords that must end one and end
				// here, and the separator's step.
				if uint32(st)-wordEnd < ends {
					sc.matches = appendOuts(sc.matches, au, st, words-1, i-1)
				}
				st = int(delta[st])
			}
			if f := sepFlags[b]; f != 0 {
				if f&sepTrigger != 0 {
					if end := sc.scan.atSep(i); end > 0 && a.skipFinding(sc, end) {
						i, st, prevSep = end-1, int(au.start), true
						if b != '@' && b != '=' && b != ':' {
							words++
						}
						continue
					}
				}
				if f&(sepStop|sepClause) != 0 && len(sc.matches) > 0 {
					a.sentenceEnd(sc, s, i)
				}
			}
			prevSep = true
			continue
		} else if prevSep {
			prevSep = false
			words++
			if trigWord[b] || b >= 'a' && b <= 'z' && i+2 < n && isDigit(s[i+2]) {
				if end := sc.scan.atWordStart(i); end > 0 && a.skipFinding(sc, end) {
					i, st, prevSep = end-1, int(au.start), true
					continue
				}
			}
		} else if b >= 0x80 {
			if boundaryLead[b] && s[i-1] < 0x80 {
				// A CJK, kana or Hangul character right after an ASCII
				// word: the automaton sees a separator between them (see
				// scriptBoundary).
				if uint32(st)-wordEnd < ends {
					sc.matches = appendOuts(sc.matches, au, st, words-1, i-1)
				}
				st = int(delta[st])
			}
		} else if s[i-1] >= 0x80 && !sc.scan.wordBefore(i) {
			// An ASCII word right after a character of another script
			// ("カード4111 ...", "请联系x@..."): a boundary for the detectors,
			// and for the automaton after CJK, kana or Hangul.
			if end := sc.scan.atWordStart(i); end > 0 && a.skipFinding(sc, end) {
				i, st, prevSep = end-1, int(au.start), true
				continue
			}
			if afterCJK(s, i) {
				if uint32(st)-wordEnd < ends {
					sc.matches = appendOuts(sc.matches, au, st, words-1, i-1)
				}
				st = int(delta[st])
			}
		}
		st = int(delta[int(c)+st])
		if uint32(st) >= prefix {
			sc.matches = prefixOuts(sc.matches, au, st, s, i, words-1)
		}
	}
	if !prevSep && i == cut && (i == n || !wordTable[s[i]] || scriptBoundary(s, i)) {
		// The text or its analysed prefix ends after a word.
		if uint32(st)-wordEnd < ends {
			sc.matches = appendOuts(sc.matches, au, st, words-1, i-1)
		}
	}
	r.Attributes.WordCount = int(words)
	r.Attributes.HasTimestamp = sc.scan.hasTime
	if cut == n {
		return n
	}
	// Truncated. An e-mail address is the one value found from a byte
	// after its start (its '@'): look for one starting before the cut.
	if i < cut+1 {
		lim := min(n, cut+65)
		for at := i; at < lim; at++ {
			if s[at] == '@' {
				if end := sc.scan.email(at); end > 0 {
					f := sc.scan.findings[len(sc.scan.findings)-1]
					if f.Start >= cut {
						sc.scan.findings = sc.scan.findings[:len(sc.scan.findings)-1]
					}
					break
				}
			}
		}
	}
	// A finding starting past the cut (the value of "password=" written
	// just before it) is dropped with the rest of the text.
	fs := sc.scan.findings
	for len(fs) > 0 && fs[len(fs)-1].Start >= cut {
		fs = fs[:len(fs)-1]
	}
	sc.scan.findings = fs
	end := cut
	if len(fs) > 0 {
		end = max(end, fs[len(fs)-1].End)
	}
	return end
}

// prefixOuts appends to m the keywords of state st, a state with a prefix
// keyword, entered on the byte s[i] of word word: those that need not end
// a word, and the others if the word ends there (the separator's step
// then lists nothing).
func prefixOuts(m []kwMatch, au *automaton, st int, s string, i int, word int32) []kwMatch {
	atEnd := i+1 == len(s) || !wordTable[s[i+1]] || s[i] < 0x80 && boundaryLead[s[i+1]]
	for _, o := range au.outs[au.outStart[st]:au.outStart[st+1]] {
		if atEnd || o&1 != 0 {
			m = append(m, kwMatch{kw: o >> 1, endWord: word, endByte: int32(i)})
		}
	}
	return m
}

// appendOuts appends to m the keywords of state st, ending at the byte end
// of word word.
func appendOuts(m []kwMatch, au *automaton, st int, word int32, end int) []kwMatch {
	for _, o := range au.outs[au.outStart[st]:au.outStart[st+1]] {
		m = append(m, kwMatch{kw: o >> 1, endWord: word, endByte: int32(end)})
	}
	return m
}

// skipFinding reports whether the detector's finding ending at end stands
// (it may have lost to a longer overlapping one: the scan then goes on
// byte by byte) and drops the keyword matches that ended inside it (an
// e-mail's local part is found only at its '@'). The caller then moves the
// scan past the finding and resets the automaton as after a separator;
// keeping that in the caller keeps the loop's variables in registers.
func (a *Analyzer) skipFinding(sc *scratch, end int) bool {
	fs := sc.scan.findings
	if len(fs) == 0 || fs[len(fs)-1].End != end {
		return false
	}
	f := fs[len(fs)-1]
	for len(sc.matches) > 0 && int(sc.matches[len(sc.matches)-1].endByte) >= f.Start {
		sc.matches = sc.matches[:len(sc.matches)-1]
	}
	return true
}

// sentenceEnd records the end of a sentence or clause at s[i] as a match
// of the stop or clause keyword. A sentence ends at ';', a line break, and
// '.', '!' or '?' before a space or the end of the text; a clause at ','.
// Nothing is recorded before the first match (the caller checks) or right
// after another end.
func (a *Analyzer) sentenceEnd(sc *scratch, s string, i int) {
	m := sc.matches
	if len(m) == 0 || m[len(m)-1].kw == a.c.stopKW {
		return
	}
	kw := a.c.stopKW
	switch s[i] {
	case ',':
		if m[len(m)-1].kw == a.c.clauseKW {
			return
		}
		kw = a.c.clauseKW
	case '.', '!', '?':
		if i+1 < len(s) && s[i+1] != ' ' && s[i+1] != '\n' && s[i+1] != '\r' && s[i+1] != '\t' {
			return
		}
		if s[i] == '.' && abbreviated(s, i) {
			return
		}
	}
	sc.matches = append(m, kwMatch{kw: kw, endWord: m[len(m)-1].endWord, endByte: int32(i)})
}

// abbreviated reports whether the '.' at s[i] ends an abbreviation or an
// ordinal rather than a sentence: after a number of one or two digits
// ("2. OG", "am 3. Mai"), a single capital letter (an initial) or one of
// the abbreviations hotel and IT tickets use before a number or a name
// ("Zi. 322", "Nr. 4", "Mr. Sato", "ca. 20", "approx. 3").
func abbreviated(s string, i int) bool {
	// No abbreviation is longer than maxAbbrev: a longer word is not one.
	j := i
	for j > 0 && i-j <= maxAbbrev && alnumTable[s[j-1]] {
		j--
	}
	if j == i || j > 0 && wordTable[s[j-1]] || i-j > maxAbbrev {
		return false
	}
	w := s[j:i]
	switch {
	case len(w) <= 2 && isDigit(w[0]) && isDigit(w[len(w)-1]):
		return true
	case len(w) == 1:
		return w[0] >= 'A' && w[0] <= 'Z'
	}
	k := abbrevKey(w)
	for h := abbrevSlot(k); ; h = (h + 1) % len(abbreviations) {
		switch abbreviations[h] {
		case k:
			return true
		case 0:
			return false
		}
	}
}

// abbrevKey packs a word of up to eight ASCII letters and digits,
// lowercased, into a number: words of different lengths differ, since
// none of their bytes is zero.
func abbrevKey(w string) uint64 {
	k := uint64(0)
	for i := 0; i < len(w); i++ {
		k = k<<8 | uint64(lower(w[i]))
	}
	return k
}

// abbrevSlot is where the look-up for key k starts in abbreviations.
func abbrevSlot(k uint64) int { return int((k * 0x9E3779B97F4A7C15) >> 58) }

// alnumTable marks the ASCII letters and digits.
var alnumTable = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isAlnum(byte(c))
	}
	return t
}()

// maxAbbrev is the length of the longest of abbreviations.
const maxAbbrev = 6

// abbreviations holds the keys of those abbreviated recognises besides
// ordinals and initials, in an open-addressed table of 64 slots (a zero
// slot is empty): none is a word that commonly ends a sentence.
var abbreviations = func() (t [64]uint64) {
	for _, w := range []string{
		"zi", "zim", "nr", "str", "ca", "bzw", "ggf", "evtl", "inkl", "tel",
		"hr", "og", "eg", "ug", "mr", "mrs", "ms", "dr", "prof", "approx",
		"rm", "apt", "bldg", "dept", "ext", "vs", "sr", "sra", "hab", "ch",
		"mme", "mlle", "env", "sig", "dott",
	} {
		if len(w) > maxAbbrev {
			panic("eventizer: abbreviation longer than maxAbbrev: " + w)
		}
		k := abbrevKey(w)
		h := abbrevSlot(k)
		for t[h] != 0 {
			h = (h + 1) % len(t)
		}
		t[h] = k
	}
	return t
}()

// The flags of sepFlags: a byte that can begin or anchor a finding, and a
// byte that can end a sentence.
const (
	sepTrigger = 1 << iota
	sepStop
	sepClause
)

var sepFlags, trigWord = func() (sep [256]uint8, word [256]bool) {
	for _, c := range []byte("@=:+(-") {
		sep[c] |= sepTrigger
	}
	for _, c := range []byte(".!?;\n") {
		sep[c] |= sepStop
	}
	sep[','] |= sepClause
	for c := '0'; c <= '9'; c++ {
		word[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		word[c] = true
	}
	for _, c := range []byte("abcdefgxsr") {
		word[c] = true
	}
	return
}()

// Confidence levels, in hundredths. A text whose event words complete no
// rule ("help" alone) is less certain than one with no event words at all;
// a rule that needs several keyword groups is stronger evidence than one
// keyword, and every further keyword of the top event adds a step, up to a
// ceiling.
const (
	confRoutine    = 60 // no event words
	confNearMiss   = 40 // event words without a complete rule
	confSingle     = 60 // the top event from keywords of one-group rules
	confMultiGroup = 75 // the top event from a rule of several groups
	confStep       = 10 // per further keyword of the top event
	confCeiling    = 95
	confDoubt      = 20 // a negated keyword or a rule stopped by an unless word
	confScored     = 55 // an event matched by its Score, not by a rule
	confLoose      = 15 // an event keyword that completed no rule
	// confUnexplained caps the confidence of a text with several event
	// types, or with a run of unexplainedRun words that no fired rule
	// accounts for (see unexplained).
	confUnexplained = 70
	unexplainedRun  = 8
)

// Priority thresholds of the urgency levels: at or above urgentPriority a
// text is critical, at or above highPriority high, at or above
// mediumPriority medium, else low; an urgency word raises it one level.
const (
	urgentPriority = 9
	highPriority   = 7
	mediumPriority = 5
)

// evaluate turns keyword matches into event types, keywords, attributes,
// priority, domain, urgency and confidence, in five stages.
func (a *Analyzer) evaluate(sc *scratch, r *Result) {
	doubt, loose := false, false
	if len(sc.matches) > 0 {
		a.suppressNested(sc)
		doubt, loose = a.fireRules(sc, r)
	} else {
		clear(sc.evFired)
		clear(sc.evScore)
	}
	clear(sc.evScored)
	if a.c.scored {
		a.scoreEvents(sc)
	}
	top := a.rankEvents(sc, r)
	conf := confRoutine
	if doubt || loose {
		conf = confNearMiss
	}
	if top >= 0 {
		conf = a.collectKeywords(sc, r, doubt)
	}
	r.Confidence = float64(conf) / 100
	r.EnrichmentAdvised = conf < a.c.enrichBelow
	r.Urgency = urgencyOf(r.Priority, r.Attributes.HasUrgency)
}

// scoreEvents matches, by its Score, each scored event type that no rule
// matched, on the sums fireRules made of the weights of the distinct
// keywords it counted (not negated, not hidden).
func (a *Analyzer) scoreEvents(sc *scratch) {
	for ev := range a.c.events {
		if e := &a.c.events[ev]; e.scored && !sc.evFired[ev] && sc.evScore[ev] > e.scoreMin {
			sc.evFired[ev] = true
			sc.evScored[ev] = true
		}
	}
}

// suppressNested marks in sc.suppressed each keyword match that lies inside
// a longer matched keyword ("fire" in "fire drill"; "火" in "火灾").
//
// It goes from the hiding matches, which are few per match, to the
// matches they cover: those ending in the hider's span, before it in the
// list (matches are listed by their end), and those listed after it at
// the same byte. A match x lies inside a later match y when y has more
// words and starts at or before x's first word, or y is longer and starts
// at or before x's first byte, with y ending fewer than maxWords words
// and at most maxSpan bytes after x; a match reported earlier at the same
// byte hides x when it is longer.
func (a *Analyzer) suppressNested(sc *scratch) {
	c := a.c
	m := sc.matches
	sup := slices.Grow(sc.suppressed[:0], len(m))[:len(m)]
	clear(sup)
	sc.suppressed = sup
	const ends = roleStop | roleClause
	// A keyword that hides only negation words hides nothing in a text
	// without one, and most keywords hide only those.
	hiders := hotHides
	for i := range m {
		if c.hot[m[i].kw].roles&roleNegation != 0 {
			hiders |= hotHidesNegation
			break
		}
	}
	maxWords, maxSpan := int32(c.maxWords), int32(c.maxSpan)
	for y := range m {
		hy := &c.hot[m[y].kw]
		if hy.bits&hiders == 0 || hy.roles&ends != 0 {
			continue
		}
		endW, endB := m[y].endWord, m[y].endByte
		startY := endW - hy.nWords + 1
		byteY := endB - hy.textLen
		// A hider of one word hides by bytes only (no keyword has fewer
		// words), so the look back ends at its first byte even inside a
		// long word (a run of CJK text).
		wordReach := startY
		if hy.nWords == 1 {
			wordReach = math.MaxInt32
		}
		for x := y - 1; x >= 0; x-- {
			if endW-m[x].endWord >= maxWords || endB-m[x].endByte > maxSpan ||
				m[x].endWord < wordReach && m[x].endByte < byteY {
				break
			}
			hx := &c.hot[m[x].kw]
			if sup[x] || hx.bits&hotNested == 0 || hx.roles&ends != 0 || !hides(hy, hx) {
				continue
			}
			if hy.nWords > hx.nWords && startY <= m[x].endWord-hx.nWords+1 ||
				hy.textLen > hx.textLen && byteY <= m[x].endByte-hx.textLen {
				sup[x] = true
			}
		}
		for x := y + 1; x < len(m) && m[x].endByte == endB; x++ {
			hx := &c.hot[m[x].kw]
			if hx.bits&hotNested != 0 && hx.roles&ends == 0 && hides(hy, hx) && hy.textLen > hx.textLen {
				sup[x] = true
			}
		}
	}
}

// hides reports whether a match of the longer keyword long hides a match
// of short inside it.
func hides(long, short *kwHot) bool {
	return long.bits&hotHides != 0 || long.bits&hotHidesNegation != 0 && short.roles&roleNegation != 0
}

// fireRules walks the unsuppressed matches in order, one sentence at a
// time, and sets the attributes their roles imply. A rule matches in a
// sentence when its groups all occurred in it within the rule's window,
// and counts (sc.fired, sc.evFired) unless the sentence holds one of its
// unless words. A keyword within the reach of a negation word is marked
// suppressed and counts for nothing. It reports doubt, a negated keyword
// or a rule stopped by an unless word, and evidence: whether a keyword of
// the first group of a rule, which hints at its event on its own,
// occurred (the rule matched or not).
//
// A match counts at once in the anchor groups it belongs to, and in its
// other groups only for the rules armed in its sentence, those whose
// anchor group has occurred there (see compiled.anchorRules); arming a
// rule looks back over the sentence for its other groups' last keywords.
// A rule's groups then hold, whenever it is checked, what counting every
// match in every group would have given, and it is checked at every
// match that could complete it.
func (a *Analyzer) fireRules(sc *scratch, r *Result) (doubt, evidence bool) {
	c := a.c
	clear(sc.fired)
	clear(sc.evFired)
	sc.pending, sc.deferred = sc.pending[:0], sc.deferred[:0]
	// Sentences are numbered on from the previous analysis with this
	// scratch, so the per-group and per-rule sentence marks left by it
	// never equal a current one and need no clearing.
	if sc.nextSent > math.MaxInt32-int32(len(sc.matches))-2 {
		clear(sc.lastSent)
		clear(sc.kwSent)
		clear(sc.pendMark)
		clear(sc.armed)
		clear(sc.scoreMark)
		sc.nextSent = 0
	}
	sent := sc.nextSent + 1
	// firstSent marks the keywords whose weights this text has summed.
	firstSent := sent
	clear(sc.evScore)
	negWord, negEnd, negSent := int32(0), int32(0), int32(-1)
	negAfter := false
	for _, b := range c.negAfterBytes {
		if strings.IndexByte(sc.scan.s, b) >= 0 {
			negAfter = true
			break
		}
	}
	cnt := sc.counted[:0]
	for range sc.matches {
		cnt = append(cnt, notCounted)
	}
	sc.counted = cnt
	sentStart := 0
	for x, mt := range sc.matches {
		if sc.suppressed[x] {
			continue
		}
		h := &c.hot[mt.kw]
		if h.roles != 0 {
			r.Attributes.HasUrgency = r.Attributes.HasUrgency || h.roles&roleUrgency != 0
			r.Attributes.HasLocation = r.Attributes.HasLocation || h.roles&roleLocation != 0
			r.Attributes.HasTimestamp = r.Attributes.HasTimestamp || h.roles&roleTimestamp != 0
			switch {
			case h.roles&roleStop != 0:
				doubt = a.commitSentence(sc, sent) || doubt
				sent++
				sentStart = x + 1
				continue
			case h.roles&roleClause != 0:
				negSent = -1
				continue
			case h.roles&roleNegation != 0:
				negWord, negEnd, negSent = mt.endWord, mt.endByte, sent
				if h.bits&hotMember == 0 {
					continue
				}
			case h.roles&roleNegAfter != 0 && h.bits&hotMember == 0:
				continue
			}
		}
		if h.bits&(hotMember|hotVetoes) == 0 {
			continue
		}
		negated := false
		// A negation word reaches the keywords that start after it ("no"
		// in "without a badge" negates nothing there).
		if start := mt.endWord - h.nWords + 1; negSent == sent && h.roles&roleNegation == 0 &&
			start-negWord <= int32(c.negWindow) && mt.endByte-h.textLen >= negEnd ||
			negAfter && h.roles&roleNegAfter == 0 && a.negatedAfter(sc, x) {
			negated = true
			sc.suppressed[x] = true // listed only if a rule ignoring negation uses it
		} else if h.bits&hotVetoes != 0 {
			sc.kwSent[mt.kw] = sent
		}
		if negated {
			cnt[x] = countedNegated
			doubt = doubt || h.flags&memberNegatable != 0
			evidence = evidence || h.flags&memberFirstFirm != 0
			if h.flags&memberFirm != 0 {
				sc.suppressed[x] = false
			}
		} else {
			cnt[x] = counted
			evidence = evidence || h.flags&memberFirst != 0
			if h.bits&hotScored != 0 && sc.scoreMark[mt.kw] != firstSent {
				// Its weights, once a text (see Score).
				sc.scoreMark[mt.kw] = firstSent
				for _, t := range c.kws[mt.kw].scores {
					sc.evScore[t.event] += t.w
				}
			}
		}
		if h.bits&hotMember == 0 {
			continue
		}
		kw := &c.kws[mt.kw]
		for _, mb := range kw.anchored {
			if negated && mb.negatable {
				continue
			}
			if mb.end-mb.first > 1 && sc.armed[mb.rule] != sent {
				sc.armed[mb.rule] = sent
				a.recall(sc, mb, sentStart, x, sent)
			}
			sc.count(mb, mt.endWord, sent)
		}
		for j, rule := range kw.otherRules {
			if sc.armed[rule] != sent {
				continue
			}
			if mb := &kw.others[j]; !negated || !mb.negatable {
				sc.count(*mb, mt.endWord, sent)
			}
		}
	}
	sc.nextSent = sent + 1
	doubt = a.commitSentence(sc, sent) || doubt
	a.commitDeferred(sc)
	return doubt, evidence
}

// matchCount is how fireRules counted a match.
type matchCount uint8

const (
	notCounted     matchCount = iota // skipped: hidden, or in no rule
	counted                          // counted in its rules
	countedNegated                   // negated: counted only in rules ignoring negation
)

// count counts a keyword of group mb.group of rule mb.rule at word w of
// sentence sent, and lists the rule as pending if all its groups now
// hold a keyword of the sentence within its window.
func (sc *scratch) count(mb membership, w, sent int32) {
	g := mb.first + mb.group
	sc.lastPos[g], sc.lastSent[g] = w, sent
	if sc.pendMark[mb.rule] == sent+1 {
		return
	}
	from := w - mb.window
	for g := mb.first; g < mb.end; g++ {
		if sc.lastSent[g] != sent || sc.lastPos[g] < from {
			return
		}
	}
	sc.pendMark[mb.rule] = sent + 1
	sc.pending = append(sc.pending, mb.rule)
}

// recall sets, as rule mb.rule is armed at match x, the marks of its
// groups other than the anchor from the matches of the sentence before x,
// which starts at match start: a group's mark is its last keyword the
// rule counted.
func (a *Analyzer) recall(sc *scratch, mb membership, start, x int, sent int32) {
	need := mb.end - mb.first - 1
	for y := x - 1; y >= start && need > 0; y-- {
		cy := sc.counted[y]
		if cy == notCounted || cy == countedNegated && mb.negatable {
			continue
		}
		ky := &a.c.kws[sc.matches[y].kw]
		for j, rule := range ky.otherRules {
			if rule != mb.rule {
				continue
			}
			if g := ky.others[j].first + ky.others[j].group; sc.lastSent[g] != sent {
				sc.lastPos[g], sc.lastSent[g] = sc.matches[y].endWord, sent
				need--
			}
			break
		}
	}
}

// fire counts rule as matched, and its event.
func (a *Analyzer) fire(sc *scratch, rule int32) {
	sc.fired[rule] = true
	sc.evFired[a.c.rules[rule].event] = true
}

// commitDeferred decides the rules with unlessEvents or ifEvents that
// matched, once every sentence is counted: a rule counts unless the other
// rules matched one of its unlessEvents, and if they matched one of its
// ifEvents (when it has any). All are decided on the events as they stood
// before any of them counted.
func (a *Analyzer) commitDeferred(sc *scratch) {
	d := sc.deferred
	for i, rule := range d {
		r := &a.c.rules[rule]
		for _, ev := range r.unlessEvents {
			if sc.evFired[ev] {
				d[i] = -1
				break
			}
		}
		if d[i] < 0 || len(r.ifEvents) == 0 {
			continue
		}
		d[i] = -1
		for _, ev := range r.ifEvents {
			if sc.evFired[ev] {
				d[i] = rule
				break
			}
		}
	}
	for _, rule := range d {
		if rule >= 0 {
			a.fire(sc, rule)
		}
	}
	sc.deferred = d[:0]
}

// negatedAfter reports whether a NegationAfter word starts within
// NegationAfterGap bytes after match x ends, with no sentence or clause
// end between.
func (a *Analyzer) negatedAfter(sc *scratch, x int) bool {
	c := a.c
	m := sc.matches
	end := m[x].endByte
	// Most keywords are followed by no byte a NegationAfter word starts
	// with: the text says so without reading the matches after.
	s := sc.scan.s
	near := false
	for i := int(end) + 1; i < len(s) && i <= int(end)+1+NegationAfterGap; i++ {
		if c.negAfterFirst[s[i]] {
			near = true
			break
		}
	}
	if !near {
		return false
	}
	limit := end + NegationAfterGap + int32(c.maxNegAfter)
	for y := x + 1; y < len(m) && m[y].endByte <= limit; y++ {
		ky := &c.kws[m[y].kw]
		if ky.roles&(roleStop|roleClause) != 0 {
			return false
		}
		if ky.roles&roleNegAfter == 0 || sc.suppressed[y] {
			continue
		}
		if start := m[y].endByte - int32(len(ky.text)) + 1; start > end && start-end-1 <= NegationAfterGap {
			return true
		}
	}
	return false
}

// commitSentence counts the rules that matched in sentence sent, except
// those stopped by an unless word in it; it reports whether one was.
func (a *Analyzer) commitSentence(sc *scratch, sent int32) (vetoed bool) {
	for _, rule := range sc.pending {
		if a.stopped(sc, rule, sent) {
			vetoed = true
			continue
		}
		if a.c.rules[rule].deferred() {
			sc.deferred = append(sc.deferred, rule)
			continue
		}
		a.fire(sc, rule)
	}
	sc.pending = sc.pending[:0]
	return vetoed
}

// stopped reports whether one of rule's unless words was in sentence
// sent, not negated.
func (a *Analyzer) stopped(sc *scratch, rule, sent int32) bool {
	for _, k := range a.c.rules[rule].unless {
		if sc.kwSent[k] == sent {
			return true
		}
	}
	return false
}

// rankEvents lists the fired event types highest priority first and sets
// the priority and domain they imply (the defaults when none fired). It
// returns the index of the top event, or -1.
func (a *Analyzer) rankEvents(sc *scratch, r *Result) (top int) {
	c := a.c
	r.Domain = c.defDomain
	r.Priority = c.defPrio
	nEvents := 0
	for _, f := range sc.evFired {
		if f {
			nEvents++
		}
	}
	if nEvents == 0 {
		return -1
	}
	r.EventTypes = make([]string, 0, nEvents)
	top = -1
	domainSet := false
	for _, ei := range c.byRank {
		if !sc.evFired[ei] {
			continue
		}
		ev := &c.events[ei]
		r.EventTypes = append(r.EventTypes, ev.name)
		if top < 0 {
			top = ei
			r.Priority = ev.priority
		}
		if !domainSet && ev.domain != "" {
			r.Domain = ev.domain
			domainSet = true
		}
	}
	return top
}

// collectKeywords lists the keywords of fired rules in order of first
// occurrence and returns the confidence (in hundredths) of the event set:
// that of its least supported event, from how many distinct keywords
// support it and whether a rule of several groups did, lowered by doubt
// (a negated keyword, a rule stopped by an unless word) and by a word of
// the first group of a rule of an event that did not fire.
func (a *Analyzer) collectKeywords(sc *scratch, r *Result, doubt bool) int {
	c := a.c
	m := sc.matches
	clear(sc.evKw)
	clear(sc.evMulti)
	nk, loose := 0, false
	for x, mt := range m {
		if sc.suppressed[x] || sc.seen[mt.kw] {
			continue
		}
		members := c.kws[mt.kw].members
		used := false
		for k, mb := range members {
			if !sc.fired[mb.rule] {
				continue
			}
			used = true
			ev := c.rules[mb.rule].event
			if c.rules[mb.rule].groups > 1 {
				sc.evMulti[ev] = true
			}
			// Count the keyword once per event.
			counted := false
			for _, prev := range members[:k] {
				if sc.fired[prev.rule] && c.rules[prev.rule].event == ev {
					counted = true
					break
				}
			}
			if !counted {
				sc.evKw[ev]++
			}
		}
		// Every match of a keyword gives what its first gave.
		sc.seen[mt.kw] = true
		if used {
			nk++
			continue
		}
		// The words of a rule's first group hint at its event on their
		// own ("heating", "suitcase", "clogged"); one of an event that did
		// not fire is a sign the event may have been missed.
		for _, mb := range members {
			if mb.group == 0 && !sc.evFired[c.rules[mb.rule].event] {
				loose = true
				break
			}
		}
	}
	r.Keywords = make([]string, 0, nk)
	unsee(sc)
	for x, mt := range m {
		if sc.suppressed[x] || sc.seen[mt.kw] {
			continue
		}
		sc.seen[mt.kw] = true
		for _, mb := range c.kws[mt.kw].members {
			if sc.fired[mb.rule] {
				r.Keywords = append(r.Keywords, c.kws[mt.kw].text)
				break
			}
		}
	}
	unsee(sc)
	conf := confCeiling
	for ev, fired := range sc.evFired {
		if !fired {
			continue
		}
		e := confSingle
		if sc.evMulti[ev] {
			e = confMultiGroup
		}
		conf = min(conf, e+confStep*(max(1, sc.evKw[ev])-1))
	}
	if slices.Contains(sc.evScored, true) {
		conf = min(conf, confScored)
	}
	if doubt {
		conf -= confDoubt
	}
	if loose {
		conf -= confLoose
	}
	// A text with several event types is exactly right only when every
	// one of them is; such texts are uncertain as one with a run of words
	// no fired rule accounts for.
	if conf > confUnexplained && (len(r.EventTypes) > 1 || unexplained(sc, c, r.Attributes.WordCount)) {
		conf = confUnexplained
	}
	return conf
}

// unexplained reports whether the text holds a run of at least
// unexplainedRun words with no keyword of a fired rule in it: a part of
// the text the matched events do not account for, where an event the
// pack does not know may be written.
func unexplained(sc *scratch, c *compiled, words int) bool {
	last := int32(-1) // the last word of the previous keyword of a fired rule
	for x, mt := range sc.matches {
		if sc.suppressed[x] {
			continue
		}
		used := false
		for _, mb := range c.kws[mt.kw].members {
			if sc.fired[mb.rule] {
				used = true
				break
			}
		}
		if !used {
			continue
		}
		first := mt.endWord - int32(c.kws[mt.kw].nWords) + 1
		if first-last-1 >= unexplainedRun {
			return true
		}
		last = max(last, mt.endWord)
	}
	return int32(words)-last-1 >= unexplainedRun
}

// unsee clears the marks collectKeywords left in sc.seen, which is all
// false between uses: clearing only the matched keywords' marks costs far
// less than clearing one per keyword of a large pack.
func unsee(sc *scratch) {
	for _, mt := range sc.matches {
		sc.seen[mt.kw] = false
	}
}

// urgencyOf maps a priority to an urgency level, one level higher (up to
// critical) when the text holds an urgency word.
func urgencyOf(priority int, urgent bool) Urgency {
	lvl := 0
	switch {
	case priority >= urgentPriority:
		lvl = 3
	case priority >= highPriority:
		lvl = 2
	case priority >= mediumPriority:
		lvl = 1
	}
	if urgent && lvl < 3 {
		lvl++
	}
	return [...]Urgency{UrgencyLow, UrgencyMedium, UrgencyHigh, UrgencyCritical}[lvl]
}
