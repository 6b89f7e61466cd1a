package eventizer

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
)

// defaultNegationWindow is the default Pack.NegationWindow.
const defaultNegationWindow = 3

//go:embed rules/default.json
var defaultPackJSON []byte

// defaultScoresJSON holds the built-in pack's Scores by event type, fitted
// to the tuning sets (see TestScoresFitted).
//
//go:embed rules/scores.json
var defaultScoresJSON []byte

// Pack is a rule pack: the event types, their rules and priorities, and the
// word lists behind the attributes. It is data: [DefaultPack] returns the
// built-in pack, [ParsePack] reads a user's own from JSON.
//
// Keywords are matched case-insensitively on whole words: ASCII letters,
// and the accented Latin letters of U+00C0-U+00DE written all in capitals
// or as the first letter ("ÜBUNG" and "Übung" match "übung"). Punctuation
// and spaces between words are interchangeable ("break in" matches
// "break-in" and "break  in"), and an apostrophe is a word break, so
// "can't" is written "can t". A trailing "*" matches any word ending
// ("leak*" matches "leak", "leaks", "leaking"); a leading "*" any word
// beginning, for the parts of compound words ("*heizung*" matches
// "Zentralheizung" and "Heizungsausfall"). A keyword holding a Chinese,
// Japanese or Korean character matches anywhere, since those scripts do
// not separate words; where a run of ASCII letters and digits meets such a
// character it is a word of its own, so "vip" matches in "明天有VIP入住"
// and "ddos" in "DDoS攻撃". A keyword that lies inside a longer matched keyword
// is ignored there: "fire" in "fire drill" does not count when "fire
// drill" is a keyword (the Neutral list holds such phrases when they
// belong to no event); Unless words hide nothing.
//
// Rules are evaluated one sentence at a time: a sentence ends at '.', '!'
// or '?' followed by a space (a '.' after an abbreviation such as "Zi." or
// "Mr.", an initial or an ordinal such as "2." ends none), at a line
// break, at ';' or at '。', and the groups of an All rule must all occur in
// one sentence. A keyword preceded within NegationWindow words of its
// sentence by a negation word ("no allergies", "kein Notfall"), or
// followed right after it by a NegationAfter word ("アレルギーはありません"),
// counts for no rule, and a rule does not match in a sentence holding one
// of its Unless words, or of its event type's ("fire" with "drill").
// A rule with UnlessEvents or IfEvents is decided last, over the whole
// text: it does not match when a rule without either matched one of its
// UnlessEvents in any sentence, or when such rules matched none of its
// IfEvents.
type Pack struct {
	// Version must be 1.
	Version int `json:"version"`
	// DefaultDomain is the domain when no matched event type names one.
	// Required.
	DefaultDomain string `json:"default_domain"`
	// DefaultPriority is the priority when no event type matches (0-10).
	DefaultPriority int `json:"default_priority"`
	// EnrichBelow advises enrichment when the confidence is below it (0-1).
	EnrichBelow float64 `json:"enrich_below"`
	// Urgency words set Attributes.HasUrgency.
	Urgency []string `json:"urgency"`
	// Location words set Attributes.HasLocation.
	Location []string `json:"location"`
	// Timestamp words set Attributes.HasTimestamp (numeric times and dates
	// are recognised without a list).
	Timestamp []string `json:"timestamp"`
	// Neutral phrases belong to no event; they only hide the shorter
	// keywords inside them.
	Neutral []string `json:"neutral"`
	// Negation lists, per language (an ISO 639 code such as "en"), the
	// words that negate the keywords after them in the same sentence. All
	// lists apply to every text.
	Negation map[string][]string `json:"negation,omitempty"`
	// NegationWindow is how many words after a negation word it reaches
	// (counted to the keyword's first word). Default 3.
	NegationWindow int `json:"negation_window,omitempty"`
	// NegationAfter lists, per language, the words that negate the
	// keyword right before them, for languages that negate after the noun
	// (Japanese "火事ではありません", "アレルギーはありません"): the word
	// must start within NegationAfterGap bytes of the keyword's end, in
	// its clause. All lists apply to every text.
	NegationAfter map[string][]string `json:"negation_after,omitempty"`
	// Events are the event types. Names are unique, of [a-z0-9_].
	Events []EventType `json:"events"`
}

