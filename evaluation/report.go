package evaluation

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/medtwin/medtwin/agreement"
)

// Report is the evaluation of one tool.
type Report struct {
	Algorithm string     `json:"algorithm"`
	Version   string     `json:"version,omitempty"` // the version filter, when one was given
	AsOf      *time.Time `json:"asOf,omitempty"`
	KnownBy   *time.Time `json:"knownBy,omitempty"`
	From      *time.Time `json:"from,omitempty"`
	To        *time.Time `json:"to,omitempty"`
	// Reference names the human reference of numeric agreement.
	Reference    string           `json:"reference"`
	PairingRules []Rule           `json:"pairingRules"`
	Subjects     int              `json:"subjects"`
	Studies      int              `json:"studies"`
	Versions     []VersionSpan    `json:"versions"`
	Quantities   []QuantityReport `json:"quantities"`
	Categories   []CategoryReport `json:"categories"`
	Labels       []LabelReport    `json:"labels"`
	// Excluded counts assessments left out of a comparison, by reason.
	Excluded map[string]int `json:"excluded,omitempty"`
	Settings Settings       `json:"settings"`
	Notes    []string       `json:"notes"`

	// Pairs, CategoryCases and LabelCases are the rows behind the
	// figures (Records serves them as Arrow tables).
	Pairs         []Pair         `json:"-"`
	CategoryCases []CategoryCase `json:"-"`
	LabelCases    []LabelCase    `json:"-"`
}

// Settings echo the options that shape the figures.
type Settings struct {
	Alpha              float64 `json:"alpha"`
	MinPairs           int     `json:"minPairs"`
	MatchMaxDistanceMM float64 `json:"matchMaxDistanceMm"`
	Confidence         float64 `json:"confidence"`
}

// VersionSpan is one version of the tool as the data show it.
type VersionSpan struct {
	Version string    `json:"version"`
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
	Outputs int       `json:"outputs"`
}

// Pairing counts a quantity's outputs by what the pairing found.
type Pairing struct {
	// Outputs are the tool's values; Paired of them found a reference,
	// AIOnly did not; ReferenceOnly are radiologist values of the same
	// quantity in studies the tool read that it did not match (for
	// lesions: findings it missed).
	Outputs       int            `json:"outputs"`
	Paired        int            `json:"paired"`
	AIOnly        int            `json:"aiOnly"`
	ReferenceOnly int            `json:"referenceOnly"`
	ByRule        map[string]int `json:"byRule"`
	// MultiReader counts pairs whose reference is the mean of several
	// radiologist readings.
	MultiReader int `json:"multiReader,omitempty"`
}

func (p *Pairing) add(x *Pair) {
	switch x.Status {
	case StatusPaired:
		p.Outputs++
		p.Paired++
		if p.ByRule == nil {
			p.ByRule = map[string]int{}
		}
		p.ByRule[x.Rule]++
		if x.References > 1 {
			p.MultiReader++
		}
	case StatusAIOnly:
		p.Outputs++
		p.AIOnly++
	case StatusReferenceOnly:
		p.ReferenceOnly++
	}
}

// Agreement is the numeric agreement of paired values (tool − reference).
type Agreement struct {
	N           int                     `json:"n"`
	BlandAltman *agreement.BA           `json:"blandAltman,omitempty"`
	ICC21       *agreement.ICC          `json:"icc21,omitempty"`
	ICC31       *agreement.ICC          `json:"icc31,omitempty"`
	Errors      *agreement.ErrorSummary `json:"errors,omitempty"`
	// NotComputable says why figures are missing.
	NotComputable string `json:"notComputable,omitempty"`
}

