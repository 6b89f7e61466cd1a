package eventizer

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

type redactScratch struct {
	table  []int32      // open-addressing set of finding indexes, by first 4 bytes
	filter [64]uint64   // 4096-bit filter of those first 4 bytes
	pair   [1024]uint64 // 65536-bit set of their first two bytes, all clear between calls
	short  []int32      // hash set of values of 1-3 bytes (finding indexes)
	extras []Finding
	merged []Finding // the merge buffer, swapped with the findings
	nums   []int     // token numbers for TokensNumbered
	sum    [sha256.Size]byte
	hexbuf [12]byte
}

// decimalLen is the number of decimal digits of n >= 0.
func decimalLen(n int) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}

func load32(s string, i int) uint32 {
	return uint32(s[i]) | uint32(s[i+1])<<8 | uint32(s[i+2])<<16 | uint32(s[i+3])<<24
}

// addRepeats finds every other occurrence of a found value, even where its
// context alone would not flag it ("v1.2.3.4" after "1.2.3.4" was found),
// and widens the findings to cover them: a value found once is redacted
// everywhere in the text.
func (a *Analyzer) addRepeats(sc *scratch, s string) {
	fs := sc.scan.findings
	rs := &sc.redact
	rs.extras = rs.extras[:0]
	size, bits := 8, uint32(3)
	for size < 2*len(fs) {
		size *= 2
		bits++
	}
	if cap(rs.table) < size {
		rs.table = make([]int32, size)
	}
	tab := rs.table[:size]
	for k := range tab {
		tab[k] = -1
	}
	mask := uint32(size - 1)
	hash := func(key uint32) uint32 { return (key * 0x9E3779B1) >> (32 - bits) }
	filt := &rs.filter
	clear(filt[:])
	pair := &rs.pair // the first two bytes of the values; cleared below
	defer func() {
		for _, f := range fs {
			if f.End-f.Start >= 4 {
				k2 := uint32(s[f.Start]) | uint32(s[f.Start+1])<<8
				pair[k2>>6] = 0
			}
		}
	}()
	fbit := func(key uint32) uint32 { return (key * 0x85EBCA6B) >> 20 }
	short, maxLen := false, 0
	for fi, f := range fs {
		v := s[f.Start:f.End]
		if len(v) < 4 {
			short = true
			continue
		}
		maxLen = max(maxLen, len(v))
		h := hash(load32(v, 0))
		dup := false
		for tab[h] >= 0 {
			o := fs[tab[h]]
			if s[o.Start:o.End] == v {
				dup = true
				break
			}
			h = (h + 1) & mask
		}
		if !dup {
			tab[h] = int32(fi)
			fb := fbit(load32(v, 0))
			filt[fb>>6] |= 1 << (fb & 63)
			k2 := uint32(v[0]) | uint32(v[1])<<8
			pair[k2>>6] |= 1 << (k2 & 63)
		}
	}
	cur := 0
	covered := func(i, j int) bool {
		for cur < len(fs) && fs[cur].End <= i {
			cur++
		}
		return cur < len(fs) && fs[cur].Start <= i && j <= fs[cur].End
	}
	// Scan the gaps between findings with a tight loop. An occurrence that
	// starts inside a finding and ends inside it too is covered whatever it
	// is, so within finding f only the last maxLen-1 positions are scanned.
	last := len(s) - 4
	i := 0
	for next := 0; maxLen > 0 && i <= last; next++ {
		limit := last
		skipTo := 0
		if next < len(fs) {
			f := fs[next]
			limit = min(last, f.Start-1)
			skipTo = f.End - maxLen + 1
		}
		for ; i <= limit; i++ {
			if i = nextPair(pair, s, i, limit); i > limit {
				break
			}
			key := load32(s, i)
			if fb := fbit(key); filt[fb>>6]&(1<<(fb&63)) == 0 {
				continue
			}
			for h := hash(key); tab[h] >= 0; h = (h + 1) & mask {
				f := fs[tab[h]]
				v := s[f.Start:f.End]
				if load32(v, 0) != key || i+len(v) > len(s) || s[i:i+len(v)] != v {
					continue
				}
				if !covered(i, i+len(v)) {
					rs.extras = append(rs.extras, Finding{Kind: f.Kind, Start: i, End: i + len(v), Score: f.Score, Validator: "repeat"})
				}
			}
		}
		if next >= len(fs) {
			break
		}
		i = max(i, skipTo)
		// The positions of finding next not skipped run on into the gap
		// after it (the next round's loop starts from i).
	}
	if short {
		a.addShortRepeats(sc, s)
	}
	if len(rs.extras) == 0 {
		return
	}
	// Merge the findings and the repeats (each in order of Start: the
	// repeats of at most three bytes come after the longer ones, so sort
	// the few extras first) and take the union of overlapping spans.
	ex := rs.extras
	if !slices.IsSortedFunc(ex, byStart) {
		slices.SortStableFunc(ex, byStart)
	}
	out := rs.merged[:0]
	push := func(f Finding) {
		if n := len(out); n > 0 && f.Start < out[n-1].End {
			out[n-1].End = max(out[n-1].End, f.End) // union keeps every occurrence covered
			return
		}
		out = append(out, f)
	}
	i, j := 0, 0
	for i < len(fs) || j < len(ex) {
		if j == len(ex) || i < len(fs) && fs[i].Start <= ex[j].Start {
			push(fs[i])
			i++
		} else {
			push(ex[j])
			j++
		}
	}
	// The merged list becomes the findings; the old findings slice is kept
	// as the next call's merge buffer.
	rs.merged = fs[:0]
	sc.scan.findings = out
}

