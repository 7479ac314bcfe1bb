package features

import (
	"fmt"
	"math"
	"slices"
)

// Settings are the radiomics settings, recorded with every feature.
type Settings struct {
	// BinWidth is the fixed bin width of the discretised histogram behind
	// Entropy and Uniformity (pyradiomics binWidth; default 25, in the
	// volume's unit: HU for CT).
	BinWidth float64 `json:"binWidth"`
	// VoxelArrayShift is added to values before Energy, TotalEnergy and RMS
	// (pyradiomics voxelArrayShift; default 0).
	VoxelArrayShift float64 `json:"voxelArrayShift"`
}

// DefaultSettings are pyradiomics' defaults: bin width 25, no shift.
func DefaultSettings() Settings { return Settings{BinWidth: 25} }

func (s Settings) check() error {
	if !(s.BinWidth > 0) || math.IsInf(s.BinWidth, 0) {
		return fmt.Errorf("%w: bin width %v must be positive", ErrSettings, s.BinWidth)
	}
	if math.IsNaN(s.VoxelArrayShift) || math.IsInf(s.VoxelArrayShift, 0) {
		return fmt.Errorf("%w: voxel array shift %v", ErrSettings, s.VoxelArrayShift)
	}
	return nil
}

// FirstOrder holds the first-order (intensity statistics) features of a
// region, defined as pyradiomics' radiomics/firstorder.py and IBSI chapter
// 3.3-3.4 (REFERENCE.md §6). Intensities are in the volume's unit;
// Kurtosis is pyradiomics' (μ₄/σ⁴), which is IBSI's excess kurtosis + 3.
type FirstOrder struct {
	N           int     // voxels in the region
	Energy      float64 // Σ (X+c)²
	TotalEnergy float64 // voxel volume (mm³) × Energy
	Entropy     float64 // −Σ p log₂(p+ε) over the binned histogram (0 for one bin)
	Minimum     float64
	P10         float64 // 10th percentile (numpy linear interpolation)
	P25         float64
	Median      float64
	P75         float64
	P90         float64
	Maximum     float64
	Mean        float64
	IQR         float64 // P75 − P25
	Range       float64
	MAD         float64 // mean absolute deviation from the mean
	RobustMAD   float64 // MAD of the voxels with P10 ≤ X ≤ P90, around their mean
	MedianAD    float64 // IBSI median absolute deviation: mean |X − median|
	RMS         float64 // √(Energy/N)
	StdDev      float64 // population standard deviation
	Variance    float64 // population variance
	Skewness    float64 // μ₃/σ³, 0 for a flat region
	Kurtosis    float64 // μ₄/σ⁴, 0 for a flat region
	Uniformity  float64 // Σ p² over the binned histogram
	CoV         float64 // σ / mean (IBSI coefficient of variation)
	QCoD        float64 // (P75 − P25)/(P75 + P25) (IBSI)
	Bins        int     // non-empty bins of the discretised histogram
}

// histogram is the region's distinct values in ascending order with their
// counts: every first-order feature is exact from it, and for 16-bit
// volumes it is built in one pass without copying voxels.
type histogram struct {
	val []float64
	cnt []int64
	n   int64
}

// newHistogram collects the values of v inside m.
func newHistogram(v *Volume, m *Mask) (*histogram, error) {
	if err := m.Check(v); err != nil {
		return nil, err
	}
	h := &histogram{}
	if v.I16 != nil {
		var counts [1 << 16]int64
		data, bits := v.I16, m.Bits
		for i, b := range bits {
			if b != 0 {
				counts[uint16(data[i])]++
			}
		}
		// Ascending signed order: -32768 … -1 are 0x8000 … 0xFFFF.
		for k := 0; k < 1<<16; k++ {
			u := uint16(k + 0x8000)
			if c := counts[u]; c > 0 {
				h.val = append(h.val, float64(int16(u)))
				h.cnt = append(h.cnt, c)
				h.n += c
			}
		}
	} else {
		var xs []float32
		for i, b := range m.Bits {
			if b != 0 {
				xs = append(xs, v.F32[i])
			}
		}
		slices.Sort(xs)
		for i := 0; i < len(xs); {
			j := i
			for j < len(xs) && xs[j] == xs[i] {
				j++
			}
			if !math.IsNaN(float64(xs[i])) {
				h.val = append(h.val, float64(xs[i]))
				h.cnt = append(h.cnt, int64(j-i))
				h.n += int64(j - i)
			}
			i = j
		}
	}
	if h.n == 0 {
		return nil, ErrEmptyMask
	}
	return h, nil
}

