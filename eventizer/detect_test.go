package eventizer

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
)

// want is one expected finding: its kind and the exact original bytes.
type want struct {
	kind  Kind
	value string
}

// requireFindings checks that r has exactly the wanted findings, in order,
// and that none of their values survives in the redacted text.
func requireFindings(t *testing.T, text string, r Result, ws []want) {
	t.Helper()
	var got []want
	for _, f := range r.Findings {
		got = append(got, want{f.Kind, text[f.Start:f.End]})
	}
	require.Equal(t, ws, got, "findings in %q (redacted %q)", text, r.RedactedText)
	for _, w := range ws {
		require.NotContains(t, r.RedactedText, w.value)
	}
}

// TestDetectorClasses pins each class of value the detectors used to miss
// in real-world text (one table per class).
func TestDetectorClasses(t *testing.T) {
	t.Parallel()
	a := newDefault(t)
	classes := map[string][]struct {
		text string
		want []want
	}{
		// A letter of another script, or full-width punctuation, is a
		// boundary for an ASCII value; a phone's '+' is kept.
		"non-Latin neighbours": {
			{"メール：x@example.com", []want{{KindEmail, "x@example.com"}}},
			{"请联系x@example.com谢谢", []want{{KindEmail, "x@example.com"}}},
			{"カード4111 1111 1111 1111でお願いします", []want{{KindCard, "4111 1111 1111 1111"}}},
			{"联系电话：+1 212 555 0147", []want{{KindPhone, "+1 212 555 0147"}}},
			{"联系电话+1 212 555 0147谢谢", []want{{KindPhone, "+1 212 555 0147"}}},
			{"IP 地址改为 10.0.0.1。", []want{{KindIPv4, "10.0.0.1"}}},
			{"IP地址10.0.0.1已封禁", []want{{KindIPv4, "10.0.0.1"}}},
			{"서버 주소는2001:db8::1입니다", []want{{KindIPv6, "2001:db8::1"}}},
			{"Почта:ivan@example.ru, спасибо", []want{{KindEmail, "ivan@example.ru"}}},
			{"البريد:ali@example.com شكرا", []want{{KindEmail, "ali@example.com"}}},
			{"SSN（123-45-6788）", []want{{KindSSN, "123-45-6788"}}},
			{"口座DE89370400440532013000です", []want{{KindIBAN, "DE89370400440532013000"}}},
			// A Latin letter still continues the word: no value inside it.
			{"Zimmer é10.0.0.1", nil},
			{"josé.garcía@example.es", []want{{KindEmail, "josé.garcía@example.es"}}},
		},
		// Two values one space apart are two findings.
		"adjacent values": {
			{"+1 415 555 0100 4111 1111 1111 1111", []want{{KindPhone, "+1 415 555 0100"}, {KindCard, "4111 1111 1111 1111"}}},
			{"4111 1111 1111 1111 123-45-6788", []want{{KindCard, "4111 1111 1111 1111"}, {KindSSN, "123-45-6788"}}},
			{"415 555 0100 4111 1111 1111 1111", []want{{KindPhone, "415 555 0100"}, {KindCard, "4111 1111 1111 1111"}}},
			{"+44 20 7946 0958 5500 0000 0000 0004", []want{{KindPhone, "+44 20 7946 0958"}, {KindCard, "5500 0000 0000 0004"}}},
			{"+33 1 23 45 67 89 4111 1111 1111 1111", []want{{KindPhone, "+33 1 23 45 67 89"}, {KindCard, "4111 1111 1111 1111"}}},
			{"4111 1111 1111 1111 536 22 1234", []want{{KindCard, "4111 1111 1111 1111"}, {KindSSN, "536 22 1234"}}},
			{"ref 2024 4111 1111 1111 1111", []want{{KindCard, "4111 1111 1111 1111"}}},
		},
		// Secrets with symbols are taken whole; a password-like name's value
		// is a secret whatever it looks like.
		"secrets with symbols": {
			{"password: Qm@v_7=tR2*pp#k", []want{{KindSecret, "Qm@v_7=tR2*pp#k"}}},
			{"Temp Password: z=~8Hw3@K#DfTY+uQ&n please change it", []want{{KindSecret, "z=~8Hw3@K#DfTY+uQ&n"}}},
			{"password=hunter2", []want{{KindSecret, "hunter2"}}},
			{"pwd reset; password=hunter2.", []want{{KindSecret, "hunter2"}}},
			{`{"user":"bob","password":"a b!c?~%^"}`, []want{{KindSecret, "a b!c?~%^"}}},
			{"db_password='p@ss=w0rd&x'", []want{{KindSecret, "p@ss=w0rd&x"}}},
			{"パスワード：Qm@v_7=tR2", []want{{KindSecret, "Qm@v_7=tR2"}}},
			{"密码:abc123 谢谢", []want{{KindSecret, "abc123"}}},
			{"Пароль: hunter2", []want{{KindSecret, "hunter2"}}},
			{"mot de passe : soleil42", []want{{KindSecret, "soleil42"}}},
			{"contraseña: gato", []want{{KindSecret, "gato"}}},
			{"api_key=Zx8Qp2Lm9@Vt4Rk7Wn3Yb", []want{{KindSecret, "Zx8Qp2Lm9@Vt4Rk7Wn3Yb"}}},
			{"token=abc", nil},
		},
		// An embedded or mapped IPv4 address is part of one IPv6 value.
		"embedded IPv6": {
			{"from 0:0:0:0:0:ffff:203.0.113.7 today", []want{{KindIPv6, "0:0:0:0:0:ffff:203.0.113.7"}}},
			{"from ::ffff:1.2.3.4 today", []want{{KindIPv6, "::ffff:1.2.3.4"}}},
			{"from 64:ff9b::1.2.3.4 today", []want{{KindIPv6, "64:ff9b::1.2.3.4"}}},
			{"from ::FFFF:192.0.2.128.", []want{{KindIPv6, "::FFFF:192.0.2.128"}}},
			{"v6 2001:db8:122:344::192.0.2.33 ok", []want{{KindIPv6, "2001:db8:122:344::192.0.2.33"}}},
		},
		// Cards with no-break spaces or dots, spaced SSNs, cue phones,
		// lower-case IBANs, disguised e-mails.
		"separators and forms": {
			{"card 4111\u00a01111\u00a01111\u00a01111 ok", []want{{KindCard, "4111\u00a01111\u00a01111\u00a01111"}}},
			{"card 4111\u202f1111\u202f1111\u202f1111 ok", []want{{KindCard, "4111\u202f1111\u202f1111\u202f1111"}}},
			{"card 4111.1111.1111.1111 ok", []want{{KindCard, "4111.1111.1111.1111"}}},
			{"ssn 536 22 1234 ok", []want{{KindSSN, "536 22 1234"}}},
			{"phone 4155550100", []want{{KindPhone, "4155550100"}}},
			{"Tel. 4155550100", []want{{KindPhone, "4155550100"}}},
			{"tel:4155550100", []want{{KindPhone, "4155550100"}}},
			{"mobile: 14155550100", []want{{KindPhone, "14155550100"}}},
			{"call 0612345678 tomorrow", []want{{KindPhone, "0612345678"}}},
			{"电话13812345678", []want{{KindPhone, "13812345678"}}},
			{"電話：03-1234-5678", []want{{KindPhone, "03-1234-5678"}}},
			{"order 4155550100", nil},
			{"iban gb82 west 1234 5698 7654 32 ok", []want{{KindIBAN, "gb82 west 1234 5698 7654 32"}}},
			{"iban De89370400440532013000 ok", []want{{KindIBAN, "De89370400440532013000"}}},
			{"mail jane＠example.com ok", []want{{KindEmail, "jane＠example.com"}}},
			{"mail ja\u200bne@exa\u200dmple.com ok", []want{{KindEmail, "ja\u200bne@exa\u200dmple.com"}}},
			{"mail ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ ok", []want{{KindEmail, "ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ"}}},
			{"カード番号：４１１１ １１１１ １１１１ １１１１", []want{{KindCard, "４１１１ １１１１ １１１１ １１１１"}}},
		},
	}
	for name, cases := range classes {
		t.Run(name, func(t *testing.T) {
			for _, tc := range cases {
				r := a.Analyze(tc.text)
				requireFindings(t, tc.text, r, tc.want)
			}
		})
	}
}

