package eventizer

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// langPack is a small pack exercising the rule language: sentence scope,
// negation, unless words, compound-word and CJK keywords, accented
// capitals.
func langPack(t *testing.T) *Analyzer {
	t.Helper()
	p, err := ParsePack([]byte(`{
	  "version": 1, "default_domain": "general", "default_priority": 2, "enrich_below": 0.5,
	  "neutral": ["fire exit"],
	  "negation": {"en": ["no", "not"], "de": ["kein", "keine"], "zh": ["没有"]},
	  "events": [
	    {"type": "fire", "priority": 10, "rules": [
	      {"lang": "en", "any": ["fire", "smoke"], "unless": ["drill"]},
	      {"lang": "de", "any": ["*feuerwehr", "brand"]},
	      {"lang": "zh", "any": ["火灾"]}]},
	    {"type": "bag", "priority": 5, "rules": [
	      {"all": [["suitcase"], ["lost", "missing"]], "window": 4}]},
	    {"type": "food", "priority": 9, "rules": [
	      {"any": ["allergy", "übung"], "unless": ["smoke allergy"]},
	      {"all": [["nuts"], ["no", "free"]], "window": 2, "ignore_negation": true}]}
	  ]}`))
	require.NoError(t, err)
	a, err := New(Options{Pack: p})
	require.NoError(t, err)
	return a
}

func TestRuleLanguage(t *testing.T) {
	t.Parallel()
	a := langPack(t)
	tests := []struct {
		name, text string
		events     []string
	}{
		{"keyword", "There is smoke in the hall", []string{"fire"}},
		{"neutral phrase hides its words", "Check the fire exit signs", nil},
		{"unless word in the sentence stops the rule", "Fire drill at noon", nil},
		{"unless word after the keyword stops it too", "Smoke in the kitchen during the drill", nil},
		{"unless word in another sentence does not", "The drill was yesterday. Now there is smoke.", []string{"fire"}},
		{"an unless word hides no keyword", "Smoke allergy", []string{"fire"}},
		{"negated keyword", "There is no smoke", nil},
		{"negation reaches a few words", "No sign of fire", nil},
		{"negation ends at its sentence", "No guests were hurt. There is smoke.", []string{"fire"}},
		{"negation ends at a comma", "No injuries, but smoke on the stairs", []string{"fire"}},
		{"negation word of another language", "Kein Brand", nil},
		{"negation reaches only a window", "Not one of the six guests saw smoke", []string{"fire"}},
		{"groups in one sentence", "The suitcase is missing", []string{"bag"}},
		{"groups in two sentences do not combine", "The suitcase is here. Two guests are missing.", nil},
		{"a line break ends a sentence", "suitcase\nmissing", nil},
		{"a dot inside a word does not", "suitcase v1.2 missing", []string{"bag"}},
		{"compound word", "Die Betriebsfeuerwehr ist da", []string{"fire"}},
		{"whole word only without a star", "Brandmelder defekt", nil},
		{"accented capital first letter", "Übung", []string{"food"}},
		{"accented capitals", "ÜBUNG", []string{"food"}},
		{"CJK keyword inside a run", "三楼发生火灾了", []string{"fire"}},
		{"CJK negation", "没有火灾", nil},
		{"a CJK full stop ends a sentence", "箱子 suitcase。missing", nil},
		{"ignore_negation keeps negated words for its rule", "Dessert with no nuts please", []string{"food"}},
		{"but negation still applies to other rules", "no allergy", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := a.Analyze(tc.text)
			require.Equal(t, tc.events, r.EventTypes, "%q: keywords %v", tc.text, r.Keywords)
		})
	}
}

func TestRuleLanguageConfidence(t *testing.T) {
	t.Parallel()
	a := langPack(t)
	negated := a.Analyze("There is no smoke")
	vetoed := a.Analyze("Fire drill at noon")
	plain := a.Analyze("Book a table")
	hint := a.Analyze("The suitcase is by the door")
	require.Less(t, negated.Confidence, plain.Confidence, "a negated keyword is doubt")
	require.True(t, negated.EnrichmentAdvised)
	require.True(t, vetoed.EnrichmentAdvised, "a stopped rule is doubt")
	require.True(t, hint.EnrichmentAdvised, "a word of a first group without its event hints at a miss")
	require.False(t, plain.EnrichmentAdvised)
}

func TestRuleLanguageValidation(t *testing.T) {
	t.Parallel()
	base := func() map[string]any {
		return map[string]any{
			"version": 1, "default_domain": "general", "default_priority": 2, "enrich_below": 0.5,
			"events": []any{map[string]any{"type": "a", "priority": 5, "rules": []any{map[string]any{"any": []any{"x"}}}}},
		}
	}
	setRule := func(m map[string]any, r map[string]any) map[string]any {
		m["events"].([]any)[0].(map[string]any)["rules"] = []any{r}
		return m
	}
	tests := []struct {
		name string
		pack map[string]any
		want string
	}{
		{"rule language", setRule(base(), map[string]any{"any": []any{"x"}, "lang": "English"}), "rules[0].lang"},
		{"negation language", func() map[string]any {
			m := base()
			m["negation"] = map[string]any{"EN": []any{"no"}}
			return m
		}(), "negation: language"},
		{"negation word", func() map[string]any {
			m := base()
			m["negation"] = map[string]any{"en": []any{"--"}}
			return m
		}(), "negation[en][0]"},
		{"negation window", func() map[string]any {
			m := base()
			m["negation_window"] = -1
			return m
		}(), "negation_window"},
		{"unless word", setRule(base(), map[string]any{"any": []any{"x"}, "unless": []any{"!"}}), "unless[0]"},
		{"unless word is a keyword", setRule(base(), map[string]any{"any": []any{"x"}, "unless": []any{"X"}}), "both a keyword and an unless word"},
		{"star inside", setRule(base(), map[string]any{"any": []any{"*le*ak*"}}), "only allowed at the start and the end"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data, err := json.Marshal(tc.pack)
			require.NoError(t, err)
			_, err = ParsePack(data)
			require.ErrorIs(t, err, ErrInvalidPack)
			require.ErrorContains(t, err, tc.want)
		})
	}
}
