package model

import (
	"strings"
	"time"

	"github.com/medtwin/medtwin/twin"
	"github.com/medtwin/medtwin/twin/liver"
)

// EventRef presents a twin's event reference ("source@key"): researchers
// see the record key only.
func (l *Lens) EventRef(ref string) string {
	if l.Identified {
		return ref
	}
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

// Score is a twin.Score seen through a Lens.
type Score struct {
	S *twin.Score
	L *Lens
}

func (s *Score) Name() string           { return s.S.Name }
func (s *Score) Time() *time.Time       { return s.L.Time(s.S.Time) }
func (s *Score) Value() *float64        { return s.S.Value }
func (s *Score) Category() *string      { return strPtr(s.S.Category) }
func (s *Score) Unit() *string          { return strPtr(s.S.Unit) }
func (s *Score) FormulaVersion() string { return s.S.FormulaVersion }
func (s *Score) Computable() bool       { return s.S.Computable() }
func (s *Score) NotComputable() *string { return strPtr(s.S.NotComputable) }
func (s *Score) Inputs() []*ScoreInput  { return inputs(s.S.Inputs, s.L) }
func (s *Score) Categories() []twin.Category {
	if s.S.Categories == nil {
		return []twin.Category{}
	}
	return s.S.Categories
}
func (s *Score) Components() []twin.Component {
	if s.S.Components == nil {
		return []twin.Component{}
	}
	return s.S.Components
}
func (s *Score) Range() *twin.Range { return s.S.Range }
func (s *Score) Notes() []string {
	if s.S.Notes == nil {
		return []string{}
	}
	return s.S.Notes
}

func inputs(in []twin.Input, l *Lens) []*ScoreInput {
	out := make([]*ScoreInput, len(in))
	for i := range in {
		out[i] = &ScoreInput{I: &in[i], L: l}
	}
	return out
}

// ScoreInput is a twin.Input seen through a Lens.
type ScoreInput struct {
	I *twin.Input
	L *Lens
}

func (i *ScoreInput) Code() string     { return i.I.Code }
func (i *ScoreInput) Concept() *string { return strPtr(i.I.Concept) }
func (i *ScoreInput) Time() *time.Time { return i.L.Time(i.I.Time) }
func (i *ScoreInput) Value() float64   { return i.I.Value }
func (i *ScoreInput) Unit() *string    { return strPtr(i.I.Unit) }
func (i *ScoreInput) EventRef() string { return i.L.EventRef(i.I.EventRef) }

// ScoreSeries is one score over time; its points are paginated by the
// resolver.
type ScoreSeries struct {
	Name    string
	Cur     *twin.Score
	Points  []twin.Score
	L       *Lens
	Subject int64
}

// Current returns the score at the reference time.
func (s *ScoreSeries) Current() *Score {
	if s.Cur == nil {
		return nil
	}
	return &Score{S: s.Cur, L: s.L}
}

// LiverTwin is a liver.Result seen through a Lens.
type LiverTwin struct {
	R       *liver.Result
	L       *Lens
	Subject int64
}

func (t *LiverTwin) Reference() *time.Time { return t.L.Time(t.R.Reference) }
func (t *LiverTwin) Imaging() *LiverImaging {
	return &LiverImaging{I: &t.R.Imaging, L: t.L, Subject: t.Subject}
}
func (t *LiverTwin) Genetics() *LiverGenetics { return &LiverGenetics{G: &t.R.Genetics, L: t.L} }

// LiverImaging is the CT liver picture; its lists are paginated by the
// resolver.
type LiverImaging struct {
	I       *liver.Imaging
	L       *Lens
	Subject int64
}

func (i *LiverImaging) Steatosis() *CTLiver {
	if i.I.Steatosis == nil {
		return nil
	}
	return &CTLiver{C: i.I.Steatosis, L: i.L}
}

// CTLiver is one CT liver measurement seen through a Lens.
type CTLiver struct {
	C *liver.CTLiver
	L *Lens
}

func (c *CTLiver) Time() *time.Time           { return c.L.Time(c.C.Time) }
func (c *CTLiver) Study() *string             { return c.L.UID("study", c.C.Study) }
func (c *CTLiver) Contrast() string           { return c.C.Contrast }
func (c *CTLiver) LiverHu() float64           { return c.C.LiverHU }
func (c *CTLiver) SpleenHu() *float64         { return c.C.SpleenHU }
func (c *CTLiver) LiverMinusSpleen() *float64 { return c.C.LiverMinusSpleen }
func (c *CTLiver) LiverSpleenRatio() *float64 { return c.C.LiverSpleenRatio }
func (c *CTLiver) Steatosis() *string         { return strPtr(c.C.Steatosis) }
func (c *CTLiver) Basis() *string             { return strPtr(c.C.Basis) }
func (c *CTLiver) Excluded() *string          { return strPtr(c.C.Excluded) }
func (c *CTLiver) Inputs() []*ScoreInput      { return inputs(c.C.Inputs, c.L) }

// Measure is one measured value (a liver volume, a lab of a pneumonia
// episode) seen through a Lens.
type Measure struct {
	at    time.Time
	value float64
	unit  string
	input twin.Input
	L     *Lens
}

// LiverMeasure converts a liver imaging measure.
func LiverMeasure(m *liver.Measure, l *Lens) *Measure {
	return &Measure{at: m.Time, value: m.Value, unit: m.Unit, input: m.Input, L: l}
}

func (m *Measure) Time() *time.Time   { return m.L.Time(m.at) }
func (m *Measure) Value() float64     { return m.value }
func (m *Measure) Unit() *string      { return strPtr(m.unit) }
func (m *Measure) Input() *ScoreInput { return &ScoreInput{I: &m.input, L: m.L} }

// LiverGenetics is the genotype panel seen through a Lens.
type LiverGenetics struct {
	G *liver.Genetics
	L *Lens
}

func (g *LiverGenetics) Variants() []*GenotypeCall {
	out := make([]*GenotypeCall, len(g.G.Variants))
	for i := range g.G.Variants {
		out[i] = &GenotypeCall{C: &g.G.Variants[i], L: g.L}
	}
	return out
}

func (g *LiverGenetics) Summary() *GeneticRiskSummary {
	return &GeneticRiskSummary{S: &g.G.Summary}
}

// GenotypeCall is one call of the panel.
type GenotypeCall struct {
	C *liver.VariantCall
	L *Lens
}

func (c *GenotypeCall) Rsid() string         { return c.C.RSID }
func (c *GenotypeCall) Gene() string         { return c.C.Gene }
func (c *GenotypeCall) Change() string       { return c.C.Change }
func (c *GenotypeCall) EffectAllele() string { return c.C.EffectAllele }
func (c *GenotypeCall) Effect() string       { return c.C.Effect }
func (c *GenotypeCall) Status() string       { return c.C.Status }
func (c *GenotypeCall) Assembly() *string    { return strPtr(c.C.Assembly) }
func (c *GenotypeCall) Genotype() *string    { return strPtr(c.C.Genotype) }
func (c *GenotypeCall) EffectAlleles() *int  { return c.C.EffectAlleles }
func (c *GenotypeCall) RiskAlleles() *int    { return c.C.RiskAlleles }
func (c *GenotypeCall) EventRef() *string {
	if c.C.EventRef == "" {
		return nil
	}
	r := c.L.EventRef(c.C.EventRef)
	return &r
}

// GeneticRiskSummary is the combined genetic risk.
type GeneticRiskSummary struct{ S *liver.RiskSummary }

func (s *GeneticRiskSummary) Score() *int         { return s.S.Score }
func (s *GeneticRiskSummary) ExtendedScore() *int { return s.S.ExtendedScore }
func (s *GeneticRiskSummary) Missing() []string {
	if s.S.Missing == nil {
		return []string{}
	}
	return s.S.Missing
}
func (s *GeneticRiskSummary) Method() string { return s.S.Method }

// Trend is a twin.Trend seen through a Lens.
type Trend struct {
	T *twin.Trend
	L *Lens
}

func (t *Trend) Name() string            { return t.T.Name }
func (t *Trend) Unit() *string           { return strPtr(t.T.Unit) }
func (t *Trend) N() int                  { return t.T.N }
func (t *Trend) From() *time.Time        { return t.L.Time(t.T.From) }
func (t *Trend) To() *time.Time          { return t.L.Time(t.T.To) }
func (t *Trend) SlopePerYear() *float64  { return t.T.SlopePerYear }
func (t *Trend) Last() *float64          { return t.T.Last }
func (t *Trend) LastTime() *time.Time    { return t.L.Time(t.T.LastTime) }
func (t *Trend) DaysSinceLast() *float64 { return t.T.DaysSinceLast }

// Transition is a twin.Transition seen through a Lens.
type Transition struct {
	T *twin.Transition
	L *Lens
}

func (t *Transition) Score() string            { return t.T.Score }
func (t *Transition) Scheme() *string          { return strPtr(t.T.Scheme) }
func (t *Transition) Time() *time.Time         { return t.L.Time(t.T.Time) }
func (t *Transition) From() string             { return t.T.From }
func (t *Transition) To() string               { return t.T.To }
func (t *Transition) Value() float64           { return t.T.Value }
func (t *Transition) Previous() float64        { return t.T.Previous }
func (t *Transition) PreviousTime() *time.Time { return t.L.Time(t.T.PreviousTime) }

// The twins' connections.
type (
	ScoreSeriesConnection = Conn[*ScoreSeries]
	ScoreSeriesEdge       = Edge[*ScoreSeries]
	ScoreConnection       = Conn[*Score]
	ScoreEdge             = Edge[*Score]
	CTLiverConnection     = Conn[*CTLiver]
	CTLiverEdge           = Edge[*CTLiver]
	MeasureConnection     = Conn[*Measure]
	MeasureEdge           = Edge[*Measure]
	TrendConnection       = Conn[*Trend]
	TrendEdge             = Edge[*Trend]
	TransitionConnection  = Conn[*Transition]
	TransitionEdge        = Edge[*Transition]
)