// EventType is one event type and the rules that detect it.
type EventType struct {
	// Type is the name reported in Result.EventTypes.
	Type string `json:"type"`
	// Priority is 0-10.
	Priority int `json:"priority"`
	// Domain, when set, is the domain a match implies.
	Domain string `json:"domain,omitempty"`
	// Unless lists words that stop every rule of the event type in a
	// sentence that holds one of them, as if each rule listed them in its
	// own Unless, except a rule that has the word among its keywords.
	Unless []string `json:"unless,omitempty"`
	// Rules: the event type matches when any rule matches. At least one.
	Rules []Rule `json:"rules"`
	// Score, when set, also matches the event type in a text where no
	// rule matched it but the text's keywords, weighed together, point to
	// it (see [Score]).
	Score *Score `json:"score,omitempty"`
}

// Score weighs the keywords of a text as evidence for one event type, for
// the texts that tell an event in words no single rule combines. The
// event type matches, when none of its rules did, if the logistic function
// of Bias plus the Weights of the distinct keywords the text holds is above
// Threshold. A keyword counts as a rule would count it: not negated, not
// inside a longer keyword, and only if it is a keyword or an unless word
// of some rule. Such a match lowers the confidence (see
// [Result.Confidence]). The built-in pack's scores are fitted to its
// labelled tuning texts (see the package documentation).
type Score struct {
	// Bias is the log-odds of the event type in a text with none of the
	// weighed keywords.
	Bias float64 `json:"bias"`
	// Threshold is the probability above which the event type matches,
	// strictly between 0 and 1.
	Threshold float64 `json:"threshold"`
	// Weights maps keywords, written as in rules ("leak*"), to how much
	// each adds to the log-odds. Each must be a keyword or an unless word
	// of some rule of the pack.
	Weights map[string]float64 `json:"weights"`
}

// Rule is one way to detect an event type. Exactly one of Any and All is
// set.
type Rule struct {
	// Any matches when any of its keywords occurs.
	Any []string `json:"any,omitempty"`
	// All matches when, for every group, one of the group's keywords
	// occurs, in any order, all within Window words of each other. At least
	// two groups; a keyword may not be in two groups of one rule.
	All [][]string `json:"all,omitempty"`
	// Window is the span in words for All (counted from the last word of
	// each keyword). Default 6.
	Window int `json:"window,omitempty"`
	// Unless lists words that stop the rule from matching in a sentence
	// that holds one of them, before or after its keywords.
	Unless []string `json:"unless,omitempty"`
	// UnlessEvents lists event types that stop the rule when a rule
	// without UnlessEvents matches one of them anywhere in the text: for a
	// generic request ("please send someone") that another sentence's
	// specific event already accounts for ("The heating is cold.").
	UnlessEvents []string `json:"unless_events,omitempty"`
	// IfEvents lists event types of which one must be matched, by a rule
	// without UnlessEvents or IfEvents, somewhere in the text for the rule
	// to count: for a request that completes what another sentence tells
	// ("Please renew." after "The certificate expires on Friday.").
	IfEvents []string `json:"if_events,omitempty"`
	// IgnoreNegation lets negated keywords count for this rule: for a rule
	// whose words are often negated in earnest ("no nuts", "sin gluten").
	IgnoreNegation bool `json:"ignore_negation,omitempty"`
	// Lang, when set, names the language of the rule's keywords (an ISO
	// 639 code such as "de"). It documents the pack and is validated; it
	// does not restrict where the rule applies.
	Lang string `json:"lang,omitempty"`
}

// DefaultPack returns a fresh copy of the built-in rule pack: emergency
// (priority 10), allergen (9), security (8), vip (7), privacy (7),
// hvac_fault (6), luggage_custody (6), warning (5), maintenance (4), else
// routine (2); allergen, vip, privacy, hvac_fault and luggage_custody imply
// the domain "hotel_ops".
func DefaultPack() *Pack {
	// The built-in pack is validated when it is first compiled (see
	// defaultCompiled) and by the tests; decoding alone spares each call
	// the tens of milliseconds a compilation of it takes.
	p, err := decodeDefaultPack()
	if err != nil {
		panic("eventizer: built-in rule pack is invalid: " + err.Error())
	}
	return p
}

