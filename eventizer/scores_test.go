package eventizer

import (
	"encoding/json"
	"flag"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var updateScores = flag.Bool("update-scores", false, "refit rules/scores.json to the tuning sets")

// The fit of the built-in pack's scores: logistic regression of each event
// type on the distinct keywords a text holds, by stochastic gradient
// descent with L2 regularisation over the tuning sets. The regularisation,
// the number of passes and the threshold were chosen by five-fold cross-
// validation over the tuning sets, each fold holding out whole sets (other
// writers); weights smaller than scorePrune are dropped.
const (
	scoreRate      = 0.2
	scoreL2        = 3e-3
	scorePasses    = 5
	scoreThreshold = 0.9
	scorePrune     = 0.2
	scoreSeed      = 1
)

// scoreDoc is a labelled text as the fit sees it: the distinct keywords
// the evaluation counted, and the event types it carries.
type scoreDoc struct {
	kws  []int32
	want []string
}

// countedKeywords returns the distinct keywords of text that fireRules
// counted, the features a Score weighs.
func countedKeywords(a *Analyzer, text string) []int32 {
	sc := a.pool.Get().(*scratch)
	defer a.pool.Put(sc)
	var r Result
	a.scanText(sc, text, len(text), &r)
	a.evaluate(sc, &r)
	var kws []int32
	for x, mt := range sc.matches {
		if sc.counted[x] == counted && !slices.Contains(kws, mt.kw) {
			kws = append(kws, mt.kw)
		}
	}
	sc.scan = scan{findings: sc.scan.findings[:0]}
	return kws
}

// fitScores fits a Score for each event type of the default pack to the
// tuning sets (every testdata/events set but the held-out ones).
func fitScores(t *testing.T) map[string]*Score {
	p := DefaultPack()
	for i := range p.Events {
		p.Events[i].Score = nil
	}
	a, err := New(Options{Pack: p})
	require.NoError(t, err)
	files, err := filepath.Glob("testdata/events/*.tsv")
	require.NoError(t, err)
	var docs []scoreDoc
	for _, f := range files {
		if strings.Contains(filepath.Base(f), "heldout") {
			continue
		}
		for _, d := range readEventSet(t, f) {
			docs = append(docs, scoreDoc{kws: countedKeywords(a, d.text), want: d.want})
		}
	}
	require.Greater(t, len(docs), 20000)
	kws := a.c.kws
	scores := map[string]*Score{}
	rng := rand.New(rand.NewSource(scoreSeed))
	for _, ev := range p.Events {
		w := make([]float64, len(kws))
		b := 0.0
		for range scorePasses {
			for _, i := range rng.Perm(len(docs)) {
				d := &docs[i]
				z := b
				for _, k := range d.kws {
					z += w[k]
				}
				g := 1 / (1 + math.Exp(-z))
				if slices.Contains(d.want, ev.Type) {
					g--
				}
				b -= scoreRate * g
				for _, k := range d.kws {
					w[k] -= scoreRate * (g + scoreL2*w[k])
				}
			}
		}
		s := &Score{Bias: math.Round(b*1000) / 1000, Threshold: scoreThreshold, Weights: map[string]float64{}}
		for k, wk := range w {
			if math.Abs(wk) >= scorePrune {
				s.Weights[kws[k].written()] = math.Round(wk*100) / 100
			}
		}
		scores[ev.Type] = s
	}
	return scores
}

// TestScoresFitted refits the built-in pack's scores and checks that
// rules/scores.json holds that fit, so that the file is what the tuning
// sets give for the rules as they are (refit it after changing the rules:
// go test ./eventizer -run TestScoresFitted -update-scores). Weights may
// differ in the last digit where floating-point sums round differently.
func TestScoresFitted(t *testing.T) {
	got := fitScores(t)
	if *updateScores {
		data, err := json.MarshalIndent(got, "", " ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile("rules/scores.json", append(data, '\n'), 0o644))
	}
	var want map[string]*Score
	data, err := os.ReadFile("rules/scores.json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &want))
	require.Len(t, want, len(got))
	for ev, g := range got {
		w := want[ev]
		require.NotNil(t, w, "event %s", ev)
		require.InDelta(t, g.Bias, w.Bias, 0.002, "event %s bias", ev)
		require.Equal(t, g.Threshold, w.Threshold, "event %s threshold", ev)
		for k, gw := range g.Weights {
			ww, ok := w.Weights[k]
			if !ok {
				require.Less(t, math.Abs(gw), scorePrune+0.02, "event %s: %q missing from rules/scores.json; refit with -update-scores", ev, k)
				continue
			}
			require.InDelta(t, gw, ww, 0.02, "event %s weight of %q; refit with -update-scores", ev, k)
		}
		for k, ww := range w.Weights {
			if _, ok := g.Weights[k]; !ok {
				require.Less(t, math.Abs(ww), scorePrune+0.02, "event %s: %q no longer fitted; refit with -update-scores", ev, k)
			}
		}
	}
}

// TestScore checks that a Score matches its event type in a text whose
// keywords no rule combines, by the sum of their weights, with a lowered
// confidence; that negated keywords and repeated ones count as a rule
// would count them; and that bad scores are rejected.
func TestScore(t *testing.T) {
	t.Parallel()
	a := newTestPack(t, `"negation":{"en":["no"]},"events":[
		{"type":"leak","priority":6,"rules":[{"all":[["pipe"],["water"]],"window":2}],
		 "score":{"bias":-3,"threshold":0.6,"weights":{"pipe":2,"water":2}}},
		{"type":"other","priority":1,"rules":[{"any":["lamp"],"unless":["pipe"]}],
		 "score":{"bias":-1,"threshold":0.9,"weights":{"lamp":-5}}}]`)
	for _, tc := range []struct {
		text string
		want []string
		conf float64
	}{
		// The rule: both groups within two words.
		{"Pipe water everywhere.", []string{"leak"}, 0.85},
		// Too far apart for the rule; the weights sum to 1 > logit(0.6).
		{"The pipe in the cellar, and there is water on the floor now.", []string{"leak"}, 0.55},
		// One keyword, repeated: -3+2 is under the threshold.
		{"The pipe, the pipe, the pipe in the cellar again.", nil, 0.40},
		// Negated, water counts for nothing.
		{"The pipe in the cellar, but there is no water on the floor.", nil, 0.40},
		// A rule's match keeps its confidence; a negative weight does not
		// take it back.
		{"lamp", []string{"other"}, 0.60},
		// The unless word stops the rule; its weight counts, under the
		// threshold.
		{"lamp by the pipe", nil, 0.40},
	} {
		r := a.Analyze(tc.text)
		require.Equal(t, tc.want, r.EventTypes, tc.text)
		require.InDelta(t, tc.conf, r.Confidence, 1e-9, tc.text)
	}
	for _, tc := range []struct{ events, err string }{
		{`[{"type":"a","priority":1,"rules":[{"any":["x"]}],"score":{"bias":0,"threshold":1,"weights":{"x":1}}}]`, `threshold 1: want a probability strictly between 0 and 1`},
		{`[{"type":"a","priority":1,"rules":[{"any":["x"]}],"score":{"bias":0,"threshold":0,"weights":{}}}]`, `threshold 0`},
		{`[{"type":"a","priority":1,"rules":[{"any":["x"]}],"score":{"bias":0,"threshold":0.5,"weights":{"y":1}}}]`, `weights["y"]: not a keyword or unless word of any rule`},
		{`[{"type":"a","priority":1,"rules":[{"any":["x*"]}],"score":{"bias":0,"threshold":0.5,"weights":{"x":1}}}]`, `weights["x"]: not a keyword`},
		{`[{"type":"a","priority":1,"rules":[{"any":["x"]}],"score":{"bias":0,"threshold":0.5,"weights":{"x":1,"X":2}}}]`, `weights["x"]: the same keyword as another weight`},
		{`[{"type":"a","priority":1,"rules":[{"any":["x"]}],"score":{"bias":0,"threshold":0.5,"weights":{"x":1},"extra":1}}]`, `unknown field "extra"`},
	} {
		requireEventsInvalid(t, tc.events, tc.err)
	}
	// Numbers JSON cannot hold come only from Go.
	p := DefaultPack()
	p.Events[0].Score = &Score{Bias: math.NaN(), Threshold: 0.5}
	_, err := New(Options{Pack: p})
	require.ErrorIs(t, err, ErrInvalidPack)
	require.ErrorContains(t, err, "events[0].score.bias NaN: not a finite number")
}
