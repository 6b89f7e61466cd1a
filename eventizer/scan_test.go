package eventizer

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The keyword automaton's table is laid out by class (see automaton). These
// tests hold the scan to the scan over the table laid out by state, one
// power-of-two-wide row per state, that it replaced (refScanText): the same
// matches in the same order, the same findings and word counts.

// rowAutomaton is the automaton with its table laid out by state.
// refAccept marks, in a reference entry, a transition into a state with
// keywords.
const refAccept = 1 << 31

type rowAutomaton struct {
	class    [256]uint8
	delta    []uint32 // row+class: the next state's number | refAccept
	shift    uint     // rows are 1<<shift wide
	outStart []int32
	outIDs   []int32
	start    uint32 // the row of the state after the leading separator
}

// refAutomaton lays c's automaton out by state.
func refAutomaton(t testing.TB, c *compiled) *rowAutomaton {
	t.Helper()
	au := &c.auto
	ns := len(au.outStart) - 1
	ra := &rowAutomaton{class: au.class, outStart: au.outStart}
	for _, o := range au.outs {
		ra.outIDs = append(ra.outIDs, o>>1)
	}
	for 1<<ra.shift < au.nclass {
		ra.shift++
	}
	ra.delta = make([]uint32, ns<<ra.shift)
	for s := 0; s < ns; s++ {
		for cl := 0; cl < au.nclass; cl++ {
			// The reference marks the transitions into a state with
			// keywords, as the table laid out by state did.
			v := uint32(au.next(s, cl))
			if au.outStart[v+1] > au.outStart[v] {
				v |= refAccept
			}
			ra.delta[s<<ra.shift+cl] = v
		}
	}
	ra.start = au.start << ra.shift
	return ra
}

// scanBoth runs the scan and the reference scan on text and reports a
// difference.
func scanBoth(t testing.TB, a *Analyzer, ref *rowAutomaton, text string, cut int) {
	t.Helper()
	sc1 := a.pool.Get().(*scratch)
	sc2 := a.pool.Get().(*scratch)
	defer a.pool.Put(sc1)
	defer a.pool.Put(sc2)
	var r1, r2 Result
	end1 := a.scanText(sc1, text, cut, &r1)
	end2 := a.refScanText(ref, sc2, text, cut, &r2)
	if end1 != end2 || r1.Attributes != r2.Attributes ||
		!slices.Equal(sc1.matches, sc2.matches) || !slices.Equal(sc1.scan.findings, sc2.scan.findings) {
		t.Fatalf("scan of %q (cut %d) differs from the scan over rows:\nend %d %d\nattributes %+v %+v\nmatches  %v\nwant     %v\nfindings %v\nwant     %v",
			text, cut, end1, end2, r1.Attributes, r2.Attributes, sc1.matches, sc2.matches, sc1.scan.findings, sc2.scan.findings)
	}
	sc1.scan = scan{findings: sc1.scan.findings[:0]}
	sc2.scan = scan{findings: sc2.scan.findings[:0]}
}

