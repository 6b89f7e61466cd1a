package eventizer

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The labelled corpus: realistic sentences with PII of every kind in varied
// formats, and hard negatives that look like PII but are not.

// Label classes. Secrets split into prefixed/structural ones and generic
// high-entropy assignments, which have different targets.
const (
	clsEmail     = "email"
	clsPhone     = "phone"
	clsCard      = "card"
	clsIBAN      = "iban"
	clsSSN       = "ssn"
	clsIPv4      = "ipv4"
	clsIPv6      = "ipv6"
	clsSecretPre = "secret_prefixed"
	clsSecretGen = "secret_generic"
	clsNegative  = "hard_negative"
)

var allClasses = []string{clsEmail, clsPhone, clsCard, clsIBAN, clsSSN, clsIPv4, clsIPv6, clsSecretPre, clsSecretGen}

// findingClass maps a finding to its label class.
func findingClass(f Finding) string {
	if f.Kind == KindSecret {
		if f.Validator == "entropy" || f.Validator == "password" {
			return clsSecretGen
		}
		return clsSecretPre
	}
	return string(f.Kind)
}

type label struct {
	class      string
	start, end int
}

type doc struct {
	text   string
	labels []label
}

type docBuilder struct {
	b      strings.Builder
	labels []label
}

func (d *docBuilder) text(s string) { d.b.WriteString(s) }
func (d *docBuilder) labelled(class, s string) {
	d.labels = append(d.labels, label{class, d.b.Len(), d.b.Len() + len(s)})
	d.b.WriteString(s)
}

// wrapped writes a labelled value, sometimes inside brackets or quotes.
func (d *docBuilder) wrapped(g gen, class, s string) {
	w := g.r.IntN(10)
	open, closing := "", ""
	switch w {
	case 0:
		open, closing = "(", ")"
	case 1:
		open, closing = "<", ">"
	case 2:
		open, closing = "\"", "\""
	case 3:
		open, closing = "'", "'"
	}
	d.text(open)
	d.labelled(class, s)
	d.text(closing)
}

type gen struct{ r *rand.Rand }