// nextPair returns the first position p in [i, limit] where the two bytes
// s[p], s[p+1] are in pair, or limit+1. It needs i <= limit+1 and
// limit+2 <= len(s); the loop over a subslice runs without bounds checks
// (inlined into addRepeats, it gets them back).
//
//go:noinline
func nextPair(pair *[1024]uint64, s string, i, limit int) int {
	w := s[i : limit+2]
	for j := 0; j+1 < len(w); j++ {
		if k2 := uint32(w[j]) | uint32(w[j+1])<<8; pair[k2>>6]&(1<<(k2&63)) != 0 {
			return i + j
		}
	}
	return limit + 1
}

// addShortRepeats finds the other occurrences of values of one to three
// bytes, as whole words only (a value that short inside a word is a
// coincidence, and redacting every "x" of a text for a one-letter
// password would destroy it): one pass over the word boundaries, with the
// values in a hash set keyed by their bytes and length.
func (a *Analyzer) addShortRepeats(sc *scratch, s string) {
	fs := sc.scan.findings
	rs := &sc.redact
	const size = 256
	if cap(rs.short) < size {
		rs.short = make([]int32, size)
	}
	tab := rs.short[:size]
	for k := range tab {
		tab[k] = -1
	}
	key := func(i, n int) uint32 {
		k := uint32(n) << 24
		for j := 0; j < n; j++ {
			k |= uint32(s[i+j]) << (8 * j)
		}
		return k
	}
	hash := func(k uint32) uint32 { return (k * 0x9E3779B1) >> 24 }
	lookup := func(k uint32) int32 {
		h := hash(k)
		for tab[h] >= 0 {
			f := fs[tab[h]]
			if key(f.Start, f.End-f.Start) == k {
				return tab[h]
			}
			h = (h + 1) & (size - 1)
		}
		return -1 - int32(h)
	}
	n := 0
	for fi, f := range fs {
		if f.End-f.Start > 3 || n == size/2 {
			continue // past half full, the rest are found where they stand
		}
		if x := lookup(key(f.Start, f.End-f.Start)); x < 0 {
			tab[-1-x] = int32(fi)
			n++
		}
	}
	cur := 0
	for i := 0; i < len(s); i++ {
		if i > 0 && isWordByte(s[i-1]) {
			continue
		}
		for l := 1; l <= 3 && i+l <= len(s); l++ {
			if i+l < len(s) && isWordByte(s[i+l]) {
				continue
			}
			x := lookup(key(i, l))
			if x < 0 {
				continue
			}
			for cur < len(fs) && fs[cur].End <= i {
				cur++
			}
			if cur < len(fs) && fs[cur].Start <= i && i+l <= fs[cur].End {
				continue
			}
			f := fs[x]
			rs.extras = append(rs.extras, Finding{Kind: f.Kind, Start: i, End: i + l, Score: f.Score, Validator: "repeat"})
		}
	}
}

