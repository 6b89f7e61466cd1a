package eventizer

import (
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

const maxGroups = 16

type span struct{ start, end int }

// scan holds the per-call state of the PII scanner. It lives in a pooled
// scratch value, so a scan allocates nothing.
type scan struct {
	s          string
	findings   []Finding
	noNumUntil int // the number scanner already rejected everything before this
	hasTime    bool
	groups     [maxGroups]span
	seps       [maxGroups]byte    // seps[k] joins groups[k] and groups[k+1]
	digits     [maxGroups + 1]int // digits[k]: the digits in groups[:k]
	buf        [40]byte
}

// Scores for each validator.
const (
	scoreChecksum = 0.99
	scoreStrong   = 0.95
	scoreMedium   = 0.9
	scorePhone    = 0.85
	scoreEntropy  = 0.8
)

// add appends a finding, resolving overlaps with the previous ones: the
// longer span wins.
func (sc *scan) add(f Finding) {
	for len(sc.findings) > 0 {
		last := sc.findings[len(sc.findings)-1]
		if last.End <= f.Start {
			break
		}
		if f.End-f.Start <= last.End-last.Start {
			return
		}
		sc.findings = sc.findings[:len(sc.findings)-1]
	}
	sc.findings = append(sc.findings, f)
}

// wordBefore reports whether the character before byte i continues a
// word: an ASCII letter, digit or '_', or a Latin letter (see latinWord).
// A letter of another script is a boundary, so a value written right
// after Japanese or Chinese text is found.
func (sc *scan) wordBefore(i int) bool {
	if i <= 0 {
		return false
	}
	s := sc.s
	if c := s[i-1]; c < 0x80 {
		return wordTable[c]
	}
	if i >= 3 && s[i-2]&0xC0 == 0x80 && s[i-1]&0xC0 == 0x80 && boundaryLead[s[i-3]] {
		return false // CJK, kana or Hangul, without decoding
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return latinWord(r)
}

// wordAt reports whether the character at byte i continues a word.
func (sc *scan) wordAt(i int) bool {
	if i >= len(sc.s) {
		return false
	}
	c := sc.s[i]
	if c < 0x80 {
		return wordTable[c]
	}
	if boundaryLead[c] {
		return false // CJK, kana or Hangul, without decoding
	}
	r, _ := utf8.DecodeRuneInString(sc.s[i:])
	return latinWord(r)
}

// atSep tries the detectors triggered by a non-word byte. It returns the
// finding's end, or 0.
func (sc *scan) atSep(i int) int {
	s := sc.s
	switch s[i] {
	case '@':
		return sc.email(i)
	case '=':
		return sc.assignment(i)
	case ':':
		if !sc.wordBefore(i) && i+1 < len(s) && s[i+1] == ':' {
			if end := sc.ipv6(i); end > 0 {
				return end
			}
		}
		return sc.assignment(i)
	case '+', '(':
		if sc.wordBefore(i) {
			return 0
		}
		return sc.phone(i)
	case '-':
		if strings.HasPrefix(s[i:], "-----BEGIN ") {
			return sc.pem(i)
		}
	}
	return 0
}

// atWordStart tries the detectors triggered by the first byte of a word.
func (sc *scan) atWordStart(i int) int {
	s := sc.s
	c := s[i]
	switch {
	case isDigit(c):
		if i < sc.noNumUntil {
			return 0
		}
		return sc.number(i)
	case isUpper(c):
		if end := sc.iban(i); end > 0 {
			return end
		}
		if c == 'A' {
			if end := sc.aws(i); end > 0 {
				return end
			}
		}
		if c <= 'F' && hexGroupColon(s, i) {
			return sc.ipv6(i)
		}
	case isLowerASCII(c):
		if end := sc.prefixed(i); end > 0 {
			return end
		}
		if end := sc.iban(i); end > 0 {
			return end
		}
		if c <= 'f' && hexGroupColon(s, i) {
			return sc.ipv6(i)
		}
	}
	return 0
}

// hexGroupColon reports whether s[i:] starts with one to four hex digits
// and a ':', as an IPv6 address that does not start with "::" does.
func hexGroupColon(s string, i int) bool {
	k := i
	for k < len(s) && k-i < 5 && isHex(s[k]) {
		k++
	}
	return k > i && k-i <= 4 && k < len(s) && s[k] == ':'
}

var localTable = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		t[c] = isAlnum(b) || strings.IndexByte("._%+-", b) >= 0
	}
	return t
}()

// letterClass sorts a character of an e-mail label or local part: 1 for an
// ASCII or other Latin letter, 2 for a letter of another script, 3 for an
// ASCII digit or '-' (allowed in both), 0 for anything else.
func letterClass(r rune) int {
	switch {
	case r < 0x80:
		c := byte(r)
		if isDigit(c) || c == '-' {
			return 3
		}
		if isUpper(c) || isLowerASCII(c) {
			return 1
		}
		return 0
	case r >= 0x3041 && r <= 0x3096 || r >= 0x30A1 && r <= 0x30FA || r >= 0x4E00 && r <= 0x9FFF || r >= 0xAC00 && r <= 0xD7A3:
		return 2 // kana, CJK ideographs, Hangul syllables: the common cases first
	case unicode.Is(unicode.Latin, r):
		return 1
	case unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r):
		return 2
	}
	return 0
}

