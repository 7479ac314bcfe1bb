package oncology

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Response is a RECIST 1.1 or iRECIST response category.
type Response string

// RECIST 1.1 categories (Eisenhauer 2009, §4.3) and iRECIST categories
// (Seymour 2017, Lancet Oncol 18:e143). NonCRNonPD is the non-target (and
// non-target-only overall) "non-CR/non-PD"; NA marks a category with no
// lesions at baseline.
const (
	CR           Response = "CR"
	PR           Response = "PR"
	SD           Response = "SD"
	PD           Response = "PD"
	NE           Response = "NE"
	NonCRNonPD   Response = "NonCR_NonPD"
	NA           Response = "NA"
	ICR          Response = "iCR"
	IPR          Response = "iPR"
	ISD          Response = "iSD"
	IUPD         Response = "iUPD"
	ICPD         Response = "iCPD"
	INonCRNonUPD Response = "iNonCR_NonUPD"
)

// Criteria names.
const (
	CriteriaRECIST  = "RECIST 1.1"
	CriteriaIRECIST = "iRECIST"
)

// Course is the response assessment of one treatment (a therapy line, or
// the time after a chosen baseline date) by one set of criteria.
type Course struct {
	Criteria string `json:"criteria"`
	// Line is the therapy line number the course follows; 0 when the
	// baseline was chosen by date or no therapy is recorded.
	Line int `json:"line"`
	// Current marks the course of the latest line (or of the chosen
	// baseline date): the one a reader means by "the response".
	Current bool `json:"current"`
	// TreatmentStart is the line's start; time to progression and the
	// minimum duration of stable disease count from it (from the baseline
	// when no treatment is recorded).
	TreatmentStart *time.Time         `json:"treatmentStart,omitempty"`
	Baseline       *BaselineReport    `json:"baseline,omitempty"`
	TimePoints     []TimePointOutcome `json:"timePoints"`
	BestOverall    Response           `json:"bestOverall,omitempty"`
	// BestOverallTime is the assessment the best overall response rests
	// on, BestOverallBasis says why (e.g. "PR on 2024-03-01 confirmed on
	// 2024-04-02").
	BestOverallTime  *time.Time `json:"bestOverallTime,omitempty"`
	BestOverallBasis string     `json:"bestOverallBasis,omitempty"`
	// Progression is the first assessment with PD (RECIST) or iCPD
	// (iRECIST); for iRECIST, UnconfirmedProgression is the iUPD it
	// confirmed.
	Progression            *time.Time `json:"progression,omitempty"`
	UnconfirmedProgression *time.Time `json:"unconfirmedProgression,omitempty"`
	// TimeToProgressionDays counts from TreatmentStart (or the baseline)
	// to Progression; when there is none it counts to the last assessment
	// and Censored is true.
	TimeToProgressionDays *float64 `json:"timeToProgressionDays,omitempty"`
	Censored              bool     `json:"censored"`
	Notes                 []string `json:"notes"`
	NotComputable         string   `json:"notComputable,omitempty"`
}

// BaselineReport is the baseline assessment and the lesions chosen at it.
type BaselineReport struct {
	Time    time.Time `json:"time"`
	Studies []string  `json:"studies"`
	SumMM   float64   `json:"sumMm"`
	// TargetSelection is "source" when the source marked target lesions
	// (explicit marks win) and "automatic" otherwise.
	TargetSelection string            `json:"targetSelection"`
	Targets         []string          `json:"targets"`
	NonTargets      []string          `json:"nonTargets"`
	Measurements    []UsedMeasurement `json:"measurements"`
}

