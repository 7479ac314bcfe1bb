package export_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"github.com/apache/arrow/go/v15/parquet/schema"

	"github.com/medtwin/medtwin/export"
	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/meds"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/postgres"
	"github.com/medtwin/medtwin/store/postgres/pgtest"
	"github.com/medtwin/medtwin/store/sqlite"
	"github.com/medtwin/medtwin/timeline"
)

var (
	ctx = context.Background()
	t0  = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func openStore(t testing.TB, clock func() time.Time) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "medtwin.db"), sqlite.WithClock(clock))
	must(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// fixture fills a store with subjects whose rows exercise every column:
// static rows, units, text, intervals, late availability, a superseded
// value and a variant with its detail row.
func fixture(t testing.TB, subjects int) (*sqlite.Store, *clock) {
	t.Helper()
	clk := &clock{now: t0.Add(24 * time.Hour)}
	s := openStore(t, clk.Now)
	fill(t, s, clk, subjects)
	return s, clk
}

// fill writes the fixture's rows into s, whose clock is clk.
func fill(t testing.TB, s store.Store, clk *clock, subjects int) {
	t.Helper()
	bb := timeline.NewBatchBuilder(memory.DefaultAllocator, 0, timeline.WithClock(clk.Now))
	defer bb.Release()
	for p := 0; p < subjects; p++ {
		sid, err := s.Resolve(ctx, timeline.Identifier{System: "urn:mrn", Value: fmt.Sprint(1000 + p)})
		must(t, err)
		key := func(parts ...string) timeline.Key {
			return timeline.NewKey(append([]string{fmt.Sprint(p)}, parts...)...)
		}
		sex := timeline.CodeSexFemale
		if p%2 == 1 {
			sex = timeline.CodeSexMale
		}
		evs := []timeline.Event{
			{SubjectID: sid, Code: sex, Kind: timeline.KindDemographic, Key: key("sex"), Source: "fhir#Patient/" + fmt.Sprint(p)},
			{SubjectID: sid, Time: time.Date(1950+p, 2, 3, 0, 0, 0, 0, time.UTC), Code: timeline.CodeBirth, Kind: timeline.KindDemographic, Key: key("birth")},
			{SubjectID: sid, Time: t0, Code: "LOINC//1742-6", Value: 30 + float64(p), HasValue: true, Unit: "U/L", Kind: timeline.KindLab, Key: key("alt"),
				AvailableAt: t0.Add(6 * time.Hour), Source: "fhir#Observation/alt", SourceVersion: 1},
			{SubjectID: sid, Time: t0, Code: "LOINC//2160-0", Value: 1.13, HasValue: true, Unit: "mg/dL", Kind: timeline.KindLab, Key: key("crea")},
			{SubjectID: sid, Time: t0.Add(time.Hour), Code: "RXNORM//6809", Text: "metformin 500 mg", Kind: timeline.KindMedication,
				EndTime: t0.Add(30 * 24 * time.Hour), Key: key("med")},
			{SubjectID: sid, Time: t0.Add(2 * time.Hour), Code: "NOTE//progress", Text: "no patient data here, just text", Kind: timeline.KindObservation, Key: key("note")},
		}
		if p == 0 {
			evs = append(evs, timeline.Event{SubjectID: sid, Time: t0.Add(-time.Hour), Code: "GENE//PNPLA3//p.Ile148Met", Value: 1, HasValue: true,
				Kind: timeline.KindVariant, Key: key("var")})
		}
		for i := range evs {
			must(t, bb.Append(&evs[i]))
		}
		if p == 0 {
			must(t, bb.Detail(timeline.Variants).AppendVariant(&timeline.Variant{SubjectID: sid, Key: key("var"), Sample: "S0", Assembly: "GRCh38",
				Chrom: "chr22", Pos: 43928847, Ref: "C", Alt: "G", Genotype: "0/1", Zygosity: "heterozygous", Depth: 31, AltDepth: 15,
				AlleleFraction: 15.0 / 31, Qual: 99, Gene: "PNPLA3", HGVSp: "p.Ile148Met"}))
		}
	}
	b := bb.Flush()
	_, err := s.Append(ctx, b)
	b.Release()
	must(t, err)
	// A corrected ALT for the first subject supersedes the first value.
	clk.now = clk.now.Add(time.Hour)
	sid, _ := s.Lookup(ctx, timeline.Identifier{System: "urn:mrn", Value: "1000"})
	must(t, bb.Append(&timeline.Event{SubjectID: sid, Time: t0, Code: "LOINC//1742-6", Value: 33, HasValue: true, Unit: "U/L", Kind: timeline.KindLab,
		Key: timeline.NewKey("0", "alt"), AvailableAt: t0.Add(6 * time.Hour), Source: "fhir#Observation/alt", SourceVersion: 2}))
	b = bb.Flush()
	res, err := s.Append(ctx, b)
	b.Release()
	must(t, err)
	if res.Superseded != 1 {
		t.Fatalf("fixture: correction did not supersede: %+v", res)
	}
	clk.now = clk.now.Add(time.Hour)
}

func checked(t testing.TB) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

func scanAll(t testing.TB, s store.Store, f store.Filter) []timeline.Event {
	t.Helper()
	rr, err := s.Scan(ctx, store.Cohort{}, f)
	must(t, err)
	evs, err := timeline.ReadAll(rr)
	must(t, err)
	return evs
}

// readParquet reads every row of the Parquet files under dir (sorted by
// path) as one record per file.
func readParquet(t testing.TB, paths ...string) []arrow.Record {
	t.Helper()
	var out []arrow.Record
	for _, p := range paths {
		pf, err := file.OpenParquetFile(p, false)
		must(t, err)
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1 << 20}, memory.DefaultAllocator)
		must(t, err)
		tbl, err := fr.ReadTable(ctx)
		must(t, err)
		tr := array.NewTableReader(tbl, -1)
		for tr.Next() {
			out = append(out, stripFieldMetadata(tr.Record()))
		}
		tr.Release()
		tbl.Release()
		pf.Close()
	}
	return out
}

