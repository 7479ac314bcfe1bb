// Package liver is the liver-marker twin: series of the liver scores
// (FIB-4, APRI, MELD, MELD-Na, MELD 3.0, ALBI, NFS, Child-Pugh), CT liver
// attenuation and volume with a steatosis category, the liver-disease risk
// genotypes, and trends, all computed as a pure function of a patient's
// twin.View.
//
// # Inputs and windows
//
// Every score input is the latest value of its concept (units already
// normalised by the code table, so µmol/L bilirubin under LOINC 14631-6 and
// mg/dL bilirubin under 1975-2 are one input) that was taken at or before
// the score's time and available (issued) by then, and no older than its
// validity window:
//
//   - laboratory values (AST, ALT, platelets, bilirubin, INR, creatinine,
//     sodium, albumin): Config.LabWindow, 30 days by default, so the labs of
//     one point are at most 30 days apart;
//   - BMI (or weight, with height of any age): Config.BMIWindow, 365 days;
//   - fasting glucose, glucose and HbA1c for the NFS diabetes/IFG term:
//     Config.GlycemiaWindow, 365 days; diabetes and IFG diagnoses and
//     antidiabetic drugs count from their first record on;
//   - dialysis (MELD scores): two dialysis sessions, or continuous renal
//     replacement, within Config.DialysisWindow (7 days, OPTN policy), or an
//     active dependence-on-dialysis code;
//   - ascites and hepatic encephalopathy (Child-Pugh): the latest coded
//     event; a grade in its value (ascites 0-3, International Club of
//     Ascites; encephalopathy 0-4, West Haven) or text, no older than
//     Config.GradeWindow (90 days); a diagnosis without a grade is present
//     but ungraded (2 or 3 points: the score becomes a range); a diagnosis
//     abated by then counts as absent; no code at all is missing.
//
// A series has a point at every time a new input became available, and a
// "current" value at the reference time (the view's as-of time, or its last
// event). Missing or stale inputs make a point not computable, with the
// reason; nothing is guessed.
package liver

import (
	"fmt"
	"strings"
	"time"

	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

// Config holds the liver twin's settings.
type Config struct {
	// ASTULN is the AST upper limit of normal APRI divides by (U/L).
	ASTULN         float64
	LabWindow      time.Duration
	BMIWindow      time.Duration
	GlycemiaWindow time.Duration
	GradeWindow    time.Duration
	DialysisWindow time.Duration
	// TrendWindow is the window slopes are fitted over, ending at the
	// reference time.
	TrendWindow time.Duration
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		ASTULN:         40,
		LabWindow:      30 * twin.Day,
		BMIWindow:      365 * twin.Day,
		GlycemiaWindow: 365 * twin.Day,
		GradeWindow:    90 * twin.Day,
		DialysisWindow: 7 * twin.Day,
		TrendWindow:    2 * twin.Year,
	}
}

// ErrConfig reports an invalid setting.
var ErrConfig = fmt.Errorf("liver: invalid configuration")

func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.ASTULN == 0 {
		c.ASTULN = d.ASTULN
	}
	if c.ASTULN < 0 {
		return c, fmt.Errorf("%w: AST upper limit of normal must be positive", ErrConfig)
	}
	if err := twin.FillWindows(twin.Window{V: &c.LabWindow, Default: d.LabWindow}, twin.Window{V: &c.BMIWindow, Default: d.BMIWindow},
		twin.Window{V: &c.GlycemiaWindow, Default: d.GlycemiaWindow}, twin.Window{V: &c.GradeWindow, Default: d.GradeWindow},
		twin.Window{V: &c.DialysisWindow, Default: d.DialysisWindow}, twin.Window{V: &c.TrendWindow, Default: d.TrendWindow}); err != nil {
		return c, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return c, nil
}

// Twin returns the liver twin for the twin registry.
func Twin(c Config) twin.Twin {
	return twin.Twin{Name: "liver", Compute: func(v *twin.View) (any, error) { return Compute(v, c) }}
}

// Result is the liver twin of one patient.
type Result struct {
	Reference   time.Time         `json:"reference"`
	Scores      []Series          `json:"scores"`
	Imaging     Imaging           `json:"imaging"`
	Genetics    Genetics          `json:"genetics"`
	Trends      []twin.Trend      `json:"trends"`
	Transitions []twin.Transition `json:"transitions"`
}

// Series is one score over time.
type Series struct {
	Name string `json:"name"`
	// Current is the score at the reference time (nil for an empty view).
	Current *twin.Score  `json:"current"`
	Points  []twin.Score `json:"points"`
}

