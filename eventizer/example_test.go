package eventizer_test

import (
	"encoding/json"
	"fmt"

	"github.com/seedcore/seedcore/eventizer"
)

func Example() {
	a, err := eventizer.New(eventizer.Options{})
	if err != nil {
		panic(err)
	}
	r := a.Analyze("VIP guest says her luggage was lost; call +44 20 7946 0958 or mail ann@example.com")
	fmt.Println(r.RedactedText)
	fmt.Println(r.EventTypes, r.Priority, r.Domain, r.Urgency)
	for _, f := range r.Findings {
		fmt.Println(f.Kind, f.Start, f.End, f.Validator)
	}
	// Output:
	// VIP guest says her luggage was lost; call [PHONE_REDACTED] or mail [EMAIL_REDACTED]
	// [vip luggage_custody] 7 hotel_ops high
	// phone 42 58 e164
	// email 67 82 rfc5322
}

func ExampleNew_numberedTokens() {
	a, err := eventizer.New(eventizer.Options{Tokens: eventizer.TokensNumbered})
	if err != nil {
		panic(err)
	}
	r := a.Analyze("From a@example.com to b@example.com, reply to a@example.com")
	fmt.Println(r.RedactedText)
	// Output:
	// From [EMAIL_1] to [EMAIL_2], reply to [EMAIL_1]
}

func ExampleParsePack() {
	p, err := eventizer.ParsePack([]byte(`{
		"version": 1, "default_domain": "it", "default_priority": 1, "enrich_below": 0.5,
		"events": [{"type": "outage", "priority": 8, "rules": [
			{"all": [["server", "database"], ["down", "unreachable"]], "window": 4}
		]}]
	}`))
	if err != nil {
		panic(err)
	}
	a, err := eventizer.New(eventizer.Options{Pack: p})
	if err != nil {
		panic(err)
	}
	r := a.Analyze("The database has been unreachable since noon")
	b, _ := json.Marshal(struct {
		E []string `json:"event_types"`
		K []string `json:"keywords"`
		P int      `json:"priority"`
	}{r.EventTypes, r.Keywords, r.Priority})
	fmt.Println(string(b))
	// Output:
	// {"event_types":["outage"],"keywords":["database","unreachable"],"priority":8}
}

// A task's params: the values are redacted in place, the document keeps
// its shape, and each finding names its JSON path, not its value.
func ExampleAnalyzer_RedactJSON() {
	a, err := eventizer.New(eventizer.Options{})
	if err != nil {
		panic(err)
	}
	res, err := a.RedactJSON([]byte(`{"to":["ann@example.com"],"card":4111111111111111,"smtp":{"user":"ann","password":"hunter2"},"retries":3}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(string(res.JSON))
	for _, f := range res.Findings {
		fmt.Println(f.Kind, f.Path, f.Validator)
	}
	// Output:
	// {"to":["[EMAIL_REDACTED]"],"card":"[CARD_REDACTED]","smtp":{"user":"ann","password":"[SECRET_REDACTED]"},"retries":3}
	// email $.to[0] rfc5322
	// card $.card luhn
	// secret $.smtp.password key
}