// decodeDefaultPack reads the built-in pack, its rules and its Scores,
// without validating it.
func decodeDefaultPack() (*Pack, error) {
	p, err := decodePack(defaultPackJSON)
	if err != nil {
		return nil, err
	}
	var scores map[string]*Score
	dec := json.NewDecoder(bytes.NewReader(defaultScoresJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&scores); err != nil {
		return nil, fmt.Errorf("%w: scores: %w", ErrInvalidPack, err)
	}
	for i := range p.Events {
		p.Events[i].Score = scores[p.Events[i].Type]
		delete(scores, p.Events[i].Type)
	}
	for ev := range scores {
		return nil, fmt.Errorf("%w: scores: no event type %q", ErrInvalidPack, ev)
	}
	return p, nil
}

// defaultCompiled is the built-in pack, compiled once for every
// [Analyzer] built without a Pack: the compiled form is read-only.
var defaultCompiled = sync.OnceValues(func() (*compiled, error) {
	p, err := decodeDefaultPack()
	if err != nil {
		return nil, err
	}
	return compilePack(p)
})

// decodePack reads a pack from JSON without validating it. Unknown fields
// are rejected.
func decodePack(data []byte) (*Pack, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Pack
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPack, err)
	}
	return &p, nil
}

// ParsePack reads and validates a rule pack from JSON. Unknown fields are
// rejected. Errors wrap [ErrInvalidPack] and name the offending field.
func ParsePack(data []byte) (*Pack, error) {
	p, err := decodePack(data)
	if err != nil {
		return nil, err
	}
	if _, err := compilePack(p); err != nil {
		return nil, err
	}
	return p, nil
}

// kwRole flags what a keyword means besides its rule memberships.
type kwRole uint8

const (
	roleUrgency kwRole = 1 << iota
	roleLocation
	roleTimestamp
	roleNegation // a negation word
	roleStop     // a sentence end
	roleClause   // a clause end: it ends the reach of a negation word
	roleNeutral  // a neutral phrase
	roleNegAfter // a word that negates the keyword before it
)

// NegationAfterGap is how many bytes may stand between a keyword and a
// Pack.NegationAfter word that negates it: two CJK characters, room for
// a particle ("火事の件ではなく").
const NegationAfterGap = 6

// The sentence and clause ends that are word bytes to the automaton are
// matched as keywords; the ASCII ones are found by the scan, which records
// them as matches of these keywords (see sentenceEnd).
const (
	sentenceStop = "。"
	clauseStop   = "、"
)

// membership is a keyword's place in a rule's group, with what the
// per-match check of the rule reads, so that the check reads no rule.
type membership struct {
	rule  int32
	group int32
	// first and end are the rule's groups' offsets in the per-analysis
	// tables; window is its window, at most math.MaxInt32.
	first, end int32
	window     int32
	negatable  bool
}

type keyword struct {
	text    string // normalised, without the leading and trailing '*'
	prefix  bool   // may end inside a word
	infix   bool   // may start inside a word
	nWords  int
	roles   kwRole
	members []membership
	// anchored are the members in their rule's anchor group, others the
	// rest (see compiled.anchorRules), and otherRules their rules, which
	// a match looks at first; flags sums up members.
	anchored, others []membership
	otherRules       []int32
	flags            memberFlags
	vetoes           bool // it is an unless word of some rule (compiledRule.unless)
	hides            bool // a match hides the shorter keywords inside it
	// hidesNegation: a match hides the shorter negation words inside it
	hidesNegation bool
	nested        bool // it lies inside a longer keyword that hides, so a match may be hidden
	// scores are its weights in the events' Scores.
	scores []scoreTerm
}

// memberFlags sum up a keyword's memberships, so that a match's effects
// that do not depend on the rule are known without reading them.
type memberFlags uint8

const (
	memberFirst     memberFlags = 1 << iota // in some rule's first group
	memberFirstFirm                         // in the first group of a rule ignoring negation
	memberNegatable                         // in a rule a negated keyword does not count in
	memberFirm                              // in a rule ignoring negation
)

type compiledRule struct {
	event     int
	negatable bool // a negated keyword does not count
	groups    int
	window    int
	// anchor is the group whose keywords arm the rule in a sentence (see
	// compiled.anchorRules).
	anchor int32
	base   int // offset of this rule's groups in the per-analysis group tables
	// unless lists the keywords that stop the rule in their sentence
	// (Rule.Unless).
	unless []int32
	// unlessEvents are the events that stop the rule when a rule without
	// unlessEvents or ifEvents matched them (Rule.UnlessEvents); ifEvents
	// those of which such a rule must have matched one (Rule.IfEvents).
	unlessEvents, ifEvents []int32
}

// deferred reports whether the rule is decided after every sentence, on
// the events of the other rules.
func (r *compiledRule) deferred() bool { return len(r.unlessEvents)+len(r.ifEvents) > 0 }

type compiledEvent struct {
	name     string
	priority int
	domain   string
	order    int // rank: priority descending, then pack order
	// scored: the event has a Score, which matches it when the weights of
	// a text's keywords sum to more than scoreMin.
	scored   bool
	scoreMin float64
}