// Score returns the series of a score name.
func (r *Result) Score(name string) (Series, bool) {
	for _, s := range r.Scores {
		if s.Name == name {
			return s, true
		}
	}
	return Series{}, false
}

// Compute computes the liver twin of a view.
func Compute(v *twin.View, c Config) (*Result, error) {
	c, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	k := &calc{v: v, c: c, ref: v.Reference()}
	r := &Result{Reference: k.ref}
	for _, sc := range k.scores() {
		r.Scores = append(r.Scores, k.series(sc.name, sc.arrivals, sc.f))
	}
	r.Imaging = k.imaging()
	r.Genetics = Genotypes(v.Details().Variants)
	for i := range r.Genetics.Variants {
		if e, ok := v.Event(r.Genetics.Variants[i].key); ok {
			r.Genetics.Variants[i].EventRef = twin.EventRef(e)
		}
	}
	r.Trends = k.trends(r)
	r.Transitions = []twin.Transition{}
	for _, s := range r.Scores {
		r.Transitions = append(r.Transitions, twin.Transitions(s.Points)...)
	}
	return r, nil
}

// DerivedEvents returns the category transitions as timeline events of kind
// derived (code DERIVED//<score>//<category>, the transition in the text),
// for writing back to a timeline or exporting.
func (r *Result) DerivedEvents(subject int64) []timeline.Event {
	var out []timeline.Event
	for _, t := range r.Transitions {
		out = append(out, timeline.Event{
			SubjectID: subject, Time: t.Time, Kind: timeline.KindDerived,
			Code:  "DERIVED//" + t.Score + "//" + t.To,
			Value: t.Value, HasValue: true, Text: t.From + " -> " + t.To,
			Key: timeline.NewKey("liver-transition", t.Score, t.Time.String(), t.To),
		})
	}
	return out
}

type calc struct {
	v   *twin.View
	c   Config
	ref time.Time
}

type scoreDef struct {
	name     string
	arrivals []time.Time
	f        func(time.Time) twin.Score
}

func (k *calc) scores() []scoreDef {
	v := k.v
	dialysis := k.setTimes(timeline.SetDialysis, timeline.SetCRRT, timeline.SetDialysisDependence)
	grades := k.setTimes(timeline.SetAscites, timeline.SetEncephalopathy, timeline.SetHepaticComa)
	glyc := k.setTimes(timeline.SetDiabetes, timeline.SetIFG, timeline.SetAntidiabetic)
	join := func(a ...[]time.Time) []time.Time {
		var out []time.Time
		for _, x := range a {
			out = append(out, x...)
		}
		return twin.SortedTimes(out)
	}
	return []scoreDef{
		{twin.ScoreFIB4, v.Arrivals("ast", "alt", "platelets"), k.fib4},
		{twin.ScoreAPRI, v.Arrivals("ast", "platelets"), k.apri},
		{twin.ScoreMELD, join(v.Arrivals("bilirubin", "inr", "creatinine"), dialysis), k.meld},
		{twin.ScoreMELDNa, join(v.Arrivals("bilirubin", "inr", "creatinine", "sodium"), dialysis), k.meldNa},
		{twin.ScoreMELD3, join(v.Arrivals("bilirubin", "inr", "creatinine", "sodium", "albumin"), dialysis), k.meld3},
		{twin.ScoreALBI, v.Arrivals("bilirubin", "albumin"), k.albi},
		{twin.ScoreNFS, join(v.Arrivals("ast", "alt", "platelets", "albumin", "bmi", "weight", "height",
			"glucose_fasting", "glucose", "hba1c"), glyc), k.nfs},
		{twin.ScoreChildPugh, join(v.Arrivals("bilirubin", "albumin", "inr"), grades), k.childPugh},
	}
}

// setTimes returns when events of the sets became available (and when an
// interval among them ended).
func (k *calc) setTimes(sets ...string) []time.Time {
	var ts []time.Time
	for _, s := range sets {
		for _, e := range k.v.InSet(s) {
			ts = append(ts, e.Available())
			if !e.EndTime.IsZero() && e.EndTime.After(e.Available()) {
				ts = append(ts, e.EndTime)
			}
		}
	}
	return ts
}

func (k *calc) series(name string, arrivals []time.Time, f func(time.Time) twin.Score) Series {
	s := Series{Name: name, Points: []twin.Score{}}
	for _, t := range arrivals {
		if !k.ref.IsZero() && t.After(k.ref) {
			continue
		}
		s.Points = append(s.Points, f(t))
	}
	if !k.ref.IsZero() {
		cur := f(k.ref)
		s.Current = &cur
	}
	return s
}

