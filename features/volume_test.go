package features

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medtwin/medtwin/ingest/dicom"
	"github.com/medtwin/medtwin/internal/testdata"
)

// readSeries reads every file of a shared test directory into one series.
func readSeries(t testing.TB, elem ...string) *dicom.Series {
	t.Helper()
	dir := testdata.Path(t, append([]string{"dicom", "series"}, elem...)...)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ins []*dicom.Instance
	for _, e := range ents {
		in, err := dicom.ReadInstance(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		ins = append(ins, in)
	}
	s, err := dicom.NewSeries(ins)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sliceMean(v *Volume, k int) float64 {
	var s float64
	plane := v.Nx * v.Ny
	for i := k * plane; i < (k+1)*plane; i++ {
		s += v.Value(i)
	}
	return s / float64(plane)
}

// The Philips brain series: 28 slices whose file names (I10 … I280) do not
// sort in slice order assemble by position into 512×512×28 at 5.0 mm.
// Expected HU values were computed independently with pydicom 2.3.1 +
// numpy (slices sorted by ImagePositionPatient z, pixel_array × slope +
// intercept): whole-volume mean −830.6064, slice means −861.8498 (first),
// −855.8399 (14th), −959.6644 (last), voxel (z14,y256,x256) 93 and
// (z3,y100,x200) 442, 908,380 voxels at or above −500 HU.
func TestLoadPhilipsBrain(t *testing.T) {
	s := readSeries(t, "dcm_qa_ct_philips_std_brain_5mm")
	v, err := Load(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if v.Nx != 512 || v.Ny != 512 || v.Nz != 28 {
		t.Fatalf("size %dx%dx%d, want 512x512x28", v.Nx, v.Ny, v.Nz)
	}
	if math.Abs(v.Spacing[2]-5) > 1e-6 || math.Abs(v.Spacing[0]-0.451171875) > 1e-9 || math.Abs(v.Spacing[1]-0.451171875) > 1e-9 {
		t.Errorf("spacing %v, want 0.451171875 × 0.451171875 × 5 mm", v.Spacing)
	}
	if v.I16 == nil || v.Unit != "[hnsf'U]" {
		t.Errorf("CT with integer rescale should load as int16 HU (unit %q)", v.Unit)
	}
	if math.Abs(v.Origin[2]-696.21) > 1e-6 || v.Direction[2] != [3]float64{0, 0, 1} {
		t.Errorf("origin %v direction %v", v.Origin, v.Direction)
	}
	var sum float64
	for i := 0; i < v.Len(); i++ {
		sum += v.Value(i)
	}
	if m := sum / float64(v.Len()); math.Abs(m-(-830.6064483097622)) > 1e-6 {
		t.Errorf("mean HU %.6f, pydicom -830.606448", m)
	}
	for k, want := range map[int]float64{0: -861.8498, 13: -855.8399, 27: -959.6644} {
		if got := sliceMean(v, k); math.Abs(got-want) > 1e-4 {
			t.Errorf("slice %d mean %.4f, want %.4f (slice order)", k, got, want)
		}
	}
	if a, b := v.Value(v.Index(256, 256, 14)), v.Value(v.Index(200, 100, 3)); a != 93 || b != 442 {
		t.Errorf("voxels %v %v, want 93 442", a, b)
	}
	if n := Threshold(v, -500, math.Inf(1)).Count(); n != 908380 {
		t.Errorf("%d voxels ≥ -500 HU, want 908380", n)
	}
}

// Series that are not one regular volume are refused with the reason.
func TestLoadRefusesIrregularSeries(t *testing.T) {
	for _, c := range []struct {
		dir  string
		want []string
	}{
		{"dcm_qa_ct_ge_tilt_subset", []string{"tilt", "non_uniform_spacing"}},
		{"pydicom_CT2_4slices_with_gap", []string{"gap"}},
	} {
		t.Run(c.dir, func(t *testing.T) {
			s := readSeries(t, c.dir)
			v, err := Load(context.Background(), s)
			if err == nil || v != nil {
				t.Fatalf("loaded %v, want an error", v)
			}
			if !errors.Is(err, ErrGeometry) || !errors.Is(err, dicom.ErrGeometry) {
				t.Errorf("error %v does not wrap ErrGeometry", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

// A small series with z falling as InstanceNumber rises is ordered by
// position; a duplicate position is refused.
func TestLoadOrderAndDuplicates(t *testing.T) {
	s := readSeries(t, "pydicom_CT5N_5slices")
	v, err := Load(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if v.Nz != 5 || math.Abs(v.Spacing[2]-2.5) > 1e-6 {
		t.Fatalf("%d slices at %v mm, want 5 at 2.5", v.Nz, v.Spacing[2])
	}
	for k := 1; k < len(s.Slices); k++ {
		if s.Slices[k].Distance <= s.Slices[k-1].Distance {
			t.Fatal("slices not in ascending position")
		}
	}
	// The same file twice under another SOP Instance UID: two slices at
	// one position.
	dup := *s.Slices[2].Instance
	dup.SOPInstanceUID += ".9"
	ins := append(append([]*dicom.Instance(nil), s.Instances...), &dup)
	s2, err := dicom.NewSeries(ins)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load(context.Background(), s2); !errors.Is(err, ErrGeometry) || !strings.Contains(err.Error(), "duplicate_position") {
		t.Errorf("duplicate position: %v", err)
	}
	// A missing slice in the middle: a gap.
	ins = append(append([]*dicom.Instance(nil), s.Instances[:2]...), s.Instances[3:]...)
	s3, _ := dicom.NewSeries(ins)
	if _, err := Load(context.Background(), s3); !errors.Is(err, ErrGeometry) || !strings.Contains(err.Error(), "gap") {
		t.Errorf("missing slice: %v", err)
	}
}

// Compressed transfer syntaxes: RLE is decoded to the same values as the
// uncompressed original; JPEG-LS is refused naming the transfer syntax.
func TestLoadTransferSyntaxes(t *testing.T) {
	load := func(rel ...string) (*Volume, error) {
		in, err := dicom.ReadInstance(testdata.Path(t, append([]string{"dicom"}, rel...)...))
		if err != nil {
			t.Fatal(err)
		}
		s, err := dicom.NewSeries([]*dicom.Instance{in})
		if err != nil {
			t.Fatal(err)
		}
		return Load(context.Background(), s)
	}
	ref, err := load("transfer_syntax", "dcm_qa_ts", "1.dcm")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"2.dcm", "3.dcm", "4.dcm"} { // implicit LE, big endian, RLE
		v, err := load("transfer_syntax", "dcm_qa_ts", f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i := 0; i < ref.Len(); i++ {
			if v.Value(i) != ref.Value(i) {
				t.Fatalf("%s: voxel %d = %v, uncompressed %v", f, i, v.Value(i), ref.Value(i))
			}
		}
	}
	if _, err := load("transfer_syntax", "dcm_qa_ts", "7.dcm"); !errors.Is(err, ErrPixelFormat) || !strings.Contains(err.Error(), "(0002,0010)") {
		t.Errorf("JPEG-LS: %v, want ErrPixelFormat naming (0002,0010)", err)
	}
}