// kth returns the k-th smallest value (0-based).
func (h *histogram) kth(k int64) float64 {
	for i, c := range h.cnt {
		if k < c {
			return h.val[i]
		}
		k -= c
	}
	return h.val[len(h.val)-1]
}

// percentile follows numpy's default (linear interpolation between the
// order statistics around (N−1)·q/100).
func (h *histogram) percentile(q float64) float64 {
	pos := float64(h.n-1) * q / 100
	lo := math.Floor(pos)
	a := h.kth(int64(lo))
	if pos == lo {
		return a
	}
	b := h.kth(int64(lo) + 1)
	return a + (pos-lo)*(b-a)
}

// ComputeFirstOrder computes the first-order features of v inside m.
func ComputeFirstOrder(v *Volume, m *Mask, s Settings) (FirstOrder, error) {
	if err := s.check(); err != nil {
		return FirstOrder{}, err
	}
	h, err := newHistogram(v, m)
	if err != nil {
		return FirstOrder{}, err
	}
	return h.firstOrder(v.VoxelVolume(), s), nil
}

func (h *histogram) firstOrder(voxel float64, s Settings) FirstOrder {
	var f FirstOrder
	n := float64(h.n)
	f.N = int(h.n)
	f.Minimum, f.Maximum = h.val[0], h.val[len(h.val)-1]
	f.Range = f.Maximum - f.Minimum
	var sum, energy float64
	for i, x := range h.val {
		c := float64(h.cnt[i])
		sum += c * x
		energy += c * (x + s.VoxelArrayShift) * (x + s.VoxelArrayShift)
	}
	f.Mean = sum / n
	f.Energy = energy
	f.TotalEnergy = voxel * energy
	f.RMS = math.Sqrt(energy / n)
	f.P10, f.P25, f.Median, f.P75, f.P90 = h.percentile(10), h.percentile(25), h.percentile(50), h.percentile(75), h.percentile(90)
	f.IQR = f.P75 - f.P25
	var m2, m3, m4, mad, medad float64
	var subN, subSum float64
	for i, x := range h.val {
		c := float64(h.cnt[i])
		d := x - f.Mean
		m2 += c * d * d
		m3 += c * d * d * d
		m4 += c * d * d * d * d
		mad += c * math.Abs(d)
		medad += c * math.Abs(x-f.Median)
		if x >= f.P10 && x <= f.P90 {
			subN += c
			subSum += c * x
		}
	}
	m2, m3, m4 = m2/n, m3/n, m4/n
	f.Variance = m2
	f.StdDev = math.Sqrt(m2)
	if m2 > 0 {
		f.Skewness = m3 / math.Pow(m2, 1.5)
		f.Kurtosis = m4 / (m2 * m2)
	}
	f.MAD = mad / n
	f.MedianAD = medad / n
	if subN > 0 {
		subMean := subSum / subN
		var r float64
		for i, x := range h.val {
			if x >= f.P10 && x <= f.P90 {
				r += float64(h.cnt[i]) * math.Abs(x-subMean)
			}
		}
		f.RobustMAD = r / subN
	}
	if f.Mean != 0 {
		f.CoV = f.StdDev / f.Mean
	}
	if f.P75+f.P25 != 0 {
		f.QCoD = (f.P75 - f.P25) / (f.P75 + f.P25)
	}
	// Fixed bin width: bin = ⌊X/W⌋ − ⌊min/W⌋ + 1 (pyradiomics getBinEdges
	// with np.digitize).
	const eps = 2.220446049250313e-16 // numpy.spacing(1), pyradiomics' ε
	base := math.Floor(f.Minimum / s.BinWidth)
	var cur float64 = math.NaN()
	var binCount int64
	flush := func() {
		if binCount > 0 {
			p := float64(binCount) / n
			f.Entropy -= p * math.Log2(p+eps)
			f.Uniformity += p * p
			f.Bins++
		}
	}
	for i, x := range h.val {
		b := math.Floor(x/s.BinWidth) - base
		if b != cur {
			flush()
			cur, binCount = b, 0
		}
		binCount += h.cnt[i]
	}
	flush()
	if f.Entropy < 0 { // −log₂(1+ε) for a single bin
		f.Entropy = 0
	}
	return f
}
