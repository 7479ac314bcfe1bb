package timeline

import (
	"fmt"
	"math"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// Null conventions of the detail structs: NaN for a missing float, -1 for a
// missing count, "" for a missing string, nil for an unknown flag.

// Variant is one row of the variants detail table: one allele of one sample.
type Variant struct {
	SubjectID            int64
	Key                  Key
	Sample               string
	Assembly             string // GRCh38, GRCh37
	Chrom                string
	Pos                  int64
	Ref, Alt             string
	RSID                 string
	Qual                 float64
	Filter               string
	Genotype             string // as written, e.g. 0|1
	Zygosity             string // heterozygous, homozygous, hemizygous, reference, unknown
	Depth                int32
	AltDepth             int32
	AlleleFraction       float64
	Origin               string // germline, somatic
	Gene                 string
	Consequence          string
	Impact               string
	HGVSc                string
	HGVSp                string
	Transcript           string
	ClinicalSignificance string
	Annotations          string // every transcript's annotation, as in the source
}

// ImagingDetail is one row of the imaging detail table: a series of an
// imaging_study event, or the provenance of an imaging_feature event.
type ImagingDetail struct {
	SubjectID         int64
	Key               Key
	StudyUID          string
	SeriesUID         string
	InstanceUID       string
	Modality          string
	BodyPart          string
	SeriesDescription string
	Manufacturer      string
	Instances         int32
	Rows, Columns     int32
	PixelSpacingRow   float64
	PixelSpacingCol   float64
	SliceThickness    float64
	SliceSpacing      float64
	Orientation       string // ImageOrientationPatient, backslash-separated
	Contrast          string // none, arterial, portal_venous, delayed, unknown
	RescaleSlope      float64
	RescaleIntercept  float64
	Algorithm         string
	AlgorithmVersion  string
	ROI               string
	FindingSite       string
	TrackingUID       string
	Settings          string // JSON of the settings a feature was computed with
}

// LesionDetail is one row of the lesions detail table: one measurement of
// one lesion in one study.
type LesionDetail struct {
	SubjectID        int64
	Key              Key
	LesionID         string // tracking identifier/UID, stable across studies
	StudyUID         string
	Site             string
	SiteCode         string
	LongAxisMM       float64
	ShortAxisMM      float64
	IsNode           *bool
	Target           *bool // explicitly marked target (true) or non-target (false)
	TooSmall         *bool // the source says "too small to measure"
	X, Y, Z          float64
	Observer         string // radiologist or tool that measured
	Algorithm        string
	AlgorithmVersion string
}

// NoFloat is the missing-value marker of detail floats.
var NoFloat = math.NaN()

// DetailBuilder appends detail rows of one table. Not safe for concurrent use.
type DetailBuilder struct {
	table DetailTable
	b     *array.RecordBuilder
}

// NewDetailBuilder returns a builder for table t.
func NewDetailBuilder(mem memory.Allocator, t DetailTable) *DetailBuilder {
	return &DetailBuilder{table: t, b: array.NewRecordBuilder(mem, t.Schema())}
}

// Table returns the builder's table.
func (d *DetailBuilder) Table() DetailTable { return d.table }

// Len returns the rows appended since the last NewRecord.
func (d *DetailBuilder) Len() int { return d.b.Field(0).Len() }

// NewRecord returns the rows so far and resets the builder.
func (d *DetailBuilder) NewRecord() arrow.Record { return d.b.NewRecord() }

// Release frees the builder.
func (d *DetailBuilder) Release() { d.b.Release() }

type rowWriter struct {
	b *array.RecordBuilder
	i int
}

func (w *rowWriter) next() array.Builder { f := w.b.Field(w.i); w.i++; return f }
func (w *rowWriter) key(subject int64, k Key) {
	w.next().(*array.Int64Builder).Append(subject)
	w.next().(*array.FixedSizeBinaryBuilder).Append(k[:])
}
func (w *rowWriter) str(s string) { appendString(w.next().(*array.StringBuilder), s) }
func (w *rowWriter) f64(v float64) {
	b := w.next().(*array.Float64Builder)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		b.AppendNull()
	} else {
		b.Append(v)
	}
}
func (w *rowWriter) i32(v int32) {
	b := w.next().(*array.Int32Builder)
	if v < 0 {
		b.AppendNull()
	} else {
		b.Append(v)
	}
}
func (w *rowWriter) i64(v int64) { w.next().(*array.Int64Builder).Append(v) }
func (w *rowWriter) flag(v *bool) {
	b := w.next().(*array.BooleanBuilder)
	if v == nil {
		b.AppendNull()
	} else {
		b.Append(*v)
	}
}

