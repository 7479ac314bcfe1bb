package features

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"encoding/csv"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/medtwin/medtwin/internal/testdata"
)

// readNIfTI reads a gzipped NIfTI-1 int16 image (the IBSI phantom's format)
// into a volume with its pixdim spacing; x runs fastest, as in Volume.
func readNIfTI(t *testing.T, path string) *Volume {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	if le.Uint32(b[0:]) != 348 {
		t.Fatalf("%s: not a little-endian NIfTI-1 header", path)
	}
	dim := func(i int) int { return int(le.Uint16(b[40+2*i:])) }
	pix := func(i int) float64 { return float64(math.Float32frombits(le.Uint32(b[76+4*i:]))) }
	if dt := le.Uint16(b[70:]); dt != 4 {
		t.Fatalf("%s: datatype %d, want int16", path, dt)
	}
	off := int(math.Float32frombits(le.Uint32(b[108:])))
	v := &Volume{Nx: dim(1), Ny: dim(2), Nz: dim(3), Spacing: [3]float64{pix(1), pix(2), pix(3)},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, Unit: "1"}
	v.I16 = make([]int16, v.Len())
	for i := range v.I16 {
		v.I16[i] = int16(le.Uint16(b[off+2*i:]))
	}
	return v
}

// ibsiReference reads the IBSI-1 digital phantom consensus values
// (reference_values/ibsi_1_reference_values_digital_phantom.csv, see the
// shared SOURCES.md) by their tag: value and tolerance.
func ibsiReference(t *testing.T) map[string][2]float64 {
	t.Helper()
	f, err := os.Open(testdata.Path(t, "ibsi", "reference_values", "ibsi_1_reference_values_digital_phantom.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if bom, _ := br.Peek(3); string(bom) == "\ufeff" {
		br.Discard(3)
	}
	rows, err := csv.NewReader(br).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]float64{}
	for _, r := range rows[1:] {
		v, err1 := strconv.ParseFloat(r[4], 64)
		tol, err2 := strconv.ParseFloat(r[5], 64)
		if err1 != nil || err2 != nil {
			continue
		}
		out[r[9]] = [2]float64{v, tol}
	}
	return out
}

func ibsiPhantom(t *testing.T) (*Volume, *Mask) {
	v := readNIfTI(t, testdata.Path(t, "ibsi", "digital_phantom", "nifti", "phantom.nii.gz"))
	mv := readNIfTI(t, testdata.Path(t, "ibsi", "digital_phantom", "nifti", "mask.nii.gz"))
	m := NewMask(v)
	for i, x := range mv.I16 {
		if x != 0 {
			m.Bits[i] = 1
		}
	}
	return v, m
}

// within checks got against an IBSI reference: within its tolerance, and
// where the tolerance is 0 (values given to 3 significant digits) within
// half a unit of the last digit printed.
func within(got, ref, tol float64) bool {
	if tol == 0 {
		s := strconv.FormatFloat(ref, 'f', -1, 64)
		dec := 0
		if i := strings.IndexByte(s, '.'); i >= 0 {
			dec = len(s) - i - 1
		}
		tol = 0.5 * math.Pow(10, -float64(dec))
	}
	return math.Abs(got-ref) <= tol+1e-12
}

// The IBSI-1 digital phantom (Zwanenburg et al., arXiv:1612.07003, IBSI
// reference manual ch. 5; values in REFERENCE.md §6): statistics,
// intensity histogram (no discretisation: bin width 1 on grey levels 1-6)
// and morphology features within the published tolerances. pyradiomics'
// kurtosis is IBSI's excess kurtosis + 3.
func TestIBSIPhantom(t *testing.T) {
	v, m := ibsiPhantom(t)
	ref := ibsiReference(t)
	if n := m.Count(); n != 74 {
		t.Fatalf("mask has %d voxels, want 74", n)
	}
	fo, err := ComputeFirstOrder(v, m, Settings{BinWidth: 1})
	if err != nil {
		t.Fatal(err)
	}
	sh, err := ComputeShape(v, m)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		tag string
		got float64
	}{
		{"stat_mean", fo.Mean}, {"stat_var", fo.Variance}, {"stat_skew", fo.Skewness},
		{"stat_kurt", fo.Kurtosis - 3}, {"stat_median", fo.Median}, {"stat_min", fo.Minimum},
		{"stat_p10", fo.P10}, {"stat_p90", fo.P90}, {"stat_max", fo.Maximum}, {"stat_iqr", fo.IQR},
		{"stat_range", fo.Range}, {"stat_mad", fo.MAD}, {"stat_rmad", fo.RobustMAD},
		{"stat_medad", fo.MedianAD}, {"stat_cov", fo.CoV}, {"stat_qcod", fo.QCoD},
		{"stat_energy", fo.Energy}, {"stat_rms", fo.RMS},
		{"ih_entropy", fo.Entropy}, {"ih_uniformity", fo.Uniformity},
		{"morph_volume", sh.MeshVolume}, {"morph_vol_approx", sh.VoxelVolume},
		{"morph_area_mesh", sh.SurfaceArea}, {"morph_av", sh.SurfaceVolumeRatio},
		{"morph_comp_1", sh.Compactness1}, {"morph_comp_2", sh.Compactness2},
		{"morph_sph_dispr", sh.SphericalDisproportion}, {"morph_sphericity", sh.Sphericity},
		{"morph_diam", sh.Maximum3DDiameter},
		{"morph_pca_maj_axis", sh.MajorAxisLength}, {"morph_pca_min_axis", sh.MinorAxisLength},
		{"morph_pca_least_axis", sh.LeastAxisLength},
		{"morph_pca_elongation", sh.Elongation}, {"morph_pca_flatness", sh.Flatness},
	}
	for _, c := range cases {
		r, ok := ref[c.tag]
		if !ok {
			t.Errorf("%s: no reference value in the IBSI table", c.tag)
			continue
		}
		if !within(c.got, r[0], r[1]) {
			t.Errorf("%s = %.5g, IBSI %v ± %v", c.tag, c.got, r[0], r[1])
		}
	}
}
