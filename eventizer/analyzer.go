package eventizer

import (
	"fmt"
	"sort"
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
	lastPos    []int32
	fired      []bool
	evFired    []bool
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
	p := opts.Pack
	if p == nil {
		p = DefaultPack()
	}
	c, err := compilePack(p)
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
			fired:      make([]bool, len(c.rules)),
			evFired:    make([]bool, len(c.events)),
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
	au := &a.c.auto
	nc := a.c.auto.nclass
	cls := &au.class
	delta := au.delta
	sc.scan.s = s
	sc.matches = sc.matches[:0]
	st := int(au.start)
	prevSep := true
	words := int32(0)
	n := len(s)
	i := 0
	for ; i < cut; i++ {
		b := s[i]
		c := cls[b]
		if c == classSep {
			if trigSep[b] {
				if end := sc.scan.atSep(i); end > 0 && a.skipFinding(sc, end) {
					i, st, prevSep = end-1, int(au.start), true
					if b != '@' && b != '=' && b != ':' {
						words++
					}
					continue
				}
			}
			if prevSep {
				continue
			}
			prevSep = true
		} else if prevSep {
			prevSep = false
			words++
			if trigWord[b] || b >= 'a' && b <= 'z' && i+2 < n && isDigit(s[i+2]) {
				if end := sc.scan.atWordStart(i); end > 0 && a.skipFinding(sc, end) {
					i, st, prevSep = end-1, int(au.start), true
					continue
				}
			}
		} else if b < 0x80 && s[i-1] >= 0x80 && !sc.scan.wordBefore(i) {
			// An ASCII word right after a character of another script
			// ("カード4111 ...", "请联系x@..."): a boundary for the detectors,
			// though the keyword automaton sees one word.
			if end := sc.scan.atWordStart(i); end > 0 && a.skipFinding(sc, end) {
				i, st, prevSep = end-1, int(au.start), true
				continue
			}
		}
		e := delta[st+int(c)]
		st = int(e & rowMask)
		if e&acceptBit == 0 {
			continue
		}
		// A keyword ends here: keep those that end a word.
		atEnd := i+1 == n || cls[s[i+1]] == classSep
		state := st / nc
		for _, id := range au.outIDs[au.outStart[state]:au.outStart[state+1]] {
			if !atEnd && !a.c.kws[id].prefix {
				continue
			}
			sc.matches = append(sc.matches, kwMatch{kw: id, endWord: words - 1, endByte: int32(i)})
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

var trigSep, trigWord = func() (sep, word [256]bool) {
	for _, c := range []byte("@=:+(-") {
		sep[c] = true
	}
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
	a.suppressNested(sc)
	nearMiss := a.fireRules(sc, r)
	top := a.rankEvents(sc, r)
	conf := confRoutine
	if nearMiss {
		conf = confNearMiss
	}
	if top >= 0 {
		conf = a.collectKeywords(sc, r, top)
	}
	r.Confidence = float64(conf) / 100
	r.EnrichmentAdvised = conf < a.c.enrichBelow
	r.Urgency = urgencyOf(r.Priority, r.Attributes.HasUrgency)
}

// suppressNested marks in sc.suppressed each keyword match that lies inside
// a longer matched keyword ("fire" in "fire drill").
func (a *Analyzer) suppressNested(sc *scratch) {
	c := a.c
	m := sc.matches
	sup := sc.suppressed[:0]
	for range m {
		sup = append(sup, false)
	}
	sc.suppressed = sup
	for x := range m {
		kx := &c.kws[m[x].kw]
		startX := m[x].endWord - int32(kx.nWords) + 1
		for y := x + 1; y < len(m) && m[y].endWord-m[x].endWord < int32(c.maxWords); y++ {
			ky := &c.kws[m[y].kw]
			startY := m[y].endWord - int32(ky.nWords) + 1
			if ky.nWords > kx.nWords && startY <= startX {
				sup[x] = true
				break
			}
		}
		for y := x - 1; y >= 0 && m[x].endWord-m[y].endWord < int32(c.maxWords) && !sup[x]; y-- {
			// Same end, longer pattern reported earlier at this byte.
			ky := &c.kws[m[y].kw]
			if m[y].endWord == m[x].endWord && ky.nWords > kx.nWords {
				sup[x] = true
			}
		}
	}
}

// fireRules walks the unsuppressed matches in order, sets the attributes
// their roles imply, and marks in sc.fired and sc.evFired the rules whose
// groups all occurred within the rule's window. It reports whether any
// event keyword occurred, complete rule or not.
func (a *Analyzer) fireRules(sc *scratch, r *Result) (nearMiss bool) {
	c := a.c
	clear(sc.fired)
	clear(sc.evFired)
	for k := range sc.lastPos {
		sc.lastPos[k] = -1 << 30
	}
	for x, mt := range sc.matches {
		if sc.suppressed[x] {
			continue
		}
		kw := &c.kws[mt.kw]
		r.Attributes.HasUrgency = r.Attributes.HasUrgency || kw.roles&roleUrgency != 0
		r.Attributes.HasLocation = r.Attributes.HasLocation || kw.roles&roleLocation != 0
		r.Attributes.HasTimestamp = r.Attributes.HasTimestamp || kw.roles&roleTimestamp != 0
		for _, mb := range kw.members {
			nearMiss = true
			rule := &c.rules[mb.rule]
			sc.lastPos[rule.base+int(mb.group)] = mt.endWord
			if sc.fired[mb.rule] {
				continue
			}
			ok := true
			for g := 0; g < rule.groups; g++ {
				if sc.lastPos[rule.base+g] < mt.endWord-int32(rule.window) {
					ok = false
					break
				}
			}
			if ok {
				sc.fired[mb.rule] = true
				sc.evFired[rule.event] = true
			}
		}
	}
	return nearMiss
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
// occurrence and returns the confidence (in hundredths) of the top event
// from its evidence: how many distinct keywords support it and whether a
// rule of several groups did.
func (a *Analyzer) collectKeywords(sc *scratch, r *Result, top int) int {
	c := a.c
	m := sc.matches
	nk, topKw, multi := 0, 0, false
	clear(sc.seen)
	for x, mt := range m {
		if sc.suppressed[x] || sc.seen[mt.kw] {
			continue
		}
		used, forTop := false, false
		for _, mb := range c.kws[mt.kw].members {
			if sc.fired[mb.rule] {
				used = true
				if c.rules[mb.rule].event == top {
					forTop = true
					multi = multi || c.rules[mb.rule].groups > 1
				}
			}
		}
		if used {
			sc.seen[mt.kw] = true
			nk++
			if forTop {
				topKw++
			}
		}
	}
	r.Keywords = make([]string, 0, nk)
	clear(sc.seen)
	for x, mt := range m {
		if sc.suppressed[x] || sc.seen[mt.kw] {
			continue
		}
		for _, mb := range c.kws[mt.kw].members {
			if sc.fired[mb.rule] {
				sc.seen[mt.kw] = true
				r.Keywords = append(r.Keywords, c.kws[mt.kw].text)
				break
			}
		}
	}
	conf := confSingle
	if multi {
		conf = confMultiGroup
	}
	return min(confCeiling, conf+confStep*(topKw-1))
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
