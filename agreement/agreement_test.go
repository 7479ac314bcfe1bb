package agreement

import (
	"errors"
	"math"
	"testing"
)

func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.6g, want %.6g ± %g", name, got, want, tol)
	}
}

// PEFR (l/min) of 17 subjects, first reading on the Wright and the mini
// Wright peak flow meter: Bland JM, Altman DG. Statistical methods for
// assessing agreement between two methods of clinical measurement. Lancet
// 1986;i:307–310, Table 1.
var (
	wright = []float64{494, 395, 516, 434, 476, 557, 413, 442, 650, 433, 417, 656, 267, 478, 178, 423, 427}
	mini   = []float64{512, 430, 520, 428, 500, 600, 364, 380, 658, 445, 432, 626, 260, 477, 259, 350, 451}
)

func TestBlandAltman1986PEFR(t *testing.T) {
	// The paper: mean difference (Wright − mini) −2.1 l/min, SD 38.8; limits
	// d ± 2s = −79.7 to 75.5; 95 % CI of the bias −22.0 to 17.8 (t16 =
	// 2.12, SE 9.4); SE of the limits √(3s²/n) = 16.3, CIs −114.3 to −45.1
	// and 40.9 to 110.1. The paper rounds intermediate values (SE 9.4 and
	// 16.3, t 2.12), hence the tolerances.
	r, err := BlandAltmanK(wright, mini, 2)
	if err != nil {
		t.Fatal(err)
	}
	if r.N != 17 {
		t.Fatalf("n = %d", r.N)
	}
	near(t, "bias", r.Bias, -2.1, 0.05)
	near(t, "sd", r.SD, 38.8, 0.05)
	// The paper's limits are −2.1 ∓ 2 × 38.8 from the rounded bias and SD.
	near(t, "lower", r.Lower, -79.7, 0.1)
	near(t, "upper", r.Upper, 75.5, 0.1)
	near(t, "bias CI lower", r.BiasCI.Lower, -22.0, 0.1)
	near(t, "bias CI upper", r.BiasCI.Upper, 17.8, 0.1)
	near(t, "lower limit CI lower", r.LowerCI.Lower, -114.3, 0.2)
	near(t, "lower limit CI upper", r.LowerCI.Upper, -45.1, 0.2)
	near(t, "upper limit CI lower", r.UpperCI.Lower, 40.9, 0.2)
	near(t, "upper limit CI upper", r.UpperCI.Upper, 110.1, 0.2)

	// 95 % limits (1.96 SD), as used today.
	r95, err := BlandAltman(wright, mini)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "lower (1.96)", r95.Lower, -2.1176-1.959964*38.7654, 0.01)
	near(t, "upper (1.96)", r95.Upper, -2.1176+1.959964*38.7654, 0.01)
}

func TestBlandAltmanErrors(t *testing.T) {
	if _, err := BlandAltman([]float64{1}, []float64{1}); !errors.Is(err, ErrTooFew) {
		t.Errorf("one pair: %v", err)
	}
	if _, err := BlandAltman([]float64{1, 2}, []float64{1}); !errors.Is(err, ErrLength) {
		t.Errorf("lengths: %v", err)
	}
	if _, err := BlandAltman([]float64{1, math.NaN()}, []float64{1, 2}); !errors.Is(err, ErrValue) {
		t.Errorf("NaN: %v", err)
	}
}

