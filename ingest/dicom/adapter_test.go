package dicom

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/sqlite"
	"github.com/medtwin/medtwin/timeline"
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

func runIngest(t *testing.T, s *sqlite.Store, a *Adapter, opts ingest.Options, paths ...string) *ingest.Report {
	t.Helper()
	reg, err := ingest.NewRegistry(a)
	if err != nil {
		t.Fatal(err)
	}
	r := &ingest.Runner{Target: s, Registry: reg, Env: ingest.Env{Options: opts}, Command: "test"}
	rep, err := r.Run(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func allEvents(t *testing.T, s store.Store) []timeline.Event {
	t.Helper()
	rr, err := s.Scan(context.Background(), store.Cohort{}, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	var out []timeline.Event
	for rr.Next() {
		evs, err := timeline.Events(rr.Record())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, evs...)
	}
	return out
}

func imagingRows(t *testing.T, s store.Store) []timeline.ImagingDetail {
	t.Helper()
	rr, err := s.Details(context.Background(), timeline.Imaging, store.Cohort{}, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	var out []timeline.ImagingDetail
	for rr.Next() {
		rows, err := timeline.ImagingOf(rr.Record())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rows...)
	}
	return out
}

func lesionRows(t *testing.T, s store.Store) []timeline.LesionDetail {
	t.Helper()
	rr, err := s.Details(context.Background(), timeline.Lesions, store.Cohort{}, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	var out []timeline.LesionDetail
	for rr.Next() {
		rows, err := timeline.LesionsOf(rr.Record())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rows...)
	}
	return out
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		copyFile(t, filepath.Join(src, e.Name()), filepath.Join(dst, e.Name()))
	}
}

func byKind(evs []timeline.Event, k timeline.Kind) []timeline.Event {
	var out []timeline.Event
	for _, e := range evs {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

func TestAdapterIngest(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, td(t, "series/dcm_qa_ct_philips_std_brain_5mm"), filepath.Join(dir, "philips"))
	copyFile(t, td(t, "basic/CT_small.dcm"), filepath.Join(dir, "ct1", "CT_small.dcm"))
	copyFile(t, td(t, "sr/highdicom_sr_document_with_multiple_groups.dcm"), filepath.Join(dir, "ct1", "sr.dcm"))
	copyFile(t, td(t, "seg/highdicom_seg_image_ct_binary_single_frame.dcm"), filepath.Join(dir, "ct1", "seg.dcm"))
	s := openStore(t)
	rep := runIngest(t, s, New(), ingest.Options{}, dir)
	if !rep.Clean() {
		for _, f := range rep.Files {
			t.Logf("%s: %v %v", f.Input.Name, f.Err, f.Errors)
		}
		t.Fatal("run not clean")
	}
	evs := allEvents(t, s)
	studies := byKind(evs, timeline.KindImagingStudy)
	if len(studies) != 2 {
		t.Fatalf("%d imaging_study events, want 2 (one per study, not per instance)", len(studies))
	}
	var philips timeline.Event
	for _, e := range studies {
		if e.Time.Equal(time.Date(2015, 2, 6, 9, 28, 15, 672e6, time.UTC)) {
			philips = e
		}
	}
	if philips.Code != "IMAGING//CT//study" {
		t.Errorf("philips study event: %+v", philips)
	}
	sid, err := s.Lookup(context.Background(), timeline.Identifier{System: SystemLocal, Value: "PLASTIC"})
	if err != nil || sid != philips.SubjectID {
		t.Errorf("patient PLASTIC: subject %d, %v; event subject %d", sid, err, philips.SubjectID)
	}
	rows := imagingRows(t, s)
	var series []timeline.ImagingDetail
	for _, r := range rows {
		if r.Key == philips.Key {
			series = append(series, r)
		}
	}
	if len(series) != 1 {
		t.Fatalf("philips study detail rows %d, want 1", len(series))
	}
	r := series[0]
	if r.Instances != 28 || r.Rows != 512 || r.Columns != 512 || math.Abs(r.SliceSpacing-5) > 1e-6 || r.SliceThickness != 5 ||
		r.PixelSpacingRow != 0.451171875 || r.RescaleIntercept != -1024 || r.RescaleSlope != 1 || r.Modality != "CT" ||
		r.BodyPart != "BRAIN" || r.Manufacturer != "Philips" || r.Orientation != `1\0\0\0\1\0` {
		t.Errorf("philips series row: %+v", r)
	}
	// The CT_small study holds the image, the report and the segmentation:
	// three series rows under one event.
	n := 0
	for _, r := range rows {
		if r.Key != philips.Key && r.InstanceUID == "" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("CT_small study has %d series rows, want 3", n)
	}
	feats := byKind(evs, timeline.KindImagingFeature)
	if len(feats) != 4 {
		t.Fatalf("%d imaging_feature events, want the report's 4 measurements", len(feats))
	}
	for _, f := range feats {
		if f.Code == "SNOMED//81827009" && f.Value == 10 && f.Unit != "mm" {
			t.Errorf("diameter unit %q", f.Unit)
		}
		if !f.AvailableAt.IsZero() && !f.AvailableAt.After(f.Time) {
			t.Errorf("available_at %v before time %v", f.AvailableAt, f.Time)
		}
	}
	// The report measured CT_small: its features carry CT as modality.
	for _, r := range rows {
		if r.InstanceUID != "" && r.Modality != "CT" {
			t.Errorf("report feature row modality %q, want CT (the evidence series)", r.Modality)
		}
	}
	les := lesionRows(t, s)
	if len(les) != 1 || les[0].LongAxisMM != 10 || les[0].Site != "Lung" || les[0].SiteCode != "SNOMED//39607008" {
		t.Errorf("lesions: %+v", les)
	}
	if ev := byKind(evs, timeline.KindLesion); len(ev) != 1 || ev[0].Value != 10 || ev[0].Unit != "mm" {
		t.Errorf("lesion events: %+v", ev)
	}

	// Re-ingest: a no-op.
	total := len(evs)
	rep = runIngest(t, s, New(), ingest.Options{}, dir)
	res, rej, failed := rep.Totals()
	if res.Inserted != 0 || res.Superseded != 0 || res.Duplicate != int64(total) || rej != 0 || failed != 0 {
		t.Errorf("re-ingest: %+v rejected %d failed %d (want %d duplicates)", res, rej, failed, total)
	}
	if got := len(allEvents(t, s)); got != total {
		t.Errorf("re-ingest changed the event count: %d → %d", total, got)
	}
}

// element writes one explicit VR little endian element.
func element(tag Tag, vr string, value []byte) []byte {
	if len(value)%2 == 1 {
		pad := byte(' ')
		if vr == "UI" || vr == "OB" {
			pad = 0
		}
		value = append(value, pad)
	}
	b := binary.LittleEndian.AppendUint16(nil, tag.Group())
	b = binary.LittleEndian.AppendUint16(b, tag.Element())
	b = append(b, vr...)
	if longVR(vrOf(vr[0], vr[1])) {
		b = append(b, 0, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(value)))
	} else {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(value)))
	}
	return append(b, value...)
}