func byStart(x, y Finding) int { return cmp.Compare(x.Start, y.Start) }

func kindToken(k Kind) string {
	switch k {
	case KindEmail:
		return "EMAIL"
	case KindPhone:
		return "PHONE"
	case KindCard:
		return "CARD"
	case KindIBAN:
		return "IBAN"
	case KindSSN:
		return "SSN"
	case KindIPv4:
		return "IPV4"
	case KindIPv6:
		return "IPV6"
	default:
		return "SECRET"
	}
}

// redactText replaces each finding by its token and keeps every byte
// around it.
func (a *Analyzer) redactText(sc *scratch, s string, fs []Finding) string {
	var mac hashWriter
	if a.tokens == TokensHMAC {
		mac = hmac.New(sha256.New, a.hmacKey)
	}
	rs := &sc.redact
	if a.tokens == TokensNumbered {
		rs.nums = numberTokens(s, fs, rs.nums)
	}
	// The exact length of the result, so that it is allocated once.
	size := len(s)
	for k, f := range fs {
		size += len(kindToken(f.Kind)) + 3 - (f.End - f.Start) // "[" KIND "_" ... "]"
		switch a.tokens {
		case TokensNumbered:
			size += decimalLen(rs.nums[k])
		case TokensHMAC:
			size += len(rs.hexbuf)
		default:
			size += len("REDACTED")
		}
	}
	var b strings.Builder
	b.Grow(size)
	sum, hexbuf := rs.sum[:0], &rs.hexbuf // in the scratch: Sum through an interface would move a local to the heap
	prev := 0
	for k, f := range fs {
		b.WriteString(s[prev:f.Start])
		prev = f.End
		b.WriteByte('[')
		b.WriteString(kindToken(f.Kind))
		b.WriteByte('_')
		switch a.tokens {
		case TokensNumbered:
			b.WriteString(strconv.Itoa(rs.nums[k]))
		case TokensHMAC:
			mac.Reset()
			mac.Write([]byte(f.Kind))
			mac.Write([]byte{0})
			mac.Write([]byte(s[f.Start:f.End]))
			hex.Encode(hexbuf[:], mac.Sum(sum)[:6])
			b.Write(hexbuf[:])
		default:
			b.WriteString("REDACTED")
		}
		b.WriteByte(']')
	}
	b.WriteString(s[prev:])
	return b.String()
}

type hashWriter interface {
	Write([]byte) (int, error)
	Sum([]byte) []byte
	Reset()
}

// numberTokens gives each finding the number of its value among the
// distinct values of its kind, in order of first occurrence.
func numberTokens(s string, fs []Finding, nums []int) []int {
	nums = nums[:0]
	var next [8]int
	for k, f := range fs {
		v := s[f.Start:f.End]
		n := 0
		for j := k - 1; j >= 0; j-- {
			if fs[j].Kind == f.Kind && s[fs[j].Start:fs[j].End] == v {
				n = nums[j]
				break
			}
		}
		if n == 0 {
			ki := kindIndex(f.Kind)
			next[ki]++
			n = next[ki]
		}
		nums = append(nums, n)
	}
	return nums
}

func kindIndex(k Kind) int {
	switch k {
	case KindEmail:
		return 0
	case KindPhone:
		return 1
	case KindCard:
		return 2
	case KindIBAN:
		return 3
	case KindSSN:
		return 4
	case KindIPv4:
		return 5
	case KindIPv6:
		return 6
	default:
		return 7
	}
}