func (sc *scan) email(at int) int {
	s := sc.s
	// Domain: labels joined by single dots. A label is ASCII letters and
	// digits (and Latin letters, for internationalised names) or letters of
	// one other script (RFC 6531: "例子.广告"); where one gives way to the
	// other the domain ends ("x@example.com谢谢").
	k := at + 1
	labels, lastStart := 0, k
	end := 0
	for {
		ls, script := k, 0
		for k < len(s) {
			c := s[k]
			if c < 0x80 {
				if isDigit(c) || c == '-' {
					k++
					continue
				}
				if !isUpper(c) && !isLowerASCII(c) || script == 2 {
					break
				}
				script = 1
				k++
				continue
			}
			r, n := utf8.DecodeRuneInString(s[k:])
			cl := letterClass(r)
			if cl == 0 || script != 0 && cl != 3 && cl != script {
				break
			}
			if cl != 3 {
				script = cl
			}
			k += n
		}
		if k == ls || k-ls > 63 || s[ls] == '-' || s[k-1] == '-' {
			break
		}
		labels++
		lastStart = ls
		end = k
		if k+1 < len(s) && s[k] == '.' && (isAlnum(s[k+1]) || s[k+1] >= 0x80) {
			k++
			continue
		}
		break
	}
	if labels < 2 || sc.wordAt(end) && s[end] < 0x80 {
		return 0
	}
	tld := s[lastStart:end]
	if len(tld) < 2 {
		return 0
	}
	if !strings.HasPrefix(tld, "xn--") {
		for _, r := range tld {
			if r < 0x80 && !isUpper(byte(r)) && !isLowerASCII(byte(r)) || r >= 0x80 && !unicode.IsLetter(r) && !unicode.IsMark(r) {
				return 0
			}
		}
	}
	// Local part, backwards from '@': ASCII atext and Latin letters; or,
	// when a letter of another script stands right before the '@', a run of
	// such letters (an internationalised address, RFC 6531).
	j := at
	sawLatin := false
	for j > 0 {
		c := s[j-1]
		n, cl := 1, 0
		if c < 0x80 {
			if !localTable[c] {
				break
			}
			if isUpper(c) || isLowerASCII(c) {
				cl = 1
			}
		} else {
			var r rune
			r, n = utf8.DecodeLastRuneInString(s[:j])
			cl = letterClass(r)
			if cl == 0 || cl == 2 && sawLatin {
				break
			}
		}
		if at-j+n > 64 {
			return 0 // local part too long
		}
		sawLatin = sawLatin || cl == 1
		j -= n
	}
	// A local part reaching back into an earlier, longer finding starts
	// after it instead.
	if n := len(sc.findings); n > 0 {
		last := sc.findings[n-1]
		if last.End > j && end-j <= last.End-last.Start {
			j = max(j, last.End)
		}
	}
	for j < at && s[j] == '.' {
		j++
	}
	if j == at || s[at-1] == '.' || strings.Contains(s[j:at], "..") || end-j > 254 {
		return 0
	}
	sc.add(Finding{Kind: KindEmail, Start: j, End: end, Score: scoreStrong, Validator: "rfc5322"})
	return end
}

// groupsAt reads digit groups joined by single separators (space, '-', '.',
// '/') from i. It returns the number of groups and the end of the last.
func (sc *scan) groupsAt(i int) (n int, end int) {
	s := sc.s
	k := i
	for n < maxGroups {
		gs := k
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if k-gs > 19 || k == gs {
			break
		}
		sc.groups[n] = span{gs, k}
		n++
		end = k
		if k+1 < len(s) && isDigit(s[k+1]) {
			switch s[k] {
			case ' ', '-', '.', '/':
				sc.seps[n-1] = s[k]
				k++
				continue
			}
		}
		break
	}
	if n > 0 && sc.wordAt(end) {
		n-- // the last group is glued to letters: "41d4", "3rd"
		if n > 0 {
			end = sc.groups[n-1].end
		}
	}
	return n, end
}

