package model

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/medtwin/medtwin/agreement"
	"github.com/medtwin/medtwin/evaluation"
	"github.com/medtwin/medtwin/pseudo"
)

// AILens is how one caller sees an AI evaluation: identified roles see
// every date and pair as computed; pseudonymised roles see the aggregates'
// dates at the start of their calendar month and the pairs through each
// patient's pseudonym, date shift and keyed tokens.
type AILens struct {
	Identified bool
	Pseudo     *pseudo.Pseudonymizer
}

// Time presents a date of an aggregate (nil for a zero time).
func (l *AILens) Time(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	if !l.Identified {
		t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return &t
}

// AIAlgorithm is one tool version whose outputs a store holds.
type AIAlgorithm struct{ A evaluation.Algorithm }

func (a *AIAlgorithm) Algorithm() string { return a.A.Name }
func (a *AIAlgorithm) Version() string   { return a.A.Version }
func (a *AIAlgorithm) Outputs() int      { return a.A.Outputs }

// AIPairConnection and AIPairEdge are the pairs' connection.
type (
	AIPairConnection = Conn[*AIPair]
	AIPairEdge       = Edge[*AIPair]
)

// AIEvaluation is an evaluation report seen through a lens. Its pairs are
// paginated by the resolver.
type AIEvaluation struct {
	R *evaluation.Report
	L *AILens
}

func (e *AIEvaluation) Algorithm() string { return e.R.Algorithm }
func (e *AIEvaluation) Version() *string  { return strPtr(e.R.Version) }
func (e *AIEvaluation) Reference() string { return e.R.Reference }
func (e *AIEvaluation) Subjects() int     { return e.R.Subjects }
func (e *AIEvaluation) Studies() int      { return e.R.Studies }
func (e *AIEvaluation) Notes() []string   { return nonNil(e.R.Notes) }

func (e *AIEvaluation) PairingRules() []*AIPairingRule {
	out := make([]*AIPairingRule, len(e.R.PairingRules))
	for i, r := range e.R.PairingRules {
		out[i] = &AIPairingRule{Name: r.Name, Description: r.Description}
	}
	return out
}

func (e *AIEvaluation) Versions() []*AIVersionSpan {
	out := make([]*AIVersionSpan, len(e.R.Versions))
	for i := range e.R.Versions {
		v := &e.R.Versions[i]
		out[i] = &AIVersionSpan{Version: v.Version, First: e.L.Time(v.First), Last: e.L.Time(v.Last), Outputs: v.Outputs}
	}
	return out
}

func (e *AIEvaluation) Quantities() []*AIQuantity {
	out := make([]*AIQuantity, len(e.R.Quantities))
	for i := range e.R.Quantities {
		out[i] = &AIQuantity{Q: &e.R.Quantities[i], L: e.L}
	}
	return out
}

func (e *AIEvaluation) Categories() []*AICategoryChange {
	out := make([]*AICategoryChange, len(e.R.Categories))
	for i := range e.R.Categories {
		out[i] = &AICategoryChange{C: &e.R.Categories[i]}
	}
	return out
}

func (e *AIEvaluation) Labels() []*AILabel {
	out := make([]*AILabel, len(e.R.Labels))
	for i := range e.R.Labels {
		out[i] = &AILabel{R: &e.R.Labels[i]}
	}
	return out
}

func (e *AIEvaluation) Excluded() []*AIExclusion {
	out := make([]*AIExclusion, 0, len(e.R.Excluded))
	for k, n := range e.R.Excluded {
		out = append(out, &AIExclusion{Reason: k, N: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Reason < out[j].Reason })
	return out
}

func (e *AIEvaluation) Settings() *AIEvaluationSettings {
	s := e.R.Settings
	return &AIEvaluationSettings{Alpha: s.Alpha, MinPairs: s.MinPairs, MatchMaxDistanceMm: s.MatchMaxDistanceMM, Confidence: s.Confidence}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// AIPairingRule is one pairing rule.
type AIPairingRule struct{ Name, Description string }

// AIVersionSpan is one version of the tool as the data show it.
type AIVersionSpan struct {
	Version     string
	First, Last *time.Time
	Outputs     int
}

// AIExclusion counts assessments left out for one reason.
type AIExclusion struct {
	Reason string
	N      int
}

// AIEvaluationSettings echo the options.
type AIEvaluationSettings struct {
	Alpha              float64
	MinPairs           int
	MatchMaxDistanceMm float64
	Confidence         float64
}

// AIRuleCount is the pairs of one rule.
type AIRuleCount struct {
	Rule string
	N    int
}

// AIPairing counts how outputs were paired.
type AIPairing struct{ P *evaluation.Pairing }

func (p *AIPairing) Outputs() int       { return p.P.Outputs }
func (p *AIPairing) Paired() int        { return p.P.Paired }
func (p *AIPairing) AiOnly() int        { return p.P.AIOnly }
func (p *AIPairing) ReferenceOnly() int { return p.P.ReferenceOnly }
func (p *AIPairing) MultiReader() int   { return p.P.MultiReader }
func (p *AIPairing) ByRule() []*AIRuleCount {
	out := make([]*AIRuleCount, 0, len(p.P.ByRule))
	for r, n := range p.P.ByRule {
		out = append(out, &AIRuleCount{Rule: r, N: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rule < out[j].Rule })
	return out
}

// AIAgreement is numeric agreement of paired values.
type AIAgreement struct{ A *evaluation.Agreement }

func (a *AIAgreement) N() int { return a.A.N }
func (a *AIAgreement) BlandAltman() *BlandAltman {
	if a.A.BlandAltman == nil {
		return nil
	}
	return &BlandAltman{B: a.A.BlandAltman}
}
func (a *AIAgreement) Icc21() *ICC            { return iccOf(a.A.ICC21) }
func (a *AIAgreement) Icc31() *ICC            { return iccOf(a.A.ICC31) }
func (a *AIAgreement) NotComputable() *string { return strPtr(a.A.NotComputable) }
func (a *AIAgreement) Errors() *ErrorSummary {
	if a.A.Errors == nil {
		return nil
	}
	return &ErrorSummary{E: a.A.Errors}
}

func iccOf(i *agreement.ICC) *ICC {
	if i == nil {
		return nil
	}
	return &ICC{I: i}
}

// BlandAltman is a Bland–Altman analysis.
type BlandAltman struct{ B *agreement.BA }

func (b *BlandAltman) N() int                  { return b.B.N }
func (b *BlandAltman) Bias() *float64          { return floatPtr(b.B.Bias) }
func (b *BlandAltman) Sd() *float64            { return floatPtr(b.B.SD) }
func (b *BlandAltman) Multiplier() float64     { return b.B.Multiplier }
func (b *BlandAltman) Lower() *float64         { return floatPtr(b.B.Lower) }
func (b *BlandAltman) Upper() *float64         { return floatPtr(b.B.Upper) }
func (b *BlandAltman) BiasCI() *Interval       { return &Interval{I: b.B.BiasCI} }
func (b *BlandAltman) LowerCI() *Interval      { return &Interval{I: b.B.LowerCI} }
func (b *BlandAltman) UpperCI() *Interval      { return &Interval{I: b.B.UpperCI} }
func (b *BlandAltman) MeanAI() *float64        { return floatPtr(b.B.MeanA) }
func (b *BlandAltman) MeanReference() *float64 { return floatPtr(b.B.MeanB) }

// Interval is a confidence interval.
type Interval struct{ I agreement.Interval }

func (i *Interval) Lower() *float64 { return floatPtr(i.I.Lower) }
func (i *Interval) Upper() *float64 { return floatPtr(i.I.Upper) }

// ICC is an intraclass correlation.
type ICC struct{ I *agreement.ICC }

func (i *ICC) Value() *float64 { return floatPtr(i.I.Value) }
func (i *ICC) Ci() *Interval   { return &Interval{I: i.I.CI} }
func (i *ICC) F() *float64     { return floatPtr(i.I.F) }
func (i *ICC) Df1() *float64   { return floatPtr(i.I.DF1) }
func (i *ICC) Df2() *float64   { return floatPtr(i.I.DF2) }
func (i *ICC) P() *float64     { return floatPtr(i.I.P) }

// ErrorSummary is the error of the tool against the radiologist.
type ErrorSummary struct{ E *agreement.ErrorSummary }

func (e *ErrorSummary) N() int         { return e.E.N }
func (e *ErrorSummary) Mae() *float64  { return floatPtr(e.E.MAE) }
func (e *ErrorSummary) Rmse() *float64 { return floatPtr(e.E.RMSE) }
func (e *ErrorSummary) Mre() *float64  { return floatPtr(e.E.MRE) }
func (e *ErrorSummary) RelativeN() int { return e.E.RelativeN }

// AIStratum is the agreement of one version, site, scanner or month.
type AIStratum struct {
	S *evaluation.Stratum
	L *AILens
}

func (s *AIStratum) Dimension() string       { return s.S.Dimension }
func (s *AIStratum) Value() string           { return s.S.Value }
func (s *AIStratum) First() *time.Time       { return s.L.Time(s.S.First) }
func (s *AIStratum) Last() *time.Time        { return s.L.Time(s.S.Last) }
func (s *AIStratum) Pairing() *AIPairing     { return &AIPairing{P: &s.S.Pairing} }
func (s *AIStratum) Agreement() *AIAgreement { return &AIAgreement{A: &s.S.Agreement} }

// AIQuantity is everything about one quantity the tool outputs.
type AIQuantity struct {
	Q *evaluation.QuantityReport
	L *AILens
}

func (q *AIQuantity) Quantity() string        { return q.Q.Quantity }
func (q *AIQuantity) Unit() *string           { return strPtr(q.Q.Unit) }
func (q *AIQuantity) Pairing() *AIPairing     { return &AIPairing{P: &q.Q.Pairing} }
func (q *AIQuantity) Overall() *AIAgreement   { return &AIAgreement{A: &q.Q.Overall} }
func (q *AIQuantity) ByVersion() []*AIStratum { return q.strata(q.Q.ByVersion) }
func (q *AIQuantity) BySite() []*AIStratum    { return q.strata(q.Q.BySite) }
func (q *AIQuantity) ByScanner() []*AIStratum { return q.strata(q.Q.ByScanner) }
func (q *AIQuantity) ByMonth() []*AIStratum   { return q.strata(q.Q.ByMonth) }

func (q *AIQuantity) strata(ss []evaluation.Stratum) []*AIStratum {
	out := make([]*AIStratum, len(ss))
	for i := range ss {
		out[i] = &AIStratum{S: &ss[i], L: q.L}
	}
	return out
}

func (q *AIQuantity) Drift() *AIDrift {
	if q.Q.Drift == nil {
		return nil
	}
	return &AIDrift{D: q.Q.Drift, L: q.L}
}

func (q *AIQuantity) ChangePoints() []*AIChangePoint {
	out := make([]*AIChangePoint, len(q.Q.ChangePoints))
	for i := range q.Q.ChangePoints {
		out[i] = &AIChangePoint{C: &q.Q.ChangePoints[i], L: q.L}
	}
	return out
}

// AIDrift is the trend of the differences over time.
type AIDrift struct {
	D *evaluation.Drift
	L *AILens
}

func (d *AIDrift) PerYear() *Slope { return &Slope{S: &d.D.PerYear} }
func (d *AIDrift) Shift() *MeanShift {
	if d.D.Shift == nil {
		return nil
	}
	return &MeanShift{S: d.D.Shift}
}
func (d *AIDrift) ShiftAt() *time.Time {
	if d.D.ShiftAt == nil {
		return nil
	}
	return d.L.Time(*d.D.ShiftAt)
}
func (d *AIDrift) Flagged() bool { return d.D.Flagged }

// Coincides names the change near the shift ("version 1.0 → 2.0 on
// 2024-01-03"); pseudonymised roles see its month only ("… in 2024-01"),
// as every date of the aggregates.
func (d *AIDrift) Coincides() *string {
	s := d.D.Coincides
	const on, date = " on ", "2006-01-02"
	if i := strings.LastIndex(s, on); !d.L.Identified && i >= 0 && len(s)-i == len(on)+len(date) {
		s = s[:i] + " in " + s[i+len(on):i+len(on)+len("2006-01")]
	}
	return strPtr(s)
}

// Slope is a least-squares line.
type Slope struct{ S *agreement.Slope }

func (s *Slope) N() int              { return s.S.N }
func (s *Slope) Slope() *float64     { return floatPtr(s.S.Slope) }
func (s *Slope) Intercept() *float64 { return floatPtr(s.S.Intercept) }
func (s *Slope) Se() *float64        { return floatPtr(s.S.SE) }
func (s *Slope) Ci() *Interval       { return &Interval{I: s.S.CI} }
func (s *Slope) T() *float64         { return floatPtr(s.S.T) }
func (s *Slope) P() *float64         { return floatPtr(s.S.P) }
func (s *Slope) R2() *float64        { return floatPtr(s.S.R2) }

// MeanShift is a test for one change in a mean.
type MeanShift struct{ S *agreement.Shift }

func (s *MeanShift) N() int               { return s.S.N }
func (s *MeanShift) Statistic() *float64  { return floatPtr(s.S.Statistic) }
func (s *MeanShift) P() *float64          { return floatPtr(s.S.P) }
func (s *MeanShift) MeanBefore() *float64 { return floatPtr(s.S.MeanBefore) }
func (s *MeanShift) MeanAfter() *float64  { return floatPtr(s.S.MeanAfter) }

// AIChangePoint compares agreement across a change of version or scanner.
type AIChangePoint struct {
	C *evaluation.ChangePoint
	L *AILens
}

func (c *AIChangePoint) Dimension() string     { return c.C.Dimension }
func (c *AIChangePoint) From() string          { return c.C.From }
func (c *AIChangePoint) To() string            { return c.C.To }
func (c *AIChangePoint) At() *time.Time        { return c.L.Time(c.C.At) }
func (c *AIChangePoint) Bias() *TwoSample      { return &TwoSample{W: &c.C.Bias} }
func (c *AIChangePoint) Spread() *VarianceTest { return &VarianceTest{V: &c.C.Spread} }
func (c *AIChangePoint) Flagged() bool         { return c.C.Flagged }
func (c *AIChangePoint) Reason() string        { return c.C.Reason }

// TwoSample is Welch's comparison of two means.
type TwoSample struct{ W *agreement.TwoSample }

func (t *TwoSample) NBefore() int         { return t.W.NA }
func (t *TwoSample) NAfter() int          { return t.W.NB }
func (t *TwoSample) MeanBefore() *float64 { return floatPtr(t.W.MeanA) }
func (t *TwoSample) MeanAfter() *float64  { return floatPtr(t.W.MeanB) }
func (t *TwoSample) SdBefore() *float64   { return floatPtr(t.W.SDA) }
func (t *TwoSample) SdAfter() *float64    { return floatPtr(t.W.SDB) }
func (t *TwoSample) Diff() *float64       { return floatPtr(t.W.Diff) }
func (t *TwoSample) Ci() *Interval        { return &Interval{I: t.W.CI} }
func (t *TwoSample) T() *float64          { return floatPtr(t.W.T) }
func (t *TwoSample) Df() *float64         { return floatPtr(t.W.DF) }
func (t *TwoSample) P() *float64          { return floatPtr(t.W.P) }

// VarianceTest is the F test of two variances.
type VarianceTest struct{ V *agreement.VarianceTest }

func (v *VarianceTest) Ratio() *float64 { return floatPtr(v.V.Ratio) }
func (v *VarianceTest) Ci() *Interval   { return &Interval{I: v.V.CI} }
func (v *VarianceTest) Df1() *float64   { return floatPtr(v.V.DF1) }
func (v *VarianceTest) Df2() *float64   { return floatPtr(v.V.DF2) }
func (v *VarianceTest) P() *float64     { return floatPtr(v.V.P) }

// AICategoryChange is how often the tool changes a clinical category.
type AICategoryChange struct{ C *evaluation.CategoryReport }

func (c *AICategoryChange) Scheme() string       { return c.C.Scheme }
func (c *AICategoryChange) Rule() string         { return c.C.Rule }
func (c *AICategoryChange) Changed() *Proportion { return &Proportion{P: c.C.Changed} }
func (c *AICategoryChange) Confusion() []*AICategoryCell {
	out := make([]*AICategoryCell, len(c.C.Confusion))
	for i, cell := range c.C.Confusion {
		out[i] = &AICategoryCell{Reference: cell.Reference, Ai: cell.AI, N: cell.N}
	}
	return out
}
func (c *AICategoryChange) ByVersion() []*AICategoryStratum {
	out := make([]*AICategoryStratum, len(c.C.ByVersion))
	for i, v := range c.C.ByVersion {
		out[i] = &AICategoryStratum{Version: v.Version, Changed: &Proportion{P: v.Changed}}
	}
	return out
}

// AICategoryCell is one cell of a category cross-table.
type AICategoryCell struct {
	Reference, Ai string
	N             int
}

// AICategoryStratum is a category comparison of one version.
type AICategoryStratum struct {
	Version string
	Changed *Proportion
}

// Proportion is a proportion with its Wilson interval.
type Proportion struct{ P agreement.Proportion }

func (p *Proportion) X() int             { return p.P.X }
func (p *Proportion) N() int             { return p.P.N }
func (p *Proportion) Estimate() *float64 { return floatPtr(p.P.Estimate) }
func (p *Proportion) Ci() *Interval      { return &Interval{I: p.P.CI} }

// AILabel is the accuracy of one yes/no call.
type AILabel struct{ R *evaluation.LabelReport }

func (l *AILabel) Label() string                 { return l.R.Label }
func (l *AILabel) Reference() string             { return l.R.Reference }
func (l *AILabel) Level() string                 { return l.R.Level }
func (l *AILabel) Quantity() string              { return l.R.Quantity }
func (l *AILabel) Notes() []string               { return nonNil(l.R.Notes) }
func (l *AILabel) Confusion() *Confusion         { return &Confusion{C: l.R.Confusion} }
func (l *AILabel) Accuracy() *DiagnosticAccuracy { return &DiagnosticAccuracy{A: l.R.Accuracy} }
func (l *AILabel) ByVersion() []*AILabelStratum {
	out := make([]*AILabelStratum, len(l.R.ByVersion))
	for i, v := range l.R.ByVersion {
		out[i] = &AILabelStratum{Version: v.Version, Confusion: &Confusion{C: v.Confusion}, Accuracy: &DiagnosticAccuracy{A: v.Accuracy}}
	}
	return out
}

// AILabelStratum is a label's accuracy for one version.
type AILabelStratum struct {
	Version   string
	Confusion *Confusion
	Accuracy  *DiagnosticAccuracy
}

// Confusion is a 2×2 table.
type Confusion struct{ C agreement.Confusion }

func (c *Confusion) Tp() int { return c.C.TP }
func (c *Confusion) Fp() int { return c.C.FP }
func (c *Confusion) Fn() int { return c.C.FN }
func (c *Confusion) Tn() int { return c.C.TN }

// DiagnosticAccuracy is sensitivity, specificity and predictive values.
type DiagnosticAccuracy struct{ A agreement.Accuracy }

func (a *DiagnosticAccuracy) Sensitivity() *Proportion { return &Proportion{P: a.A.Sensitivity} }
func (a *DiagnosticAccuracy) Specificity() *Proportion { return &Proportion{P: a.A.Specificity} }
func (a *DiagnosticAccuracy) Ppv() *Proportion         { return &Proportion{P: a.A.PPV} }
func (a *DiagnosticAccuracy) Npv() *Proportion         { return &Proportion{P: a.A.NPV} }
func (a *DiagnosticAccuracy) Prevalence() *Proportion  { return &Proportion{P: a.A.Prevalence} }
func (a *DiagnosticAccuracy) Agreement() *Proportion   { return &Proportion{P: a.A.Agreement} }

// AIPair is one row behind the figures, seen through a lens.
type AIPair struct {
	P *evaluation.Pair
	L *AILens
}

func (p *AIPair) PatientID() string {
	if p.L.Identified {
		return strconv.FormatInt(p.P.Subject, 10)
	}
	return p.L.Pseudo.Subject(p.P.Subject)
}
func (p *AIPair) Pseudonymised() bool { return !p.L.Identified }
func (p *AIPair) Study() string {
	if p.L.Identified {
		return p.P.Study
	}
	return p.L.Pseudo.Token("study", p.P.Study)
}
func (p *AIPair) Time() *time.Time {
	if p.P.Time.IsZero() {
		return nil
	}
	t := p.P.Time.UTC()
	if !p.L.Identified {
		t = t.Add(p.L.Pseudo.Shift(p.P.Subject))
	}
	return &t
}
func (p *AIPair) Quantity() string  { return p.P.Quantity }
func (p *AIPair) Unit() *string     { return strPtr(p.P.Unit) }
func (p *AIPair) Version() *string  { return strPtr(p.P.Version) }
func (p *AIPair) Site() *string     { return strPtr(p.P.Site) }
func (p *AIPair) Scanner() *string  { return strPtr(p.P.Scanner) }
func (p *AIPair) Contrast() *string { return strPtr(p.P.Contrast) }
func (p *AIPair) Status() string    { return p.P.Status }
func (p *AIPair) Rule() *string     { return strPtr(p.P.Rule) }
func (p *AIPair) Finding() *string {
	if p.P.Finding == "" || p.L.Identified {
		return strPtr(p.P.Finding)
	}
	t := p.L.Pseudo.Token("lesion", p.P.Finding)
	return &t
}
func (p *AIPair) Ai() *float64         { return floatPtr(p.P.AI) }
func (p *AIPair) Reference() *float64  { return floatPtr(p.P.Reference) }
func (p *AIPair) Difference() *float64 { return floatPtr(p.P.Diff()) }
func (p *AIPair) References() int      { return p.P.References }
func (p *AIPair) AiRef() *string       { return p.ref(p.P.AIRef, p.P.AIKey.IsZero()) }
func (p *AIPair) ReferenceRef() *string {
	return p.ref(p.P.ReferenceRef, p.P.ReferenceKey.IsZero())
}

// ref presents an event reference ("source@key"): the record key only for
// pseudonymised roles (as Lens.EventRef).
func (p *AIPair) ref(r string, none bool) *string {
	if r == "" || none {
		return nil
	}
	l := Lens{Identified: p.L.Identified}
	s := l.EventRef(r)
	return &s
}
