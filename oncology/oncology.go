package oncology

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/medtwin/medtwin/twin"
)

// Version names the rules this package implements; results carry it.
const Version = "medtwin-oncology/1 (RECIST 1.1, Eisenhauer 2009; iRECIST, Seymour 2017)"

// IRECISTMode says when iRECIST courses are computed beside RECIST 1.1.
type IRECISTMode string

// iRECIST modes.
const (
	// IRECISTAuto computes iRECIST for lines that contain an immune
	// checkpoint inhibitor (and for a chosen baseline date when any line
	// does).
	IRECISTAuto IRECISTMode = "auto"
	IRECISTOn   IRECISTMode = "on"
	IRECISTOff  IRECISTMode = "off"
)

// Options tune the twin. Use DefaultOptions and change what you need;
// numeric options left at zero take their defaults.
type Options struct {
	// BaselineDate, when set, replaces the per-line courses by one course
	// whose baseline is the last assessment at or before it (RECIST 1.1
	// baseline "before treatment start, or a chosen date").
	BaselineDate time.Time
	IRECIST      IRECISTMode
	// RequireConfirmation: CR and PR count for the best overall response
	// only when confirmed ConfirmDays or more later (RECIST 1.1 §4.4.3, for
	// non-randomised settings). True by default.
	RequireConfirmation bool
	ConfirmDays         int // 28 (4 weeks)
	// SDMinDays is the minimum time from the start for stable disease to
	// count as best response (RECIST 1.1 §4.4.1 "in general not less than
	// 6–8 weeks"); 42.
	SDMinDays int
	// BaselineMaxDays: a baseline older than this before the start gets a
	// note (RECIST 1.1 asks for ≤ 4 weeks); 28.
	BaselineMaxDays int
	// TimePointWindowDays: studies within this many days of an assessment's
	// first study are read as one assessment; 7.
	TimePointWindowDays int
	// MatchMaxDistanceMM: the largest distance between positions at which a
	// lesion without an identifier is matched to an earlier one; 20.
	MatchMaxDistanceMM float64
	// RegimenWindowDays: agents started within this many days of a line's
	// start form its regimen; 28.
	RegimenWindowDays int
	// LineGapDays: a longer gap without antineoplastic exposure starts a
	// new line; 120.
	LineGapDays int
	// NewLineOnAddedAgent: an agent added after the regimen window starts a
	// new line even without documented progression; false.
	NewLineOnAddedAgent bool
	// MarkerWindowDays: the window of tumour-marker values for doubling
	// time / half-life; 365.
	MarkerWindowDays int
	// ExtraAgents and ExtraCancerCodes extend the built-in tables.
	ExtraAgents      []Agent
	ExtraCancerCodes []CancerCode
}

// DefaultOptions returns the documented defaults.
func DefaultOptions() Options {
	return Options{
		IRECIST: IRECISTAuto, RequireConfirmation: true, ConfirmDays: 28, SDMinDays: 42,
		BaselineMaxDays: 28, TimePointWindowDays: 7, MatchMaxDistanceMM: 20,
		RegimenWindowDays: 28, LineGapDays: 120, MarkerWindowDays: 365,
	}
}

// fill replaces unset numeric options by the defaults.
func (o Options) fill() Options {
	d := DefaultOptions()
	if o.IRECIST == "" {
		o.IRECIST = d.IRECIST
	}
	if o.ConfirmDays <= 0 {
		o.ConfirmDays = d.ConfirmDays
	}
	if o.SDMinDays <= 0 {
		o.SDMinDays = d.SDMinDays
	}
	if o.BaselineMaxDays <= 0 {
		o.BaselineMaxDays = d.BaselineMaxDays
	}
	if o.TimePointWindowDays <= 0 {
		o.TimePointWindowDays = d.TimePointWindowDays
	}
	if o.MatchMaxDistanceMM <= 0 {
		o.MatchMaxDistanceMM = d.MatchMaxDistanceMM
	}
	if o.RegimenWindowDays <= 0 {
		o.RegimenWindowDays = d.RegimenWindowDays
	}
	if o.LineGapDays <= 0 {
		o.LineGapDays = d.LineGapDays
	}
	if o.MarkerWindowDays <= 0 {
		o.MarkerWindowDays = d.MarkerWindowDays
	}
	return o
}