func (g gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g gen) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.r.IntN(10))
	}
	return string(b)
}
func (g gen) from(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

const (
	alnum    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperNum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

var firstNames = []string{"john", "maria", "li", "ahmed", "sofia", "oliver", "yuki", "fatima", "lucas", "anna"}
var lastNames = []string{"smith", "garcia", "wang", "khan", "rossi", "brown", "tanaka", "okafor", "silva", "novak"}

func (g gen) email() string {
	f, l := g.pick(firstNames...), g.pick(lastNames...)
	local := g.pick(f+"."+l, f+"_"+l+g.digits(2), f[:1]+l, f+"+hotel", strings.ToUpper(f[:1])+f[1:]+"."+strings.ToUpper(l[:1])+l[1:], l+g.digits(3))
	dom := g.pick("example.com", "mail.example.org", "hotel-group.co.uk", "corp.example.net", "gmail.com", "uni.example.edu", "xn--bcher-kva.example")
	return local + "@" + dom
}

func (g gen) nanpPart() (string, string, string) {
	area := 2 + g.r.IntN(8)
	a := strconv.Itoa(area) + g.digits(2)
	for strings.HasSuffix(a, "11") {
		a = strconv.Itoa(area) + g.digits(2)
	}
	e := strconv.Itoa(2+g.r.IntN(8)) + g.digits(2)
	for strings.HasSuffix(e, "11") {
		e = strconv.Itoa(2+g.r.IntN(8)) + g.digits(2)
	}
	return a, e, g.digits(4)
}

func (g gen) phone() string {
	if g.r.IntN(2) == 0 {
		a, e, x := g.nanpPart()
		switch g.r.IntN(8) {
		case 0:
			return "(" + a + ") " + e + "-" + x
		case 1:
			return a + "-" + e + "-" + x
		case 2:
			return a + "." + e + "." + x
		case 3:
			return a + " " + e + " " + x
		case 4:
			return "+1 " + a + " " + e + " " + x
		case 5:
			return "+1-" + a + "-" + e + "-" + x
		case 6:
			return "1-" + a + "-" + e + "-" + x
		default:
			return "+1 (" + a + ") " + e + "-" + x
		}
	}
	cc := g.pick("44", "49", "33", "81", "61", "91", "34", "39", "31", "46", "353", "971", "65", "852", "55", "52", "27", "86")
	nat := strconv.Itoa(1+g.r.IntN(9)) + g.digits(8+g.r.IntN(2))
	switch g.r.IntN(5) {
	case 0:
		return "+" + cc + nat
	case 1:
		return "+" + cc + " " + groupBy(nat, []int{2, 4, 4}, " ")
	case 2:
		return "+" + cc + "-" + groupBy(nat, []int{1, 4, 4}, "-")
	case 3:
		return "+" + cc + " (0)" + groupBy(nat, []int{2, 4, 4}, " ")
	default:
		return "+" + cc + " " + groupBy(nat, []int{3, 3, 3}, " ")
	}
}

// groupBy splits s into groups of the given sizes (the last takes the rest).
func groupBy(s string, sizes []int, sep string) string {
	var parts []string
	for i, n := range sizes {
		if i == len(sizes)-1 || n >= len(s) {
			parts = append(parts, s)
			s = ""
			break
		}
		parts = append(parts, s[:n])
		s = s[n:]
	}
	if s != "" {
		parts = append(parts, s)
	}
	return strings.Join(parts, sep)
}

func luhnDigit(body string) byte {
	sum := 0
	double := true
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}

// cardNumber returns a valid number and its issuer's grouping.
func (g gen) cardNumber() (string, []int) {
	var prefix string
	n := 16
	groups := []int{4, 4, 4, 4}
	switch g.r.IntN(7) {
	case 0:
		prefix = "4"
	case 1:
		prefix = strconv.Itoa(51 + g.r.IntN(5))
	case 2:
		prefix, n, groups = g.pick("34", "37"), 15, []int{4, 6, 5}
	case 3:
		prefix = g.pick("6011", "65", "644")
	case 4:
		prefix = strconv.Itoa(3528 + g.r.IntN(60))
	case 5:
		prefix, n, groups = g.pick("36", "38"), 14, []int{4, 6, 4}
	default:
		prefix = strconv.Itoa(2221 + g.r.IntN(500))
	}
	body := prefix + g.digits(n-1-len(prefix))
	return body + string(luhnDigit(body)), groups
}

func (g gen) card() string {
	num, groups := g.cardNumber()
	switch g.r.IntN(3) {
	case 0:
		return num
	case 1:
		return groupBy(num, groups, " ")
	default:
		return groupBy(num, groups, "-")
	}
}

func ibanCheck(cc, bban string) string {
	r := 0
	for _, c := range bban + cc + "00" {
		if c >= '0' && c <= '9' {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A'+10)) % 97
		}
	}
	return fmt.Sprintf("%02d", 98-r)
}

func (g gen) iban() string {
	type c struct {
		cc   string
		bban func() string
	}
	cs := []c{
		{"DE", func() string { return g.digits(18) }},
		{"GB", func() string { return g.from("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4) + g.digits(14) }},
		{"FR", func() string { return g.digits(10) + g.from(upperNum, 11) + g.digits(2) }},
		{"NL", func() string { return g.from("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4) + g.digits(10) }},
		{"ES", func() string { return g.digits(20) }},
		{"IT", func() string { return "X" + g.digits(10) + g.from(upperNum, 12) }},
		{"CH", func() string { return g.digits(17) }},
		{"BE", func() string { return g.digits(12) }},
		{"NO", func() string { return g.digits(11) }},
	}
	x := cs[g.r.IntN(len(cs))]
	bban := x.bban()
	iban := x.cc + ibanCheck(x.cc, bban) + bban
	if g.r.IntN(2) == 0 {
		return iban
	}
	var parts []string
	for len(iban) > 4 {
		parts = append(parts, iban[:4])
		iban = iban[4:]
	}
	return strings.Join(append(parts, iban), " ")
}

func (g gen) ssn() string {
	area := 1 + g.r.IntN(899)
	for area == 666 || area == 78 || area == 219 || area == 123 {
		area = 1 + g.r.IntN(899)
	}
	return fmt.Sprintf("%03d-%02d-%04d", area, 1+g.r.IntN(99), 1+g.r.IntN(9999))
}

func (g gen) ipv4() string {
	switch g.r.IntN(3) {
	case 0:
		return fmt.Sprintf("192.168.%d.%d", g.r.IntN(256), 1+g.r.IntN(254))
	case 1:
		return fmt.Sprintf("10.%d.%d.%d", g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
	default:
		return fmt.Sprintf("%d.%d.%d.%d", 1+g.r.IntN(223), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
	}
}

func (g gen) ipv6() string {
	var b [16]byte
	b[0], b[1] = 0x20, 0x01
	for i := 2; i < 16; i++ {
		if g.r.IntN(3) > 0 {
			b[i] = byte(g.r.IntN(256))
		}
	}
	if g.r.IntN(3) == 0 {
		b[0], b[1] = 0xfe, 0x80
		for i := 2; i < 8; i++ {
			b[i] = 0
		}
	}
	a := netip.AddrFrom16(b)
	switch g.r.IntN(3) {
	case 0:
		return a.StringExpanded()
	case 1:
		return strings.ToUpper(a.String())
	default:
		return a.String()
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func (g gen) prefixedSecret() string {
	switch g.r.IntN(6) {
	case 0:
		return "AKIA" + g.from(upperNum, 16)
	case 1:
		return g.pick("ghp_", "gho_", "ghs_") + g.from(alnum, 36)
	case 2:
		return "xoxb-" + g.digits(11) + "-" + g.digits(12) + "-" + g.from(alnum, 24)
	case 3:
		return g.pick("sk_live_", "rk_live_", "sk_test_") + g.from(alnum, 24+g.r.IntN(10))
	case 4:
		return b64(`{"alg":"HS256","typ":"JWT"}`) + "." + b64(fmt.Sprintf(`{"sub":"%s","iat":%d}`, g.digits(8), 1700000000+g.r.IntN(1e8))) + "." + g.from(alnum+"-_", 43)
	default:
		var lines []string
		for range 3 + g.r.IntN(4) {
			lines = append(lines, g.from(alnum+"+/", 64))
		}
		kind := g.pick("RSA ", "EC ", "", "OPENSSH ")
		return "-----BEGIN " + kind + "PRIVATE KEY-----\n" + strings.Join(lines, "\n") + "\n-----END " + kind + "PRIVATE KEY-----"
	}
}

// genericSecret returns the text before the value, the value, and the text
// after it.
func (g gen) genericSecret() (string, string, string) {
	v := g.from(alnum, 16+g.r.IntN(25))
	if g.r.IntN(3) == 0 {
		v = g.from(alnum+"+/_-", 20+g.r.IntN(20))
	}
	for !strings.ContainsAny(v, "0123456789") {
		v = g.from(alnum, 16+g.r.IntN(25))
	}
	switch g.r.IntN(6) {
	case 0:
		return "api_key=", v, ""
	case 1:
		return "password: ", v, ""
	case 2:
		return `"client_secret": "`, v, `"`
	case 3:
		return "token=", v, ""
	case 4:
		return "DB_PASSWORD='", v, "'"
	default:
		return "Authorization token: ", v, ""
	}
}

// hardNegative returns text that looks like PII and is not.
func (g gen) hardNegative() string {
	switch g.r.IntN(24) {
	case 14:
		return "$" + strconv.Itoa(1+g.r.IntN(99)) + "," + g.digits(3) + "." + g.digits(2)
	case 15:
		return "555-01" + g.digits(2)
	case 16:
		return "978-" + g.digits(1) + "-" + g.digits(2) + "-" + g.digits(6) + "-" + g.digits(1)
	case 17:
		return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", g.r.IntN(256), g.r.IntN(256), g.r.IntN(256), g.r.IntN(256), g.r.IntN(256), g.r.IntN(256))
	case 18:
		return fmt.Sprintf("%02d:%02d:%02d", g.r.IntN(24), g.r.IntN(60), g.r.IntN(60))
	case 19:
		return fmt.Sprintf("10.%d.%d.%d", g.r.IntN(256), g.r.IntN(256), 256+g.r.IntN(700))
	case 20:
		return g.pick("000", "666", "9"+g.digits(2)) + "-" + g.digits(2) + "-" + g.digits(4)
	case 21:
		// An IBAN with a wrong check number.
		bban := g.digits(18)
		ck := ibanCheck("DE", bban)
		bad := fmt.Sprintf("%02d", (int(ck[0]-'0')*10+int(ck[1]-'0')+1+g.r.IntN(90))%97+2)
		if bad == ck {
			bad = "00"
		}
		return "DE" + bad + bban
	case 22:
		return g.pick(firstNames...) + "@localhost"
	case 23:
		return "AKIA" + g.from(upperNum, 12)
	case 0:
		return fmt.Sprintf("v%d.%d.%d", g.r.IntN(10), g.r.IntN(30), g.r.IntN(100))
	case 1:
		return fmt.Sprintf("%d.%d.%d", g.r.IntN(10), g.r.IntN(30), g.r.IntN(100))
	case 2:
		return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", g.r.Uint32(), g.r.IntN(1<<16), g.r.IntN(1<<16), g.r.IntN(1<<16), g.r.Int64N(1<<48))
	case 3:
		return g.from("0123456789abcdef", g.pick3(7, 40, 64))
	case 4:
		return "#" + g.from("ABCDEFGHJKLMNPQRSTUVWXYZ", 1) + "-" + g.digits(5)
	case 5:
		return g.digits(4) + "-" + g.digits(4) + "-" + g.digits(4)
	case 6:
		return "ORD-" + strconv.Itoa(2020+g.r.IntN(7)) + "-" + g.digits(6)
	case 7:
		return strconv.Itoa(1+g.r.IntN(30)) + g.digits(2)
	case 8:
		return fmt.Sprintf("%04d-%02d-%02d", 2020+g.r.IntN(7), 1+g.r.IntN(12), 1+g.r.IntN(28))
	case 9:
		return fmt.Sprintf("%02d/%02d/%04d", 1+g.r.IntN(12), 1+g.r.IntN(28), 2020+g.r.IntN(7))
	case 10:
		return fmt.Sprintf("%02d:%02d", g.r.IntN(24), g.r.IntN(60))
	case 11:
		// 16 digits with a valid issuer prefix that fail the Luhn check.
		num, groups := g.cardNumber()
		last := (num[len(num)-1]-'0'+byte(1+g.r.IntN(9)))%10 + '0'
		num = num[:len(num)-1] + string(last)
		if g.r.IntN(2) == 0 {
			return groupBy(num, groups, " ")
		}
		return num
	case 12:
		return fmt.Sprintf("%d.%d.%d-%d-generic", 4+g.r.IntN(3), g.r.IntN(20), g.r.IntN(10), 100+g.r.IntN(100))
	default:
		return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:00Z", 2020+g.r.IntN(7), 1+g.r.IntN(12), 1+g.r.IntN(28), g.r.IntN(24), g.r.IntN(60))
	}
}

func (g gen) pick3(a, b, c int) int { return []int{a, b, c}[g.r.IntN(3)] }

var openers = []string{
	"Guest in room %s called the front desk.",
	"Please follow up with the guest before checkout.",
	"The reservation was changed this morning.",
	"Housekeeping noted the minibar was restocked.",
	"Reference %s was attached to the folio.",
	"The night manager reviewed the request.",
}

// genDoc builds one labelled document.
func genDoc(g gen) doc {
	var d docBuilder
	n := 2 + g.r.IntN(4)
	for s := 0; s < n; s++ {
		if s > 0 {
			d.text(" ")
		}
		switch g.r.IntN(13) {
		case 0:
			d.text(g.pick("Contact the guest at ", "Confirmation was sent to ", "Reply to "))
			d.wrapped(g, clsEmail, g.email())
			d.text(g.pick(".", " today.", ", thanks."))
		case 1:
			d.text(g.pick("Call back on ", "Guest phone: ", "Reach the driver at "))
			d.wrapped(g, clsPhone, g.phone())
			d.text(g.pick(".", " after 6 pm.", " (mobile)."))
		case 2:
			d.text(g.pick("Card on file ", "They paid with ", "Charge card "))
			d.wrapped(g, clsCard, g.card())
			d.text(g.pick(" exp 12/27.", ".", " for the deposit."))
		case 3:
			d.text(g.pick("Refund to IBAN ", "Bank account: ", "Wire the deposit to "))
			d.wrapped(g, clsIBAN, g.iban())
			d.text(g.pick(".", " please.", " by Friday."))
		case 4:
			d.text(g.pick("SSN ", "Social security number: ", "Guest gave SSN "))
			d.wrapped(g, clsSSN, g.ssn())
			d.text(g.pick(" for the payroll form.", ".", " on the form."))
		case 5:
			d.text(g.pick("Login from ", "Router at ", "Blocked IP "))
			d.wrapped(g, clsIPv4, g.ipv4())
			d.text(g.pick(" failed twice.", ".", ":8080 was reset."))
		case 6:
			d.text(g.pick("Device address ", "IPv6 ", "Seen from "))
			d.wrapped(g, clsIPv6, g.ipv6())
			d.text(g.pick(" on the guest network.", ".", " yesterday."))
		case 7:
			d.text(g.pick("Leaked credential ", "The key ", "Found in the config: "))
			d.wrapped(g, clsSecretPre, g.prefixedSecret())
			d.text(g.pick(" must be rotated.", ".", " in the log."))
		case 8:
			pre, v, post := g.genericSecret()
			d.text(g.pick("Config had ", "Ticket shows ", "Log line: "))
			d.text(pre)
			d.labelled(clsSecretGen, v)
			d.text(post + g.pick(" in plain text.", ".", " again."))
		case 9, 10, 11:
			d.text(g.pick("Build ", "Order ", "See ", "Ticket ", "Room ", "Logged ", "Ref "))
			d.labelled(clsNegative, g.hardNegative())
			d.text(g.pick(" was updated. ", ". ", " in the notes. ", " and ", ", see "))
			d.labelled(clsNegative, g.hardNegative())
			d.text(".")
		default:
			o := g.pick(openers...)
			if strings.Contains(o, "%s") {
				o = fmt.Sprintf(o, g.digits(3+g.r.IntN(2)))
			}
			d.text(o)
		}
	}
	return doc{text: d.b.String(), labels: d.labels}
}

func genCorpus(seed uint64, n int) []doc {
	g := gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	docs := make([]doc, n)
	for i := range docs {
		docs[i] = genDoc(g)
	}
	return docs
}

type prCount struct{ tp, fp, fn int }

func TestCorpusPrecisionRecall(t *testing.T) {
	t.Parallel()
	docs := genCorpus(20260401, 6000)
	a, err := New(Options{})
	require.NoError(t, err)

	counts := map[string]*prCount{}
	for _, c := range allClasses {
		counts[c] = &prCount{}
	}
	negatives, negHit := 0, 0
	var misses []string
	for _, d := range docs {
		r := a.Analyze(d.text)
		matched := make([]bool, len(r.Findings))
		for _, l := range d.labels {
			if l.class == clsNegative {
				negatives++
				for _, f := range r.Findings {
					if f.Start < l.end && l.start < f.End {
						negHit++
						if len(misses) < 20 {
							misses = append(misses, fmt.Sprintf("negative hit %s: %q", f.Kind, d.text[l.start:l.end]))
						}
						break
					}
				}
				continue
			}
			found := false
			for k, f := range r.Findings {
				if f.Start == l.start && f.End == l.end && findingClass(f) == l.class {
					matched[k] = true
					found = true
					break
				}
			}
			if found {
				counts[l.class].tp++
			} else {
				counts[l.class].fn++
				if len(misses) < 20 {
					misses = append(misses, fmt.Sprintf("missed %s: %q", l.class, d.text[l.start:l.end]))
				}
			}
		}
		for k, f := range r.Findings {
			if !matched[k] {
				counts[findingClass(f)].fp++
				if len(misses) < 20 {
					misses = append(misses, fmt.Sprintf("spurious %s: %q in %q", findingClass(f), d.text[f.Start:f.End], d.text))
				}
			}
		}
	}
	for _, m := range misses {
		t.Log(m)
	}

	type target struct{ precision, recall float64 }
	targets := map[string]target{
		clsEmail: {0.99, 0.99}, clsCard: {0.99, 0.99}, clsIBAN: {0.99, 0.99}, clsSSN: {0.99, 0.99},
		clsIPv4: {0.99, 0.99}, clsIPv6: {0.99, 0.99}, clsSecretPre: {0.99, 0.99},
		clsPhone: {0.97, 0.95}, clsSecretGen: {0.95, 0.90},
	}
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "\n%-16s %6s %5s %5s %9s %7s\n", "class", "labels", "fp", "fn", "precision", "recall")
	classes := append([]string(nil), allClasses...)
	sort.Strings(classes)
	type result struct {
		class     string
		precision float64
		recall    float64
	}
	var results []result
	for _, c := range classes {
		n := counts[c]
		p := float64(n.tp) / float64(max(1, n.tp+n.fp))
		rc := float64(n.tp) / float64(max(1, n.tp+n.fn))
		fmt.Fprintf(&tbl, "%-16s %6d %5d %5d %9.4f %7.4f\n", c, n.tp+n.fn, n.fp, n.fn, p, rc)
		results = append(results, result{c, p, rc})
	}
	fpRate := float64(negHit) / float64(max(1, negatives))
	fmt.Fprintf(&tbl, "hard negatives: %d, hit: %d, false-positive rate %.4f\n", negatives, negHit, fpRate)
	t.Log(tbl.String())

	for _, res := range results {
		require.Positive(t, counts[res.class].tp+counts[res.class].fn, "class %s has no labels", res.class)
		require.GreaterOrEqual(t, res.precision, targets[res.class].precision, "precision of %s", res.class)
		require.GreaterOrEqual(t, res.recall, targets[res.class].recall, "recall of %s", res.class)
	}
	require.LessOrEqual(t, fpRate, 0.01, "false positives on hard negatives")
	require.GreaterOrEqual(t, len(docs), 5000)
}
