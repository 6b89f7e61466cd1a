// Package eventizer analyses the free text of a task before it is stored:
// it finds and redacts personal data and secrets, and tags the text with
// event types, keywords, a domain, a priority, an urgency and a confidence.
// It is a pure, deterministic function of the text and the options, and it
// imports nothing else of this module except the shared circuit breaker.
//
// # Use
//
// Build an [Analyzer] once with [New] and call [Analyzer.Analyze] from any
// number of goroutines; [Analyze] is a convenience over a shared default
// analyzer. The [Result] marshals to stable snake_case JSON meant to be
// stored with the task: the same input gives byte-identical JSON on every
// run and any GOMAXPROCS (ProcessingTime, the one varying field, is not
// marshalled).
//
// # Personal data and secrets
//
// Each [Finding] is a kind, a byte span into the original text, a score
// and the name of the check that accepted it, never the value. Candidates
// are validated, not only pattern-matched: Luhn and issuer prefixes for
// cards, country length and mod-97 for IBANs, the never-issued ranges for
// SSNs, net/netip for IP addresses, country calling codes and North
// American numbering rules for phones, known prefixes and lengths for
// tokens, the decoded header for JWTs, and entropy with character-class
// mixing for the values of secret-looking assignments ("api_key=...").
// The kinds and the accepted formats are listed with [KindEmail] and its
// siblings.
//
// # Redaction
//
// Result.RedactedText replaces each finding by a token and keeps every
// other byte (separators and punctuation around a finding included). The
// token style is [TokensLabel] ("[EMAIL_REDACTED]", the default),
// [TokensNumbered] ("[EMAIL_1]", the same value the same number within a
// text) or [TokensHMAC] (a keyed digest; the key is required, there is no
// default). A value found once is redacted wherever else it occurs in the
// text, even where its context alone would not flag it (a value of one to
// three bytes, such as a short password, only where it stands as a word).
//
// Input longer than Options.MaxBytes (default 16 KiB) is cut on a UTF-8
// boundary and only that prefix is analysed and returned (Result.Truncated):
// the unscanned rest is never handed back, so it cannot reach the store. A
// value straddling the cut is never kept in part: the detectors read a
// margin past the cut, and such a value is kept whole and replaced by its
// token.
//
// # Text from anywhere
//
// Word boundaries are Unicode-aware: a letter of another script or
// full-width punctuation ends an ASCII value ("请联系x@example.com谢谢",
// "カード4111 1111 1111 1111で"), while a Latin letter continues it. Text that
// holds zero-width characters, Unicode spaces or hyphens, or full-width
// forms ("jane＠example.com", "４１１１") is normalised for detection, and the
// findings are mapped back onto the original bytes. Typographic quotes,
// apostrophes, guillemets, dashes, inverted marks and the ellipsis become
// their ASCII forms there too, so they separate words for the rules
// ("l’incendie", "¿Hay humo?") as the ASCII forms do.
//
// # JSON
//
// [Analyzer.RedactJSON] redacts a JSON document (a task's params, its
// result) in place, in one pass and without decoding it into Go values:
// every string and member name is redacted as a text, an integer that is
// a card number becomes a redacted string, and every value under a
// secret-looking name ("password", "api_key", "authorization", ...) is
// replaced whatever it looks like. The document stays valid JSON of the
// same shape; each finding is reported with its JSON path, never its
// value. The strings of a document are analysed in batches, so many short
// strings cost about what one long text does (BenchmarkRedactJSON).
// [Analyzer.RedactText] redacts a text of any length, in overlapping
// windows where it is longer than Options.MaxBytes.
//
// # Rules
//
// Event rules are data: a [Pack] of event types with priorities, optional
// domains and rules that match any of a list of keywords or several
// keyword groups within a window of words, in any order. Rules are
// evaluated one sentence at a time, so the words of one sentence never
// combine with another's; a negation word ("no", "sin", "kein", "没有")
// takes the keywords shortly after it out of play ("no known allergies",
// "not an emergency"), as a Japanese one does the keyword right before it
// ("アレルギーはありません"), a rule's unless words stop it in a sentence that
// holds one ("fire" with "drill"), and its unless events stop it when
// another rule found one of them anywhere in the text (a generic "please
// send someone" after "the heating is cold"), while its if events let it
// count only when another rule found one of them ("please renew" after
// "the certificate expires on Friday"). Keywords match whole words, word
// beginnings ("leak*"), parts of compound words ("*heizung*") and, in
// Chinese, Japanese and Korean, anywhere. [DefaultPack] is the built-in
// pack (embedded JSON) in English, Spanish, French, German, Italian,
// Portuguese, Dutch, Japanese and Chinese; [ParsePack] validates a user's
// own. Every matched event type is reported (an emergency raises the
// priority and keeps the other tags); the priority is the highest, the
// domain that of the highest-priority event type naming one.
//
// An event type may also have a [Score]: weights on the pack's keywords
// that, summed over the distinct keywords a text holds (as the rules count
// them), match the event type where no rule did, for texts that tell an
// event in words no single rule combines ("somebody went through my room,
// my watch is gone"). Such a match caps the confidence at 0.55. The
// built-in pack's scores (rules/scores.json) are a logistic regression on
// its tuning sets, never its held-out ones; TestScoresFitted checks the
// file is that fit for the rules as they are, and rewrites it after a rule
// change with go test ./eventizer -run TestScoresFitted -update-scores.
//
// Result.Confidence is that of the least supported event type found (more
// distinct keywords, or a rule of several groups, raise it), lowered when
// a keyword was negated or a rule stopped, and when words that hint at
// an event on their own occurred without it being found; a text with no
// event words at all is routine at 0.6. A text with several event types,
// or with a run of eight words that no fired rule accounts for, is capped
// at 0.7: it is exactly right only if every type is, and an unexplained
// run is where an event the pack does not know may be written.
// EnrichmentAdvised marks the texts under Pack.EnrichBelow.
//
// The TestEventSet tests report, for the labelled sets (testdata/events),
// micro precision, recall and F1 and the share of texts at confidence 0.8
// or more whose event types are exactly right (go test -run TestEventSet
// -v ./eventizer/). Besides the first tuning and held-out sets, the
// others were written from the type definitions by writers who did not
// see the rules; the pack is written (and its scores fitted) against the
// tuning sets, and the held-out sets are only measured. Pooled, the
// held-out sets (12,924 texts) score micro-F1 0.943, every type's recall
// at least 0.906, and 96.2% of the texts at confidence 0.8 or more
// exactly right (TestEventSetPooledHeldout): the estimate for text nobody
// tuned the pack for. Per set micro-F1 runs from 0.869 (security and
// privacy told in plain words by small hotels) to 0.965. ARCHITECTURE.md
// has the table.
//
// # Speed
//
// One pass over the bytes drives both a keyword automaton (Aho-Corasick
// compiled to a DFA over byte classes, with word boundaries built in) and
// the PII detectors, which are tried only where a word starts or at the few
// bytes that can anchor a finding ('@', '=', ':', '+', '(', '-') and then
// look at a small window. There is no regular expression; no detector
// backtracks over more than a bounded window, and runs of digit groups
// are classified only in the shapes a value can take, so no input shape
// makes the pass superlinear. Text with disguising characters is first
// copied into a normalised form (see Text from anywhere). Scratch memory
// comes from a pool: analysing a text with no findings and no matched event
// allocates nothing; otherwise the result's own slices and redacted string
// are the allocations. The package benchmarks compare it with the original
// design, one regular expression per rule.
//
// # Enrichment
//
// An [Enricher] performs a slower, remote analysis later. [HTTPEnricher]
// is a client for such a service: per-request timeouts, bounded
// concurrency, a circuit breaker ([ErrCircuitOpen] while open) and an LRU
// cache with a TTL keyed by the hash of the redacted text. It sends only
// the redacted text and the Result, and refuses a text that is not the
// Result's redacted text ([ErrNotRedacted]).
//
// # Limits
//
// Keyword matching folds ASCII case, and the accented Latin capitals of
// U+00C0-U+00DE only when a whole word or its first letter is capitalised.
// Keywords match words, not meanings: phrasings the pack does not list are
// missed, and the texts it tags with low confidence are the ones to
// enrich. An unseparated run of ten digits
// is taken for a phone number only right after a phone cue ("tel",
// "phone", "call", "电话", ...), since order and booking numbers look the
// same; national numbers without a "+" outside North America likewise.
// Generic secrets are found only as the value of an assignment to a
// secret-looking name.
package eventizer
