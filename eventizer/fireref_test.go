package eventizer

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fireRulesReference is fireRules as it was before rules were armed by
// their anchor group: every keyword updates every rule group it belongs
// to at each match. TestEvaluateReference checks that fireRules gives
// the same results.
func (a *Analyzer) fireRulesReference(sc *scratch, r *Result) (doubt, evidence bool) {
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
		sc.nextSent = 0
	}
	sent := sc.nextSent + 1
	negWord, negEnd, negSent := int32(0), int32(0), int32(-1)
	negAfter := false
	for _, b := range c.negAfterBytes {
		if strings.IndexByte(sc.scan.s, b) >= 0 {
			negAfter = true
			break
		}
	}
	for x, mt := range sc.matches {
		if sc.suppressed[x] {
			continue
		}
		kw := &c.kws[mt.kw]
		if kw.roles != 0 {
			r.Attributes.HasUrgency = r.Attributes.HasUrgency || kw.roles&roleUrgency != 0
			r.Attributes.HasLocation = r.Attributes.HasLocation || kw.roles&roleLocation != 0
			r.Attributes.HasTimestamp = r.Attributes.HasTimestamp || kw.roles&roleTimestamp != 0
			switch {
			case kw.roles&roleStop != 0:
				doubt = a.commitSentence(sc, sent) || doubt
				sent++
				continue
			case kw.roles&roleClause != 0:
				negSent = -1
				continue
			case kw.roles&roleNegation != 0:
				negWord, negEnd, negSent = mt.endWord, mt.endByte, sent
				if len(kw.members) == 0 {
					continue
				}
			case kw.roles&roleNegAfter != 0 && len(kw.members) == 0:
				continue
			}
		}
		if len(kw.members) == 0 && !kw.vetoes {
			continue
		}
		negated := false
		// A negation word reaches the keywords that start after it ("no"
		// in "without a badge" negates nothing there).
		if start := mt.endWord - int32(kw.nWords) + 1; negSent == sent && kw.roles&roleNegation == 0 &&
			start-negWord <= int32(c.negWindow) && mt.endByte-int32(len(kw.text)) >= negEnd ||
			negAfter && kw.roles&roleNegAfter == 0 && a.negatedAfter(sc, x) {
			negated = true
			sc.suppressed[x] = true // listed only if a rule ignoring negation uses it
		} else {
			if kw.vetoes {
				sc.kwSent[mt.kw] = sent
			}
		}
		for _, mb := range kw.members {
			if negated {
				if mb.negatable {
					doubt = true
					continue
				}
				sc.suppressed[x] = false
			}
			evidence = evidence || mb.group == 0
			g := mb.first + mb.group
			sc.lastPos[g], sc.lastSent[g] = mt.endWord, sent
			if sc.pendMark[mb.rule] == sent+1 {
				continue
			}
			ok := true
			for g := mb.first; g < mb.end; g++ {
				if sc.lastSent[g] != sent || sc.lastPos[g] < mt.endWord-mb.window {
					ok = false
					break
				}
			}
			if ok {
				sc.pendMark[mb.rule] = sent + 1
				sc.pending = append(sc.pending, mb.rule)
			}
		}
	}
	sc.nextSent = sent + 1
	doubt = a.commitSentence(sc, sent) || doubt
	a.commitDeferred(sc)
	return doubt, evidence
}