// scoreTerm is a keyword's weight for one event's Score.
type scoreTerm struct {
	event int32
	w     float64
}

type compiled struct {
	kws         []keyword
	rules       []compiledRule
	events      []compiledEvent
	byRank      []int // event indexes, highest priority first
	totalGroups int
	maxWords    int
	maxSpan     int // bytes: twice the longest keyword, the furthest a longer match can end past a shorter one inside it
	negWindow   int
	// maxNegAfter is the byte length of the longest NegationAfter word,
	// or 0 when the pack has none.
	maxNegAfter int
	// negAfterFirst marks the first bytes of the NegationAfter words, so
	// that a keyword followed by none of them is not looked past, and
	// negAfterBytes lists them, so that a text holding none is not.
	negAfterFirst [256]bool
	negAfterBytes []byte
	stopKW        int32 // the keyword id standing for a sentence end
	clauseKW      int32 // the keyword id standing for a clause end
	defDomain     string
	defPrio       int
	enrichBelow   int // hundredths
	auto          automaton
	// hot holds per keyword what the evaluation reads of every match,
	// packed apart from kws so that a text's matches touch few cache
	// lines (see kwHot).
	hot []kwHot
	// scored: some event has a Score.
	scored bool
}

// kwHot is the part of a keyword that the evaluation reads for every
// match; the rest of keyword is read only for the matches of keywords in
// rules.
type kwHot struct {
	roles   kwRole
	bits    hotBits
	flags   memberFlags
	nWords  int32
	textLen int32
}

// hotBits are a keyword's flags in kwHot.
type hotBits uint8

const (
	hotHides         hotBits = 1 << iota // keyword.hides
	hotHidesNegation                     // keyword.hidesNegation
	hotNested                            // keyword.nested
	hotVetoes                            // keyword.vetoes
	hotMember                            // it belongs to a rule
	hotScored                            // it has weights in Scores
)

// written returns the keyword as a pack writes it, with its '*' marks.
func (k *keyword) written() string { return writtenForm(k.text, k.prefix, k.infix) }

// writtenForm is a normalised keyword with the '*' marks of a prefix and
// an infix keyword, the key under which compilePack interns it.
func writtenForm(text string, prefix, infix bool) string {
	if prefix {
		text += "*"
	}
	if infix {
		text = "*" + text
	}
	return text
}

// packHot fills c.hot from c.kws.
func (c *compiled) packHot() {
	c.hot = make([]kwHot, len(c.kws))
	for i := range c.kws {
		k := &c.kws[i]
		h := kwHot{roles: k.roles, flags: k.flags, nWords: int32(k.nWords), textLen: int32(len(k.text))}
		for _, b := range []struct {
			on  bool
			bit hotBits
		}{{k.hides, hotHides}, {k.hidesNegation, hotHidesNegation}, {k.nested, hotNested}, {k.vetoes, hotVetoes}, {len(k.members) > 0, hotMember}, {len(k.scores) > 0, hotScored}} {
			if b.on {
				h.bits |= b.bit
			}
		}
		c.hot[i] = h
	}
}

