package eventizer

import "time"

// Kind names a kind of personal or secret data found in a text.
type Kind string

// The kinds of finding the analyzer reports.
const (
	// KindEmail is an e-mail address (local part, "@", a domain with a
	// letters-only top-level label), internationalised ones included
	// ("josé@example.es", "用户@例子.广告").
	KindEmail Kind = "email"
	// KindPhone is a North American number ("(555) 234-5678",
	// "555-234-5678", "555.234.5678", "1 555 234 5678") or an international
	// number written with a leading "+" and a known country code (E.164,
	// 8 to 15 digits, separated by spaces, dashes, dots or parentheses,
	// ending where the country's plan ends), or a number right after a
	// phone cue ("tel", "phone", "call", "电话", ...): ten digits of a North
	// American number, a national number with its trunk "0", a Chinese
	// mobile number.
	KindPhone Kind = "phone"
	// KindCard is a payment card number: 13 to 19 digits, ungrouped or in
	// groups with one consistent separator (space, no-break space, '-' or
	// '.'), with a known issuer prefix and length, passing the Luhn check.
	KindCard Kind = "card"
	// KindIBAN is an international bank account number: a known country,
	// that country's length, and the ISO 7064 mod-97 check; compact or in
	// groups of four, in either letter case.
	KindIBAN Kind = "iban"
	// KindSSN is a US social security number written ddd-dd-dddd or
	// ddd dd dddd, with the
	// never-issued areas (000, 666, 900-999), group 00 and serial 0000
	// rejected.
	KindSSN Kind = "ssn"
	// KindIPv4 is a dotted-quad IPv4 address (parsed by net/netip).
	KindIPv4 Kind = "ipv4"
	// KindIPv6 is an IPv6 address (parsed by net/netip), with an embedded
	// IPv4 address as one value ("::ffff:203.0.113.7").
	KindIPv6 Kind = "ipv6"
	// KindSecret is a credential: a token with a well-known prefix (AWS
	// access key, GitHub, Slack, Stripe), a JWT, a PEM private-key block, or
	// the value of an assignment to a password-like name, whatever it is
	// ("password=hunter2", "パスワード：..."), or the high-entropy value of an
	// assignment to another secret-looking name ("api_key=..."). A value
	// runs to its closing quote, or to whitespace, and may hold any symbol.
	// Finding.Validator tells which.
	KindSecret Kind = "secret"
)

// Finding is one piece of personal or secret data. It holds the byte span
// into the original text, never the value itself.
type Finding struct {
	// Kind is what was found.
	Kind Kind `json:"kind"`
	// Start is the byte offset of the first byte, into the original text
	// (detection may run on a normalised copy; spans are always into the
	// original bytes).
	Start int `json:"start"`
	// End is the byte offset just past the last byte.
	End int `json:"end"`
	// Score is the confidence (0-1) that the span is what Kind says.
	Score float64 `json:"score"`
	// Validator names the check that accepted the span: "luhn", "mod97",
	// "nanp", "e164", "cue" (a phone number after a phone cue), "ssa",
	// "netip", "rfc5322", "aws_access_key", "github_token", "slack_token",
	// "stripe_key", "jwt", "pem_private_key", "password" (the value of a
	// password-like name), "entropy", or "repeat" for another occurrence of
	// a value found elsewhere in the same text.
	Validator string `json:"validator"`
}

// Urgency is a coarse level derived from the priority and urgency words.
type Urgency string

// The urgency levels, lowest first.
const (
	UrgencyLow      Urgency = "low"
	UrgencyMedium   Urgency = "medium"
	UrgencyHigh     Urgency = "high"
	UrgencyCritical Urgency = "critical"
)

// Attributes are simple facts about the analysed text.
type Attributes struct {
	// HasUrgency is true when an urgency word ("urgent", "asap", ...) occurs.
	HasUrgency bool `json:"has_urgency"`
	// HasLocation is true when a location word ("room", "lobby", ...) occurs.
	HasLocation bool `json:"has_location"`
	// HasTimestamp is true when a time or date ("14:30", "2026-03-15",
	// "tomorrow", "pm", ...) occurs.
	HasTimestamp bool `json:"has_timestamp"`
	// Length is the length of the whole input in bytes (before truncation).
	Length int `json:"length"`
	// WordCount is the number of words in the analysed part of the text: runs
	// of letters, digits, '_' and non-ASCII characters ("14:30" is two
	// words, "check-out" two), a finding counting as one.
	WordCount int `json:"word_count"`
}

// Result is the analysis of one text. It marshals to stable JSON with
// snake_case names: the same input and options give byte-identical JSON on
// every run. ProcessingTime, the only field that varies, is left out of the
// JSON.
type Result struct {
	// RedactedText is the analysed text with every finding replaced by a
	// token. When Truncated, it covers only the analysed prefix: the rest
	// was not scanned, so it is not returned. A value crossing the cut is
	// never kept in part: it ends the text as its whole token.
	RedactedText string `json:"redacted_text"`
	// Findings lists the PII and secrets found, ordered by Start, with
	// non-overlapping spans into the original text.
	Findings []Finding `json:"findings,omitempty"`
	// EventTypes lists the event types whose rules matched, highest
	// priority first (ties in rule-pack order). Empty means routine.
	EventTypes []string `json:"event_types,omitempty"`
	// Keywords lists the rule keywords that made the event types match, as
	// the pack writes them (normalised, without a trailing '*'), in the order
	// they first occur in the text.
	Keywords []string `json:"keywords,omitempty"`
	// Domain is the inferred domain: that of the highest-priority matched
	// event type that names one, else the pack's default ("general").
	Domain string `json:"domain"`
	// Priority is 0-10: the highest priority of the matched event types,
	// else the pack's default (2, routine).
	Priority int `json:"priority"`
	// Urgency is derived from Priority (9+ critical, 7+ high, 5+ medium,
	// else low), one level higher when Attributes.HasUrgency.
	Urgency Urgency `json:"urgency"`
	// Confidence (0-1, two decimals) is how sure the analysis is of its
	// event types.
	Confidence float64 `json:"confidence"`
	// EnrichmentAdvised is true when Confidence is below the pack's
	// threshold or the text was truncated: a slower remote analysis may
	// help.
	EnrichmentAdvised bool `json:"enrichment_advised"`
	// Truncated is true when the input was longer than Options.MaxBytes and
	// only its prefix (cut on a UTF-8 boundary) was analysed. A value
	// straddling the cut is found whole (the detectors read up to 1 KiB
	// past it) and kept whole: the analysed prefix then ends with it, and
	// its finding ends past MaxBytes.
	Truncated bool `json:"truncated"`
	// Attributes holds simple facts about the text.
	Attributes Attributes `json:"attributes"`
	// ProcessingTime is how long Analyze took. It is not marshalled, so that
	// the stored JSON stays deterministic.
	ProcessingTime time.Duration `json:"-"`
}
