package eventizer

import (
	"strings"
	"testing"
)

// realisticDocs are documents of about 210 bytes made from the evaluation
// set: labelled values in tickets, chat, logs and JSON in several scripts,
// each followed by clean prose, as task descriptions are.
func realisticDocs(tb testing.TB) []string {
	var docs []string
	var b strings.Builder
	for i, d := range parseEvalSet(tb, "testdata/evalset.labelled") {
		b.WriteString(d.text)
		b.WriteByte(' ')
		if b.Len() < 150 {
			b.WriteString(cleanSentences[i%len(cleanSentences)])
			b.WriteByte(' ')
		}
		if b.Len() >= 180 {
			docs = append(docs, b.String())
			b.Reset()
		}
	}
	return docs
}

// realisticText joins realistic documents up to n bytes.
func realisticText(tb testing.TB, n int) string {
	var b strings.Builder
	for b.Len() < n {
		for _, d := range realisticDocs(tb) {
			b.WriteString(d)
			b.WriteByte('\n')
		}
	}
	return runeTrim(b.String(), n)
}

// runeTrim cuts s to at most n bytes on a rune boundary.
func runeTrim(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// adversarialShapes are 16 KiB inputs built to make one detector work on
// every byte.
var adversarialShapes = []struct{ name, unit string }{
	{"dotted-numbers", "1.2.3.4.5.6.7.8 "},
	{"colon-groups", "fe80::1:2:3:4:: "},
	{"digit-run", "4111111111111111"},
	{"spaced-digits", "1 2 3 4 5 6 7 8 9 0 "},
	{"dashed-digits", "123-45-678-90-1 "},
	{"many-at", "a@b.c@d.e@f.g@h."},
	{"at-signs", "@@@@ @@@@ @@@@ "},
	{"base64-run", "QmFzZTY0K2xpa2Ur/dGV4dA=="},
	{"secret-names", "password:x key=y token:z "},
	{"plus-runs", "+1 +44 +1-2-3 +(0) "},
	{"non-latin", "お客様のメールアドレスと電話番号を確認しました。请联系我们谢谢。고객님 감사합니다. "},
	{"script-switches", "カ1カ1a@カ1.2カfe:カ+1カ"},
	{"fullwidth", "ＡＢＣ１２３＠：（）．"},
}

// BenchmarkShapes measures realistic text (documents of about 210 bytes,
// and 4 KiB texts made of them) and adversarial 16 KiB inputs.
func BenchmarkShapes(b *testing.B) {
	a := newDefault(b)
	docs := realisticDocs(b)
	total := 0
	for _, d := range docs {
		total += len(d)
	}
	b.Run("realistic-210B", func(b *testing.B) {
		b.SetBytes(int64(total))
		b.ReportAllocs()
		cpu := processCPU()
		for b.Loop() {
			for _, d := range docs {
				a.Analyze(d)
			}
		}
		reportCPU(b, cpu, total)
	})
	text := realisticText(b, 4<<10)
	b.Run("realistic-4KiB", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		cpu := processCPU()
		for b.Loop() {
			a.Analyze(text)
		}
		reportCPU(b, cpu, len(text))
	})
	for _, sh := range adversarialShapes {
		text := runeTrim(strings.Repeat(sh.unit, (16<<10)/len(sh.unit)+1), 16<<10)
		b.Run(sh.name, func(b *testing.B) {
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

// BenchmarkEvaluate measures the evaluation of a text's keyword matches
// alone (nested keywords, rule groups, unless words, negation, ranking),
// the part of Analyze that grows with the matches a text holds: the text
// is scanned once, and each iteration evaluates its matches again. It
// reports the matches per text and the time per match.
func BenchmarkEvaluate(b *testing.B) {
	a := newDefault(b)
	texts := []struct{ name, text string }{
		{"clean-4KiB", benchText(4<<10, false)},
		{"realistic-4KiB", realisticText(b, 4<<10)},
		{"secret-names", runeTrim(strings.Repeat("password:x key=y token:z ", 700), 16<<10)},
	}
	for _, tc := range texts {
		b.Run(tc.name, func(b *testing.B) {
			sc := a.pool.Get().(*scratch)
			defer a.pool.Put(sc)
			var r Result
			a.scanText(sc, tc.text, len(tc.text), &r)
			matches := append([]kwMatch(nil), sc.matches...)
			if len(matches) == 0 {
				b.Fatal("the text has no keyword matches")
			}
			b.ReportAllocs()
			for b.Loop() {
				sc.matches = append(sc.matches[:0], matches...)
				r = Result{}
				a.evaluate(sc, &r)
			}
			b.ReportMetric(float64(len(matches)), "matches")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(matches)), "ns/match")
		})
	}
}
