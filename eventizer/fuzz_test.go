package eventizer

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func checkInvariants(t *testing.T, text string, r Result, maxBytes int) {
	t.Helper()
	analysed := text
	if len(analysed) > maxBytes {
		analysed = analysed[:min(len(analysed), len(r.RedactedText))] // only meaningful without findings
	}
	prevEnd := 0
	for i, f := range r.Findings {
		// Only the last finding may cross the cut (a value straddling it is
		// kept whole), and by at most the margin read past it.
		crosses := f.End > maxBytes && (i < len(r.Findings)-1 || f.Start >= maxBytes || f.End > maxBytes+truncMargin)
		if f.Start < prevEnd || f.Start >= f.End || f.End > len(text) || crosses {
			t.Fatalf("finding %d span [%d,%d) out of order or bounds (prev end %d, len %d)", i, f.Start, f.End, prevEnd, len(text))
		}
		prevEnd = f.End
	}
	// No value survives; one of three bytes or fewer is redacted again only
	// where it stands as a word. Tokens are taken out first: a password
	// may be "REDACTED".
	rest := tokenRE.ReplaceAllString(r.RedactedText, "\x00")
	for _, f := range r.Findings {
		v := text[f.Start:f.End]
		if len(v) > 3 && strings.Contains(rest, v) || len(v) <= 3 && containsWord(rest, v) {
			t.Fatalf("redacted text %q still contains %s value %q", r.RedactedText, f.Kind, v)
		}
	}
	if len(r.Findings) == 0 && r.RedactedText != analysed {
		t.Fatalf("no findings but the text changed")
	}
	if r.Priority < 0 || r.Priority > 10 || r.Confidence < 0 || r.Confidence > 1 {
		t.Fatalf("priority %d or confidence %v out of range", r.Priority, r.Confidence)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	}
}

var tokenRE = regexp.MustCompile(`\[(EMAIL|PHONE|CARD|IBAN|SSN|IPV4|IPV6|SECRET)_[0-9A-Za-z]+\]`)

// containsWord reports whether w occurs in s between non-word bytes.
func containsWord(s, w string) bool {
	for from := 0; ; {
		k := strings.Index(s[from:], w)
		if k < 0 {
			return false
		}
		i := from + k
		if (i == 0 || !isWordByte(s[i-1])) && (i+len(w) == len(s) || !isWordByte(s[i+len(w)])) {
			return true
		}
		from = i + 1
	}
}

func FuzzAnalyze(f *testing.F) {
	for _, d := range genCorpus(99, 40) {
		f.Add(d.text)
	}
	for _, s := range []string{
		"", "@", "a@b", "+", "(", "-----BEGIN PRIVATE KEY-----", "::", "::1", "1.1.1.1x1.1.1.1",
		"eyJhbGciOiJub25lIn0.eyJ.", "key=", "password:\"", "GB82 WEST", "4111 1111 1111 1111 1111",
		"xoxb-", "ghp_", "\xff\xfe@\x80.com", "help fire drill smoke detector",
	} {
		f.Add(s)
	}
	a, err := New(Options{MaxBytes: 512})
	if err != nil {
		f.Fatal(err)
	}
	num, err := New(Options{MaxBytes: 512, Tokens: TokensNumbered})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		checkInvariants(t, text, a.Analyze(text), 512)
		r1, r2 := num.Analyze(text), num.Analyze(text)
		checkInvariants(t, text, r1, 512)
		b1, _ := json.Marshal(r1)
		b2, _ := json.Marshal(r2)
		if string(b1) != string(b2) {
			t.Fatalf("not deterministic")
		}
	})
}

func FuzzParsePack(f *testing.F) {
	f.Add(defaultPackJSON)
	f.Add([]byte(`{"version":1,"default_domain":"d","events":[{"type":"a","rules":[{"all":[["x*"],["y z"]],"window":1}]}]}`))
	f.Add([]byte(`{"version":1,"default_domain":"d","events":[{"type":"a","unless":["q"],"rules":[{"any":["x*","y"]}],` +
		`"score":{"bias":-1,"threshold":0.5,"weights":{"x*":2,"y":-1}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePack(data)
		if err != nil {
			return
		}
		a, err := New(Options{Pack: p})
		if err != nil {
			t.Fatalf("a pack that parses must compile: %v", err)
		}
		a.Analyze("fire help luggage lost x y z")
	})
}