// stripFieldMetadata drops the PARQUET:field_id metadata the Parquet
// reader attaches to every field.
func stripFieldMetadata(rec arrow.Record) arrow.Record {
	fields := rec.Schema().Fields()
	for i := range fields {
		fields[i].Metadata = arrow.Metadata{}
	}
	return array.NewRecord(arrow.NewSchema(fields, nil), rec.Columns(), rec.NumRows())
}

// checkMEDSSchema checks a data file against MEDS's DataSchema. The Go
// Parquet reader reads every TIMESTAMP logical type as UTC, so the time
// column's naivety is checked on the Parquet schema itself.
func checkMEDSSchema(t *testing.T, path string, got *arrow.Schema) {
	t.Helper()
	want := meds.DataSchema
	if got.NumFields() != want.NumFields() {
		t.Fatalf("%s: %d columns", path, got.NumFields())
	}
	for i, w := range want.Fields() {
		g := got.Field(i)
		if w.Name == "time" {
			g.Type = meds.NaiveTimestamp
		}
		if g.Name != w.Name || g.Nullable != w.Nullable || !arrow.TypeEqual(g.Type, w.Type) {
			t.Errorf("%s: column %d is %s, want %s", path, i, g, w)
		}
	}
	pf, err := file.OpenParquetFile(path, false)
	must(t, err)
	defer pf.Close()
	col := pf.MetaData().Schema.Column(1)
	lt, ok := col.LogicalType().(*schema.TimestampLogicalType)
	if col.Name() != "time" || !ok || lt.IsAdjustedToUTC() || lt.TimeUnit() != schema.TimeUnitMicros {
		t.Errorf("%s: time column is %s %s, want a naive TIMESTAMP(MICROS)", path, col.Name(), col.LogicalType())
	}
	if pf.MetaData().Schema.Column(0).SchemaNode().RepetitionType() != parquet.Repetitions.Required {
		t.Errorf("%s: subject_id is not REQUIRED", path)
	}
}

func globParquet(t testing.TB, dir string) []string {
	t.Helper()
	var files []string
	must(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") {
			files = append(files, p)
		}
		return err
	}))
	sort.Strings(files)
	return files
}

func runIngest(t testing.TB, s store.Store, paths ...string) *ingest.Report {
	t.Helper()
	reg, err := ingest.NewRegistry(meds.New())
	must(t, err)
	rep, err := (&ingest.Runner{Target: s, Registry: reg, Env: ingest.Env{Mem: checked(t)}, Command: "test"}).Run(ctx, paths)
	must(t, err)
	return rep
}

