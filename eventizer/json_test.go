package eventizer

import (
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRedactJSON(t *testing.T) {
	t.Parallel()
	a, err := New(Options{})
	require.NoError(t, err)
	cases := []struct {
		name, in, want string
		paths          []string
	}{
		{"nothing", `{"a": 1, "b": [true, null, "x"], "c": {"d": 2.5e3}}`, `{"a": 1, "b": [true, null, "x"], "c": {"d": 2.5e3}}`, nil},
		{"string values", `{"email":"bob@example.com","card":"4111 1111 1111 1111","n":"call +1 415 555 0100 now"}`,
			`{"email":"[EMAIL_REDACTED]","card":"[CARD_REDACTED]","n":"call [PHONE_REDACTED] now"}`,
			[]string{"$.email", "$.card", "$.n"}},
		{"nested and arrays", `{"user":{"contacts":["a@example.com",{"ip":"10.0.0.1"}]}}`,
			`{"user":{"contacts":["[EMAIL_REDACTED]",{"ip":"[IPV4_REDACTED]"}]}}`,
			[]string{"$.user.contacts[0]", "$.user.contacts[1].ip"}},
		{"card as a JSON number", `{"pan": 4111111111111111, "qty": 4111, "neg": -4111111111111111, "f": 4111111111111111.5}`,
			`{"pan": "[CARD_REDACTED]", "qty": 4111, "neg": -4111111111111111, "f": 4111111111111111.5}`,
			[]string{"$.pan"}},
		{"phone under a phone name", `{"phone": 4155550100, "mobileNumber": "(415) 555-0100", "phone_type": "4155550100", "order": 4155550100}`,
			`{"phone": "[PHONE_REDACTED]", "mobileNumber": "[PHONE_REDACTED]", "phone_type": "4155550100", "order": 4155550100}`,
			[]string{"$.phone", "$.mobileNumber"}},
		{"ssn under its name", `{"SSN": "536221234", "social_security_number": 536221234}`,
			`{"SSN": "[SSN_REDACTED]", "social_security_number": "[SSN_REDACTED]"}`,
			[]string{"$.SSN", "$.social_security_number"}},
		{"secret names", `{"Password":"hunter2","apiKey":"abc","X-Api-Key":42,"AUTHORIZATION":"Bearer x","token_type":"bearer","prompt_tokens":12,"password_hint":"pet","auth":"x","secret":"","ok":true}`,
			`{"Password":"[SECRET_REDACTED]","apiKey":"[SECRET_REDACTED]","X-Api-Key":"[SECRET_REDACTED]","AUTHORIZATION":"[SECRET_REDACTED]","token_type":"bearer","prompt_tokens":12,"password_hint":"pet","auth":"[SECRET_REDACTED]","secret":"","ok":true}`,
			[]string{"$.Password", "$.apiKey", `$["X-Api-Key"]`, "$.AUTHORIZATION", "$.auth"}},
		{"secret subtree", `{"credentials":{"user":"bob","pin":1234,"list":["a",{"b":"c"}],"on":false,"none":null}}`,
			`{"credentials":{"user":"[SECRET_REDACTED]","pin":"[SECRET_REDACTED]","list":["[SECRET_REDACTED]",{"b":"[SECRET_REDACTED]"}],"on":false,"none":null}}`,
			[]string{"$.credentials.user", "$.credentials.pin", "$.credentials.list[0]", "$.credentials.list[1].b"}},
		{"array of passwords", `{"passwords":["a","b"],"tokens":["c"]}`,
			`{"passwords":["[SECRET_REDACTED]","[SECRET_REDACTED]"],"tokens":["c"]}`,
			[]string{"$.passwords[0]", "$.passwords[1]"}},
		{"escapes", `{"e":"bob\u0040example.com \"q\"\n","k\u00e9y":"ok"}`,
			`{"e":"[EMAIL_REDACTED] \"q\"\n","k\u00e9y":"ok"}`, []string{"$.e"}},
		{"keys", `{"bob@example.com":1,"ann@example.com":{"x":"10.0.0.1"}}`,
			`{"[EMAIL_REDACTED]":1,"[EMAIL_REDACTED]#2":{"x":"[IPV4_REDACTED]"}}`,
			[]string{`$["[EMAIL_REDACTED]"]`, `$["[EMAIL_REDACTED]#2"]`, `$["[EMAIL_REDACTED]#2"].x`}},
		{"secrets found by shape", `["ghp_abcdefghijklmnopqrstuvwxyz0123456789","AKIAIOSFODNN7EXAMPLE","DE89370400440532013000","2001:db8::1"]`,
			`["[SECRET_REDACTED]","[SECRET_REDACTED]","[IBAN_REDACTED]","[IPV6_REDACTED]"]`,
			[]string{"$[0]", "$[1]", "$[2]", "$[3]"}},
		{"top-level string", `"mail bob@example.com"`, `"mail [EMAIL_REDACTED]"`, []string{"$"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res, err := a.RedactJSON([]byte(c.in))
			require.NoError(t, err)
			require.Equal(t, c.want, string(res.JSON))
			require.True(t, json.Valid(res.JSON))
			var paths []string
			for _, f := range res.Findings {
				paths = append(paths, f.Path)
			}
			require.Equal(t, c.paths, paths)
			enc, err := json.Marshal(res)
			require.NoError(t, err)
			for _, raw := range []string{"bob", "4111", "hunter2", "10.0.0.1", "555"} {
				require.NotContains(t, string(enc), raw, "the stored findings never hold a value")
			}
		})
	}
}

func TestRedactJSONUnchangedAllocatesNothing(t *testing.T) {
	a, err := New(Options{})
	require.NoError(t, err)
	doc := []byte(`{"type":"resize","w":640,"h":480,"tags":["a","b"],"opts":{"fit":"cover","q":0.8}}`)
	res, err := a.RedactJSON(doc)
	require.NoError(t, err)
	require.Equal(t, &doc[0], &res.JSON[0], "an unchanged document is returned as is")
	if raceEnabled {
		return // the race detector's sync.Pool drops items at random
	}
	allocs := testing.AllocsPerRun(100, func() { _, _ = a.RedactJSON(doc) })
	require.Zero(t, allocs)
}

func TestRedactJSONInvalid(t *testing.T) {
	t.Parallel()
	a, err := New(Options{})
	require.NoError(t, err)
	for _, in := range []string{"", " ", "{", `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{"a":1}x`, `{"a":01}`,
		`{"a":-}`, `{"a":1.}`, `{"a":1e}`, `"\x"`, `"\u12"`, "\"a\x01\"", `tru`, `nul`, `{"a":"b`, `{"a" "b"}`, `{1:2}`, `]`, `"\`} {
		_, err := a.RedactJSON([]byte(in))
		require.ErrorIs(t, err, ErrInvalidJSON, "%q", in)
		require.False(t, json.Valid([]byte(in)), "%q", in)
	}
}

// TestRedactTextLong plants values across the analyzer's window
// boundaries: none survives, and every other byte is kept.
func TestRedactTextLong(t *testing.T) {
	t.Parallel()
	a, err := New(Options{MaxBytes: 1024})
	require.NoError(t, err)
	var b strings.Builder
	var want strings.Builder
	for b.Len() < 10_000 {
		b.WriteString("filler words here ")
		want.WriteString("filler words here ")
		b.WriteString("jane.doe@example.com ")
		want.WriteString("[EMAIL_REDACTED] ")
		b.WriteString("4111 1111 1111 1111 ")
		want.WriteString("[CARD_REDACTED] ")
	}
	got, found := a.RedactText(b.String())
	require.Equal(t, want.String(), got)
	require.NotEmpty(t, found)
	for _, f := range found {
		require.NotEqual(t, KindIPv4, f.Kind)
	}
	// Every offset of the boundary: a value starts at each byte around it.
	for shift := 0; shift < 40; shift++ {
		s := strings.Repeat("x ", (1024-256-20+shift)/2) + " bob@example.com " + strings.Repeat("y ", 800)
		got, _ := a.RedactText(s)
		require.NotContains(t, got, "example.com", "shift %d", shift)
		require.Equal(t, len(s)-len("bob@example.com")+len("[EMAIL_REDACTED]"), len(got))
	}
}

func TestJSONNameCue(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]jsonCue{
		"password": cueSecret, "PASSWORD": cueSecret, "userPassword": cueSecret, "db_passwd": cueSecret,
		"api_key": cueSecret, "apiKey": cueSecret, "APIKey": cueSecret, "x-api-key": cueSecret, "apikey": cueSecret,
		"client_secret": cueSecret, "AWS_SECRET_ACCESS_KEY": cueSecret, "accessToken": cueSecret,
		"refresh-token": cueSecret, "Authorization": cueSecret, "set-cookie": cueSecret, "private key": cueSecret,
		"session_id": cueSecret, "cvv": cueSecret, "password_reset_token": cueSecret,
		"token_type": cueNone, "max_tokens": cueNone, "prompt_tokens": cueNone, "password_hint": cueNone,
		"secret_count": cueNone, "key": cueNone, "keyboard": cueNone, "author": cueNone, "spinner": cueNone,
		"phone": cuePhone, "mobileNumber": cuePhone, "tel": cuePhone, "fax_number": cuePhone,
		"phone_type": cueNone, "telemetry": cueNone, "ssn": cueSSN, "SocialSecurityNumber": cueSSN,
		"": cueNone, "name": cueNone, strings.Repeat("password", 20): cueNone,
	} {
		require.Equal(t, want, jsonNameCue(name), "%q", name)
	}
}

// FuzzRedactJSON checks that RedactJSON accepts exactly the valid JSON
// documents and keeps their shape.
func FuzzRedactJSON(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,"b@example.com",{"password":"x"}]}`, `"\ud83d\ude00"`,
		`{"phone":4155550100,"k\u0041":"\ud800"}`, `[4111111111111111, -0, 1e5, "10.0.0.1"]`, `{"a@b.co":1,"c@d.co":2}`} {
		f.Add([]byte(s))
	}
	a, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		res, err := a.RedactJSON(doc)
		if !json.Valid(doc) {
			if err == nil {
				t.Fatalf("accepted invalid JSON %q", doc)
			}
			return
		}
		if err != nil {
			t.Fatalf("refused valid JSON %q: %v", doc, err)
		}
		if !json.Valid(res.JSON) {
			t.Fatalf("invalid output %q for %q", res.JSON, doc)
		}
		var in, out any
		if json.Unmarshal(doc, &in) != nil || json.Unmarshal(res.JSON, &out) != nil {
			return
		}
		if !sameShape(in, out) {
			t.Fatalf("shape changed: %q -> %q", doc, res.JSON)
		}
		if res.Count() == 0 && string(res.JSON) != string(doc) {
			t.Fatalf("changed without findings: %q -> %q", doc, res.JSON)
		}
	})
}

