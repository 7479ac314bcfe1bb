package model

import (
	"time"

	"github.com/medtwin/medtwin/oncology"
	"github.com/medtwin/medtwin/twin/pneumonia"
)

func (l *Lens) timep(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return l.Time(*t)
}

// PneumoniaEpisode is one episode seen through a Lens; its lists are
// paginated by the resolver.
type PneumoniaEpisode struct {
	E       *pneumonia.Episode
	L       *Lens
	Subject int64
	Index   int
}

func (p *PneumoniaEpisode) Start() *time.Time        { return p.L.Time(p.E.Start) }
func (p *PneumoniaEpisode) End() *time.Time          { return p.L.timep(p.E.End) }
func (p *PneumoniaEpisode) EndBasis() *string        { return strPtr(p.E.EndBasis) }
func (p *PneumoniaEpisode) Presentation() *time.Time { return p.L.Time(p.E.Presentation) }
func (p *PneumoniaEpisode) Admission() *Encounter {
	if p.E.Admission == nil {
		return nil
	}
	return &Encounter{E: p.E.Admission, L: p.L}
}
func (p *PneumoniaEpisode) Curb65() *Score { return &Score{S: &p.E.CURB65, L: p.L} }
func (p *PneumoniaEpisode) Psi() *Score    { return &Score{S: &p.E.PSI, L: p.L} }
func (p *PneumoniaEpisode) Trajectories() []*Trajectory {
	out := make([]*Trajectory, len(p.E.Trajectories))
	for i := range p.E.Trajectories {
		out[i] = &Trajectory{T: &p.E.Trajectories[i], L: p.L}
	}
	return out
}
func (p *PneumoniaEpisode) Spo2Nadir() *Measure { return pMeasure(p.E.SpO2Nadir, p.L) }
func (p *PneumoniaEpisode) Outcomes() *PneumoniaOutcomes {
	return &PneumoniaOutcomes{O: &p.E.Outcomes, L: p.L}
}

func pMeasure(m *pneumonia.Measure, l *Lens) *Measure {
	if m == nil {
		return nil
	}
	return &Measure{at: m.Time, value: m.Value, unit: m.Unit, input: m.Input, L: l}
}

// PneumoniaEvidence is one piece of evidence.
type PneumoniaEvidence struct {
	E *pneumonia.Evidence
	L *Lens
}

func (e *PneumoniaEvidence) Source() string   { return e.E.Source }
func (e *PneumoniaEvidence) Code() string     { return e.E.Code }
func (e *PneumoniaEvidence) Time() *time.Time { return e.L.Time(e.E.Time) }
func (e *PneumoniaEvidence) End() *time.Time  { return e.L.timep(e.E.End) }
func (e *PneumoniaEvidence) EventRef() string { return e.L.EventRef(e.E.EventRef) }

// Encounter is an admission.
type Encounter struct {
	E *pneumonia.Encounter
	L *Lens
}

func (e *Encounter) Code() string      { return e.E.Code }
func (e *Encounter) Start() *time.Time { return e.L.Time(e.E.Start) }
func (e *Encounter) End() *time.Time   { return e.L.timep(e.E.End) }
func (e *Encounter) EventRef() string  { return e.L.EventRef(e.E.EventRef) }

// Trajectory is a lab value over an episode.
type Trajectory struct {
	T *pneumonia.Trajectory
	L *Lens
}

func (t *Trajectory) Name() string          { return t.T.Name }
func (t *Trajectory) Unit() *string         { return strPtr(t.T.Unit) }
func (t *Trajectory) N() int                { return t.T.N }
func (t *Trajectory) First() *Measure       { return pMeasure(t.T.First, t.L) }
func (t *Trajectory) Peak() *Measure        { return pMeasure(t.T.Peak, t.L) }
func (t *Trajectory) HoursToPeak() *float64 { return t.T.HoursToPeak }
func (t *Trajectory) SlopePerDay() *float64 { return t.T.SlopePerDay }
func (t *Trajectory) Last() *Measure        { return pMeasure(t.T.Last, t.L) }

// LungCT is one study's lung involvement.
type LungCT struct {
	C *pneumonia.LungCT
	L *Lens
}

func (c *LungCT) Time() *time.Time           { return c.L.Time(c.C.Time) }
func (c *LungCT) Study() *string             { return c.L.UID("study", c.C.Study) }
func (c *LungCT) GgoPct() *float64           { return c.C.GGOPct }
func (c *LungCT) ConsolidationPct() *float64 { return c.C.ConsolidationPct }
func (c *LungCT) InvolvementPct() *float64   { return c.C.InvolvementPct }
func (c *LungCT) LeftPct() *float64          { return c.C.LeftPct }
func (c *LungCT) RightPct() *float64         { return c.C.RightPct }
func (c *LungCT) SeverityScore() *float64    { return c.C.SeverityScore }
func (c *LungCT) Severity() *string          { return strPtr(c.C.Severity) }
func (c *LungCT) SeverityGrade() *int        { return c.C.SeverityGrade }
func (c *LungCT) Inputs() []*ScoreInput      { return inputs(c.C.Inputs, c.L) }