func (sc *scan) number(i int) int {
	s := sc.s
	// IPv6 written with digits first ("2001:db8::1").
	k := i
	for k < len(s) && k-i < 5 && isHex(s[k]) {
		k++
	}
	if k < len(s) && s[k] == ':' {
		if end := sc.ipv6(i); end > 0 {
			return end
		}
		// "14:30": a time.
		if k-i <= 2 && allDigits(s, i, k) && k+3 <= len(s) && allDigits(s, k+1, k+3) {
			sc.hasTime = true
		}
	}
	n, end := sc.groupsAt(i)
	if n == 0 {
		sc.noNumUntil = k
		return 0
	}
	sc.digits[0] = 0
	for g := 0; g < n; g++ {
		sc.digits[g+1] = sc.digits[g] + sc.groups[g].end - sc.groups[g].start
	}
	// Try the runs of groups joined by one separator, longest first: a run
	// of groups a..b-1 never spans two separators, so this is linear in the
	// number of groups for dotted or dashed runs.
	for a := 0; a < n; a++ {
		maxB := a + 1
		for maxB < n && (maxB == a+1 || sc.seps[maxB-1] == sc.seps[a]) {
			maxB++
		}
		for b := maxB; b > a; b-- {
			// Only a few shapes can be a value: skip the others without
			// classifying them, so a long run of short groups stays linear.
			cnt, d := b-a, sc.digits[b]-sc.digits[a]
			if d > 19 || cnt > 6 && !(a == 0 && b == n) {
				continue
			}
			if d < 9 && (cnt < 3 || cnt > 4 || sc.seps[a] == ' ') {
				continue // not an IPv4 address or a date: too few digits
			}
			if e := sc.classify(a, b, n); e > 0 {
				return e
			}
		}
	}
	sc.noNumUntil = end
	return 0
}

// classify tries the groups a..b-1 as one value of a numeric kind. n is the
// total number of groups read.
func (sc *scan) classify(a, b, n int) int {
	s := sc.s
	g := sc.groups[a:b]
	start, end := g[0].start, g[len(g)-1].end
	cnt := len(g)
	digits := sc.digits[b] - sc.digits[a]
	if digits > 19 {
		return 0
	}
	var sep byte
	// spaced: the value is set off from neighbouring digit groups by the
	// same separator, a space; it is accepted only in its kind's canonical
	// grouping ("4111 1111 1111 1111 123-45-6789", "415 555 0100 4111 ...").
	spaced := false
	if cnt > 1 {
		sep = sc.seps[a]
		// A value must not continue with the same separator: "1.2.3.4.5" is
		// no IPv4 address.
		if a > 0 && sc.seps[a-1] == sep || b < n && sc.seps[b-1] == sep {
			if sep != ' ' {
				return 0
			}
			spaced = true
		}
	} else if a > 0 || b < n {
		// A value inside a longer run must be set off by a different
		// separator; "12/25/2026" parts are not numbers.
		return 0
	}
	glen := func(k int) int { return g[k].end - g[k].start }
	switch sep {
	case '.':
		if cnt == 4 && ipv4GroupsOK(s, g) && !sc.cueBefore(start, versionCues) {
			if ip, err := netip.ParseAddr(s[start:end]); err == nil && ip.Is4() {
				sc.add(Finding{Kind: KindIPv4, Start: start, End: end, Score: scoreMedium, Validator: "netip"})
				return end
			}
		}
		if cnt == 3 && glen(0) <= 2 && glen(1) <= 2 && glen(2) == 4 {
			sc.hasTime = true // 15.03.2026
		}
	case '/':
		if cnt == 3 && glen(0) <= 2 && glen(1) <= 2 && (glen(2) == 2 || glen(2) == 4) {
			sc.hasTime = true
		}
		return 0
	case '-', ' ':
		if cnt == 3 && glen(0) == 3 && glen(1) == 2 && glen(2) == 4 && !spaced {
			if ssnOK(digitsValue(s, g[0].start, g[0].end), digitsValue(s, g[1].start, g[1].end), digitsValue(s, g[2].start, g[2].end)) {
				sc.add(Finding{Kind: KindSSN, Start: start, End: end, Score: scoreMedium, Validator: "ssa"})
				return end
			}
			if sep == '-' {
				return 0
			}
		}
		if sep == '-' && cnt == 3 && glen(0) == 4 && glen(1) == 2 && glen(2) == 2 {
			sc.hasTime = true // 2026-03-15
			return 0
		}
	}
	// Payment card: ungrouped, or in groups of four (the last may be
	// shorter) or the 4-6-5 / 4-6-4 grouping of American Express and Diners.
	if digits >= 13 && (sep == 0 || sep == ' ' || sep == '-' || sep == '.') {
		ok := true
		if cnt > 1 {
			fours := true
			for k := range cnt - 1 {
				fours = fours && glen(k) == 4
			}
			fours = fours && glen(cnt-1) >= 1 && glen(cnt-1) <= 4
			amex := cnt == 3 && glen(0) == 4 && glen(1) == 6 && (glen(2) == 5 || glen(2) == 4)
			ok = fours || amex
			if !spaced && !ok && glen(0) == 4 {
				ok = true
				for k := range cnt {
					if l := glen(k); l < 3 || l > 6 {
						ok = false
					}
				}
			}
		}
		if ok && sc.cardOK(start, end, digits) {
			sc.add(Finding{Kind: KindCard, Start: start, End: end, Score: scoreChecksum, Validator: "luhn"})
			return end
		}
	}
	// North American phone: 3-3-4 or 1-3-3-4 with one separator.
	if sep == '-' || sep == '.' || sep == ' ' {
		off := 0
		if cnt == 4 && glen(0) == 1 && s[g[0].start] == '1' {
			off = 1
		}
		if cnt-off == 3 && glen(off) == 3 && glen(off+1) == 3 && glen(off+2) == 4 &&
			nanpOK(digitsValue(s, g[off].start, g[off].end), digitsValue(s, g[off+1].start, g[off+1].end)) {
			sc.add(Finding{Kind: KindPhone, Start: start, End: end, Score: scorePhone, Validator: "nanp"})
			return end
		}
	}
	// A number right after a phone cue ("tel", "phone", "电话", ...): ten
	// unseparated digits of a North American number, or a national number
	// with its trunk prefix ("0612345678", "03-1234-5678"), or a Chinese
	// mobile number.
	if a == 0 && b == n && digits >= 9 && digits <= 12 && !spaced && sc.cueBefore(start, phoneCues) {
		d0 := s[start]
		nanp := false
		if cnt == 1 && (digits == 10 || digits == 11 && d0 == '1') {
			o := start + digits - 10
			nanp = nanpOK(digitsValue(s, o, o+3), digitsValue(s, o+3, o+6))
		}
		mobileCN := cnt == 1 && digits == 11 && d0 == '1' && s[start+1] >= '3'
		if nanp || mobileCN || d0 == '0' && digits >= 10 {
			sc.add(Finding{Kind: KindPhone, Start: start, End: end, Score: scorePhone, Validator: "cue"})
			return end
		}
	}
	return 0
}

