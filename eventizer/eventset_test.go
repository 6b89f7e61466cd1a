package eventizer

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The event sets (testdata/events/*.tsv) label texts with the event types
// the default pack must find, from the definitions of the types. The
// tuning set (tuning.tsv and extra.tsv) is the one the pack is written
// against; the held-out set is built from other sentences and only
// measured.

type eventDoc struct {
	line int
	want []string
	text string
}

func readEventSet(t testing.TB, path string) []eventDoc {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var docs []eventDoc
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		labels, text, ok := strings.Cut(line, "\t")
		require.True(t, ok, "%s:%d: no tab", path, n)
		d := eventDoc{line: n, text: text}
		if labels != "-" {
			d.want = strings.Split(labels, ",")
		}
		docs = append(docs, d)
	}
	require.NoError(t, sc.Err())
	return docs
}

// eventScore holds the counts of one evaluation.
type eventScore struct {
	perType          map[string]*prCount
	docs, exact      int
	confident, right int // texts at confidence >= 0.8, and those exactly right
	advised          int // texts with EnrichmentAdvised
	advisedWrong     int // of those, not exactly right
	wrong            int // texts not exactly right
	byConf           map[float64][2]int
}

func scoreEventSet(t testing.TB, a *Analyzer, docs []eventDoc, verbose bool) *eventScore {
	s := &eventScore{perType: map[string]*prCount{}, byConf: map[float64][2]int{}}
	for _, ev := range DefaultPack().Events {
		s.perType[ev.Type] = &prCount{}
	}
	for _, d := range docs {
		r := a.Analyze(d.text)
		got := slices.Clone(r.EventTypes)
		sort.Strings(got)
		for _, w := range d.want {
			c, ok := s.perType[w]
			require.True(t, ok, "line %d: unknown type %q", d.line, w)
			if slices.Contains(got, w) {
				c.tp++
			} else {
				c.fn++
			}
		}
		for _, g := range got {
			if !slices.Contains(d.want, g) {
				s.perType[g].fp++
			}
		}
		s.docs++
		exact := slices.Equal(got, d.want)
		if exact {
			s.exact++
		} else {
			s.wrong++
			if verbose {
				t.Logf("line %d: want %v got %v conf %.2f: %s", d.line, d.want, got, r.Confidence, d.text)
			}
		}
		bc := s.byConf[r.Confidence]
		bc[0]++
		if exact {
			bc[1]++
		}
		s.byConf[r.Confidence] = bc
		if r.Confidence >= 0.8 {
			s.confident++
			if exact {
				s.right++
			}
		}
		if r.EnrichmentAdvised {
			s.advised++
			if !exact {
				s.advisedWrong++
			}
		}
	}
	return s
}

func (s *eventScore) micro() (p, r, f float64) {
	tp, fp, fn := 0, 0, 0
	for _, c := range s.perType {
		tp, fp, fn = tp+c.tp, fp+c.fp, fn+c.fn
	}
	p = float64(tp) / float64(max(1, tp+fp))
	r = float64(tp) / float64(max(1, tp+fn))
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return p, r, f
}

func (s *eventScore) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-16s %6s %5s %5s %9s %7s\n", "type", "labels", "fp", "fn", "precision", "recall")
	types := make([]string, 0, len(s.perType))
	for k := range s.perType {
		types = append(types, k)
	}
	sort.Strings(types)
	for _, k := range types {
		c := s.perType[k]
		fmt.Fprintf(&b, "%-16s %6d %5d %5d %9.3f %7.3f\n", k, c.tp+c.fn, c.fp, c.fn, c.precision(), c.recall())
	}
	p, r, f := s.micro()
	fmt.Fprintf(&b, "micro P %.3f R %.3f F1 %.3f; exact sets %d of %d (%.3f)\n", p, r, f, s.exact, s.docs, float64(s.exact)/float64(s.docs))
	fmt.Fprintf(&b, "confidence >= 0.8: %d texts, %.3f exactly right; enrichment advised for %d texts, %d of the %d wrong\n",
		s.confident, float64(s.right)/float64(max(1, s.confident)), s.advised, s.advisedWrong, s.wrong)
	confs := make([]float64, 0, len(s.byConf))
	for c := range s.byConf {
		confs = append(confs, c)
	}
	sort.Float64s(confs)
	b.WriteString("confidence: texts, exactly right")
	for _, c := range confs {
		fmt.Fprintf(&b, "; %.2f: %d, %.2f", c, s.byConf[c][0], float64(s.byConf[c][1])/float64(s.byConf[c][0]))
	}
	b.WriteString("\n")
	return b.String()
}

// requireFloors fails unless the micro-F1 and every type's precision and
// recall on the set named set reach their floors.
func (s *eventScore) requireFloors(t testing.TB, set string, f1, precision, recall float64) {
	t.Helper()
	_, _, f := s.micro()
	require.GreaterOrEqual(t, f, f1, "micro-F1 on %s", set)
	for k, c := range s.perType {
		require.GreaterOrEqual(t, c.precision(), precision, "precision of %s on %s", k, set)
		require.GreaterOrEqual(t, c.recall(), recall, "recall of %s on %s", k, set)
	}
}

func (c *prCount) precision() float64 { return float64(c.tp) / float64(max(1, c.tp+c.fp)) }
func (c *prCount) recall() float64    { return float64(c.tp) / float64(max(1, c.tp+c.fn)) }

// TestEventSet scores the default pack on the tuning set and fails below
// 0.95 precision or recall for any type; it reports the held-out set.
func TestEventSet(t *testing.T) {
	t.Parallel()
	a := newDefault(t)
	tuning := readEventSet(t, "testdata/events/tuning.tsv")
	require.GreaterOrEqual(t, len(tuning), 2000)
	tuning = append(tuning, readEventSet(t, "testdata/events/extra.tsv")...)
	s := scoreEventSet(t, a, tuning, testing.Verbose())
	t.Log("tuning set:" + s.table())
	for k, c := range s.perType {
		require.GreaterOrEqual(t, c.precision(), 0.95, "precision of %s on the tuning set", k)
		require.GreaterOrEqual(t, c.recall(), 0.95, "recall of %s on the tuning set", k)
	}
	require.GreaterOrEqual(t, float64(s.right)/float64(s.confident), 0.95, "texts at confidence >= 0.8 exactly right")
}

// TestEventSetOwn scores the default pack on every text of the project's
// own labelled set (tuning.tsv, extra.tsv and heldout.tsv, 3,698 texts
// written from the type definitions) and fails below 0.95 precision or
// recall for any type, or below 0.95 exactly right among the texts at
// confidence 0.8 or more.
func TestEventSetOwn(t *testing.T) {
	t.Parallel()
	var own []eventDoc
	for _, f := range []string{"tuning", "extra", "heldout"} {
		own = append(own, readEventSet(t, "testdata/events/"+f+".tsv")...)
	}
	require.GreaterOrEqual(t, len(own), 3000)
	s := scoreEventSet(t, newDefault(t), own, false)
	t.Log("own set:" + s.table())
	s.requireFloors(t, "the own set", 0.95, 0.95, 0.95)
	require.GreaterOrEqual(t, float64(s.right)/float64(s.confident), 0.95, "texts at confidence >= 0.8 exactly right")
}

// TestEventSetHeldOut reports the held-out set; its floors are the goal
// for text the pack was not written against.
func TestEventSetHeldOut(t *testing.T) {
	t.Parallel()
	a := newDefault(t)
	held := readEventSet(t, "testdata/events/heldout.tsv")
	require.GreaterOrEqual(t, len(held), 1000)
	s := scoreEventSet(t, a, held, false)
	t.Log("held-out set:" + s.table())
	// Floors under what the pack reaches, to catch a change that helps
	// the tuning set at the expense of text it was not written against.
	s.requireFloors(t, "the held-out set", 0.95, 0.75, 0.90)
	require.GreaterOrEqual(t, float64(s.right)/float64(s.confident), 0.95, "texts at confidence >= 0.8 exactly right")
}

// setFloors are the floors one labelled set is held to: micro-F1, every
// type's precision and recall, and the share exactly right among the
// texts at confidence 0.8 or more (0 for none).
type setFloors struct{ f1, precision, recall, confident float64 }

// scorePair scores the default pack on a tuning set and a held-out set
// of at least min texts each and holds them to their floors.
func scorePair(t *testing.T, name string, min int, tuningFloors, heldFloors setFloors) {
	a := newDefault(t)
	scoreSet(t, a, name+"_tuning", min, tuningFloors, testing.Verbose())
	scoreSet(t, a, name+"_heldout", min, heldFloors, false)
}

// scoreSet scores a on the labelled set testdata/events/<file>.tsv of at
// least min texts and holds it to f; verbose lists the texts it gets
// wrong (only ever for a tuning set).
func scoreSet(t *testing.T, a *Analyzer, file string, min int, f setFloors, verbose bool) {
	texts := readEventSet(t, "testdata/events/"+file+".tsv")
	require.GreaterOrEqual(t, len(texts), min)
	s := scoreEventSet(t, a, texts, verbose)
	label := strings.ReplaceAll(file, "_", " ") + " set"
	t.Log(label + ":" + s.table())
	s.requireFloors(t, "the "+label, f.f1, f.precision, f.recall)
	if f.confident > 0 {
		require.GreaterOrEqual(t, float64(s.right)/float64(s.confident), f.confident, "texts at confidence >= 0.8 exactly right on the %s", label)
	}
}

// TestEventSetSecond scores the default pack on the second labelled sets,
// tickets written from the definitions of the types by a writer who did
// not see the rules (see the header of second_tuning.tsv for the
// labelling conventions). The pack is written against the second tuning
// set; the second held-out set is only measured, and its floors, under
// what the pack reaches, guard against a change that fits the tuning sets
// at the expense of text nobody tuned it for.
func TestEventSetSecond(t *testing.T) {
	t.Parallel()
	scorePair(t, "second", 700, setFloors{0.95, 0.92, 0.92, 0.93}, setFloors{0.80, 0.75, 0.60, 0})
}

// TestEventSetThird scores the default pack on the third labelled sets,
// written like the second ones by another writer who did not see the
// rules. The pack is written against the third tuning set; the third
// held-out set is only measured, with floors under what the pack reaches.
func TestEventSetThird(t *testing.T) {
	t.Parallel()
	scorePair(t, "third", 300, setFloors{0.95, 0.90, 0.93, 0.95}, setFloors{0.82, 0.85, 0.50, 0})
}

// TestEventSetFourth scores the default pack on the fourth labelled sets,
// written like the others by another writer who did not see the rules,
// with more jargon, typos and mixed languages. The pack is written against
// the fourth tuning set; the fourth held-out set is only measured, with
// floors under what the pack reaches.
func TestEventSetFourth(t *testing.T) {
	t.Parallel()
	scorePair(t, "fourth", 500, setFloors{0.97, 0.95, 0.96, 0.95}, setFloors{0.84, 0.84, 0.58, 0})
}

// TestEventSetFifth scores the default pack on the fifth held-out set,
// written by another writer who did not see the rules, with longer
// messages of several sentences and fewer textbook keywords. It has no
// tuning half: nothing was written against it, and its floors sit under
// what the pack reaches.
func TestEventSetFifth(t *testing.T) {
	t.Parallel()
	scoreSet(t, newDefault(t), "fifth_heldout", 600, setFloors{0.85, 0.84, 0.66, 0}, false)
}

// TestEventSetSixth scores the default pack on the sixth labelled sets,
// written by two more writers who did not see the rules (one the tuning
// half, the other the held-out half), weighted toward privacy, security,
// maintenance, warning and hvac_fault described without their textbook
// words. The pack is written against the sixth tuning set; the sixth
// held-out set is only measured, with floors under what the pack reaches.
func TestEventSetSixth(t *testing.T) {
	t.Parallel()
	scorePair(t, "sixth", 700, setFloors{0.94, 0.87, 0.92, 0.94}, setFloors{0.87, 0.86, 0.64, 0})
}

// TestEventSetSeventh scores the default pack on the seventh tuning set,
// written by another writer who did not see the rules, weighted toward
// privacy and security told in plain words. The pack is written against
// it; the held-out sets measure what that is worth.
func TestEventSetSeventh(t *testing.T) {
	t.Parallel()
	scoreSet(t, newDefault(t), "seventh_tuning", 800, setFloors{0.89, 0.69, 0.83, 0}, testing.Verbose())
}

// TestEventSetEighth scores the default pack on the eighth labelled sets,
// written by two more writers who did not see the rules: the tuning half
// as the shared service desk of a hotel group (alerts, SOC tickets, data
// protection mail, work orders), weighted toward privacy and security;
// the held-out half as the front office, engineering and help desk of a
// resort chain, all nine types in a natural mix. The pack is written
// against the eighth tuning set; the eighth held-out set is only
// measured, with floors under what the pack reaches.
func TestEventSetEighth(t *testing.T) {
	t.Parallel()
	scorePair(t, "eighth", 700, setFloors{0.92, 0.85, 0.88, 0.95}, setFloors{0.88, 0.81, 0.74, 0})
}

// TestEventSetNinth scores the default pack on the ninth labelled sets,
// written by two more writers who did not see the rules: the tuning half
// by operations staff writing in their own language (seven in ten texts
// not in English), weighted toward maintenance, warning, hvac_fault,
// emergency and luggage; the held-out half as an export of a hotel
// group's shared ticket system, all nine types in a natural mix. The pack
// is written against the ninth tuning set; the ninth held-out set is only
// measured, with floors under what the pack reaches.
func TestEventSetNinth(t *testing.T) {
	t.Parallel()
	scorePair(t, "ninth", 800, setFloors{0.95, 0.90, 0.94, 0.96}, setFloors{0.91, 0.88, 0.84, 0})
}

// TestEventSetTenth scores the default pack on the tenth labelled sets,
// written by two more writers who did not see the rules: the tuning half
// by the IT department of a hotel group and its security and network
// operations centres (alerts, on-call chat, tickets, change requests),
// weighted toward security, privacy, maintenance and warning; the
// held-out half as the group chats and shift logs of three city hotels
// and their IT support, short and informal. The pack is written against
// the tenth tuning set; the tenth held-out set is only measured, with
// floors under what the pack reaches.
func TestEventSetTenth(t *testing.T) {
	t.Parallel()
	scorePair(t, "tenth", 800, setFloors{0.92, 0.81, 0.91, 0.97}, setFloors{0.88, 0.87, 0.75, 0})
}

// TestEventSetLater scores the default pack on the tuning sets written
// after the tenth, each by another writer who did not see the rules. The
// pack is written against them; the held-out sets measure what that is
// worth.
func TestEventSetLater(t *testing.T) {
	t.Parallel()
	scoreSets(t, testing.Verbose(), []namedSet{
		// Privacy and security (half the texts) in every language.
		{"eleventh_tuning", setFloors{0.95, 0.82, 0.95, 0.97}},
		// Engineering, IT operations and NOC, 35% Japanese and Chinese.
		{"twelfth_tuning", setFloors{0.93, 0.89, 0.82, 0.92}},
		// Guest-facing texts in ten languages, all types.
		{"thirteenth_tuning", setFloors{0.96, 0.91, 0.95, 0.96}},
		// Privacy and security told by guests and hotel staff in plain
		// words.
		{"fourteenth_tuning", setFloors{0.91, 0.82, 0.82, 0.95}},
		// An IT security team, help desk and data-protection office.
		{"fifteenth_tuning", setFloors{0.95, 0.87, 0.92, 0.97}},
		// Short messages of guards, night managers and on-call staff.
		{"sixteenth_tuning", setFloors{0.93, 0.76, 0.85, 0.96}},
		// Longer e-mails and reports that tell events indirectly.
		{"seventeenth_tuning", setFloors{0.92, 0.82, 0.80, 0.93}},
		// Privacy and security as back-office staff meet them.
		{"eighteenth_tuning", setFloors{0.90, 0.73, 0.88, 0.94}},
		// Hotels in Japan, China, Hong Kong and Taiwan.
		{"nineteenth_tuning", setFloors{0.90, 0.82, 0.80, 0.90}},
		// Privacy and security told by what happened, in nine languages.
		{"twentieth_tuning", setFloors{0.88, 0.76, 0.79, 0.88}},
		// All nine types in everyday words, from hotels and group IT.
		{"twenty_first_tuning", setFloors{0.96, 0.86, 0.88, 0.96}},
		// Colloquial staff messages in German, French, Spanish and
		// English.
		{"twenty_second_tuning", setFloors{0.95, 0.89, 0.90, 0.96}},
		// Maintenance, IT operations and personal data, told by the
		// situation.
		{"twenty_third_tuning", setFloors{0.93, 0.81, 0.89, 0.95}},
		// What guests write, and staff notes about guests.
		{"twenty_fourth_tuning", setFloors{0.92, 0.82, 0.83, 0.95}},
		// Security told by the situation in every department (55% of
		// the texts), in six languages; 600 texts.
		{"twenty_fifth_tuning", setFloors{0.93, 0.74, 0.91, 0.95}},
		// Security and privacy told by what happened, and the informal
		// messages of a resort and conference hotel, by two writers.
		{"twenty_sixth_tuning", setFloors{0.91, 0.72, 0.87, 0.95}},
		// Personal data in guests' and staff's own words, and the
		// routine traffic around equipment, IT and weather (completed
		// work, purchasing, invoices) beside real faults, by two
		// writers.
		{"twenty_seventh_tuning", setFloors{0.90, 0.81, 0.85, 0.95}},
		// Small hotels' security and privacy in plain words, and faults,
		// luggage, emergencies and risk notices told indirectly, by two
		// writers.
		{"twenty_eighth_tuning", setFloors{0.89, 0.76, 0.78, 0.92}},
		// Facilities and IT operations in the staff's own words, and the
		// back office's personal data and security, by two writers.
		{"twenty_ninth_tuning", setFloors{0.90, 0.82, 0.82, 0.95}},
		// A hotel group's service desk with its own website, app, Wi-Fi
		// and payment terminals: security and privacy (half the texts)
		// told in plain words, and the routine texts around them.
		{"thirty_first_tuning", setFloors{0.90, 0.74, 0.76, 0.95}},
		// A budget hotel and hostel chain and its outsourced IT: every type
		// in everyday words, and routine IT and admin requests beside real
		// faults.
		{"thirty_third_tuning", setFloors{0.91, 0.82, 0.86, 0.93}},
		// A group of luxury hotels and residences: vip and privacy told
		// indirectly, allergies and luggage in passing.
		{"thirty_fourth_tuning", setFloors{0.86, 0.63, 0.78, 0.85}},
		// A resort with a conference centre, water park and golf course,
		// and its building-management and IT team: emergencies, faults
		// and risk notices told the way people on the ground report them.
		{"thirty_fifth_tuning", setFloors{0.88, 0.80, 0.76, 0.92}},
		// A hotel management company's shared service centre in
		// Asia-Pacific, a real queue's mix (first scored 0.933).
		{"thirty_seventh_tuning", setFloors{0.93, 0.80, 0.87, 0.90}},
		// Boutique hotels and agriturismi in southern Europe, told plainly
		// from phones, some in Italian and Portuguese (first 0.898).
		{"thirty_eighth_tuning", setFloors{0.89, 0.76, 0.78, 0.90}},
		// A managed service provider's NOC, SOC and service desk for
		// hotels, IT operations heavy (first 0.907).
		{"thirty_ninth_tuning", setFloors{0.90, 0.79, 0.81, 0.90}},
	})
}

// namedSet is a labelled set, testdata/events/<name>.tsv, and its floors.
type namedSet struct {
	name   string
	floors setFloors
}

// scoreSets scores the default pack on each set of at least 600 texts as
// a subtest and holds it to its floors; verbose lists the texts it gets
// wrong (only ever for tuning sets).
func scoreSets(t *testing.T, verbose bool, sets []namedSet) {
	a := newDefault(t)
	for _, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			scoreSet(t, a, set.name, 600, set.floors, verbose)
		})
	}
}

// TestEventSetLaterHeldout scores the default pack on the held-out sets
// written after the tenth, each by another writer who did not see the
// rules; nothing was written against them, and their floors sit under
// what the pack reaches.
func TestEventSetLaterHeldout(t *testing.T) {
	t.Parallel()
	scoreSets(t, false, []namedSet{
		// European city hotels and Asian resorts, all nine types.
		{"eleventh_heldout", setFloors{0.91, 0.88, 0.82, 0}},
		// City, airport and resort hotels in Europe, the Middle East and
		// Asia, and their IT and security operations, all nine types.
		{"twelfth_heldout", setFloors{0.90, 0.84, 0.81, 0}},
		// A hotel management company's business hotels, resorts and
		// serviced apartments, its IT service desk and security
		// operations centre, all nine types.
		{"thirteenth_heldout", setFloors{0.89, 0.85, 0.80, 0}},
		// A hotel chain's shared ticket queue on three continents, all
		// nine types, scored first with the pack of the twenty-fourth
		// tuning set.
		{"fourteenth_heldout", setFloors{0.88, 0.90, 0.68, 0}},
		// A hotel group's ticket queue, and an IT service desk, NOC and
		// SOC, each by its own writer; scored first with the pack of the
		// twenty-fifth tuning set.
		{"fifteenth_heldout", setFloors{0.91, 0.71, 0.87, 0}},
		// A hospitality-software provider's support queue for small
		// hotels, and its engineers' alerts: security and privacy (half
		// the texts) told by what happened, often in plain words; scored
		// first with the pack of the thirty-first tuning set at 0.812,
		// privacy recall 0.631 and security 0.696 (0.862, 0.775 and 0.832
		// with the scores).
		{"thirty_second_heldout", setFloors{0.84, 0.60, 0.75, 0}},
		// A hotel company's operations and IT queue over a month, every
		// type in a real queue's proportions; scored first with the
		// scores of the thirty-first tuning set at 0.936 (0.923 by the
		// rules alone).
		{"thirty_sixth_heldout", setFloors{0.91, 0.82, 0.85, 0.95}},
	})
}

// TestEventSetSmallHeldout scores the default pack on the held-out sets
// of 320 texts, each by a writer who did not see the rules and scored
// first with the pack of the tuning set named; their floors sit under
// what the pack reaches.
func TestEventSetSmallHeldout(t *testing.T) {
	t.Parallel()
	a := newDefault(t)
	for _, set := range []namedSet{
		// An airport hotel, a casino resort, serviced apartments and the
		// managed IT provider that runs their systems (twenty-seventh).
		{"sixteenth_heldout", setFloors{0.92, 0.80, 0.85, 0}},
		// A cruise-port hotel and a ski resort with the IT and security
		// team they share (twenty-seventh, after its rounds).
		{"seventeenth_heldout", setFloors{0.93, 0.85, 0.84, 0}},
		// A business hotel chain in five countries with its central
		// reservations, IT and security teams (during the rounds on the
		// twenty-ninth).
		{"eighteenth_heldout", setFloors{0.91, 0.77, 0.82, 0}},
		// A city hotel group in Europe and East Asia with its group IT
		// service desk (twenty-ninth, after its rounds).
		{"nineteenth_heldout", setFloors{0.93, 0.84, 0.87, 0}},
	} {
		t.Run(set.name, func(t *testing.T) {
			scoreSet(t, a, set.name, 300, set.floors, false)
		})
	}
}

// TestEventSetSmallTuning scores the default pack on the tuning sets of
// about 320 texts, each by a writer who did not see the rules; the pack
// is written against them.
func TestEventSetSmallTuning(t *testing.T) {
	t.Parallel()
	a := newDefault(t)
	for _, set := range []namedSet{
		// A resort and spa group's engineering, housekeeping and IT
		// tickets, where maintenance is easy to over- or under-call.
		{"thirtieth_tuning", setFloors{0.91, 0.84, 0.88, 0.93}},
	} {
		t.Run(set.name, func(t *testing.T) {
			scoreSet(t, a, set.name, 300, set.floors, testing.Verbose())
		})
	}
}

// TestEventSetPooledHeldout scores the default pack on every held-out set
// at once (testdata/events/*heldout.tsv), the estimate for text nobody
// tuned the pack for, and holds the pool over the goal (micro-F1 0.90,
// no type's recall under 0.80): micro-F1 at least 0.93 and no type's
// recall under 0.89.
func TestEventSetPooledHeldout(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/events/*heldout.tsv")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 10)
	var docs []eventDoc
	for _, f := range files {
		docs = append(docs, readEventSet(t, f)...)
	}
	s := scoreEventSet(t, newDefault(t), docs, false)
	t.Logf("%d held-out sets pooled:%s", len(files), s.table())
	s.requireFloors(t, "the pooled held-out sets", 0.93, 0.85, 0.89)
}
