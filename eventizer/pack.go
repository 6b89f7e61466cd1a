package eventizer

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

//go:embed rules/default.json
var defaultPackJSON []byte

// Pack is a rule pack: the event types, their rules and priorities, and the
// word lists behind the attributes. It is data: [DefaultPack] returns the
// built-in pack, [ParsePack] reads a user's own from JSON.
//
// Keywords are matched case-insensitively (ASCII letters) on whole words.
// Punctuation and spaces between words are interchangeable ("break in"
// matches "break-in" and "break  in"), and an apostrophe is a word break,
// so "can't" is written "can t". A trailing "*" matches any word ending
// ("leak*" matches "leak", "leaks", "leaking"). A keyword that lies inside a
// longer matched keyword is ignored there: "fire" in "fire drill" does not
// count when "fire drill" is a keyword (the Neutral list holds such phrases
// when they belong to no event).
type Pack struct {
	// Version must be 1.
	Version int `json:"version"`
	// DefaultDomain is the domain when no matched event type names one.
	// Required.
	DefaultDomain string `json:"default_domain"`
	// DefaultPriority is the priority when no event type matches (0-10).
	DefaultPriority int `json:"default_priority"`
	// EnrichBelow advises enrichment when the confidence is below it (0-1).
	EnrichBelow float64 `json:"enrich_below"`
	// Urgency words set Attributes.HasUrgency.
	Urgency []string `json:"urgency"`
	// Location words set Attributes.HasLocation.
	Location []string `json:"location"`
	// Timestamp words set Attributes.HasTimestamp (numeric times and dates
	// are recognised without a list).
	Timestamp []string `json:"timestamp"`
	// Neutral phrases belong to no event; they only hide the shorter
	// keywords inside them.
	Neutral []string `json:"neutral"`
	// Events are the event types. Names are unique, of [a-z0-9_].
	Events []EventType `json:"events"`
}

// EventType is one event type and the rules that detect it.
type EventType struct {
	// Type is the name reported in Result.EventTypes.
	Type string `json:"type"`
	// Priority is 0-10.
	Priority int `json:"priority"`
	// Domain, when set, is the domain a match implies.
	Domain string `json:"domain,omitempty"`
	// Rules: the event type matches when any rule matches. At least one.
	Rules []Rule `json:"rules"`
}

// Rule is one way to detect an event type. Exactly one of Any and All is
// set.
type Rule struct {
	// Any matches when any of its keywords occurs.
	Any []string `json:"any,omitempty"`
	// All matches when, for every group, one of the group's keywords
	// occurs, in any order, all within Window words of each other. At least
	// two groups; a keyword may not be in two groups of one rule.
	All [][]string `json:"all,omitempty"`
	// Window is the span in words for All (counted from the last word of
	// each keyword). Default 6.
	Window int `json:"window,omitempty"`
}

// DefaultPack returns a fresh copy of the built-in rule pack: emergency
// (priority 10), allergen (9), security (8), vip (7), privacy (7),
// hvac_fault (6), luggage_custody (6), warning (5), maintenance (4), else
// routine (2); allergen, vip, privacy, hvac_fault and luggage_custody imply
// the domain "hotel_ops".
func DefaultPack() *Pack {
	p, err := ParsePack(defaultPackJSON)
	if err != nil {
		panic("eventizer: built-in rule pack is invalid: " + err.Error())
	}
	return p
}

// ParsePack reads and validates a rule pack from JSON. Unknown fields are
// rejected. Errors wrap [ErrInvalidPack] and name the offending field.
func ParsePack(data []byte) (*Pack, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Pack
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPack, err)
	}
	if _, err := compilePack(&p); err != nil {
		return nil, err
	}
	return &p, nil
}

// kwRole flags what a keyword means besides its rule memberships.
type kwRole uint8

const (
	roleUrgency kwRole = 1 << iota
	roleLocation
	roleTimestamp
)

type membership struct {
	rule  int32
	group int32
}

type keyword struct {
	text    string // normalised, without the trailing '*'
	prefix  bool
	nWords  int
	roles   kwRole
	members []membership
}

type compiledRule struct {
	event  int
	groups int
	window int
	base   int // offset of this rule's groups in the per-analysis lastPos table
}

type compiledEvent struct {
	name     string
	priority int
	domain   string
	order    int // rank: priority descending, then pack order
}

type compiled struct {
	kws         []keyword
	rules       []compiledRule
	events      []compiledEvent
	byRank      []int // event indexes, highest priority first
	totalGroups int
	maxWords    int
	defDomain   string
	defPrio     int
	enrichBelow int // hundredths
	auto        automaton
}

func packErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidPack}, args...)...)
}

// normalizeKeyword lowercases ASCII letters, turns runs of non-word bytes
// into one space and trims; it reports a trailing '*'.
func normalizeKeyword(raw string) (text string, prefix bool, err error) {
	s := strings.TrimSpace(raw)
	if strings.HasSuffix(s, "*") {
		prefix = true
		s = strings.TrimSuffix(s, "*")
	}
	var b strings.Builder
	sep := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '*' {
			return "", false, fmt.Errorf("%q: '*' is only allowed at the end", raw)
		}
		if isWordByte(c) {
			if sep && b.Len() > 0 {
				b.WriteByte(' ')
			}
			sep = false
			b.WriteByte(lower(c))
			continue
		}
		sep = true
	}
	if b.Len() == 0 {
		return "", false, fmt.Errorf("%q: no word characters", raw)
	}
	return b.String(), prefix, nil
}

