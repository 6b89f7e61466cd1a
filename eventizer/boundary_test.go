package eventizer

import (
	"fmt"
	"testing"
	"unicode/utf8"
)

// TestBoundaryLeadAgreesWithDecoding checks wordAt and wordBefore, which
// answer from the lead byte for CJK, kana and Hangul, against decoding the
// rune, for every two bytes after every such lead byte (invalid sequences
// included).
func TestBoundaryLeadAgreesWithDecoding(t *testing.T) {
	decoded := func(r rune) bool {
		if r < 0x80 {
			return wordTable[r]
		}
		return latinWord(r)
	}
	for lead := range 256 {
		if !boundaryLead[lead] {
			continue
		}
		for b1 := range 256 {
			for b2 := range 256 {
				s := string([]byte{'a', byte(lead), byte(b1), byte(b2), 'z'})
				sc := &scan{s: s}
				r, _ := utf8.DecodeRuneInString(s[1:])
				if got, want := sc.wordAt(1), decoded(r); got != want {
					t.Fatalf("wordAt(% x) = %v, want %v", s[1:4], got, want)
				}
				r, _ = utf8.DecodeLastRuneInString(s[:4])
				if got, want := sc.wordBefore(4), decoded(r); got != want {
					t.Fatalf("wordBefore(% x) = %v, want %v", s[1:4], got, want)
				}
			}
		}
	}
}

// TestNormCandidateAgreesWithDecoding checks normStart and normalize, which
// decode only the candidate runes and by hand, against decoding every
// candidate with utf8.DecodeRuneInString, for every two bytes after every
// candidate lead byte, also cut short at the end of the text.
func TestNormCandidateAgreesWithDecoding(t *testing.T) {
	refNormalize := func(s string) (string, []normEdit) {
		var buf []byte
		var edits []normEdit
		i, run := 0, 0
		for i < len(s) {
			if !maybeNorm(s, i) {
				i++
				continue
			}
			r, n := utf8.DecodeRuneInString(s[i:])
			b, drop, ok := normRune(r)
			if !ok {
				i += n
				continue
			}
			buf = append(buf, s[run:i]...)
			if !drop {
				buf = append(buf, b)
			}
			i += n
			run = i
			edits = append(edits, normEdit{at: int32(len(buf)), delta: int32(i - len(buf))})
		}
		return string(append(buf, s[run:]...)), edits
	}
	check := func(s string) {
		want, wantEdits := refNormalize(s)
		from := normStart(s)
		if (from >= 0) != (len(wantEdits) > 0) {
			t.Fatalf("normStart(% x) = %d, reference edits %v", s, from, wantEdits)
		}
		if from < 0 {
			return
		}
		got, gotEdits := normalize(s, from, nil, nil)
		if string(got) != want || fmt.Sprint(gotEdits) != fmt.Sprint(wantEdits) {
			t.Fatalf("normalize(% x) = % x %v, want % x %v", s, got, gotEdits, want, wantEdits)
		}
	}
	for _, lead := range []byte{0xC2, 0xE2, 0xE3, 0xEF} {
		check(string([]byte{'a', lead}))
		for b1 := range 256 {
			check(string([]byte{'a', lead, byte(b1)}))
			for b2 := range 256 {
				check(string([]byte{'a', lead, byte(b1), byte(b2)}))
				check(string([]byte{'a', lead, byte(b1), byte(b2), 0xEF, 0xBC, 0xA0, 'z'}))
			}
		}
	}
}

// TestHasNormLead checks the word-at-a-time test against normLead (and,
// for 0xE3, the byte after) for every byte at every position among
// fillers next to the wanted bytes, and for every pair of bytes after an
// 0xE3.
func TestHasNormLead(t *testing.T) {
	for _, fill := range []byte{0x00, 'a', 0x80, 0xA0, 0xC1, 0xC3, 0xE1, 0xE4, 0xEE, 0xF0, 0xFF} {
		for p := range 8 {
			for b := range 256 {
				w := make([]byte, 8)
				for k := range w {
					w[k] = fill
				}
				w[p] = byte(b)
				checkHasNormLead(t, w)
			}
		}
	}
	for p := range 7 {
		for b := range 256 {
			for c := range 256 {
				w := []byte("abcdefgh")
				w[p], w[p+1] = 0xE3, byte(b)
				if p+2 < 8 {
					w[p+2] = byte(c)
				}
				checkHasNormLead(t, w)
			}
		}
	}
}

// checkHasNormLead compares hasNormLead on the 8 bytes of w with a test
// of each byte.
func checkHasNormLead(t *testing.T, w []byte) {
	t.Helper()
	want := false
	for k, c := range w {
		want = want || normLead[c] && (c != 0xE3 || k == 7 || w[k+1] == 0x80)
	}
	if got := hasNormLead(load64(string(w), 0)); got != want {
		t.Fatalf("hasNormLead(% x) = %v, want %v", w, got, want)
	}
}

// TestFullWidth checks the direct conversion of full-width forms against
// normRune for every EF c1 c2.
func TestFullWidth(t *testing.T) {
	for c1 := range 256 {
		for c2 := range 256 {
			s := string([]byte{0xEF, byte(c1), byte(c2)})
			r, n := utf8.DecodeRuneInString(s)
			want, drop, ok := normRune(r)
			if n != 3 || drop || !ok || r < 0xFF01 {
				want = 0
			}
			if got := fullWidth(byte(c1), byte(c2)); got != want {
				t.Fatalf("fullWidth(% x) = %q, want %q", s, got, want)
			}
		}
	}
}