// TimePointOutcome is the response at one follow-up assessment.
type TimePointOutcome struct {
	Time    time.Time `json:"time"`
	Studies []string  `json:"studies"`
	// Available is when the last reading of this assessment became known.
	Available       *time.Time `json:"available,omitempty"`
	SumMM           *float64   `json:"sumMm,omitempty"`
	BaselineSumMM   float64    `json:"baselineSumMm"`
	NadirMM         *float64   `json:"nadirMm,omitempty"`
	NadirTime       *time.Time `json:"nadirTime,omitempty"`
	PctFromBaseline *float64   `json:"pctFromBaseline,omitempty"`
	PctFromNadir    *float64   `json:"pctFromNadir,omitempty"`
	Target          Response   `json:"target"`
	NonTarget       Response   `json:"nonTarget"`
	NewLesions      bool       `json:"newLesions"`
	NewLesionIDs    []string   `json:"newLesionIds,omitempty"`
	// NewLesionTargetSumMM is iRECIST's separate sum of new lesions
	// selected as new-lesion targets.
	NewLesionTargetSumMM *float64 `json:"newLesionTargetSumMm,omitempty"`
	Overall              Response `json:"overall"`
	// Confirmed is set for CR and PR: whether a later assessment at least
	// Options.ConfirmDays later confirms it; ConfirmedBy is that
	// assessment.
	Confirmed   *bool      `json:"confirmed,omitempty"`
	ConfirmedBy *time.Time `json:"confirmedBy,omitempty"`
	// Reason explains the category in words, with the numbers used.
	Reason       string            `json:"reason"`
	Measurements []UsedMeasurement `json:"measurements"`
	Notes        []string          `json:"notes,omitempty"`
}

// UsedMeasurement is one lesion reading a response used.
type UsedMeasurement struct {
	LesionID string `json:"lesionId"`
	// Role is target, nonTarget, new, newTarget or newNonTarget.
	Role   string `json:"role"`
	Organ  string `json:"organ"`
	IsNode bool   `json:"isNode"`
	// ValueMM is what the reading contributed: the long axis, a node's
	// short axis, 0 for a lesion the source says is absent, or 5 mm for one
	// it says is too small to measure. Nil when the lesion was not assessed
	// or not measured.
	ValueMM *float64 `json:"valueMm,omitempty"`
	// Note says how the value was derived when it is not a plain
	// measurement ("too small to measure: 5 mm by convention", "not
	// assessed").
	Note     string `json:"note,omitempty"`
	Inferred bool   `json:"inferred,omitempty"`
	EventRef string `json:"eventRef,omitempty"`
}

const eps = 1e-9

// courseSpec says which assessments a course covers.
type courseSpec struct {
	line       int
	start      time.Time // treatment start; zero when none
	baselineAt time.Time // baseline = last assessment at or before it; zero: the first
	cutoff     time.Time // follow-ups before it; zero: no end
}

// selection is the baseline and its target and non-target lesions.
type selection struct {
	base       *timePoint
	baseIdx    int
	targets    []*track
	nonTargets []*track
	sum        float64
	source     bool
	notes      []string
	report     *BaselineReport
}

func measurable(r *reading) bool {
	if r.tooSmall || r.status == statusAbsent {
		return false
	}
	if r.node {
		return r.short >= 15-eps // RECIST 1.1: nodes ≥ 15 mm short axis
	}
	return r.long >= 10-eps // non-nodal ≥ 10 mm longest diameter (CT)
}

// normalNode: a node under 10 mm short axis is not pathological and is
// neither recorded nor followed (RECIST 1.1 §3.1.1).
func normalNode(r *reading) bool {
	return r.node && !math.IsNaN(r.short) && r.short < 10-eps && !r.tooSmall
}

