package features

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/dicom"
	"github.com/medtwin/medtwin/internal/testdata"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/sqlite"
	"github.com/medtwin/medtwin/timeline"
)

func featureMap(fs []dicom.Feature) map[string]dicom.Feature {
	out := map[string]dicom.Feature{}
	for _, f := range fs {
		out[f.Code] = f
	}
	return out
}

// A liver SEG on its CT (dcmqi): liver features in the segment, checked
// against the mask decoded independently by ingest/dicom.
func TestExtractLiverSEG(t *testing.T) {
	s := readSeries(t, "dcmqi_ct_3slice")
	seg, err := dicom.ReadSegmentation(testdata.Path(t, "dicom", "seg", "dcmqi_liver_seg.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := New(DefaultConfig()).Series(context.Background(), &dicom.FeatureInput{Series: s, Segmentations: []*dicom.Segmentation{seg}})
	if err != nil {
		t.Fatal(err)
	}
	fm := featureMap(fs)
	v, err := Load(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	dm, err := seg.Mask(s, 1)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	n := 0
	for i, b := range dm.Binary {
		if b != 0 {
			sum += v.Value(i)
			n++
		}
	}
	if n == 0 {
		t.Fatal("empty liver mask")
	}
	mean, vol := fm["IMAGING//CT//liver_mean_hu"], fm["IMAGING//CT//liver_volume_ml"]
	if math.Abs(mean.Value-sum/float64(n)) > 1e-9 || mean.Unit != "[hnsf'U]" {
		t.Errorf("liver mean %+v, want %.4f HU", mean, sum/float64(n))
	}
	if want := float64(n) * v.VoxelVolume() / 1000; math.Abs(vol.Value-want) > 1e-9 || vol.Unit != "mL" {
		t.Errorf("liver volume %+v, want %.4f mL", vol, want)
	}
	if mean.Algorithm != AlgorithmFirstOrder || mean.AlgorithmVersion != AlgorithmVersion || mean.ROI != "liver" || mean.FindingSite != "Liver" {
		t.Errorf("provenance %+v", mean)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(mean.Settings), &st); err != nil || st["binWidth"] != 25.0 || !strings.Contains(st["mask"].(string), "SEG") {
		t.Errorf("settings %s (%v)", mean.Settings, err)
	}
	if _, ok := fm["IMAGING//CT//body_mean_hu"]; ok {
		t.Error("body features computed although a segmentation was given")
	}
	if _, ok := fm["IMAGING//CT//liver_minus_spleen_hu"]; ok {
		t.Error("liver − spleen without a spleen")
	}
}

// Liver and spleen boxes on a synthetic liver-like block: known means,
// volume and liver − spleen.
func TestExtractLiverSpleenROIs(t *testing.T) {
	// Liver block 100 × 80 × 60 mm at 52 HU ± 10 (checkerboard: mean 52,
	// SD 10), spleen block at 47 HU, in 40 HU tissue.
	v := synth(160, 120, 40, [3]float64{1, 1, 2}, func(p [3]float64) float64 {
		switch {
		case p[0] >= 10 && p[0] < 110 && p[1] >= 10 && p[1] < 90 && p[2] >= 10 && p[2] < 70:
			if (int(p[0])+int(p[1])+int(p[2]/2))%2 == 0 {
				return 62
			}
			return 42
		case p[0] >= 120 && p[0] < 150 && p[1] >= 30 && p[1] < 80 && p[2] >= 20 && p[2] < 60:
			return 47
		}
		return 40
	})
	ex := New(Config{Settings: DefaultSettings(), Lung: DefaultLungOptions(), BodyHU: -500, ChestMinLungML: 1500,
		ROIs: []ROI{{Name: "Liver", Lo: [3]float64{10, 10, 10}, Hi: [3]float64{109, 89, 68}},
			{Name: "spleen", Lo: [3]float64{120, 30, 20}, Hi: [3]float64{149, 79, 58}}}})
	lv, err := ComputeLiver(v, Box(v, ex.cfg.ROIs[0].Lo, ex.cfg.ROIs[0].Hi), Box(v, ex.cfg.ROIs[1].Lo, ex.cfg.ROIs[1].Hi))
	if err != nil {
		t.Fatal(err)
	}
	if lv.MeanHU != 52 || lv.VolumeML != 480 || lv.SpleenMeanHU != 47 || lv.LiverMinusSpleenHU != 5 || math.Abs(lv.LiverSpleenRatio-52.0/47) > 1e-12 {
		t.Errorf("liver %+v", lv)
	}
	// Through the extractor: the same numbers as features.
	fo, _, err := ex.regionFeatures(v, region{name: "liver", mask: Box(v, ex.cfg.ROIs[0].Lo, ex.cfg.ROIs[0].Hi)})
	if err != nil {
		t.Fatal(err)
	}
	fm := featureMap(fo)
	if fm["IMAGING//CT//liver_mean_hu"].Value != 52 || fm["IMAGING//CT//liver_std_hu"].Value != 10 || fm["IMAGING//CT//liver_volume_ml"].Value != 480 {
		t.Errorf("features %v %v %v", fm["IMAGING//CT//liver_mean_hu"], fm["IMAGING//CT//liver_std_hu"], fm["IMAGING//CT//liver_volume_ml"])
	}
	lf := featureMap(ex.liverFeatures(v, map[string]float64{"liver": 52, "spleen": 47}, nil))
	if lf["IMAGING//CT//liver_minus_spleen_hu"].Value != 5 || lf["IMAGING//CT//liver_minus_spleen_hu"].Algorithm != AlgorithmLiver {
		t.Errorf("liver − spleen %+v", lf)
	}
}

// Without segmentation or ROI a CT gets body features; a brain CT gets no
// lung features; a synthetic chest CT with unstated body part gets them.
func TestExtractBodyAndLung(t *testing.T) {
	s := readSeries(t, "dcm_qa_ct_philips_std_brain_5mm")
	fs, err := New(DefaultConfig()).Series(context.Background(), &dicom.FeatureInput{Series: s})
	if err != nil {
		t.Fatal(err)
	}
	fm := featureMap(fs)
	mean, ok := fm["IMAGING//CT//body_mean_hu"]
	if !ok || mean.Unit != "[hnsf'U]" || mean.ROI != "body" {
		t.Fatalf("body mean %+v", mean)
	}
	if vol := fm["IMAGING//CT//body_volume_ml"]; !(vol.Value > 100) || vol.Unit != "mL" {
		t.Errorf("body volume %+v", vol)
	}
	for c := range fm {
		if strings.Contains(c, "lung") {
			t.Errorf("lung feature %s on a brain CT", c)
		}
	}
	v, _ := chestPhantom(false)
	ex := New(DefaultConfig())
	ex.cfg.ChestMinLungML = 1000
	lf, err := ex.lungFeatures(v, &dicom.Series{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lm := featureMap(lf)
	for _, code := range []string{"lung_ggo_pct", "lung_consolidation_pct", "lung_involvement_pct", "lung_left_involvement_pct",
		"lung_right_involvement_pct", "lung_severity_score", "lung_volume_ml"} {
		f, ok := lm["IMAGING//CT//"+code]
		if !ok {
			t.Errorf("no %s", code)
			continue
		}
		if _, _, known := timeline.DefaultCodes().Normalize(f.Code, f.Value, f.Unit); known != nil {
			t.Errorf("%s: %v", code, known)
		}
	}
}

// Through imaging ingest: `--features` stores imaging_feature events with
// detail rows naming the algorithm; a series with a gap and the tilted
// series are reported with their reason and get no features; the rest of
// the run goes on.
func TestIngestFeatures(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "medtwin.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := dicom.New()
	a.Features = New(DefaultConfig()).Series
	reg, err := ingest.NewRegistry(a)
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{
		testdata.Path(t, "dicom", "series", "dcmqi_ct_3slice"),
		testdata.Path(t, "dicom", "seg", "dcmqi_liver_seg.dcm"),
		testdata.Path(t, "dicom", "series", "pydicom_CT2_4slices_with_gap"),
		testdata.Path(t, "dicom", "series", "dcm_qa_ct_ge_tilt_subset"),
	}
	r := &ingest.Runner{Target: st, Registry: reg, Env: ingest.Env{Options: ingest.Options{Features: true}}, Command: "test"}
	rep, err := r.Run(ctx, paths)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, f := range rep.Files {
		for _, e := range f.Errors {
			if e.Field == "features" {
				reasons = append(reasons, e.Error())
				if !errors.Is(e, ErrGeometry) {
					t.Errorf("%s: %v does not wrap ErrGeometry", f.Input.Name, e)
				}
			}
		}
	}
	joined := strings.Join(reasons, "\n")
	if len(reasons) != 2 || !strings.Contains(joined, "gap") || !strings.Contains(joined, "tilt") {
		t.Errorf("feature errors:\n%s", joined)
	}
	rr, err := st.Scan(ctx, store.Cohort{}, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	byCode := map[string]timeline.Event{}
	for rr.Next() {
		evs, err := timeline.Events(rr.Record())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Kind == timeline.KindImagingFeature {
				byCode[e.Code] = e
			}
		}
	}
	liver, ok := byCode["IMAGING//CT//liver_mean_hu"]
	if !ok || liver.Unit != "[hnsf'U]" || !liver.HasValue {
		t.Fatalf("no liver_mean_hu event (%d feature events)", len(byCode))
	}
	for c := range byCode {
		if strings.HasPrefix(c, "IMAGING//CT//body_") {
			t.Errorf("%s stored for a series with a segmentation", c)
		}
	}
	dr, err := st.Details(ctx, timeline.Imaging, store.Cohort{}, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	defer dr.Release()
	found := false
	for dr.Next() {
		rows, err := timeline.ImagingOf(dr.Record())
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			if row.Key == liver.Key {
				found = row.Algorithm == AlgorithmFirstOrder && row.AlgorithmVersion == AlgorithmVersion && row.ROI == "liver" &&
					strings.Contains(row.Settings, `"binWidth":25`)
			}
		}
	}
	if !found {
		t.Error("no imaging detail row with the algorithm for liver_mean_hu")
	}
	// Re-ingest is a no-op.
	rep2, err := r.Run(ctx, paths)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep2.Files {
		if f.Result.Inserted != 0 {
			t.Errorf("re-ingest inserted %d rows from %s", f.Result.Inserted, f.Input.Name)
		}
	}
}
