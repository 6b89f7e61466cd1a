package eventizer

import (
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
