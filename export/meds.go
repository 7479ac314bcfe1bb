package export

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"

	"github.com/medtwin/medtwin/ingest/meds"
	"github.com/medtwin/medtwin/timeline"
)

// MEDSOptions shape a MEDS export.
type MEDSOptions struct {
	DatasetName    string // dataset.json dataset_name ("medtwin" when empty)
	DatasetVersion string // dataset.json dataset_version (the export date when empty)
	// Extensions are medtwin columns added to the MEDS data files (MEDS's
	// data schema is open): unit (declared a code modifier column), kind,
	// end_time, available_at, source, record_key, source_version (declared
	// other extension columns). Empty: the MEDS core only.
	Extensions []string
	// Splits are the train/tuning/held_out fractions of subject_splits
	// (DefaultSplits when all zero).
	Splits Splits
}

// Splits are subject split fractions; they sum to 1.
type Splits struct{ Train, Tuning, HeldOut float64 }

// DefaultSplits: 80% train, 10% tuning, 10% held out.
var DefaultSplits = Splits{Train: 0.8, Tuning: 0.1, HeldOut: 0.1}

// ExtensionColumns lists the extension columns a MEDS export may add, in
// the order they are written.
var ExtensionColumns = []string{"unit", "kind", "end_time", "available_at", "source", "record_key", "source_version"}

func (m *MEDSOptions) defaults() error {
	if m.DatasetName == "" {
		m.DatasetName = "medtwin"
	}
	if m.Splits == (Splits{}) {
		m.Splits = DefaultSplits
	}
	s := m.Splits
	if s.Train < 0 || s.Tuning < 0 || s.HeldOut < 0 || s.Train+s.Tuning+s.HeldOut < 0.999 || s.Train+s.Tuning+s.HeldOut > 1.001 {
		return fmt.Errorf("%w: split fractions must be non-negative and sum to 1", ErrOptions)
	}
	seen := map[string]bool{}
	for _, x := range m.Extensions {
		ok := false
		for _, y := range ExtensionColumns {
			ok = ok || x == y
		}
		if !ok {
			return fmt.Errorf("%w: MEDS extension column %q (want some of %s)", ErrOptions, x, strings.Join(ExtensionColumns, ", "))
		}
		if seen[x] {
			return fmt.Errorf("%w: MEDS extension column %q given twice", ErrOptions, x)
		}
		seen[x] = true
	}
	// Keep the documented column order whatever order they were given in.
	var ordered []string
	for _, y := range ExtensionColumns {
		if seen[y] {
			ordered = append(ordered, y)
		}
	}
	m.Extensions = ordered
	return nil
}

// SplitOf assigns a subject to a split deterministically: u = the first 8
// bytes of SHA-256("medtwin/split/v1/" + decimal subject id) as a fraction
// of 2^64; train when u < Train, tuning when u < Train+Tuning, else
// held_out. It depends on nothing but the subject id, so a patient lands in
// the same split in every export, whatever the cohort or the time.
func SplitOf(subject int64, s Splits) string {
	h := sha256.Sum256([]byte("medtwin/split/v1/" + strconv.FormatInt(subject, 10)))
	u := float64(binary.BigEndian.Uint64(h[:8])>>11) / (1 << 53)
	switch {
	case u < s.Train:
		return meds.SplitTrain
	case u < s.Train+s.Tuning:
		return meds.SplitTuning
	}
	return meds.SplitHeldOut
}

// medsSchema is the data schema with the chosen extension columns.
func medsSchema(ext []string) *arrow.Schema {
	fields := append([]arrow.Field(nil), meds.DataSchema.Fields()...)
	for _, x := range ext {
		f := timeline.EventSchema.Field(timeline.EventSchema.FieldIndices(x)[0])
		switch f.Type.ID() {
		case arrow.TIMESTAMP:
			f.Type = meds.NaiveTimestamp
		case arrow.DICTIONARY:
			f.Type = arrow.BinaryTypes.String
		}
		f.Nullable = true
		fields = append(fields, f)
	}
	return arrow.NewSchema(fields, nil)
}

// retype reinterprets an array's buffers as another type of the same
// layout (timestamp[us, UTC] as MEDS's naive timestamp[us]).
func retype(a arrow.Array, t arrow.DataType) arrow.Array {
	d := array.NewData(t, a.Len(), a.Data().Buffers(), nil, a.NullN(), a.Data().Offset())
	defer d.Release()
	return array.MakeFromData(d)
}

