package store

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// idLen is the length of a canonical UUID string.
const idLen = 36

// NewID returns a new version 7 (time-ordered) UUID in canonical form.
// IDs made by one process are strictly increasing (google/uuid keeps a
// 12-bit sub-millisecond counter, RFC 9562 section 6.2 method 3), which
// keeps index inserts local and makes (created_at, id) a stable sort key.
func NewID() string {
	// NewV7 fails only when crypto/rand does, which never returns an
	// error since Go 1.24.
	return uuid.Must(uuid.NewV7()).String()
}

// ParseID returns the canonical (lower-case, hyphenated) form of a full
// UUID, or an error wrapping [ErrInvalidID].
func ParseID(s string) (string, error) {
	p, err := ParsePrefix(s)
	if err != nil {
		return "", err
	}
	if len(p) != idLen {
		return "", fmt.Errorf("%w: %q is not a full UUID", ErrInvalidID, s)
	}
	return p, nil
}

// ParsePrefix validates an ID or ID prefix and returns it in canonical
// lower-case form. Hyphens must sit where a UUID has them. Anything else,
// including "%" and "_", is rejected with an error wrapping [ErrInvalidID],
// so a prefix is always matched literally.
func ParsePrefix(s string) (string, error) {
	if s == "" || len(s) > idLen {
		return "", fmt.Errorf("%w: length %d", ErrInvalidID, len(s))
	}
	// Canonical input (the common case: IDs this package made) is
	// checked in one pass and returned as it is, without a copy.
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		hyphen := i == 8 || i == 13 || i == 18 || i == 23
		switch {
		case hyphen && c == '-':
		case !hyphen && (c >= '0' && c <= '9' || c >= 'a' && c <= 'f'):
		case !hyphen && c >= 'A' && c <= 'F':
			upper = true
		default:
			return "", fmt.Errorf("%w: unexpected character at %d", ErrInvalidID, i)
		}
	}
	if upper {
		return strings.ToLower(s), nil
	}
	return s, nil
}

// PrefixRange returns the smallest and largest full UUIDs that start with
// the canonical prefix p (as returned by [ParsePrefix]). Backends use it to
// turn a prefix lookup into an index range scan.
func PrefixRange(p string) (lo, hi string) {
	const zero = "00000000-0000-0000-0000-000000000000"
	const full = "ffffffff-ffff-ffff-ffff-ffffffffffff"
	return p + zero[len(p):], p + full[len(p):]
}