// TestTruncationRedactsStraddlingValue puts a value of every kind across
// the MaxBytes cut at every offset: it is redacted whole, never stored in
// part, and the result says it was truncated.
func TestTruncationRedactsStraddlingValue(t *testing.T) {
	t.Parallel()
	const maxBytes = 256
	a, err := New(Options{MaxBytes: maxBytes})
	require.NoError(t, err)
	values := []struct {
		kind          Kind
		before, value string
	}{
		{KindEmail, "mail ", "jane.doe@example.com"},
		{KindSecret, "token ", "ghp_" + strings.Repeat("aB3dE5gH7j", 3) + "kL9nP1"},
		{KindCard, "card ", "4111 1111 1111 1111"},
		{KindCard, "card ", "4111111111111111"},
		{KindPhone, "call ", "+1 415 555 0100"},
		{KindIBAN, "iban ", "GB82 WEST 1234 5698 7654 32"},
		{KindSSN, "ssn ", "536-22-1234"},
		{KindIPv4, "ip ", "203.0.113.77"},
		{KindIPv6, "ip ", "2001:db8:85a3::8a2e:370:7334"},
		{KindSecret, "password: ", "Qm@v_7=tR2*pp#k"},
		{KindSecret, "aws ", "AKIAIOSFODNN7EXAMPLE"},
		{KindEmail, "mail ", "jane.doe\u200b@example.com"},
	}
	for _, v := range values {
		for off := 1; off < len(v.value); off++ {
			// The cut falls off bytes into the value.
			lead := v.before
			pad := strings.Repeat("~ ", maxBytes)[:maxBytes-off-len(lead)]
			text := pad + lead + v.value + " and the rest of the text"
			r := a.Analyze(text)
			require.True(t, r.Truncated, "%s at %d", v.kind, off)
			require.Len(t, r.Findings, 1, "%s at %d: %q", v.kind, off, r.RedactedText)
			f := r.Findings[0]
			require.Equal(t, v.kind, f.Kind)
			require.Equal(t, v.value, text[f.Start:f.End], "%s at %d", v.kind, off)
			require.Equal(t, pad+lead+"["+kindToken(v.kind)+"_REDACTED]", r.RedactedText)
			// No piece of the value of three bytes or more is stored.
			for k := 3; k <= len(v.value); k++ {
				piece := v.value[:k]
				if strings.TrimLeft(piece, " ~") == piece && strings.Contains(r.RedactedText, piece) {
					t.Fatalf("%s at %d: %q stored in %q", v.kind, off, piece, r.RedactedText)
				}
			}
		}
	}
}

