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
	table  []int32    // open-addressing set of finding indexes, by first 4 bytes
	filter [64]uint64 // 4096-bit filter of those first 4 bytes
	extras []Finding
	nums   []int // token numbers for TokensNumbered
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
	fbit := func(key uint32) uint32 { return (key * 0x85EBCA6B) >> 20 }
	short := false
	for fi, f := range fs {
		v := s[f.Start:f.End]
		if len(v) < 4 {
			short = true
			continue
		}
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
		}
	}
	cur := 0
	covered := func(i, j int) bool {
		for cur < len(fs) && fs[cur].End <= i {
			cur++
		}
		return cur < len(fs) && fs[cur].Start <= i && j <= fs[cur].End
	}
	for i := 0; i+4 <= len(s); i++ {
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
	if short {
		for _, f := range fs {
			v := s[f.Start:f.End]
			if len(v) >= 4 {
				continue
			}
			for from := 0; ; {
				k := strings.Index(s[from:], v)
				if k < 0 {
					break
				}
				i := from + k
				if !coveredBy(fs, i, i+len(v)) {
					rs.extras = append(rs.extras, Finding{Kind: f.Kind, Start: i, End: i + len(v), Score: f.Score, Validator: "repeat"})
				}
				from = i + 1
			}
		}
	}
	if len(rs.extras) == 0 {
		return
	}
	fs = append(fs, rs.extras...)
	slices.SortFunc(fs, func(x, y Finding) int {
		return cmp.Or(cmp.Compare(x.Start, y.Start), cmp.Compare(y.End, x.End), cmp.Compare(x.Validator, y.Validator))
	})
	out := fs[:1]
	for _, f := range fs[1:] {
		last := &out[len(out)-1]
		if f.Start < last.End {
			last.End = max(last.End, f.End) // union keeps every occurrence covered
			continue
		}
		out = append(out, f)
	}
	sc.scan.findings = out
}

func coveredBy(fs []Finding, i, j int) bool {
	for _, f := range fs {
		if f.Start <= i && j <= f.End {
			return true
		}
	}
	return false
}

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
	var b strings.Builder
	b.Grow(len(s) + 8*len(fs))
	var mac hashWriter
	if a.tokens == TokensHMAC {
		mac = hmac.New(sha256.New, a.hmacKey)
	}
	rs := &sc.redact
	if a.tokens == TokensNumbered {
		rs.nums = numberTokens(s, fs, rs.nums)
	}
	var sum [sha256.Size]byte
	var hexbuf [12]byte
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
			hex.Encode(hexbuf[:], mac.Sum(sum[:0])[:6])
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
