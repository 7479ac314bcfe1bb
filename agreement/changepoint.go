package agreement

import (
	"fmt"
	"math"
)

// Shift is the result of a test for one change in the mean of a series in
// time order.
type Shift struct {
	N int `json:"n"`
	// Statistic is the OLS-CUSUM statistic: the largest absolute value of
	// the cumulative sum of deviations from the overall mean, scaled by
	// σ̂√n (Ploberger & Krämer 1992). Under no change it behaves as the
	// supremum of a Brownian bridge; P is its asymptotic p value.
	Statistic float64 `json:"statistic"`
	P         float64 `json:"p"`
	// At is the most likely change: the series' first At values form the
	// first segment (the least-squares split, at least MinSegment values on
	// each side). MeanBefore and MeanAfter are the segments' means.
	At         int     `json:"at"`
	MeanBefore float64 `json:"meanBefore"`
	MeanAfter  float64 `json:"meanAfter"`
}

// MeanShift tests y (in time order) for one change in its mean and locates
// it; minSegment (≥ 1) bounds the segments' sizes for the location.
func MeanShift(y []float64, minSegment int) (Shift, error) {
	n := len(y)
	if minSegment < 1 {
		minSegment = 1
	}
	if n < 2*minSegment || n < 3 {
		return Shift{}, fmt.Errorf("%w: a change-point test needs %d values, have %d", ErrTooFew, max(2*minSegment, 3), n)
	}
	if err := allFinite(y); err != nil {
		return Shift{}, err
	}
	mean, sd := meanSD(y)
	r := Shift{N: n}
	// Location: the split minimising the residual sum of squares, i.e.
	// maximising S_j² · n / (j (n − j)) with S_j the cumulative deviation.
	var cum, best float64
	var sup float64
	prefix := make([]float64, n+1)
	for j := 1; j <= n; j++ {
		cum += y[j-1] - mean
		prefix[j] = prefix[j-1] + y[j-1]
		sup = math.Max(sup, math.Abs(cum))
		if j >= minSegment && n-j >= minSegment {
			score := cum * cum * float64(n) / (float64(j) * float64(n-j))
			if score > best || r.At == 0 {
				best, r.At = score, j
			}
		}
	}
	r.MeanBefore = prefix[r.At] / float64(r.At)
	r.MeanAfter = (prefix[n] - prefix[r.At]) / float64(n-r.At)
	if sd == 0 {
		r.Statistic, r.P = 0, 1
		return r, nil
	}
	r.Statistic = sup / (sd * math.Sqrt(float64(n)))
	r.P = brownianBridgeSup(r.Statistic)
	return r, nil
}

// brownianBridgeSup is P(sup |B(t)| > x) for a Brownian bridge B: the
// Kolmogorov distribution's tail 2 Σ (−1)^(k+1) exp(−2k²x²).
func brownianBridgeSup(x float64) float64 {
	if x <= 0 {
		return 1
	}
	if x < 0.3 {
		// The alternating series converges slowly here and the tail is 1
		// to within 1e-8 (the Kolmogorov CDF at 0.3 is 9e-9).
		return 1
	}
	var s float64
	for k := 1; k <= 100; k++ {
		term := math.Exp(-2 * float64(k*k) * x * x)
		if k%2 == 1 {
			s += term
		} else {
			s -= term
		}
		if term < 1e-16 {
			break
		}
	}
	return math.Min(1, math.Max(0, 2*s))
}