// medsWriter converts timeline records into MEDS records and collects the
// metadata (codes, subject splits) on the way.
type medsWriter struct {
	schema *arrow.Schema
	ext    []string
	splits Splits

	codes map[string]struct{}

	splitSubj  *array.Int64Builder
	splitName  *array.StringBuilder
	splitsOut  *pqarrow.FileWriter
	lastSubj   int64
	lastTime   int64
	lastTimed  bool
	haveSubj   bool
	numBuilder *array.Float32Builder
	textB      *array.LargeStringBuilder
	kindB      *array.StringBuilder
}

// convert returns rec (EventSchema) as a MEDS record, checking the
// subject/time order MEDS requires.
func (m *medsWriter) convert(rec arrow.Record) (arrow.Record, error) {
	c, err := timeline.ColumnsOf(rec)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	n := c.Len()
	for i := 0; i < n; i++ {
		s := c.SubjectID.Value(i)
		timed := c.Time.IsValid(i)
		t := int64(c.Time.Value(i))
		if !m.haveSubj || s != m.lastSubj {
			if m.haveSubj && s < m.lastSubj {
				return nil, fmt.Errorf("%w: subject %d after %d", ErrUnordered, s, m.lastSubj)
			}
			m.haveSubj, m.lastSubj, m.lastTimed, m.lastTime = true, s, timed, t
			if err := m.addSubject(s); err != nil {
				return nil, err
			}
		} else {
			if (m.lastTimed && !timed) || (m.lastTimed && timed && t < m.lastTime) {
				return nil, fmt.Errorf("%w: subject %d's rows are not in time order (static rows first)", ErrUnordered, s)
			}
			m.lastTimed, m.lastTime = timed, t
		}
		code := c.Code.Value(i)
		if _, ok := m.codes[code]; !ok {
			m.codes[strings.Clone(code)] = struct{}{}
		}
		if c.Value.IsValid(i) {
			m.numBuilder.Append(float32(c.Value.Value(i)))
		} else {
			m.numBuilder.AppendNull()
		}
		if c.Text.IsValid(i) {
			m.textB.Append(c.Text.Value(i))
		} else {
			m.textB.AppendNull()
		}
	}
	num := m.numBuilder.NewArray()
	defer num.Release()
	text := m.textB.NewArray()
	defer text.Release()
	tm := retype(c.Time, meds.NaiveTimestamp)
	defer tm.Release()
	cols := []arrow.Array{c.SubjectID, tm, c.Code, num, text}
	for _, x := range m.ext {
		var a arrow.Array
		switch x {
		case "unit":
			a = c.Unit
			a.Retain()
		case "kind":
			m.kindB.Reserve(n)
			for i := 0; i < n; i++ {
				m.kindB.Append(c.Kind(i).String())
			}
			a = m.kindB.NewArray()
		case "end_time":
			a = retype(c.EndTime, meds.NaiveTimestamp)
		case "available_at":
			a = retype(c.Available, meds.NaiveTimestamp)
		case "source":
			a = c.Source
			a.Retain()
		case "record_key":
			a = c.Key
			a.Retain()
		case "source_version":
			a = c.Version
			a.Retain()
		}
		defer a.Release()
		cols = append(cols, a)
	}
	return array.NewRecord(m.schema, cols, int64(n)), nil
}

func (m *medsWriter) addSubject(s int64) error {
	m.splitSubj.Append(s)
	m.splitName.Append(SplitOf(s, m.splits))
	if m.splitSubj.Len() >= 64*1024 {
		return m.flushSplits()
	}
	return nil
}

func (m *medsWriter) flushSplits() error {
	if m.splitSubj.Len() == 0 {
		return nil
	}
	ids := m.splitSubj.NewArray()
	defer ids.Release()
	names := m.splitName.NewArray()
	defer names.Release()
	rec := array.NewRecord(meds.SplitsSchema, []arrow.Array{ids, names}, int64(ids.Len()))
	defer rec.Release()
	if err := m.splitsOut.WriteBuffered(rec); err != nil {
		return fmt.Errorf("export: subject splits: %w", err)
	}
	return nil
}

func (m *medsWriter) release() {
	m.splitSubj.Release()
	m.splitName.Release()
	m.numBuilder.Release()
	m.textB.Release()
	m.kindB.Release()
}