// Result is the oncology twin of one patient as of a time.
type Result struct {
	SubjectID       int64            `json:"subjectId"`
	AsOf            *time.Time       `json:"asOf,omitempty"`
	Version         string           `json:"version"`
	Cancers         []Condition      `json:"cancers"`
	MetastaticSites []MetastaticSite `json:"metastaticSites"`
	Stages          []Stage          `json:"stages"`
	DiseaseStatus   []DiseaseStatus  `json:"diseaseStatus"`
	Lesions         []Lesion         `json:"lesions"`
	// Courses are the response assessments: one RECIST 1.1 course per
	// therapy line with a baseline (and an iRECIST course where it
	// applies), or one from the chosen baseline date.
	Courses  []*Course   `json:"courses"`
	Lines    []Line      `json:"lines"`
	Markers  []Marker    `json:"markers"`
	Samples  []Sample    `json:"samples"`
	VAF      []VAFSeries `json:"vafSeries"`
	History  []Event     `json:"history"`
	Notes    []string    `json:"notes"`
	Settings Settings    `json:"settings"`
}

// Settings echoes the options a result was computed with.
type Settings struct {
	BaselineDate        *time.Time  `json:"baselineDate,omitempty"`
	IRECIST             IRECISTMode `json:"irecist"`
	RequireConfirmation bool        `json:"requireConfirmation"`
	ConfirmDays         int         `json:"confirmDays"`
	SDMinDays           int         `json:"sdMinDays"`
	TimePointWindowDays int         `json:"timePointWindowDays"`
	MatchMaxDistanceMM  float64     `json:"matchMaxDistanceMm"`
	RegimenWindowDays   int         `json:"regimenWindowDays"`
	LineGapDays         int         `json:"lineGapDays"`
	NewLineOnAddedAgent bool        `json:"newLineOnAddedAgent"`
	MarkerWindowDays    int         `json:"markerWindowDays"`
}

// Response returns the current RECIST 1.1 course (nil when there is none).
func (t *Result) Response() *Course { return t.current(CriteriaRECIST) }

// IResponse returns the current iRECIST course (nil when none was computed).
func (t *Result) IResponse() *Course { return t.current(CriteriaIRECIST) }

func (t *Result) current(criteria string) *Course {
	for _, c := range t.Courses {
		if c.Current && c.Criteria == criteria {
			return c
		}
	}
	return nil
}

