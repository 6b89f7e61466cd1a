package eventizer

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The second evaluation set (testdata/evalset.labelled) is written from public
// specifications and documentation examples (see the file's header), not
// from the detectors: values embedded in tickets, chat, logs and JSON in
// several languages and scripts, and hard negatives.

type evalLabel struct {
	kind       string // a Kind, or "neg"
	start, end int
}

type evalDoc struct {
	line   int
	text   string
	labels []evalLabel
}

// parseEvalSet reads documents with ⟦kind:value⟧ labels.
func parseEvalSet(t testing.TB, path string) []evalDoc {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var docs []evalDoc
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	known := map[string]bool{"neg": true}
	for _, k := range []Kind{KindEmail, KindPhone, KindCard, KindIBAN, KindSSN, KindIPv4, KindIPv6, KindSecret} {
		known[string(k)] = true
	}
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		d := evalDoc{line: n}
		var b strings.Builder
		for {
			o := strings.Index(line, "⟦")
			if o < 0 {
				b.WriteString(line)
				break
			}
			b.WriteString(line[:o])
			line = line[o+len("⟦"):]
			c := strings.Index(line, "⟧")
			require.Positive(t, c, "line %d: unclosed label", n)
			kind, value, ok := strings.Cut(line[:c], ":")
			require.True(t, ok && known[kind] && value != "", "line %d: bad label %q", n, line[:c])
			d.labels = append(d.labels, evalLabel{kind, b.Len(), b.Len() + len(value)})
			b.WriteString(value)
			line = line[c+len("⟧"):]
		}
		d.text = b.String()
		docs = append(docs, d)
	}
	require.NoError(t, sc.Err())
	return docs
}

// TestEvalSetPrecisionRecall reports per-kind precision and recall on the
// second evaluation set and fails below the floors.
func TestEvalSetPrecisionRecall(t *testing.T) {
	t.Parallel()
	docs := parseEvalSet(t, "testdata/evalset.labelled")
	a := newDefault(t)
	counts := map[string]*prCount{}
	kinds := []string{"card", "email", "iban", "ipv4", "ipv6", "phone", "secret", "ssn"}
	for _, k := range kinds {
		counts[k] = &prCount{}
	}
	negatives, negHit, labels, leaked := 0, 0, 0, 0
	for _, d := range docs {
		r := a.Analyze(d.text)
		matched := make([]bool, len(r.Findings))
		for _, l := range d.labels {
			if l.kind == "neg" {
				negatives++
				for _, f := range r.Findings {
					if f.Start < l.end && l.start < f.End {
						negHit++
						t.Logf("line %d: hard negative %q flagged as %s", d.line, d.text[l.start:l.end], f.Kind)
						break
					}
				}
				continue
			}
			labels++
			if strings.Contains(r.RedactedText, d.text[l.start:l.end]) {
				leaked++
			}
			found := false
			for k, f := range r.Findings {
				if f.Start == l.start && f.End == l.end && string(f.Kind) == l.kind {
					matched[k], found = true, true
					break
				}
			}
			if found {
				counts[l.kind].tp++
			} else {
				counts[l.kind].fn++
				t.Logf("line %d: missed %s %q", d.line, l.kind, d.text[l.start:l.end])
			}
		}
		for k, f := range r.Findings {
			if !matched[k] {
				counts[string(f.Kind)].fp++
				t.Logf("line %d: spurious %s %q", d.line, f.Kind, d.text[f.Start:f.End])
			}
		}
	}
	// Floors: the set is small (tens of values per kind), so one miss moves
	// a kind's recall by 2 to 8 points. The floors sit one or two values
	// under what the detectors reach now and above the recall each kind
	// had before the fixes on this set; precision floors stay high because
	// a spurious finding costs only a redacted word, but must stay rare.
	floors := map[string]struct{ precision, recall float64 }{
		"card": {0.95, 0.90}, "email": {0.95, 0.90}, "iban": {0.98, 0.95}, "ipv4": {0.90, 0.90},
		"ipv6": {0.95, 0.90}, "phone": {0.90, 0.80}, "secret": {0.90, 0.85}, "ssn": {0.95, 0.80},
	}
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "\n%-8s %6s %5s %5s %9s %7s\n", "kind", "labels", "fp", "fn", "precision", "recall")
	sort.Strings(kinds)
	allTP, allFP, allFN := 0, 0, 0
	type res struct {
		kind string
		p, r float64
	}
	var results []res
	for _, k := range kinds {
		n := counts[k]
		p := float64(n.tp) / float64(max(1, n.tp+n.fp))
		rc := float64(n.tp) / float64(max(1, n.tp+n.fn))
		allTP, allFP, allFN = allTP+n.tp, allFP+n.fp, allFN+n.fn
		fmt.Fprintf(&tbl, "%-8s %6d %5d %5d %9.4f %7.4f\n", k, n.tp+n.fn, n.fp, n.fn, p, rc)
		results = append(results, res{k, p, rc})
	}
	fmt.Fprintf(&tbl, "%-8s %6d %5d %5d %9.4f %7.4f\n", "all", allTP+allFN, allFP, allFN,
		float64(allTP)/float64(max(1, allTP+allFP)), float64(allTP)/float64(max(1, allTP+allFN)))
	fmt.Fprintf(&tbl, "documents %d, hard negatives %d, flagged %d; raw values left in redacted text: %d of %d\n",
		len(docs), negatives, negHit, leaked, labels)
	t.Log(tbl.String())
	for _, x := range results {
		require.Positive(t, counts[x.kind].tp+counts[x.kind].fn, "kind %s has no labels", x.kind)
		require.GreaterOrEqual(t, x.p, floors[x.kind].precision, "precision of %s", x.kind)
		require.GreaterOrEqual(t, x.r, floors[x.kind].recall, "recall of %s", x.kind)
	}
	require.Zero(t, negHit, "hard negatives flagged")
	require.GreaterOrEqual(t, len(docs), 150)
}
