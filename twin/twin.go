// Package twin is the framework the digital twins share: a read-only View of
// one patient's timeline as of a time (events in time order, lab and vital
// values by concept in the concept's unit), and the Score shape every
// clinical score takes. Twins (twin/liver, twin/pneumonia, oncology) are
// pure functions of a View: no I/O, deterministic, easy to check against
// published worked examples. Load builds a View from a store.
package twin

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/medtwin/medtwin/timeline"
)

// Input is one value a score used, with a reference to the event it came
// from, so a clinician can see why a score is what it is.
// Coded inputs (a diagnosis, a procedure) carry Value 1 and say what they
// mean in Text.
type Input struct {
	Code     string    `json:"code"`
	Concept  string    `json:"concept,omitempty"`
	Time     time.Time `json:"time"`
	Value    float64   `json:"value"`
	Unit     string    `json:"unit,omitempty"`
	Text     string    `json:"text,omitempty"`
	EventRef string    `json:"eventRef"`
}

// Score is one value of one clinical score at one time (issue 7's shape).
// Value is nil when the score is not computable, and NotComputable says why.
//
// The optional fields say more where a score needs it: Categories gives the
// category under other published cut-off schemes (Category is the primary
// one); Components lists the points of a sum score (CURB-65, PSI,
// Child-Pugh), each present, absent or missing; Range bounds a sum score
// whose missing components are named (Category is then set only when every
// value in the range falls in one category); Notes record applied rules
// (clamping, dialysis, a formula's known limits).
type Score struct {
	Name           string      `json:"name"`
	Time           time.Time   `json:"time"`
	Value          *float64    `json:"value"`
	Category       string      `json:"category,omitempty"`
	Unit           string      `json:"unit,omitempty"`
	FormulaVersion string      `json:"formulaVersion"`
	Inputs         []Input     `json:"inputs"`
	NotComputable  string      `json:"notComputable,omitempty"`
	Categories     []Category  `json:"categories,omitempty"`
	Components     []Component `json:"components,omitempty"`
	Range          *Range      `json:"range,omitempty"`
	Notes          []string    `json:"notes,omitempty"`
}

// Category is a score's category under one named cut-off scheme.
type Category struct {
	Scheme string `json:"scheme"`
	Label  string `json:"label"`
}

// Component statuses.
const (
	Present = "present" // the criterion is met (points awarded)
	Absent  = "absent"  // the criterion was assessed and is not met
	Missing = "missing" // no data to assess the criterion
)

// Component is one criterion of a sum score.
type Component struct {
	Name   string   `json:"name"`
	Status string   `json:"status"`
	Points float64  `json:"points"`
	Value  *float64 `json:"value,omitempty"`
	Unit   string   `json:"unit,omitempty"`
	Detail string   `json:"detail,omitempty"`
}

// Range bounds a score with missing components.
type Range struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// Computable reports whether the score has a value.
func (s *Score) Computable() bool { return s.Value != nil }

// Obs is one observation of a concept, converted to the concept's unit.
type Obs struct {
	Concept string
	Code    string
	Time    time.Time
	Value   float64
	Unit    string
	Event   *timeline.Event
}

// Input returns the observation as a score input.
func (o Obs) Input() Input {
	return Input{Code: o.Code, Concept: o.Concept, Time: o.Time, Value: o.Value, Unit: o.Unit, EventRef: EventRef(o.Event)}
}

// EventRef names an event for provenance: its source locator and record key.
func EventRef(e *timeline.Event) string {
	if e == nil {
		return ""
	}
	if e.Source != "" {
		return e.Source + "@" + e.Key.String()
	}
	return e.Key.String()
}

// Details are the detail rows of one patient.
type Details struct {
	Variants []timeline.Variant
	Imaging  []timeline.ImagingDetail
	Lesions  []timeline.LesionDetail
}

// View is one patient's timeline as of a time. It is immutable and safe for
// concurrent use.
type View struct {
	Subject int64
	// AsOf is the time the view stands at; zero means "everything known".
	AsOf    time.Time
	Codes   *timeline.CodeTable
	events  []timeline.Event
	concept map[string][]Obs
	details Details
	keys    map[timeline.Key]int
	birth   int // index of the MEDS_BIRTH event, -1 when none

	setMu sync.Mutex
	sets  map[string][]timeline.Event // InSet cache
}