func item(content ...[]byte) []byte {
	var body []byte
	for _, c := range content {
		body = append(body, c...)
	}
	b := binary.LittleEndian.AppendUint16(nil, 0xFFFE)
	b = binary.LittleEndian.AppendUint16(b, 0xE000)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(body)))
	return append(b, body...)
}

// fileWith builds a Part 10 file: preamble, file meta, data set.
func fileWith(sopClass, sop string, dataset ...[]byte) []byte {
	meta := append(element(TagMediaSOPClass, "UI", []byte(sopClass)), element(TagMediaSOPInstance, "UI", []byte(sop))...)
	meta = append(meta, element(TagTransferSyntaxUID, "UI", []byte(UIDExplicitVRLittleEndian))...)
	out := make([]byte, 128, 4096)
	out = append(out, "DICM"...)
	out = append(out, element(TagFileMetaLength, "UL", binary.LittleEndian.AppendUint32(nil, uint32(len(meta))))...)
	out = append(out, meta...)
	for _, d := range dataset {
		out = append(out, d...)
	}
	return out
}

func dicomdir(records ...[]string) []byte {
	var items []byte
	for _, r := range records {
		items = append(items, item(element(TagDirectoryRecordTyp, "CS", []byte("IMAGE")),
			element(TagReferencedFileID, "CS", []byte(strings.Join(r, `\`))))...)
	}
	return fileWith(UIDMediaStorageDirectory, "1.2.3.4.5", element(TagDirectoryRecordSeq, "SQ", items))
}

func TestDICOMDIR(t *testing.T) {
	dir := t.TempDir()
	src := td(t, "series/pydicom_CT5N_5slices")
	// Media written on ISO 9660 name files in upper case; a copy on disk may not.
	copyFile(t, filepath.Join(src, "2062"), filepath.Join(dir, "images", "IM1"))
	copyFile(t, filepath.Join(src, "2392"), filepath.Join(dir, "images", "im2"))
	if err := os.WriteFile(filepath.Join(dir, "DICOMDIR"), dicomdir([]string{"IMAGES", "IM1"}, []string{"IMAGES", "IM2"}, []string{"IMAGES", "IM9"}), 0o644); err != nil {
		t.Fatal(err)
	}
	s := openStore(t)
	rep := runIngest(t, s, New(), ingest.Options{}, filepath.Join(dir, "DICOMDIR"))
	var dd *ingest.FileReport
	ok := 0
	for _, f := range rep.Files {
		if filepath.Base(f.Input.Path) == "DICOMDIR" {
			dd = f
		} else if f.Err == nil {
			ok++
		}
	}
	if ok != 2 {
		t.Errorf("%d referenced files ingested, want 2", ok)
	}
	if dd == nil || dd.Rejected != 1 || !errors.Is(dd.Errors[0], ErrMissingReference) || !strings.Contains(dd.Errors[0].Error(), "directory record 3") {
		t.Fatalf("DICOMDIR report: %+v", dd)
	}
	rows := imagingRows(t, s)
	if len(rows) != 1 || rows[0].Instances != 2 {
		t.Errorf("series rows %+v", rows)
	}
	// A record that climbs out of the directory is refused.
	if err := os.WriteFile(filepath.Join(dir, "DICOMDIR"), dicomdir([]string{"..", "etc", "passwd"}), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadDICOMDIR(filepath.Join(dir, "DICOMDIR")); !errors.Is(err, ErrMalformed) {
		t.Errorf("path traversal: %v", err)
	}
}

// TestAdapterBadInput: each bad file fails alone with its file and tag
// named, nothing of it is stored, and the good file of the run goes on.
func TestAdapterBadInput(t *testing.T) {
	dir := t.TempDir()
	ct, err := os.ReadFile(td(t, "basic/CT_small.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("good.dcm", ct)
	write("notdicom.dcm", []byte("patient,value\n1,2\n"))
	write("truncated.dcm", ct[:1500])
	// PatientID blanked in place (same length, spaces).
	f, err := Parse(ct, "ct")
	if err != nil {
		t.Fatal(err)
	}
	pid := f.Dataset.Find(TagPatientID)
	nopid := append([]byte(nil), ct...)
	vstart := int(pid.Offset) + 8
	for i := vstart; i < vstart+len(pid.Value); i++ {
		nopid[i] = ' '
	}
	write("nopid.dcm", nopid)
	copyFile(t, td(t, "malformed/MR_truncated.dcm"), filepath.Join(dir, "mr_truncated.dcm"))
	copyFile(t, td(t, "seg/dcmqi_liver_seg.dcm"), filepath.Join(dir, "seg_without_ct.dcm"))
	copyFile(t, td(t, "seg/liver_deflate.dcm"), filepath.Join(dir, "seg_deflate.dcm"))

	s := openStore(t)
	rep := runIngest(t, s, New(), ingest.Options{}, dir)
	want := map[string]struct {
		err error
		msg string
	}{
		"notdicom.dcm":     {ErrNotDICOM, "notdicom.dcm"},
		"truncated.dcm":    {ErrTruncated, "tag ("},
		"nopid.dcm":        {ErrMissingAttribute, "tag (0010,0020)"},
		"mr_truncated.dcm": {ErrTruncated, "tag (7FE0,0010)"},
	}
	for _, fr := range rep.Files {
		base := filepath.Base(fr.Input.Path)
		w, bad := want[base]
		switch {
		case bad:
			if fr.Err == nil || !errors.Is(fr.Err, w.err) || !strings.Contains(fr.Err.Error(), w.msg) || !strings.Contains(fr.Err.Error(), base) {
				t.Errorf("%s: err = %v, want %v mentioning %q and the file", base, fr.Err, w.err, w.msg)
			}
			if fr.Result.Inserted != 0 {
				t.Errorf("%s: %d rows stored for a failed file", base, fr.Result.Inserted)
			}
		case strings.HasPrefix(base, "seg_"):
			// Metadata stored, masks unusable: a rejected record naming the tag.
			if fr.Err != nil || fr.Rejected != 1 || !errors.Is(fr.Errors[0], ErrMissingReference) ||
				!strings.Contains(fr.Errors[0].Error(), "(0008,1155)") {
				t.Errorf("%s: %+v %v", base, fr, fr.Errors)
			}
		case base == "good.dcm":
			if fr.Err != nil || fr.Result.Inserted != 1 {
				t.Errorf("good file: %+v", fr)
			}
		}
	}
	for _, e := range allEvents(t, s) {
		for name := range want {
			if strings.Contains(e.Source, name) {
				t.Errorf("event stored from failed file %s: %+v", name, e)
			}
		}
	}
}

// TestFeaturesHook: with --features a FeatureFunc sees each series in
// geometric order; pixel data it cannot decode is a rejected record naming
// the transfer syntax, and the run goes on.
func TestFeaturesHook(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, td(t, "series/pydicom_CT5N_5slices"), filepath.Join(dir, "ct5n"))
	copyFile(t, td(t, "encapsulated/CT1_UNC.fragmented_bot_jpeg_ls.80.dcm"), filepath.Join(dir, "jpeg", "ct1.dcm"))
	a := New()
	a.Features = func(ctx context.Context, in *FeatureInput) ([]Feature, error) {
		var sum, n float64
		for _, sl := range in.Series.Slices {
			fr, err := OpenFrames(sl.Instance)
			if err != nil {
				return nil, err
			}
			px, err := fr.Int32(sl.Frame, nil)
			fr.Close()
			if err != nil {
				return nil, err
			}
			g := sl.Geometry()
			for _, v := range px {
				sum += float64(v)*g.RescaleSlope + g.RescaleIntercept
				n++
			}
		}
		return []Feature{{Code: "IMAGING//CT//volume_mean_hu", Value: sum / n, Unit: "[hnsf'U]", ROI: "volume", Algorithm: "test", AlgorithmVersion: "1"}}, nil
	}
	s := openStore(t)
	rep := runIngest(t, s, a, ingest.Options{Features: true}, dir)
	var jpeg *ingest.FileReport
	for _, f := range rep.Files {
		if strings.HasSuffix(f.Input.Name, "ct1.dcm") {
			jpeg = f
		}
	}
	if jpeg == nil || jpeg.Rejected != 1 || !errors.Is(jpeg.Errors[0], ErrUnsupportedTransferSyntax) || !strings.Contains(jpeg.Errors[0].Error(), "(0002,0010)") {
		t.Errorf("jpeg features: %+v", jpeg)
	}
	feats := byKind(allEvents(t, s), timeline.KindImagingFeature)
	if len(feats) != 1 || feats[0].Code != "IMAGING//CT//volume_mean_hu" || feats[0].Unit != "[hnsf'U]" {
		t.Fatalf("features: %+v", feats)
	}
	var row *timeline.ImagingDetail
	for _, r := range imagingRows(t, s) {
		if r.Key == feats[0].Key {
			row = &r
		}
	}
	if row == nil || row.Algorithm != "test" || row.AlgorithmVersion != "1" || row.ROI != "volume" || row.Instances != 5 {
		t.Errorf("feature row: %+v", row)
	}
}

// TestIngestEveryTestFile runs the adapter over the whole shared DICOM
// folder: every file is ingested or rejected with its reason (the table of
// TestEveryTestFile), the only partial file is the SEG whose PET images are
// not included, and nothing is stored from a failed file.
func TestIngestEveryTestFile(t *testing.T) {
	root := td(t)
	s := openStore(t)
	rep := runIngest(t, s, New(), ingest.Options{}, root)
	files := 0
	for _, f := range rep.Files {
		rel := strings.TrimPrefix(f.Input.Name, filepath.Base(root)+"/")
		files++
		if want, bad := expectedFailures[rel]; bad {
			if f.Err == nil || !errors.Is(f.Err, want.err) || !strings.Contains(f.Err.Error(), rel) {
				t.Errorf("%s: err %v, want %v naming the file", rel, f.Err, want.err)
			}
			if want.tag != 0 && !strings.Contains(f.Err.Error(), want.tag.String()) {
				t.Errorf("%s: err %v does not name %s", rel, f.Err, want.tag)
			}
			continue
		}
		switch {
		case f.Err != nil:
			t.Errorf("%s: %v", rel, f.Err)
		case rel == "sr/dcmqi_sr_example/seg.dcm":
			if f.Rejected != 1 || !errors.Is(f.Errors[0], ErrMissingReference) {
				t.Errorf("%s: %+v", rel, f.Errors)
			}
		case f.Rejected != 0:
			t.Errorf("%s: rejected %v", rel, f.Errors)
		}
	}
	if files < 124 {
		t.Errorf("%d files reported; SOURCES.md lists 124", files)
	}
	for _, u := range rep.Unrecognised {
		if !strings.HasSuffix(u, ".md") {
			t.Errorf("%s: not recognised as DICOM", u)
		}
	}
}
