package eventizer

import (
	"net/netip"
	"strings"
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
	seps       [maxGroups]byte // seps[k] joins groups[k] and groups[k+1]
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

func (sc *scan) wordBefore(i int) bool { return i > 0 && isWordByte(sc.s[i-1]) }
func (sc *scan) wordAt(i int) bool     { return i < len(sc.s) && isWordByte(sc.s[i]) }

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
		if c <= 'F' {
			return sc.ipv6(i)
		}
	case isLowerASCII(c):
		if end := sc.prefixed(i); end > 0 {
			return end
		}
		if c <= 'f' {
			return sc.ipv6(i)
		}
	}
	return 0
}

var localTable = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		t[c] = isAlnum(b) || strings.IndexByte("._%+-", b) >= 0
	}
	return t
}()

func (sc *scan) email(at int) int {
	s := sc.s
	// Domain: labels of [A-Za-z0-9-] joined by single dots.
	k := at + 1
	labels, lastStart := 0, k
	end := 0
	for {
		ls := k
		for k < len(s) && (isAlnum(s[k]) || s[k] == '-') {
			k++
		}
		if k == ls || k-ls > 63 || s[ls] == '-' || s[k-1] == '-' {
			break
		}
		labels++
		lastStart = ls
		end = k
		if k+1 < len(s) && s[k] == '.' && isAlnum(s[k+1]) {
			k++
			continue
		}
		break
	}
	if labels < 2 || sc.wordAt(end) {
		return 0
	}
	tld := s[lastStart:end]
	if len(tld) < 2 {
		return 0
	}
	if !strings.HasPrefix(tld, "xn--") {
		for t := 0; t < len(tld); t++ {
			if !isUpper(tld[t]) && !isLowerASCII(tld[t]) {
				return 0
			}
		}
	}
	// Local part, backwards from '@'.
	j := at
	for j > 0 && at-j < 64 && localTable[s[j-1]] {
		j--
	}
	if j > 0 && (localTable[s[j-1]] || s[j-1] >= 0x80) {
		return 0 // local part too long, or glued to other text
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
	for a := 0; a < n; a++ {
		for b := n; b > a; b-- {
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
	var sep byte
	if cnt > 1 {
		sep = sc.seps[a]
		for k := a; k < b-1; k++ {
			if sc.seps[k] != sep {
				return 0
			}
		}
		// A value must not continue with the same separator: "1.2.3.4.5" is
		// no IPv4 address.
		if a > 0 && sc.seps[a-1] == sep || b < n && sc.seps[b-1] == sep {
			return 0
		}
	}
	if a > 0 || b < n {
		// A value inside a longer run must be set off by a different
		// separator; "12/25/2026" parts are not numbers.
		if cnt == 1 {
			return 0
		}
	}
	digits := 0
	for _, x := range g {
		digits += x.end - x.start
	}
	glen := func(k int) int { return g[k].end - g[k].start }
	switch sep {
	case '.':
		if cnt == 4 && ipv4GroupsOK(s, g) {
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
	case '-':
		if cnt == 3 && glen(0) == 3 && glen(1) == 2 && glen(2) == 4 {
			if ssnOK(digitsValue(s, g[0].start, g[0].end), digitsValue(s, g[1].start, g[1].end), digitsValue(s, g[2].start, g[2].end)) {
				sc.add(Finding{Kind: KindSSN, Start: start, End: end, Score: scoreMedium, Validator: "ssa"})
				return end
			}
			return 0
		}
		if cnt == 3 && glen(0) == 4 && glen(1) == 2 && glen(2) == 2 {
			sc.hasTime = true // 2026-03-15
			return 0
		}
	}
	// Payment card.
	if digits >= 13 && digits <= 19 && (sep == 0 || sep == ' ' || sep == '-') {
		ok := true
		if cnt > 1 {
			if glen(0) != 4 {
				ok = false
			}
			for k := range g {
				if l := glen(k); l < 3 || l > 6 {
					ok = false
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
	// '+' then digits, single separators and parenthesised groups.
	k := i + 1
	nd := 0
	end := 0
	for k < len(s) && nd <= 15 {
		c := s[k]
		switch {
		case isDigit(c):
			sc.buf[nd%len(sc.buf)] = c
			nd++
			k++
			end = k
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
				for q := k + 1; q < p; q++ {
					sc.buf[nd%len(sc.buf)] = s[q]
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
	colons, double := 0, false
	for k < len(s) && k-i < 45 {
		c := s[k]
		if c == ':' {
			colons++
			if k+1 < len(s) && s[k+1] == ':' {
				double = true
			}
		} else if !isHex(c) && c != '.' {
			break
		}
		k++
	}
	end := k
	for end > i && (s[end-1] == '.' || s[end-1] == ':' && !(end-2 >= i && s[end-2] == ':')) {
		end--
	}
	if colons < 2 || !double && colons != 7 || sc.wordAt(end) || end-i < 2 {
		return 0
	}
	ip, err := netip.ParseAddr(s[i:end])
	if err != nil || !ip.Is6() {
		return 0
	}
	sc.add(Finding{Kind: KindIPv6, Start: i, End: end, Score: scoreMedium, Validator: "netip"})
	return end
}

func (sc *scan) iban(i int) int {
	s := sc.s
	if i+15 > len(s) || !isUpper(s[i+1]) || !isDigit(s[i+2]) || !isDigit(s[i+3]) {
		return 0
	}
	want := int(ibanTable[int(s[i]-'A')*26+int(s[i+1]-'A')])
	if want == 0 {
		return 0
	}
	n, k := 0, i
	for k < len(s) && n < want {
		c := s[k]
		if isDigit(c) || isUpper(c) {
			sc.buf[n] = c
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

// assignment finds the value of "name=value" or "name: value" where the
// name looks like a credential and the value has high entropy. The span is
// the value only.
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
	if j == ne || sc.wordBefore(j) {
		return 0
	}
	if !secretName(s[j:ne]) {
		return 0
	}
	// The value, forwards, past spaces and an opening quote.
	v := i + 1
	for v < len(s) && v-i <= 2 && s[v] == ' ' {
		v++
	}
	if v < len(s) && (s[v] == '"' || s[v] == '\'') {
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
	e := runOf(s, v, isSecretByte)
	for e > v && s[e-1] == '.' {
		e--
	}
	if e < len(s) && s[e] >= 0x80 {
		return 0
	}
	if !secretValueOK(s[v:e]) {
		return 0
	}
	sc.add(Finding{Kind: KindSecret, Start: v, End: e, Score: scoreEntropy, Validator: "entropy"})
	return e
}

func (sc *scan) prefixedOnly(v int) int {
	if isLowerASCII(sc.s[v]) {
		return sc.prefixed(v)
	}
	return 0
}

func secretName(name string) bool {
	for _, w := range secretNames {
		if containsFold(name, w) {
			return true
		}
	}
	return false
}

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