// PneumoniaOutcomes are an episode's coded outcomes.
type PneumoniaOutcomes struct {
	O *pneumonia.Outcomes
	L *Lens
}

func (o *PneumoniaOutcomes) LengthOfStayDays() *float64 { return o.O.LengthOfStayDays }
func (o *PneumoniaOutcomes) IcuTransfer() *bool         { return o.O.ICUTransfer }
func (o *PneumoniaOutcomes) IcuTime() *time.Time        { return o.L.timep(o.O.ICUTime) }
func (o *PneumoniaOutcomes) Death30d() *bool            { return o.O.Death30d }
func (o *PneumoniaOutcomes) DeathTime() *time.Time      { return o.L.timep(o.O.DeathTime) }

// OncologyTwin is an oncology.Result seen through a Lens; its lists are
// paginated by the resolver.
type OncologyTwin struct {
	R       *oncology.Result
	L       *Lens
	Subject int64
}

func (t *OncologyTwin) Version() string { return t.R.Version }
func (t *OncologyTwin) Response() *ResponseCourse {
	c := t.R.Response()
	if c == nil {
		return nil
	}
	for i, x := range t.R.Courses {
		if x == c {
			return &ResponseCourse{C: c, L: t.L, Subject: t.Subject, Index: i}
		}
	}
	return nil
}
func (t *OncologyTwin) Notes() []string {
	if t.R.Notes == nil {
		return []string{}
	}
	return t.R.Notes
}

// Cancer is a cancer condition.
type Cancer struct {
	C *oncology.Condition
	L *Lens
}

func (c *Cancer) Code() string          { return c.C.Code }
func (c *Cancer) Display() *string      { return strPtr(c.C.Display) }
func (c *Cancer) Category() string      { return c.C.Category }
func (c *Cancer) Site() *string         { return strPtr(c.C.Site) }
func (c *Cancer) Histology() *string    { return strPtr(c.C.Histology) }
func (c *Cancer) Onset() *time.Time     { return c.L.timep(c.C.Onset) }
func (c *Cancer) Abatement() *time.Time { return c.L.timep(c.C.Abatement) }
func (c *Cancer) RecognisedBy() string  { return c.C.RecognisedBy }
func (c *Cancer) EventRef() string      { return c.L.EventRef(c.C.EventRef) }

// ResponseCourse is a RECIST/iRECIST course; its time points are paginated
// by the resolver.
type ResponseCourse struct {
	C       *oncology.Course
	L       *Lens
	Subject int64
	Index   int
}

func (c *ResponseCourse) Criteria() string           { return c.C.Criteria }
func (c *ResponseCourse) Line() int                  { return c.C.Line }
func (c *ResponseCourse) Current() bool              { return c.C.Current }
func (c *ResponseCourse) TreatmentStart() *time.Time { return c.L.timep(c.C.TreatmentStart) }
func (c *ResponseCourse) BaselineTime() *time.Time {
	if c.C.Baseline == nil {
		return nil
	}
	return c.L.Time(c.C.Baseline.Time)
}
func (c *ResponseCourse) BaselineSumMm() *float64 {
	if c.C.Baseline == nil {
		return nil
	}
	v := c.C.Baseline.SumMM
	return &v
}
func (c *ResponseCourse) BestOverall() *string        { return strPtr(string(c.C.BestOverall)) }
func (c *ResponseCourse) BestOverallTime() *time.Time { return c.L.timep(c.C.BestOverallTime) }
func (c *ResponseCourse) BestOverallBasis() *string {
	if !c.L.Identified {
		return nil // it quotes real dates
	}
	return strPtr(c.C.BestOverallBasis)
}
func (c *ResponseCourse) Progression() *time.Time         { return c.L.timep(c.C.Progression) }
func (c *ResponseCourse) TimeToProgressionDays() *float64 { return c.C.TimeToProgressionDays }
func (c *ResponseCourse) Censored() bool                  { return c.C.Censored }
func (c *ResponseCourse) NotComputable() *string          { return strPtr(c.C.NotComputable) }
func (c *ResponseCourse) Notes() []string {
	if c.C.Notes == nil || !c.L.Identified {
		return []string{}
	}
	return c.C.Notes
}

// TimePoint is one assessment.
type TimePoint struct {
	T *oncology.TimePointOutcome
	L *Lens
}

func (t *TimePoint) Time() *time.Time          { return t.L.Time(t.T.Time) }
func (t *TimePoint) SumMm() *float64           { return t.T.SumMM }
func (t *TimePoint) BaselineSumMm() float64    { return t.T.BaselineSumMM }
func (t *TimePoint) NadirMm() *float64         { return t.T.NadirMM }
func (t *TimePoint) PctFromBaseline() *float64 { return t.T.PctFromBaseline }
func (t *TimePoint) PctFromNadir() *float64    { return t.T.PctFromNadir }
func (t *TimePoint) Target() string            { return string(t.T.Target) }
func (t *TimePoint) NonTarget() string         { return string(t.T.NonTarget) }
func (t *TimePoint) NewLesions() bool          { return t.T.NewLesions }
func (t *TimePoint) Overall() string           { return string(t.T.Overall) }
func (t *TimePoint) Confirmed() *bool          { return t.T.Confirmed }
func (t *TimePoint) Reason() string            { return t.T.Reason }
func (t *TimePoint) Measurements() []*UsedMeasurement {
	out := make([]*UsedMeasurement, len(t.T.Measurements))
	for i := range t.T.Measurements {
		out[i] = &UsedMeasurement{M: &t.T.Measurements[i], L: t.L}
	}
	return out
}