// meds writes a MEDS dataset into dir.
func (e *exporter) meds(rr array.RecordReader, dir string, bk *buckets) error {
	mo := e.o.MEDS
	if err := os.MkdirAll(filepath.Join(dir, meds.MetadataDir), 0o755); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	mem := e.o.Mem
	m := &medsWriter{
		schema: medsSchema(mo.Extensions), ext: mo.Extensions, splits: mo.Splits,
		codes:     map[string]struct{}{},
		splitSubj: array.NewInt64Builder(mem), splitName: array.NewStringBuilder(mem),
		numBuilder: array.NewFloat32Builder(mem), textB: array.NewLargeStringBuilder(mem),
		kindB: array.NewStringBuilder(mem),
	}
	defer m.release()
	sf, err := os.Create(filepath.Join(dir, meds.MetadataDir, meds.SplitsFile))
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	props, aprops := e.writerProps()
	if m.splitsOut, err = pqarrow.NewFileWriter(meds.SplitsSchema, sf, props, aprops); err != nil {
		sf.Close()
		return fmt.Errorf("export: subject splits: %w", err)
	}
	splitsClosed := false
	defer func() {
		if !splitsClosed {
			m.splitsOut.Close()
		}
	}()

	data := filepath.Join(dir, meds.DataDir)
	w := e.newShardWriter(data, m.schema, bk, func(seq int) string {
		if bk != nil {
			return partName(seq)
		}
		return strconv.Itoa(seq) + ".parquet" // MEDS's usual data/N.parquet
	}, e.flatFile(m.schema))
	err = e.each(rr, func(rec arrow.Record) error {
		out, err := m.convert(rec)
		if err != nil {
			return err
		}
		defer out.Release()
		return w.Write(out)
	})
	if err != nil {
		w.Close()
		return err
	}
	files, err := w.finish()
	if err != nil {
		return err
	}
	for i := range files {
		files[i] = meds.DataDir + "/" + files[i]
	}
	if err := m.flushSplits(); err != nil {
		return err
	}
	splitsClosed = true
	if err := m.splitsOut.Close(); err != nil {
		return fmt.Errorf("export: subject splits: %w", err)
	}
	if err := e.writeCodes(filepath.Join(dir, meds.MetadataDir, meds.CodesFile), m.codes); err != nil {
		return err
	}
	e.codes = len(m.codes)
	if err := e.writeDatasetJSON(filepath.Join(dir, meds.MetadataDir, meds.DatasetFile), bk); err != nil {
		return err
	}
	e.files = append(files, meds.MetadataDir+"/"+meds.CodesFile, meds.MetadataDir+"/"+meds.SplitsFile, meds.MetadataDir+"/"+meds.DatasetFile)
	return nil
}

// demographicDescriptions describe the demographic codes that are not in
// the code table.
var demographicDescriptions = map[string]string{
	timeline.CodeBirth:      "Birth",
	timeline.CodeDeath:      "Death",
	timeline.CodeSexFemale:  "Sex: female",
	timeline.CodeSexMale:    "Sex: male",
	timeline.CodeSexOther:   "Sex: other",
	timeline.CodeSexUnknown: "Sex: unknown",
}

// omopVocab maps our vocabularies to OMOP vocabulary ids, for parent_codes
// in MEDS's recommended "$VOCABULARY/$CONCEPT_CODE" form.
var omopVocab = map[string]string{
	timeline.VocabLOINC:   "LOINC",
	timeline.VocabSNOMED:  "SNOMED",
	timeline.VocabICD10CM: "ICD10CM",
	timeline.VocabRxNorm:  "RxNorm",
	timeline.VocabATC:     "ATC",
}

// writeCodes writes metadata/codes.parquet: every code of the data, sorted,
// with a description from the code table where known and the OMOP
// concept of standard-vocabulary codes as parent.
func (e *exporter) writeCodes(path string, codes map[string]struct{}) error {
	sorted := make([]string, 0, len(codes))
	for c := range codes {
		sorted = append(sorted, c)
	}
	sort.Strings(sorted)
	table := timeline.DefaultCodes()
	mem := e.o.Mem
	cb := array.NewStringBuilder(mem)
	defer cb.Release()
	db := array.NewStringBuilder(mem)
	defer db.Release()
	pb := array.NewListBuilder(mem, arrow.BinaryTypes.String)
	defer pb.Release()
	pv := pb.ValueBuilder().(*array.StringBuilder)
	for _, c := range sorted {
		cb.Append(c)
		desc := demographicDescriptions[c]
		if ci, ok := table.Lookup(c); ok && ci.Display != "" {
			desc = ci.Display
		}
		if desc != "" {
			db.Append(desc)
		} else {
			db.AppendNull()
		}
		vocab, parts := timeline.SplitCode(c)
		if ov, ok := omopVocab[vocab]; ok && len(parts) == 1 && parts[0] != "" {
			pb.Append(true)
			pv.Append(ov + "/" + parts[0])
		} else {
			pb.AppendNull()
		}
	}
	ca, da, pa := cb.NewArray(), db.NewArray(), pb.NewArray()
	defer ca.Release()
	defer da.Release()
	defer pa.Release()
	rec := array.NewRecord(meds.CodesSchema, []arrow.Array{ca, da, pa}, int64(len(sorted)))
	defer rec.Release()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	props, aprops := e.writerProps()
	fw, err := pqarrow.NewFileWriter(meds.CodesSchema, f, props, aprops)
	if err != nil {
		f.Close()
		return fmt.Errorf("export: codes: %w", err)
	}
	if err := fw.WriteBuffered(rec); err != nil {
		fw.Close()
		return fmt.Errorf("export: codes: %w", err)
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("export: codes: %w", err)
	}
	return nil
}

