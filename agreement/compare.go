package agreement

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// TwoSample compares the means of two samples by Welch's t test (unequal
// variances, Welch–Satterthwaite degrees of freedom).
type TwoSample struct {
	NA    int     `json:"nA"`
	NB    int     `json:"nB"`
	MeanA float64 `json:"meanA"`
	MeanB float64 `json:"meanB"`
	SDA   float64 `json:"sdA"`
	SDB   float64 `json:"sdB"`
	// Diff is MeanB − MeanA (the change from a to b), with its 95 %
	// confidence interval.
	Diff float64  `json:"diff"`
	CI   Interval `json:"ci"`
	T    float64  `json:"t"`
	DF   float64  `json:"df"`
	P    float64  `json:"p"` // two-sided
}

// Welch compares the mean of b with the mean of a. Both need 2 values.
func Welch(a, b []float64) (TwoSample, error) {
	if len(a) < 2 || len(b) < 2 {
		return TwoSample{}, fmt.Errorf("%w: Welch needs 2 values per sample, have %d and %d", ErrTooFew, len(a), len(b))
	}
	if err := allFinite(a, b); err != nil {
		return TwoSample{}, err
	}
	ma, sa := meanSD(a)
	mb, sb := meanSD(b)
	na, nb := float64(len(a)), float64(len(b))
	va, vb := sa*sa/na, sb*sb/nb
	se := math.Sqrt(va + vb)
	r := TwoSample{NA: len(a), NB: len(b), MeanA: ma, MeanB: mb, SDA: sa, SDB: sb, Diff: mb - ma}
	if se == 0 {
		r.T, r.DF, r.P = math.NaN(), math.NaN(), math.NaN()
		if r.Diff != 0 {
			r.T, r.P = math.Inf(int(math.Copysign(1, r.Diff))), 0
		}
		r.CI = Interval{r.Diff, r.Diff}
		return r, nil
	}
	r.T = r.Diff / se
	r.DF = (va + vb) * (va + vb) / (va*va/(na-1) + vb*vb/(nb-1))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: r.DF}
	r.P = 2 * t.Survival(math.Abs(r.T))
	q := t.Quantile(0.975)
	r.CI = Interval{r.Diff - q*se, r.Diff + q*se}
	return r, nil
}

// VarianceTest compares two variances by their ratio (the F test).
type VarianceTest struct {
	// Ratio is var(b) / var(a), with its 95 % confidence interval.
	Ratio float64  `json:"ratio"`
	CI    Interval `json:"ci"`
	DF1   float64  `json:"df1"`
	DF2   float64  `json:"df2"`
	P     float64  `json:"p"` // two-sided
}

// VarianceRatio tests whether b's variance differs from a's. The F test
// assumes normal samples; differences between two measurements of one
// quantity usually are close to it.
func VarianceRatio(a, b []float64) (VarianceTest, error) {
	if len(a) < 2 || len(b) < 2 {
		return VarianceTest{}, fmt.Errorf("%w: the F test needs 2 values per sample, have %d and %d", ErrTooFew, len(a), len(b))
	}
	if err := allFinite(a, b); err != nil {
		return VarianceTest{}, err
	}
	_, sa := meanSD(a)
	_, sb := meanSD(b)
	d1, d2 := float64(len(b)-1), float64(len(a)-1)
	r := VarianceTest{DF1: d1, DF2: d2}
	if sa == 0 {
		r.Ratio, r.P, r.CI = math.NaN(), math.NaN(), Interval{math.NaN(), math.NaN()}
		return r, nil
	}
	r.Ratio = sb * sb / (sa * sa)
	f := distuv.F{D1: d1, D2: d2}
	p := f.CDF(r.Ratio)
	r.P = 2 * math.Min(p, 1-p)
	r.CI = Interval{r.Ratio / f.Quantile(0.975), r.Ratio / f.Quantile(0.025)}
	return r, nil
}

func allFinite(xs ...[]float64) error {
	for _, x := range xs {
		for i, v := range x {
			if !finite(v) {
				return fmt.Errorf("%w: value %d", ErrValue, i)
			}
		}
	}
	return nil
}

// Slope is a least-squares line y = Intercept + Slope·x.
type Slope struct {
	N         int      `json:"n"`
	Slope     float64  `json:"slope"`
	Intercept float64  `json:"intercept"`
	SE        float64  `json:"se"` // standard error of the slope
	CI        Interval `json:"ci"`
	T         float64  `json:"t"`
	P         float64  `json:"p"` // two-sided, slope = 0
	R2        float64  `json:"r2"`
}

// Trend fits y on x by ordinary least squares. It needs 3 points and two
// distinct x values.
func Trend(x, y []float64) (Slope, error) {
	if len(x) != len(y) {
		return Slope{}, fmt.Errorf("%w: %d and %d", ErrLength, len(x), len(y))
	}
	n := len(x)
	if n < 3 {
		return Slope{}, fmt.Errorf("%w: a trend needs 3 points, have %d", ErrTooFew, n)
	}
	if err := allFinite(x, y); err != nil {
		return Slope{}, err
	}
	mx, _ := meanSD(x)
	my, _ := meanSD(y)
	var sxx, sxy, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	if sxx == 0 {
		return Slope{}, fmt.Errorf("%w: every x is the same", ErrTooFew)
	}
	b := sxy / sxx
	r := Slope{N: n, Slope: b, Intercept: my - b*mx}
	sse := syy - b*sxy
	if sse < 0 {
		sse = 0
	}
	df := float64(n - 2)
	r.SE = math.Sqrt(sse / df / sxx)
	if syy > 0 {
		r.R2 = b * sxy / syy
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	q := t.Quantile(0.975)
	r.CI = Interval{b - q*r.SE, b + q*r.SE}
	if r.SE == 0 {
		r.T, r.P = math.Inf(1), 0
		if b == 0 {
			r.T, r.P = math.NaN(), math.NaN()
		}
		return r, nil
	}
	r.T = b / r.SE
	r.P = 2 * t.Survival(math.Abs(r.T))
	return r, nil
}
