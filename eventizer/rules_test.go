package eventizer

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func newDefault(t testing.TB) *Analyzer {
	t.Helper()
	a, err := New(Options{})
	require.NoError(t, err)
	return a
}

func TestEventRules(t *testing.T) {
	t.Parallel()
	a := newDefault(t)
	tests := []struct {
		name     string
		text     string
		events   []string
		priority int
		domain   string
		keywords []string // when set, must equal Result.Keywords
	}{
		{"help alone is not an emergency (original defect)", "help", nil, 2, "general", nil},
		{"help with an injury is", "Please help, my husband fell in the bathroom", []string{"emergency"}, 10, "general", []string{"help", "fell"}},
		{"fire", "There is a fire in room 301", []string{"emergency"}, 10, "general", []string{"fire"}},
		{"fire drill is maintenance, not a fire", "Fire drill at noon in the lobby", []string{"maintenance"}, 4, "general", []string{"fire drill"}},
		{"smoke detector is maintenance", "Smoke detector beeping in room 12", []string{"maintenance"}, 4, "general", []string{"smoke detector", "beeping"}},
		{"emergency keeps the other tags (original defect)", "VIP guest with a nut allergy, and there is smoke in the kitchen",
			[]string{"emergency", "allergen", "vip"}, 10, "hotel_ops", []string{"vip", "nut", "allergy", "smoke"}},
		{"lost luggage", "Guest reports lost luggage at the front desk", []string{"luggage_custody"}, 6, "hotel_ops", []string{"lost luggage"}},
		{"luggage lost matches too (original defect)", "Guest says her luggage was lost", []string{"luggage_custody"}, 6, "hotel_ops", []string{"luggage", "lost"}},
		{"luggage words in two sentences", "The luggage cart is by the door; we walked for ages and got lost in the old town", nil, 2, "general", nil},
		{"luggage storage", "Can we store our bags until 3 pm?", []string{"luggage_custody"}, 6, "hotel_ops", []string{"store our bags"}},
		{"hvac fault", "The air conditioning is not working in 1203", []string{"hvac_fault"}, 6, "hotel_ops", nil},
		{"heating without fault", "The heating is lovely, thank you", nil, 2, "general", nil},
		{"privacy", "Guest asks us to delete my data under GDPR", []string{"privacy"}, 7, "hotel_ops", []string{"delete my data", "gdpr"}},
		{"security", "My laptop was stolen from the room", []string{"security"}, 8, "general", []string{"was stolen"}},
		{"warning", "Wet floor near the pool, please put up a caution sign", []string{"warning"}, 5, "general", []string{"wet floor", "caution"}},
		{"maintenance with prefix keyword", "Water is leaking from the ceiling", []string{"maintenance"}, 4, "general", []string{"leaking", "ceiling"}},
		{"allergen by two groups", "Please make it gluten free", []string{"allergen"}, 9, "hotel_ops", []string{"gluten free"}},
		{"allergen and emergency", "Allergic reaction, call an ambulance", []string{"emergency", "allergen"}, 10, "hotel_ops", []string{"allergic reaction", "ambulance"}},
		{"vip", "A celebrity arrives tonight", []string{"vip"}, 7, "hotel_ops", []string{"celebrity"}},
		{"routine", "Please book a table for two at eight", nil, 2, "general", nil},
		{"whole words only", "The staff were helpful and the fireworks lovely", nil, 2, "general", nil},
		{"keyword inside PII is ignored", "Write to fire@example.com about the invoice", nil, 2, "general", nil},
		{"punctuation between words", "Someone tried to break-in last night", []string{"security"}, 8, "general", []string{"break in"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := a.Analyze(tc.text)
			require.Equal(t, tc.events, r.EventTypes)
			require.Equal(t, tc.priority, r.Priority)
			require.Equal(t, tc.domain, r.Domain)
			if tc.keywords != nil {
				require.Equal(t, tc.keywords, r.Keywords)
			}
			if tc.events == nil {
				require.Empty(t, r.Keywords)
			}
		})
	}
}

func TestAttributesAndUrgency(t *testing.T) {
	t.Parallel()
	a := newDefault(t)
	tests := []struct {
		text                   string
		urgent, located, timed bool
		urgency                Urgency
		words                  int
	}{
		{"Toilet clogged in room 12, urgent", true, true, false, UrgencyMedium, 6},
		{"Toilet clogged", false, false, false, UrgencyLow, 2},
		{"Fire in the lobby at 14:30", false, true, true, UrgencyCritical, 7},
		{"Check-out on 2026-03-15 please", false, false, true, UrgencyLow, 7},
		{"Stolen wallet, come right away", true, false, false, UrgencyCritical, 5},
		{"Leaking tap tomorrow morning", false, false, true, UrgencyLow, 4},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			t.Parallel()
			r := a.Analyze(tc.text)
			require.Equal(t, tc.urgent, r.Attributes.HasUrgency)
			require.Equal(t, tc.located, r.Attributes.HasLocation)
			require.Equal(t, tc.timed, r.Attributes.HasTimestamp)
			require.Equal(t, tc.urgency, r.Urgency)
			require.Equal(t, tc.words, r.Attributes.WordCount)
			require.Equal(t, len(tc.text), r.Attributes.Length)
		})
	}
}

