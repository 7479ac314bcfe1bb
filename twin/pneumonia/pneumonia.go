// Package pneumonia characterises a patient's pneumonia episodes as a pure
// function of a twin.View: when each episode began and ended, CURB-65 and
// PSI/PORT at presentation, the CRP, leukocyte and procalcitonin
// trajectories, the SpO2 nadir, CT lung involvement and severity, and the
// outcomes (length of stay, ICU transfer, death within 30 days) when the
// record codes them.
//
// # Episodes
//
// Evidence of pneumonia is a diagnosis in the pneumonia code set
// (timeline.SetPneumonia: ICD-10-CM J12-J18 and the SNOMED CT pneumonia
// concepts listed there), from its onset to its abatement, or a CT whose
// lung involvement (IMAGING//CT//lung_involvement_pct, else ground-glass +
// consolidation) reaches Config.ImagingThreshold. Evidence starting within
// Config.MergeGap of an episode's end joins it. An episode starts at its
// first evidence and ends at the last abatement, else at the discharge of
// its admission, else it is open (End null).
//
// The admission is the inpatient encounter (timeline.SetInpatient, or an
// ICU encounter) that covers the first evidence (beginning at most
// Config.PresentationWindow after it). When the admission began no more
// than Config.PresentationWindow before the first evidence (pneumonia
// diagnosed at or around admission), the episode starts, and presents, at
// the earlier of the two; otherwise (pneumonia arising during a stay) at
// the first evidence. Presentation is the time CURB-65 and PSI describe.
//
// # Inputs at presentation
//
// Vital signs and laboratory values are those closest in time to
// presentation within ± Config.PresentationWindow (24 h by default): a
// criterion with no such value is missing. Comorbidities and residence are
// history: coded at or before presentation (or within the window after it)
// counts as present, not coded as absent, as in claims-based scoring.
// Acute findings — confusion / altered mental status (timeline.SetConfusion)
// and pleural effusion — count when coded within the window (or as an
// interval spanning presentation); an explicit negative (value 0, or text
// such as "absent") makes them absent; a Glasgow coma score below 15 is
// confusion and a score of 15 its absence; otherwise they are missing.
//
// A score with missing criteria has no value: notComputable names them,
// Range bounds the total, and Category is given when every total in the
// range falls in one class. For PSI, Range.Min is the total with missing
// values counted as normal, as Fine 1997 scored them. A score's time is
// presentation, or the availability of its latest input when later.
package pneumonia

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

// Config holds the pneumonia twin's settings.
type Config struct {
	// MergeGap joins evidence that starts within it of an episode's end.
	MergeGap time.Duration
	// PresentationWindow bounds the values read at presentation and the
	// admission that counts as presentation.
	PresentationWindow time.Duration
	// ImagingThreshold is the CT lung involvement (%) that is evidence of
	// pneumonia on its own.
	ImagingThreshold float64
	// TrajectoryLead counts laboratory values taken this long before
	// presentation in the trajectories.
	TrajectoryLead time.Duration
	// OpenSpan bounds the trajectories of an episode without an end.
	OpenSpan time.Duration
	// NeoplasmWindow: a cancer counts for PSI when active at presentation or
	// diagnosed or active within this window before it (Fine 1997: one
	// year).
	NeoplasmWindow time.Duration
}

// DefaultConfig returns the documented defaults: merge gap 14 days,
// presentation window 24 hours, imaging threshold 5 % (the lowest Pan 2020
// band above "minimal"), trajectory lead 48 hours, open span 30 days,
// neoplasm window 365 days.
func DefaultConfig() Config {
	return Config{
		MergeGap:           14 * twin.Day,
		PresentationWindow: 24 * time.Hour,
		ImagingThreshold:   5,
		TrajectoryLead:     48 * time.Hour,
		OpenSpan:           30 * twin.Day,
		NeoplasmWindow:     365 * twin.Day,
	}
}

// ErrConfig reports an invalid setting.
var ErrConfig = fmt.Errorf("pneumonia: invalid configuration")