func ipv4GroupsOK(s string, g []span) bool {
	for _, x := range g {
		l := x.end - x.start
		if l > 3 || l > 1 && s[x.start] == '0' || digitsValue(s, x.start, x.end) > 255 {
			return false
		}
	}
	return true
}

func (sc *scan) cardOK(start, end, digits int) bool {
	s := sc.s
	p6, got := 0, 0
	for k := start; k < end && got < 6; k++ {
		if isDigit(s[k]) {
			p6 = p6*10 + int(s[k]-'0')
			got++
		}
	}
	return cardIssuerOK(p6, digits) && luhnOK(s, start, end)
}

// phone reads an international number from '+' or a North American one
// from '('.
func (sc *scan) phone(i int) int {
	s := sc.s
	if s[i] == '(' {
		// (555) 234-5678, (555)234-5678, (555) 234 5678, (555).234.5678
		if i+13 > len(s) || s[i+4] != ')' || !allDigits(s, i+1, i+4) {
			return 0
		}
		k := i + 5
		if s[k] == ' ' {
			k++
		}
		if k+8 > len(s) || !allDigits(s, k, k+3) || (s[k+3] != '-' && s[k+3] != '.' && s[k+3] != ' ') || !allDigits(s, k+4, k+8) {
			return 0
		}
		end := k + 8
		if sc.wordAt(end) || end < len(s) && isDigit(s[end]) {
			return 0
		}
		if !nanpOK(digitsValue(s, i+1, i+4), digitsValue(s, k, k+3)) {
			return 0
		}
		sc.add(Finding{Kind: KindPhone, Start: i, End: end, Score: scorePhone, Validator: "nanp"})
		return end
	}
	// '+' then digits, single separators and parenthesised groups. The
	// number ends before a group that would make it longer than its country
	// allows, so a value written right after it is a value of its own
	// ("+1 415 555 0100 4111 1111 1111 1111").
	k := i + 1
	nd := 0
	end := 0
	limit := 15
	for k < len(s) && nd < limit {
		c := s[k]
		switch {
		case isDigit(c):
			g := k
			for g < len(s) && isDigit(s[g]) {
				g++
			}
			if nd > 0 && nd+g-k > limit {
				break
			}
			for ; k < g && nd < len(sc.buf); k++ {
				sc.buf[nd] = s[k]
				nd++
			}
			k = g
			end = k
			if nd >= 2 && limit == 15 {
				limit = phoneMaxDigits(sc.buf[:nd])
			}
			continue
		case c == '(' && k-end <= 1:
			// "+44 (0)20 ..." or "+1 (555) ..."
			p := k + 1
			for p < len(s) && isDigit(s[p]) && p-k <= 4 {
				p++
			}
			if p == k+1 || p >= len(s) || s[p] != ')' {
				break
			}
			if !(p == k+2 && s[k+1] == '0') { // a trunk "(0)" is not dialled
				if nd+p-k-1 > limit {
					break
				}
				for q := k + 1; q < p; q++ {
					sc.buf[nd] = s[q]
					nd++
				}
			}
			k = p + 1
			end = k
			if k < len(s) && s[k] == ' ' {
				k++
			}
			continue
		case (c == ' ' || c == '-' || c == '.') && end == k && k+1 < len(s) && (isDigit(s[k+1]) || s[k+1] == '('):
			k++
			continue
		}
		break
	}
	if nd < 8 || nd > 15 {
		return 0
	}
	if sc.wordAt(end) {
		return 0
	}
	d := sc.buf[:nd]
	ccl := countryCodeLen(d)
	if ccl == 0 {
		return 0
	}
	if d[0] == '1' {
		if nd != 11 || !nanpOK(int(d[1]-'0')*100+int(d[2]-'0')*10+int(d[3]-'0'), int(d[4]-'0')*100+int(d[5]-'0')*10+int(d[6]-'0')) {
			return 0
		}
	}
	if nd-ccl < 6 {
		return 0
	}
	sc.add(Finding{Kind: KindPhone, Start: i, End: end, Score: scorePhone, Validator: "e164"})
	return end
}