func (d *DetailBuilder) check(t DetailTable, subject int64, k Key) error {
	if d.table != t {
		return fmt.Errorf("timeline: %w: %s row into a %s builder", ErrSchema, t, d.table)
	}
	if subject == 0 {
		return fmt.Errorf("subject_id: %w", ErrNoSubject)
	}
	if k.IsZero() {
		return fmt.Errorf("record_key: missing")
	}
	return nil
}

// AppendVariant appends a variants row.
func (d *DetailBuilder) AppendVariant(v *Variant) error {
	if err := d.check(Variants, v.SubjectID, v.Key); err != nil {
		return err
	}
	w := rowWriter{b: d.b}
	w.key(v.SubjectID, v.Key)
	w.str(v.Sample)
	w.str(v.Assembly)
	w.str(v.Chrom)
	w.i64(v.Pos)
	w.str(v.Ref)
	w.str(v.Alt)
	w.str(v.RSID)
	w.f64(v.Qual)
	w.str(v.Filter)
	w.str(v.Genotype)
	w.str(v.Zygosity)
	w.i32(v.Depth)
	w.i32(v.AltDepth)
	w.f64(v.AlleleFraction)
	w.str(v.Origin)
	w.str(v.Gene)
	w.str(v.Consequence)
	w.str(v.Impact)
	w.str(v.HGVSc)
	w.str(v.HGVSp)
	w.str(v.Transcript)
	w.str(v.ClinicalSignificance)
	w.str(v.Annotations)
	return nil
}

// AppendImaging appends an imaging row.
func (d *DetailBuilder) AppendImaging(m *ImagingDetail) error {
	if err := d.check(Imaging, m.SubjectID, m.Key); err != nil {
		return err
	}
	w := rowWriter{b: d.b}
	w.key(m.SubjectID, m.Key)
	w.str(m.StudyUID)
	w.str(m.SeriesUID)
	w.str(m.InstanceUID)
	w.str(m.Modality)
	w.str(m.BodyPart)
	w.str(m.SeriesDescription)
	w.str(m.Manufacturer)
	w.i32(m.Instances)
	w.i32(m.Rows)
	w.i32(m.Columns)
	w.f64(m.PixelSpacingRow)
	w.f64(m.PixelSpacingCol)
	w.f64(m.SliceThickness)
	w.f64(m.SliceSpacing)
	w.str(m.Orientation)
	w.str(m.Contrast)
	w.f64(m.RescaleSlope)
	w.f64(m.RescaleIntercept)
	w.str(m.Algorithm)
	w.str(m.AlgorithmVersion)
	w.str(m.ROI)
	w.str(m.FindingSite)
	w.str(m.TrackingUID)
	w.str(m.Settings)
	return nil
}

// AppendLesion appends a lesions row.
func (d *DetailBuilder) AppendLesion(l *LesionDetail) error {
	if err := d.check(Lesions, l.SubjectID, l.Key); err != nil {
		return err
	}
	w := rowWriter{b: d.b}
	w.key(l.SubjectID, l.Key)
	w.str(l.LesionID)
	w.str(l.StudyUID)
	w.str(l.Site)
	w.str(l.SiteCode)
	w.f64(l.LongAxisMM)
	w.f64(l.ShortAxisMM)
	w.flag(l.IsNode)
	w.flag(l.Target)
	w.flag(l.TooSmall)
	w.f64(l.X)
	w.f64(l.Y)
	w.f64(l.Z)
	w.str(l.Observer)
	w.str(l.Algorithm)
	w.str(l.AlgorithmVersion)
	return nil
}

type rowReader struct {
	rec arrow.Record
	row int
	i   int
}