// compileScore checks sc, the Score of event ev, and records its weights
// on the keywords of index (the pack's keywords by their written form).
func (c *compiled) compileScore(ev int32, where string, sc *Score, index map[string]int) error {
	finite := func(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
	if !(sc.Threshold > 0 && sc.Threshold < 1) {
		return packErr("%s.threshold %v: want a probability strictly between 0 and 1", where, sc.Threshold)
	}
	if !finite(sc.Bias) {
		return packErr("%s.bias %v: not a finite number", where, sc.Bias)
	}
	// Sorted, so that the error reported first does not depend on the
	// map's order.
	words := slices.Sorted(maps.Keys(sc.Weights))
	for _, w := range words {
		wt := sc.Weights[w]
		if !finite(wt) {
			return packErr("%s.weights[%q] %v: not a finite number", where, w, wt)
		}
		text, prefix, infix, err := normalizeKeyword(w)
		if err != nil {
			return packErr("%s.weights[%q]: %w", where, w, err)
		}
		key := writtenForm(text, prefix, infix)
		id, ok := index[key]
		if !ok || len(c.kws[id].members) == 0 && !c.kws[id].vetoes {
			return packErr("%s.weights[%q]: not a keyword or unless word of any rule", where, w)
		}
		k := &c.kws[id]
		if slices.ContainsFunc(k.scores, func(t scoreTerm) bool { return t.event == ev }) {
			return packErr("%s.weights[%q]: the same keyword as another weight", where, w)
		}
		k.scores = append(k.scores, scoreTerm{event: ev, w: wt})
	}
	e := &c.events[ev]
	e.scored = true
	e.scoreMin = math.Log(sc.Threshold/(1-sc.Threshold)) - sc.Bias
	c.scored = true
	return nil
}

// anchorRules picks each rule's anchor group and splits every keyword's
// memberships into those in anchor groups and the others. Each match
// counts in the anchor groups it belongs to; a rule of several groups is
// armed in a sentence by its first anchor keyword there (its other
// groups' last keywords are then looked up among the sentence's earlier
// matches), and only an armed rule's other groups count a match, so the
// common words of many rules' other groups cost little where those rules'
// anchors do not occur. The anchor is the group whose keywords belong to
// the fewest rules in all, counting its single words only (a guess at
// the rarest group in text): a word in many rules, or a group of many
// words, is likely to occur, and a phrase rarely is.
func (c *compiled) anchorRules() {
	cost := make([]int, c.totalGroups)
	for i := range c.kws {
		k := &c.kws[i]
		if k.nWords > 1 {
			continue // a phrase is rarely in a text
		}
		for _, mb := range k.members {
			cost[mb.first+mb.group] += len(k.members)
		}
	}
	for ri := range c.rules {
		r := &c.rules[ri]
		best := 0
		for g := 1; g < r.groups; g++ {
			if cost[r.base+g] < cost[r.base+best] {
				best = g
			}
		}
		r.anchor = int32(best)
	}
	for i := range c.kws {
		k := &c.kws[i]
		k.anchored, k.others, k.otherRules, k.flags = nil, nil, nil, 0
		for _, mb := range k.members {
			if mb.group == c.rules[mb.rule].anchor {
				k.anchored = append(k.anchored, mb)
			} else {
				k.others = append(k.others, mb)
				k.otherRules = append(k.otherRules, mb.rule)
			}
			switch {
			case mb.negatable:
				k.flags |= memberNegatable
			default:
				k.flags |= memberFirm
			}
			if mb.group == 0 {
				k.flags |= memberFirst
				if !mb.negatable {
					k.flags |= memberFirstFirm
				}
			}
		}
	}
}

// noteNegAfter records the length and the first bytes of a NegationAfter
// word, as its matches can be written (see caseVariants).
func (c *compiled) noteNegAfter(text string) {
	c.maxNegAfter = max(c.maxNegAfter, len(text))
	for _, v := range caseVariants(text) {
		first := []byte{v[0]}
		if v[0] >= 'a' && v[0] <= 'z' {
			first = append(first, v[0]-'a'+'A')
		}
		for _, b := range first {
			if !c.negAfterFirst[b] {
				c.negAfterFirst[b] = true
				c.negAfterBytes = append(c.negAfterBytes, b)
			}
		}
	}
}

func packErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidPack}, args...)...)
}

// normalizeKeyword lowercases letters (ASCII and U+00C0-U+00DE), turns
// runs of non-word bytes into one space and trims; it reports a trailing
// '*' (prefix) and a leading one (infix). A keyword holding a CJK
// character is both.
func normalizeKeyword(raw string) (text string, prefix, infix bool, err error) {
	s := strings.TrimSpace(raw)
	if strings.HasSuffix(s, "*") {
		prefix = true
		s = strings.TrimSuffix(s, "*")
	}
	if strings.HasPrefix(s, "*") {
		infix = true
		s = strings.TrimPrefix(s, "*")
	}
	// The text is scanned normalised (normalize.go), so its keywords are
	// too: "¿dónde" must match where the text's '¿' became '?'.
	if from := normStart(s); from >= 0 {
		b, _ := normalize(s, from, nil, nil)
		s = string(b)
	}
	s = lowerLatin1(s)
	for _, r := range s {
		if isCJKRune(r) {
			infix, prefix = true, true
			break
		}
	}
	var b strings.Builder
	sep := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '*' {
			return "", false, false, fmt.Errorf("%q: '*' is only allowed at the start and the end", raw)
		}
		if isWordByte(c) {
			if sep && b.Len() > 0 {
				b.WriteByte(' ')
			}
			sep = false
			b.WriteByte(lower(c))
			continue
		}
		sep = true
	}
	if b.Len() == 0 {
		return "", false, false, fmt.Errorf("%q: no word characters", raw)
	}
	return b.String(), prefix, infix, nil
}