// phoneMaxDigits is the most digits (country code included) a number
// starting with d may have: the national plans of the most common
// countries, else E.164's 15.
func phoneMaxDigits(d []byte) int {
	switch d[0] {
	case '1', '7':
		return 11
	}
	if len(d) < 2 {
		return 15
	}
	// One digit of slack over each plan's longest number.
	switch string(d[:2]) {
	case "33", "34", "31", "32", "41", "48", "61":
		return 12
	case "44", "91", "52", "46", "81", "82":
		return 13
	case "86", "55", "39", "62":
		return 14
	case "45", "47":
		return 11
	}
	return 15
}

func allDigits(s string, a, b int) bool {
	for k := a; k < b; k++ {
		if !isDigit(s[k]) {
			return false
		}
	}
	return true
}

func (sc *scan) ipv6(i int) int {
	s := sc.s
	k := i
	colons, double, dotted := 0, false, false
	for k < len(s) && k-i < 45 {
		c := s[k]
		if c == ':' {
			if k+1 < len(s) && s[k+1] == ':' {
				if double {
					break // a second "::": the address, if any, ends before it
				}
				double = true
			}
			colons++
		} else if c == '.' {
			dotted = true
		} else if !isHex(c) {
			break
		}
		k++
	}
	end := k
	for end > i && (s[end-1] == '.' || s[end-1] == ':' && !(end-2 >= i && s[end-2] == ':')) {
		end--
	}
	// Eight groups, or fewer with "::"; an embedded IPv4 address
	// ("::ffff:203.0.113.7", "0:0:0:0:0:ffff:203.0.113.7") stands for two.
	full := 7
	if dotted && strings.IndexByte(s[i:end], '.') >= 0 {
		full = 6
	}
	// "::" alone (the unspecified address) says nothing about anyone.
	if colons < 2 || !double && colons != full || sc.wordAt(end) || end-i < 3 {
		return 0
	}
	if !validIPv6(s[i:end]) {
		return 0
	}
	sc.add(Finding{Kind: KindIPv6, Start: i, End: end, Score: scoreMedium, Validator: "netip"})
	return end
}

func (sc *scan) iban(i int) int {
	s := sc.s
	if i+15 > len(s) || !isLetter(s[i]) || !isLetter(s[i+1]) || !isDigit(s[i+2]) || !isDigit(s[i+3]) {
		return 0
	}
	// Either case, or mixed: "gb82 west 1234 5698 7654 32".
	want := int(ibanTable[int(upper(s[i])-'A')*26+int(upper(s[i+1])-'A')])
	if want == 0 {
		return 0
	}
	n, k := 0, i
	for k < len(s) && n < want {
		c := s[k]
		if isDigit(c) || isLetter(c) {
			sc.buf[n] = upper(c)
			n++
			k++
			continue
		}
		if c == ' ' && n%4 == 0 && k+1 < len(s) && isAlnum(s[k+1]) {
			k++
			continue
		}
		break
	}
	if n != want || sc.wordAt(k) || !mod97OK(sc.buf[:n]) {
		return 0
	}
	sc.add(Finding{Kind: KindIBAN, Start: i, End: k, Score: scoreChecksum, Validator: "mod97"})
	return k
}

func isLetter(c byte) bool { return isUpper(c) || isLowerASCII(c) }

func upper(c byte) byte {
	if isLowerASCII(c) {
		return c - 'a' + 'A'
	}
	return c
}

func (sc *scan) aws(i int) int {
	s := sc.s
	if i+20 > len(s) {
		return 0
	}
	switch s[i : i+4] {
	case "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA":
	default:
		return 0
	}
	for k := i + 4; k < i+20; k++ {
		if !isUpper(s[k]) && !isDigit(s[k]) {
			return 0
		}
	}
	if sc.wordAt(i + 20) {
		return 0
	}
	sc.add(Finding{Kind: KindSecret, Start: i, End: i + 20, Score: scoreStrong, Validator: "aws_access_key"})
	return i + 20
}

// runOf returns the end of the run of bytes from i that ok accepts.
func runOf(s string, i int, ok func(byte) bool) int {
	for i < len(s) && ok(s[i]) {
		i++
	}
	return i
}

func isTokenByte(c byte) bool  { return isAlnum(c) || c == '_' }
func isSlackByte(c byte) bool  { return isAlnum(c) || c == '-' }
func isBase64URL(c byte) bool  { return isAlnum(c) || c == '-' || c == '_' }
func isAlnumByte(c byte) bool  { return isAlnum(c) }
func isSecretByte(c byte) bool { return isAlnum(c) || strings.IndexByte("+/=_-.~!#$%^&*?", c) >= 0 }