func TestMEDSDataset(t *testing.T) {
	s, _ := fixture(t, 7)
	out := filepath.Join(t.TempDir(), "meds")
	res, err := export.Export(ctx, s, out, nil, export.Options{Format: export.FormatMEDS, Mem: checked(t), RowsPerFile: 10,
		Now: func() time.Time { return t0 }, MEDS: export.MEDSOptions{DatasetName: "fixture"}})
	must(t, err)
	all := scanAll(t, s, store.Filter{})
	if res.Rows != int64(len(all)) || res.Subjects != 7 {
		t.Fatalf("result %+v, store has %d rows", res, len(all))
	}
	// Files split at subject boundaries: 6-7 rows a subject, 10 rows a file.
	data := globParquet(t, filepath.Join(out, "data"))
	if len(data) < 4 || filepath.Base(data[0]) != "0.parquet" {
		t.Fatalf("data files %v", data)
	}
	seenIn := map[int64]string{}
	var rows []timeline.Event
	for i, rec := range readParquet(t, data...) {
		checkMEDSSchema(t, data[i], rec.Schema())
		subj := rec.Column(0).(*array.Int64)
		tm := rec.Column(1).(*array.Timestamp)
		code := rec.Column(2).(*array.String)
		num := rec.Column(3).(*array.Float32)
		text := rec.Column(4).(*array.LargeString)
		for j := 0; j < int(rec.NumRows()); j++ {
			s := subj.Value(j)
			if f, ok := seenIn[s]; ok && f != data[i] {
				t.Errorf("subject %d in %s and %s", s, f, data[i])
			}
			seenIn[s] = data[i]
			e := timeline.Event{SubjectID: s, Code: code.Value(j)}
			if tm.IsValid(j) {
				e.Time = timeline.FromMicros(int64(tm.Value(j)))
			}
			if num.IsValid(j) {
				e.Value, e.HasValue = float64(num.Value(j)), true
			}
			if text.IsValid(j) {
				e.Text = text.Value(j)
			}
			rows = append(rows, e)
		}
		rec.Release()
	}
	if len(rows) != len(all) {
		t.Fatalf("%d MEDS rows, store has %d", len(rows), len(all))
	}
	codes := map[string]bool{}
	for i, e := range rows {
		w := all[i]
		if e.SubjectID != w.SubjectID || !e.Time.Equal(w.Time) || e.Code != w.Code || e.HasValue != w.HasValue ||
			float32(e.Value) != float32(w.Value) || e.Text != w.Text {
			t.Errorf("row %d: %+v, want %+v", i, e, w)
		}
		if i > 0 && rows[i-1].SubjectID == e.SubjectID && !rows[i-1].Time.IsZero() && (e.Time.IsZero() || e.Time.Before(rows[i-1].Time)) {
			t.Errorf("row %d out of time order", i)
		}
		codes[e.Code] = true
	}

	// codes.parquet: every code once, descriptions where known.
	cr := readParquet(t, filepath.Join(out, "metadata", "codes.parquet"))[0]
	defer cr.Release()
	if !cr.Schema().Equal(meds.CodesSchema) || int(cr.NumRows()) != len(codes) || res.Codes != len(codes) {
		t.Fatalf("codes.parquet: %d rows, schema %s; want %d codes", cr.NumRows(), cr.Schema(), len(codes))
	}
	desc := map[string]string{}
	parents := map[string]string{}
	cc, cd, cp := cr.Column(0).(*array.String), cr.Column(1).(*array.String), cr.Column(2).(*array.List)
	for i := 0; i < int(cr.NumRows()); i++ {
		if !codes[cc.Value(i)] {
			t.Errorf("codes.parquet lists %q, absent from the data", cc.Value(i))
		}
		desc[cc.Value(i)] = timeline.StringAt(cd, i)
		if cp.IsValid(i) {
			lo, hi := cp.ValueOffsets(i)
			parents[cc.Value(i)] = cp.ListValues().(*array.String).Value(int(lo))
			if hi-lo != 1 {
				t.Errorf("%s: %d parents", cc.Value(i), hi-lo)
			}
		}
	}
	if desc["LOINC//2160-0"] != "Creatinine [Mass/volume] in Serum or Plasma" || desc["MEDS_BIRTH"] != "Birth" || desc["NOTE//progress"] != "" {
		t.Errorf("descriptions: %v", desc)
	}
	if parents["LOINC//1742-6"] != "LOINC/1742-6" || parents["RXNORM//6809"] != "RxNorm/6809" {
		t.Errorf("parent codes: %v", parents)
	}

	// subject_splits.parquet: every subject, by the documented hash.
	sr := readParquet(t, filepath.Join(out, "metadata", "subject_splits.parquet"))[0]
	defer sr.Release()
	if !sr.Schema().Equal(meds.SplitsSchema) || sr.NumRows() != 7 {
		t.Fatalf("subject_splits: %d rows, schema %s", sr.NumRows(), sr.Schema())
	}
	for i := 0; i < 7; i++ {
		id, split := sr.Column(0).(*array.Int64).Value(i), sr.Column(1).(*array.String).Value(i)
		if split != export.SplitOf(id, export.DefaultSplits) {
			t.Errorf("subject %d in %s", id, split)
		}
	}

	// dataset.json.
	md, err := meds.ReadDatasetMetadata(filepath.Join(out, "metadata", "dataset.json"))
	must(t, err)
	if md.DatasetName != "fixture" || md.ETLName != "medtwin" || md.MEDSVersion != "0.4.0" || md.CreatedAt != "2024-03-01T09:00:00Z" {
		t.Errorf("dataset.json: %+v", md)
	}
	var prov export.Provenance
	must(t, json.Unmarshal(md.Medtwin, &prov))
	if prov.Rows != res.Rows || prov.Subjects != 7 || prov.Dataset != "timeline" {
		t.Errorf("provenance: %+v", prov)
	}

	// No temporary directory is left beside the output.
	ents, _ := os.ReadDir(filepath.Dir(out))
	if len(ents) != 1 {
		t.Errorf("output directory holds %d entries", len(ents))
	}
}

