package eventizer

import (
	"sort"
	"unicode"
)

// Detection runs on a normalised copy of the text when the text holds
// characters that disguise a value without changing what a reader sees:
// zero-width characters and the soft hyphen are dropped, the Unicode
// spaces (no-break, narrow, thin, figure, ideographic, ...) become ' ',
// the Unicode hyphens, dashes and the minus sign become '-', and the
// full-width forms of ASCII (U+FF01-U+FF5E: "＠", "：", "１２３") become
// ASCII. Typographic punctuation becomes its ASCII form too, so that it
// separates words as the ASCII form does ("l’incendie", "¿Hay humo?",
// "«fuego»"): the curly quotes and apostrophes become '\'' and '"', the
// guillemets '"', the inverted marks '!' and '?', the ellipsis '.'.
// Keywords are normalised the same way. Each byte of the copy remembers
// where it came from, so findings are reported and redacted on the
// original bytes. Text without such characters (most of it) is scanned
// as it is.

// normRune returns what a non-ASCII rune becomes in the normalised copy:
// its replacement byte, or drop=true to remove it; ok=false keeps it.
func normRune(r rune) (b byte, drop, ok bool) {
	switch {
	case r == 0x00A0, r >= 0x2000 && r <= 0x200A, r == 0x202F, r == 0x205F, r == 0x3000:
		return ' ', false, true
	case r == 0x00AD, r >= 0x200B && r <= 0x200D, r == 0x2060, r == 0xFEFF:
		return 0, true, true
	case r >= 0x2010 && r <= 0x2015, r == 0x2212:
		return '-', false, true
	case r >= 0x2018 && r <= 0x201B:
		return '\'', false, true
	case r >= 0x201C && r <= 0x201F, r == 0x00AB, r == 0x00BB:
		return '"', false, true
	case r == 0x00A1:
		return '!', false, true
	case r == 0x00BF:
		return '?', false, true
	case r == 0x2026:
		return '.', false, true
	case r >= 0xFF01 && r <= 0xFF5E:
		return byte(r - 0xFF01 + 0x21), false, true
	}
	return 0, false, false
}

// normStart returns the offset of the first rune of s that normRune
// changes, or -1. Eight bytes at a time are skipped when none of them is a
// lead byte of the changed runes (0xC2, 0xE2, 0xE3, 0xEF); only those are
// decoded. The lead bytes are never continuation bytes, so a byte-wise
// look at a word cannot start inside a rune that matters.
func normStart(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if !hasNormLead(load64(s, i)) {
			continue
		}
		for j := i; j < i+8; j++ {
			if normLead[s[j]] && normChanges(s, j) {
				return j
			}
		}
	}
	for ; i < len(s); i++ {
		if normLead[s[i]] && normChanges(s, i) {
			return i
		}
	}
	return -1
}

// normChanges reports whether normRune changes the rune at s[i].
func normChanges(s string, i int) bool {
	r, n := normCandidate(s, i)
	if n == 0 {
		return false
	}
	_, _, ok := normRune(r)
	return ok
}

// load64 reads s[i:i+8] as a little-endian word.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// hasNormLead reports whether w holds a byte that may start a rune
// normRune changes: 0xC2, 0xE2 or 0xEF, or 0xE3 followed by 0x80 (or last
// in w, its next byte unseen). Kana, whose lead byte is 0xE3 too, never
// passes. Clearing bit 5 maps 0xE2 (and only it) onto 0xC2; each test is
// the exact "has a zero byte" test on w XOR the wanted byte.
func hasNormLead(w uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	if w&hi == 0 {
		return false
	}
	zero := func(v uint64) uint64 { return (v - lo) &^ v & hi }
	e3 := zero(w^(0xE3*lo)) & (zero(w^(0x80*lo))>>8 | 1<<63)
	return zero((w&^(0x20*lo))^(0xC2*lo))|zero(w^(0xEF*lo))|e3 != 0
}

// normLead marks the lead bytes of the runes normRune changes.
var normLead = func() (lead [256]bool) {
	lead[0xC2], lead[0xE2], lead[0xE3], lead[0xEF] = true, true, true, true
	return
}()

// maybeNorm reports, from its first two bytes, whether the rune at s[i]
// may be one that normRune changes: U+00A0, U+00A1, U+00AB, U+00AD, U+00BB
// and U+00BF (C2 A0, A1, AB, AD, BB, BF), U+2000-
// U+2060 and U+2212 (E2 80, E2 81, E2 88), U+3000 (E3 80 80), U+FEFF and
// U+FF01-U+FF5E (EF BB, EF BC, EF BD). Kana, CJK and Hangul never get past
// this check, so text in those scripts is not decoded.
func maybeNorm(s string, i int) bool {
	if i+1 >= len(s) {
		return false
	}
	c1 := s[i+1]
	switch s[i] {
	case 0xC2:
		return c1 == 0xA0 || c1 == 0xA1 || c1 == 0xAB || c1 == 0xAD || c1 == 0xBB || c1 == 0xBF
	case 0xE2:
		return c1 == 0x80 || c1 == 0x81 || c1 == 0x88
	case 0xE3:
		return c1 == 0x80 && i+2 < len(s) && s[i+2] == 0x80
	case 0xEF:
		return c1 == 0xBB || c1 == 0xBC || c1 == 0xBD
	}
	return false
}