// refScanText is scanText over the table laid out by state.
func (a *Analyzer) refScanText(au *rowAutomaton, sc *scratch, s string, cut int, r *Result) int {
	sh := au.shift
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
				if f&(sepStop|sepClause) != 0 {
					a.sentenceEnd(sc, s, i)
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
		if scriptBoundary(s, i) {
			// ASCII and CJK meet: a separator's step, which leads to no
			// state with keywords.
			st = int(delta[st+classSep]&^refAccept) << sh
		}
		e := delta[st+int(c)]
		st = int(e&^refAccept) << sh
		if e&refAccept == 0 {
			continue
		}
		// A keyword ends here: keep those that end a word.
		atEnd := i+1 == n || cls[s[i+1]] == classSep || scriptBoundary(s, i+1)
		state := st >> sh
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

// matcherTexts are the texts of the package's test sets and benchmarks.
func matcherTexts(t testing.TB) []string {
	var texts []string
	for _, f := range []string{"tuning.tsv", "heldout.tsv", "extra.tsv"} {
		for _, d := range readEventSet(t, "testdata/events/"+f) {
			texts = append(texts, d.text)
		}
	}
	for _, d := range parseEvalSet(t, "testdata/evalset.labelled") {
		texts = append(texts, d.text)
	}
	for _, d := range genCorpus(7, 2000) {
		texts = append(texts, d.text)
	}
	texts = append(texts, realisticText(t, 16<<10), benchText(4<<10, false), benchText(4<<10, true))
	for _, sh := range adversarialShapes {
		texts = append(texts, strings.Repeat(sh.unit, 64))
	}
	return texts
}

// TestScanMatchesRowLayout holds the scan to the reference, with the
// pack's table (16-bit entries while its states fit) and with the same
// automaton in 32-bit entries, which a pack of more than 1<<16 states
// gets.
func TestScanMatchesRowLayout(t *testing.T) {
	a := newDefault(t)
	ref := refAutomaton(t, a.c)
	texts := matcherTexts(t)
	t.Run("pack", func(t *testing.T) { scanTexts(t, a, ref, texts) })
	t.Run("32-bit", func(t *testing.T) {
		wide := withWide(t, a)
		require.Nil(t, wide.c.auto.delta16)
		scanTexts(t, wide, ref, texts)
	})
}

// withWide returns an analyzer like a whose automaton has 32-bit entries.
func withWide(t testing.TB, a *Analyzer) *Analyzer {
	t.Helper()
	c := *a.c
	c.auto = automaton{}
	require.NoError(t, c.auto.build(c.kws, true))
	b, err := New(Options{})
	require.NoError(t, err)
	b.c = &c
	return b
}

// scanTexts runs scanBoth over texts, over pairs of them joined and cased
// in several ways or cut apart, and over random keyword texts.
func scanTexts(t *testing.T, a *Analyzer, ref *rowAutomaton, texts []string) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, text := range texts {
		scanBoth(t, a, ref, text, len(text))
		if len(text) > 1 {
			scanBoth(t, a, ref, text, runeCut(text, rng.IntN(len(text))))
		}
	}
	// Texts joined without their separators, lowercased, uppercased and
	// cut apart at random bytes.
	for k := 0; k < 3000; k++ {
		x, y := texts[rng.IntN(len(texts))], texts[rng.IntN(len(texts))]
		text := x + y
		switch k % 4 {
		case 0:
			text = strings.ToUpper(text)
		case 1:
			text = strings.ReplaceAll(strings.ToLower(text), " ", "")
		case 2:
			if len(x) > 0 && len(y) > 0 {
				text = x[rng.IntN(len(x)):] + y[:rng.IntN(len(y))]
			}
		}
		scanBoth(t, a, ref, text, len(text))
	}
	random := 20000
	if raceEnabled {
		random = 2000
	}
	for k := 0; k < random; k++ {
		text := randomKeywordText(rng, a.c.kws)
		scanBoth(t, a, ref, text, len(text))
		if len(text) > 0 {
			scanBoth(t, a, ref, text, runeCut(text, rng.IntN(len(text))))
		}
	}
}

// matcherPieces are what random texts are made of besides keywords.
var matcherPieces = []string{
	" ", " ", " ", "  ", ", ", ". ", "; ", "\n", "-", "'", "@", "=", ":", "+", "(", ")", "/", "_",
	"a", "s", "x", "de", "ung", "heiz", "zentral", "0", "42", "4111 1111 1111 1111", "me@example.com",
	"password=hunter22", "192.168.0.1", "+49 30 1234567", "é", "É", "ü", "Ü", "ß", "。", "、", "的", "が",
}

// randomKeywordText joins keywords of the pack, written in random case,
// cut short or run together, with pieces of other text.
func randomKeywordText(rng *rand.Rand, kws []keyword) string {
	var b strings.Builder
	for n := rng.IntN(12); n >= 0; n-- {
		if rng.IntN(3) == 0 {
			b.WriteString(matcherPieces[rng.IntN(len(matcherPieces))])
			continue
		}
		w := kws[rng.IntN(len(kws))].text
		switch rng.IntN(6) {
		case 0:
			w = strings.ToUpper(w)
		case 1:
			vs := caseVariants(w)
			w = vs[rng.IntN(len(vs))]
		case 2:
			w = w[:rng.IntN(len(w)+1)]
		case 3:
			w = w[rng.IntN(len(w)):]
		}
		b.WriteString(w)
		if rng.IntN(4) != 0 {
			b.WriteString(matcherPieces[rng.IntN(4)])
		}
	}
	return b.String()
}

func FuzzScanLayout(f *testing.F) {
	for _, s := range []string{"Zentralheizung kaputt", "vip客人到了。火灾", "the Übung, ÜBUNG and übung", "kein Notfall; fire drill"} {
		f.Add(s)
	}
	a := newDefault(f)
	ref := refAutomaton(f, a.c)
	wide := withWide(f, a)
	f.Fuzz(func(t *testing.T, text string) {
		for _, a := range []*Analyzer{a, wide} {
			scanBoth(t, a, ref, text, len(text))
			scanBoth(t, a, ref, text, runeCut(text, len(text)/2))
		}
	})
}