// TestTruncationKeepsCleanCut checks that a cut outside any value still
// falls at MaxBytes, and that a value starting after the cut is dropped.
func TestTruncationKeepsCleanCut(t *testing.T) {
	t.Parallel()
	a, err := New(Options{MaxBytes: 64})
	require.NoError(t, err)
	text := strings.Repeat("word ", 20) + "jane@example.com"
	r := a.Analyze(text)
	require.True(t, r.Truncated)
	require.Equal(t, text[:64], r.RedactedText)
	require.Empty(t, r.Findings)
	text = strings.Repeat("w", 54) + " password=hunter2"
	r = a.Analyze(text)
	require.Equal(t, text[:64], r.RedactedText)
	require.Empty(t, r.Findings)
	// Exactly MaxBytes is not truncated.
	r = a.Analyze(strings.Repeat("a", 64))
	require.False(t, r.Truncated)
	require.Equal(t, 64, len(r.RedactedText))
}

// TestValidIPv6AgreesWithNetip checks the allocation-free IPv6 check
// against net/netip on valid and broken forms.
func TestValidIPv6AgreesWithNetip(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9",
		"1::2::3", "1:2:3:4:5:6:7", "fe80::1:2:3:4::", "12345::1", "::ffff:1.2.3.4", "::ffff:1.2.3.04",
		"::ffff:1.2.3.256", "0:0:0:0:0:ffff:203.0.113.7", "0:0:0:0:0:0:ffff:203.0.113.7", "64:ff9b::1.2.3.4",
		"1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3", ":1::", "1:", ":", "2001:db8::",
		"2001:DB8:0:0:8:800:200C:417A", "g::1", "1:::2", "::ffff:1.2.3.4.5", "1::2:3:4:5:6:7", "1::2:3:4:5:6:7:8",
	} {
		ip, err := netip.ParseAddr(s)
		require.Equal(t, err == nil && ip.Is6(), validIPv6(s), "%q", s)
	}
}

