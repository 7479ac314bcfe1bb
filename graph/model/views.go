package model

import (
	"math"
	"strconv"
	"time"

	"github.com/medtwin/medtwin/timeline"
)

// Lens is how one caller sees one patient: real or shifted dates, and
// identifying strings shown, tokenised or withheld.
type Lens struct {
	// Shift moves every date of the patient (zero for identified roles).
	Shift time.Duration
	// Identified is true for roles that see identified data.
	Identified bool
	// Token replaces an identifying string by a keyed token (pseudonymised
	// roles only).
	Token func(namespace, value string) string
	Codes *timeline.CodeTable
}

// Time presents a time of the patient (nil for a zero time).
func (l *Lens) Time(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.Add(l.Shift)
	return &t
}

// UID presents an identifying string: itself for identified roles, a keyed
// token otherwise; nil when empty.
func (l *Lens) UID(namespace, v string) *string {
	if v == "" {
		return nil
	}
	if !l.Identified {
		v = l.Token(namespace, v)
	}
	return &v
}

// Withheld presents a string only identified roles may see.
func (l *Lens) Withheld(v string) *string {
	if !l.Identified {
		return nil
	}
	return strPtr(v)
}

// Display returns the code table's name of a code.
func (l *Lens) Display(code string) *string {
	if l.Codes == nil {
		return nil
	}
	if ci, ok := l.Codes.Lookup(code); ok && ci.Display != "" {
		return &ci.Display
	}
	if c, ok := l.Codes.ConceptOf(code); ok && c.Display != "" {
		return &c.Display
	}
	return nil
}

