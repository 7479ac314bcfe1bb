package imagingcsv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/sqlite"
	"github.com/medtwin/medtwin/timeline"
)

func run(t *testing.T, s *sqlite.Store, paths ...string) *ingest.Report {
	t.Helper()
	reg, err := ingest.NewRegistry(New())
	if err != nil {
		t.Fatal(err)
	}
	r := &ingest.Runner{Target: s, Registry: reg, Command: "test"}
	rep, err := r.Run(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func read(t *testing.T, s store.Store) (map[string]timeline.Event, map[timeline.Key]timeline.ImagingDetail) {
	t.Helper()
	rr, err := s.Scan(context.Background(), store.Cohort{}, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	evs := map[string]timeline.Event{}
	for rr.Next() {
		es, err := timeline.Events(rr.Record())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			evs[e.Code] = e
		}
	}
	rr.Release()
	dr, err := s.Details(context.Background(), timeline.Imaging, store.Cohort{}, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	rows := map[timeline.Key]timeline.ImagingDetail{}
	for dr.Next() {
		ds, err := timeline.ImagingOf(dr.Record())
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			rows[d.Key] = d
		}
	}
	dr.Release()
	return evs, rows
}

func open(t *testing.T) *sqlite.Store {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPyradiomics(t *testing.T) {
	s := open(t)
	rep := run(t, s, "testdata/pyradiomics.csv")
	f := rep.Files[0]
	if f.Format != "imagingcsv" || f.Err != nil || f.Rejected != 1 || !strings.Contains(f.Errors[0].Error(), "line 3: original_glcm_Contrast") {
		t.Fatalf("report: %+v %v", f, f.Errors)
	}
	// 2 rows × 14 features, one nan rejected.
	if f.Result.Inserted != 27 {
		t.Errorf("inserted %d, want 27", f.Result.Inserted)
	}
	evs, rows := read(t, s)
	mean, ok := evs["IMAGING//CT//original_firstorder_Mean//liver"]
	if !ok || mean.Value != 57.31 || mean.Unit != "[hnsf'U]" || mean.Kind != timeline.KindImagingFeature ||
		mean.Time.Format("2006-01-02T15:04Z07:00") != "2024-03-01T10:15Z" {
		t.Fatalf("liver mean: %+v", mean)
	}
	row := rows[mean.Key]
	if row.Algorithm != "pyradiomics" || row.AlgorithmVersion != "v3.0.1" || row.ROI != "liver" || row.Modality != "CT" ||
		row.StudyUID != "1.2.826.0.1.3680043.8.498.1" || !strings.Contains(row.Settings, "binWidth") {
		t.Errorf("liver mean detail: %+v", row)
	}
	for code, unit := range map[string]string{
		"IMAGING//CT//original_shape_VoxelVolume//liver":       "mm3",
		"IMAGING//CT//original_shape_Maximum3DDiameter//liver": "mm",
		"IMAGING//CT//original_firstorder_Variance//spleen":    "[hnsf'U]2",
		"IMAGING//CT//original_firstorder_Kurtosis//spleen":    "1",
		"IMAGING//CT//original_glcm_Contrast//liver":           "",
		"IMAGING//CT//wavelet-LLH_firstorder_Mean//liver":      "", // filtered image: not HU
	} {
		if e, ok := evs[code]; !ok || e.Unit != unit {
			t.Errorf("%s: unit %q (found %v), want %q", code, e.Unit, ok, unit)
		}
	}
	sid, err := s.Lookup(context.Background(), timeline.Identifier{System: "urn:oid:1.2.3.4.5", Value: "P001"})
	if err != nil || sid != mean.SubjectID {
		t.Errorf("patient: %d %v", sid, err)
	}
	// Re-ingest: no-op.
	rep = run(t, s, "testdata/pyradiomics.csv")
	if res, _, _ := rep.Totals(); res.Inserted != 0 || res.Duplicate != 27 {
		t.Errorf("re-ingest: %+v", res)
	}
}

func TestLongFormat(t *testing.T) {
	s := open(t)
	rep := run(t, s, "testdata/long.csv")
	f := rep.Files[0]
	if f.Err != nil || f.Result.Inserted != 3 || f.Rejected != 3 {
		t.Fatalf("report: %+v %v", f, f.Errors)
	}
	for i, want := range []string{"line 5: time", "line 6: value", "line 7: algorithm"} {
		if !strings.Contains(f.Errors[i].Error(), want) || !errors.Is(f.Errors[i], ErrValue) {
			t.Errorf("error %d = %v, want %q", i, f.Errors[i], want)
		}
	}
	evs, rows := read(t, s)
	fat := evs["IMAGING//OT//liver_fat_fraction//liver"]
	if fat.Value != 12.5 || fat.Unit != "%" || rows[fat.Key].Algorithm != "LiverQuant AI" || rows[fat.Key].AlgorithmVersion != "2.1.0" {
		t.Errorf("fat fraction: %+v %+v", fat, rows[fat.Key])
	}
	// A feature given as a code is kept as the code.
	if hu, ok := evs["IMAGING//CT//liver_mean_hu"]; !ok || hu.Value != 48.2 || rows[hu.Key].ROI != "liver" {
		t.Errorf("verbatim code: %+v", hu)
	}
	// Units are normalised to UCUM spelling (mL), DICOM dates accepted.
	if v, ok := evs["IMAGING//OT//nodule_volume//RUL nodule 1"]; !ok || v.Unit != "mL" || v.Time.Format("2006-01-02") != "2024-03-02" {
		t.Errorf("nodule volume: %+v", v)
	}
}

func TestDetectAndHeaderErrors(t *testing.T) {
	a := New()
	if !a.Detect("x.csv", []byte(strings.Join(LongColumns, ",")+"\n")) {
		t.Error("long header not detected")
	}
	if !a.Detect("x.csv", []byte("Image,Mask,original_firstorder_Mean\n")) {
		t.Error("pyradiomics header not detected")
	}
	if a.Detect("x.csv", []byte("subject,code,value\n1,2,3\n")) {
		t.Error("other CSV claimed")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "nopatient.csv")
	os.WriteFile(p, []byte("Image,Mask,time,original_firstorder_Mean\na,b,2024-01-01,1\n"), 0o644)
	s := open(t)
	rep := run(t, s, p)
	if f := rep.Files[0]; !errors.Is(f.Err, ErrHeader) || !strings.Contains(f.Err.Error(), "patient") {
		t.Errorf("missing patient column: %v", f.Err)
	}
}

func TestLongFormatFinding(t *testing.T) {
	// The finding a value measures: tracking_uid and finding_site columns,
	// or the same keys in the settings JSON when the columns are absent.
	dir := t.TempDir()
	p := filepath.Join(dir, "ai.csv")
	body := strings.Join(append(LongColumns, "settings", "tracking_uid", "finding_site"), ",") + "\n" +
		`urn:x,P1,1.2.3,2024-01-02,lesion_long_axis,14.2,mm,lesion-1,NoduleAI,1.0,,1.2.3.4,SCT//39607008` + "\n" +
		`urn:x,P1,1.2.3,2024-01-02,lesion_short_axis,9.1,mm,lesion-1,NoduleAI,1.0,"{""tracking_uid"":""1.2.3.5"",""finding_site"":""SCT//10200004""}",,` + "\n"
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	s := open(t)
	rep := run(t, s, p)
	if f := rep.Files[0]; f.Err != nil || f.Result.Inserted != 2 || f.Rejected != 0 {
		t.Fatalf("report: %+v %v", f, f.Errors)
	}
	evs, rows := read(t, s)
	long := rows[evs["IMAGING//OT//lesion_long_axis//lesion-1"].Key]
	if long.TrackingUID != "1.2.3.4" || long.FindingSite != "SCT//39607008" {
		t.Errorf("columns: %+v", long)
	}
	short := rows[evs["IMAGING//OT//lesion_short_axis//lesion-1"].Key]
	if short.TrackingUID != "1.2.3.5" || short.FindingSite != "SCT//10200004" {
		t.Errorf("settings: %+v", short)
	}
}