// need is one value input of a score.
type need struct {
	concept string
	label   string
	window  time.Duration
}

func (k *calc) lab(concept, label string) need { return need{concept, label, k.c.LabWindow} }

// get fetches the inputs of a score at t, records the ones found and
// returns the labels of the missing ones.
func (k *calc) get(s *twin.Score, t time.Time, needs ...need) (map[string]float64, []string) {
	vals := map[string]float64{}
	var missing []string
	for _, n := range needs {
		o, ok := k.v.LatestKnown(n.concept, t, n.window)
		if !ok {
			missing = append(missing, fmt.Sprintf("%s (none within %s)", n.label, days(n.window)))
			continue
		}
		vals[n.concept] = o.Value
		s.Use(o.Input())
	}
	return vals, missing
}

func days(d time.Duration) string { return fmt.Sprintf("%g days", twin.Round(twin.Days(d), 1)) }

// labDate returns the time the newest recorded input was taken (t when
// none): the "lab date" a score's age is taken at.
func labDate(s *twin.Score, t time.Time) time.Time {
	var last time.Time
	for _, in := range s.Inputs {
		if in.Time.After(last) {
			last = in.Time
		}
	}
	if last.IsZero() {
		return t
	}
	return last
}

// age returns the age at t, recording it as an input.
func (k *calc) age(s *twin.Score, t time.Time) (int, bool) {
	a, in, ok := k.v.AgeInput(t)
	if ok {
		s.Use(in)
	}
	return a, ok
}

func fail(s *twin.Score, missing []string) bool {
	if len(missing) == 0 {
		return false
	}
	s.Fail("missing: %s", strings.Join(missing, "; "))
	return true
}

const (
	versionFIB4  = "FIB-4 Sterling 2006; cut-offs Shah 2009, McPherson 2017, Sterling 2006"
	versionAPRI  = "APRI Wai 2003"
	versionMELD  = "MELD UNOS (Kamath 2001, OPTN policy 9.1)"
	versionMELDN = "MELD-Na OPTN 2016"
	versionMELD3 = "MELD 3.0 OPTN 2023 (Kim 2021)"
	versionALBI  = "ALBI Johnson 2015"
	versionNFS   = "NFS Angulo 2007; age ≥65 cut-off McPherson 2017"
	versionCP    = "Child-Pugh (Pugh 1973, INR thresholds)"
)

func (k *calc) fib4(t time.Time) twin.Score {
	s := twin.NewScore(twin.ScoreFIB4, versionFIB4, t)
	vals, missing := k.get(&s, t, k.lab("ast", "AST"), k.lab("alt", "ALT"), k.lab("platelets", "platelets"))
	age, ok := k.age(&s, labDate(&s, t))
	if !ok {
		missing = append(missing, "age (no birth date)")
	}
	if fail(&s, missing) {
		return s
	}
	if vals["platelets"] <= 0 || vals["alt"] <= 0 {
		s.Fail("platelets or ALT not positive")
		return s
	}
	val := FIB4(float64(age), vals["ast"], vals["alt"], vals["platelets"])
	s.SetValue(val)
	nafld, sterling := FIB4Category(val, age)
	s.Category = nafld
	s.Categories = []twin.Category{{Scheme: SchemeFIB4NAFLD, Label: nafld}, {Scheme: SchemeFIB4Sterling, Label: sterling}}
	if age >= 65 {
		s.Note("age ≥65: NAFLD low cut-off 2.0 (McPherson 2017)")
	}
	if age < 35 {
		s.Note("age <35: FIB-4 not validated (McPherson 2017)")
	}
	return s
}

func (k *calc) apri(t time.Time) twin.Score {
	s := twin.NewScore(twin.ScoreAPRI, fmt.Sprintf("%s (AST ULN %g U/L)", versionAPRI, k.c.ASTULN), t)
	vals, missing := k.get(&s, t, k.lab("ast", "AST"), k.lab("platelets", "platelets"))
	if fail(&s, missing) {
		return s
	}
	if vals["platelets"] <= 0 {
		s.Fail("platelets not positive")
		return s
	}
	val := APRI(vals["ast"], k.c.ASTULN, vals["platelets"])
	s.SetValue(val)
	fib, cir := APRICategory(val)
	s.Category = fib
	s.Categories = []twin.Category{{Scheme: SchemeAPRIFibrosis, Label: fib}, {Scheme: SchemeAPRICirrhosis, Label: cir}}
	return s
}