// normCandidate decodes the rune at s[i] when maybeNorm holds and the
// sequence is valid UTF-8, returning its length, or n=0. The lead bytes
// maybeNorm accepts (C2, E2, E3, EF) take any continuation byte, and it has
// checked the second one, so only the third is left to check.
func normCandidate(s string, i int) (r rune, n int) {
	if !maybeNorm(s, i) {
		return 0, 0
	}
	if s[i] == 0xC2 {
		return rune(s[i+1]), 2 // U+0080-U+00BF
	}
	if i+2 >= len(s) || s[i+2]&0xC0 != 0x80 {
		return 0, 0
	}
	return rune(s[i]&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F), 3
}

// normEdit records that from normalised offset at on, the original offset
// is the normalised one plus delta (until the next edit).
type normEdit struct{ at, delta int32 }

// normalize writes the normalised copy of s into buf, starting from from
// (the first changed rune; the bytes before it are copied as they are),
// and the offset edits into edits. Unchanged runs are copied in bulk; the
// copy is never longer than s, so buf is sized once and written by index.
// Full-width forms, which come in runs, are converted without decoding.
func normalize(s string, from int, buf []byte, edits []normEdit) ([]byte, []normEdit) {
	if cap(buf) < len(s) {
		buf = make([]byte, len(s))
	}
	buf, edits = buf[:len(s)], edits[:0]
	w := copy(buf, s[:from])
	i, run := from, from // s[run:i] is pending, unchanged
	for i < len(s) {
		if s[i] == 0xEF && i+2 < len(s) {
			if b := fullWidth(s[i+1], s[i+2]); b != 0 {
				w += copy(buf[w:], s[run:i])
				buf[w] = b
				w++
				i += 3
				run = i
				edits = append(edits, normEdit{at: int32(w), delta: int32(i - w)})
				continue
			}
		}
		if i+8 <= len(s) && !hasNormLead(load64(s, i)) {
			i += 8
			continue
		}
		if !normLead[s[i]] {
			i++
			continue
		}
		r, n := normCandidate(s, i)
		if n == 0 {
			i++
			continue
		}
		b, drop, ok := normRune(r)
		if !ok {
			i += n
			continue
		}
		w += copy(buf[w:], s[run:i])
		if !drop {
			buf[w] = b
			w++
		}
		i += n
		run = i
		edits = append(edits, normEdit{at: int32(w), delta: int32(i - w)})
	}
	w += copy(buf[w:], s[run:])
	return buf[:w], edits
}

// fullWidth returns the ASCII byte for the full-width form EF c1 c2
// (U+FF01-U+FF5E: EF BC 81-BF, EF BD 80-9E), or 0.
func fullWidth(c1, c2 byte) byte {
	switch {
	case c1 == 0xBC && c2 >= 0x81 && c2 <= 0xBF:
		return c2 - 0x60 // U+FF01-U+FF3F: '!'-'_'
	case c1 == 0xBD && c2 >= 0x80 && c2 <= 0x9E:
		return c2 - 0x20 // U+FF40-U+FF5E: '`'-'~'
	}
	return 0
}

// origOffset maps an offset of the normalised copy to the original text.
func origOffset(edits []normEdit, p int) int {
	k := sort.Search(len(edits), func(k int) bool { return int(edits[k].at) > p })
	if k == 0 {
		return p
	}
	return p + int(edits[k-1].delta)
}

// boundaryLead marks the lead bytes whose three-byte sequences latinWord
// rejects whatever the continuation bytes: E3-E9 (U+3000-U+9FFF: CJK
// punctuation, kana, ideographs) and EB-ED (U+B000-U+DFFF: Hangul; the
// surrogate range ED A0-ED BF is invalid UTF-8 and decodes to U+FFFD,
// which latinWord rejects too). A lead byte followed by too few
// continuation bytes also decodes to U+FFFD. wordAt and wordBefore answer
// from the lead byte alone for these, which is most non-Latin text.
var boundaryLead = func() (t [256]bool) {
	for c := 0xE3; c <= 0xED; c++ {
		t[c] = c != 0xEA
	}
	return t
}()

// latinWord reports whether a non-ASCII rune continues an ASCII word: a
// letter of the Latin script or a combining mark. Any other character (a
// letter of another script, CJK, punctuation, symbols) is a boundary for
// an ASCII value: "请联系x@example.com谢谢", "カード4111 1111 1111 1111で".
func latinWord(r rune) bool {
	switch {
	case r < 0x250: // Latin-1 Supplement and Latin Extended-A/B
		return r >= 0xC0 && r != 0xD7 && r != 0xF7 || r == 0xAA || r == 0xBA
	case r >= 0x2E80 && r < 0xA720:
		return false // CJK, kana, Hangul and their punctuation
	case r >= 0xAC00 && r < 0xFB00:
		return false // Hangul syllables, CJK compatibility
	}
	return unicode.Is(unicode.Latin, r) || unicode.Is(unicode.Mn, r)
}