// prefixed finds tokens with a well-known lowercase prefix, and JWTs.
func (sc *scan) prefixed(i int) int {
	s := sc.s
	switch s[i] {
	case 'g', 'x', 's', 'r', 'e': // the first bytes of the prefixes below
	default:
		return 0
	}
	rest := s[i:]
	var end, min int
	var validator string
	switch {
	case len(rest) > 4 && rest[0] == 'g' && rest[1] == 'h' && rest[3] == '_' && strings.IndexByte("pousr", rest[2]) >= 0:
		end, min, validator = runOf(s, i+4, isAlnumByte), 36, "github_token"
		if end-(i+4) != 36 {
			return 0
		}
	case strings.HasPrefix(rest, "github_pat_"):
		end, min, validator = runOf(s, i+11, isTokenByte), 50, "github_token"
		if end-(i+11) < min {
			return 0
		}
	case len(rest) > 5 && strings.HasPrefix(rest, "xox") && strings.IndexByte("baprse", rest[3]) >= 0 && rest[4] == '-':
		end, validator = runOf(s, i+5, isSlackByte), "slack_token"
		for end > i && s[end-1] == '-' {
			end--
		}
		if end-(i+5) < 15 || strings.Count(s[i:end], "-") < 2 {
			return 0
		}
	case strings.HasPrefix(rest, "sk_live_"), strings.HasPrefix(rest, "sk_test_"),
		strings.HasPrefix(rest, "rk_live_"), strings.HasPrefix(rest, "rk_test_"):
		end, validator = runOf(s, i+8, isAlnumByte), "stripe_key"
		if end-(i+8) < 16 {
			return 0
		}
	case strings.HasPrefix(rest, "eyJ"):
		return sc.jwt(i)
	default:
		return 0
	}
	if sc.wordAt(end) {
		return 0
	}
	sc.add(Finding{Kind: KindSecret, Start: i, End: end, Score: scoreStrong, Validator: validator})
	return end
}

func (sc *scan) jwt(i int) int {
	s := sc.s
	e1 := runOf(s, i, isBase64URL)
	if e1-i < 10 || e1 >= len(s) || s[e1] != '.' || !jwtPartOK(s[i:e1], true) {
		return 0
	}
	e2 := runOf(s, e1+1, isBase64URL)
	if e2-(e1+1) < 2 || e2 >= len(s) || s[e2] != '.' || !strings.HasPrefix(s[e1+1:], "eyJ") {
		return 0
	}
	e3 := runOf(s, e2+1, isBase64URL)
	end := e3
	if e3 == e2+1 {
		end = e2 + 1 // unsigned token: "header.payload."
	}
	if sc.wordAt(end) {
		return 0
	}
	sc.add(Finding{Kind: KindSecret, Start: i, End: end, Score: scoreStrong, Validator: "jwt"})
	return end
}

func (sc *scan) pem(i int) int {
	s := sc.s
	hdrEnd := strings.Index(s[i+11:], "-----")
	if hdrEnd < 0 || hdrEnd > 40 {
		return 0
	}
	label := s[i+11 : i+11+hdrEnd]
	if !strings.HasSuffix(label, "PRIVATE KEY") {
		return 0
	}
	body := i + 11 + hdrEnd + 5
	end := len(s)
	if e := strings.Index(s[body:], "-----END "); e >= 0 {
		tail := body + e + 9
		if f := strings.Index(s[tail:], "-----"); f >= 0 && f <= 40 {
			end = tail + f + 5
		} else {
			end = tail
		}
	} else {
		// No footer (cut off): the key material runs to the end of the
		// base64 body.
		end = runOf(s, body, func(c byte) bool {
			return isAlnum(c) || c == '+' || c == '/' || c == '=' || c == '\n' || c == '\r' || c == ' ' || c == ':' || c == '-' || c == ','
		})
	}
	sc.add(Finding{Kind: KindSecret, Start: i, End: end, Score: scoreChecksum, Validator: "pem_private_key"})
	return end
}

var secretNames = []string{"password", "passwd", "pwd", "secret", "token", "apikey", "api_key", "api-key",
	"access_key", "accesskey", "private_key", "privatekey", "auth", "credential", "key"}

// passwordNames are names whose value is a secret whatever it looks like
// ("password=hunter2"): contained in the name, ignoring ASCII case.
var passwordNames = []string{"password", "passwd", "passphrase", "passwort", "kennwort", "wachtwoord",
	"contrasena", "losenord", "salasana", "adgangskode"}

// passwordWords are whole names with the same meaning ("pass: x", "mot de
// passe : x", "senha=x").
var passwordWords = []string{"pass", "passe", "pw", "senha", "mdp", "haslo", "parola", "sifre", "heslo"}