// Provenance is the "medtwin" object of dataset.json: what was exported
// and under which clocks. It names no patient.
type Provenance struct {
	Dataset      string           `json:"dataset"`
	Format       string           `json:"format"`
	CreatedAt    string           `json:"created_at"`
	AsOf         string           `json:"as_of,omitempty"`
	KnownBy      string           `json:"known_by,omitempty"`
	From         string           `json:"from,omitempty"`
	To           string           `json:"to,omitempty"`
	Kinds        []string         `json:"kinds,omitempty"`
	Codes        []string         `json:"codes,omitempty"`
	Cohort       CohortSummary    `json:"cohort"`
	Rows         int64            `json:"rows"`
	Subjects     int64            `json:"subjects"`
	Partitioning string           `json:"partitioning"`
	Buckets      int              `json:"buckets,omitempty"`
	Splits       *ProvenanceSplit `json:"splits,omitempty"`
}

// CohortSummary describes the cohort without listing subjects.
type CohortSummary struct {
	SubjectIDs int      `json:"subject_ids,omitempty"` // how many ids were named
	HasCodes   []string `json:"has_codes,omitempty"`
	MinSubject int64    `json:"min_subject,omitempty"`
	MaxSubject int64    `json:"max_subject,omitempty"`
}

// ProvenanceSplit documents how subject_splits.parquet was assigned.
type ProvenanceSplit struct {
	Train   float64 `json:"train"`
	Tuning  float64 `json:"tuning"`
	HeldOut float64 `json:"held_out"`
	Method  string  `json:"method"`
}

// iso formats a time for dataset.json; "" for the zero time.
func iso(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return meds.FormatTime(t)
}

// provenance describes the export for dataset.json (MEDS) or _medtwin.json
// (Parquet directories).
func (e *exporter) provenance(bk *buckets) Provenance {
	o, f := e.o, e.o.Filter
	p := Provenance{
		Dataset:      string(o.Dataset),
		Format:       string(o.Format),
		CreatedAt:    meds.FormatTime(o.Now()),
		AsOf:         iso(f.AsOf),
		KnownBy:      iso(f.KnownBy),
		From:         iso(f.From),
		To:           iso(f.To),
		Codes:        f.Codes,
		Cohort:       CohortSummary{SubjectIDs: len(o.Cohort.SubjectIDs), HasCodes: o.Cohort.HasCodes, MinSubject: o.Cohort.MinSubject, MaxSubject: o.Cohort.MaxSubject},
		Rows:         e.rows,
		Subjects:     e.subjects,
		Partitioning: "none",
	}
	if o.Format == FormatMEDS {
		mo := o.MEDS
		p.Splits = &ProvenanceSplit{Train: mo.Splits.Train, Tuning: mo.Splits.Tuning, HeldOut: mo.Splits.HeldOut,
			Method: `u = first 8 bytes of SHA-256("medtwin/split/v1/" + subject_id) / 2^64; train if u < train, tuning if u < train+tuning, else held_out`}
	}
	for _, k := range f.Kinds {
		p.Kinds = append(p.Kinds, k.String())
	}
	if bk != nil {
		p.Partitioning, p.Buckets = "hive:"+BucketColumn+" (contiguous subject_id ranges)", bk.n
	}
	return p
}

func (e *exporter) writeDatasetJSON(path string, bk *buckets) error {
	mo := e.o.MEDS
	now := e.o.Now()
	p := e.provenance(bk)
	raw, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	md := meds.DatasetMetadata{
		DatasetName:    mo.DatasetName,
		DatasetVersion: mo.DatasetVersion,
		ETLName:        "medtwin",
		ETLVersion:     etlVersion(),
		MEDSVersion:    meds.Version,
		CreatedAt:      meds.FormatTime(now),
		Medtwin:        raw,
	}
	if md.DatasetVersion == "" {
		md.DatasetVersion = now.UTC().Format("2006-01-02")
	}
	for _, x := range mo.Extensions {
		if x == "unit" {
			md.CodeModifierColumns = append(md.CodeModifierColumns, x)
		} else {
			md.OtherExtensionColumns = append(md.OtherExtensionColumns, x)
		}
	}
	b, err := json.MarshalIndent(md, "", "  ")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// etlVersion is medtwin's module version, or "dev" for a local build.
func etlVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