// suppressNestedReference is suppressNested as it was when it looked
// from every nested match forward for a hiding one.
func (a *Analyzer) suppressNestedReference(sc *scratch) {
	c := a.c
	m := sc.matches
	sup := sc.suppressed[:0]
	for range m {
		sup = append(sup, false)
	}
	sc.suppressed = sup
	const ends = roleStop | roleClause
	for x := range m {
		kx := &c.kws[m[x].kw]
		if !kx.nested || kx.roles&ends != 0 {
			continue
		}
		startX := m[x].endWord - int32(kx.nWords) + 1
		byteX := m[x].endByte - int32(len(kx.text))
		for y := x + 1; y < len(m) && m[y].endWord-m[x].endWord < int32(c.maxWords) && m[y].endByte-m[x].endByte <= int32(c.maxSpan); y++ {
			ky := &c.kws[m[y].kw]
			if ky.roles&ends != 0 || !refHides(ky, kx) {
				continue
			}
			startY := m[y].endWord - int32(ky.nWords) + 1
			if ky.nWords > kx.nWords && startY <= startX ||
				len(ky.text) > len(kx.text) && m[y].endByte-int32(len(ky.text)) <= byteX {
				sup[x] = true
				break
			}
		}
		for y := x - 1; y >= 0 && m[y].endByte == m[x].endByte && !sup[x]; y-- {
			// Same end, longer pattern reported earlier at this byte.
			ky := &c.kws[m[y].kw]
			if refHides(ky, kx) && m[y].endByte == m[x].endByte && len(ky.text) > len(kx.text) {
				sup[x] = true
			}
		}
	}
}

// TestEvaluateReference checks that suppressNested, which looks back
// from the hiding matches, hides what looking forward from every nested
// match hid, and that fireRules, which counts a keyword in
// a rule's other groups only once the rule's anchor group has occurred in
// the sentence, gives what counting every keyword in every group gave, on
// every text of the event sets, of the evaluation set and of the
// benchmarks, and on long texts made of them (many sentences, and
// sentences of hundreds of matches).
func TestEvaluateReference(t *testing.T) {
	t.Parallel()
	a := newDefault(t)
	var texts []string
	files, err := filepath.Glob("testdata/events/*.tsv")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		for _, d := range readEventSet(t, f) {
			texts = append(texts, d.text)
		}
	}
	for _, d := range parseEvalSet(t, "testdata/evalset.labelled") {
		texts = append(texts, d.text)
	}
	n := len(texts)
	for i := 0; i+40 <= n; i += 40 {
		texts = append(texts, strings.Join(texts[i:i+40], " "))
		// One sentence: the stops removed.
		texts = append(texts, strings.NewReplacer(". ", " ", "。", " ", "! ", " ", "? ", " ", "\n", " ").Replace(strings.Join(texts[i:i+40], " ")))
	}
	texts = append(texts, benchText(16<<10, false), benchText(16<<10, true), realisticText(t, 16<<10),
		strings.Repeat("password:x key=y token:z ", 700))
	for _, sh := range adversarialShapes {
		texts = append(texts, strings.Repeat(sh.unit, 200))
	}
	got, want := a.pool.Get().(*scratch), a.pool.New().(*scratch)
	defer a.pool.Put(got)
	for i, text := range texts {
		var r Result
		got.scan = scan{findings: got.scan.findings[:0]}
		a.scanText(got, text, len(text), &r)
		a.suppressNested(got)
		want.scan = got.scan
		want.matches = append(want.matches[:0], got.matches...)
		a.suppressNestedReference(want)
		if !slices.Equal(got.suppressed, want.suppressed) {
			t.Fatalf("text %d (%d matches): suppressNested differs\n%.300s", i, len(got.matches), text)
		}
		rg, rw := r, r
		dg, eg := a.fireRules(got, &rg)
		dw, ew := a.fireRulesReference(want, &rw)
		if dg != dw || eg != ew || rg.Attributes != rw.Attributes || !slices.Equal(got.fired, want.fired) ||
			!slices.Equal(got.evFired, want.evFired) || !slices.Equal(got.suppressed, want.suppressed) {
			t.Fatalf("text %d (%d matches): doubt %v/%v evidence %v/%v fired equal %v, suppressed equal %v\n%.300s",
				i, len(got.matches), dg, dw, eg, ew, slices.Equal(got.fired, want.fired),
				slices.Equal(got.suppressed, want.suppressed), text)
		}
	}
	t.Logf("%d texts", len(texts))
}

// refHides is hides as it was, on whole keywords.
func refHides(long, short *keyword) bool {
	return long.hides || long.hidesNegation && short.roles&roleNegation != 0
}