// selectBaseline picks the baseline assessment and its lesions.
func selectBaseline(ls *lesionSet, spec courseSpec) (*selection, string) {
	bi := -1
	for i, tp := range ls.points {
		if !spec.baselineAt.IsZero() && tp.time.After(spec.baselineAt) {
			break
		}
		bi = i
		if spec.baselineAt.IsZero() {
			break
		}
	}
	if bi < 0 {
		return nil, "no imaging assessment at or before " + spec.baselineAt.UTC().Format("2006-01-02")
	}
	tp := ls.points[bi]
	s := &selection{base: tp, baseIdx: bi}
	var rs []*reading
	for _, r := range tp.byTrack {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].track.id < rs[j].track.id })
	for _, r := range rs {
		if r.target != nil && *r.target {
			s.source = true
		}
	}
	if s.source {
		perOrgan := map[string]int{}
		for _, r := range rs {
			switch {
			case r.target != nil && *r.target:
				s.targets = append(s.targets, r.track)
				perOrgan[r.track.organ]++
				if !measurable(r) && !r.tooSmall {
					s.notes = append(s.notes, fmt.Sprintf("source-marked target %s is not measurable by RECIST 1.1 size rules; kept as marked", r.track.id))
				}
			case normalNode(r):
			default:
				s.nonTargets = append(s.nonTargets, r.track)
			}
		}
		if len(s.targets) > 5 {
			s.notes = append(s.notes, fmt.Sprintf("source marked %d targets; RECIST 1.1 allows 5; kept as marked", len(s.targets)))
		}
		for o, n := range perOrgan {
			if n > 2 {
				s.notes = append(s.notes, fmt.Sprintf("source marked %d targets in %s; RECIST 1.1 allows 2 per organ; kept as marked", n, o))
			}
		}
		sort.Strings(s.notes)
	} else {
		var cands []*reading
		for _, r := range rs {
			if normalNode(r) {
				continue
			}
			if measurable(r) && (r.target == nil || *r.target) {
				cands = append(cands, r)
			} else {
				s.nonTargets = append(s.nonTargets, r.track)
			}
		}
		sort.SliceStable(cands, func(i, j int) bool {
			if a, b := cands[i].size(), cands[j].size(); a != b {
				return a > b
			}
			return cands[i].track.id < cands[j].track.id
		})
		// Representative of all involved organs: the largest lesion of each
		// organ first (organs in order of their largest lesion), then the
		// next largest, at most 2 per organ and 5 in all (RECIST 1.1 §4.2).
		picked := map[*track]bool{}
		perOrgan := map[string]int{}
		for _, r := range cands {
			if len(picked) == 5 {
				break
			}
			if perOrgan[r.track.organ] == 0 {
				picked[r.track] = true
				perOrgan[r.track.organ]++
			}
		}
		for _, r := range cands {
			if len(picked) == 5 {
				break
			}
			if !picked[r.track] && perOrgan[r.track.organ] < 2 {
				picked[r.track] = true
				perOrgan[r.track.organ]++
			}
		}
		for _, r := range cands {
			if picked[r.track] {
				s.targets = append(s.targets, r.track)
			} else {
				s.nonTargets = append(s.nonTargets, r.track)
			}
		}
	}
	rep := &BaselineReport{Time: tp.time, Studies: tp.studies, TargetSelection: "automatic", Targets: []string{}, NonTargets: []string{}}
	if s.source {
		rep.TargetSelection = "source"
	}
	for _, t := range s.targets {
		r := tp.byTrack[t]
		v, note, ok := targetValue(r)
		if !ok {
			return nil, fmt.Sprintf("target lesion %s has no baseline measurement", t.id)
		}
		s.sum += v
		rep.Targets = append(rep.Targets, t.id)
		rep.Measurements = append(rep.Measurements, used(t, r, "target", v, note, true))
	}
	sort.SliceStable(s.nonTargets, func(i, j int) bool { return s.nonTargets[i].id < s.nonTargets[j].id })
	for _, t := range s.nonTargets {
		rep.NonTargets = append(rep.NonTargets, t.id)
		rep.Measurements = append(rep.Measurements, used(t, tp.byTrack[t], "nonTarget", math.NaN(), "", false))
	}
	rep.SumMM = round1(s.sum)
	s.report = rep
	return s, ""
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// used renders one reading's use.
func used(t *track, r *reading, role string, v float64, note string, withValue bool) UsedMeasurement {
	u := UsedMeasurement{LesionID: t.id, Role: role, Organ: t.organ, IsNode: t.node, Note: note}
	if r == nil {
		if note == "" {
			u.Note = "not assessed"
		}
		return u
	}
	u.Inferred, u.EventRef = r.inferred, r.ref
	if withValue {
		u.ValueMM = optF(v)
	} else if s := r.size(); !math.IsNaN(s) {
		u.ValueMM = optF(s)
	}
	if r.status != statusNone && u.Note == "" {
		u.Note = "source says: " + r.status.String()
	}
	return u
}