func compilePack(p *Pack) (*compiled, error) {
	if p == nil {
		return nil, packErr("nil pack")
	}
	if p.Version != 1 {
		return nil, packErr("version %d, want 1", p.Version)
	}
	if p.DefaultDomain == "" {
		return nil, packErr("default_domain is empty")
	}
	if p.DefaultPriority < 0 || p.DefaultPriority > 10 {
		return nil, packErr("default_priority %d outside 0-10", p.DefaultPriority)
	}
	if p.EnrichBelow < 0 || p.EnrichBelow > 1 {
		return nil, packErr("enrich_below %v outside 0-1", p.EnrichBelow)
	}
	if len(p.Events) == 0 {
		return nil, packErr("no events")
	}
	c := &compiled{
		defDomain:   p.DefaultDomain,
		defPrio:     p.DefaultPriority,
		enrichBelow: int(p.EnrichBelow*100 + 0.5),
	}
	index := map[string]int{}
	intern := func(where, raw string) (int, error) {
		text, prefix, err := normalizeKeyword(raw)
		if err != nil {
			return 0, packErr("%s: %w", where, err)
		}
		key := text
		if prefix {
			key += "*"
		}
		if id, ok := index[key]; ok {
			return id, nil
		}
		id := len(c.kws)
		index[key] = id
		c.kws = append(c.kws, keyword{text: text, prefix: prefix, nWords: strings.Count(text, " ") + 1})
		return id, nil
	}
	for _, list := range []struct {
		name  string
		words []string
		role  kwRole
	}{
		{"urgency", p.Urgency, roleUrgency},
		{"location", p.Location, roleLocation},
		{"timestamp", p.Timestamp, roleTimestamp},
		{"neutral", p.Neutral, 0},
	} {
		for i, w := range list.words {
			id, err := intern(fmt.Sprintf("%s[%d]", list.name, i), w)
			if err != nil {
				return nil, err
			}
			c.kws[id].roles |= list.role
		}
	}
	names := map[string]bool{}
	for ei, ev := range p.Events {
		where := fmt.Sprintf("events[%d]", ei)
		if ev.Type == "" || strings.Trim(ev.Type, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			return nil, packErr("%s.type %q: want a non-empty name of [a-z0-9_]", where, ev.Type)
		}
		if names[ev.Type] {
			return nil, packErr("%s.type %q: duplicate", where, ev.Type)
		}
		names[ev.Type] = true
		if ev.Priority < 0 || ev.Priority > 10 {
			return nil, packErr("%s.priority %d outside 0-10", where, ev.Priority)
		}
		if len(ev.Rules) == 0 {
			return nil, packErr("%s: no rules", where)
		}
		c.events = append(c.events, compiledEvent{name: ev.Type, priority: ev.Priority, domain: ev.Domain})
		for ri, r := range ev.Rules {
			rwhere := fmt.Sprintf("%s.rules[%d]", where, ri)
			var groups [][]string
			window := 0
			switch {
			case len(r.Any) > 0 && len(r.All) > 0:
				return nil, packErr("%s: both any and all are set", rwhere)
			case len(r.Any) > 0:
				if r.Window != 0 {
					return nil, packErr("%s: window is only for all", rwhere)
				}
				groups = [][]string{r.Any}
			case len(r.All) > 0:
				if len(r.All) < 2 {
					return nil, packErr("%s.all: want at least two groups (use any for one)", rwhere)
				}
				if r.Window < 0 {
					return nil, packErr("%s.window %d is negative", rwhere, r.Window)
				}
				window = r.Window
				if window == 0 {
					window = 6
				}
				groups = r.All
			default:
				return nil, packErr("%s: neither any nor all is set", rwhere)
			}
			rule := compiledRule{event: ei, groups: len(groups), window: window, base: c.totalGroups}
			ruleID := int32(len(c.rules))
			c.rules = append(c.rules, rule)
			c.totalGroups += len(groups)
			seen := map[int]int{}
			for gi, g := range groups {
				if len(g) == 0 {
					return nil, packErr("%s group %d is empty", rwhere, gi)
				}
				for ki, w := range g {
					id, err := intern(fmt.Sprintf("%s group %d keyword %d", rwhere, gi, ki), w)
					if err != nil {
						return nil, err
					}
					if prev, ok := seen[id]; ok {
						if prev != gi {
							return nil, packErr("%s: keyword %q is in groups %d and %d", rwhere, w, prev, gi)
						}
						continue
					}
					seen[id] = gi
					c.kws[id].members = append(c.kws[id].members, membership{rule: ruleID, group: int32(gi)})
				}
			}
		}
	}
	for _, k := range c.kws {
		c.maxWords = max(c.maxWords, k.nWords)
	}
	// Rank events: priority descending, then pack order.
	c.byRank = make([]int, len(c.events))
	for i := range c.byRank {
		c.byRank[i] = i
	}
	for i := 1; i < len(c.byRank); i++ { // insertion sort: stable, small
		for j := i; j > 0 && c.events[c.byRank[j]].priority > c.events[c.byRank[j-1]].priority; j-- {
			c.byRank[j], c.byRank[j-1] = c.byRank[j-1], c.byRank[j]
		}
	}
	for rank, ei := range c.byRank {
		c.events[ei].order = rank
	}
	if err := c.auto.build(c.kws); err != nil {
		return nil, packErr("%w", err)
	}
	return c, nil
}