// NewView builds a view from a patient's current events (superseded rows
// already excluded) and details, keeping only what was visible as of asOf.
// Events whose values cannot be converted to their concept's unit are kept
// as events but give no concept observation.
func NewView(subject int64, events []timeline.Event, details Details, asOf time.Time, codes *timeline.CodeTable) *View {
	if codes == nil {
		codes = timeline.DefaultCodes()
	}
	v := &View{Subject: subject, AsOf: asOf, Codes: codes, concept: map[string][]Obs{}, keys: map[timeline.Key]int{},
		birth: -1, sets: map[string][]timeline.Event{}}
	for _, e := range events {
		if !e.SupersededAt.IsZero() || !e.VisibleAsOf(asOf) {
			continue
		}
		v.events = append(v.events, e)
	}
	sort.SliceStable(v.events, func(i, j int) bool { return v.events[i].Time.Before(v.events[j].Time) })
	for i := range v.events {
		e := &v.events[i]
		v.keys[e.Key] = i
		if e.Code == timeline.CodeBirth && !e.Time.IsZero() && v.birth < 0 {
			v.birth = i
		}
		if !e.HasValue {
			continue
		}
		name, val, err := codes.ToConcept(e.Code, e.Value, e.Unit)
		if err != nil {
			continue
		}
		c, _ := codes.Concept(name)
		v.concept[name] = append(v.concept[name], Obs{Concept: name, Code: e.Code, Time: e.Time, Value: val, Unit: c.Unit, Event: e})
	}
	for _, d := range details.Variants {
		if _, ok := v.keys[d.Key]; ok {
			v.details.Variants = append(v.details.Variants, d)
		}
	}
	for _, d := range details.Imaging {
		if _, ok := v.keys[d.Key]; ok {
			v.details.Imaging = append(v.details.Imaging, d)
		}
	}
	for _, d := range details.Lesions {
		if _, ok := v.keys[d.Key]; ok {
			v.details.Lesions = append(v.details.Lesions, d)
		}
	}
	return v
}

// Events returns the visible events of the given kinds (all when none), in
// time order (static events first).
func (v *View) Events(kinds ...timeline.Kind) []timeline.Event {
	if len(kinds) == 0 {
		return v.events
	}
	var out []timeline.Event
	for _, e := range v.events {
		for _, k := range kinds {
			if e.Kind == k {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// Event returns the event with a record key.
func (v *View) Event(k timeline.Key) (*timeline.Event, bool) {
	i, ok := v.keys[k]
	if !ok {
		return nil, false
	}
	return &v.events[i], true
}

// WithCode returns visible events whose code matches any of codes (exact,
// or by prefix for a trailing "*"), in time order.
func (v *View) WithCode(codes ...string) []timeline.Event {
	var out []timeline.Event
	for _, e := range v.events {
		if MatchCode(e.Code, codes...) {
			out = append(out, e)
		}
	}
	return out
}

// MatchCode reports whether code matches any pattern (exact, or by prefix
// for a trailing "*").
func MatchCode(code string, patterns ...string) bool {
	for _, p := range patterns {
		if pre, ok := strings.CutSuffix(p, "*"); ok {
			if strings.HasPrefix(code, pre) {
				return true
			}
		} else if code == p {
			return true
		}
	}
	return false
}

// Series returns a concept's observations in time order.
func (v *View) Series(concept string) []Obs { return v.concept[concept] }

// Latest returns the last observation of a concept at or before t that is
// no older than window (any age when window is 0).
func (v *View) Latest(concept string, t time.Time, window time.Duration) (Obs, bool) {
	s := v.concept[concept]
	i := sort.Search(len(s), func(i int) bool { return s[i].Time.After(t) })
	if i == 0 {
		return Obs{}, false
	}
	o := s[i-1]
	if window > 0 && t.Sub(o.Time) > window {
		return Obs{}, false
	}
	return o, true
}

// Details returns the patient's detail rows that belong to visible events.
func (v *View) Details() Details { return v.details }

// Birth returns the birth time (MEDS_BIRTH), if known.
func (v *View) Birth() (time.Time, bool) {
	if e, ok := v.BirthEvent(); ok {
		return e.Time, true
	}
	return time.Time{}, false
}

// BirthEvent returns the MEDS_BIRTH event, if any.
func (v *View) BirthEvent() (*timeline.Event, bool) {
	if v.birth < 0 {
		return nil, false
	}
	return &v.events[v.birth], true
}

// Death returns the death time (MEDS_DEATH…), if known.
func (v *View) Death() (time.Time, bool) {
	for _, e := range v.events {
		if strings.HasPrefix(e.Code, timeline.CodeDeath) && !e.Time.IsZero() {
			return e.Time, true
		}
	}
	return time.Time{}, false
}

// Sex returns F, M, O or UNK ("" when not recorded).
func (v *View) Sex() string {
	for _, e := range v.events {
		if s, ok := strings.CutPrefix(e.Code, "GENDER//"); ok {
			return s
		}
	}
	return ""
}

// AgeAt returns the age in completed years at t (a birthday counts from
// its calendar day; 29 February birthdays from 1 March in common years).
func (v *View) AgeAt(t time.Time) (int, bool) {
	b, ok := v.Birth()
	if !ok || t.Before(b) {
		return 0, false
	}
	b, t = b.UTC(), t.UTC()
	years := t.Year() - b.Year()
	if t.Month() < b.Month() || (t.Month() == b.Month() && t.Day() < b.Day()) {
		years--
	}
	return years, true
}