// passwordNamesIntl are the same names in other scripts, matched at the
// end of the text before the ':' or '='.
var passwordNamesIntl = []string{"密码", "密碼", "口令", "パスワード", "暗証番号", "비밀번호", "암호", "пароль",
	"Пароль", "ПАРОЛЬ", "كلمة المرور", "كلمة السر", "contraseña", "Contraseña", "hasło", "Hasło", "şifre",
	"Şifre", "jelszó", "Jelszó", "lösenord", "Lösenord", "κωδικός", "סיסמה"}

// assignment finds the value of "name=value" or "name: value" where the
// name looks like a credential: any value of a password-like name, a
// high-entropy value of another secret-looking name. The value runs to
// the closing quote when quoted, else to whitespace, and may hold any
// symbol ("Qm@v_7=tR2*pp#k"). The span is the value only.
func (sc *scan) assignment(i int) int {
	s := sc.s
	if s[i] == ':' && i+2 < len(s) && s[i+1] == '/' && s[i+2] == '/' {
		return 0 // a URL scheme
	}
	// The name, backwards, past spaces and a closing quote.
	j := i
	for j > 0 && i-j < 2 && s[j-1] == ' ' {
		j--
	}
	if j > 0 && (s[j-1] == '"' || s[j-1] == '\'') {
		j--
	}
	ne := j
	for j > 0 && ne-j < 40 && (isAlnum(s[j-1]) || s[j-1] == '_' || s[j-1] == '-' || s[j-1] == '.') {
		j--
	}
	password := false
	if j == ne {
		if ne == 0 || s[ne-1] < 0x80 || !intlPasswordName(s[:ne]) {
			return 0
		}
		password = true
	} else {
		if sc.wordBefore(j) {
			// "contraseña", "hasło": a name ending in Latin letters.
			if s[j-1] < 0x80 || !intlPasswordName(s[:ne]) {
				return 0
			}
			password = true
		} else {
			name := s[j:ne]
			password = passwordName(name)
			if !password && !secretName(name) {
				return 0
			}
		}
	}
	// The value, forwards, past spaces and an opening quote.
	v := i + 1
	for v < len(s) && v-i <= 2 && s[v] == ' ' {
		v++
	}
	var quote byte
	if v < len(s) && (s[v] == '"' || s[v] == '\'') {
		quote = s[v]
		v++
	}
	if v >= len(s) {
		return 0
	}
	if end := sc.aws(v); end > 0 && isUpper(s[v]) {
		return end
	}
	if end := sc.prefixedOnly(v); end > 0 {
		return end
	}
	e := sc.secretValueEnd(v, quote)
	if e == v || e-v > 256 {
		return 0
	}
	if password {
		sc.add(Finding{Kind: KindSecret, Start: v, End: e, Score: scoreEntropy, Validator: "password"})
		return e
	}
	if !secretValueOK(s[v:e]) {
		return 0
	}
	sc.add(Finding{Kind: KindSecret, Start: v, End: e, Score: scoreEntropy, Validator: "entropy"})
	return e
}

// secretValueEnd returns the end of an assigned value starting at v: the
// closing quote when quoted (within 256 bytes, else as unquoted);
// otherwise the first whitespace, quote, control byte or character of a
// non-Latin script, less trailing sentence punctuation.
func (sc *scan) secretValueEnd(v int, quote byte) int {
	s := sc.s
	if quote != 0 {
		lim := min(len(s), v+257)
		if q := strings.IndexByte(s[v:lim], quote); q > 0 {
			if nl := strings.IndexByte(s[v:v+q], '\n'); nl < 0 {
				return v + q
			}
		}
	}
	e := v
	for e < len(s) && e-v <= 256 {
		c := s[e]
		if c < 0x80 {
			if c <= ' ' || c == '"' || c == '\'' || c == '`' || c == 0x7f {
				break
			}
			if c == '\\' && quote != 0 {
				break
			}
			e++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[e:])
		if !latinWord(r) {
			break
		}
		e += n
	}
	for e > v && strings.IndexByte(".,;:)]}>", s[e-1]) >= 0 {
		e--
	}
	return e
}

func passwordName(name string) bool {
	if containsAnyFold(name, &passwordIndex) {
		return true
	}
	for _, w := range passwordWords {
		if len(name) == len(w) && containsFold(name, w) {
			return true
		}
	}
	return false
}

// wordIndex lists words by their first letter, so that a name is checked
// against all of them in one pass over its bytes.
type wordIndex [26][]string

func indexWords(ws []string) (x wordIndex) {
	for _, w := range ws {
		x[w[0]-'a'] = append(x[w[0]-'a'], w)
	}
	return x
}

var passwordIndex, secretIndex = indexWords(passwordNames), indexWords(secretNames)

// containsAnyFold reports whether s contains one of the indexed lower-case
// words, ignoring ASCII case.
func containsAnyFold(s string, x *wordIndex) bool {
	for i := 0; i < len(s); i++ {
		c := lower(s[i])
		if c < 'a' || c > 'z' {
			continue
		}
		for _, w := range x[c-'a'] {
			if len(s)-i >= len(w) && hasPrefixFold(s[i:], w) {
				return true
			}
		}
	}
	return false
}

