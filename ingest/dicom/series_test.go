package dicom

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

func readDir(t *testing.T, dir string) []*Instance {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []*Instance
	for _, e := range ents {
		in, err := ReadInstance(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, in)
	}
	return out
}

func TestSeriesGeometricOrder(t *testing.T) {
	// 28 slices whose file names (I10, I100, …) do not sort in slice order.
	s, err := NewSeries(readDir(t, td(t, "series/dcm_qa_ct_philips_std_brain_5mm")))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Slices) != 28 || !s.Regular() {
		t.Fatalf("slices %d, issues %v", len(s.Slices), s.Issues)
	}
	for i, sl := range s.Slices {
		z := sl.Geometry().Position[2]
		if math.Abs(z-(696.21+5*float64(i))) > 1e-6 || sl.Instance.InstanceNumber != i+1 {
			t.Errorf("slice %d: z %v instance %d", i, z, sl.Instance.InstanceNumber)
		}
	}
	if sp := s.Spacing(); math.Abs(sp-5) > 1e-6 {
		t.Errorf("spacing %v, want 5", sp)
	}

	// z falls as InstanceNumber rises: geometric order reverses it.
	s, _ = NewSeries(readDir(t, td(t, "series/pydicom_CT5N_5slices")))
	if !s.Regular() || len(s.Slices) != 5 || s.Slices[0].Instance.InstanceNumber != 10 || math.Abs(s.Spacing()-2.5) > 1e-6 {
		t.Errorf("CT5N: issues %v, first instance %d, spacing %v", s.Issues, s.Slices[0].Instance.InstanceNumber, s.Spacing())
	}
}

func TestSeriesGeometryIssues(t *testing.T) {
	has := func(s *Series, k GeometryIssueKind) bool {
		for _, is := range s.Issues {
			if is.Kind == k {
				return true
			}
		}
		return false
	}
	gap, _ := NewSeries(readDir(t, td(t, "series/pydicom_CT2_4slices_with_gap")))
	if !has(gap, IssueGap) || gap.Err() == nil {
		t.Errorf("202.5 mm gap not reported: %v", gap.Issues)
	}
	tilt, _ := NewSeries(readDir(t, td(t, "series/dcm_qa_ct_ge_tilt_subset")))
	if !has(tilt, IssueTilt) {
		t.Errorf("18.5° gantry tilt not reported: %v", tilt.Issues)
	}
	if !has(tilt, IssueNonUniform) && !has(tilt, IssueGap) {
		t.Errorf("uneven steps (4.22, 1.14, 7.38 mm) not reported: %v", tilt.Issues)
	}
	// Two series never form one.
	a := readDir(t, td(t, "series/pydicom_CT5N_5slices"))
	b := readDir(t, td(t, "series/pydicom_CT2_4slices_with_gap"))
	if all := GroupSeries(append(a, b...)); len(all) != 2 {
		t.Errorf("grouped into %d series, want 2", len(all))
	}
	if _, err := NewSeries(append(a, b...)); err == nil {
		t.Error("NewSeries accepted two series")
	}
}

func TestEnhancedMultiframeGeometry(t *testing.T) {
	// The Legacy Converted Enhanced CT holds the 23x38x3 series as frames:
	// per-frame positions must match the single-frame files'.
	mf, err := ReadInstance(td(t, "multiframe/dcmqi_23x38x3_mf.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := NewSeries([]*Instance{mf})
	single, _ := NewSeries(readDir(t, td(t, "series/dcmqi_synthetic_23x38x3")))
	if len(s.Slices) != 3 || len(single.Slices) != 3 {
		t.Fatalf("slices %d and %d", len(s.Slices), len(single.Slices))
	}
	for i := range s.Slices {
		if d := math.Abs(s.Slices[i].Distance - single.Slices[i].Distance); d > 1e-4 {
			t.Errorf("slice %d: multi-frame %v, single-frame %v", i, s.Slices[i].Distance, single.Slices[i].Distance)
		}
	}
}
