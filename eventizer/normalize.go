package eventizer

import (
	"sort"
	"unicode"
	"unicode/utf8"
)

// Detection runs on a normalised copy of the text when the text holds
// characters that disguise a value without changing what a reader sees:
// zero-width characters and the soft hyphen are dropped, the Unicode
// spaces (no-break, narrow, thin, figure, ideographic, ...) become ' ',
// the Unicode hyphens and the minus sign become '-', and the full-width
// forms of ASCII (U+FF01-U+FF5E: "＠", "：", "１２３") become ASCII. Each byte
// of the copy remembers where it came from, so findings are reported and
// redacted on the original bytes. Text without such characters (nearly all
// of it) is scanned as it is.

// normRune returns what a non-ASCII rune becomes in the normalised copy:
// its replacement byte, or drop=true to remove it; ok=false keeps it.
func normRune(r rune) (b byte, drop, ok bool) {
	switch {
	case r == 0x00A0, r >= 0x2000 && r <= 0x200A, r == 0x202F, r == 0x205F, r == 0x3000:
		return ' ', false, true
	case r == 0x00AD, r >= 0x200B && r <= 0x200D, r == 0x2060, r == 0xFEFF:
		return 0, true, true
	case r >= 0x2010 && r <= 0x2013, r == 0x2212:
		return '-', false, true
	case r >= 0xFF01 && r <= 0xFF5E:
		return byte(r - 0xFF01 + 0x21), false, true
	}
	return 0, false, false
}

// normStart returns the offset of the first rune of s that normRune
// changes, or -1. ASCII is skipped eight bytes at a time; only the lead
// bytes of the changed runes (0xC2, 0xE2, 0xE3, 0xEF) are decoded.
func normStart(s string) int {
	i := 0
	for i < len(s) {
		if i+8 <= len(s) {
			w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			if w&0x8080808080808080 == 0 {
				i += 8
				continue
			}
		}
		c := s[i]
		if c < 0x80 {
			i++
			continue
		}
		if !normLead[c] {
			i += int(runeLen[c]) // the other runes are skipped whole
			continue
		}
		if maybeNorm(s, i) {
			r, _ := utf8.DecodeRuneInString(s[i:])
			if _, _, ok := normRune(r); ok {
				return i
			}
		}
		i++
	}
	return -1
}

// normLead marks the lead bytes of the runes normRune changes; runeLen is
// the length of the rune a byte leads (1 for ASCII and stray bytes).
var normLead, runeLen = func() (lead [256]bool, n [256]uint8) {
	lead[0xC2], lead[0xE2], lead[0xE3], lead[0xEF] = true, true, true, true
	for c := range 256 {
		switch {
		case c >= 0xF0 && c <= 0xF7:
			n[c] = 4
		case c >= 0xE0:
			n[c] = 3
		case c >= 0xC0:
			n[c] = 2
		default:
			n[c] = 1
		}
		if c >= 0xF8 {
			n[c] = 1
		}
	}
	return
}()

// maybeNorm reports, from its first two bytes, whether the rune at s[i]
// may be one that normRune changes: U+00A0, U+00AD (C2 A0, C2 AD), U+2000-
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
		return c1 == 0xA0 || c1 == 0xAD
	case 0xE2:
		return c1 == 0x80 || c1 == 0x81 || c1 == 0x88
	case 0xE3:
		return c1 == 0x80 && i+2 < len(s) && s[i+2] == 0x80
	case 0xEF:
		return c1 == 0xBB || c1 == 0xBC || c1 == 0xBD
	}
	return false
}

// normEdit records that from normalised offset at on, the original offset
// is the normalised one plus delta (until the next edit).
type normEdit struct{ at, delta int32 }

// normalize writes the normalised copy of s into buf, starting from from
// (the first changed rune; the bytes before it are copied as they are),
// and the offset edits into edits. Unchanged runs are copied in bulk.
func normalize(s string, from int, buf []byte, edits []normEdit) ([]byte, []normEdit) {
	buf, edits = append(buf[:0], s[:from]...), edits[:0]
	i, run := from, from // s[run:i] is pending, unchanged
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
	buf = append(buf, s[run:]...)
	return buf, edits
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
