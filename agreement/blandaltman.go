package agreement

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Interval is a two-sided confidence interval.
type Interval struct {
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper"`
}

// Z95 is the standard normal quantile of a two-sided 95 % interval.
var Z95 = distuv.UnitNormal.Quantile(0.975)

// BA is a Bland–Altman analysis of paired measurements a and b: the
// differences are a − b.
type BA struct {
	N int `json:"n"`
	// Bias is the mean difference; SD the standard deviation of the
	// differences (n − 1 denominator).
	Bias float64 `json:"bias"`
	SD   float64 `json:"sd"`
	// Multiplier is the number of SDs the limits lie from the bias (1.96
	// for 95 % limits; Bland & Altman 1986 used 2).
	Multiplier float64 `json:"multiplier"`
	// Lower and Upper are the limits of agreement, Bias ∓ Multiplier·SD.
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper"`
	// BiasCI, LowerCI and UpperCI are 95 % confidence intervals
	// (t distribution with n − 1 degrees of freedom; the limits' standard
	// error is √(3s²/n), Bland & Altman 1986 §"Precision of estimated
	// limits of agreement").
	BiasCI  Interval `json:"biasCI"`
	LowerCI Interval `json:"lowerCI"`
	UpperCI Interval `json:"upperCI"`
	// MeanA and MeanB are the two methods' means.
	MeanA float64 `json:"meanA"`
	MeanB float64 `json:"meanB"`
}

// BlandAltman computes 95 % limits of agreement (Multiplier 1.96) of a
// against b.
func BlandAltman(a, b []float64) (BA, error) { return BlandAltmanK(a, b, Z95) }

// BlandAltmanK computes limits of agreement Multiplier = k SDs either side
// of the bias.
func BlandAltmanK(a, b []float64, k float64) (BA, error) {
	if len(a) != len(b) {
		return BA{}, fmt.Errorf("%w: %d and %d", ErrLength, len(a), len(b))
	}
	n := len(a)
	if n < 2 {
		return BA{}, fmt.Errorf("%w: Bland–Altman needs 2 pairs, have %d", ErrTooFew, n)
	}
	d := make([]float64, n)
	var sa, sb float64
	for i := range a {
		if !finite(a[i]) || !finite(b[i]) {
			return BA{}, fmt.Errorf("%w: pair %d", ErrValue, i)
		}
		d[i] = a[i] - b[i]
		sa += a[i]
		sb += b[i]
	}
	mean, sd := meanSD(d)
	r := BA{N: n, Bias: mean, SD: sd, Multiplier: k, Lower: mean - k*sd, Upper: mean + k*sd,
		MeanA: sa / float64(n), MeanB: sb / float64(n)}
	t := tQuantile(0.975, float64(n-1))
	seBias := sd / math.Sqrt(float64(n))
	seLimit := math.Sqrt(3 * sd * sd / float64(n))
	r.BiasCI = Interval{mean - t*seBias, mean + t*seBias}
	r.LowerCI = Interval{r.Lower - t*seLimit, r.Lower + t*seLimit}
	r.UpperCI = Interval{r.Upper - t*seLimit, r.Upper + t*seLimit}
	return r, nil
}

// meanSD returns the mean and the sample standard deviation (n − 1), by
// Welford's update (stable for large values with small spread).
func meanSD(x []float64) (mean, sd float64) {
	var m2 float64
	for i, v := range x {
		delta := v - mean
		mean += delta / float64(i+1)
		m2 += delta * (v - mean)
	}
	if len(x) > 1 {
		sd = math.Sqrt(m2 / float64(len(x)-1))
	}
	return mean, sd
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// tQuantile is the p quantile of Student's t with df degrees of freedom.
func tQuantile(p, df float64) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(p)
}

// fQuantile is the p quantile of the F distribution.
func fQuantile(p, d1, d2 float64) float64 {
	return distuv.F{D1: d1, D2: d2}.Quantile(p)
}
