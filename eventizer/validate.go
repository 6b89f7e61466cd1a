package eventizer

import (
	"encoding/base64"
	"math"
)

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLowerASCII(c byte) bool {
	return c >= 'a' && c <= 'z'
}
func isAlnum(c byte) bool { return isDigit(c) || isUpper(c) || isLowerASCII(c) }
func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// digitsValue parses up to 9 ASCII digits of s[a:b] (the caller checked
// them).
func digitsValue(s string, a, b int) int {
	v := 0
	for i := a; i < b; i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v
}

// luhnOK runs the Luhn check over the digits of s[a:b], skipping anything
// else.
func luhnOK(s string, a, b int) bool {
	sum, double := 0, false
	for i := b - 1; i >= a; i-- {
		c := s[i]
		if !isDigit(c) {
			continue
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// cardIssuerOK checks the issuer prefix against the digit count. digits
// holds the leading digits as a number of six digits (padded) and n the
// total count.
func cardIssuerOK(p6 int, n int) bool {
	p1, p2, p3, p4 := p6/100000, p6/10000, p6/1000, p6/100
	switch {
	case p1 == 4: // Visa
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p2 == 34 || p2 == 37: // American Express
		return n == 15
	case p4 == 6011, p3 >= 644 && p3 <= 649, p2 == 65, p6 >= 622126 && p6 <= 622925: // Discover
		return n >= 16 && n <= 19
	case p4 >= 3528 && p4 <= 3589: // JCB
		return n >= 16 && n <= 19
	case p3 >= 300 && p3 <= 305, p2 == 36, p2 == 38, p2 == 39: // Diners Club
		return n >= 14 && n <= 19
	case p2 == 62: // UnionPay
		return n >= 16 && n <= 19
	case p4 == 5018, p4 == 5020, p4 == 5038, p4 == 5893, p4 == 6304, p4 == 6759, p4 == 6761, p4 == 6762, p4 == 6763: // Maestro
		return n >= 13 && n <= 19
	}
	return false
}

// ssnOK applies the Social Security Administration's rules: area 001-899
// except 666, group 01-99, serial 0001-9999, and a few numbers that were
// published in advertising and never valid.
func ssnOK(area, group, serial int) bool {
	if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
		return false
	}
	switch {
	case area == 78 && group == 5 && serial == 1120,
		area == 219 && group == 9 && serial == 9999,
		area == 123 && group == 45 && serial == 6789:
		return false
	}
	return true
}

// nanpOK checks a North American area code and exchange: both start 2-9,
// and neither is an N11 service code.
func nanpOK(area, exchange int) bool {
	if area < 200 || exchange < 200 {
		return false
	}
	if area%100 == 11 || exchange%100 == 11 {
		return false
	}
	return true
}

// ibanLengths is the IBAN length of each country that issues them.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
	"BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
	"EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
	"GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
	"IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
	"LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
	"NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
	"SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
	"TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

// ibanTable maps a two-letter country code (index (c0-'A')*26+(c1-'A')) to
// its IBAN length, so the scanner never hashes a string.
var ibanTable = func() (t [26 * 26]uint8) {
	for cc, n := range ibanLengths {
		t[int(cc[0]-'A')*26+int(cc[1]-'A')] = uint8(n)
	}
	return t
}()

// mod97OK runs the ISO 7064 MOD 97-10 check on a compact IBAN.
func mod97OK(iban []byte) bool {
	r := 0
	add := func(c byte) {
		if isDigit(c) {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A'+10)) % 97
		}
	}
	for _, c := range iban[4:] {
		add(c)
	}
	for _, c := range iban[:4] {
		add(c)
	}
	return r == 1
}

// countryCodeLen returns the length (1-3) of the ITU country calling code
// at the start of digits, or 0 when none is assigned.
func countryCodeLen(d []byte) int {
	if len(d) < 3 {
		return 0
	}
	switch d[0] {
	case '1', '7':
		return 1
	}
	two := int(d[0]-'0')*10 + int(d[1]-'0')
	if twoDigitCC[two] {
		return 2
	}
	if d[0] == '0' {
		return 0
	}
	if threeDigitBlock[two] {
		return 3
	}
	return 0
}

// twoDigitCC marks the two-digit country calling codes; threeDigitBlock
// the two-digit prefixes of three-digit codes (210-299, 350-389, 420-429,
// 500-509, 590-599, 670-699, 800-809, 850-889, 960-999, roughly: unassigned
// numbers inside those blocks are accepted).
var twoDigitCC, threeDigitBlock = func() (two, three [100]bool) {
	for _, c := range []int{20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49,
		51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98} {
		two[c] = true
	}
	for _, c := range []int{21, 22, 23, 24, 25, 26, 29, 35, 37, 38, 42, 50, 59, 67, 68, 69, 80, 85, 87, 88, 96, 97, 99} {
		three[c] = true
	}
	return
}()

// secretValueOK judges the value of a secret-looking assignment: long
// enough, high Shannon entropy, letters mixed with digits, and frequent
// switches between character classes (which plain words and hyphenated
// phrases lack).
func secretValueOK(v string) bool {
	n := len(v)
	if n < 12 || n > 256 {
		return false
	}
	var counts [256]uint16
	var hasLower, hasUpper, hasDigit bool
	switches := 0
	prev := 0
	for i := 0; i < n; i++ {
		c := v[i]
		counts[c]++
		cl := 4
		switch {
		case isLowerASCII(c):
			hasLower, cl = true, 1
		case isUpper(c):
			hasUpper, cl = true, 2
		case isDigit(c):
			hasDigit, cl = true, 3
		}
		if i > 0 && cl != prev {
			switches++
		}
		prev = cl
	}
	classes := 0
	for _, b := range []bool{hasLower, hasUpper, hasDigit} {
		if b {
			classes++
		}
	}
	if classes < 2 || !hasDigit && classes < 3 {
		return false
	}
	if switches*5 < n {
		return false
	}
	h := 0.0
	for _, c := range counts {
		if c != 0 {
			p := float64(c) / float64(n)
			h -= p * math.Log2(p)
		}
	}
	want := 3.0
	if n < 20 {
		want = math.Log2(float64(n)) * 0.8
	}
	return h >= want
}

// jwtPartOK decodes a base64url segment into a stack buffer and checks
// that it is a JSON object; for the header, that it names "alg".
func jwtPartOK(seg string, header bool) bool {
	var buf [768]byte
	if base64.RawURLEncoding.DecodedLen(len(seg)) > len(buf) {
		// Long payloads are common; check only that they start like an
		// object.
		seg = seg[:1020]
	}
	n, err := base64.RawURLEncoding.Decode(buf[:], []byte(seg))
	if err != nil && n == 0 {
		return false
	}
	d := buf[:n]
	i := 0
	for i < len(d) && (d[i] == ' ' || d[i] == '\n' || d[i] == '\r' || d[i] == '\t') {
		i++
	}
	if i >= len(d) || d[i] != '{' {
		return false
	}
	if !header {
		return true
	}
	for j := i; j+5 <= len(d); j++ {
		if string(d[j:j+5]) == `"alg"` {
			return true
		}
	}
	return false
}
