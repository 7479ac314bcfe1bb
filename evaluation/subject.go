package evaluation

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/medtwin/medtwin/oncology"
	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
	"github.com/medtwin/medtwin/twin/liver"
)

// Category schemes compared.
const (
	SchemeRECIST    = "RECIST 1.1 overall response"
	SchemeSteatosis = "CT liver steatosis category"
)

// CategoryCase is one assessment categorised from the radiologist's values
// and from the tool's.
type CategoryCase struct {
	Scheme    string    `json:"scheme"`
	Subject   int64     `json:"subjectId"`
	Study     string    `json:"study"`
	Time      time.Time `json:"time"`
	Version   string    `json:"version,omitempty"`
	Site      string    `json:"site"`
	Scanner   string    `json:"scanner"`
	Reference string    `json:"reference"`
	AI        string    `json:"ai"`
}

// LabelCase is one binary call of the tool against a reference standard.
type LabelCase struct {
	Label     string    `json:"label"`
	Reference string    `json:"reference"` // the reference standard, named
	Level     string    `json:"level"`     // lesion or study
	Quantity  string    `json:"quantity"`
	Subject   int64     `json:"subjectId"`
	Study     string    `json:"study"`
	Time      time.Time `json:"time"`
	Version   string    `json:"version,omitempty"`
	Site      string    `json:"site"`
	Scanner   string    `json:"scanner"`
	Test      bool      `json:"test"`
	Truth     bool      `json:"truth"`
}

// SubjectResult is the evaluation of one patient: every pair, category
// comparison and label call. It is what Evaluate aggregates.
type SubjectResult struct {
	Subject    int64
	Pairs      []Pair
	Categories []CategoryCase
	Labels     []LabelCase
	// Excluded counts assessments left out of a category comparison, by
	// reason.
	Excluded map[string]int
}

// Reference standards named in results.
const (
	RefRadiologist          = "radiologist measurements of the same study (values without an algorithm: DICOM SR, FHIR)"
	RefRadiologistLesions   = "radiologist lesions of the same study (pairing rules)"
	RefRadiologistSteatosis = "radiologist liver (and spleen) attenuation of the same study, same thresholds"
	LabelLesionDetection    = "lesion detected"
	LabelSteatosis          = "moderate–severe steatosis"
)

// EvaluateSubject evaluates the tool on one patient's view. It is a pure
// function of the view and the options (Options.fill must have run: use
// Evaluate, or DefaultOptions).
func EvaluateSubject(v *twin.View, opt *Options) SubjectResult {
	res := SubjectResult{Subject: v.Subject, Excluded: map[string]int{}}
	ai, ref, studies := collect(v, opt)
	if len(ai) == 0 {
		return res
	}
	// Group by study; a study counts when the tool output something in it
	// (within the chosen time window).
	byStudy := map[string][2][]*measurement{}
	var keys []string
	for _, m := range ai {
		if !inWindow(m.time, opt) {
			continue
		}
		g, ok := byStudy[m.study]
		if !ok {
			keys = append(keys, m.study)
		}
		g[0] = append(g[0], m)
		byStudy[m.study] = g
	}
	for _, m := range ref {
		if g, ok := byStudy[m.study]; ok {
			g[1] = append(g[1], m)
			byStudy[m.study] = g
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		ti, tj := byStudy[keys[i]][0][0].time, byStudy[keys[j]][0][0].time
		if !ti.Equal(tj) {
			return ti.Before(tj)
		}
		return keys[i] < keys[j]
	})
	diagnoses := v.Events(timeline.KindDiagnosis)
	for _, k := range keys {
		g := byStudy[k]
		st := studies[k]
		if st == nil {
			st = &studyInfo{}
		}
		site, scanner := firstOf(st.site, settingOf(g[0], "institution", "site")), firstOf(st.scanner, settingOf(g[0], "scanner"))
		if site == "" {
			site = "unknown"
		}
		if scanner == "" {
			scanner = "unknown"
		}
		version := g[0][0].version
		when := g[0][0].time
		ps := pairStudy(g[0], g[1], opt.MatchMaxDistanceMM)
		for i := range ps {
			p := &ps[i]
			p.Subject, p.Study, p.Site, p.Scanner, p.Contrast = v.Subject, k, site, scanner, st.contrast
			if p.Version == "" {
				p.Version = version
			}
		}
		res.Pairs = append(res.Pairs, ps...)
		sv := studyValues(ps, st.contrast)
		stamp := func(l *LabelCase) {
			l.Subject, l.Study, l.Time, l.Version, l.Site, l.Scanner = v.Subject, k, when, version, site, scanner
		}
		// Lesion detection against the radiologist, lesion by lesion.
		for _, p := range ps {
			if !lesionScoped(p.Quantity) {
				continue
			}
			l := LabelCase{Label: LabelLesionDetection, Reference: RefRadiologistLesions, Level: "lesion", Quantity: p.Quantity,
				Test: p.Status != StatusReferenceOnly, Truth: p.Status != StatusAIOnly}
			stamp(&l)
			res.Labels = append(res.Labels, l)
		}
		// Flags read by both.
		for _, p := range ps {
			if !isFlag(p.Quantity) || p.Status != StatusPaired {
				continue
			}
			l := LabelCase{Label: p.Quantity, Reference: RefRadiologist, Level: "study", Quantity: p.Quantity,
				Test: p.AI >= 0.5, Truth: p.Reference >= 0.5}
			stamp(&l)
			res.Labels = append(res.Labels, l)
		}
		// Steatosis: category change and label against the radiologist.
		if _, ok := sv.AI["liver_hu"]; ok {
			if _, ok := sv.Reference["liver_hu"]; ok {
				if st.contrast == "enhanced" || st.contrast == "unknown" {
					res.Excluded[SchemeSteatosis+": contrast-enhanced or phase unknown"]++
				} else {
					refCat, aiCat := steatosisPair(sv)
					c := CategoryCase{Scheme: SchemeSteatosis, Subject: v.Subject, Study: k, Time: when, Version: version,
						Site: site, Scanner: scanner, Reference: refCat, AI: aiCat}
					res.Categories = append(res.Categories, c)
					l := LabelCase{Label: LabelSteatosis, Reference: RefRadiologistSteatosis, Level: "study", Quantity: "liver_hu",
						Test: aiCat == "moderate-severe", Truth: refCat == "moderate-severe"}
					stamp(&l)
					res.Labels = append(res.Labels, l)
				}
			}
		}
		// Outcomes: later diagnoses.
		for i := range opt.Outcomes {
			o := &opt.Outcomes[i]
			if _, ok := sv.AI[o.Quantity]; !ok || o.Positive == nil {
				continue
			}
			test, ok := o.Positive(&sv)
			if !ok {
				res.Excluded[o.Name+": not assessable (contrast-enhanced or phase unknown)"]++
				continue
			}
			l := LabelCase{Label: o.Name, Reference: o.Standard(), Level: "study", Quantity: o.Quantity, Test: test,
				Truth: diagnosed(v, diagnoses, o, when)}
			stamp(&l)
			res.Labels = append(res.Labels, l)
		}
	}
	res.Categories = append(res.Categories, recistCases(v, res.Pairs, opt)...)
	return res
}