// UsedMeasurement is a lesion reading an assessment used.
type UsedMeasurement struct {
	M *oncology.UsedMeasurement
	L *Lens
}

func (m *UsedMeasurement) LesionID() string {
	if p := m.L.UID("lesion", m.M.LesionID); p != nil {
		return *p
	}
	return ""
}
func (m *UsedMeasurement) Role() string      { return m.M.Role }
func (m *UsedMeasurement) Organ() *string    { return strPtr(m.M.Organ) }
func (m *UsedMeasurement) IsNode() bool      { return m.M.IsNode }
func (m *UsedMeasurement) ValueMm() *float64 { return m.M.ValueMM }
func (m *UsedMeasurement) Note() *string     { return strPtr(m.M.Note) }
func (m *UsedMeasurement) Inferred() bool    { return m.M.Inferred }
func (m *UsedMeasurement) EventRef() *string {
	if m.M.EventRef == "" {
		return nil
	}
	r := m.L.EventRef(m.M.EventRef)
	return &r
}

// TherapyLine is a line of therapy.
type TherapyLine struct {
	T *oncology.Line
	L *Lens
}

func (t *TherapyLine) Number() int       { return t.T.Number }
func (t *TherapyLine) Start() *time.Time { return t.L.Time(t.T.Start) }
func (t *TherapyLine) End() *time.Time   { return t.L.Time(t.T.End) }
func (t *TherapyLine) Agents() []string {
	out := make([]string, len(t.T.Agents))
	for i, a := range t.T.Agents {
		out[i] = a.Name
	}
	return out
}
func (t *TherapyLine) Reason() string          { return t.T.Reason }
func (t *TherapyLine) BestResponse() *string   { return strPtr(string(t.T.BestResponse)) }
func (t *TherapyLine) Progression() *time.Time { return t.L.timep(t.T.Progression) }
func (t *TherapyLine) Immunotherapy() bool     { return t.T.Immunotherapy }
func (t *TherapyLine) EventRefs() []string {
	out := []string{}
	for _, a := range t.T.Agents {
		for _, r := range a.EventRefs {
			out = append(out, t.L.EventRef(r))
		}
	}
	return out
}

// TumorMarker is a marker series; its values are paginated by the resolver.
type TumorMarker struct {
	M       *oncology.Marker
	L       *Lens
	Subject int64
	Index   int
}

func (m *TumorMarker) Concept() string  { return m.M.Concept }
func (m *TumorMarker) Display() *string { return strPtr(m.M.Display) }
func (m *TumorMarker) Unit() *string    { return strPtr(m.M.Unit) }
func (m *TumorMarker) Latest() *ScoreInput {
	if m.M.Latest == nil {
		return nil
	}
	return &ScoreInput{I: m.M.Latest, L: m.L}
}
func (m *TumorMarker) Nadir() *ScoreInput {
	if m.M.Nadir == nil {
		return nil
	}
	return &ScoreInput{I: m.M.Nadir, L: m.L}
}
func (m *TumorMarker) Peak() *ScoreInput {
	if m.M.Peak == nil {
		return nil
	}
	return &ScoreInput{I: m.M.Peak, L: m.L}
}
func (m *TumorMarker) KineticsNote() *string { return strPtr(m.M.KineticsNote) }

// The connections of these twins.
type (
	PneumoniaEpisodeConnection  = Conn[*PneumoniaEpisode]
	PneumoniaEpisodeEdge        = Edge[*PneumoniaEpisode]
	PneumoniaEvidenceConnection = Conn[*PneumoniaEvidence]
	PneumoniaEvidenceEdge       = Edge[*PneumoniaEvidence]
	LungCTConnection            = Conn[*LungCT]
	LungCTEdge                  = Edge[*LungCT]
	CancerConnection            = Conn[*Cancer]
	CancerEdge                  = Edge[*Cancer]
	ResponseCourseConnection    = Conn[*ResponseCourse]
	ResponseCourseEdge          = Edge[*ResponseCourse]
	TimePointConnection         = Conn[*TimePoint]
	TimePointEdge               = Edge[*TimePoint]
	TherapyLineConnection       = Conn[*TherapyLine]
	TherapyLineEdge             = Edge[*TherapyLine]
	TumorMarkerConnection       = Conn[*TumorMarker]
	TumorMarkerEdge             = Edge[*TumorMarker]
	ScoreInputConnection        = Conn[*ScoreInput]
	ScoreInputEdge              = Edge[*ScoreInput]
)