// Compute builds the oncology twin (its Result) from a patient view. It is a pure,
// deterministic function of the view (which already holds only what was
// available at the view's as-of time) and the options.
func Compute(v *twin.View, opt Options) *Result {
	opt = opt.fill()
	t := &Result{
		SubjectID: v.Subject, AsOf: optT(v.AsOf), Version: Version,
		Cancers: []Condition{}, MetastaticSites: []MetastaticSite{}, Stages: []Stage{}, DiseaseStatus: []DiseaseStatus{},
		Lesions: []Lesion{}, Courses: []*Course{}, Lines: []Line{}, Markers: []Marker{}, Samples: []Sample{},
		VAF: []VAFSeries{}, History: []Event{}, Notes: []string{},
		Settings: Settings{
			BaselineDate: optT(opt.BaselineDate), IRECIST: opt.IRECIST, RequireConfirmation: opt.RequireConfirmation,
			ConfirmDays: opt.ConfirmDays, SDMinDays: opt.SDMinDays, TimePointWindowDays: opt.TimePointWindowDays,
			MatchMaxDistanceMM: opt.MatchMaxDistanceMM, RegimenWindowDays: opt.RegimenWindowDays,
			LineGapDays: opt.LineGapDays, NewLineOnAddedAgent: opt.NewLineOnAddedAgent, MarkerWindowDays: opt.MarkerWindowDays,
		},
	}
	conds, mets, stages, status := cancerHistory(v, &opt)
	t.Cancers = append(t.Cancers, conds...)
	t.MetastaticSites = append(t.MetastaticSites, mets...)
	t.Stages = append(t.Stages, stages...)
	t.DiseaseStatus = append(t.DiseaseStatus, status...)

	ls := buildLesions(readingsOf(v), &opt)
	t.Lesions = ls.lesionsOut()
	for _, tp := range ls.points {
		t.Notes = append(t.Notes, tp.notes...)
	}

	xs := exposures(v, newAgentIndex(opt.ExtraAgents))
	worsened := func(from, to time.Time) (time.Time, bool) {
		for _, s := range status {
			if s.Status == "worsened" && s.Time.After(from) && s.Time.Before(to) {
				return s.Time, true
			}
		}
		return time.Time{}, false
	}
	lines := buildLines(xs, &opt, func(l *Line, to time.Time) (time.Time, bool) {
		var first time.Time
		c := recistCourse(ls, courseSpec{line: l.Number, start: l.Start, baselineAt: l.Start, cutoff: to}, &opt)
		if c.Progression != nil {
			first = *c.Progression
		}
		if w, ok := worsened(l.Start, to); ok && (first.IsZero() || w.Before(first)) {
			first = w
		}
		return first, !first.IsZero()
	})

	anyImmuno := false
	for _, l := range lines {
		anyImmuno = anyImmuno || l.Immunotherapy
	}
	wantI := func(immuno bool) bool {
		return opt.IRECIST == IRECISTOn || opt.IRECIST == IRECISTAuto && immuno
	}
	addCourses := func(spec courseSpec, immuno, current bool) (*Course, *Course) {
		r := recistCourse(ls, spec, &opt)
		r.Current = current
		t.Courses = append(t.Courses, r)
		var ic *Course
		if wantI(immuno) {
			ic = irecistCourse(ls, spec, &opt)
			ic.Current = current
			t.Courses = append(t.Courses, ic)
		}
		return r, ic
	}
	markerAt, markerFor := time.Time{}, ""
	switch {
	case len(ls.points) == 0:
	case !opt.BaselineDate.IsZero():
		addCourses(courseSpec{start: opt.BaselineDate, baselineAt: opt.BaselineDate}, anyImmuno, true)
	case len(lines) == 0:
		c, _ := addCourses(courseSpec{}, false, true)
		c.Notes = append([]string{"no antineoplastic therapy recorded: the first assessment is the baseline"}, c.Notes...)
	}
	for i, l := range lines {
		if len(ls.points) > 0 && opt.BaselineDate.IsZero() {
			spec := courseSpec{line: l.Number, start: l.Start, baselineAt: l.Start}
			if i+1 < len(lines) {
				spec.cutoff = lines[i+1].Start
			}
			r, ic := addCourses(spec, l.Immunotherapy, i == len(lines)-1)
			l.BestResponse, l.Progression = r.BestOverall, r.Progression
			if ic != nil {
				l.BestResponseIRECIST = ic.BestOverall
			}
		}
		t.Lines = append(t.Lines, *l)
	}
	if !opt.BaselineDate.IsZero() {
		markerAt, markerFor = opt.BaselineDate, "the chosen baseline date "+day(opt.BaselineDate)
	} else if n := len(lines); n > 0 {
		markerAt, markerFor = lines[n-1].Start, fmt.Sprintf("the start of line %d on %s", n, day(lines[n-1].Start))
	}
	t.Markers = markers(v, markerAt, markerFor, &opt)
	t.Samples, t.VAF = somatic(v)
	t.History = history(t, ls)
	return t
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// Event is one item of the patient's oncology history.
type Event struct {
	Time time.Time `json:"time"`
	// Kind is diagnosis, stage, diseaseStatus, therapy, assessment,
	// progression, marker or variant.
	Kind      string   `json:"kind"`
	Summary   string   `json:"summary"`
	EventRefs []string `json:"eventRefs"`
}

var kindOrder = map[string]int{
	"diagnosis": 0, "stage": 1, "variant": 2, "therapy": 3, "assessment": 4, "progression": 5,
	"diseaseStatus": 6, "marker": 7,
}

// history builds the one ordered story.
func history(t *Result, ls *lesionSet) []Event {
	out := []Event{}
	add := func(tm time.Time, kind, summary string, refs ...string) {
		if tm.IsZero() {
			return
		}
		out = append(out, Event{Time: tm, Kind: kind, Summary: summary, EventRefs: nonEmpty(refs)})
	}
	for _, c := range t.Cancers {
		if c.Onset == nil {
			continue
		}
		name := c.Display
		if name == "" {
			name = c.Code
		}
		detail := []string{c.Category}
		if c.Site != "" {
			detail = append(detail, c.Site)
		}
		if c.Histology != "" {
			detail = append(detail, c.Histology)
		}
		add(*c.Onset, "diagnosis", fmt.Sprintf("Diagnosis: %s (%s)", name, strings.Join(detail, ", ")), c.EventRef)
	}
	for _, s := range t.Stages {
		var parts []string
		if s.Group != "" {
			parts = append(parts, "stage "+s.Group)
		}
		for _, x := range []string{s.T, s.N, s.M} {
			if x != "" {
				parts = append(parts, x)
			}
		}
		add(s.Time, "stage", fmt.Sprintf("TNM staging (%s): %s", s.Type, strings.Join(parts, " ")), s.EventRefs...)
	}
	for _, s := range t.DiseaseStatus {
		add(s.Time, "diseaseStatus", "Cancer disease status: "+s.Status, s.EventRef)
	}
	for _, l := range t.Lines {
		var refs, regimen []string
		for _, a := range l.Agents {
			if !a.Added {
				regimen = append(regimen, a.Name)
				refs = append(refs, a.EventRefs[0])
			}
		}
		add(l.Start, "therapy", fmt.Sprintf("Line %d started: %s (%s)", l.Number, strings.Join(regimen, " + "), l.Reason), refs...)
		for _, a := range l.Agents {
			if a.Added {
				add(a.First, "therapy", fmt.Sprintf("Line %d: %s added", l.Number, a.Name), a.EventRefs[0])
			}
		}
		summary := fmt.Sprintf("Line %d: last exposure", l.Number)
		if l.BestResponse != "" {
			summary += "; best overall response " + string(l.BestResponse)
		}
		if !l.End.Equal(l.Start) {
			add(l.End, "therapy", summary)
		}
	}
	// Assessments: the RECIST (and iRECIST) outcome of each time point.
	type outcome struct {
		course *Course
		o      *TimePointOutcome
	}
	byTime := map[time.Time][]outcome{}
	baseOf := map[time.Time][]*Course{}
	for _, c := range t.Courses {
		if c.Baseline != nil {
			baseOf[c.Baseline.Time] = append(baseOf[c.Baseline.Time], c)
		}
		for i := range c.TimePoints {
			byTime[c.TimePoints[i].Time] = append(byTime[c.TimePoints[i].Time], outcome{c, &c.TimePoints[i]})
		}
		if c.Progression != nil {
			basis := ""
			for _, o := range c.TimePoints {
				if o.Time.Equal(*c.Progression) {
					basis = o.Reason
				}
			}
			add(*c.Progression, "progression", fmt.Sprintf("Progression (%s, line %d): %s", c.Criteria, c.Line, basis), refsOf(c, *c.Progression)...)
		}
	}
	for _, tp := range ls.points {
		var parts []string
		for _, c := range baseOf[tp.time] {
			if c.Criteria == CriteriaRECIST {
				parts = append(parts, fmt.Sprintf("baseline for line %d: %d target(s), sum %.1f mm, %d non-target(s)", c.Line, len(c.Baseline.Targets), c.Baseline.SumMM, len(c.Baseline.NonTargets)))
			}
		}
		for _, oc := range byTime[tp.time] {
			s := fmt.Sprintf("%s %s", oc.course.Criteria, oc.o.Overall)
			if oc.o.SumMM != nil && oc.o.PctFromBaseline != nil {
				s += fmt.Sprintf(" (sum %.1f mm, %+.1f %% from baseline)", *oc.o.SumMM, *oc.o.PctFromBaseline)
			}
			if oc.o.NewLesions {
				s += ", new lesion(s) " + strings.Join(oc.o.NewLesionIDs, ", ")
			}
			parts = append(parts, s)
		}
		if len(parts) == 0 {
			parts = append(parts, fmt.Sprintf("%d lesion(s) measured", len(tp.byTrack)))
		}
		var refs []string
		for _, r := range tp.byTrack {
			refs = append(refs, r.ref)
		}
		sort.Strings(refs)
		add(tp.time, "assessment", "Imaging assessment: "+strings.Join(parts, "; "), refs...)
	}
	for _, m := range t.Markers {
		for _, in := range m.Series {
			add(in.Time, "marker", fmt.Sprintf("%s %g %s", m.Display, in.Value, in.Unit), in.EventRef)
		}
	}
	for _, s := range t.Samples {
		if s.Time == nil {
			continue
		}
		var parts, refs []string
		for _, v := range s.Variants {
			name := v.Gene
			if v.Protein != "" {
				name += " " + v.Protein
			}
			if v.AlleleFraction != nil {
				name += fmt.Sprintf(" (VAF %.2f)", *v.AlleleFraction)
			}
			if v.Actionable != nil {
				name += " [actionable: " + v.Actionable.Alteration + "]"
			}
			parts = append(parts, name)
			refs = append(refs, v.EventRef)
		}
		add(*s.Time, "variant", fmt.Sprintf("Somatic variants in sample %s: %s", s.Sample, strings.Join(parts, "; ")), refs...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		return kindOrder[out[i].Kind] < kindOrder[out[j].Kind]
	})
	return out
}

func refsOf(c *Course, t time.Time) []string {
	for _, o := range c.TimePoints {
		if o.Time.Equal(t) {
			var refs []string
			for _, m := range o.Measurements {
				if m.EventRef != "" {
					refs = append(refs, m.EventRef)
				}
			}
			return refs
		}
	}
	return nil
}

func nonEmpty(ss []string) []string {
	out := []string{}
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Twin returns the oncology twin for the twin registry (twin.Compute and
// `medtwin twin --json`, key "oncology").
func Twin(opt Options) twin.Twin {
	return twin.Twin{Name: "oncology", Compute: func(v *twin.View) (any, error) { return Compute(v, opt), nil }}
}