func TestConfidenceAndEnrichment(t *testing.T) {
	t.Parallel()
	a := newDefault(t)
	near := a.Analyze("help")
	plain := a.Analyze("Please book a table for two")
	one := a.Analyze("There is a fire")
	more := a.Analyze("There is a fire and smoke, call an ambulance")
	require.True(t, near.EnrichmentAdvised, "a lone event word is uncertain")
	require.False(t, plain.EnrichmentAdvised)
	require.Less(t, near.Confidence, plain.Confidence)
	require.Less(t, one.Confidence, more.Confidence, "more evidence, more confidence")
	require.LessOrEqual(t, more.Confidence, 1.0)
}

func TestPIIDetection(t *testing.T) {
	t.Parallel()
	a := newDefault(t)
	tests := []struct {
		text      string
		kind      Kind   // "" when nothing must be found
		value     string // the span that must be found
		validator string
	}{
		{"mail john.doe+x@mail.example.co.uk.", KindEmail, "john.doe+x@mail.example.co.uk", "rfc5322"},
		{"user@localhost", "", "", ""},
		{"a@b.c", "", "", ""},
		{"call (415) 555-2671 now", KindPhone, "(415) 555-2671", "nanp"},
		{"call 415.555.2671", KindPhone, "415.555.2671", "nanp"},
		{"call +1 415 555 2671", KindPhone, "+1 415 555 2671", "e164"},
		{"ring +44 (0)20 7946 0958.", KindPhone, "+44 (0)20 7946 0958", "e164"},
		{"ring +4915112345678", KindPhone, "+4915112345678", "e164"},
		{"area 911-555-2671 is invalid", "", "", ""},
		{"+0 123 456 789 has no country", "", "", ""},
		{"card 4111 1111 1111 1111, thanks", KindCard, "4111 1111 1111 1111", "luhn"},
		{"amex 3782-822463-10005", KindCard, "3782-822463-10005", "luhn"},
		{"mixed 4111 1111-1111 1111", "", "", ""},
		{"luhn fails 4111111111111112", "", "", ""},
		{"no issuer 9111111111111111 passes luhn only", "", "", ""},
		{"iban GB82 WEST 1234 5698 7654 32", KindIBAN, "GB82 WEST 1234 5698 7654 32", "mod97"},
		{"iban GB82WEST12345698765432", KindIBAN, "GB82WEST12345698765432", "mod97"},
		{"bad GB83WEST12345698765432", "", "", ""},
		{"ssn 536-22-1234", KindSSN, "536-22-1234", "ssa"},
		{"ssn 666-22-1234", "", "", ""},
		{"ssn 900-22-1234", "", "", ""},
		{"ssn 536-00-1234", "", "", ""},
		{"ssn 536-22-0000", "", "", ""},
		{"ip 203.0.113.7:443", KindIPv4, "203.0.113.7", "netip"},
		{"ip 256.1.1.1", "", "", ""},
		{"ip 01.2.3.4", "", "", ""},
		{"ver 1.2.3.4.5", "", "", ""},
		{"v6 [2001:db8::8a2e:370:7334]:443", KindIPv6, "2001:db8::8a2e:370:7334", "netip"},
		{"v6 fe80::1.", KindIPv6, "fe80::1", "netip"},
		{"mac 00:1a:2b:3c:4d:5e", "", "", ""},
		{"time 12:30:45", "", "", ""},
		{"aws AKIAIOSFODNN7EXAMPL3 here", KindSecret, "AKIAIOSFODNN7EXAMPL3", "aws_access_key"},
		{"gh ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", KindSecret, "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "github_token"},
		{"slack xoxb-12345678901-123456789012-AbCdEfGhIjKlMnOpQrStUvWx", KindSecret, "xoxb-12345678901-123456789012-AbCdEfGhIjKlMnOpQrStUvWx", "slack_token"},
		{"stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", KindSecret, "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe_key"},
		{"jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", KindSecret, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "jwt"},
		{"pem -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49\n-----END EC PRIVATE KEY----- end",
			KindSecret, "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49\n-----END EC PRIVATE KEY-----", "pem_private_key"},
		{"api_key=Zx8Qp2Lm9Vt4Rk7Wn3Yb;", KindSecret, "Zx8Qp2Lm9Vt4Rk7Wn3Yb", "entropy"},
		{`{"password": "n7#Qx2!pLm9$Vt4w"}`, KindSecret, "n7#Qx2!pLm9$Vt4w", "password"},
		// A password-like name's value is a secret whatever it looks like.
		{"password: reset-link-has-expired-again", KindSecret, "reset-link-has-expired-again", "password"},
		{"api_secret: Zx8Qp2Lm9Vt4Rk7Wn3Yb", KindSecret, "Zx8Qp2Lm9Vt4Rk7Wn3Yb", "entropy"},
		{"token=abc", "", "", ""},
		{"note: 550e8400-e29b-41d4-a716-446655440000", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			t.Parallel()
			r := a.Analyze(tc.text)
			if tc.kind == "" {
				require.Empty(t, r.Findings)
				require.Equal(t, tc.text, r.RedactedText)
				return
			}
			require.Len(t, r.Findings, 1)
			f := r.Findings[0]
			require.Equal(t, tc.kind, f.Kind)
			require.Equal(t, tc.value, tc.text[f.Start:f.End])
			require.Equal(t, tc.validator, f.Validator)
			require.NotContains(t, r.RedactedText, tc.value)
		})
	}
}

