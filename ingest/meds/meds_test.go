package meds_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/meds"
	"github.com/medtwin/medtwin/ingest/meds/medstest"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/sqlite"
	"github.com/medtwin/medtwin/timeline"
)

var (
	t0 = time.Date(2023, 4, 1, 8, 30, 0, 0, time.UTC)
	r  = medstest.R
)

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "medtwin.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// runIngest ingests paths with the MEDS adapter alone, through the same
// runner the CLI uses, allocating from a checked allocator.
func runIngest(t *testing.T, s store.Store, batchRows int, paths ...string) *ingest.Report {
	t.Helper()
	reg, err := ingest.NewRegistry(meds.New())
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	run := &ingest.Runner{Target: s, Registry: reg, Env: ingest.Env{Mem: mem, BatchRows: batchRows}, Command: "test"}
	rep, err := run.Run(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func byName(rep *ingest.Report) map[string]*ingest.FileReport {
	m := map[string]*ingest.FileReport{}
	for _, f := range rep.Files {
		m[f.Input.Name] = f
	}
	return m
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeParquet(t *testing.T, path string, sc *arrow.Schema, build func(b *array.RecordBuilder)) {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	build(b)
	rec := b.NewRecord()
	defer rec.Release()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	fw, err := pqarrow.NewFileWriter(sc, f, parquet.NewWriterProperties(), pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
}

// dataset writes a small MEDS dataset in the standard layout.
func dataset(t *testing.T, name string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "ds")
	must(t, medstest.WriteFile(filepath.Join(root, "data", "train", "0.parquet"), medstest.Options{},
		r(7, time.Time{}, "GENDER//F"),
		r(7, time.Date(1960, 5, 1, 0, 0, 0, 0, time.UTC), "MEDS_BIRTH"),
		r(7, t0, "LOINC//1742-6").V(41),
		r(7, t0, "LOINC//2160-0").V(1.1),
		r(7, t0, "LOINC//8867-4").V(72),
		r(7, t0.Add(time.Hour), "ICD10CM//K76.0"),
		r(7, t0.Add(2*time.Hour), "NOTE//discharge").T("stable, follow up in 3 months"),
		r(9, time.Time{}, "GENDER//M"),
		r(9, t0, "LAB//51221//%").V(38.5),
		r(9, t0.Add(time.Minute), "HOSPITAL_ADMISSION//EW EMER."),
	))
	must(t, medstest.WriteFile(filepath.Join(root, "data", "held_out", "0.parquet"), medstest.Options{},
		r(12, t0, "MEDS_DEATH"),
	))
	writeParquet(t, filepath.Join(root, "metadata", "codes.parquet"), meds.CodesSchema, func(b *array.RecordBuilder) {
		b.Field(0).(*array.StringBuilder).AppendValues([]string{"LOINC//1742-6", "MEDS_BIRTH"}, nil)
		b.Field(1).(*array.StringBuilder).AppendValues([]string{"ALT", "Birth"}, nil)
		b.Field(2).AppendNull()
		b.Field(2).AppendNull()
	})
	writeParquet(t, filepath.Join(root, "metadata", "subject_splits.parquet"), meds.SplitsSchema, func(b *array.RecordBuilder) {
		b.Field(0).(*array.Int64Builder).AppendValues([]int64{7, 9, 12}, nil)
		b.Field(1).(*array.StringBuilder).AppendValues([]string{"train", "train", "held_out"}, nil)
	})
	writeJSON(t, filepath.Join(root, "metadata", "dataset.json"), map[string]any{
		"dataset_name": name, "meds_version": "0.4.0", "etl_name": "test"})
	return root
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestIngestDataset(t *testing.T) {
	ctx := context.Background()
	root := dataset(t, "tiny-mimic")
	s := openStore(t)
	rep := runIngest(t, s, 3, root)
	files := byName(rep)
	if f := files["ds/data/train/0.parquet"]; f == nil || f.Result.Inserted != 10 || f.Rejected != 0 || f.Err != nil {
		t.Fatalf("train shard: %+v", f)
	}
	if f := files["ds/data/held_out/0.parquet"]; f == nil || f.Result.Inserted != 1 {
		t.Fatalf("held_out shard: %+v", f)
	}
	for name, cat := range map[string]string{
		"ds/metadata/codes.parquet":          "metadata:codes",
		"ds/metadata/subject_splits.parquet": "metadata:subject_splits",
		"ds/metadata/dataset.json":           "metadata:dataset",
	} {
		f := files[name]
		if f == nil || f.Err != nil || f.Skipped[cat] == 0 || f.Result.Inserted != 0 {
			t.Errorf("%s: want skipped %s, got %+v", name, cat, f)
		}
	}
	if !rep.Clean() || len(rep.Unrecognised) != 0 {
		t.Errorf("report not clean: unrecognised %v", rep.Unrecognised)
	}

	// Subjects are identifiers of the dataset's namespace.
	sid, err := s.Lookup(ctx, timeline.Identifier{System: "meds:tiny-mimic", Value: "7"})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := timeline.ReadAll(must2(s.Timeline(ctx, sid, store.Filter{})))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 7 {
		t.Fatalf("subject 7 has %d events, want 7", len(evs))
	}
	want := map[string]struct {
		kind  timeline.Kind
		value float64
		text  string
	}{
		"GENDER//F":       {timeline.KindDemographic, 0, ""},
		"MEDS_BIRTH":      {timeline.KindDemographic, 0, ""},
		"LOINC//1742-6":   {timeline.KindLab, 41, ""},
		"LOINC//2160-0":   {timeline.KindLab, 1.1, ""}, // float32 1.1 widened to 1.1, not 1.100000023841858
		"LOINC//8867-4":   {timeline.KindVital, 72, ""},
		"ICD10CM//K76.0":  {timeline.KindDiagnosis, 0, ""},
		"NOTE//discharge": {timeline.KindObservation, 0, "stable, follow up in 3 months"},
	}
	for _, e := range evs {
		w, ok := want[e.Code]
		if !ok {
			t.Errorf("unexpected code %s", e.Code)
			continue
		}
		if e.Kind != w.kind || e.Value != w.value || e.Text != w.text {
			t.Errorf("%s: kind %v value %v text %q, want %v %v %q", e.Code, e.Kind, e.Value, e.Text, w.kind, w.value, w.text)
		}
		if e.Key.IsZero() || !strings.HasPrefix(e.Source, "ds/data/train/0.parquet#row-group=") {
			t.Errorf("%s: key %v source %q", e.Code, e.Key, e.Source)
		}
	}
	if !evs[0].Static() || evs[0].Code != "GENDER//F" {
		t.Errorf("first event %+v, want the static sex row", evs[0])
	}

	// A second ingest of the same dataset inserts nothing.
	rep2 := runIngest(t, s, 3, root)
	res, rej, failed := rep2.Totals()
	if res.Inserted != 0 || res.Duplicate != 11 || rej != 0 || failed != 0 {
		t.Errorf("re-ingest: %+v rejected %d failed %d", res, rej, failed)
	}
	runs, err := s.Runs(ctx, 1)
	if err != nil || len(runs) != 1 || runs[0].Status != "ok" {
		t.Fatalf("runs: %+v %v", runs, err)
	}
	for _, f := range runs[0].Files {
		if f.SHA256 == "" || f.Size == 0 {
			t.Errorf("manifest of %s lacks hash or size: %+v", f.Path, f)
		}
	}
}

func must2[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestRepeatedRowsKept(t *testing.T) {
	// Two identical measurements at the same time are two events (a true
	// repeat), and still a no-op on re-ingest.
	dir := t.TempDir()
	p := filepath.Join(dir, "repeats.parquet")
	must(t, medstest.WriteFile(p, medstest.Options{},
		r(1, t0, "LOINC//1742-6").V(30), r(1, t0, "LOINC//1742-6").V(30), r(1, t0, "LOINC//1742-6").V(31),
		r(2, t0, "LOINC//1742-6").V(30)))
	s := openStore(t)
	res, _, _ := runIngest(t, s, 0, p).Totals()
	if res.Inserted != 4 {
		t.Fatalf("inserted %d, want 4", res.Inserted)
	}
	res, _, _ = runIngest(t, s, 0, p).Totals()
	if res.Inserted != 0 || res.Duplicate != 4 {
		t.Fatalf("re-ingest %+v", res)
	}
	// A file outside a dataset is its own namespace, named after the file.
	if _, err := s.Lookup(context.Background(), timeline.Identifier{System: "meds:repeats", Value: "2"}); err != nil {
		t.Error(err)
	}
}

func TestLenientTypes(t *testing.T) {
	// The same rows with other physical types give the same events.
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref.parquet")
	must(t, medstest.WriteFile(ref, medstest.Options{}, r(3, t0, "LOINC//1742-6").V(30.5), r(3, t0.Add(time.Hour), "NOTE").T("x")))
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "subject_id", Type: arrow.PrimitiveTypes.Int32},
		{Name: "time", Type: &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "code", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}},
		{Name: "numeric_value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "text_value", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	other := filepath.Join(dir, "other.parquet")
	writeParquet(t, other, sc, func(b *array.RecordBuilder) {
		b.Field(0).(*array.Int32Builder).AppendValues([]int32{3, 3}, nil)
		b.Field(1).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{arrow.Timestamp(t0.UnixNano()), arrow.Timestamp(t0.Add(time.Hour).UnixNano())}, nil)
		must(t, b.Field(2).(*array.BinaryDictionaryBuilder).AppendString("LOINC//1742-6"))
		must(t, b.Field(2).(*array.BinaryDictionaryBuilder).AppendString("NOTE"))
		b.Field(3).(*array.Float64Builder).AppendValues([]float64{30.5, 0}, []bool{true, false})
		b.Field(4).(*array.StringBuilder).AppendValues([]string{"", "x"}, []bool{false, true})
	})
	events := func(p string) []timeline.Event {
		s := openStore(t)
		rep := runIngest(t, s, 0, p)
		if !rep.Clean() {
			t.Fatalf("%s: %+v", p, rep.Files[0])
		}
		evs, err := timeline.ReadAll(must2(s.Scan(context.Background(), store.Cohort{}, store.Filter{})))
		must(t, err)
		for i := range evs {
			evs[i].Source, evs[i].RecordedAt = "", time.Time{}
		}
		return evs
	}
	a, b := events(ref), events(other)
	if len(a) != 2 || len(b) != 2 {
		t.Fatalf("got %d and %d events", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("row %d differs:\n%+v\n%+v", i, a[i], b[i])
		}
	}
}

func TestBadInputs(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "run")
	good := filepath.Join(dir, "good.parquet")
	must(t, medstest.WriteFile(good, medstest.Options{}, r(1, t0, "LOINC//1742-6").V(30), r(2, t0, "LOINC//1742-6").V(31)))
	must(t, medstest.WriteFile(filepath.Join(dir, "wrongtype.parquet"), medstest.Options{SubjectAsString: true},
		r(1, t0, "LOINC//1742-6").V(30)))
	must(t, medstest.WriteFile(filepath.Join(dir, "nullsubject.parquet"), medstest.Options{RowGroupRows: 2},
		r(1, t0, "LOINC//1920-8").V(20), r(1, t0, "LOINC//1920-8").V(21),
		r(1, t0, "LOINC//1920-8").V(22), r(1, t0, "LOINC//1920-8").V(23).NullSubject(),
		r(1, t0, "").V(24)))
	// A corrupt footer: the file's last bytes (footer length + magic) are
	// overwritten.
	corrupt := filepath.Join(dir, "corrupt.parquet")
	must(t, medstest.WriteFile(corrupt, medstest.Options{}, r(5, t0, "LOINC//1742-6").V(30)))
	b, _ := os.ReadFile(corrupt)
	copy(b[len(b)-8:], []byte{0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1'})
	must(t, os.WriteFile(corrupt, b, 0o644))

	s := openStore(t)
	rep := runIngest(t, s, 0, dir)
	files := byName(rep)
	if f := files["run/good.parquet"]; f == nil || f.Result.Inserted != 2 || f.Status() != store.FileOK {
		t.Errorf("good file: %+v", f)
	}
	w := files["run/wrongtype.parquet"]
	if w == nil || !errors.Is(w.Err, meds.ErrColumnType) || !strings.Contains(w.Err.Error(), "run/wrongtype.parquet") ||
		!strings.Contains(w.Err.Error(), "subject_id") || w.Result.Inserted != 0 {
		t.Errorf("wrong column type: %+v", w)
	}
	n := files["run/nullsubject.parquet"]
	if n == nil || n.Result.Inserted != 3 || n.Rejected != 2 || n.Status() != store.FilePartial {
		t.Fatalf("null subject: %+v", n)
	}
	if got := n.Errors[0].Error(); got != "run/nullsubject.parquet: row group 1 row 1: subject_id: null subject_id" {
		t.Errorf("null subject error = %q", got)
	}
	if got := n.Errors[1].Error(); got != "run/nullsubject.parquet: row group 2 row 0: code: null or empty code" {
		t.Errorf("empty code error = %q", got)
	}
	c := files["run/corrupt.parquet"]
	if c == nil || !errors.Is(c.Err, meds.ErrCorrupt) || !strings.HasPrefix(c.Err.Error(), "run/corrupt.parquet: footer: ") {
		t.Errorf("corrupt footer: %+v", c)
	}
	if rep.Clean() {
		t.Error("report is clean")
	}

	// The run's record says what was rejected.
	runs, err := s.Runs(ctx, 1)
	if err != nil || len(runs) != 1 {
		t.Fatal(runs, err)
	}
	if runs[0].Status != "partial" {
		t.Errorf("run status %q", runs[0].Status)
	}
	rec := map[string]store.FileRecord{}
	for _, f := range runs[0].Files {
		rec[f.Path] = f
	}
	if f := rec["run/wrongtype.parquet"]; f.Status != store.FileFailed || !strings.Contains(f.Error, "wrong column type") {
		t.Errorf("manifest wrongtype: %+v", f)
	}
	if f := rec["run/corrupt.parquet"]; f.Status != store.FileFailed || !strings.Contains(f.Error, "corrupt Parquet") {
		t.Errorf("manifest corrupt: %+v", f)
	}
	if f := rec["run/nullsubject.parquet"]; f.Status != store.FilePartial || f.Rejected != 2 || f.Accepted != 3 {
		t.Errorf("manifest nullsubject: %+v", f)
	}
	if f := rec["run/good.parquet"]; f.Status != store.FileOK || f.Accepted != 2 {
		t.Errorf("manifest good: %+v", f)
	}
}

func TestCorruptPage(t *testing.T) {
	// Damage inside the second row group: the first row group's rows stay
	// (whole batches, then the rows pending when the damage is met), the
	// error names the row group.
	dir := t.TempDir()
	p := filepath.Join(dir, "pages.parquet")
	var rows []medstest.Row
	for i := 0; i < 2000; i++ {
		rows = append(rows, r(int64(1+i/100), t0.Add(time.Duration(i)*time.Minute), "LOINC//1742-6").V(float32(i)))
	}
	must(t, medstest.WriteFile(p, medstest.Options{RowGroupRows: 1000}, rows...))
	pf := must2(openFooter(p))
	rg := pf.MetaData().RowGroup(1)
	col := must2(rg.ColumnChunk(0))
	off := col.DataPageOffset()
	pf.Close()
	b, _ := os.ReadFile(p)
	for i := off; i < off+64 && int(i) < len(b); i++ {
		b[i] ^= 0x5a
	}
	must(t, os.WriteFile(p, b, 0o644))
	s := openStore(t)
	f := runIngest(t, s, 700, p).Files[0]
	if f.Err == nil || !strings.HasPrefix(f.Err.Error(), "pages.parquet: row group 1") {
		t.Fatalf("corrupt page: %+v", f)
	}
	if f.Result.Inserted != 1000 {
		t.Errorf("inserted %d, want the first row group's 1000", f.Result.Inserted)
	}
}

func TestDetect(t *testing.T) {
	dir := t.TempDir()
	a := meds.New()
	data := filepath.Join(dir, "d.parquet")
	must(t, medstest.WriteFile(data, medstest.Options{}, r(1, t0, "X")))
	other := filepath.Join(dir, "other.parquet")
	writeParquet(t, other, arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}}, nil), func(b *array.RecordBuilder) {
		b.Field(0).(*array.Int64Builder).Append(1)
	})
	trunc := filepath.Join(dir, "trunc.parquet")
	b, _ := os.ReadFile(data)
	must(t, os.WriteFile(trunc, b[:len(b)/2], 0o644))
	dj := filepath.Join(dir, "metadata", "dataset.json")
	writeJSON(t, dj, map[string]string{"meds_version": "0.4.0"})
	notMeds := filepath.Join(dir, "metadata", "other.json")
	writeJSON(t, notMeds, map[string]string{"resourceType": "Bundle"})
	for _, c := range []struct {
		path string
		want bool
	}{{data, true}, {other, false}, {trunc, true}, {dj, true}, {notMeds, false}} {
		head, _, err := ingest.ReadHead(c.path)
		must(t, err)
		if got := a.Detect(c.path, head); got != c.want {
			t.Errorf("Detect(%s) = %v, want %v", filepath.Base(c.path), got, c.want)
		}
	}
}

func TestKindOf(t *testing.T) {
	codes := timeline.DefaultCodes()
	for _, c := range []struct {
		code string
		want timeline.Kind
	}{
		{"MEDS_BIRTH", timeline.KindDemographic},
		{"MEDS_DEATH", timeline.KindDemographic},
		{"MEDS_DEATH//cardiac", timeline.KindDemographic},
		{"GENDER//F", timeline.KindDemographic},
		{"LOINC//1742-6", timeline.KindLab},
		{"LOINC//8867-4", timeline.KindVital},        // heart rate, from the code table
		{"LOINC//24108-3", timeline.KindTumorMarker}, // CA 19-9, from the code table
		{"LOINC//99999-9", timeline.KindLab},
		{"LAB//51221//%", timeline.KindLab},
		{"ICD10CM//K76.0", timeline.KindDiagnosis},
		{"DIAGNOSIS//ICD//9//4019", timeline.KindDiagnosis},
		{"PROCEDURE//ICD//10//0BH17EZ", timeline.KindProcedure},
		{"RXNORM//6809", timeline.KindMedication},
		{"MEDICATION//START//Metformin", timeline.KindMedication},
		{"HOSPITAL_ADMISSION//EW EMER.//EMERGENCY ROOM", timeline.KindEncounter},
		{"GENE//PNPLA3//p.Ile148Met", timeline.KindVariant},
		{"IMAGING//CT//liver_mean_hu", timeline.KindImagingFeature},
		{"lab//x", timeline.KindLab},
		{"SOMETHING_ELSE", timeline.KindObservation},
	} {
		if got := meds.KindOf(c.code, codes); got != c.want {
			t.Errorf("KindOf(%q) = %v, want %v", c.code, got, c.want)
		}
	}
}

func openFooter(p string) (*file.Reader, error) { return file.OpenParquetFile(p, false) }