// dialysis reports whether the patient was on dialysis for MELD purposes at
// t: two sessions (or continuous renal replacement) within the dialysis
// window, or an active dependence-on-dialysis code.
func (k *calc) dialysis(s *twin.Score, t time.Time) bool {
	from := t.Add(-k.c.DialysisWindow)
	var sessions []timeline.Event
	for _, e := range k.v.InSet(timeline.SetDialysis) {
		if e.Available().After(t) || e.Time.After(t) || !e.Time.After(from) {
			continue
		}
		sessions = append(sessions, e)
	}
	if len(sessions) >= 2 {
		for i := range sessions {
			s.Use(twin.EventInput(&sessions[i], "dialysis session in the past week"))
		}
		return true
	}
	for _, e := range k.v.InSet(timeline.SetCRRT) {
		if e.Available().After(t) || e.Time.After(t) {
			continue
		}
		end := e.EndTime
		if end.IsZero() {
			end = e.Time
		}
		if end.After(from) {
			s.Use(twin.EventInput(&e, "continuous renal replacement in the past week"))
			return true
		}
	}
	for _, e := range k.v.InSet(timeline.SetDialysisDependence) {
		if e.Available().After(t) || e.Time.After(t) || (!e.EndTime.IsZero() && !e.EndTime.After(t)) {
			continue
		}
		s.Use(twin.EventInput(&e, "dependence on dialysis"))
		return true
	}
	return false
}

// meldAge refuses MELD scores under 12 years (PELD applies).
func (k *calc) meldAge(s *twin.Score, t time.Time) bool {
	if a, ok := k.v.AgeAt(t); ok && a < 12 {
		s.Fail("MELD scores apply from age 12 (PELD below)")
		return false
	}
	return true
}

func (k *calc) meldInputs(s *twin.Score, t time.Time, extra ...need) (map[string]float64, bool, bool) {
	needs := append([]need{k.lab("bilirubin", "bilirubin"), k.lab("inr", "INR"), k.lab("creatinine", "creatinine")}, extra...)
	vals, missing := k.get(s, t, needs...)
	dial := k.dialysis(s, t)
	if fail(s, missing) || !k.meldAge(s, t) {
		return nil, false, false
	}
	for _, n := range needs {
		if vals[n.concept] <= 0 {
			s.Fail("%s not positive", n.label)
			return nil, false, false
		}
	}
	return vals, dial, true
}

func (k *calc) meld(t time.Time) twin.Score {
	s := twin.NewScore(twin.ScoreMELD, versionMELD, t)
	vals, dial, ok := k.meldInputs(&s, t)
	if !ok {
		return s
	}
	return meldResult(s)(MELD(vals["bilirubin"], vals["inr"], vals["creatinine"], dial))
}

// meldResult sets a MELD-scale score's value, notes and category.
func meldResult(s twin.Score) func(float64, []string) twin.Score {
	return func(val float64, notes []string) twin.Score {
		s.SetValue(val)
		s.Notes = append(s.Notes, notes...)
		s.Category = MELDCategory(val)
		return s
	}
}

func (k *calc) meldNa(t time.Time) twin.Score {
	s := twin.NewScore(twin.ScoreMELDNa, versionMELDN, t)
	vals, dial, ok := k.meldInputs(&s, t, k.lab("sodium", "sodium"))
	if !ok {
		return s
	}
	return meldResult(s)(MELDNa(vals["bilirubin"], vals["inr"], vals["creatinine"], vals["sodium"], dial))
}

func (k *calc) meld3(t time.Time) twin.Score {
	s := twin.NewScore(twin.ScoreMELD3, versionMELD3, t)
	vals, dial, ok := k.meldInputs(&s, t, k.lab("sodium", "sodium"), k.lab("albumin", "albumin"))
	if !ok {
		return s
	}
	var female bool
	switch k.v.Sex() {
	case "F":
		female = true
	case "M":
	default:
		s.Fail("missing: sex (MELD 3.0 has a female term)")
		return s
	}
	return meldResult(s)(MELD3(female, vals["bilirubin"], vals["inr"], vals["creatinine"], vals["sodium"], vals["albumin"], dial))
}