func TestErrorsPEFR(t *testing.T) {
	// Σ|Wright − mini| over the 17 subjects of Bland & Altman 1986 Table 1
	// is 492 l/min.
	e, err := Errors(wright, mini)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "MAE", e.MAE, 492.0/17, 1e-9)
	var rel, sq float64
	for i := range wright {
		d := wright[i] - mini[i]
		rel += math.Abs(d) / mini[i]
		sq += d * d
	}
	near(t, "MRE", e.MRE, rel/17, 1e-12)
	near(t, "RMSE", e.RMSE, math.Sqrt(sq/17), 1e-12)
	// RMSE² = bias² + SD²(n − 1)/n: from the paper's bias −2.1 and SD 38.8
	// (rounded, hence the tolerance), 37.67 l/min.
	near(t, "RMSE from the published bias and SD", e.RMSE, math.Sqrt(2.1*2.1+38.8*38.8*16/17), 0.1)
	if e.RelativeN != 17 {
		t.Errorf("relative n = %d", e.RelativeN)
	}
	z, err := Errors([]float64{1, 2}, []float64{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	if z.RelativeN != 1 || z.MRE != 1 {
		t.Errorf("a zero reference is left out of MRE: %+v", z)
	}
}

// Shrout PE, Fleiss JL. Intraclass correlations: uses in assessing rater
// reliability. Psychol Bull 1979;86:420–428, Table 2 (6 targets × 4
// judges), Table 3 (mean squares) and Table 4 (the six ICCs).
var shroutFleiss = [][]float64{
	{9, 2, 5, 8},
	{6, 1, 3, 2},
	{8, 4, 6, 8},
	{7, 1, 2, 6},
	{10, 5, 6, 9},
	{6, 2, 4, 7},
}

func TestICCShroutFleiss1979(t *testing.T) {
	r, err := IntraclassCorrelation(shroutFleiss)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "BMS", r.BMS, 11.24, 0.005)
	near(t, "WMS", r.WMS, 6.26, 0.005)
	near(t, "JMS", r.JMS, 32.49, 0.005)
	near(t, "EMS", r.EMS, 1.02, 0.005)
	near(t, "ICC(1,1)", r.ICC11.Value, 0.17, 0.005)
	near(t, "ICC(2,1)", r.ICC21.Value, 0.29, 0.005)
	near(t, "ICC(3,1)", r.ICC31.Value, 0.71, 0.005)
	near(t, "ICC(1,4)", r.ICC1k.Value, 0.44, 0.005)
	near(t, "ICC(2,4)", r.ICC2k.Value, 0.62, 0.005)
	near(t, "ICC(3,4)", r.ICC3k.Value, 0.91, 0.005)
	// F tests and 95 % intervals by Shrout & Fleiss's formulas, as the R
	// package psych (Revelle, ICC() on the same data, its documented
	// example) prints them: ICC1 F = 1.8 (5, 18), −0.13 to 0.72; ICC2 and
	// ICC3 F = 11 (5, 15), p = 0.00013; ICC2 0.019 to 0.76; ICC3 0.34 to
	// 0.95; ICC1k −0.88 to 0.91; ICC2k 0.071 to 0.93; ICC3k 0.68 to 0.99.
	near(t, "F1", r.ICC11.F, 1.795, 0.01)
	near(t, "F3", r.ICC31.F, 11.03, 0.01)
	near(t, "p3", r.ICC31.P, 0.00013, 0.000005)
	near(t, "ICC1 lower", r.ICC11.CI.Lower, -0.133, 0.005)
	near(t, "ICC1 upper", r.ICC11.CI.Upper, 0.72, 0.005)
	near(t, "ICC2 lower", r.ICC21.CI.Lower, 0.019, 0.0005)
	near(t, "ICC2 upper", r.ICC21.CI.Upper, 0.76, 0.005)
	near(t, "ICC3 lower", r.ICC31.CI.Lower, 0.34, 0.005)
	near(t, "ICC3 upper", r.ICC31.CI.Upper, 0.95, 0.005)
	near(t, "ICC1k lower", r.ICC1k.CI.Lower, -0.88, 0.005)
	near(t, "ICC1k upper", r.ICC1k.CI.Upper, 0.91, 0.005)
	near(t, "ICC2k lower", r.ICC2k.CI.Lower, 0.071, 0.0005)
	near(t, "ICC2k upper", r.ICC2k.CI.Upper, 0.93, 0.005)
	near(t, "ICC3k lower", r.ICC3k.CI.Lower, 0.68, 0.005)
	near(t, "ICC3k upper", r.ICC3k.CI.Upper, 0.99, 0.005)
}

func TestICCErrors(t *testing.T) {
	if _, err := IntraclassCorrelation([][]float64{{1, 2}}); !errors.Is(err, ErrTooFew) {
		t.Errorf("one target: %v", err)
	}
	if _, err := IntraclassCorrelation([][]float64{{1, 2}, {1}}); !errors.Is(err, ErrLength) {
		t.Errorf("ragged: %v", err)
	}
	if _, err := IntraclassCorrelation([][]float64{{1}, {2}}); !errors.Is(err, ErrTooFew) {
		t.Errorf("one judge: %v", err)
	}
}