// sameShape reports whether out has in's structure: the same containers
// and member counts, scalars of the same type (or a string for a redacted
// number).
func sameShape(in, out any) bool {
	switch x := in.(type) {
	case map[string]any:
		y, ok := out.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		// Names may be redacted: compare the values in name order of the
		// untouched names only.
		for k, v := range x {
			if w, ok := y[k]; ok && !sameShape(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := out.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameShape(x[i], y[i]) {
				return false
			}
		}
		return true
	case float64:
		_, isNum := out.(float64)
		_, isStr := out.(string)
		return isNum || isStr
	default:
		return reflect.TypeOf(in) == reflect.TypeOf(out)
	}
}

func TestRedactJSONFindingsBounded(t *testing.T) {
	t.Parallel()
	a, err := New(Options{})
	require.NoError(t, err)
	var b strings.Builder
	b.WriteString("[")
	for i := range 250 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"u@example.com"`)
	}
	b.WriteString("]")
	res, err := a.RedactJSON([]byte(b.String()))
	require.NoError(t, err)
	require.Len(t, res.Findings, MaxJSONFindings)
	require.Equal(t, 250, res.Count())
	require.NotContains(t, string(res.JSON), "example.com")
	require.True(t, errors.Is(ErrInvalidJSON, ErrInvalidJSON))
}

// benchParams is a task's params as services send them: identifiers,
// numbers, nested options, a little free text, an address or two.
func benchParams(pii bool) []byte {
	var b strings.Builder
	b.WriteString(`{"order_id":"ord_8f3a2c","customer":{"id":918273,"name":"Jane Doe","tier":"gold","tags":["vip","eu"]},"items":[`)
	for i := range 12 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"sku":"SKU-10`)
		b.WriteString(strings.Repeat("7", i%3+1))
		b.WriteString(`","qty":3,"price":19.99,"note":"gift wrap, deliver to the back door after 5 pm"}`)
	}
	b.WriteString(`],"shipping":{"method":"express","address":"12 Market Street, Springfield","eta_days":2},`)
	if pii {
		b.WriteString(`"contact":{"email":"jane.doe@example.com","phone":"+1 415 555 0100"},"api_key":"k-7f3a9b","card":4111111111111111,`)
	}
	b.WriteString(`"flags":{"fragile":false,"insured":true,"retries":null},"comment":"customer asked twice about the delivery window"}`)
	return []byte(b.String())
}

// BenchmarkRedactJSON compares the one-pass walk with the obvious
// alternative measured in the same run: decode into map[string]any,
// analyse every string, encode again. Both report MB/s; the walk reports
// its speed-up over the baseline.
func BenchmarkRedactJSON(b *testing.B) {
	a, err := New(Options{})
	require.NoError(b, err)
	for _, pii := range []bool{false, true} {
		doc := benchParams(pii)
		name := "clean"
		if pii {
			name = "pii"
		}
		var walk, base float64
		b.Run(name+"/walk", func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.RedactJSON(doc); err != nil {
					b.Fatal(err)
				}
			}
			walk = float64(b.Elapsed()) / float64(b.N)
		})
		b.Run(name+"/baseline-unmarshal", func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				var v any
				if err := json.Unmarshal(doc, &v); err != nil {
					b.Fatal(err)
				}
				v = redactAny(a, v)
				if _, err := json.Marshal(v); err != nil {
					b.Fatal(err)
				}
			}
			base = float64(b.Elapsed()) / float64(b.N)
			if walk > 0 {
				b.ReportMetric(base/walk, "x-slower-than-walk")
			}
		})
	}
}

