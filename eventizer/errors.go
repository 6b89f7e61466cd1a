package eventizer

import "errors"

// Sentinel errors, returned wrapped; test for them with [errors.Is].
var (
	// ErrInvalidPack is returned by [ParsePack] and [New] for a rule pack
	// that fails validation; the message names the offending field.
	ErrInvalidPack = errors.New("eventizer: invalid rule pack")
	// ErrInvalidOptions is returned by [New] for an invalid setting.
	ErrInvalidOptions = errors.New("eventizer: invalid options")
	// ErrMissingHMACKey is returned by [New] when Options.Tokens is
	// [TokensHMAC] and Options.HMACKey is empty: there is no default key.
	ErrMissingHMACKey = errors.New("eventizer: HMAC tokens need Options.HMACKey")
	// ErrCircuitOpen is returned by [HTTPEnricher.Enrich] without calling
	// the service while its circuit breaker is open.
	ErrCircuitOpen = errors.New("eventizer: enrichment circuit open")
	// ErrEnrichFailed is returned (wrapped, with the cause) by
	// [HTTPEnricher.Enrich] when the service fails: a transport error, a
	// timeout, a non-2xx status or a body that is not JSON.
	ErrEnrichFailed = errors.New("eventizer: enrichment failed")
	// ErrBusy is returned by [HTTPEnricher.Enrich] when all its concurrency
	// slots are taken and the context ends before one frees up.
	ErrBusy = errors.New("eventizer: enrichment busy")
)
