package agreement

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// ICCs are the six intraclass correlations of Shrout & Fleiss (1979) for n
// targets each rated by the same k judges, from the two-way ANOVA of the
// ratings. In medtwin's use the targets are measured findings and the two
// judges are the AI tool and the radiologist.
type ICCs struct {
	N int `json:"n"` // targets
	K int `json:"k"` // judges
	// Mean squares: between targets, within targets, between judges,
	// residual (Shrout & Fleiss Table 1).
	BMS float64 `json:"bms"`
	WMS float64 `json:"wms"`
	JMS float64 `json:"jms"`
	EMS float64 `json:"ems"`
	// ICC11: one-way random, single rating. ICC21: two-way random, single
	// rating, absolute agreement. ICC31: two-way mixed, single rating,
	// consistency. The k forms are for the mean of k ratings.
	ICC11 ICC `json:"icc11"`
	ICC21 ICC `json:"icc21"`
	ICC31 ICC `json:"icc31"`
	ICC1k ICC `json:"icc1k"`
	ICC2k ICC `json:"icc2k"`
	ICC3k ICC `json:"icc3k"`
}

// ICC is one intraclass correlation with its F test of ICC = 0 and its 95 %
// confidence interval.
type ICC struct {
	Value float64  `json:"value"`
	CI    Interval `json:"ci"`
	F     float64  `json:"f"`
	DF1   float64  `json:"df1"`
	DF2   float64  `json:"df2"`
	P     float64  `json:"p"`
}

// IntraclassCorrelation computes the ICCs of an n×k matrix of ratings
// (rows: targets, columns: judges). Every row must have the same k ≥ 2
// values, n ≥ 2.
func IntraclassCorrelation(ratings [][]float64) (ICCs, error) {
	n := len(ratings)
	if n < 2 {
		return ICCs{}, fmt.Errorf("%w: ICC needs 2 targets, have %d", ErrTooFew, n)
	}
	k := len(ratings[0])
	if k < 2 {
		return ICCs{}, fmt.Errorf("%w: ICC needs 2 judges, have %d", ErrTooFew, k)
	}
	rowMean := make([]float64, n)
	colSum := make([]float64, k)
	var grand float64
	for i, row := range ratings {
		if len(row) != k {
			return ICCs{}, fmt.Errorf("%w: row %d has %d ratings, row 0 has %d", ErrLength, i, len(row), k)
		}
		for j, v := range row {
			if !finite(v) {
				return ICCs{}, fmt.Errorf("%w: rating (%d, %d)", ErrValue, i, j)
			}
			rowMean[i] += v
			colSum[j] += v
			grand += v
		}
		rowMean[i] /= float64(k)
	}
	fn, fk := float64(n), float64(k)
	grand /= fn * fk
	var ssTotal, ssRows, ssCols float64
	for _, row := range ratings {
		for _, v := range row {
			ssTotal += (v - grand) * (v - grand)
		}
	}
	for _, m := range rowMean {
		ssRows += fk * (m - grand) * (m - grand)
	}
	for _, s := range colSum {
		m := s / fn
		ssCols += fn * (m - grand) * (m - grand)
	}
	ssWithin := ssTotal - ssRows
	ssErr := ssWithin - ssCols
	r := ICCs{N: n, K: k,
		BMS: ssRows / (fn - 1), WMS: ssWithin / (fn * (fk - 1)),
		JMS: ssCols / (fk - 1), EMS: ssErr / ((fn - 1) * (fk - 1))}
	bms, wms, jms, ems := r.BMS, r.WMS, r.JMS, r.EMS
	const hi = 0.975

	// ICC(1,1) and ICC(1,k): one-way ANOVA (Shrout & Fleiss eq. 2, 5 and
	// their intervals).
	{
		df1, df2 := fn-1, fn*(fk-1)
		f0 := bms / wms
		fl := f0 / fQuantile(hi, df1, df2)
		fu := f0 * fQuantile(hi, df2, df1)
		r.ICC11 = ICC{Value: (bms - wms) / (bms + (fk-1)*wms), F: f0, DF1: df1, DF2: df2, P: fSurvival(f0, df1, df2),
			CI: Interval{(fl - 1) / (fl + fk - 1), (fu - 1) / (fu + fk - 1)}}
		r.ICC1k = ICC{Value: (bms - wms) / bms, F: f0, DF1: df1, DF2: df2, P: r.ICC11.P,
			CI: Interval{1 - 1/fl, 1 - 1/fu}}
	}
	// ICC(3,1) and ICC(3,k): two-way mixed, consistency (eq. 4, 6).
	df1, df2 := fn-1, (fn-1)*(fk-1)
	f3 := bms / ems
	{
		fl := f3 / fQuantile(hi, df1, df2)
		fu := f3 * fQuantile(hi, df2, df1)
		p := fSurvival(f3, df1, df2)
		r.ICC31 = ICC{Value: (bms - ems) / (bms + (fk-1)*ems), F: f3, DF1: df1, DF2: df2, P: p,
			CI: Interval{(fl - 1) / (fl + fk - 1), (fu - 1) / (fu + fk - 1)}}
		r.ICC3k = ICC{Value: (bms - ems) / bms, F: f3, DF1: df1, DF2: df2, P: p,
			CI: Interval{1 - 1/fl, 1 - 1/fu}}
	}
	// ICC(2,1) and ICC(2,k): two-way random, absolute agreement (eq. 3, 5);
	// the interval uses Satterthwaite's degrees of freedom as Shrout &
	// Fleiss give them.
	{
		rho := (bms - ems) / (bms + (fk-1)*ems + fk*(jms-ems)/fn)
		fj := jms / ems
		a := fk*rho*fj + fn*(1+(fk-1)*rho) - fk*rho
		nu := (fk - 1) * (fn - 1) * a * a / ((fn-1)*fk*fk*rho*rho*fj*fj + math.Pow(fn*(1+(fk-1)*rho)-fk*rho, 2))
		p := fSurvival(f3, df1, df2)
		lo, up := math.NaN(), math.NaN()
		if nu > 0 && !math.IsNaN(nu) {
			fs := fQuantile(hi, fn-1, nu)
			fss := fQuantile(hi, nu, fn-1)
			lo = fn * (bms - fs*ems) / (fs*(fk*jms+(fk*fn-fk-fn)*ems) + fn*bms)
			up = fn * (fss*bms - ems) / (fk*jms + (fk*fn-fk-fn)*ems + fn*fss*bms)
		}
		r.ICC21 = ICC{Value: rho, F: f3, DF1: df1, DF2: df2, P: p, CI: Interval{lo, up}}
		r.ICC2k = ICC{Value: (bms - ems) / (bms + (jms-ems)/fn), F: f3, DF1: df1, DF2: df2, P: p,
			CI: Interval{lo * fk / (1 + lo*(fk-1)), up * fk / (1 + up*(fk-1))}}
	}
	return r, nil
}

// fSurvival is P(F > f) for the F distribution.
func fSurvival(f, d1, d2 float64) float64 {
	if math.IsNaN(f) {
		return math.NaN()
	}
	if math.IsInf(f, 1) {
		return 0
	}
	return distuv.F{D1: d1, D2: d2}.Survival(f)
}