func TestSplitOf(t *testing.T) {
	// Deterministic, and close to the fractions over many subjects.
	n := map[string]int{}
	for id := int64(1); id <= 20000; id++ {
		s := export.SplitOf(id, export.DefaultSplits)
		if s != export.SplitOf(id, export.DefaultSplits) {
			t.Fatal("not deterministic")
		}
		n[s]++
	}
	if n["train"] < 15700 || n["train"] > 16300 || n["tuning"] < 1850 || n["tuning"] > 2150 || n["held_out"] < 1850 || n["held_out"] > 2150 {
		t.Errorf("split sizes %v", n)
	}
	if got := export.SplitOf(42, export.Splits{Train: 1}); got != "train" {
		t.Errorf("all-train split gave %s", got)
	}
}

// mapped returns a store's current events keyed by the exported subject id
// (the identifier value under system), with the store-local columns
// (subject, recorded_at, superseded_at) cleared.
func mapped(t *testing.T, s store.Store, system string) []timeline.Event {
	t.Helper()
	evs := scanAll(t, s, store.Filter{})
	ids := map[int64]int64{}
	for i := range evs {
		sid := evs[i].SubjectID
		if _, ok := ids[sid]; !ok {
			idents, err := s.Identifiers(ctx, sid)
			must(t, err)
			ids[sid] = -1
			for _, id := range idents {
				if id.System == system {
					v, err := strconv.ParseInt(id.Value, 10, 64)
					must(t, err)
					ids[sid] = v
				}
			}
		}
		evs[i].SubjectID = ids[sid]
		evs[i].RecordedAt, evs[i].SupersededAt = time.Time{}, time.Time{}
	}
	sortEvents(evs)
	return evs
}

// sortEvents orders events by subject, time, code, value, text, then key.
func sortEvents(evs []timeline.Event) {
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := evs[i], evs[j]
		switch {
		case a.SubjectID != b.SubjectID:
			return a.SubjectID < b.SubjectID
		case !a.Time.Equal(b.Time):
			return a.Time.Before(b.Time)
		case a.Code != b.Code:
			return a.Code < b.Code
		case a.Value != b.Value:
			return a.Value < b.Value
		case a.Text != b.Text:
			return a.Text < b.Text
		}
		return a.Key.String() < b.Key.String()
	})
}

