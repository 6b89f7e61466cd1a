package store

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzCheckJSON holds CheckJSON's grammar to encoding/json's: it accepts
// only well-formed JSON, and refuses well-formed JSON only for a reason of
// the contract (NUL, surrogates, numbers, depth), never as malformed.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `""`, `0`, `-0.5e+10`, `true`, `null`, ` {"a" : [1 , 2] } `,
		`{"a":"\u0000"}`, `{"a":"\ud800"}`, `{"a":"\ud83d\ude00"}`, `"\udc00"`, `"\ud800\u0041"`,
		"\"\xff\"", `1e999999`, `1e400`, `1e-400`, `01`, `1.`, `.5`, `-`, `1e`, `"\x"`, `"\u12"`,
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
		`{"a":1,}`, `[1,]`, `{"a"}`, `{,}`, "\"a\tb\"", `tru`, `nulll`, `{"a":1}{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := CheckJSON(b)
		valid := json.Valid(b)
		switch {
		case err == nil && !valid:
			t.Fatalf("CheckJSON accepted malformed %q", b)
		case err != nil && valid && errors.Is(err, errMalformed):
			t.Fatalf("CheckJSON called well-formed %q malformed", b)
		}
	})
}