// TestShortValueRepeats checks that a value of three bytes or fewer is
// redacted again where it stands as a word, not inside other words, and that repeats of
// a longer value are found inside and across findings' neighbourhoods.
func TestShortValueRepeats(t *testing.T) {
	t.Parallel()
	a := newDefault(t)
	text := "password: abc, and later abc again; fabcd stays"
	r := a.Analyze(text)
	require.Equal(t, "password: [SECRET_REDACTED], and later [SECRET_REDACTED] again; fabcd stays", r.RedactedText)
	// A one-letter password is redacted again where it is a word, and
	// nowhere else.
	r = a.Analyze("pw=x then x marks the spot in the box")
	require.Equal(t, "pw=[SECRET_REDACTED] then [SECRET_REDACTED] marks the spot in the box", r.RedactedText)
	// Many distinct short values: each is found again.
	var b strings.Builder
	for i := range 300 {
		fmt.Fprintf(&b, "password:a%02d ", i%100)
	}
	b.WriteString("a07 a42")
	r = a.Analyze(b.String())
	require.True(t, strings.HasSuffix(r.RedactedText, "[SECRET_REDACTED] [SECRET_REDACTED]"), r.RedactedText[len(r.RedactedText)-60:])
	// A long value found once is redacted inside other text too.
	r = a.Analyze("mail jane@example.com; cc:jane@example.comX")
	require.NotContains(t, r.RedactedText, "jane@example.com")
}

// TestLatinWordAgreesWithUnicode pins the fast paths of latinWord to the
// Unicode tables they stand for.
func TestLatinWordAgreesWithUnicode(t *testing.T) {
	t.Parallel()
	for r := rune(0x80); r < 0x30000; r++ {
		want := unicode.Is(unicode.Latin, r) || unicode.Is(unicode.Mn, r)
		if r >= 0x2E80 && r < 0xA720 || r >= 0xAC00 && r < 0xFB00 {
			want = unicode.Is(unicode.Latin, r) // combining marks of CJK scripts end an ASCII word
		}
		if got := latinWord(r); got != want {
			t.Fatalf("latinWord(%U) = %v, want %v", r, got, want)
		}
	}
}

// TestLetterClassFastPath checks letterClass's shortcut for kana, CJK and
// Hangul against the Unicode tables.
func TestLetterClassFastPath(t *testing.T) {
	t.Parallel()
	for r := rune(0x3000); r < 0xD800; r++ {
		want := 0
		switch {
		case unicode.Is(unicode.Latin, r):
			want = 1
		case unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r):
			want = 2
		}
		require.Equal(t, want, letterClass(r), "%U", r)
	}
}

// TestIPv6EndsAtSecondDoubleColon checks that a run with two "::" gives
// the address before the second one, not nothing.
func TestIPv6EndsAtSecondDoubleColon(t *testing.T) {
	t.Parallel()
	a := newDefault(t)
	text := "peer fe80::1:2:3:4::9 down"
	r := a.Analyze(text)
	requireFindings(t, text, r, []want{{KindIPv6, "fe80::1:2:3:4"}})
}