func inWindow(t time.Time, opt *Options) bool {
	return (opt.From.IsZero() || !t.Before(opt.From)) && (opt.To.IsZero() || t.Before(opt.To))
}

func settingOf(ms []*measurement, keys ...string) string {
	for _, m := range ms {
		for _, k := range keys {
			if s := m.settings[k]; s != "" {
				return s
			}
		}
	}
	return ""
}

// isFlag reports whether a quantity is a yes/no call (0 or 1).
func isFlag(q string) bool {
	for _, s := range []string{"_flag", "_detected", "_present", "_positive"} {
		if strings.HasSuffix(q, s) {
			return true
		}
	}
	return false
}

// studyValues gathers a study's values by quantity, each side's first.
func studyValues(ps []Pair, contrast string) StudyValues {
	sv := StudyValues{AI: map[string]float64{}, Reference: map[string]float64{}, Contrast: contrast}
	for _, p := range ps {
		if p.Status == StatusPaired || p.Status == StatusAIOnly {
			if _, ok := sv.AI[p.Quantity]; !ok {
				sv.AI[p.Quantity] = p.AI
			}
		}
		if p.Status == StatusPaired {
			if _, ok := sv.Reference[p.Quantity]; !ok {
				sv.Reference[p.Quantity] = p.Reference
			}
		}
	}
	return sv
}

// steatosisPair categorises a study's liver attenuation from each side by
// twin/liver's thresholds; the spleen is used only when both sides have
// it, so that the two categories answer the same question.
func steatosisPair(sv StudyValues) (ref, ai string) {
	var rs, as *float64
	if r, ok := sv.Reference["spleen_hu"]; ok {
		if a, ok := sv.AI["spleen_hu"]; ok {
			rs, as = &r, &a
		}
	}
	ref, _ = liver.Steatosis(sv.Reference["liver_hu"], rs)
	ai, _ = liver.Steatosis(sv.AI["liver_hu"], as)
	return ref, ai
}

// steatosisPositive is the outcome rule of the steatosis label: the tool's
// own liver (and spleen) values in the moderate–severe category, on
// unenhanced CT.
func steatosisPositive(needUnenhanced bool) func(*StudyValues) (bool, bool) {
	return func(s *StudyValues) (bool, bool) {
		if needUnenhanced && (s.Contrast == "enhanced" || s.Contrast == "unknown") {
			return false, false
		}
		l, ok := s.AI["liver_hu"]
		if !ok {
			return false, false
		}
		var sp *float64
		if v, ok := s.AI["spleen_hu"]; ok {
			sp = &v
		}
		c, _ := liver.Steatosis(l, sp)
		return c == "moderate-severe", true
	}
}

