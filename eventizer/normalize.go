package eventizer

import (
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

// needsNorm reports whether s holds a rune that normRune changes. ASCII is
// skipped eight bytes at a time; only the lead bytes of the changed runes
// (0xC2, 0xE2, 0xE3, 0xEF) are decoded.
func needsNorm(s string) bool {
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
		if c != 0xC2 && c != 0xE2 && c != 0xE3 && c != 0xEF {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if _, _, ok := normRune(r); ok {
			return true
		}
		i += n
	}
	return false
}

// normalize writes the normalised copy of s into buf and, into offs, the
// original offset of each of its bytes plus a final entry len(s).
func normalize(s string, buf []byte, offs []int32) ([]byte, []int32) {
	buf, offs = buf[:0], offs[:0]
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			buf = append(buf, c)
			offs = append(offs, int32(i))
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if b, drop, ok := normRune(r); ok {
			if !drop {
				buf = append(buf, b)
				offs = append(offs, int32(i))
			}
			i += n
			continue
		}
		for k := 0; k < n; k++ {
			buf = append(buf, s[i+k])
			offs = append(offs, int32(i+k))
		}
		i += n
	}
	offs = append(offs, int32(len(s)))
	return buf, offs
}

// latinWord reports whether a non-ASCII rune continues an ASCII word: a
// letter of the Latin script or a combining mark. Any other character (a
// letter of another script, CJK, punctuation, symbols) is a boundary for
// an ASCII value: "请联系x@example.com谢谢", "カード4111 1111 1111 1111で".
func latinWord(r rune) bool {
	return unicode.Is(unicode.Latin, r) || unicode.Is(unicode.Mn, r)
}