func hasPrefixFold(s, w string) bool {
	for k := 0; k < len(w); k++ {
		if lower(s[k]) != w[k] {
			return false
		}
	}
	return true
}

// intlPasswordName reports whether s ends with a password name written in
// another script.
func intlPasswordName(s string) bool {
	for _, w := range passwordNamesIntl {
		if strings.HasSuffix(s, w) {
			return true
		}
	}
	return false
}

func (sc *scan) prefixedOnly(v int) int {
	if isLowerASCII(sc.s[v]) {
		return sc.prefixed(v)
	}
	return 0
}

func secretName(name string) bool { return containsAnyFold(name, &secretIndex) }

// containsFold reports whether s contains the lowercase ASCII word w,
// ignoring ASCII case, without allocating.
func containsFold(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		k := 0
		for k < len(w) && lower(s[i+k]) == w[k] {
			k++
		}
		if k == len(w) {
			return true
		}
	}
	return false
}

// phoneCues are the words that announce a phone number, lower case.
// Non-ASCII ones are matched as they are.
var phoneCues = []string{"phone", "telephone", "tel", "tél", "téléphone", "telefon", "telefono", "teléfono",
	"mobile", "mobil", "mob", "cell", "cellphone", "call", "handy", "fax", "whatsapp", "sms", "ph",
	"numéro", "número", "numero", "nummer", "номер",
	"电话", "電話", "手机", "手機", "手机号", "手機號", "电话号码", "電話番号", "携帯", "전화", "휴대폰", "휴대폰은",
	"전화번호는", "연락처", "연락처는", "телефон", "тел", "моб", "هاتف", "جوال"}

// versionCues are the words after which a dotted quad is a version, not an
// IPv4 address ("firmware 1.0.0.12", "версия 5.4.0.1").
var versionCues = []string{"version", "ver", "firmware", "fw", "build", "release", "rev", "revision", "update",
	"patch", "kernel", "driver", "bios", "versión", "versão", "версия", "версии", "バージョン", "版本", "버전"}

// cueBefore reports whether one of cues stands right before byte i, past
// at most a few separators (" ", ":", ".", "#", "-", "(", "/", "=").
func (sc *scan) cueBefore(i int, cues []string) bool {
	s := sc.s
	j := i
	for j > 0 && i-j < 4 && strings.IndexByte(" :.#-(/=", s[j-1]) >= 0 {
		j--
	}
	if j == 0 {
		return false
	}
	for _, w := range cues {
		if j < len(w) {
			continue
		}
		if w[0] < 0x80 {
			if !hasSuffixFold(s[:j], w) {
				continue
			}
		} else if !strings.HasSuffix(s[:j], w) {
			continue
		}
		if w[0] >= 0x80 || !sc.wordBefore(j-len(w)) {
			return true
		}
	}
	return false
}

// hasSuffixFold reports whether s ends with the lower-case word w, ignoring
// ASCII case.
func hasSuffixFold(s, w string) bool {
	o := len(s) - len(w)
	for k := 0; k < len(w); k++ {
		if lower(s[o+k]) != w[k] {
			return false
		}
	}
	return true
}

// validIPv6 reports whether s is an IPv6 address in RFC 4291 text form
// (no zone): groups of one to four hex digits, at most one "::", and
// optionally a dotted IPv4 address in place of the last two groups. It
// agrees with net/netip but allocates nothing when s is not an address.
func validIPv6(s string) bool {
	groups, double := 0, false
	i := 0
	if strings.HasPrefix(s, "::") {
		double, i = true, 2
		if i == len(s) {
			return true
		}
	}
	for i < len(s) {
		// One group, or the embedded IPv4 address that ends the text.
		k := i
		for k < len(s) && k-i < 5 && isHex(s[k]) {
			k++
		}
		if k < len(s) && s[k] == '.' {
			if groups > 6 || !validIPv4(s[i:]) {
				return false
			}
			groups += 2
			break
		}
		if k == i || k-i > 4 {
			return false
		}
		groups++
		if k == len(s) {
			break
		}
		if s[k] != ':' || k+1 == len(s) {
			return false
		}
		k++
		if s[k] == ':' {
			if double {
				return false
			}
			double = true
			k++
			if k == len(s) {
				break
			}
		}
		i = k
	}
	if double {
		return groups < 8
	}
	return groups == 8
}

// validIPv4 reports whether s is a dotted-quad IPv4 address with no
// leading zeros.
func validIPv4(s string) bool {
	parts, i := 0, 0
	for parts < 4 {
		k := i
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if k == i || k-i > 3 || k-i > 1 && s[i] == '0' || digitsValue(s, i, k) > 255 {
			return false
		}
		parts++
		if parts == 4 {
			return k == len(s)
		}
		if k == len(s) || s[k] != '.' {
			return false
		}
		i = k + 1
	}
	return false
}