// Stratum is the agreement of one version, site, scanner or month.
type Stratum struct {
	Dimension string    `json:"dimension"`
	Value     string    `json:"value"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	Pairing   Pairing   `json:"pairing"`
	Agreement
}

// QuantityReport is everything about one quantity the tool outputs.
type QuantityReport struct {
	Quantity  string    `json:"quantity"`
	Unit      string    `json:"unit"`
	Pairing   Pairing   `json:"pairing"`
	Overall   Agreement `json:"overall"`
	ByVersion []Stratum `json:"byVersion"`
	BySite    []Stratum `json:"bySite"`
	ByScanner []Stratum `json:"byScanner"`
	ByMonth   []Stratum `json:"byMonth"`
	// Drift is the least-squares slope of the differences against time
	// (per year), with an unlabelled change point in their mean.
	Drift *Drift `json:"drift,omitempty"`
	// ChangePoints compare agreement before and after each new version and
	// for each new scanner.
	ChangePoints []ChangePoint `json:"changePoints"`
}

// Drift is the trend of the differences over time.
type Drift struct {
	PerYear agreement.Slope `json:"perYear"`
	// Shift is the OLS-CUSUM test for one change in the mean difference,
	// located in time; Flagged when its p value is below alpha.
	Shift   *agreement.Shift `json:"shift,omitempty"`
	ShiftAt *time.Time       `json:"shiftAt,omitempty"`
	Flagged bool             `json:"flagged"`
	// Coincides names a version or scanner change within 31 days of the
	// located shift.
	Coincides string `json:"coincides,omitempty"`
}

// ChangePoint compares agreement across a change of version or scanner.
type ChangePoint struct {
	Dimension string    `json:"dimension"` // version or scanner
	From      string    `json:"from"`
	To        string    `json:"to"`
	At        time.Time `json:"at"`
	// Bias compares the mean differences (after − before, Welch), Spread
	// their variances (after / before, F test).
	Bias    agreement.TwoSample    `json:"bias"`
	Spread  agreement.VarianceTest `json:"spread"`
	Flagged bool                   `json:"flagged"`
	Reason  string                 `json:"reason"`
}

// CategoryReport is how often the tool's values change a clinical category.
type CategoryReport struct {
	Scheme string `json:"scheme"`
	// Rule says how the two categories were formed.
	Rule string `json:"rule"`
	// Changed is the share of assessments whose category differs (Wilson
	// interval); Confusion lists reference → tool category counts.
	Changed   agreement.Proportion `json:"changed"`
	Confusion []CategoryCell       `json:"confusion"`
	ByVersion []CategoryStratum    `json:"byVersion"`
}

// CategoryCell is one cell of a category cross-table.
type CategoryCell struct {
	Reference string `json:"reference"`
	AI        string `json:"ai"`
	N         int    `json:"n"`
}

// CategoryStratum is a category comparison of one version.
type CategoryStratum struct {
	Version string               `json:"version"`
	Changed agreement.Proportion `json:"changed"`
}

// LabelReport is the accuracy of one yes/no call against one reference
// standard.
type LabelReport struct {
	Label string `json:"label"`
	// Notes say which measures are not defined and why.
	Notes     []string            `json:"notes,omitempty"`
	Reference string              `json:"reference"`
	Level     string              `json:"level"`
	Quantity  string              `json:"quantity"`
	Confusion agreement.Confusion `json:"confusion"`
	Accuracy  agreement.Accuracy  `json:"accuracy"`
	ByVersion []LabelStratum      `json:"byVersion"`
}

// LabelStratum is a label's accuracy for one version.
type LabelStratum struct {
	Version   string              `json:"version"`
	Confusion agreement.Confusion `json:"confusion"`
	Accuracy  agreement.Accuracy  `json:"accuracy"`
}

// Aggregator builds a Report from per-patient results. Not safe for
// concurrent use.
type Aggregator struct {
	opt      Options
	rep      Report
	studies  map[string]bool
	subjects map[int64]bool
}

// NewAggregator starts a report for opt (defaults filled in).
func NewAggregator(opt Options) (*Aggregator, error) {
	o, err := opt.fill()
	if err != nil {
		return nil, err
	}
	a := &Aggregator{opt: o, studies: map[string]bool{}, subjects: map[int64]bool{}}
	a.rep = Report{Algorithm: o.Algorithm, Version: o.Version, AsOf: optTime(o.AsOf), KnownBy: optTime(o.KnownBy),
		From: optTime(o.From), To: optTime(o.To), Reference: RefRadiologist, PairingRules: PairingRules(o.MatchMaxDistanceMM),
		Excluded: map[string]int{}, Settings: Settings{Alpha: o.Alpha, MinPairs: o.MinPairs,
			MatchMaxDistanceMM: o.MatchMaxDistanceMM, Confidence: agreement.Confidence}}
	return a, nil
}

// Options returns the filled-in options.
func (a *Aggregator) Options() *Options { return &a.opt }

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Add adds one patient's result.
func (a *Aggregator) Add(r SubjectResult) {
	if len(r.Pairs) == 0 {
		return
	}
	a.subjects[r.Subject] = true
	for _, p := range r.Pairs {
		a.studies[fmt.Sprint(p.Subject, "/", p.Study)] = true
	}
	a.rep.Pairs = append(a.rep.Pairs, r.Pairs...)
	a.rep.CategoryCases = append(a.rep.CategoryCases, r.Categories...)
	a.rep.LabelCases = append(a.rep.LabelCases, r.Labels...)
	for k, n := range r.Excluded {
		a.rep.Excluded[k] += n
	}
}

// Report computes the figures.
func (a *Aggregator) Report() *Report {
	rep := &a.rep
	rep.Subjects, rep.Studies = len(a.subjects), len(a.studies)
	rep.Notes = []string{}
	sort.SliceStable(rep.Pairs, func(i, j int) bool {
		if !rep.Pairs[i].Time.Equal(rep.Pairs[j].Time) {
			return rep.Pairs[i].Time.Before(rep.Pairs[j].Time)
		}
		if rep.Pairs[i].Subject != rep.Pairs[j].Subject {
			return rep.Pairs[i].Subject < rep.Pairs[j].Subject
		}
		return rep.Pairs[i].Study < rep.Pairs[j].Study
	})
	rep.Versions = versionSpans(rep.Pairs)
	byQ := map[string][]*Pair{}
	var qs []string
	for i := range rep.Pairs {
		p := &rep.Pairs[i]
		if _, ok := byQ[p.Quantity]; !ok {
			qs = append(qs, p.Quantity)
		}
		byQ[p.Quantity] = append(byQ[p.Quantity], p)
	}
	sort.Strings(qs)
	rep.Quantities = []QuantityReport{}
	for _, q := range qs {
		ps := byQ[q]
		qr := a.quantity(q, ps)
		if qr.Pairing.Outputs == 0 {
			continue // radiologist values of a quantity the tool never gave
		}
		rep.Quantities = append(rep.Quantities, qr)
	}
	rep.Categories = categoryReports(rep.CategoryCases)
	rep.Labels = labelReports(rep.LabelCases)
	if len(rep.Pairs) == 0 {
		rep.Notes = append(rep.Notes, "no outputs of the algorithm in the data read")
	}
	if len(rep.Excluded) == 0 {
		rep.Excluded = nil
	}
	return rep
}

func versionSpans(ps []Pair) []VersionSpan {
	idx := map[string]int{}
	var out []VersionSpan
	for _, p := range ps {
		if p.Status == StatusReferenceOnly {
			continue
		}
		i, ok := idx[p.Version]
		if !ok {
			out = append(out, VersionSpan{Version: p.Version, First: p.Time, Last: p.Time})
			i = len(out) - 1
			idx[p.Version] = i
		}
		v := &out[i]
		v.Outputs++
		if p.Time.Before(v.First) {
			v.First = p.Time
		}
		if p.Time.After(v.Last) {
			v.Last = p.Time
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].First.Before(out[j].First) })
	return out
}

// quantity computes one quantity's report from its pairs (in time order).
func (a *Aggregator) quantity(q string, ps []*Pair) QuantityReport {
	qr := QuantityReport{Quantity: q, ByVersion: []Stratum{}, BySite: []Stratum{}, ByScanner: []Stratum{}, ByMonth: []Stratum{},
		ChangePoints: []ChangePoint{}}
	for _, p := range ps {
		if p.Status != StatusReferenceOnly && qr.Unit == "" {
			qr.Unit = p.Unit
		}
		qr.Pairing.add(p)
	}
	flag := isFlag(q)
	qr.Overall = a.agreementOf(ps, flag)
	// Reference-only values carry no version: they count for the stratum
	// of their study's outputs (same time, site, scanner).
	qr.ByVersion = a.strata("version", ps, func(p *Pair) string { return p.Version }, flag)
	qr.BySite = a.strata("site", ps, func(p *Pair) string { return p.Site }, flag)
	qr.ByScanner = a.strata("scanner", ps, func(p *Pair) string { return p.Scanner }, flag)
	qr.ByMonth = a.strata("month", ps, func(p *Pair) string { return p.Time.UTC().Format("2006-01") }, flag)
	sort.SliceStable(qr.ByMonth, func(i, j int) bool { return qr.ByMonth[i].Value < qr.ByMonth[j].Value })
	sort.SliceStable(qr.BySite, func(i, j int) bool { return qr.BySite[i].Value < qr.BySite[j].Value })
	if !flag {
		qr.Drift = a.drift(ps)
		qr.ChangePoints = append(qr.ChangePoints, a.changes("version", ps, func(p *Pair) string { return p.Version })...)
		qr.ChangePoints = append(qr.ChangePoints, a.changes("scanner", ps, func(p *Pair) string { return p.Scanner })...)
		if qr.Drift != nil && qr.Drift.ShiftAt != nil {
			for _, c := range qr.ChangePoints {
				if d := qr.Drift.ShiftAt.Sub(c.At); d < 31*day && d > -31*day {
					qr.Drift.Coincides = fmt.Sprintf("%s %s → %s on %s", c.Dimension, c.From, c.To, c.At.UTC().Format("2006-01-02"))
					break
				}
			}
		}
	}
	return qr
}

func paired(ps []*Pair) (ai, ref []float64) {
	for _, p := range ps {
		if p.Status == StatusPaired {
			ai = append(ai, p.AI)
			ref = append(ref, p.Reference)
		}
	}
	return ai, ref
}

func (a *Aggregator) agreementOf(ps []*Pair, flag bool) Agreement {
	ai, ref := paired(ps)
	ag := Agreement{N: len(ai)}
	if flag {
		ag.NotComputable = "a yes/no output: see labels"
		return ag
	}
	if len(ai) < a.opt.MinPairs {
		ag.NotComputable = fmt.Sprintf("%d pairs, fewer than %d", len(ai), a.opt.MinPairs)
		return ag
	}
	if ba, err := agreement.BlandAltman(ai, ref); err == nil {
		ag.BlandAltman = &ba
	}
	rows := make([][]float64, len(ai))
	for i := range ai {
		rows[i] = []float64{ai[i], ref[i]}
	}
	if icc, err := agreement.IntraclassCorrelation(rows); err == nil {
		ag.ICC21, ag.ICC31 = &icc.ICC21, &icc.ICC31
	}
	if e, err := agreement.Errors(ai, ref); err == nil {
		ag.Errors = &e
	}
	return ag
}

func (a *Aggregator) strata(dim string, ps []*Pair, key func(*Pair) string, flag bool) []Stratum {
	// A reference-only value takes the stratum of the outputs of its study.
	studyKey := map[string]string{}
	for _, p := range ps {
		if p.Status != StatusReferenceOnly {
			studyKey[fmt.Sprint(p.Subject, "/", p.Study)] = key(p)
		}
	}
	idx := map[string]int{}
	var groups [][]*Pair
	var names []string
	for _, p := range ps {
		k := key(p)
		if p.Status == StatusReferenceOnly {
			k = studyKey[fmt.Sprint(p.Subject, "/", p.Study)]
		}
		i, ok := idx[k]
		if !ok {
			i = len(groups)
			idx[k] = i
			groups = append(groups, nil)
			names = append(names, k)
		}
		groups[i] = append(groups[i], p)
	}
	out := make([]Stratum, 0, len(groups))
	for i, g := range groups {
		s := Stratum{Dimension: dim, Value: names[i], First: g[0].Time, Last: g[len(g)-1].Time}
		for _, p := range g {
			s.Pairing.add(p)
		}
		s.Agreement = a.agreementOf(g, flag)
		out = append(out, s)
	}
	return out
}

// drift fits the differences against time (years since the first pair)
// and tests them for one change in the mean.
func (a *Aggregator) drift(ps []*Pair) *Drift {
	var x, y []float64
	var times []time.Time
	for _, p := range ps {
		if p.Status != StatusPaired {
			continue
		}
		times = append(times, p.Time)
		x = append(x, p.Time.Sub(times[0]).Hours()/24/365.25)
		y = append(y, p.Diff())
	}
	if len(y) < max(3, a.opt.MinPairs) {
		return nil
	}
	slope, err := agreement.Trend(x, y)
	if err != nil {
		return nil
	}
	d := &Drift{PerYear: slope}
	if len(y) >= 2*a.opt.MinPairs {
		if sh, err := agreement.MeanShift(y, a.opt.MinPairs); err == nil {
			d.Shift = &sh
			at := times[sh.At]
			d.ShiftAt = &at
			d.Flagged = sh.P < a.opt.Alpha
		}
	}
	return d
}

// changes compares agreement across the values of a dimension in order of
// first appearance: each version against the one before it, each scanner
// that appears later against the pairs of other scanners before its first
// study.
func (a *Aggregator) changes(dim string, ps []*Pair, key func(*Pair) string) []ChangePoint {
	type group struct {
		name  string
		first time.Time
		diffs []float64
	}
	idx := map[string]*group{}
	var order []*group
	for _, p := range ps {
		if p.Status == StatusReferenceOnly {
			continue
		}
		k := key(p)
		g := idx[k]
		if g == nil {
			g = &group{name: k, first: p.Time} // the first output, paired or not
			idx[k] = g
			order = append(order, g)
		}
		if p.Status == StatusPaired {
			g.diffs = append(g.diffs, p.Diff())
		}
	}
	var out []ChangePoint
	for i := 1; i < len(order); i++ {
		to := order[i]
		var before []float64
		from := order[i-1].name
		if dim == "version" {
			before = order[i-1].diffs
		} else {
			from = "other scanners before"
			for _, p := range ps {
				if p.Status == StatusPaired && key(p) != to.name && p.Time.Before(to.first) {
					before = append(before, p.Diff())
				}
			}
		}
		if len(before) < a.opt.MinPairs || len(to.diffs) < a.opt.MinPairs {
			continue
		}
		c := ChangePoint{Dimension: dim, From: from, To: to.name, At: to.first}
		var err error
		if c.Bias, err = agreement.Welch(before, to.diffs); err != nil {
			continue
		}
		c.Spread, _ = agreement.VarianceRatio(before, to.diffs)
		biasChanged := c.Bias.P < a.opt.Alpha
		spreadChanged := !math.IsNaN(c.Spread.P) && c.Spread.P < a.opt.Alpha
		c.Flagged = biasChanged || spreadChanged
		switch {
		case biasChanged && spreadChanged:
			c.Reason = fmt.Sprintf("bias moved by %.3g (p = %.2g) and the spread of differences changed ×%.3g in variance (p = %.2g)",
				c.Bias.Diff, c.Bias.P, c.Spread.Ratio, c.Spread.P)
		case biasChanged:
			c.Reason = fmt.Sprintf("bias moved by %.3g (p = %.2g)", c.Bias.Diff, c.Bias.P)
		case spreadChanged:
			c.Reason = fmt.Sprintf("the spread of differences changed ×%.3g in variance (p = %.2g)", c.Spread.Ratio, c.Spread.P)
		default:
			c.Reason = fmt.Sprintf("no change at α = %g (bias p = %.2g, spread p = %.2g)", a.opt.Alpha, c.Bias.P, c.Spread.P)
		}
		out = append(out, c)
	}
	return out
}

func categoryReports(cs []CategoryCase) []CategoryReport {
	rules := map[string]string{
		SchemeRECIST:    "oncology twin (RECIST 1.1) on the radiologist's lesions, and on the same lesions with the tool's paired long (nodes: short) axis in place of the radiologist's; lesions the tool did not measure keep the radiologist's value, its unpaired findings are not added; assessments the tool measured",
		SchemeSteatosis: "twin/liver's unenhanced-CT categories (Boyce 2010, Pickhardt 2012, ACR) from the radiologist's and from the tool's liver attenuation of the same study; the spleen is used when both sides measured it; contrast-enhanced studies excluded",
	}
	byScheme := map[string][]CategoryCase{}
	var schemes []string
	for _, c := range cs {
		if _, ok := byScheme[c.Scheme]; !ok {
			schemes = append(schemes, c.Scheme)
		}
		byScheme[c.Scheme] = append(byScheme[c.Scheme], c)
	}
	sort.Strings(schemes)
	out := []CategoryReport{}
	for _, s := range schemes {
		g := byScheme[s]
		r := CategoryReport{Scheme: s, Rule: rules[s], Confusion: []CategoryCell{}, ByVersion: []CategoryStratum{}}
		cells := map[[2]string]int{}
		changed := 0
		vers := map[string][2]int{}
		var vorder []string
		for _, c := range g {
			cells[[2]string{c.Reference, c.AI}]++
			v := vers[c.Version]
			if _, ok := vers[c.Version]; !ok {
				vorder = append(vorder, c.Version)
			}
			v[1]++
			if c.Reference != c.AI {
				changed++
				v[0]++
			}
			vers[c.Version] = v
		}
		r.Changed, _ = agreement.Wilson(changed, len(g))
		for k, n := range cells {
			r.Confusion = append(r.Confusion, CategoryCell{Reference: k[0], AI: k[1], N: n})
		}
		sort.Slice(r.Confusion, func(i, j int) bool {
			if r.Confusion[i].Reference != r.Confusion[j].Reference {
				return r.Confusion[i].Reference < r.Confusion[j].Reference
			}
			return r.Confusion[i].AI < r.Confusion[j].AI
		})
		for _, v := range vorder {
			p, _ := agreement.Wilson(vers[v][0], vers[v][1])
			r.ByVersion = append(r.ByVersion, CategoryStratum{Version: v, Changed: p})
		}
		out = append(out, r)
	}
	return out
}

// accuracyAt computes a table's accuracy; at lesion level specificity and
// NPV have no true negatives to stand on and are left not computable.
func accuracyAt(c agreement.Confusion, level string) agreement.Accuracy {
	a := c.Accuracy()
	if level == "lesion" {
		none, _ := agreement.Wilson(0, 0)
		a.Specificity, a.NPV, a.Prevalence, a.Agreement = none, none, none, none
	}
	return a
}

func labelReports(ls []LabelCase) []LabelReport {
	type k struct{ label, ref, level, q string }
	// Lesion detection is counted on one quantity: the long axis when the
	// tool gives it (a lesion measured twice is still one finding).
	detQ := ""
	for _, l := range ls {
		if l.Label == LabelLesionDetection && (detQ == "" || l.Quantity == "lesion_long_axis" || (detQ != "lesion_long_axis" && l.Quantity < detQ)) {
			detQ = l.Quantity
		}
	}
	groups := map[k][]LabelCase{}
	var keys []k
	for _, l := range ls {
		if l.Label == LabelLesionDetection && l.Quantity != detQ {
			continue
		}
		key := k{l.Label, l.Reference, l.Level, l.Quantity}
		if _, ok := groups[key]; !ok {
			keys = append(keys, key)
		}
		groups[key] = append(groups[key], l)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].label != keys[j].label {
			return keys[i].label < keys[j].label
		}
		return keys[i].ref < keys[j].ref
	})
	out := []LabelReport{}
	for _, key := range keys {
		g := groups[key]
		r := LabelReport{Label: key.label, Reference: key.ref, Level: key.level, Quantity: key.q, ByVersion: []LabelStratum{}}
		vers := map[string]*agreement.Confusion{}
		var vorder []string
		for _, l := range g {
			r.Confusion.Add(l.Test, l.Truth)
			c := vers[l.Version]
			if c == nil {
				c = &agreement.Confusion{}
				vers[l.Version] = c
				vorder = append(vorder, l.Version)
			}
			c.Add(l.Test, l.Truth)
		}
		r.Accuracy = accuracyAt(r.Confusion, key.level)
		for _, v := range vorder {
			r.ByVersion = append(r.ByVersion, LabelStratum{Version: v, Confusion: *vers[v], Accuracy: accuracyAt(*vers[v], key.level)})
		}
		if key.level == "lesion" {
			r.Notes = append(r.Notes, "lesion level: there are no true negatives (a lesion neither side saw is not counted), so specificity and NPV are not defined")
		}
		out = append(out, r)
	}
	return out
}
