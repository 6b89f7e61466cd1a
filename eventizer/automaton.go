package eventizer

import (
	"fmt"
	"slices"
	"strings"
)

// isWordByte reports whether c is part of a word: an ASCII letter or digit,
// '_', or any byte of a multi-byte UTF-8 sequence.
func isWordByte(c byte) bool { return wordTable[c] }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

var wordTable = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		t[c] = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b >= 0x80
	}
	return t
}()

const (
	classSep   = 0 // any non-word byte; runs collapse to one
	classOther = 1 // a word byte that occurs in no keyword
	// maxStates bounds the automaton's table, which grows with the
	// states times the byte classes.
	maxStates = 1 << 24
)

// automaton is an Aho-Corasick matcher compiled to a full DFA over byte
// classes. A pattern is a keyword with a leading separator, so a match
// starts at a word boundary (an infix keyword has none and matches inside
// a word); the end boundary is checked at match time (except for prefix
// keywords). A keyword with accented capitals has a pattern for each way
// of writing them (see caseVariants).
type automaton struct {
	class  [256]uint8
	nclass int
	// delta16 or, when there are more than 1<<16 states, delta32 maps
	// column[b]+state to the next state after the byte b. The table is
	// laid out by class: one column per class holds that class's
	// transitions for every state, so a cache line holds one class's
	// transitions for 32 (16) states of neighbouring numbers; states are
	// numbered breadth-first, and the transitions most bytes take, on
	// common letters from shallow states, share few lines. Entries are 16
	// bits where they can be, to keep the table, which a large pack makes
	// megabytes long, half as large.
	//
	// Where keywords end is told by the state's number, so that no bit of
	// an entry is spent on it: the states whose keywords all must end a
	// word are numbered from wordEnd to prefix (their keywords end at the
	// byte before a separator, and the scan looks for them on the
	// separator's step from them), and the states with a prefix keyword
	// from prefix on (the scan checks each of their keywords against the
	// byte after as it steps into one). Both groups keep breadth-first
	// order among themselves, after every other state.
	delta16 []uint16
	delta32 []uint32
	// wordEnd and prefix start the two groups of states (see delta).
	wordEnd, prefix uint32
	// column is per byte the offset of its class's column in delta; the
	// separators' column is the first, at 0.
	column [256]uint32
	// outs lists per state the keywords that end there: those of state s
	// are outs[outStart[s]:outStart[s+1]], each a keyword id<<1, | 1 for a
	// prefix keyword (which need not end a word), so that a match is kept
	// or dropped without reading the keyword.
	outStart []int32
	outs     []int32
	start    uint32 // the state after the leading separator
}

// scriptBoundary reports whether a word of ASCII letters and digits and
// one of CJK, kana or Hangul characters meet at s[i] ("有VIP入住",
// "DDoS攻撃"): the automaton sees a separator there, so that an ASCII
// keyword matches as a word inside such text. A keyword is compiled the
// same way, and the scan's count of words does not change.
func scriptBoundary(s string, i int) bool {
	if i == 0 {
		return false
	}
	if c := s[i]; c < 0x80 {
		return wordTable[c] && afterCJK(s, i)
	}
	return boundaryLead[s[i]] && s[i-1] < 0x80 && wordTable[s[i-1]]
}

// afterCJK reports whether s[:i] ends with a CJK, kana or Hangul
// character.
func afterCJK(s string, i int) bool {
	return i >= 3 && s[i-1]&0xC0 == 0x80 && s[i-2]&0xC0 == 0x80 && boundaryLead[s[i-3]]
}

// caseVariants returns the ways the automaton matches text, a keyword
// lowercased by normalizeKeyword: as it is, with every letter of
// U+00E0-U+00FE in capitals, and with such a letter in capitals where it
// starts a word (ASCII letters fold through the byte classes).
func caseVariants(text string) []string {
	vs := []string{text}
	if !strings.Contains(text, "\xc3") {
		return vs
	}
	upper := []byte(text)
	title := []byte(text)
	for i := 0; i+1 < len(upper); i++ {
		if upper[i] == 0xC3 && upper[i+1] >= 0xA0 && upper[i+1] <= 0xBE && upper[i+1] != 0xB7 {
			upper[i+1] -= 0x20
			if i == 0 || text[i-1] == ' ' {
				title[i+1] -= 0x20
			}
		}
	}
	for _, v := range []string{string(upper), string(title)} {
		if !slices.Contains(vs, v) {
			vs = append(vs, v)
		}
	}
	return vs
}

// next returns the state after a byte of class cl from state s.
func (a *automaton) next(s, cl int) int {
	ns := a.states()
	if a.delta16 != nil {
		return int(a.delta16[cl*ns+s])
	}
	return int(a.delta32[cl*ns+s])
}

// states returns the number of states.
func (a *automaton) states() int { return len(a.outStart) - 1 }