func TestWilsonNewcombe1998(t *testing.T) {
	// Newcombe RG. Two-sided confidence intervals for the single
	// proportion: comparison of seven methods. Stat Med 1998;17:857–872,
	// Table I, method 3 (Wilson score, no continuity correction).
	for _, c := range []struct {
		x, n   int
		lo, hi float64
	}{
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 20, 0, 0.1611},
		{1, 29, 0.0061, 0.1718},
	} {
		p, err := Wilson(c.x, c.n)
		if err != nil {
			t.Fatal(err)
		}
		near(t, "lower", p.CI.Lower, c.lo, 0.00005)
		near(t, "upper", p.CI.Upper, c.hi, 0.00005)
		near(t, "estimate", p.Estimate, float64(c.x)/float64(c.n), 1e-12)
	}
	// Wilson 1927 (J Am Stat Assoc 22:209–212, eq. for the limits of p):
	// the limits are the two roots p of (p̂ − p)² = z² p(1 − p) / n, the
	// values of the true proportion at which the observed p̂ lies z
	// standard errors away.
	z := 1.959963984540054
	for _, c := range [][2]int{{81, 263}, {1, 29}, {7, 10}, {3, 1000}} {
		p, _ := Wilson(c[0], c[1])
		n, ph := float64(c[1]), float64(c[0])/float64(c[1])
		for _, b := range []float64{p.CI.Lower, p.CI.Upper} {
			near(t, "Wilson's equation", (ph-b)*(ph-b), z*z*b*(1-b)/n, 1e-12)
		}
	}
	if p, _ := Wilson(20, 20); p.CI.Upper != 1 {
		t.Errorf("20/20 upper = %v", p.CI.Upper)
	}
	if p, _ := Wilson(0, 0); !math.IsNaN(p.Estimate) {
		t.Errorf("0/0 = %v", p.Estimate)
	}
	if _, err := Wilson(3, 2); !errors.Is(err, ErrValue) {
		t.Errorf("3/2: %v", err)
	}
}

func TestConfusionAltmanBland1994(t *testing.T) {
	// Altman DG, Bland JM. Diagnostic tests 1: sensitivity and specificity;
	// 2: predictive values. BMJ 1994;308:1552; 309:102. Liver scan against
	// pathology in 344 patients (Drum & Christacopoulos 1972): 231 true
	// positives, 32 false positives, 27 false negatives, 54 true
	// negatives; sensitivity 231/258 = 0.90, specificity 54/86 = 0.63,
	// PPV 231/263 = 0.88, NPV 54/81 = 0.67, prevalence 258/344 = 0.75.
	c := Confusion{TP: 231, FP: 32, FN: 27, TN: 54}
	a := c.Accuracy()
	near(t, "sensitivity", a.Sensitivity.Estimate, 0.90, 0.005)
	near(t, "specificity", a.Specificity.Estimate, 0.63, 0.005)
	near(t, "PPV", a.PPV.Estimate, 0.88, 0.005)
	near(t, "NPV", a.NPV.Estimate, 0.67, 0.005)
	near(t, "prevalence", a.Prevalence.Estimate, 0.75, 0.005)
	if a.Sensitivity.N != 258 || a.Specificity.N != 86 || a.PPV.N != 263 || a.NPV.N != 81 {
		t.Errorf("denominators: %+v", a)
	}
	// The NPV's interval is Newcombe's 54/81 (1 − 27/81): Wilson intervals
	// are symmetric under x → n − x.
	q, _ := Wilson(27, 81)
	near(t, "NPV lower", a.NPV.CI.Lower, 1-q.CI.Upper, 1e-12)
	var d Confusion
	for _, x := range []struct{ test, ref bool }{{true, true}, {true, false}, {false, true}, {false, false}, {true, true}} {
		d.Add(x.test, x.ref)
	}
	if (d != Confusion{TP: 2, FP: 1, FN: 1, TN: 1}) {
		t.Errorf("Add: %+v", d)
	}
	if z := (Confusion{TP: 3}).Accuracy(); !math.IsNaN(z.Specificity.Estimate) || z.Specificity.N != 0 {
		t.Errorf("no negatives: specificity %+v", z.Specificity)
	}
}

// Student's sleep data (extra hours of sleep with two drugs, 10 patients;
// Cushny & Peebles 1905 as published by Student 1908), R's datasets::sleep.
var (
	sleep1 = []float64{0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0}
	sleep2 = []float64{1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4}
)

func TestWelchSleep(t *testing.T) {
	// R: t.test(extra ~ group, data = sleep) — Welch Two Sample t-test,
	// t = −1.8608, df = 17.776, p-value = 0.07939, 95 % CI −3.3654832 to
	// 0.2054832 (group 1 − group 2).
	r, err := Welch(sleep2, sleep1)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "t", r.T, -1.8608, 0.00005)
	near(t, "df", r.DF, 17.776, 0.0005)
	near(t, "p", r.P, 0.07939, 0.000005)
	near(t, "CI lower", r.CI.Lower, -3.3654832, 1e-6)
	near(t, "CI upper", r.CI.Upper, 0.2054832, 1e-6)
	if _, err := Welch([]float64{1}, sleep1); !errors.Is(err, ErrTooFew) {
		t.Errorf("one value: %v", err)
	}
}

