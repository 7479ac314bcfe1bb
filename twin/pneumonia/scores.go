package pneumonia

import (
	"strings"
	"time"

	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

const (
	versionCURB65 = "CURB-65 Lim 2003 (Thorax 58:377)"
	versionPSI    = "PSI/PORT Fine 1997 (N Engl J Med 336:243)"
)

// closest returns the visible observation of a concept taken closest to t
// within ± w (the earlier one on a tie).
func (k *calc) closest(concept string, t time.Time, w time.Duration) (twin.Obs, bool) {
	var best twin.Obs
	found := false
	for _, o := range k.v.Between(concept, t.Add(-w), t.Add(w)) {
		if !k.ref.IsZero() && o.Available().After(k.ref) {
			continue
		}
		d, bd := absDur(o.Time.Sub(t)), absDur(best.Time.Sub(t))
		if !found || d < bd {
			best, found = o, true
		}
	}
	return best, found
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// sum accumulates the criteria of a sum score.
type sum struct {
	s       *twin.Score
	lo, hi  float64
	missing []string
	latest  time.Time
}

// add records a criterion: present adds its points, absent nothing,
// missing widens the range by max.
func (b *sum) add(c twin.Component, max float64) {
	switch c.Status {
	case twin.Present:
		b.lo += c.Points
		b.hi += c.Points
	case twin.Missing:
		b.hi += max
		b.missing = append(b.missing, c.Name)
	}
	b.s.Components = append(b.s.Components, c)
}

// use records an input and tracks the latest availability.
func (b *sum) use(in twin.Input, avail time.Time) {
	b.s.Use(in)
	if avail.After(b.latest) {
		b.latest = avail
	}
}

func (b *sum) obs(o twin.Obs) { b.use(o.Input(), o.Available()) }

func (b *sum) event(e *timeline.Event, text string) { b.use(twin.EventInput(e, text), e.Available()) }

// threshold is one value criterion.
type threshold struct {
	name    string
	concept string
	points  float64
	hit     func(v float64) bool
	rule    string
}

// value evaluates a value criterion at presentation.
func (k *calc) value(b *sum, t0 time.Time, th threshold) twin.Component {
	o, ok := k.closest(th.concept, t0, k.c.PresentationWindow)
	if !ok {
		return twin.Component{Name: th.name, Status: twin.Missing, Detail: th.rule}
	}
	b.obs(o)
	c := twin.Component{Name: th.name, Status: twin.Absent, Value: twin.Ptr(o.Value), Unit: o.Unit, Detail: th.rule}
	if th.hit(q(o.Value)) {
		c.Status, c.Points = twin.Present, th.points
	}
	return c
}

// coded reports what the record says about an acute finding around
// presentation (an event of the set taken within the window, or an
// interval with an end that spans presentation; an old code without an
// end does not describe presentation): present, absent (an explicit
// negative: value 0 or a text such as "absent") or, when nothing is coded,
// Missing.
func (k *calc) coded(b *sum, set string, t0 time.Time, text string) string {
	w := k.c.PresentationWindow
	var best *timeline.Event
	evs := k.v.InSet(set)
	for i := range evs {
		e := &evs[i]
		if !k.visible(e) || e.Static() || e.Time.After(t0.Add(w)) {
			continue
		}
		spans := !e.EndTime.IsZero() && !e.EndTime.Before(t0.Add(-w))
		if !e.Time.Before(t0.Add(-w)) || spans {
			if best == nil || absDur(e.Time.Sub(t0)) < absDur(best.Time.Sub(t0)) {
				best = e
			}
		}
	}
	if best == nil {
		return twin.Missing
	}
	if negative(best) {
		b.event(best, text+": absent")
		return twin.Absent
	}
	b.event(best, text)
	return twin.Present
}

// negative reports an explicit negative finding: value 0, or a text such
// as "absent", "none", "no", "negative".
func negative(e *timeline.Event) bool {
	if e.HasValue {
		return e.Value == 0
	}
	switch t := strings.ToLower(strings.TrimSpace(e.Text)); {
	case t == "no" || t == "none" || t == "negative" || t == "absent" || t == "false":
		return true
	case strings.Contains(t, "not present") || strings.HasPrefix(t, "no "):
		return true
	}
	return false
}

// history reports whether a code of the set was recorded at or before
// presentation (within the window after it, for work-up diagnoses); since
// > 0 limits it to codes active or recorded within that span before.
func (k *calc) history(b *sum, set string, t0 time.Time, since time.Duration, text string) bool {
	w := k.c.PresentationWindow
	for _, e := range k.v.InSet(set) {
		if !k.visible(&e) || e.Static() || e.Time.After(t0.Add(w)) {
			continue
		}
		if since > 0 {
			from := t0.Add(-since)
			if e.Time.Before(from) && !e.EndTime.IsZero() && e.EndTime.Before(from) {
				continue
			}
		}
		b.event(&e, text)
		return true
	}
	return false
}

// mental reads confusion / altered mental status at presentation: coded,
// or a Glasgow coma score below 15; absent with a GCS of 15.
func (k *calc) mental(b *sum, t0 time.Time, name string, points float64) twin.Component {
	switch k.coded(b, timeline.SetConfusion, t0, "confusion / altered mental status") {
	case twin.Present:
		return twin.Component{Name: name, Status: twin.Present, Points: points, Detail: "coded"}
	case twin.Absent:
		return twin.Component{Name: name, Status: twin.Absent, Detail: "coded as absent"}
	}
	if o, ok := k.closest("gcs", t0, k.c.PresentationWindow); ok {
		b.obs(o)
		c := twin.Component{Name: name, Status: twin.Absent, Value: twin.Ptr(o.Value), Unit: o.Unit, Detail: "Glasgow coma score"}
		if q(o.Value) < 15 {
			c.Status, c.Points = twin.Present, points
		}
		return c
	}
	return twin.Component{Name: name, Status: twin.Missing, Detail: "neither coded nor a Glasgow coma score recorded"}
}

// finish sets the value, or the range, reason and category when the
// category is determined.
func (b *sum) finish(category func(points float64, certain bool) string, certain, possible bool) {
	s := b.s
	if b.latest.After(s.Time) {
		s.Time = b.latest
	}
	if len(b.missing) == 0 {
		s.SetValue(b.lo)
		s.Category = category(b.lo, certain)
		return
	}
	s.Fail("missing: %s", strings.Join(b.missing, ", "))
	s.Range = &twin.Range{Min: b.lo, Max: b.hi}
	if lo, hi := category(b.lo, possible), category(b.hi, certain); lo == hi {
		s.Category = lo
	}
}

// CURB65Category: 0-1 low, 2 intermediate, 3-5 high (Lim 2003).
func CURB65Category(points float64) string {
	switch {
	case points <= 1:
		return "low"
	case points == 2:
		return "intermediate"
	}
	return "high"
}

// curb65 scores CURB-65 at presentation (Lim WS et al., Thorax
// 2003;58:377): one point each for confusion, urea > 7 mmol/L (BUN > 19.6
// mg/dL), respiratory rate ≥ 30/min, systolic < 90 or diastolic ≤ 60 mm Hg,
// age ≥ 65.
func (k *calc) curb65(t0 time.Time) twin.Score {
	s := twin.NewScore(twin.ScoreCURB65, versionCURB65, t0)
	b := &sum{s: &s}
	b.add(k.mental(b, t0, "confusion", 1), 1)
	// 7 mmol/L of urea in the urea concept's unit (BUN mg/dL), through the
	// code table's molar conversion: 19.6 mg/dL.
	ureaLimit := 7.0
	if _, v, err := k.v.Codes.ToConcept("LOINC//22664-7", 7, "mmol/L"); err == nil {
		ureaLimit = v
	}
	b.add(k.value(b, t0, threshold{"urea", "urea", 1, func(v float64) bool { return v > q(ureaLimit) }, "urea > 7 mmol/L (BUN > 19.6 mg/dL)"}), 1)
	b.add(k.value(b, t0, threshold{"respiratory rate", "respiratory_rate", 1, func(v float64) bool { return v >= 30 }, "≥ 30/min"}), 1)
	b.add(k.bloodPressure(b, t0), 1)
	b.add(k.ageCriterion(b, t0, "age ≥ 65", 1, func(a int) bool { return a >= 65 }), 1)
	b.finish(func(p float64, _ bool) string { return CURB65Category(p) }, true, true)
	return s
}

// bloodPressure: systolic < 90 or diastolic ≤ 60 mm Hg. One abnormal value
// suffices; normal needs both.
func (k *calc) bloodPressure(b *sum, t0 time.Time) twin.Component {
	c := twin.Component{Name: "blood pressure", Detail: "systolic < 90 or diastolic ≤ 60 mm Hg"}
	sbp, okS := k.closest("sbp", t0, k.c.PresentationWindow)
	dbp, okD := k.closest("dbp", t0, k.c.PresentationWindow)
	if okS {
		b.obs(sbp)
		c.Value, c.Unit = twin.Ptr(sbp.Value), sbp.Unit
	}
	if okD {
		b.obs(dbp)
	}
	switch {
	case (okS && q(sbp.Value) < 90) || (okD && q(dbp.Value) <= 60):
		c.Status, c.Points = twin.Present, 1
	case okS && okD:
		c.Status = twin.Absent
	default:
		c.Status = twin.Missing
	}
	return c
}

func (k *calc) ageCriterion(b *sum, t0 time.Time, name string, points float64, hit func(int) bool) twin.Component {
	a, in, ok := k.v.AgeInput(t0)
	if !ok {
		return twin.Component{Name: name, Status: twin.Missing, Detail: "no birth date"}
	}
	b.use(in, time.Time{})
	c := twin.Component{Name: name, Status: twin.Absent, Value: twin.Ptr(float64(a)), Unit: "a"}
	if hit(a) {
		c.Status, c.Points = twin.Present, points
	}
	return c
}

// PSIClass is the PORT risk class (Fine 1997): class I by the first step
// (age ≤ 50, none of the five comorbidities, none of the five examination
// findings), otherwise by points: ≤ 70 II, 71-90 III, 91-130 IV, > 130 V.
func PSIClass(points float64, stepOne bool) string {
	switch {
	case stepOne:
		return "I"
	case points <= 70:
		return "II"
	case points <= 90:
		return "III"
	case points <= 130:
		return "IV"
	}
	return "V"
}

// psi scores the Pneumonia Severity Index at presentation (Fine MJ et al.,
// N Engl J Med 1997;336:243, table 2).
func (k *calc) psi(t0 time.Time) twin.Score {
	s := twin.NewScore(twin.ScorePSI, versionPSI, t0)
	b := &sum{s: &s}
	age, in, ok := k.v.AgeInput(t0)
	if !ok {
		s.Fail("missing: age (no birth date)")
		return s
	}
	b.use(in, time.Time{})
	ageC := twin.Component{Name: "age", Status: twin.Present, Points: float64(age), Value: twin.Ptr(float64(age)), Unit: "a"}
	switch k.v.Sex() {
	case "F":
		ageC.Points, ageC.Detail = float64(age-10), "female: age − 10"
		b.add(ageC, 0)
	case "M":
		ageC.Detail = "male: age"
		b.add(ageC, 0)
	default:
		// Sex unknown: the age term is age − 10 or age.
		ageC.Points, ageC.Detail = float64(age-10), "sex not recorded: age − 10 to age"
		b.add(ageC, 0)
		b.hi += 10
		b.missing = append(b.missing, "sex")
	}
	hist := func(name, set string, pts float64, since time.Duration) twin.Component {
		c := twin.Component{Name: name, Status: twin.Absent, Detail: "not coded"}
		if k.history(b, set, t0, since, name) {
			c.Status, c.Points, c.Detail = twin.Present, pts, "coded"
		}
		return c
	}
	b.add(hist("nursing home resident", timeline.SetNursingHome, 10, 0), 10)
	comorb := []twin.Component{
		hist("neoplastic disease", timeline.SetNeoplasm, 30, k.c.NeoplasmWindow),
		hist("liver disease", timeline.SetLiverDisease, 20, 0),
		hist("congestive heart failure", timeline.SetHeartFailure, 10, 0),
		hist("cerebrovascular disease", timeline.SetCerebrovascular, 10, 0),
		hist("renal disease", timeline.SetRenalDisease, 10, 0),
	}
	for _, c := range comorb {
		b.add(c, 0)
	}
	exam := []struct {
		c   twin.Component
		max float64
	}{
		{k.mental(b, t0, "altered mental status", 20), 20},
		{k.value(b, t0, threshold{"respiratory rate", "respiratory_rate", 20, func(v float64) bool { return v >= 30 }, "≥ 30/min"}), 20},
		{k.value(b, t0, threshold{"systolic blood pressure", "sbp", 20, func(v float64) bool { return v < 90 }, "< 90 mm Hg"}), 20},
		{k.value(b, t0, threshold{"temperature", "temperature", 15, func(v float64) bool { return v < 35 || v >= 40 }, "< 35 or ≥ 40 °C"}), 15},
		{k.value(b, t0, threshold{"pulse", "heart_rate", 10, func(v float64) bool { return v >= 125 }, "≥ 125/min"}), 10},
	}
	for _, e := range exam {
		b.add(e.c, e.max)
	}
	labs := []threshold{
		{"arterial pH", "ph_arterial", 30, func(v float64) bool { return v < 7.35 }, "< 7.35"},
		{"BUN", "urea", 20, func(v float64) bool { return v >= 30 }, "≥ 30 mg/dL (≥ 10.7 mmol/L urea)"},
		{"sodium", "sodium", 20, func(v float64) bool { return v < 130 }, "< 130 mmol/L"},
		{"glucose", "glucose", 10, func(v float64) bool { return v >= 250 }, "≥ 250 mg/dL (≥ 13.9 mmol/L)"},
		{"hematocrit", "hematocrit", 10, func(v float64) bool { return v < 30 }, "< 30 %"},
	}
	for _, th := range labs {
		b.add(k.value(b, t0, th), th.points)
	}
	b.add(k.oxygen(b, t0), 10)
	eff := twin.Component{Name: "pleural effusion", Detail: "not coded around presentation"}
	switch eff.Status = k.coded(b, timeline.SetPleuralEffusion, t0, "pleural effusion"); eff.Status {
	case twin.Present:
		eff.Points, eff.Detail = 10, "coded"
	case twin.Absent:
		eff.Detail = "coded as absent"
	}
	b.add(eff, 10)

	// Step 1 (class I): age ≤ 50, no comorbidity, no examination finding.
	certain, possible := age <= 50, age <= 50
	for _, c := range comorb {
		if c.Status == twin.Present {
			certain, possible = false, false
		}
	}
	for _, e := range exam {
		switch e.c.Status {
		case twin.Present:
			certain, possible = false, false
		case twin.Missing:
			certain = false
		}
	}
	b.finish(PSIClass, certain, possible)
	if certain && s.Value == nil {
		s.Note("class I by the first step of Fine 1997: laboratory values are not needed for the class")
	}
	if s.Range != nil {
		s.Note("range.min %g is the total with missing values counted as normal, as Fine 1997 scored them", s.Range.Min)
	}
	return s
}

// oxygen: PaO2 < 60 mm Hg; without an arterial gas, SpO2 < 90 % (Fine 1997,
// table 2 footnote: pulse oximetry < 90 % was also considered abnormal).
func (k *calc) oxygen(b *sum, t0 time.Time) twin.Component {
	th := threshold{"PaO2", "pao2", 10, func(v float64) bool { return v < 60 }, "PaO2 < 60 mm Hg (or SpO2 < 90 %)"}
	if c := k.value(b, t0, th); c.Status != twin.Missing {
		return c
	}
	c := k.value(b, t0, threshold{"PaO2", "spo2", 10, func(v float64) bool { return v < 90 }, "SpO2 < 90 % (no arterial PaO2)"})
	return c
}
