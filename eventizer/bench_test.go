package eventizer

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

var cleanSentences = []string{
	"The reservation was changed this morning and the guest will arrive later than planned.",
	"Housekeeping noted that the minibar was restocked and the towels were changed.",
	"Please follow up with the guest before checkout about the late breakfast order.",
	"The night manager reviewed the request and approved an extra pillow for the family.",
	"Guest asked for a quiet table near the window for dinner with two colleagues.",
	"Reference 4821 was attached to the folio after the conference booking was confirmed.",
	"A taxi was ordered for eight and the concierge printed the boarding passes.",
}

// benchText builds a text of exactly n bytes: clean sentences, or the
// labelled corpus (PII of every kind) when dense.
func benchText(n int, dense bool) string {
	var b strings.Builder
	if dense {
		for _, d := range genCorpus(uint64(n), 4*n/100+10) {
			b.WriteString(d.text)
			b.WriteByte(' ')
			if b.Len() >= n {
				break
			}
		}
	} else {
		for i := 0; b.Len() < n; i++ {
			b.WriteString(cleanSentences[i%len(cleanSentences)])
			b.WriteByte(' ')
		}
	}
	s := b.String()[:n]
	for !strings.HasSuffix(s, " ") && len(s) > 0 && s[len(s)-1] >= 0x80 {
		s = s[:len(s)-1]
	}
	return s
}

var benchSizes = []struct {
	name string
	n    int
}{{"256B", 256}, {"4KiB", 4 << 10}, {"16KiB", 16 << 10}}

// BenchmarkAnalyze measures the analyzer; BenchmarkBaselineRegexp the
// original design (one regexp per rule) on the same texts.
func BenchmarkAnalyze(b *testing.B) {
	a := newDefault(b)
	for _, sz := range benchSizes {
		for _, dense := range []bool{false, true} {
			text := benchText(sz.n, dense)
			b.Run(fmt.Sprintf("%s/%s", sz.name, denseName(dense)), func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				b.ReportAllocs()
				cpu := processCPU()
				for b.Loop() {
					a.Analyze(text)
				}
				reportCPU(b, cpu, len(text))
			})
		}
	}
}

func BenchmarkBaselineRegexp(b *testing.B) {
	base := newBaseline(DefaultPack())
	for _, sz := range benchSizes {
		for _, dense := range []bool{false, true} {
			text := benchText(sz.n, dense)
			b.Run(fmt.Sprintf("%s/%s", sz.name, denseName(dense)), func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				b.ReportAllocs()
				cpu := processCPU()
				for b.Loop() {
					base.analyze(text)
				}
				reportCPU(b, cpu, len(text))
			})
		}
	}
}

// reportCPU adds the process CPU time per operation and the throughput it
// implies (cpu-MB/s). On a machine shared with other work, wall-clock
// MB/s understates the speed of one core; CPU time does not (it includes
// the garbage collector's work, so it errs on the slow side).
func reportCPU(b *testing.B, before time.Duration, size int) {
	used := processCPU() - before
	if used <= 0 || b.N == 0 {
		return
	}
	perOp := float64(used.Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp, "cpu-ns/op")
	b.ReportMetric(float64(size)/perOp*1e3, "cpu-MB/s")
}

func denseName(dense bool) string {
	if dense {
		return "pii-dense"
	}
	return "clean"
}

// baseline is the original design: one regular expression per PII kind and
// per event rule, each run over the whole text, then redaction. It does no
// validation (no Luhn, no checksums), so it does less work than the
// analyzer.
type baseline struct {
	pii    []baselineRule
	events []baselineRule
}

type baselineRule struct {
	name string
	re   *regexp.Regexp
}

func newBaseline(p *Pack) *baseline {
	b := &baseline{}
	for _, r := range []struct{ name, expr string }{
		{"EMAIL", `[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`},
		{"PHONE", `(?:\+?1[-. ]?)?\(?\b[2-9]\d{2}\)?[-. ]?\d{3}[-. ]?\d{4}\b|\+\d{1,3}[ -]?(?:\(0\))?\d{1,4}(?:[ -]?\d{2,4}){2,4}`},
		{"CARD", `\b(?:\d[ -]?){12,18}\d\b`},
		{"IBAN", `\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b`},
		{"SSN", `\b\d{3}-\d{2}-\d{4}\b`},
		{"IPV4", `\b(?:\d{1,3}\.){3}\d{1,3}\b`},
		{"IPV6", `(?i)\b(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{0,4}\b`},
		{"SECRET", `AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|xox[baprs]-[A-Za-z0-9-]{10,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----`},
		{"SECRET", `(?i)(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|auth|credential)["']?\s*[:=]\s*["']?[A-Za-z0-9+/=_\-.~!#$%^&*?]{12,}`},
	} {
		b.pii = append(b.pii, baselineRule{r.name, regexp.MustCompile(r.expr)})
	}
	words := func(ws []string) string {
		var alts []string
		for _, w := range ws {
			w = strings.TrimSuffix(w, "*")
			alts = append(alts, regexp.QuoteMeta(w))
		}
		return `\b(?:` + strings.Join(alts, "|") + `)`
	}
	for _, ev := range p.Events {
		for _, r := range ev.Rules {
			ws := r.Any
			for _, g := range r.All {
				ws = append(ws, g...)
			}
			b.events = append(b.events, baselineRule{ev.Type, regexp.MustCompile(words(ws))})
		}
	}
	for name, ws := range map[string][]string{"urgency": p.Urgency, "location": p.Location, "timestamp": p.Timestamp} {
		b.events = append(b.events, baselineRule{name, regexp.MustCompile(words(ws))})
	}
	return b
}

func (b *baseline) analyze(text string) (string, []string) {
	type hit struct {
		start, end int
		name       string
	}
	var hits []hit
	for _, r := range b.pii {
		for _, m := range r.re.FindAllStringIndex(text, -1) {
			hits = append(hits, hit{m[0], m[1], r.name})
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].start < hits[j].start })
	var out strings.Builder
	prev := 0
	for _, h := range hits {
		if h.start < prev {
			continue
		}
		out.WriteString(text[prev:h.start])
		out.WriteString("[" + h.name + "_REDACTED]")
		prev = h.end
	}
	out.WriteString(text[prev:])
	// Keywords are matched on a lowercased copy, once, rather than with (?i)
	// in every expression: a kinder baseline than the original.
	lowered := strings.ToLower(text)
	var events []string
	for _, r := range b.events {
		if r.re.MatchString(lowered) {
			events = append(events, r.name)
		}
	}
	return out.String(), events
}

func TestBenchTexts(t *testing.T) {
	t.Parallel()
	a := newDefault(t)
	for _, sz := range benchSizes {
		clean, dense := benchText(sz.n, false), benchText(sz.n, true)
		require := func(ok bool, msg string) {
			t.Helper()
			if !ok {
				t.Fatal(msg)
			}
		}
		require(len(clean) == sz.n && len(dense) == sz.n, "bench texts have the stated size")
		require(len(a.Analyze(clean).Findings) == 0, "clean text has no findings")
		require(len(a.Analyze(dense).Findings) > 0, "dense text has findings")
	}
	red, _ := newBaseline(DefaultPack()).analyze("mail a@example.com now")
	if red != "mail [EMAIL_REDACTED] now" {
		t.Fatalf("baseline redaction: %q", red)
	}
}