func TestParquetRoundTrip(t *testing.T) {
	// Our full schema ingests back to the same rows: every column but the
	// store-local ones (subject id, recorded_at, superseded_at).
	s, _ := fixture(t, 5)
	dir := t.TempDir()
	out := filepath.Join(dir, "timeline.parquet")
	res, err := export.Export(ctx, s, out, nil, export.Options{Format: export.FormatParquet, Mem: checked(t)})
	must(t, err)
	want := scanAll(t, s, store.Filter{})
	if res.Rows != int64(len(want)) {
		t.Fatalf("exported %d rows, want %d", res.Rows, len(want))
	}
	for i := range want {
		want[i].RecordedAt, want[i].SupersededAt = time.Time{}, time.Time{}
	}

	fresh := openStore(t, time.Now)
	rep := runIngest(t, fresh, out)
	if !rep.Clean() || rep.Files[0].Result.Inserted != res.Rows {
		t.Fatalf("ingest: %+v", rep.Files[0])
	}
	got := mapped(t, fresh, "meds:timeline")
	// Subject ids coincide here (the fixture's ids are 1..5, the fresh
	// store assigns them in order of appearance), so the mapping through
	// the identifier is the identity.
	if len(got) != len(want) {
		t.Fatalf("%d rows after round trip, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	// A second ingest of the same export: 0 inserted, N duplicates.
	res2, rej, failed := runIngest(t, fresh, out).Totals()
	if res2.Inserted != 0 || res2.Duplicate != res.Rows || rej != 0 || failed != 0 {
		t.Errorf("second ingest: %+v rejected %d failed %d", res2, rej, failed)
	}
}

func TestMEDSRoundTrip(t *testing.T) {
	// MEDS → fresh store → MEDS gives the same MEDS rows, and the second
	// store's events equal the first's at MEDS precision.
	s, _ := fixture(t, 6)
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	ra, err := export.Export(ctx, s, a, nil, export.Options{Format: export.FormatMEDS, Mem: checked(t), RowsPerFile: 13,
		MEDS: export.MEDSOptions{DatasetName: "site-a"}})
	must(t, err)
	fresh := openStore(t, time.Now)
	rep := runIngest(t, fresh, a)
	res, rej, failed := rep.Totals()
	if res.Inserted != ra.Rows || rej != 0 || failed != 0 || len(rep.Unrecognised) != 0 {
		t.Fatalf("ingest of the export: %+v rejected %d failed %d unrecognised %v", res, rej, failed, rep.Unrecognised)
	}
	res, _, _ = runIngest(t, fresh, a).Totals()
	if res.Inserted != 0 || res.Duplicate != ra.Rows {
		t.Errorf("second ingest: %+v, want 0 inserted, %d duplicates", res, ra.Rows)
	}

	// Exported subject ids are identifiers of "meds:site-a" in the new
	// store; compare at MEDS precision (numeric_value is float32).
	got := mapped(t, fresh, "meds:site-a")
	wantRows := scanAll(t, s, store.Filter{}) // the exported subject ids are these
	if len(got) != len(wantRows) {
		t.Fatalf("%d rows after round trip, want %d", len(got), len(wantRows))
	}
	sortEvents(got)
	sortEvents(wantRows)
	for i, w := range wantRows {
		g := got[i]
		if g.SubjectID != w.SubjectID || !g.Time.Equal(w.Time) || g.Code != w.Code || g.HasValue != w.HasValue ||
			float32(g.Value) != float32(w.Value) || g.Text != w.Text {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, g, w)
		}
		if g.HasValue && g.Value != float64(float32(w.Value)) && strconv.FormatFloat(g.Value, 'g', -1, 64) != strconv.FormatFloat(float64(float32(w.Value)), 'g', -1, 32) {
			t.Errorf("row %d value %v is not the shortest decimal of float32 %v", i, g.Value, float32(w.Value))
		}
	}

	// Exporting the second store gives the same MEDS data files, byte for
	// byte apart from subject ids, which the fresh store assigned in order
	// of appearance — here 1..6 like the first store's.
	b := filepath.Join(dir, "b")
	rb, err := export.Export(ctx, fresh, b, nil, export.Options{Format: export.FormatMEDS, Mem: checked(t), RowsPerFile: 13,
		MEDS: export.MEDSOptions{DatasetName: "site-a"}})
	must(t, err)
	if rb.Rows != ra.Rows || rb.Subjects != ra.Subjects {
		t.Fatalf("second export %+v, first %+v", rb, ra)
	}
	da, db := globParquet(t, filepath.Join(a, "data")), globParquet(t, filepath.Join(b, "data"))
	if len(da) != len(db) {
		t.Fatalf("%d and %d data files", len(da), len(db))
	}
	for i := range da {
		ra, rb := readParquet(t, da[i])[0], readParquet(t, db[i])[0]
		if !array.RecordEqual(ra, rb) {
			t.Errorf("%s differs from %s", da[i], db[i])
		}
		ra.Release()
		rb.Release()
	}
}

func TestHivePartitioning(t *testing.T) {
	s, _ := fixture(t, 9)
	dir := t.TempDir()
	check := func(out string, wantBuckets int) {
		t.Helper()
		files := globParquet(t, out)
		bucketOf := map[int64]string{}
		lastMax := int64(-1)
		byBucket := map[string][]string{}
		for _, f := range files {
			rel, _ := filepath.Rel(out, f)
			parts := strings.Split(filepath.ToSlash(rel), "/")
			if parts[0] == "metadata" {
				continue
			}
			if parts[0] == "data" {
				parts = parts[1:]
			}
			if len(parts) != 2 || !strings.HasPrefix(parts[0], "subject_bucket=") {
				t.Fatalf("file %s is not in a subject bucket", rel)
			}
			byBucket[parts[0]] = append(byBucket[parts[0]], f)
		}
		if len(byBucket) != wantBuckets {
			t.Fatalf("%d buckets, want %d: %v", len(byBucket), wantBuckets, files)
		}
		keys := make([]string, 0, len(byBucket))
		for k := range byBucket {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			lo := int64(1 << 62)
			for _, rec := range readParquet(t, byBucket[k]...) {
				subj := rec.Column(0).(*array.Int64)
				for i := 0; i < subj.Len(); i++ {
					if b, ok := bucketOf[subj.Value(i)]; ok && b != k {
						t.Errorf("subject %d in %s and %s", subj.Value(i), b, k)
					}
					bucketOf[subj.Value(i)] = k
					lo = min(lo, subj.Value(i))
					if subj.Value(i) <= lastMax && lo == subj.Value(i) {
						t.Errorf("bucket %s overlaps the previous one", k)
					}
				}
				rec.Release()
			}
			for s := range bucketOf {
				if bucketOf[s] == k {
					lastMax = max(lastMax, s)
				}
			}
		}
		if len(bucketOf) != 9 {
			t.Errorf("%d subjects exported, want 9", len(bucketOf))
		}
	}
	// Forced, for each directory format.
	p := filepath.Join(dir, "parquet")
	res, err := export.Export(ctx, s, p, nil, export.Options{Format: export.FormatParquet, Partition: export.PartitionSubjectBucket, Buckets: 3, Mem: checked(t)})
	must(t, err)
	if res.Buckets != 3 {
		t.Errorf("buckets %d", res.Buckets)
	}
	check(p, 3)
	m := filepath.Join(dir, "meds")
	_, err = export.Export(ctx, s, m, nil, export.Options{Format: export.FormatMEDS, Partition: export.PartitionSubjectBucket, Buckets: 4, Mem: checked(t)})
	must(t, err)
	check(m, 4)
	// Automatic above the threshold, off below it.
	auto := filepath.Join(dir, "auto")
	res, err = export.Export(ctx, s, auto, nil, export.Options{Format: export.FormatParquet, AutoPartitionRows: 20, Mem: checked(t)})
	must(t, err)
	if res.Buckets != 2 {
		t.Errorf("auto: %d buckets, want 2", res.Buckets)
	}
	flat := filepath.Join(dir, "flat")
	res, err = export.Export(ctx, s, flat, nil, export.Options{Format: export.FormatParquet, Mem: checked(t)})
	must(t, err)
	if res.Buckets != 0 || len(res.Files) != 2 || res.Files[0] != "part-00000.parquet" || res.Files[1] != export.ProvenanceFile {
		t.Errorf("flat: %+v", res)
	}
	var prov export.Provenance
	b, err := os.ReadFile(filepath.Join(flat, export.ProvenanceFile))
	must(t, err)
	must(t, json.Unmarshal(b, &prov))
	if prov.Rows != res.Rows || prov.Format != "parquet" || prov.Partitioning != "none" || prov.Splits != nil {
		t.Errorf("provenance %+v", prov)
	}
	// A partitioned MEDS export is a MEDS dataset: it ingests back whole.
	rep := runIngest(t, openStore(t, time.Now), m)
	if r, rej, failed := rep.Totals(); r.Inserted != int64(len(scanAll(t, s, store.Filter{}))) || rej != 0 || failed != 0 {
		t.Errorf("ingest of partitioned MEDS: %+v", r)
	}
}

func TestArrow(t *testing.T) {
	s, _ := fixture(t, 4)
	want := scanAll(t, s, store.Filter{})
	dir := t.TempDir()
	read := func(r arrow.Record) []timeline.Event {
		evs, err := timeline.Events(r)
		must(t, err)
		return evs
	}
	// Stream to a writer (stdout).
	var buf strings.Builder
	res, err := export.Export(ctx, s, "-", &buf, export.Options{Format: export.FormatArrow, Mem: checked(t), Filter: store.Filter{BatchRows: 5}})
	must(t, err)
	if res.Rows != int64(len(want)) {
		t.Fatalf("rows %d", res.Rows)
	}
	rd, err := ipc.NewReader(strings.NewReader(buf.String()))
	must(t, err)
	var got []timeline.Event
	for rd.Next() {
		got = append(got, read(rd.Record())...)
	}
	must(t, rd.Err())
	rd.Release()
	if len(got) != len(want) {
		t.Fatalf("stream: %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("stream row %d differs", i)
		}
	}
	// The random-access file format.
	p := filepath.Join(dir, "events.arrow")
	_, err = export.Export(ctx, s, p, nil, export.Options{Format: export.FormatArrow, IPC: export.IPCFile, Mem: checked(t), Filter: store.Filter{BatchRows: 5}})
	must(t, err)
	f, err := os.Open(p)
	must(t, err)
	defer f.Close()
	fr, err := ipc.NewFileReader(f)
	must(t, err)
	defer fr.Close()
	got = got[:0]
	for i := 0; i < fr.NumRecords(); i++ {
		rec, err := fr.Record(i)
		must(t, err)
		got = append(got, read(rec)...)
	}
	if len(got) != len(want) || fr.NumRecords() < 2 {
		t.Fatalf("file: %d rows in %d records", len(got), fr.NumRecords())
	}
}

func TestFiltersAndCohorts(t *testing.T) {
	s, _ := fixture(t, 5)
	count := func(o export.Options) int64 {
		t.Helper()
		o.Format, o.Mem = export.FormatParquet, checked(t)
		res, err := export.Export(ctx, s, filepath.Join(t.TempDir(), "x.parquet"), nil, o)
		must(t, err)
		return res.Rows
	}
	all := int64(len(scanAll(t, s, store.Filter{})))
	// As-of: the ALT results became available six hours after they were
	// drawn; a cut before then leaves them out.
	if n := count(export.Options{Filter: store.Filter{AsOf: t0.Add(3 * time.Hour)}}); n != all-5 {
		t.Errorf("as-of: %d rows, want %d", n, all-5)
	}
	if n := count(export.Options{Cohort: store.Cohort{SubjectIDs: []int64{2, 4}}}); n != 12 {
		t.Errorf("subject ids: %d rows", n)
	}
	if n := count(export.Options{Cohort: store.Cohort{HasCodes: []string{"GENE//*"}}}); n != 7 {
		t.Errorf("has code: %d rows", n)
	}
	if n := count(export.Options{Filter: store.Filter{Kinds: []timeline.Kind{timeline.KindLab}}}); n != 10 {
		t.Errorf("kinds: %d rows", n)
	}
	// Known-by before the correction: the first ALT of subject 1 (30), not
	// the corrected 33.
	out := filepath.Join(t.TempDir(), "kb.parquet")
	_, err := export.Export(ctx, s, out, nil, export.Options{Format: export.FormatParquet, Mem: checked(t),
		Cohort: store.Cohort{SubjectIDs: []int64{1}}, Filter: store.Filter{KnownBy: t0.Add(24*time.Hour + 30*time.Minute), Codes: []string{"LOINC//1742-6"}}})
	must(t, err)
	recs := readParquet(t, out)
	evs, err := timeline.Events(recs[0])
	must(t, err)
	recs[0].Release()
	if len(evs) != 1 || evs[0].Value != 30 {
		t.Errorf("known-by: %+v", evs)
	}
}

func TestDetails(t *testing.T) {
	s, _ := fixture(t, 3)
	out := filepath.Join(t.TempDir(), "variants")
	res, err := export.Export(ctx, s, out, nil, export.Options{Format: export.FormatParquet, Dataset: export.Dataset(timeline.Variants), Mem: checked(t)})
	must(t, err)
	if res.Rows != 1 {
		t.Fatalf("variants: %+v", res)
	}
	recs := readParquet(t, globParquet(t, out)...)
	vs, err := timeline.VariantsOf(recs[0])
	must(t, err)
	recs[0].Release()
	if len(vs) != 1 || vs[0].Gene != "PNPLA3" || vs[0].Pos != 43928847 {
		t.Errorf("variant %+v", vs)
	}
	if _, err := export.Export(ctx, s, filepath.Join(t.TempDir(), "m"), nil, export.Options{Format: export.FormatMEDS, Dataset: export.Dataset(timeline.Variants)}); !errors.Is(err, export.ErrOptions) {
		t.Errorf("MEDS of variants: %v", err)
	}
}

func TestOutputSafety(t *testing.T) {
	s, _ := fixture(t, 3)
	dir := t.TempDir()
	out := filepath.Join(dir, "ds")
	must(t, os.MkdirAll(out, 0o755))
	must(t, os.WriteFile(filepath.Join(out, "keep.txt"), []byte("x"), 0o644))
	_, err := export.Export(ctx, s, out, nil, export.Options{Format: export.FormatMEDS})
	if !errors.Is(err, export.ErrExists) {
		t.Fatalf("existing output: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "keep.txt")); err != nil {
		t.Fatal("existing output touched")
	}
	_, err = export.Export(ctx, s, out, nil, export.Options{Format: export.FormatMEDS, Overwrite: true})
	must(t, err)
	if _, err := os.Stat(filepath.Join(out, "keep.txt")); !os.IsNotExist(err) {
		t.Error("overwrite kept the old content")
	}
	// A cancelled export leaves nothing behind.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	gone := filepath.Join(dir, "gone")
	if _, err := export.Export(cctx, s, gone, nil, export.Options{Format: export.FormatMEDS}); err == nil {
		t.Fatal("cancelled export succeeded")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("left behind: %v", names)
	}
	for _, o := range []export.Options{
		{Format: export.FormatParquet, Partition: export.PartitionSubjectBucket},
	} {
		if _, err := export.Export(ctx, s, filepath.Join(dir, "x.parquet"), nil, o); !errors.Is(err, export.ErrOptions) {
			t.Errorf("%+v: %v", o, err)
		}
	}
	if _, err := export.Export(ctx, s, "-", io.Discard, export.Options{Format: export.FormatMEDS}); !errors.Is(err, export.ErrOptions) {
		t.Errorf("MEDS to stdout: %v", err)
	}
}

func TestAudit(t *testing.T) {
	s, _ := fixture(t, 4)
	_, err := export.Export(ctx, s, filepath.Join(t.TempDir(), "a.parquet"), nil, export.Options{Format: export.FormatParquet,
		Cohort: store.Cohort{SubjectIDs: []int64{1, 3}},
		Audit:  &store.AuditEntry{Actor: "tester", Role: "cli", Action: "export", Fields: []string{"timeline", "parquet"}}})
	must(t, err)
	log, err := s.AuditLog(ctx, store.AuditQuery{Actor: "tester"})
	must(t, err)
	got := map[int64]bool{}
	for _, e := range log {
		got[e.SubjectID] = e.Action == "export"
	}
	if len(log) != 2 || !got[1] || !got[3] {
		t.Errorf("audit log: %+v", log)
	}
}

func TestRowGroups(t *testing.T) {
	// Store batches of 5 rows, row groups of at most 8: whole batches
	// become row groups, the slices cut at file boundaries accumulate.
	s, _ := fixture(t, 7)
	all := int64(len(scanAll(t, s, store.Filter{})))
	for _, f := range []export.Format{export.FormatParquet, export.FormatMEDS} {
		out := filepath.Join(t.TempDir(), "x")
		res, err := export.Export(ctx, s, out, nil, export.Options{Format: f, Mem: checked(t), RowGroupRows: 8, RowsPerFile: 11,
			Filter: store.Filter{BatchRows: 5}})
		must(t, err)
		var n int64
		for _, p := range globParquet(t, out) {
			if strings.Contains(p, "metadata") {
				continue
			}
			pf, err := file.OpenParquetFile(p, false)
			must(t, err)
			for g := 0; g < pf.NumRowGroups(); g++ {
				if r := pf.MetaData().RowGroup(g).NumRows(); r > 8 || r == 0 {
					t.Errorf("%s: row group %d has %d rows", p, g, r)
				}
			}
			n += pf.NumRows()
			pf.Close()
		}
		if n != all || res.Rows != all {
			t.Errorf("%s: %d rows in files, %d exported, want %d", f, n, res.Rows, all)
		}
	}
}

func TestPostgres(t *testing.T) {
	// The same MEDS round trip through PostgreSQL stores: static rows first
	// in each subject's scan, a valid dataset, and a second ingest that
	// inserts nothing.
	clk := &clock{now: t0.Add(24 * time.Hour)}
	s := pgtest.Open(t, postgres.WithClock(clk.Now))
	fill(t, s, clk, 5)
	out := filepath.Join(t.TempDir(), "meds")
	res, err := export.Export(ctx, s, out, nil, export.Options{Format: export.FormatMEDS, RowsPerFile: 10, Mem: checked(t),
		MEDS: export.MEDSOptions{DatasetName: "pg"}})
	must(t, err)
	want := scanAll(t, s, store.Filter{})
	if res.Rows != int64(len(want)) || !want[0].Static() {
		t.Fatalf("exported %d rows of %d; first row %+v", res.Rows, len(want), want[0])
	}
	for _, p := range globParquet(t, filepath.Join(out, "data")) {
		recs := readParquet(t, p)
		checkMEDSSchema(t, p, recs[0].Schema())
		recs[0].Release()
	}
	fresh := pgtest.Open(t)
	for i, w := range []store.AppendResult{{Inserted: res.Rows}, {Duplicate: res.Rows}} {
		got, rej, failed := runIngest(t, fresh, out).Totals()
		if got.Inserted != w.Inserted || got.Duplicate != w.Duplicate || rej != 0 || failed != 0 {
			t.Errorf("ingest %d: %+v, want %+v", i+1, got, w)
		}
	}
	got := mapped(t, fresh, "meds:pg")
	sortEvents(want)
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.SubjectID != w.SubjectID || !g.Time.Equal(w.Time) || g.Code != w.Code || float32(g.Value) != float32(w.Value) || g.Text != w.Text {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}