// targetValue is what one target reading contributes to the sum of
// diameters. A lesion the source says is absent counts 0; one it says is
// "too small to measure" counts 5 mm by the RECIST 1.1 convention
// (Eisenhauer 2009, Appendix I: "a default value of 5 mm should be
// assigned") — only when the source says so: a missing measurement without
// that statement is "not measured" and makes the sum not evaluable. A
// measurement given with the "too small" mark is used as measured (EORTC
// RECIST FAQ "Lesions less than 5 mm": "if it is measurable, then record the
// measurement. If you cannot measure, then record it as 5 mm").
func targetValue(r *reading) (v float64, note string, ok bool) {
	s := math.NaN()
	if r != nil {
		s = r.size()
	}
	switch {
	case r == nil:
		return 0, "not assessed", false
	case r.status == statusAbsent:
		return 0, "source says: absent", true
	case r.tooSmall && s > 0:
		return s, "marked too small to measure but measured: the measurement is used", true
	case r.tooSmall:
		return 5, "too small to measure: 5 mm by convention", true
	}
	if math.IsNaN(s) {
		if r.node {
			return 0, "short axis not measured", false
		}
		return 0, "long axis not measured", false
	}
	return s, "", true
}

// normalNow: a target or non-target that no longer counts as disease — a
// non-nodal lesion gone (0 mm or absent), a node under 10 mm short axis.
func normalNow(r *reading, node bool) bool {
	if r == nil {
		return false
	}
	if r.status == statusAbsent {
		return true
	}
	if node {
		return r.tooSmall || (!math.IsNaN(r.short) && r.short < 10-eps)
	}
	return !r.tooSmall && r.long == 0
}

// presentNew says whether a reading of a lesion first seen after baseline is
// a new lesion: present, and for a node pathological (≥ 10 mm short axis
// when measured).
func presentNew(r *reading) bool {
	if r == nil || r.status == statusAbsent {
		return false
	}
	if r.node {
		return r.tooSmall == false && (math.IsNaN(r.short) || r.short >= 10-eps)
	}
	return r.tooSmall || math.IsNaN(r.long) || r.long > 0
}

// targetEval is the target-lesion result at one time point.
type targetEval struct {
	sum      float64
	missing  int
	response Response
	reason   string
	used     []UsedMeasurement
}

func evalTargets(tp *timePoint, s *selection, nadir float64) targetEval {
	var te targetEval
	if len(s.targets) == 0 {
		te.response = NA
		te.reason = "no target lesions at baseline"
		return te
	}
	allNormal := true
	for _, t := range s.targets {
		r := tp.byTrack[t]
		v, note, ok := targetValue(r)
		te.used = append(te.used, used(t, r, "target", v, note, ok))
		if !ok {
			te.missing++
			allNormal = false
			continue
		}
		te.sum += v
		if t.node {
			if v >= 10-eps {
				allNormal = false
			}
		} else if v > 0 {
			allNormal = false
		}
	}
	pd := te.sum >= 1.2*nadir-eps && te.sum-nadir >= 5-eps
	switch {
	case te.missing > 0 && pd:
		te.response = PD
		te.reason = fmt.Sprintf("%d target(s) not assessed, but the others already sum %.1f mm, ≥ 20 %% and ≥ 5 mm above the nadir %.1f mm", te.missing, te.sum, nadir)
	case te.missing > 0:
		te.response = NE
		te.reason = fmt.Sprintf("%d target lesion(s) not assessed or not measured", te.missing)
	case allNormal:
		te.response = CR
		te.reason = "all non-nodal targets gone and every target node < 10 mm short axis"
	case pd:
		te.response = PD
		te.reason = fmt.Sprintf("sum %.1f mm is %+.1f %% and %+.1f mm from the nadir %.1f mm (PD needs ≥ +20 %% and ≥ +5 mm)", te.sum, pct(te.sum, nadir), te.sum-nadir, nadir)
	case te.sum <= 0.7*s.sum+eps:
		te.response = PR
		te.reason = fmt.Sprintf("sum %.1f mm is %.1f %% from the baseline %.1f mm (PR needs ≤ −30 %%)", te.sum, pct(te.sum, s.sum), s.sum)
	default:
		te.response = SD
		te.reason = fmt.Sprintf("sum %.1f mm: %+.1f %% from baseline %.1f mm, %+.1f %% / %+.1f mm from nadir %.1f mm", te.sum, pct(te.sum, s.sum), s.sum, pct(te.sum, nadir), te.sum-nadir, nadir)
	}
	return te
}