func (k *calc) albi(t time.Time) twin.Score {
	s := twin.NewScore(twin.ScoreALBI, versionALBI, t)
	vals, missing := k.get(&s, t, k.lab("bilirubin", "bilirubin"), k.lab("albumin", "albumin"))
	if fail(&s, missing) {
		return s
	}
	bc, _ := k.v.Codes.Concept("bilirubin")
	if vals["bilirubin"] <= 0 || bc.MolarMass == 0 {
		s.Fail("bilirubin not positive")
		return s
	}
	// mg/dL → µmol/L: × 10 (dL→L) × 1000 (mg→µg) / molar mass.
	umol := vals["bilirubin"] * 1e4 / bc.MolarMass
	val := ALBI(umol, vals["albumin"]*10)
	s.SetValue(val)
	s.Category = ALBIGrade(val)
	return s
}

func (k *calc) nfs(t time.Time) twin.Score {
	s := twin.NewScore(twin.ScoreNFS, versionNFS, t)
	vals, missing := k.get(&s, t, k.lab("ast", "AST"), k.lab("alt", "ALT"), k.lab("platelets", "platelets"), k.lab("albumin", "albumin"))
	age, ok := k.age(&s, labDate(&s, t))
	if !ok {
		missing = append(missing, "age (no birth date)")
	}
	bmi, ok := k.bmi(&s, t)
	if !ok {
		missing = append(missing, fmt.Sprintf("BMI (no BMI, or weight and height, within %s)", days(k.c.BMIWindow)))
	}
	dm, known := k.ifgDiabetes(&s, t)
	if !known {
		missing = append(missing, fmt.Sprintf("IFG/diabetes (no diagnosis, antidiabetic, fasting glucose or HbA1c within %s)", days(k.c.GlycemiaWindow)))
	}
	if fail(&s, missing) {
		return s
	}
	if vals["alt"] <= 0 {
		s.Fail("ALT not positive")
		return s
	}
	val := NFS(float64(age), bmi, dm, vals["ast"], vals["alt"], vals["platelets"], vals["albumin"])
	s.SetValue(val)
	s.Category = NFSCategory(val, age)
	if age >= 65 {
		s.Note("age ≥65: low cut-off 0.12 (McPherson 2017)")
	}
	return s
}

// bmi returns the BMI at t: the latest BMI within the window, else weight
// within the window over the latest height squared.
func (k *calc) bmi(s *twin.Score, t time.Time) (float64, bool) {
	if o, ok := k.v.LatestKnown("bmi", t, k.c.BMIWindow); ok {
		s.Use(o.Input())
		return o.Value, true
	}
	w, okW := k.v.LatestKnown("weight", t, k.c.BMIWindow)
	h, okH := k.v.LatestKnown("height", t, 0)
	if !okW || !okH || h.Value <= 0 {
		return 0, false
	}
	s.Use(w.Input(), h.Input())
	m := h.Value / 100
	s.Note("BMI computed from weight and height")
	return w.Value / (m * m), true
}

// NFS diabetes/IFG thresholds: fasting glucose ≥ 110 mg/dL (Angulo 2007's
// IFG), random glucose ≥ 200 mg/dL and HbA1c ≥ 6.5 % (diabetes), HbA1c
// 5.7-6.4 % (prediabetes) (American Diabetes Association, Standards of
// Care 2010).
const (
	ifgFastingGlucose = 110.0
	dmRandomGlucose   = 200.0
	prediabetesHbA1c  = 5.7
)

// ifgDiabetes determines the NFS "IFG/diabetes" term at t. known is false
// when nothing in the record speaks to it.
func (k *calc) ifgDiabetes(s *twin.Score, t time.Time) (yes, known bool) {
	for _, set := range []string{timeline.SetDiabetes, timeline.SetAntidiabetic, timeline.SetIFG} {
		for _, e := range k.v.InSet(set) {
			if e.Time.After(t) || e.Available().After(t) {
				continue
			}
			if set == timeline.SetIFG && !e.EndTime.IsZero() && !e.EndTime.After(t) {
				continue // resolved prediabetes
			}
			s.Use(twin.EventInput(&e, set))
			return true, true
		}
	}
	w := k.c.GlycemiaWindow
	if o, ok := k.v.LatestKnown("glucose_fasting", t, w); ok {
		s.Use(o.Input())
		known = true
		if q(o.Value) >= ifgFastingGlucose {
			return true, true
		}
	}
	if o, ok := k.v.LatestKnown("hba1c", t, w); ok {
		s.Use(o.Input())
		known = true
		if q(o.Value) >= prediabetesHbA1c {
			return true, true
		}
	}
	if o, ok := k.v.LatestKnown("glucose", t, w); ok && q(o.Value) >= dmRandomGlucose {
		s.Use(o.Input())
		return true, true
	}
	return false, known
}
