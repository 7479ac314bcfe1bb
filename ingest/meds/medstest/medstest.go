// Package medstest writes MEDS Parquet files for tests, fuzz seeds and
// benchmarks: given rows, or a deterministic synthetic cohort of any size,
// with the column types of the MEDS schema or deliberately different ones.
package medstest

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
)

// Row is one MEDS row; nil pointers are nulls.
type Row struct {
	Subject *int64
	Time    *time.Time
	Code    *string
	Value   *float32
	Text    *string
}

// R builds a row with a subject, a time (zero: static), a code and
// optional value/text.
func R(subject int64, t time.Time, code string) Row {
	r := Row{Subject: &subject, Code: &code}
	if !t.IsZero() {
		r.Time = &t
	}
	return r
}

// V sets the numeric value.
func (r Row) V(v float32) Row { r.Value = &v; return r }

// T sets the text value.
func (r Row) T(s string) Row { r.Text = &s; return r }

// NullSubject clears the subject.
func (r Row) NullSubject() Row { r.Subject = nil; return r }

// Options shape a written file.
type Options struct {
	// RowGroupRows bounds row groups (default 1 << 20).
	RowGroupRows int64
	// SubjectAsString writes subject_id as utf8 (a wrong column type).
	SubjectAsString bool
	// Compression (default snappy).
	Compression compress.Compression
	// NoValueColumns omits numeric_value and text_value.
	NoValueColumns bool
}

// Schema returns the data schema of a file written with o.
func Schema(o Options) *arrow.Schema {
	subj := arrow.Field{Name: "subject_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}
	if o.SubjectAsString {
		subj.Type = arrow.BinaryTypes.String
	}
	fields := []arrow.Field{
		subj,
		{Name: "time", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "code", Type: arrow.BinaryTypes.String, Nullable: true},
	}
	if !o.NoValueColumns {
		fields = append(fields,
			arrow.Field{Name: "numeric_value", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
			arrow.Field{Name: "text_value", Type: arrow.BinaryTypes.LargeString, Nullable: true})
	}
	return arrow.NewSchema(fields, nil)
}

// Writer writes rows to one MEDS data file, a row group every
// RowGroupRows rows.
type Writer struct {
	o      Options
	schema *arrow.Schema
	fw     *pqarrow.FileWriter
	b      *array.RecordBuilder
	n      int64
}

// NewWriter starts a MEDS data file on w.
func NewWriter(w io.Writer, o Options) (*Writer, error) {
	if o.RowGroupRows <= 0 {
		o.RowGroupRows = 1 << 20
	}
	if o.Compression == 0 {
		o.Compression = compress.Codecs.Snappy
	}
	sc := Schema(o)
	props := parquet.NewWriterProperties(parquet.WithCompression(o.Compression), parquet.WithMaxRowGroupLength(o.RowGroupRows))
	fw, err := pqarrow.NewFileWriter(sc, w, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return nil, err
	}
	return &Writer{o: o, schema: sc, fw: fw, b: array.NewRecordBuilder(memory.DefaultAllocator, sc)}, nil
}

// Write appends a row.
func (w *Writer) Write(r Row) error {
	if r.Subject == nil {
		w.b.Field(0).AppendNull()
	} else if w.o.SubjectAsString {
		w.b.Field(0).(*array.StringBuilder).Append(fmt.Sprint(*r.Subject))
	} else {
		w.b.Field(0).(*array.Int64Builder).Append(*r.Subject)
	}
	if r.Time == nil {
		w.b.Field(1).AppendNull()
	} else {
		w.b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(r.Time.UnixMicro()))
	}
	if r.Code == nil {
		w.b.Field(2).AppendNull()
	} else {
		w.b.Field(2).(*array.StringBuilder).Append(*r.Code)
	}
	if !w.o.NoValueColumns {
		if r.Value == nil {
			w.b.Field(3).AppendNull()
		} else {
			w.b.Field(3).(*array.Float32Builder).Append(*r.Value)
		}
		if r.Text == nil {
			w.b.Field(4).AppendNull()
		} else {
			w.b.Field(4).(*array.LargeStringBuilder).Append(*r.Text)
		}
	}
	w.n++
	if w.n%w.o.RowGroupRows == 0 {
		return w.flush()
	}
	return nil
}

func (w *Writer) flush() error {
	rec := w.b.NewRecord()
	defer rec.Release()
	if rec.NumRows() == 0 {
		return nil
	}
	return w.fw.Write(rec) // one row group per call
}

// Close writes the last row group and the footer.
func (w *Writer) Close() error {
	defer w.b.Release()
	if err := w.flush(); err != nil {
		w.fw.Close()
		return err
	}
	return w.fw.Close()
}

// WriteFile writes rows to path, creating its directory.
func WriteFile(path string, o Options, rows ...Row) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w, err := NewWriter(f, o)
	if err != nil {
		f.Close()
		return err
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close() // closes f
}

// Codes used by the synthetic cohort: labs of the built-in code table, a
// diagnosis, a medication, demographics.
var synthLabs = []struct {
	code     string
	mean, sd float64
}{
	{"LOINC//1742-6", 35, 15},   // ALT U/L
	{"LOINC//1920-8", 30, 12},   // AST U/L
	{"LOINC//777-3", 240, 60},   // platelets 10^9/L
	{"LOINC//2160-0", 1.0, 0.3}, // creatinine mg/dL
	{"LOINC//1975-2", 0.8, 0.4}, // bilirubin mg/dL
	{"LOINC//8867-4", 75, 12},   // heart rate
}

// Synth writes a deterministic synthetic cohort of about rows events to w:
// subjects of eventsPerSubject events each (birth, sex, then labs, a
// diagnosis and a medication over 5 years), sorted by subject and time as
// MEDS requires. It returns the number of rows written.
func Synth(w io.Writer, rows int64, eventsPerSubject int, seed uint64, o Options) (int64, error) {
	if eventsPerSubject < 3 {
		eventsPerSubject = 3
	}
	mw, err := NewWriter(w, o)
	if err != nil {
		return 0, err
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	base := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	var n int64
	for subject := int64(1); n < rows; subject++ {
		birth := base.AddDate(-20-rng.IntN(60), -rng.IntN(12), -rng.IntN(28))
		sex := "GENDER//F"
		if rng.IntN(2) == 0 {
			sex = "GENDER//M"
		}
		evs := []Row{R(subject, time.Time{}, sex), R(subject, birth, "MEDS_BIRTH")}
		t := base
		for len(evs) < eventsPerSubject {
			t = t.Add(time.Duration(1+rng.IntN(72*60)) * time.Minute)
			switch k := rng.IntN(20); {
			case k == 0:
				evs = append(evs, R(subject, t, "ICD10CM//K76.0"))
			case k == 1:
				evs = append(evs, R(subject, t, "RXNORM//6809").T("metformin 500 mg"))
			default:
				lab := synthLabs[rng.IntN(len(synthLabs))]
				v := lab.mean + lab.sd*rng.NormFloat64()
				if v < 0 {
					v = -v
				}
				evs = append(evs, R(subject, t, lab.code).V(float32(v)))
			}
		}
		for _, r := range evs {
			if err := mw.Write(r); err != nil {
				mw.Close()
				return n, err
			}
			n++
		}
	}
	return n, mw.Close()
}