func (r *rowReader) next() arrow.Array { c := r.rec.Column(r.i); r.i++; return c }
func (r *rowReader) key() (int64, Key) {
	s := r.next().(*array.Int64).Value(r.row)
	var k Key
	copy(k[:], r.next().(*array.FixedSizeBinary).Value(r.row))
	return s, k
}
func (r *rowReader) str() string { return clone(StringAt(r.next().(*array.String), r.row)) }
func (r *rowReader) f64() float64 {
	a := r.next().(*array.Float64)
	if a.IsNull(r.row) {
		return NoFloat
	}
	return a.Value(r.row)
}
func (r *rowReader) i32() int32 {
	a := r.next().(*array.Int32)
	if a.IsNull(r.row) {
		return -1
	}
	return a.Value(r.row)
}
func (r *rowReader) i64() int64 {
	a := r.next().(*array.Int64)
	if a.IsNull(r.row) {
		return 0
	}
	return a.Value(r.row)
}
func (r *rowReader) flag() *bool {
	a := r.next().(*array.Boolean)
	if a.IsNull(r.row) {
		return nil
	}
	v := a.Value(r.row)
	return &v
}

func checkDetail(rec arrow.Record, t DetailTable) error {
	if !rec.Schema().Equal(t.Schema()) {
		return fmt.Errorf("timeline: %w: not a %s record", ErrSchema, t)
	}
	return nil
}

// VariantsOf materialises a variants record.
func VariantsOf(rec arrow.Record) ([]Variant, error) {
	if err := checkDetail(rec, Variants); err != nil {
		return nil, err
	}
	out := make([]Variant, rec.NumRows())
	for i := range out {
		r := rowReader{rec: rec, row: i}
		v := &out[i]
		v.SubjectID, v.Key = r.key()
		v.Sample, v.Assembly, v.Chrom = r.str(), r.str(), r.str()
		v.Pos = r.i64()
		v.Ref, v.Alt, v.RSID = r.str(), r.str(), r.str()
		v.Qual = r.f64()
		v.Filter, v.Genotype, v.Zygosity = r.str(), r.str(), r.str()
		v.Depth, v.AltDepth = r.i32(), r.i32()
		v.AlleleFraction = r.f64()
		v.Origin, v.Gene, v.Consequence, v.Impact = r.str(), r.str(), r.str(), r.str()
		v.HGVSc, v.HGVSp, v.Transcript = r.str(), r.str(), r.str()
		v.ClinicalSignificance, v.Annotations = r.str(), r.str()
	}
	return out, nil
}

// ImagingOf materialises an imaging record.
func ImagingOf(rec arrow.Record) ([]ImagingDetail, error) {
	if err := checkDetail(rec, Imaging); err != nil {
		return nil, err
	}
	out := make([]ImagingDetail, rec.NumRows())
	for i := range out {
		r := rowReader{rec: rec, row: i}
		m := &out[i]
		m.SubjectID, m.Key = r.key()
		m.StudyUID, m.SeriesUID, m.InstanceUID, m.Modality = r.str(), r.str(), r.str(), r.str()
		m.BodyPart, m.SeriesDescription, m.Manufacturer = r.str(), r.str(), r.str()
		m.Instances, m.Rows, m.Columns = r.i32(), r.i32(), r.i32()
		m.PixelSpacingRow, m.PixelSpacingCol = r.f64(), r.f64()
		m.SliceThickness, m.SliceSpacing = r.f64(), r.f64()
		m.Orientation, m.Contrast = r.str(), r.str()
		m.RescaleSlope, m.RescaleIntercept = r.f64(), r.f64()
		m.Algorithm, m.AlgorithmVersion, m.ROI = r.str(), r.str(), r.str()
		m.FindingSite, m.TrackingUID, m.Settings = r.str(), r.str(), r.str()
	}
	return out, nil
}

// LesionsOf materialises a lesions record.
func LesionsOf(rec arrow.Record) ([]LesionDetail, error) {
	if err := checkDetail(rec, Lesions); err != nil {
		return nil, err
	}
	out := make([]LesionDetail, rec.NumRows())
	for i := range out {
		r := rowReader{rec: rec, row: i}
		l := &out[i]
		l.SubjectID, l.Key = r.key()
		l.LesionID, l.StudyUID, l.Site, l.SiteCode = r.str(), r.str(), r.str(), r.str()
		l.LongAxisMM, l.ShortAxisMM = r.f64(), r.f64()
		l.IsNode, l.Target, l.TooSmall = r.flag(), r.flag(), r.flag()
		l.X, l.Y, l.Z = r.f64(), r.f64(), r.f64()
		l.Observer, l.Algorithm, l.AlgorithmVersion = r.str(), r.str(), r.str()
	}
	return out, nil
}