func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if err := twin.FillWindows(twin.Window{V: &c.MergeGap, Default: d.MergeGap},
		twin.Window{V: &c.PresentationWindow, Default: d.PresentationWindow}, twin.Window{V: &c.TrajectoryLead, Default: d.TrajectoryLead},
		twin.Window{V: &c.OpenSpan, Default: d.OpenSpan}, twin.Window{V: &c.NeoplasmWindow, Default: d.NeoplasmWindow}); err != nil {
		return c, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if c.ImagingThreshold == 0 {
		c.ImagingThreshold = d.ImagingThreshold
	}
	if c.ImagingThreshold < 0 || c.ImagingThreshold > 100 {
		return c, fmt.Errorf("%w: imaging threshold must be 0-100 %%", ErrConfig)
	}
	return c, nil
}

// Twin returns the pneumonia twin for the twin registry.
func Twin(c Config) twin.Twin {
	return twin.Twin{Name: "pneumonia", Compute: func(v *twin.View) (any, error) { return Compute(v, c) }}
}

// Result is the pneumonia characterisation of one patient.
type Result struct {
	Reference time.Time `json:"reference"`
	Episodes  []Episode `json:"episodes"`
}

// Episode is one pneumonia episode.
type Episode struct {
	Start time.Time `json:"start"`
	// End is nil while the episode is open or its end is not coded.
	End      *time.Time `json:"end"`
	EndBasis string     `json:"endBasis,omitempty"`
	// Presentation is the time CURB-65 and PSI describe.
	Presentation time.Time    `json:"presentation"`
	Evidence     []Evidence   `json:"evidence"`
	Admission    *Encounter   `json:"admission"`
	CURB65       twin.Score   `json:"curb65"`
	PSI          twin.Score   `json:"psi"`
	Trajectories []Trajectory `json:"trajectories"`
	SpO2Nadir    *Measure     `json:"spo2Nadir"`
	CT           []LungCT     `json:"ct"`
	Outcomes     Outcomes     `json:"outcomes"`
}

// Evidence is one diagnosis or CT that supports an episode.
type Evidence struct {
	Source   string     `json:"source"` // diagnosis, imaging
	Code     string     `json:"code"`
	Time     time.Time  `json:"time"`
	End      *time.Time `json:"end,omitempty"`
	EventRef string     `json:"eventRef"`
}

// Encounter is an admission.
type Encounter struct {
	Code     string     `json:"code"`
	Start    time.Time  `json:"start"`
	End      *time.Time `json:"end"`
	EventRef string     `json:"eventRef"`
}

// Measure is one value with its input.
type Measure struct {
	Time  time.Time  `json:"time"`
	Value float64    `json:"value"`
	Unit  string     `json:"unit"`
	Input twin.Input `json:"input"`
}

// Trajectory summarises a laboratory value over an episode.
type Trajectory struct {
	Name  string   `json:"name"`
	Unit  string   `json:"unit"`
	N     int      `json:"n"`
	First *Measure `json:"first"`
	Peak  *Measure `json:"peak"`
	// HoursToPeak is measured from presentation (negative when the peak
	// preceded it).
	HoursToPeak *float64 `json:"hoursToPeak"`
	// SlopePerDay is the least-squares slope over the episode.
	SlopePerDay *float64 `json:"slopePerDay"`
	Last        *Measure `json:"last"`
}

// Outcomes are the episode's coded outcomes; nil when not coded.
type Outcomes struct {
	LengthOfStayDays *float64   `json:"lengthOfStayDays"`
	ICUTransfer      *bool      `json:"icuTransfer"`
	ICUTime          *time.Time `json:"icuTime,omitempty"`
	Death30d         *bool      `json:"death30d"`
	DeathTime        *time.Time `json:"deathTime,omitempty"`
}

// Compute characterises the pneumonia episodes of a view.
func Compute(v *twin.View, c Config) (*Result, error) {
	c, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	k := &calc{v: v, c: c, ref: v.Reference()}
	r := &Result{Reference: k.ref, Episodes: []Episode{}}
	for _, ep := range k.episodes() {
		r.Episodes = append(r.Episodes, k.characterise(ep))
	}
	return r, nil
}

type calc struct {
	v   *twin.View
	c   Config
	ref time.Time
}

// span is one episode being assembled.
type span struct {
	start, end time.Time // end: latest evidence end (or time)
	diagnoses  int       // diagnoses in the span
	open       bool      // a diagnosis without an abatement
	evidence   []Evidence
}