func floatPtr(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func intPtr(v int32) *int {
	if v < 0 {
		return nil
	}
	i := int(v)
	return &i
}

// Event is one timeline row seen through a Lens.
type Event struct {
	E *timeline.Event
	L *Lens
}

func (e *Event) Time() *time.Time    { return e.L.Time(e.E.Time) }
func (e *Event) EndTime() *time.Time { return e.L.Time(e.E.EndTime) }
func (e *Event) Kind() EventKind     { return KindOf(e.E.Kind) }
func (e *Event) Code() string        { return e.E.Code }
func (e *Event) DisplayName() *string {
	return e.L.Display(e.E.Code)
}
func (e *Event) Value() *float64 {
	if !e.E.HasValue {
		return nil
	}
	return floatPtr(e.E.Value)
}
func (e *Event) Text() *string { return strPtr(e.E.Text) }
func (e *Event) Unit() *string { return strPtr(e.E.Unit) }
func (e *Event) AvailableAt() *time.Time {
	if e.E.AvailableAt.Equal(e.E.Time) {
		return nil
	}
	return e.L.Time(e.E.AvailableAt)
}
func (e *Event) RecordedAt() time.Time {
	if t := e.L.Time(e.E.RecordedAt); t != nil {
		return *t
	}
	return time.Time{}
}
func (e *Event) SupersededAt() *time.Time { return e.L.Time(e.E.SupersededAt) }
func (e *Event) Provenance() *Provenance  { return &Provenance{e: e} }

// Provenance says where an event came from.
type Provenance struct{ e *Event }

func (p *Provenance) Source() *string   { return p.e.L.Withheld(p.e.E.Source) }
func (p *Provenance) RecordKey() string { return p.e.E.Key.String() }
func (p *Provenance) SourceVersion() *string {
	if p.e.E.SourceVersion == 0 {
		return nil
	}
	s := strconv.FormatInt(p.e.E.SourceVersion, 10)
	return &s
}

// LabPoint is one value of a lab series.
type LabPoint struct{ Event }

func (p *LabPoint) RecordKey() string { return p.E.Key.String() }

// Variant is a variants detail row with its event.
type Variant struct {
	V *timeline.Variant
	E *timeline.Event // nil when the event is not visible
	L *Lens
}

func str(s string) *string { return strPtr(s) }

func (v *Variant) Gene() *string     { return str(v.V.Gene) }
func (v *Variant) Chrom() string     { return v.V.Chrom }
func (v *Variant) Pos() int          { return int(v.V.Pos) }
func (v *Variant) Ref() string       { return v.V.Ref }
func (v *Variant) Alt() string       { return v.V.Alt }
func (v *Variant) Rsid() *string     { return str(v.V.RSID) }
func (v *Variant) Assembly() *string { return str(v.V.Assembly) }
func (v *Variant) Genotype() *string { return str(v.V.Genotype) }
func (v *Variant) Zygosity() *string { return str(v.V.Zygosity) }
func (v *Variant) Depth() *int       { return intPtr(v.V.Depth) }
func (v *Variant) AltDepth() *int    { return intPtr(v.V.AltDepth) }
func (v *Variant) AlleleFraction() *float64 {
	return floatPtr(v.V.AlleleFraction)
}
func (v *Variant) Origin() *string      { return str(v.V.Origin) }
func (v *Variant) Consequence() *string { return str(v.V.Consequence) }
func (v *Variant) Impact() *string      { return str(v.V.Impact) }
func (v *Variant) Hgvsc() *string       { return str(v.V.HGVSc) }
func (v *Variant) Hgvsp() *string       { return str(v.V.HGVSp) }
func (v *Variant) Transcript() *string  { return str(v.V.Transcript) }
func (v *Variant) ClinicalSignificance() *string {
	return str(v.V.ClinicalSignificance)
}
func (v *Variant) Filter() *string { return str(v.V.Filter) }
func (v *Variant) Qual() *float64  { return floatPtr(v.V.Qual) }
func (v *Variant) Sample() *string { return v.L.Withheld(v.V.Sample) }
func (v *Variant) Code() string {
	if v.E != nil {
		return v.E.Code
	}
	return ""
}
func (v *Variant) Time() *time.Time {
	if v.E == nil {
		return nil
	}
	return v.L.Time(v.E.Time)
}
func (v *Variant) RecordKey() string { return v.V.Key.String() }

// ImagingSeries is an imaging detail row of an imaging_study event.
type ImagingSeries struct {
	D *timeline.ImagingDetail
	L *Lens
}

func (s *ImagingSeries) SeriesUID() string {
	if p := s.L.UID("series", s.D.SeriesUID); p != nil {
		return *p
	}
	return ""
}
func (s *ImagingSeries) Modality() *string     { return str(s.D.Modality) }
func (s *ImagingSeries) BodyPart() *string     { return str(s.D.BodyPart) }
func (s *ImagingSeries) Description() *string  { return s.L.Withheld(s.D.SeriesDescription) }
func (s *ImagingSeries) Manufacturer() *string { return str(s.D.Manufacturer) }
func (s *ImagingSeries) Instances() *int       { return intPtr(s.D.Instances) }
func (s *ImagingSeries) Rows() *int            { return intPtr(s.D.Rows) }
func (s *ImagingSeries) Columns() *int         { return intPtr(s.D.Columns) }
func (s *ImagingSeries) PixelSpacing() []float64 {
	if math.IsNaN(s.D.PixelSpacingRow) || math.IsNaN(s.D.PixelSpacingCol) {
		return nil
	}
	return []float64{s.D.PixelSpacingRow, s.D.PixelSpacingCol}
}
func (s *ImagingSeries) SliceThickness() *float64 { return floatPtr(s.D.SliceThickness) }
func (s *ImagingSeries) SliceSpacing() *float64   { return floatPtr(s.D.SliceSpacing) }
func (s *ImagingSeries) Contrast() *string        { return str(s.D.Contrast) }

// ImagingFeature is an imaging_feature event with its provenance detail.
type ImagingFeature struct {
	Event
	D *timeline.ImagingDetail // nil when the feature has no detail row
}

func (f *ImagingFeature) SeriesUID() *string {
	if f.D == nil {
		return nil
	}
	return f.L.UID("series", f.D.SeriesUID)
}
func (f *ImagingFeature) detail(s func(*timeline.ImagingDetail) string) *string {
	if f.D == nil {
		return nil
	}
	return str(s(f.D))
}
func (f *ImagingFeature) Algorithm() *string {
	return f.detail(func(d *timeline.ImagingDetail) string { return d.Algorithm })
}
func (f *ImagingFeature) AlgorithmVersion() *string {
	return f.detail(func(d *timeline.ImagingDetail) string { return d.AlgorithmVersion })
}
func (f *ImagingFeature) Roi() *string {
	return f.detail(func(d *timeline.ImagingDetail) string { return d.ROI })
}
func (f *ImagingFeature) FindingSite() *string {
	return f.detail(func(d *timeline.ImagingDetail) string { return d.FindingSite })
}
func (f *ImagingFeature) RecordKey() string { return f.E.Key.String() }

// Lesion is a lesions detail row with its event.
type Lesion struct {
	D *timeline.LesionDetail
	E *timeline.Event
	L *Lens
}

func (l *Lesion) LesionID() *string     { return l.L.UID("lesion", l.D.LesionID) }
func (l *Lesion) Site() *string         { return str(l.D.Site) }
func (l *Lesion) SiteCode() *string     { return str(l.D.SiteCode) }
func (l *Lesion) LongAxisMm() *float64  { return floatPtr(l.D.LongAxisMM) }
func (l *Lesion) ShortAxisMm() *float64 { return floatPtr(l.D.ShortAxisMM) }
func (l *Lesion) IsNode() *bool         { return l.D.IsNode }
func (l *Lesion) Target() *bool         { return l.D.Target }
func (l *Lesion) TooSmall() *bool       { return l.D.TooSmall }
func (l *Lesion) Observer() *string     { return l.L.Withheld(l.D.Observer) }
func (l *Lesion) Algorithm() *string    { return str(l.D.Algorithm) }
func (l *Lesion) RecordKey() string     { return l.D.Key.String() }
func (l *Lesion) Time() *time.Time {
	if l.E == nil {
		return nil
	}
	return l.L.Time(l.E.Time)
}
