package eventizer

import "fmt"

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
	classSep   = 0       // any non-word byte; runs collapse to one
	classOther = 1       // a word byte that occurs in no keyword
	acceptBit  = 1 << 31 // in a delta entry: the next state has outputs
	rowMask    = acceptBit - 1
	maxStates  = 0x7fff
)

// automaton is an Aho-Corasick matcher compiled to a full DFA over byte
// classes. Every pattern is a keyword with a leading separator, so a match
// always starts at a word boundary; the end boundary is checked at match
// time (except for prefix keywords).
type automaton struct {
	class  [256]uint8
	nclass int
	// delta maps row+class to the next state's row | acceptBit, where a
	// state's row is state*nclass: the scan adds the class to the row it
	// holds, with no multiplication between one byte and the next.
	delta    []uint32
	outStart []int32 // per state: outputs are outIDs[outStart[s]:outStart[s+1]]
	outIDs   []int32
	start    uint32 // the row of the state after the leading separator
}

func (a *automaton) build(kws []keyword) error {
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
	for _, k := range kws {
		for i := 0; i < len(k.text); i++ {
			b := k.text[i]
			if b == ' ' || seen[b] != 0 {
				continue
			}
			seen[b] = uint8(a.nclass)
			a.nclass++
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
		cur := int32(0)
		step := func(cl int) {
			if nodes[cur].next[cl] < 0 {
				nodes[cur].next[cl] = int32(len(nodes))
				nodes = append(nodes, newNode())
			}
			cur = nodes[cur].next[cl]
		}
		step(classSep)
		for i := 0; i < len(k.text); i++ {
			if k.text[i] == ' ' {
				step(classSep)
			} else {
				step(int(a.class[k.text[i]]))
			}
		}
		nodes[cur].out = append(nodes[cur].out, int32(id))
	}
	if len(nodes) > maxStates {
		return fmt.Errorf("keyword automaton has %d states, more than %d", len(nodes), maxStates)
	}
	// Failure links by breadth-first search, completing the DFA.
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
	a.delta = make([]uint32, len(nodes)*nc)
	a.outStart = make([]int32, len(nodes)+1)
	for s, n := range nodes {
		a.outStart[s] = int32(len(a.outIDs))
		a.outIDs = append(a.outIDs, n.out...)
	}
	a.outStart[len(nodes)] = int32(len(a.outIDs))
	for s, n := range nodes {
		for cl := 0; cl < nc; cl++ {
			t := n.next[cl]
			v := uint32(int(t) * nc)
			if len(nodes[t].out) > 0 {
				v |= acceptBit
			}
			a.delta[s*nc+cl] = v
		}
	}
	a.start = a.delta[classSep] & rowMask
	return nil
}