// ended reports whether the span's end is coded: it holds a diagnosis and
// every diagnosis of it has an abatement.
func (s *span) ended() bool { return s.diagnoses > 0 && !s.open }

func (k *calc) visible(e *timeline.Event) bool {
	return k.ref.IsZero() || !e.Available().After(k.ref)
}

// evidence lists pneumonia diagnoses and CT evidence in time order.
func (k *calc) evidence() []Evidence {
	var ev []Evidence
	for _, e := range k.v.InSet(timeline.SetPneumonia) {
		if e.Static() || !k.visible(&e) {
			continue
		}
		x := Evidence{Source: "diagnosis", Code: e.Code, Time: e.Time, EventRef: twin.EventRef(&e)}
		if !e.EndTime.IsZero() {
			end := e.EndTime
			x.End = &end
		}
		ev = append(ev, x)
	}
	for _, ct := range k.lungCTs(time.Time{}, time.Time{}) {
		if ct.InvolvementPct != nil && q(*ct.InvolvementPct) >= k.c.ImagingThreshold {
			x := Evidence{Source: "imaging", Code: ct.Inputs[0].Code, Time: ct.Time, EventRef: ct.Inputs[0].EventRef}
			ev = append(ev, x)
		}
	}
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].Time.Before(ev[j].Time) })
	return ev
}

func (k *calc) episodes() []span {
	var out []span
	for _, e := range k.evidence() {
		end := e.Time
		if e.End != nil {
			end = *e.End
		}
		n := len(out)
		if n == 0 || e.Time.After(out[n-1].end.Add(k.c.MergeGap)) {
			out = append(out, span{start: e.Time, end: end})
			n++
		}
		sp := &out[n-1]
		sp.evidence = append(sp.evidence, e)
		if end.After(sp.end) {
			sp.end = end
		}
		if e.Source == "diagnosis" {
			sp.diagnoses++
			sp.open = sp.open || e.End == nil
		}
	}
	return out
}

// inSet reports whether an event belongs to a code set by its code or, for
// an encounter, by its type: FHIR ingest writes an encounter's class as its
// code (ENCOUNTER//IMP) and its type at the start of the text
// ("SNOMED//32485007 Hospital admission").
func (k *calc) inSet(set string, e *timeline.Event) bool {
	if k.v.Codes.InSet(set, e.Code) {
		return true
	}
	if e.Kind == timeline.KindEncounter && e.Text != "" {
		typ, _, _ := strings.Cut(e.Text, " ")
		return strings.Contains(typ, "//") && k.v.Codes.InSet(set, typ)
	}
	return false
}

// admission finds the inpatient (or intensive-care) encounter covering t.
func (k *calc) admission(t time.Time) *timeline.Event {
	var best *timeline.Event
	evs := k.v.Events(timeline.KindEncounter)
	for i := range evs {
		e := &evs[i]
		if !k.inSet(timeline.SetInpatient, e) && !k.inSet(timeline.SetICU, e) {
			continue
		}
		if !k.visible(e) || e.Time.After(t.Add(k.c.PresentationWindow)) {
			continue
		}
		if !e.EndTime.IsZero() && e.EndTime.Before(t) {
			continue
		}
		if best == nil || e.Time.Before(best.Time) {
			best = e
		}
	}
	return best
}