func TestRedactionKeepsSurroundings(t *testing.T) {
	t.Parallel()
	a := newDefault(t)
	// The original system swallowed the character after a card number.
	r := a.Analyze("card 4111111111111111, exp 12/27")
	require.Equal(t, "card [CARD_REDACTED], exp 12/27", r.RedactedText)
	r = a.Analyze("(415) 555-2671/ext")
	require.Equal(t, "[PHONE_REDACTED]/ext", r.RedactedText)
}

func TestRepeatedValueRedactedEverywhere(t *testing.T) {
	t.Parallel()
	a := newDefault(t)
	r := a.Analyze("server 10.1.2.3 and build v10.1.2.3")
	require.Equal(t, "server [IPV4_REDACTED] and build v[IPV4_REDACTED]", r.RedactedText)
	require.Len(t, r.Findings, 2)
	require.Equal(t, "repeat", r.Findings[1].Validator)
}

func TestTokenStyles(t *testing.T) {
	t.Parallel()
	text := "a@example.com wrote to b@example.com, cc a@example.com; ssn 536-22-1234"

	_, err := New(Options{Tokens: TokensHMAC})
	require.ErrorIs(t, err, ErrMissingHMACKey)

	num, err := New(Options{Tokens: TokensNumbered})
	require.NoError(t, err)
	require.Equal(t, "[EMAIL_1] wrote to [EMAIL_2], cc [EMAIL_1]; ssn [SSN_1]", num.Analyze(text).RedactedText)

	h1, err := New(Options{Tokens: TokensHMAC, HMACKey: []byte("key one")})
	require.NoError(t, err)
	h2, err := New(Options{Tokens: TokensHMAC, HMACKey: []byte("key two")})
	require.NoError(t, err)
	r1, r2 := h1.Analyze(text), h2.Analyze(text)
	require.NotEqual(t, r1.RedactedText, r2.RedactedText, "tokens depend on the key")
	require.Equal(t, r1.RedactedText, h1.Analyze(text).RedactedText)
	tok := r1.RedactedText[:strings.IndexByte(r1.RedactedText, ']')+1]
	require.Regexp(t, `^\[EMAIL_[0-9a-f]{12}\]$`, tok)
	require.Equal(t, 2, strings.Count(r1.RedactedText, tok), "same value, same token")
	require.NotContains(t, r1.RedactedText, "example.com")
}

func TestTruncation(t *testing.T) {
	t.Parallel()
	a, err := New(Options{MaxBytes: 100})
	require.NoError(t, err)
	text := strings.Repeat("é", 49) + "ab" + strings.Repeat("€", 10) + " call 415-555-2671"
	r := a.Analyze(text)
	require.True(t, r.Truncated)
	require.True(t, r.EnrichmentAdvised)
	require.True(t, utf8.ValidString(r.RedactedText))
	require.LessOrEqual(t, len(r.RedactedText), 100)
	require.Equal(t, len(text), r.Attributes.Length)
	require.NotContains(t, r.RedactedText, "415")

	d := newDefault(t)
	long := strings.Repeat("word ", 5000)
	r = d.Analyze(long)
	require.True(t, r.Truncated)
	require.Len(t, r.RedactedText, DefaultMaxBytes)
	require.False(t, d.Analyze("short").Truncated)
}

func TestOptionsValidation(t *testing.T) {
	t.Parallel()
	_, err := New(Options{MaxBytes: -1})
	require.ErrorIs(t, err, ErrInvalidOptions)
	_, err = New(Options{Tokens: TokenStyle(7)})
	require.ErrorIs(t, err, ErrInvalidOptions)
	_, err = Analyze("x", Options{Tokens: TokensHMAC})
	require.ErrorIs(t, err, ErrMissingHMACKey)
	r, err := Analyze("fire!", Options{})
	require.NoError(t, err)
	require.Equal(t, []string{"emergency"}, r.EventTypes)
}