func redactAny(a *Analyzer, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = redactAny(a, e)
		}
	case []any:
		for i, e := range x {
			x[i] = redactAny(a, e)
		}
	case string:
		return a.Analyze(x).RedactedText
	}
	return v
}

// TestRedactJSONBatches spreads values over many analysis batches (a small
// MaxBytes) and checks each lands in its own string.
func TestRedactJSONBatches(t *testing.T) {
	t.Parallel()
	a, err := New(Options{MaxBytes: 256, Tokens: TokensNumbered})
	require.NoError(t, err)
	var in, want strings.Builder
	in.WriteString(`{"list":[`)
	want.WriteString(`{"list":[`)
	for i := range 200 {
		if i > 0 {
			in.WriteString(",")
			want.WriteString(",")
		}
		switch i % 3 {
		case 0:
			in.WriteString(`"write to u` + strconv.Itoa(i) + `@example.com today"`)
			want.WriteString(`"write to [EMAIL_1] today"`)
		case 1:
			in.WriteString(`"plain text number ` + strconv.Itoa(i) + `"`)
			want.WriteString(`"plain text number ` + strconv.Itoa(i) + `"`)
		default:
			in.WriteString(`"` + strings.Repeat("long text ", 30) + `10.0.0.` + strconv.Itoa(i%250) + `"`)
			want.WriteString(`"` + strings.Repeat("long text ", 30) + `[IPV4_1]"`)
		}
	}
	in.WriteString(`]}`)
	want.WriteString(`]}`)
	res, err := a.RedactJSON([]byte(in.String()))
	require.NoError(t, err)
	// Numbered tokens count per analysis batch; compare with numbers
	// normalised.
	got := regexp.MustCompile(`\[(EMAIL|IPV4)_\d+\]`).ReplaceAllString(string(res.JSON), "[${1}_1]")
	require.Equal(t, want.String(), got)
	require.Equal(t, 67+66, res.Count())
	require.Equal(t, "$.list[0]", res.Findings[0].Path)
	require.Equal(t, "$.list[2]", res.Findings[1].Path)
}