func pct(v, ref float64) float64 {
	if ref == 0 {
		if v == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return (v - ref) / ref * 100
}

// evalNonTargets is the non-target response: CR when every non-target is
// gone (nodes < 10 mm), PD when the source says a non-target progressed
// unequivocally, NE when one was not assessed, else non-CR/non-PD.
func evalNonTargets(tp *timePoint, s *selection) (Response, []UsedMeasurement) {
	if len(s.nonTargets) == 0 {
		return NA, nil
	}
	var us []UsedMeasurement
	missing, gone, progressed := 0, 0, 0
	for _, t := range s.nonTargets {
		r := tp.byTrack[t]
		us = append(us, used(t, r, "nonTarget", math.NaN(), "", false))
		switch {
		case r == nil:
			missing++
		case r.status == statusProgression:
			progressed++
		case normalNow(r, t.node):
			gone++
		}
	}
	switch {
	case progressed > 0:
		return PD, us
	case missing > 0:
		return NE, us
	case gone == len(s.nonTargets):
		return CR, us
	}
	return NonCRNonPD, us
}

// newLesionsAt lists lesions first seen after the baseline and present at tp.
func newLesionsAt(tp *timePoint, s *selection) []*track {
	var out []*track
	for t, r := range tp.byTrack {
		if t.first > s.baseIdx && presentNew(r) {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// overallRECIST is RECIST 1.1 Table 1 (target disease) and Table 2
// (non-target disease only).
func overallRECIST(target, nonTarget Response, newLes bool) Response {
	if target == PD || nonTarget == PD || newLes {
		return PD
	}
	if target == NA {
		switch nonTarget {
		case CR:
			return CR
		case NonCRNonPD:
			return NonCRNonPD
		}
		return NE
	}
	switch target {
	case CR:
		if nonTarget == CR || nonTarget == NA {
			return CR
		}
		return PR
	case PR:
		return PR
	case SD:
		return SD
	}
	return NE
}

// followUps lists the course's follow-up time points.
func followUps(ls *lesionSet, s *selection, spec courseSpec) []*timePoint {
	var out []*timePoint
	for _, tp := range ls.points[s.baseIdx+1:] {
		if !spec.cutoff.IsZero() && !tp.time.Before(spec.cutoff) {
			break
		}
		out = append(out, tp)
	}
	return out
}

func newCourse(criteria string, spec courseSpec) *Course {
	return &Course{Criteria: criteria, Line: spec.line, TreatmentStart: optT(spec.start), TimePoints: []TimePointOutcome{}, Notes: []string{}}
}

// openCourse starts a course: its baseline and lesions. ok is false when
// the course is not computable (NotComputable says why).
func openCourse(criteria string, ls *lesionSet, spec courseSpec, opt *Options) (*Course, *selection, bool) {
	c := newCourse(criteria, spec)
	s, why := selectBaseline(ls, spec)
	if s == nil {
		c.NotComputable = why
		return c, nil, false
	}
	c.Baseline = s.report
	c.Notes = append(c.Notes, s.notes...)
	c.Notes = append(c.Notes, s.base.notes...)
	baselineNotes(c, s, spec, opt)
	if len(s.targets) == 0 && len(s.nonTargets) == 0 {
		c.NotComputable = "no lesions recorded at the baseline assessment"
		return c, s, false
	}
	return c, s, true
}

// outcomeAt fills what both criteria report of a follow-up assessment: the
// sums against baseline and nadir, and the measurements used.
func outcomeAt(tp *timePoint, s *selection, te targetEval, nadir float64, nadirT time.Time, news []*track) TimePointOutcome {
	o := TimePointOutcome{
		Time: tp.time, Studies: tp.studies, BaselineSumMM: round1(s.sum), NewLesions: len(news) > 0, Notes: tp.notes,
		Measurements: append([]UsedMeasurement{}, te.used...),
	}
	if !tp.avail.Equal(tp.time) {
		o.Available = optT(tp.avail)
	}
	if te.response != NA {
		o.NadirMM, o.NadirTime = optF(round1(nadir)), optT(nadirT)
		if te.missing == 0 {
			o.SumMM = optF(round1(te.sum))
			o.PctFromBaseline = optF(round1(pct(te.sum, s.sum)))
			o.PctFromNadir = optF(round1(pct(te.sum, nadir)))
		}
	}
	for _, t := range news {
		o.NewLesionIDs = append(o.NewLesionIDs, t.id)
	}
	return o
}

// lowerNadir returns the nadir after an assessment: the smallest complete
// sum on study, baseline included.
func lowerNadir(te targetEval, tp *timePoint, nadir float64, nadirT time.Time) (float64, time.Time) {
	if te.response != NA && te.missing == 0 && te.sum < nadir-eps {
		return te.sum, tp.time
	}
	return nadir, nadirT
}

// closeCourse notes the assessments left after progression and computes
// confirmation, best overall response and time to progression.
func closeCourse(c *Course, spec courseSpec, s *selection, opt *Options, immune bool, rest int, why string) {
	if rest > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("%d later assessment(s) not evaluated: %s", rest, why))
	}
	confirm(c, opt)
	bestOverall(c, spec, s, opt, immune)
	timeToProgression(c, spec, s)
}

// recistCourse evaluates RECIST 1.1 over one course.
func recistCourse(ls *lesionSet, spec courseSpec, opt *Options) *Course {
	c, s, ok := openCourse(CriteriaRECIST, ls, spec, opt)
	if !ok {
		return c
	}
	nadir, nadirT := s.sum, s.base.time
	fus := followUps(ls, s, spec)
	rest := 0
	var lastCR time.Time
	for i, tp := range fus {
		te := evalTargets(tp, s, nadir)
		ntr, ntUsed := evalNonTargets(tp, s)
		reappeared(&te, &ntr, lastCR)
		news := newLesionsAt(tp, s)
		o := outcomeAt(tp, s, te, nadir, nadirT, news)
		o.Target, o.NonTarget = te.response, ntr
		o.Measurements = append(o.Measurements, ntUsed...)
		for _, t := range news {
			o.Measurements = append(o.Measurements, used(t, tp.byTrack[t], "new", math.NaN(), "", false))
		}
		o.Overall = overallRECIST(te.response, ntr, len(news) > 0)
		o.Reason = explain(o, te.reason)
		c.TimePoints = append(c.TimePoints, o)
		nadir, nadirT = lowerNadir(te, tp, nadir, nadirT)
		lastCR = afterCR(o, lastCR)
		if o.Overall == PD {
			rest = len(fus) - i - 1
			break
		}
	}
	closeCourse(c, spec, s, opt, false, rest, "the course ends at progression (RECIST 1.1 §4.4)")
	return c
}

// reappeared applies the rule for disease that comes back after a complete
// response: when the previous evaluable assessment was CR, any target lesion
// no longer normal, or any non-target lesion present again, is progression
// (EORTC RECIST FAQ "Does a new lesion always result in PD?": lesions that
// disappear and reappear are PD when "CR (overall) was definitively assigned
// at the previous assessment"). Without a previous CR a reappearing lesion
// counts in the sum like any other.
func reappeared(te *targetEval, ntr *Response, lastCR time.Time) {
	if lastCR.IsZero() {
		return
	}
	when := lastCR.UTC().Format("2006-01-02")
	if te.response != CR && te.response != NA && te.response != PD && te.missing == 0 {
		te.response = PD
		te.reason = fmt.Sprintf("a target lesion reappeared after the complete response of %s (sum %.1f mm)", when, te.sum)
	}
	if *ntr == NonCRNonPD {
		*ntr = PD
		te.reason += "; a non-target lesion reappeared after the complete response of " + when
	}
}

// afterCR tracks the last evaluable assessment: its time when it was a
// complete response, zero otherwise (NE leaves it as it was).
func afterCR(o TimePointOutcome, lastCR time.Time) time.Time {
	switch {
	case o.Overall == NE:
		return lastCR
	case isCR(o.Overall):
		return o.Time
	}
	return time.Time{}
}

// explain prefixes the target reason with what decided the overall call.
func explain(o TimePointOutcome, targetReason string) string {
	var parts []string
	if o.NewLesions {
		parts = append(parts, "new lesion(s) "+strings.Join(o.NewLesionIDs, ", "))
	}
	if o.NonTarget == PD {
		parts = append(parts, "unequivocal progression of non-target disease (as the source states)")
	}
	parts = append(parts, "targets: "+targetReason)
	return strings.Join(parts, "; ")
}

func baselineNotes(c *Course, s *selection, spec courseSpec, opt *Options) {
	if spec.start.IsZero() {
		return
	}
	days := spec.start.Sub(s.base.time).Hours() / 24
	if opt.BaselineMaxDays > 0 && days > float64(opt.BaselineMaxDays) {
		c.Notes = append(c.Notes, fmt.Sprintf("baseline is %.0f days before the treatment start; RECIST 1.1 asks for a baseline within 4 weeks", days))
	}
}

// better ranks responses for the best overall response.
func rank(r Response) int {
	switch r {
	case CR, ICR:
		return 6
	case PR, IPR:
		return 5
	case SD, ISD, NonCRNonPD, INonCRNonUPD:
		return 4
	case IUPD:
		return 2
	case PD, ICPD:
		return 1
	}
	return 0
}

func isCR(r Response) bool { return r == CR || r == ICR }
func isPR(r Response) bool { return r == PR || r == IPR }
func isPD(r Response) bool { return r == PD || r == ICPD }

// confirm marks CR and PR assessments confirmed when the first evaluable
// assessment at least Options.ConfirmDays later shows the same or a better
// response (CR confirms CR; CR or PR confirms PR; RECIST 1.1 §4.4.3 and
// Table 3). Assessments in between are ignored; progression ends the
// search.
func confirm(c *Course, opt *Options) {
	gap := time.Duration(opt.ConfirmDays) * 24 * time.Hour
	tps := c.TimePoints
	for i := range tps {
		o := &tps[i]
		if !isCR(o.Overall) && !isPR(o.Overall) {
			continue
		}
		ok := false
		for j := i + 1; j < len(tps); j++ {
			n := &tps[j]
			if isPD(n.Overall) || n.Overall == IUPD {
				break
			}
			if n.Time.Sub(o.Time) < gap || n.Overall == NE {
				continue
			}
			if isCR(n.Overall) || (isPR(o.Overall) && isPR(n.Overall)) {
				ok = true
				o.ConfirmedBy = optT(n.Time)
			}
			break
		}
		o.Confirmed = &ok
	}
}

// confirmedAtPR: a CR followed by a PR at ≥ ConfirmDays is a confirmed PR
// (RECIST 1.1 Table 3: the first CR is read as a PR).
func confirmedAtPR(tps []TimePointOutcome, i int, gap time.Duration) (time.Time, bool) {
	o := tps[i]
	for j := i + 1; j < len(tps); j++ {
		n := tps[j]
		if isPD(n.Overall) || n.Overall == IUPD {
			return time.Time{}, false
		}
		if n.Time.Sub(o.Time) < gap || n.Overall == NE {
			continue
		}
		return n.Time, isCR(n.Overall) || isPR(n.Overall)
	}
	return time.Time{}, false
}

// bestOverall is the best overall response (RECIST 1.1 §4.4; Table 3 when
// confirmation is required): confirmed CR, else confirmed PR, else SD (or
// non-CR/non-PD) once met at least Options.SDMinDays after the start, else
// PD, else NE. Without confirmation an unconfirmed CR/PR counts.
func bestOverall(c *Course, spec courseSpec, s *selection, opt *Options, immune bool) {
	ref := spec.start
	if ref.IsZero() {
		ref = s.base.time
	}
	gap := time.Duration(opt.ConfirmDays) * 24 * time.Hour
	sdMin := time.Duration(opt.SDMinDays) * 24 * time.Hour
	tps := c.TimePoints
	set := func(r Response, t time.Time, basis string) {
		c.BestOverall, c.BestOverallTime, c.BestOverallBasis = r, optT(t), basis
	}
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	cr, pr, sd, nn := CR, PR, SD, NonCRNonPD
	if immune {
		cr, pr, sd, nn = ICR, IPR, ISD, INonCRNonUPD
	}
	if opt.RequireConfirmation {
		for _, o := range tps {
			if isCR(o.Overall) && o.Confirmed != nil && *o.Confirmed {
				set(cr, o.Time, fmt.Sprintf("%s on %s confirmed on %s", o.Overall, day(o.Time), day(*o.ConfirmedBy)))
				return
			}
		}
		for i, o := range tps {
			if isPR(o.Overall) && o.Confirmed != nil && *o.Confirmed {
				set(pr, o.Time, fmt.Sprintf("%s on %s confirmed on %s", o.Overall, day(o.Time), day(*o.ConfirmedBy)))
				return
			}
			if isCR(o.Overall) {
				if t, ok := confirmedAtPR(tps, i, gap); ok {
					set(pr, o.Time, fmt.Sprintf("%s on %s followed by a partial response on %s: confirmed PR (RECIST 1.1 Table 3)", o.Overall, day(o.Time), day(t)))
					return
				}
			}
		}
	} else {
		best := -1
		for i, o := range tps {
			if (isCR(o.Overall) || isPR(o.Overall)) && (best < 0 || rank(o.Overall) > rank(tps[best].Overall)) {
				best = i
			}
		}
		if best >= 0 {
			o := tps[best]
			r := pr
			if isCR(o.Overall) {
				r = cr
			}
			set(r, o.Time, fmt.Sprintf("%s on %s (confirmation not required)", o.Overall, day(o.Time)))
			return
		}
	}
	for _, o := range tps {
		switch o.Overall {
		case CR, PR, SD, NonCRNonPD, ICR, IPR, ISD, INonCRNonUPD:
			if o.Time.Sub(ref) >= sdMin {
				r := sd
				if o.Overall == NonCRNonPD || o.Overall == INonCRNonUPD {
					r = nn
				}
				basis := fmt.Sprintf("%s on %s, %.0f days after the start (stable disease needs ≥ %d days)", o.Overall, day(o.Time), o.Time.Sub(ref).Hours()/24, opt.SDMinDays)
				if isCR(o.Overall) || isPR(o.Overall) {
					basis = "unconfirmed " + basis
				}
				set(r, o.Time, basis)
				return
			}
		}
	}
	for _, o := range tps {
		if isPD(o.Overall) {
			set(o.Overall, o.Time, fmt.Sprintf("progression on %s before stable disease lasted %d days", day(o.Time), opt.SDMinDays))
			return
		}
	}
	for _, o := range tps {
		if o.Overall == IUPD {
			set(IUPD, o.Time, fmt.Sprintf("unconfirmed progression on %s, not confirmed by a later assessment", day(o.Time)))
			return
		}
	}
	if len(tps) == 0 {
		c.BestOverall, c.BestOverallBasis = NE, "no follow-up assessment yet"
		return
	}
	set(NE, tps[len(tps)-1].Time, "no assessment meets CR, PR or stable disease for long enough")
}

// timeToProgression counts days from the start (or the baseline) to the
// first PD (RECIST) or to the iUPD that iCPD confirmed (iRECIST), else to
// the last assessment, censored.
func timeToProgression(c *Course, spec courseSpec, s *selection) {
	ref := spec.start
	if ref.IsZero() {
		ref = s.base.time
	}
	days := func(t time.Time) *float64 { d := math.Round(t.Sub(ref).Hours()/24*10) / 10; return &d }
	var pendingUPD time.Time
	for _, o := range c.TimePoints {
		switch o.Overall {
		case PD:
			c.Progression = optT(o.Time)
			c.TimeToProgressionDays = days(o.Time)
			return
		case IUPD:
			if pendingUPD.IsZero() {
				pendingUPD = o.Time
			}
		case ICPD:
			c.Progression = optT(o.Time)
			if pendingUPD.IsZero() {
				pendingUPD = o.Time
			}
			c.UnconfirmedProgression = optT(pendingUPD)
			// iRECIST: progression dates from the iUPD that iCPD
			// confirmed (recist.eortc.org iRECIST FAQ on iDOR: "to the
			// date of PD (iUPD confirmed as iCPD)").
			c.TimeToProgressionDays = days(pendingUPD)
			return
		case NE:
		default:
			pendingUPD = time.Time{}
		}
	}
	if n := len(c.TimePoints); n > 0 {
		c.TimeToProgressionDays = days(c.TimePoints[n-1].Time)
		c.Censored = true
	}
}