// markNested sets keyword.nested on every keyword that may lie inside a
// match of a longer hiding keyword, so the analysis looks for a hiding
// match only around those: a whole-word keyword that is a run of whole
// words of a longer one, and every keyword that matches inside words or
// ends inside one (it is rare, and checking it is not worth the time).
func markNested(kws []keyword) {
	index := make(map[string]int, len(kws))
	for i, k := range kws {
		if k.infix || k.prefix {
			kws[i].nested = true
			continue
		}
		index[k.text] = i
	}
	for _, o := range kws {
		if !o.hides && !o.hidesNegation || o.nWords < 2 && !o.infix && !o.prefix {
			continue
		}
		words := keywordWords(o.text)
		for a := range words {
			for b := a + 1; b <= len(words); b++ {
				if i, ok := index[strings.Join(words[a:b], " ")]; ok && len(kws[i].text) < len(o.text) {
					kws[i].nested = true
				}
			}
		}
	}
}

// keywordWords splits a normalised keyword into the words the automaton
// sees: at its spaces and where ASCII and CJK meet (see scriptBoundary).
func keywordWords(text string) []string {
	var words []string
	from := 0
	for i := 0; i < len(text); i++ {
		switch {
		case text[i] == ' ':
			words = append(words, text[from:i])
			from = i + 1
		case scriptBoundary(text, i):
			words = append(words, text[from:i])
			from = i
		}
	}
	return append(words, text[from:])
}

// lowerLatin1 lowercases the capitals U+00C0-U+00DE (except U+00D7, the
// multiplication sign).
func lowerLatin1(s string) string {
	if !strings.Contains(s, "\xc3") {
		return s
	}
	b := []byte(s)
	for i := 0; i+1 < len(b); i++ {
		if b[i] == 0xC3 && b[i+1] >= 0x80 && b[i+1] <= 0x9E && b[i+1] != 0x97 {
			b[i+1] += 0x20
		}
	}
	return string(b)
}

// isCJKRune reports whether r is a Han, kana or Hangul character or CJK
// punctuation.
func isCJKRune(r rune) bool {
	return r >= 0x3000 && r <= 0x9FFF || r >= 0xAC00 && r <= 0xD7AF || r >= 0xF900 && r <= 0xFAFF || r >= 0xFF00 && r <= 0xFFEF
}