// build compiles the keywords into a, with 32-bit table entries if wide
// or if there are more than 1<<16 states.
func (a *automaton) build(kws []keyword, wide bool) error {
	// Byte classes: separator, other word byte, and one per keyword byte.
	for c := 0; c < 256; c++ {
		if isWordByte(byte(c)) {
			a.class[c] = classOther
		} else {
			a.class[c] = classSep
		}
	}
	a.nclass = 2
	var seen [256]uint8
	variants := make([][]string, len(kws))
	for id, k := range kws {
		variants[id] = caseVariants(k.text)
		for _, v := range variants[id] {
			for i := 0; i < len(v); i++ {
				b := v[i]
				if b == ' ' || seen[b] != 0 {
					continue
				}
				seen[b] = uint8(a.nclass)
				a.nclass++
			}
		}
	}
	if a.nclass > 255 {
		return fmt.Errorf("too many distinct keyword bytes")
	}
	for c := 0; c < 256; c++ {
		if cl := seen[lower(byte(c))]; cl != 0 && isWordByte(byte(c)) {
			a.class[c] = cl
		}
	}
	nc := a.nclass
	// Trie.
	type node struct {
		next []int32
		out  []int32
		fail int32
	}
	newNode := func() node {
		n := node{next: make([]int32, nc)}
		for i := range n.next {
			n.next[i] = -1
		}
		return n
	}
	nodes := []node{newNode()}
	for id, k := range kws {
		for _, v := range variants[id] {
			cur := int32(0)
			step := func(cl int) {
				if nodes[cur].next[cl] < 0 {
					nodes[cur].next[cl] = int32(len(nodes))
					nodes = append(nodes, newNode())
				}
				cur = nodes[cur].next[cl]
			}
			if !k.infix {
				step(classSep)
			}
			for i := 0; i < len(v); i++ {
				if v[i] == ' ' {
					step(classSep)
					continue
				}
				if scriptBoundary(v, i) {
					step(classSep)
				}
				step(int(a.class[v[i]]))
			}
			nodes[cur].out = append(nodes[cur].out, int32(id))
		}
	}
	if len(nodes) > maxStates {
		return fmt.Errorf("keyword automaton has %d states, more than %d", len(nodes), maxStates)
	}
	// wordEnd is true of a state whose keywords all must end a word,
	// prefix of one with a prefix keyword (once the failure links have
	// added the keywords of the states they lead to).
	wordEnd := func(s int32) bool {
		for _, id := range nodes[s].out {
			if kws[id].prefix {
				return false
			}
		}
		return len(nodes[s].out) > 0
	}
	prefix := func(s int32) bool { return len(nodes[s].out) > 0 && !wordEnd(s) }
	// Failure links by breadth-first search, completing the DFA. The
	// states are then numbered in that order, so the shallow states, which
	// most bytes of a text visit, sit together in the table.
	order := make([]int32, 1, len(nodes))
	queue := make([]int32, 0, len(nodes))
	for cl := 0; cl < nc; cl++ {
		if n := nodes[0].next[cl]; n >= 0 {
			nodes[n].fail = 0
			queue = append(queue, n)
		} else {
			nodes[0].next[cl] = 0
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		order = append(order, s)
		f := nodes[s].fail
		nodes[s].out = append(nodes[s].out, nodes[f].out...)
		for cl := 0; cl < nc; cl++ {
			n := nodes[s].next[cl]
			if n >= 0 {
				nodes[n].fail = nodes[f].next[cl]
				queue = append(queue, n)
			} else {
				nodes[s].next[cl] = nodes[f].next[cl]
			}
		}
	}
	// The two groups of accepting states go last (see automaton.delta).
	var plain, ends, prefixes []int32
	for _, s := range order {
		switch {
		case wordEnd(s):
			ends = append(ends, s)
		case prefix(s):
			prefixes = append(prefixes, s)
		default:
			plain = append(plain, s)
		}
	}
	a.wordEnd = uint32(len(plain))
	a.prefix = uint32(len(plain) + len(ends))
	order = append(append(plain, ends...), prefixes...)
	number := make([]int32, len(nodes))
	for i, s := range order {
		number[s] = int32(i)
	}
	ns := len(nodes)
	delta := make([]uint32, ns*nc)
	for c := 0; c < 256; c++ {
		a.column[c] = uint32(int(a.class[c]) * ns)
	}
	a.outStart = make([]int32, ns+1)
	for i, s := range order {
		a.outStart[i] = int32(len(a.outs))
		for _, id := range nodes[s].out {
			o := id << 1
			if kws[id].prefix {
				o |= 1
			}
			a.outs = append(a.outs, o)
		}
	}
	a.outStart[ns] = int32(len(a.outs))
	// A keyword that must end a word is kept or dropped at the byte after
	// its match, on the separator's step from its state, which no other
	// state's needs (a pattern ends with a word byte), so the scan looks
	// for its keywords only where a word ends; those of a state with a
	// prefix keyword are looked at as the scan steps into it.
	for i, s := range order {
		for cl := 0; cl < nc; cl++ {
			t := nodes[s].next[cl]
			if cl == classSep && len(nodes[t].out) > 0 {
				return fmt.Errorf("keyword automaton: a pattern ends with a separator")
			}
			delta[cl*ns+i] = uint32(number[t])
		}
	}
	a.start = delta[classSep*ns]
	if wide || ns > 1<<16 {
		a.delta32 = delta
		return nil
	}
	a.delta16 = make([]uint16, len(delta))
	for i, t := range delta {
		a.delta16[i] = uint16(t)
	}
	return nil
}