// diagnosed reports whether a diagnosis of the outcome was coded within
// its window around t.
func diagnosed(v *twin.View, dx []timeline.Event, o *Outcome, t time.Time) bool {
	lo := t.Add(-o.Before)
	hi := t.Add(o.After)
	for i := range dx {
		e := &dx[i]
		if e.Time.IsZero() || e.Time.After(hi) || (o.Before >= 0 && e.Time.Before(lo)) {
			continue
		}
		for _, c := range o.Codes {
			if set, ok := strings.CutPrefix(c, "set:"); ok {
				if v.Codes.InSet(set, e.Code) {
					return true
				}
			} else if twin.MatchCode(e.Code, c) {
				return true
			}
		}
	}
	return false
}

// recistCases compares RECIST 1.1 overall responses computed by the
// oncology twin from the radiologist's lesion measurements with those
// computed when the tool's paired measurement replaces the radiologist's
// (lesions the tool did not measure keep the radiologist's value; the
// tool's unpaired findings are not added as lesions).
func recistCases(v *twin.View, pairs []Pair, opt *Options) []CategoryCase {
	sub := map[timeline.Key]map[string]float64{}
	version := map[timeline.Key]string{}
	for _, p := range pairs {
		if p.Status != StatusPaired || (p.Quantity != "lesion_long_axis" && p.Quantity != "lesion_short_axis") {
			continue
		}
		if sub[p.ReferenceKey] == nil {
			sub[p.ReferenceKey] = map[string]float64{}
		}
		sub[p.ReferenceKey][p.Quantity] = p.AI
		version[p.ReferenceKey] = p.Version
	}
	if len(sub) == 0 {
		return nil
	}
	d := v.Details()
	var human, tool []timeline.LesionDetail
	changedStudies := map[string]string{} // study → version
	for _, row := range d.Lesions {
		if strings.TrimSpace(row.Algorithm) != "" {
			continue // only the radiologist's lesions make the reference course
		}
		human = append(human, row)
		if s, ok := sub[row.Key]; ok {
			if l, ok := s["lesion_long_axis"]; ok {
				row.LongAxisMM = l
			}
			if sh, ok := s["lesion_short_axis"]; ok {
				row.ShortAxisMM = sh
			}
			if e, ok := v.Event(row.Key); ok {
				changedStudies[studyKey(row.StudyUID, e.Time)] = version[row.Key]
			}
		}
		tool = append(tool, row)
	}
	events := v.Events()
	hd := twin.Details{Variants: d.Variants, Imaging: d.Imaging, Lesions: human}
	td := twin.Details{Variants: d.Variants, Imaging: d.Imaging, Lesions: tool}
	hr := oncology.Compute(twin.NewView(v.Subject, events, hd, v.AsOf, v.Codes), opt.Oncology)
	tr := oncology.Compute(twin.NewView(v.Subject, events, td, v.AsOf, v.Codes), opt.Oncology)
	type tpKey struct {
		line int
		t    int64
	}
	toolTP := map[tpKey]oncology.Response{}
	for _, c := range tr.Courses {
		if c.Criteria != oncology.CriteriaRECIST {
			continue
		}
		for _, tp := range c.TimePoints {
			toolTP[tpKey{c.Line, tp.Time.UnixMicro()}] = tp.Overall
		}
	}
	var out []CategoryCase
	for _, c := range hr.Courses {
		if c.Criteria != oncology.CriteriaRECIST {
			continue
		}
		for _, tp := range c.TimePoints {
			aiResp, ok := toolTP[tpKey{c.Line, tp.Time.UnixMicro()}]
			if !ok || tp.Overall == "" {
				continue
			}
			// Only assessments the tool measured: one of their studies has
			// a replaced measurement.
			study, ver := "", ""
			for _, s := range tp.Studies {
				if vv, ok := changedStudies[s]; ok {
					study, ver = s, vv
					break
				}
			}
			if study == "" || !inWindow(tp.Time, opt) {
				continue
			}
			site, scanner := "unknown", "unknown"
			for _, p := range pairs {
				if p.Study == study {
					site, scanner = p.Site, p.Scanner
					break
				}
			}
			out = append(out, CategoryCase{Scheme: SchemeRECIST, Subject: v.Subject, Study: study, Time: tp.Time,
				Version: ver, Site: site, Scanner: scanner, Reference: string(tp.Overall), AI: string(aiResp)})
		}
	}
	return out
}

func itoa(i int) string     { return strconv.Itoa(i) }
func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