// validLang reports whether s looks like an ISO 639 code: two or three
// lowercase ASCII letters.
func validLang(s string) bool {
	if len(s) < 2 || len(s) > 3 {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyz") == ""
}

func compilePack(p *Pack) (*compiled, error) {
	if p == nil {
		return nil, packErr("nil pack")
	}
	if p.Version != 1 {
		return nil, packErr("version %d, want 1", p.Version)
	}
	if p.DefaultDomain == "" {
		return nil, packErr("default_domain is empty")
	}
	if p.DefaultPriority < 0 || p.DefaultPriority > 10 {
		return nil, packErr("default_priority %d outside 0-10", p.DefaultPriority)
	}
	if p.EnrichBelow < 0 || p.EnrichBelow > 1 {
		return nil, packErr("enrich_below %v outside 0-1", p.EnrichBelow)
	}
	if len(p.Events) == 0 {
		return nil, packErr("no events")
	}
	if p.NegationWindow < 0 {
		return nil, packErr("negation_window %d is negative", p.NegationWindow)
	}
	c := &compiled{
		defDomain:   p.DefaultDomain,
		defPrio:     p.DefaultPriority,
		enrichBelow: int(p.EnrichBelow*100 + 0.5),
		negWindow:   p.NegationWindow,
	}
	if c.negWindow == 0 {
		c.negWindow = defaultNegationWindow
	}
	index := map[string]int{}
	intern := func(where, raw string) (int, error) {
		text, prefix, infix, err := normalizeKeyword(raw)
		if err != nil {
			return 0, packErr("%s: %w", where, err)
		}
		key := writtenForm(text, prefix, infix)
		if id, ok := index[key]; ok {
			return id, nil
		}
		id := len(c.kws)
		index[key] = id
		c.kws = append(c.kws, keyword{text: text, prefix: prefix, infix: infix, nWords: strings.Count(text, " ") + 1})
		return id, nil
	}
	for _, stop := range []struct {
		text string
		role kwRole
		id   *int32
	}{{sentenceStop, roleStop, &c.stopKW}, {clauseStop, roleClause, &c.clauseKW}} {
		id, err := intern("sentence stop", stop.text)
		if err != nil {
			return nil, err
		}
		c.kws[id].roles |= stop.role
		*stop.id = int32(id)
	}
	// The negation lists, per language, in the order of the languages.
	for _, list := range []struct {
		name  string
		words map[string][]string
		role  kwRole
	}{{"negation", p.Negation, roleNegation}, {"negation_after", p.NegationAfter, roleNegAfter}} {
		for _, lang := range slices.Sorted(maps.Keys(list.words)) {
			if !validLang(lang) {
				return nil, packErr("%s: language %q: want an ISO 639 code of two or three lowercase letters", list.name, lang)
			}
			for i, w := range list.words[lang] {
				id, err := intern(fmt.Sprintf("%s[%s][%d]", list.name, lang, i), w)
				if err != nil {
					return nil, err
				}
				c.kws[id].roles |= list.role
				if list.role == roleNegAfter {
					c.noteNegAfter(c.kws[id].text)
				}
			}
		}
	}
	for _, list := range []struct {
		name  string
		words []string
		role  kwRole
	}{
		{"urgency", p.Urgency, roleUrgency},
		{"location", p.Location, roleLocation},
		{"timestamp", p.Timestamp, roleTimestamp},
		{"neutral", p.Neutral, roleNeutral},
	} {
		for i, w := range list.words {
			id, err := intern(fmt.Sprintf("%s[%d]", list.name, i), w)
			if err != nil {
				return nil, err
			}
			c.kws[id].roles |= list.role
		}
	}
	names := map[string]bool{}
	type eventRef struct {
		rule  int32
		where string
		field string
		names []string
	}
	var eventRefs []eventRef
	for ei, ev := range p.Events {
		where := fmt.Sprintf("events[%d]", ei)
		if ev.Type == "" || strings.Trim(ev.Type, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			return nil, packErr("%s.type %q: want a non-empty name of [a-z0-9_]", where, ev.Type)
		}
		if names[ev.Type] {
			return nil, packErr("%s.type %q: duplicate", where, ev.Type)
		}
		names[ev.Type] = true
		if ev.Priority < 0 || ev.Priority > 10 {
			return nil, packErr("%s.priority %d outside 0-10", where, ev.Priority)
		}
		if len(ev.Rules) == 0 {
			return nil, packErr("%s: no rules", where)
		}
		c.events = append(c.events, compiledEvent{name: ev.Type, priority: ev.Priority, domain: ev.Domain})
		var evUnless []int
		for ui, w := range ev.Unless {
			id, err := intern(fmt.Sprintf("%s.unless[%d]", where, ui), w)
			if err != nil {
				return nil, err
			}
			if slices.Contains(evUnless, id) {
				return nil, packErr("%s.unless[%d] %q: duplicate", where, ui, w)
			}
			evUnless = append(evUnless, id)
		}
		for ri, r := range ev.Rules {
			rwhere := fmt.Sprintf("%s.rules[%d]", where, ri)
			if r.Lang != "" && !validLang(r.Lang) {
				return nil, packErr("%s.lang %q: want an ISO 639 code of two or three lowercase letters", rwhere, r.Lang)
			}
			var groups [][]string
			window := 0
			switch {
			case len(r.Any) > 0 && len(r.All) > 0:
				return nil, packErr("%s: both any and all are set", rwhere)
			case len(r.Any) > 0:
				if r.Window != 0 {
					return nil, packErr("%s: window is only for all", rwhere)
				}
				groups = [][]string{r.Any}
			case len(r.All) > 0:
				if len(r.All) < 2 {
					return nil, packErr("%s.all: want at least two groups (use any for one)", rwhere)
				}
				if r.Window < 0 {
					return nil, packErr("%s.window %d is negative", rwhere, r.Window)
				}
				window = r.Window
				if window == 0 {
					window = 6
				}
				groups = r.All
			default:
				return nil, packErr("%s: neither any nor all is set", rwhere)
			}
			rule := compiledRule{event: ei, negatable: !r.IgnoreNegation, groups: len(groups), window: window, base: c.totalGroups}
			ruleID := int32(len(c.rules))
			c.rules = append(c.rules, rule)
			c.totalGroups += len(groups)
			seen := map[int]int{}
			for gi, g := range groups {
				if len(g) == 0 {
					return nil, packErr("%s group %d is empty", rwhere, gi)
				}
				for ki, w := range g {
					id, err := intern(fmt.Sprintf("%s group %d keyword %d", rwhere, gi, ki), w)
					if err != nil {
						return nil, err
					}
					if prev, ok := seen[id]; ok {
						if prev != gi {
							return nil, packErr("%s: keyword %q is in groups %d and %d", rwhere, w, prev, gi)
						}
						continue
					}
					seen[id] = gi
					c.kws[id].members = append(c.kws[id].members, membership{
						rule: ruleID, group: int32(gi),
						first: int32(rule.base), end: int32(rule.base + rule.groups),
						window: int32(min(rule.window, math.MaxInt32)), negatable: rule.negatable,
					})
				}
			}
			if len(r.UnlessEvents) > 0 {
				eventRefs = append(eventRefs, eventRef{ruleID, rwhere, "unless_events", r.UnlessEvents})
			}
			if len(r.IfEvents) > 0 {
				eventRefs = append(eventRefs, eventRef{ruleID, rwhere, "if_events", r.IfEvents})
			}
			for ui, w := range r.Unless {
				id, err := intern(fmt.Sprintf("%s.unless[%d]", rwhere, ui), w)
				if err != nil {
					return nil, err
				}
				if _, ok := seen[id]; ok {
					return nil, packErr("%s: keyword %q is both a keyword and an unless word", rwhere, w)
				}
				if slices.Contains(evUnless, id) {
					return nil, packErr("%s.unless[%d] %q: also in %s.unless", rwhere, ui, w, where)
				}
				c.kws[id].vetoes = true
				if u := &c.rules[ruleID].unless; !slices.Contains(*u, int32(id)) {
					*u = append(*u, int32(id))
				}
			}
			for _, id := range evUnless {
				if _, ok := seen[id]; !ok {
					c.kws[id].vetoes = true
					c.rules[ruleID].unless = append(c.rules[ruleID].unless, int32(id))
				}
			}
		}
	}
	eventIndex := make(map[string]int32, len(c.events))
	for ei, ev := range c.events {
		eventIndex[ev.name] = int32(ei)
	}
	for _, ref := range eventRefs {
		rule := &c.rules[ref.rule]
		list := &rule.unlessEvents
		if ref.field == "if_events" {
			list = &rule.ifEvents
		}
		for i, name := range ref.names {
			ei, ok := eventIndex[name]
			switch {
			case !ok:
				return nil, packErr("%s.%s[%d] %q: no such event type", ref.where, ref.field, i, name)
			case int(ei) == rule.event:
				return nil, packErr("%s.%s[%d] %q: the rule's own event type", ref.where, ref.field, i, name)
			case slices.Contains(*list, ei):
				return nil, packErr("%s.%s[%d] %q: duplicate", ref.where, ref.field, i, name)
			case slices.Contains(rule.unlessEvents, ei) || slices.Contains(rule.ifEvents, ei):
				return nil, packErr("%s.%s[%d] %q: in both unless_events and if_events", ref.where, ref.field, i, name)
			}
			*list = append(*list, ei)
		}
	}
	for ei, ev := range p.Events {
		if ev.Score != nil {
			if err := c.compileScore(int32(ei), fmt.Sprintf("events[%d].score", ei), ev.Score, index); err != nil {
				return nil, err
			}
		}
	}
	for i := range c.kws {
		k := &c.kws[i]
		// A neutral phrase, a word with a role and a keyword of an Any
		// rule hide the shorter keywords inside them. A word of an All
		// rule's group hides only negation words ("not working" is no
		// negation): "with a knife" among the words of one rule must not
		// hide "knife" from another. A word that only stops rules hides
		// nothing.
		k.hides = k.roles != 0
		for _, mb := range k.members {
			if c.rules[mb.rule].groups == 1 {
				k.hides = true
			}
		}
		k.hidesNegation = k.hides || len(k.members) > 0
		c.maxWords = max(c.maxWords, k.nWords)
		c.maxSpan = max(c.maxSpan, 2*len(k.text))
	}
	markNested(c.kws)
	c.anchorRules()
	c.packHot()
	// Rank events: priority descending, then pack order.
	c.byRank = make([]int, len(c.events))
	for i := range c.byRank {
		c.byRank[i] = i
	}
	for i := 1; i < len(c.byRank); i++ { // insertion sort: stable, small
		for j := i; j > 0 && c.events[c.byRank[j]].priority > c.events[c.byRank[j-1]].priority; j-- {
			c.byRank[j], c.byRank[j-1] = c.byRank[j-1], c.byRank[j]
		}
	}
	for rank, ei := range c.byRank {
		c.events[ei].order = rank
	}
	if err := c.auto.build(c.kws, false); err != nil {
		return nil, packErr("%w", err)
	}
	return c, nil
}