func TestPackValidation(t *testing.T) {
	t.Parallel()
	valid := func() map[string]any {
		return map[string]any{
			"version": 1, "default_domain": "general", "default_priority": 2, "enrich_below": 0.5,
			"events": []any{map[string]any{"type": "a", "priority": 5, "rules": []any{map[string]any{"any": []any{"x"}}}}},
		}
	}
	rule := func(m map[string]any, r map[string]any) map[string]any {
		m["events"].([]any)[0].(map[string]any)["rules"] = []any{r}
		return m
	}
	tests := []struct {
		name   string
		mutate func(map[string]any) map[string]any
		want   string
	}{
		{"version", func(m map[string]any) map[string]any { m["version"] = 2; return m }, "version 2"},
		{"domain", func(m map[string]any) map[string]any { m["default_domain"] = ""; return m }, "default_domain"},
		{"default priority", func(m map[string]any) map[string]any { m["default_priority"] = 11; return m }, "default_priority"},
		{"enrich_below", func(m map[string]any) map[string]any { m["enrich_below"] = 1.5; return m }, "enrich_below"},
		{"no events", func(m map[string]any) map[string]any { m["events"] = []any{}; return m }, "no events"},
		{"unknown field", func(m map[string]any) map[string]any { m["colour"] = "red"; return m }, "colour"},
		{"type name", func(m map[string]any) map[string]any {
			m["events"].([]any)[0].(map[string]any)["type"] = "Bad Name"
			return m
		}, "events[0].type"},
		{"duplicate type", func(m map[string]any) map[string]any {
			ev := m["events"].([]any)
			m["events"] = append(ev, ev[0])
			return m
		}, "duplicate"},
		{"priority", func(m map[string]any) map[string]any {
			m["events"].([]any)[0].(map[string]any)["priority"] = -1
			return m
		}, "events[0].priority"},
		{"no rules", func(m map[string]any) map[string]any {
			m["events"].([]any)[0].(map[string]any)["rules"] = []any{}
			return m
		}, "no rules"},
		{"both", func(m map[string]any) map[string]any {
			return rule(m, map[string]any{"any": []any{"x"}, "all": []any{[]any{"y"}, []any{"z"}}})
		}, "both any and all"},
		{"one group", func(m map[string]any) map[string]any {
			return rule(m, map[string]any{"all": []any{[]any{"y"}}})
		}, "at least two groups"},
		{"star inside", func(m map[string]any) map[string]any { return rule(m, map[string]any{"any": []any{"le*ak"}}) }, "only allowed at the start and the end"},
		{"empty keyword", func(m map[string]any) map[string]any { return rule(m, map[string]any{"any": []any{" - "}}) }, "no word characters"},
		{"keyword in two groups", func(m map[string]any) map[string]any {
			return rule(m, map[string]any{"all": []any{[]any{"y"}, []any{"Y"}}})
		}, "groups 0 and 1"},
		{"window", func(m map[string]any) map[string]any { return rule(m, map[string]any{"any": []any{"x"}, "window": 3}) }, "window is only for all"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data, err := json.Marshal(tc.mutate(valid()))
			require.NoError(t, err)
			_, err = ParsePack(data)
			require.ErrorIs(t, err, ErrInvalidPack)
			require.ErrorContains(t, err, tc.want)
		})
	}
	data, err := json.Marshal(valid())
	require.NoError(t, err)
	p, err := ParsePack(data)
	require.NoError(t, err)
	a, err := New(Options{Pack: p})
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, a.Analyze("an X here").EventTypes)
}

// newPairPack returns an analyzer for a pack of one event type, "pair"
// (priority 3, domain "ops"; the defaults are "d" and 1), whose one rule
// wants "alpha" and "beta" within window words.
func newPairPack(t *testing.T, window int) *Analyzer {
	t.Helper()
	p, err := ParsePack(fmt.Appendf(nil, `{"version":1,"default_domain":"d","default_priority":1,"enrich_below":0,
		"events":[{"type":"pair","priority":3,"domain":"ops","rules":[{"all":[["alpha"],["beta"]],"window":%d}]}]}`, window))
	require.NoError(t, err)
	a, err := New(Options{Pack: p})
	require.NoError(t, err)
	return a
}

// newTestPack compiles a pack of the given fields after the required
// ones ("events":..., "negation_after":...) into an Analyzer.
func newTestPack(t *testing.T, fields string) *Analyzer {
	t.Helper()
	p, err := ParsePack([]byte(`{"version":1,"default_domain":"d","default_priority":1,"enrich_below":0,` + fields + `}`))
	require.NoError(t, err)
	a, err := New(Options{Pack: p})
	require.NoError(t, err)
	return a
}