func (k *calc) characterise(sp span) Episode {
	ep := Episode{Start: sp.start, Evidence: sp.evidence, Presentation: sp.start}
	if sp.ended() {
		end := sp.end
		ep.End, ep.EndBasis = &end, "diagnosis abatement"
	}
	if a := k.admission(sp.start); a != nil {
		enc := &Encounter{Code: a.Code, Start: a.Time, EventRef: twin.EventRef(a)}
		if !a.EndTime.IsZero() {
			end := a.EndTime
			enc.End = &end
			if ep.End == nil {
				ep.End, ep.EndBasis = &end, "discharge"
			}
		}
		ep.Admission = enc
		// Admitted around the first evidence: the episode starts, and
		// presents, at the earlier of the two.
		if !a.Time.Before(sp.start.Add(-k.c.PresentationWindow)) {
			if a.Time.Before(ep.Start) {
				ep.Start = a.Time
			}
			ep.Presentation = ep.Start
		}
	}
	t0 := ep.Presentation
	ep.CURB65 = k.curb65(t0)
	ep.PSI = k.psi(t0)
	from := t0.Add(-k.c.TrajectoryLead)
	to := t0.Add(k.c.OpenSpan)
	if ep.End != nil {
		to = *ep.End
	}
	if !k.ref.IsZero() && to.After(k.ref) {
		to = k.ref
	}
	ep.Trajectories = []Trajectory{}
	for _, c := range []struct{ concept, name string }{{"crp", "CRP"}, {"wbc", "WBC"}, {"procalcitonin", "procalcitonin"}} {
		ep.Trajectories = append(ep.Trajectories, k.trajectory(c.concept, c.name, t0, from, to))
	}
	if obs := k.v.Between("spo2", from, to); len(obs) > 0 {
		min := obs[0]
		for _, o := range obs[1:] {
			if o.Value < min.Value {
				min = o
			}
		}
		ep.SpO2Nadir = measure(min)
	}
	ep.CT = k.lungCTs(from, to)
	ep.Outcomes = k.outcomes(ep, t0)
	return ep
}

func measure(o twin.Obs) *Measure {
	return &Measure{Time: o.Time, Value: o.Value, Unit: o.Unit, Input: o.Input()}
}

func (k *calc) trajectory(concept, name string, t0, from, to time.Time) Trajectory {
	cc, _ := k.v.Codes.Concept(concept)
	tr := Trajectory{Name: name, Unit: cc.Unit}
	obs := k.v.Between(concept, from, to)
	tr.N = len(obs)
	if len(obs) == 0 {
		return tr
	}
	peak := obs[0]
	for _, o := range obs[1:] {
		if o.Value > peak.Value {
			peak = o
		}
	}
	tr.First, tr.Peak, tr.Last = measure(obs[0]), measure(peak), measure(obs[len(obs)-1])
	tr.HoursToPeak = twin.Ptr(twin.Round(peak.Time.Sub(t0).Hours(), 1))
	if s, ok := twin.Slope(twin.ObsPoints(obs)); ok {
		tr.SlopePerDay = twin.Ptr(twin.Round(s*float64(twin.Day)/float64(twin.Year), 3))
	}
	return tr
}

func (k *calc) outcomes(ep Episode, t0 time.Time) Outcomes {
	var o Outcomes
	if a := ep.Admission; a != nil && a.End != nil {
		o.LengthOfStayDays = twin.Ptr(twin.Round(twin.Days(a.End.Sub(a.Start)), 2))
	}
	// ICU: an ICU admission code between presentation (or admission) and
	// the end of the episode (or of the open span).
	from := t0
	if ep.Admission != nil && ep.Admission.Start.Before(from) {
		from = ep.Admission.Start
	}
	to := t0.Add(k.c.OpenSpan)
	if ep.End != nil {
		to = *ep.End
	}
	if ep.Admission != nil && ep.Admission.End != nil && ep.Admission.End.After(to) {
		to = *ep.Admission.End
	}
	for _, e := range k.v.Events() {
		if k.inSet(timeline.SetICU, &e) && k.visible(&e) && !e.Time.Before(from) && !e.Time.After(to) {
			yes, at := true, e.Time
			o.ICUTransfer, o.ICUTime = &yes, &at
			break
		}
	}
	if o.ICUTransfer == nil && ep.Admission != nil && ep.Admission.End != nil {
		no := false
		o.ICUTransfer = &no
	}
	// Death within 30 days of presentation: a coded death decides; without
	// one, events more than 30 days later show the patient alive.
	limit := t0.Add(30 * twin.Day)
	if d, ok := k.v.Death(); ok && !d.Before(t0) {
		yes := !d.After(limit)
		o.Death30d, o.DeathTime = &yes, &d
		return o
	}
	for _, e := range k.v.Events() {
		if !e.Static() && e.Time.After(limit) && k.visible(&e) {
			no := false
			o.Death30d = &no
			break
		}
	}
	return o
}

// q rounds to 6 decimals before comparisons with cut-offs (see liver.q).
func q(v float64) float64 { return twin.Round(v, 6) }
