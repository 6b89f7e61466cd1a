package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"
)

// idLen is the length of a canonical UUID string.
const idLen = 36

var idState struct {
	sync.Mutex
	lastMS uint64
	seq    uint16
}

// NewID returns a new version 7 (time-ordered) UUID in canonical form. IDs
// made by one process are strictly increasing, which keeps index inserts
// local and makes (created_at, id) a stable sort key.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error.

	ms := uint64(time.Now().UnixMilli())
	idState.Lock()
	if ms <= idState.lastMS {
		ms = idState.lastMS
		idState.seq++
		if idState.seq > 0x0fff {
			ms++
			idState.seq = 0
		}
	} else {
		idState.seq = binary.BigEndian.Uint16(b[6:8]) & 0x07ff
	}
	idState.lastMS = ms
	seq := idState.seq
	idState.Unlock()

	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], ms)
	copy(b[0:6], ts[2:8])
	b[6] = 0x70 | byte(seq>>8)&0x0f
	b[7] = byte(seq)
	b[8] = b[8]&0x3f | 0x80
	return formatID(b)
}

func formatID(b [16]byte) string {
	var s [idLen]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
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
	// returned as it is, without a copy.
	out := strings.ToLower(s)
	for i := 0; i < len(out); i++ {
		c := out[i]
		hyphen := i == 8 || i == 13 || i == 18 || i == 23
		switch {
		case hyphen && c == '-':
		case !hyphen && (c >= '0' && c <= '9' || c >= 'a' && c <= 'f'):
		default:
			return "", fmt.Errorf("%w: unexpected character at %d", ErrInvalidID, i)
		}
	}
	return out, nil
}

// PrefixRange returns the smallest and largest full UUIDs that start with
// the canonical prefix p (as returned by [ParsePrefix]). Backends use it to
// turn a prefix lookup into an index range scan.
func PrefixRange(p string) (lo, hi string) {
	const zero = "00000000-0000-0000-0000-000000000000"
	const full = "ffffffff-ffff-ffff-ffff-ffffffffffff"
	return p + zero[len(p):], p + full[len(p):]
}