func TestCustomPackWindow(t *testing.T) {
	t.Parallel()
	a := newPairPack(t, 2)
	for text, want := range map[string]bool{
		"alpha beta":         true,
		"beta x alpha":       true,
		"alpha x y beta":     false,
		"ALPHA, then: beta!": true,
		"alphabet beta":      false,
		"beta only":          false,
	} {
		r := a.Analyze(text)
		if want {
			require.Equal(t, []string{"pair"}, r.EventTypes, text)
			require.Equal(t, "ops", r.Domain)
			require.Equal(t, 3, r.Priority)
		} else {
			require.Empty(t, r.EventTypes, text)
			require.Equal(t, "d", r.Domain)
			require.Equal(t, 1, r.Priority)
		}
	}
}

// TestDefaultPackValid validates the built-in pack the way ParsePack
// validates a user's (DefaultPack itself only decodes it), and checks that
// an Analyzer given it explicitly tags as the default one does.
func TestDefaultPackValid(t *testing.T) {
	t.Parallel()
	p, err := ParsePack(defaultPackJSON)
	require.NoError(t, err)
	explicit, err := New(Options{Pack: p})
	require.NoError(t, err)
	text := "Smoke in room 12, the guest has a nut allergy. Das WLAN funktioniert nicht."
	require.Equal(t, newDefault(t).Analyze(text).EventTypes, explicit.Analyze(text).EventTypes)
}

func TestDefaultPackIsACopy(t *testing.T) {
	t.Parallel()
	p := DefaultPack()
	p.Events = nil
	require.NotEmpty(t, DefaultPack().Events)
}