func TestVarianceRatioSleep(t *testing.T) {
	// R: var.test(extra ~ group, data = sleep) — F = 0.7983, num df = 9,
	// denom df = 9, p-value = 0.7427, 95 % CI 0.198297 to 3.214123.
	r, err := VarianceRatio(sleep2, sleep1)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "F", r.Ratio, 0.7983, 0.00005)
	near(t, "p", r.P, 0.7427, 0.00005)
	near(t, "CI lower", r.CI.Lower, 0.198297, 1e-6)
	near(t, "CI upper", r.CI.Upper, 3.214123, 1e-6)
}

func TestTrendAnscombe1973(t *testing.T) {
	// Anscombe FJ. Graphs in statistical analysis. Am Stat 1973;27:17–21,
	// data set I: y = 3.00 + 0.500 x, SE of the slope 0.118, t = 4.24,
	// r² = 0.667 (R: summary(lm(y1 ~ x1, anscombe)): 0.5001, SE 0.1179,
	// t 4.241, p 0.00217).
	x := []float64{10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5}
	y := []float64{8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68}
	r, err := Trend(x, y)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "slope", r.Slope, 0.5001, 0.00005)
	near(t, "intercept", r.Intercept, 3.0001, 0.00005)
	near(t, "SE", r.SE, 0.1179, 0.00005)
	near(t, "t", r.T, 4.241, 0.0005)
	near(t, "p", r.P, 0.00217, 0.000005)
	near(t, "r2", r.R2, 0.6665, 0.00005)
	if _, err := Trend([]float64{1, 1, 1}, []float64{1, 2, 3}); !errors.Is(err, ErrTooFew) {
		t.Errorf("constant x: %v", err)
	}
}

func TestMeanShiftNile(t *testing.T) {
	// Annual flow of the Nile at Aswan, 1871–1970 (10⁸ m³; Cobb GW,
	// Biometrika 1978;65:243–251; R's datasets::Nile). The mean dropped
	// after 1898 (Aswan dam works): Cobb 1978; Zeileis A et al., J Stat
	// Softw 2002;7(2) (strucchange): OLS-based CUSUM test S0 = 2.9518,
	// p-value = 5.409e-08; breakpoint at observation 28 (1898), segment
	// means 1097.75 and 849.97.
	nile := []float64{
		1120, 1160, 963, 1210, 1160, 1160, 813, 1230, 1370, 1140,
		995, 935, 1110, 994, 1020, 960, 1180, 799, 958, 1140,
		1100, 1210, 1150, 1250, 1260, 1220, 1030, 1100, 774, 840,
		874, 694, 940, 833, 701, 916, 692, 1020, 1050, 969,
		831, 726, 456, 824, 702, 1120, 1100, 832, 764, 821,
		768, 845, 864, 862, 698, 845, 744, 796, 1040, 759,
		781, 865, 845, 944, 984, 897, 822, 1010, 771, 676,
		649, 846, 812, 742, 801, 1040, 860, 874, 848, 890,
		744, 749, 838, 1050, 918, 986, 797, 923, 975, 815,
		1020, 906, 901, 1170, 912, 746, 919, 718, 714, 740,
	}
	r, err := MeanShift(nile, 15)
	if err != nil {
		t.Fatal(err)
	}
	if r.At != 28 {
		t.Errorf("change after observation %d, want 28", r.At)
	}
	near(t, "S0", r.Statistic, 2.9518, 0.00005)
	near(t, "p", r.P, 5.409e-08, 0.0005e-08)
	near(t, "mean before", r.MeanBefore, 1097.75, 0.005)
	near(t, "mean after", r.MeanAfter, 849.97, 0.005)

	// No change: a constant series and white noise around one mean.
	flat, err := MeanShift([]float64{5, 5, 5, 5, 5, 5}, 1)
	if err != nil || flat.P != 1 {
		t.Errorf("flat: %+v %v", flat, err)
	}
	if _, err := MeanShift([]float64{1, 2}, 1); !errors.Is(err, ErrTooFew) {
		t.Errorf("two values: %v", err)
	}
}

func TestMarshalFinite(t *testing.T) {
	p, _ := Wilson(0, 0)
	b, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"x":0,"n":0,"estimate":null,"ci":{"lower":null,"upper":null}}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
	type s struct {
		A float64 `json:"a,omitempty"`
		B float64 `json:"-"`
		C float64
	}
	b, err = MarshalFinite(&s{A: 0, B: 1, C: math.Inf(1)})
	if err != nil || string(b) != `{"C":null}` {
		t.Errorf("got %s %v", b, err)
	}
}
