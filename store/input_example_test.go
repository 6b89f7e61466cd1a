package store_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/seedcore/seedcore/store"
)

// Normalize refuses what no backend may store, naming the field and the
// rule, never the value.
func ExampleNewTask_Normalize() {
	for _, nt := range []store.NewTask{
		{Type: "email send"},
		{Type: "email.send", Description: "a\x00b"},
		{Type: "email.send", Params: json.RawMessage(`{"to":"\u0000"}`)},
		{Type: "email.send", Params: json.RawMessage(`{"n":1e999999}`)},
		{Type: "email.send", Params: json.RawMessage(`{"to":42}`)},
	} {
		_, err := nt.Normalize()
		fmt.Println(errors.Is(err, store.ErrInvalidTask), err)
	}
	// Output:
	// true store: invalid task: type must be ASCII letters, digits and _ . - : /, starting with a letter or digit
	// true store: invalid task: description contains a NUL character
	// true store: invalid task: params contains \u0000
	// true store: invalid task: params contains a number outside the accepted range
	// false <nil>
}

func ExampleValidName() {
	fmt.Println(store.ValidName("billing.invoice:send/v2"), store.ValidName("email send"), store.ValidName("\x1b[31m"))
	// Output: true false false
}

func ExampleCheckJSON() {
	fmt.Println(store.CheckJSON([]byte(`{"emoji":"\ud83d\ude00","n":1e308}`)))
	fmt.Println(store.CheckJSON([]byte(`{"lone":"\ud800"}`)))
	// Output:
	// <nil>
	// contains an unpaired UTF-16 surrogate escape
}