// TestDeterministic checks that concurrent analyses give byte-identical
// JSON to serial ones, and so does a different GOMAXPROCS (the analysis
// has no goroutines, map iteration or time dependence in its output).
func TestDeterministic(t *testing.T) {
	t.Parallel()
	a := newDefault(t)
	docs := genCorpus(7, 300)
	want := make([]string, len(docs))
	for i, d := range docs {
		b, err := json.Marshal(a.Analyze(d.text))
		require.NoError(t, err)
		want[i] = string(b)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := len(docs) - 1; i >= 0; i-- {
				b, _ := json.Marshal(a.Analyze(docs[(i+w)%len(docs)].text))
				if string(b) != want[(i+w)%len(docs)] {
					errs <- fmt.Errorf("doc %d differs", (i+w)%len(docs))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func TestCleanTextAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	a := newDefault(t)
	text := strings.Repeat("The reservation was changed this morning and the guest in room 1203 will arrive tomorrow at 14:30. ", 40)
	a.Analyze(text)
	allocs := testing.AllocsPerRun(100, func() { a.Analyze(text) })
	require.Zero(t, allocs)
}

// TestFindingsAllocateTheirResults pins that a text with findings and no
// event type allocates only its two results, the findings and the redacted
// text (sized exactly, even where tokens are longer than the values they
// replace).
func TestFindingsAllocateTheirResults(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	texts := []string{
		"Mail jane.doe@example.com about the booking.",
		"ip 10.0.0.1 and 10.0.0.2, card 4111 1111 1111 1111, password: x, again 10.0.0.1",
	}
	// A pack whose one event these texts do not name, so that no event
	// type is allocated whatever the default pack makes of them.
	p, err := ParsePack([]byte(`{"version":1,"default_domain":"d","default_priority":1,"enrich_below":0,
		"events":[{"type":"x","priority":1,"rules":[{"any":["zzz"]}]}]}`))
	require.NoError(t, err)
	for _, tokens := range []TokenStyle{TokensLabel, TokensNumbered} {
		a, err := New(Options{Tokens: tokens, Pack: p})
		require.NoError(t, err)
		for _, text := range texts {
			r := a.Analyze(text)
			require.NotEmpty(t, r.Findings, text)
			require.Empty(t, r.EventTypes, text)
			allocs := testing.AllocsPerRun(100, func() { a.Analyze(text) })
			require.Equal(t, 2.0, allocs, "tokens %v: %q", tokens, text)
		}
	}
}

func TestOverlappingCandidates(t *testing.T) {
	t.Parallel()
	a := newDefault(t)
	tests := []struct{ text, want string }{
		{"4111111111111111@example.com", "[EMAIL_REDACTED]"},
		{"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----x@example.com", "[SECRET_REDACTED][EMAIL_REDACTED]"},
		{"key AKIAIOSFODNN7EXAMPL3.x@example.com", "key [EMAIL_REDACTED]"},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, a.Analyze(tc.text).RedactedText, tc.text)
	}
}

// TestLargePack compiles a pack whose automaton has more states than
// 16-bit table entries can number, so that it gets 32-bit ones, and tags
// with it: each keyword, from the first to the last compiled, is found,
// and a keyword cut short or run on is not.
func TestLargePack(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	words := make([]string, 12000)
	seen := map[string]bool{}
	for i := range words {
		for {
			b := make([]byte, 9)
			for k := range b {
				b[k] = byte('a' + rng.IntN(26))
			}
			if w := string(b); !seen[w] {
				seen[w] = true
				words[i] = w
				break
			}
		}
	}
	p := &Pack{Version: 1, DefaultDomain: "d", DefaultPriority: 1, Events: []EventType{
		{Type: "large", Priority: 3, Domain: "ops", Rules: []Rule{{Any: words}}},
	}}
	a, err := New(Options{Pack: p})
	require.NoError(t, err)
	require.Greater(t, a.c.auto.states(), 1<<16)
	require.Nil(t, a.c.auto.delta16, "the table has 32-bit entries")
	for _, w := range []string{words[0], words[1], words[len(words)/2], words[len(words)-1]} {
		require.Equal(t, []string{"large"}, a.Analyze("please look at "+w+" today").EventTypes, w)
		require.Empty(t, a.Analyze("please look at "+w[:8]+" today").EventTypes, w[:8])
		require.Empty(t, a.Analyze("please look at "+w+"s today").EventTypes, w+"s")
	}
}

// TestSentenceEndAbbreviations checks that a full stop after an
// abbreviation, an initial or a one- or two-digit ordinal ends no
// sentence, so a rule's groups combine across it, and that other full
// stops do end one.
func TestSentenceEndAbbreviations(t *testing.T) {
	t.Parallel()
	a := newPairPack(t, 8)
	for text, want := range map[string]bool{
		"alpha Zi. 322 beta":         true,
		"alpha im 2. OG beta":        true,
		"alpha Nr. 4, beta":          true,
		"alpha for Mr. Sato beta":    true,
		"alpha for J. Smith beta":    true,
		"alpha ca. 20 min beta":      true,
		"alpha DR. Who beta":         true,
		"alpha. beta":                false,
		"alpha in 322. beta":         false,
		"alpha in 2024. beta":        false,
		"alpha, said no. beta":       false,
		"alpha at the zoo. beta":     false,
		"alpha x. beta":              false,
		"alpha Fußweg. beta":         false,
		"alpha 2.beta":               true,
		"alpha 2! beta":              false,
		"alpha, approximately. beta": false,
	} {
		got := a.Analyze(text).EventTypes
		if want {
			require.Equal(t, []string{"pair"}, got, text)
		} else {
			require.Empty(t, got, text)
		}
	}
}

// TestTypographicPunctuation checks that curly quotes and apostrophes,
// guillemets, the inverted marks, dashes and the ellipsis separate words
// as their ASCII forms do, in the text and in the pack's keywords, and
// that a finding next to them is redacted at its original bytes.
func TestTypographicPunctuation(t *testing.T) {
	t.Parallel()
	a := newTestPack(t, `"events":[{"type":"fire","priority":3,"rules":[{"any":["incendie","humo","fuego","¿dónde está el fuego?"]}]},
		{"type":"pair","priority":2,"rules":[{"all":[["alpha"],["beta"]],"window":4}]}]`)
	for text, want := range map[string][]string{
		"l’incendie du 3e":      {"fire"},
		"l‘incendie":            {"fire"},
		"¿Hay humo?":            {"fire"},
		"¡Fuego!":               {"fire"},
		"«fuego» en la cocina":  {"fire"},
		"„humo“ und so":         {"fire"},
		"“humo”":                {"fire"},
		"¿dónde está el fuego?": {"fire"},
		"alpha—beta":            {"pair"},
		"alpha―beta":            {"pair"},
		"alpha… beta":           nil, // the ellipsis ends the sentence
		"lincendie":             nil,
		"l’incendiaire":         nil,
	} {
		require.Equal(t, want, a.Analyze(text).EventTypes, text)
	}
	text := "“ops@example.com” l’incendie"
	r := a.Analyze(text)
	require.Equal(t, []string{"fire"}, r.EventTypes)
	require.Len(t, r.Findings, 1)
	f := r.Findings[0]
	require.Equal(t, "ops@example.com", text[f.Start:f.End])
	require.NotContains(t, r.RedactedText, "ops@example.com")
	require.True(t, strings.HasPrefix(r.RedactedText, "“") && strings.HasSuffix(r.RedactedText, "” l’incendie"), r.RedactedText)
}

// TestUnlessEvents checks that a rule with unless_events counts only when
// no rule without them matched one of those events anywhere in the text,
// and that the names are validated.
func TestUnlessEvents(t *testing.T) {
	t.Parallel()
	a := newTestPack(t, `"events":[
		{"type":"heat","priority":6,"rules":[{"any":["heating"]},{"any":["radiator noise"],"unless_events":["lamp"]}]},
		{"type":"repair","priority":4,"rules":[{"any":["lamp"]},{"any":["send someone"],"unless_events":["heat"]}]},
		{"type":"lamp","priority":3,"rules":[{"any":["bulb"],"unless_events":["repair"]}]}]`)
	for text, want := range map[string][]string{
		"The heating is cold. Please send someone.":               {"heat"},
		"Please send someone. The heating is cold.":               {"heat"},
		"The lamp is broken. Please send someone.":                {"repair"},
		"Please send someone.":                                    {"repair"},
		"The heating is cold and the lamp flickers. Send someone": {"heat", "repair"},
		// Only a rule without unless_events stops one; here each of the
		// three rules has them, so none stops another.
		"Send someone, bulb gone, radiator noise": {"heat", "repair", "lamp"},
		"bulb gone, the lamp too":                 {"repair"},
	} {
		require.Equal(t, want, a.Analyze(text).EventTypes, text)
	}
	for _, tc := range []struct{ events, err string }{
		{`[{"type":"a","priority":1,"rules":[{"any":["x"],"unless_events":["b"]}]}]`, `"b": no such event type`},
		{`[{"type":"a","priority":1,"rules":[{"any":["x"],"unless_events":["a"]}]}]`, `the rule's own event type`},
		{`[{"type":"a","priority":1,"rules":[{"any":["x"],"unless_events":["b","b"]}]},{"type":"b","priority":1,"rules":[{"any":["y"]}]}]`, `"b": duplicate`},
	} {
		requireEventsInvalid(t, tc.events, tc.err)
	}
}

// requireEventsInvalid checks that a pack with these events is rejected
// with ErrInvalidPack and an error that says want.
func requireEventsInvalid(t *testing.T, events, want string) {
	t.Helper()
	_, err := ParsePack([]byte(`{"version":1,"default_domain":"d","default_priority":1,"enrich_below":0,"events":` + events + `}`))
	require.ErrorContains(t, err, want)
	require.ErrorIs(t, err, ErrInvalidPack)
}

// TestIfEvents checks that a rule with if_events counts only when a rule
// without unless_events or if_events matched one of them, in any
// sentence, and that unless_events still stop it.
func TestIfEvents(t *testing.T) {
	t.Parallel()
	a := newTestPack(t, `"negation":{"en":["not","no"]},"events":[
		{"type":"warning","priority":5,"rules":[{"any":["expires"]},{"any":["heads up"],"if_events":["repair"]}]},
		{"type":"repair","priority":4,"rules":[{"any":["broken"]},{"any":["please renew"],"if_events":["warning"],"unless_events":["done"]}]},
		{"type":"done","priority":3,"rules":[{"any":["renewed"]}]}]`)
	for text, want := range map[string][]string{
		"The certificate expires Friday. Please renew.": {"warning", "repair"},
		"Please renew. The certificate expires Friday.": {"warning", "repair"},
		"Please renew.": nil,
		"Please renew, the certificate expires Friday.": {"warning", "repair"},
		// The unless event stops it.
		"The certificate expires Friday, renewed already. Please renew.": {"warning", "done"},
		// Each needs an event of a rule without if_events: a deferred
		// rule's event does not count.
		"Heads up. Please renew.":              nil,
		"Heads up: the door is broken.":        {"warning", "repair"},
		"Heads up: the door is not broken.":    nil,
		"The door is broken. No heads up.":     {"repair"},
		"Expires soon. Heads up, please renew": {"warning", "repair"},
	} {
		require.Equal(t, want, a.Analyze(text).EventTypes, text)
	}
	for _, tc := range []struct{ events, err string }{
		{`[{"type":"a","priority":1,"rules":[{"any":["x"],"if_events":["b"]}]}]`, `if_events[0] "b": no such event type`},
		{`[{"type":"a","priority":1,"rules":[{"any":["x"],"if_events":["a"]}]}]`, `the rule's own event type`},
		{`[{"type":"a","priority":1,"rules":[{"any":["x"],"if_events":["b","b"]}]},{"type":"b","priority":1,"rules":[{"any":["y"]}]}]`, `"b": duplicate`},
		{`[{"type":"a","priority":1,"rules":[{"any":["x"],"unless_events":["b"],"if_events":["b"]}]},{"type":"b","priority":1,"rules":[{"any":["y"]}]}]`, `in both unless_events and if_events`},
	} {
		requireEventsInvalid(t, tc.events, tc.err)
	}
}

// TestNegationAfter checks the negation words that follow their keyword,
// as Japanese puts them after the noun: within NegationAfterGap bytes of
// the keyword and in its clause, and not for a rule that ignores
// negation.
func TestNegationAfter(t *testing.T) {
	t.Parallel()
	a := newTestPack(t, `"negation_after":{"ja":["ではありません","はありません","ではなく"]},
		"events":[{"type":"fire","priority":6,"rules":[{"any":["火事"]}]},
		{"type":"allergen","priority":5,"rules":[{"any":["アレルギー"]}]},
		{"type":"nuts","priority":4,"rules":[{"any":["ナッツ"],"ignore_negation":true}]}]`)
	for text, want := range map[string][]string{
		"火事です":                  {"fire"},
		"火事ではありません":             nil,
		"火事の件ではなく、点検です":         nil, // two characters between
		"火事かもしれない場所ではありません":     {"fire"},
		"火事。ではありません":            {"fire"}, // another sentence
		"火事、ではありません":            {"fire"}, // another clause
		"火事です。アレルギーはありません":      {"fire"},
		"アレルギーはありませんが、火事です":     {"fire"},
		"ナッツはありません":             {"nuts"},
		"no fire. 火事ではありませんでした": nil,
	} {
		require.Equal(t, want, a.Analyze(text).EventTypes, text)
	}
	_, err := ParsePack([]byte(`{"version":1,"default_domain":"d","default_priority":1,"enrich_below":0,
		"negation_after":{"JA":["ではありません"]},"events":[{"type":"a","priority":1,"rules":[{"any":["x"]}]}]}`))
	require.ErrorIs(t, err, ErrInvalidPack)
	require.ErrorContains(t, err, `negation_after: language "JA"`)
}

// TestScriptBoundary checks that an ASCII keyword matches as a word where
// it meets CJK, kana or Hangul without a space, that a keyword written
// with such a join matches it, and that the join is no boundary inside an
// ASCII or a Latin word.
func TestScriptBoundary(t *testing.T) {
	t.Parallel()
	a := newTestPack(t, `"neutral":["vipラウンジ"],
		"events":[{"type":"vip","priority":3,"rules":[{"any":["vip","wifi*"]}]},
		{"type":"attack","priority":2,"rules":[{"any":["ddos攻撃","暗号化"]}]},
		{"type":"pair","priority":1,"rules":[{"all":[["alpha"],["beta"]],"window":1}]}]`)
	for text, want := range map[string][]string{
		"明天有VIP入住":    {"vip"},
		"VIP客人":       {"vip"},
		"本日のVIP":      {"vip"},
		"VIPのお客様":     {"vip"},
		"WiFi断了":      {"vip"},
		"WiFi6が遅い":    {"vip"},
		"VIPラウンジは20階": nil, // the longer neutral keyword hides "vip"
		"VIPs到了":      nil,
		"有VIPx入住":     nil,
		"VIP2名":       nil,
		"DDoS攻撃を受けた":  {"attack"},
		"DDoS 攻撃を受けた": {"attack"},
		"XDDoS攻撃":     {"attack"}, // a CJK keyword may start inside a word
		"ファイルが暗号化された": {"attack"},
		"alpha是beta":  {"pair"}, // both match, and count as one word
		"alpha beta":  {"pair"},
		"café vip":    {"vip"},
		"cafévip":     nil,
	} {
		require.Equal(t, want, a.Analyze(text).EventTypes, text)
	}
	// The count of words does not change at the join.
	require.Equal(t, 1, a.Analyze("明天有VIP入住").Attributes.WordCount)
}

// TestEventUnless checks that an event type's unless words stop each of
// its rules in their sentence, except a rule that has the word among its
// keywords, and that they are validated.
func TestEventUnless(t *testing.T) {
	t.Parallel()
	a := newTestPack(t, `"events":[
		{"type":"fire","priority":9,"unless":["drill"],"rules":[{"any":["fire"]},{"all":[["smoke"],["kitchen"]]},{"all":[["drill"],["alarm"]],"unless":["planned"]}]},
		{"type":"other","priority":1,"rules":[{"any":["kitchen"]}]}]`)
	for text, want := range map[string][]string{
		"Fire in the lobby.":                      {"fire"},
		"Fire drill in the lobby.":                nil,
		"Smoke in the kitchen, drill at noon.":    {"other"},
		"Smoke in the kitchen. The drill is done": {"fire", "other"},
		// The third rule has the word as a keyword: not stopped by it.
		"Drill alarm going off.": {"fire"},
		"A planned drill alarm.": nil,
	} {
		require.Equal(t, want, a.Analyze(text).EventTypes, text)
	}
	for _, tc := range []struct{ events, err string }{
		{`[{"type":"a","priority":1,"unless":["x","X"],"rules":[{"any":["y"]}]}]`, `events[0].unless[1] "X": duplicate`},
		{`[{"type":"a","priority":1,"unless":["x"],"rules":[{"any":["y"],"unless":["x"]}]}]`, `events[0].rules[0].unless[0] "x": also in events[0].unless`},
		{`[{"type":"a","priority":1,"unless":["x**"],"rules":[{"any":["y"]}]}]`, `events[0].unless[0]`},
	} {
		requireEventsInvalid(t, tc.events, tc.err)
	}
}
