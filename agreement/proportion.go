package agreement

import (
	"fmt"
	"math"
)

// Proportion is x successes out of n with its Wilson score interval.
// Estimate and CI are NaN when n is 0.
type Proportion struct {
	X        int      `json:"x"`
	N        int      `json:"n"`
	Estimate float64  `json:"estimate"`
	CI       Interval `json:"ci"`
}

// Wilson returns x/n with its 95 % Wilson score interval (Wilson 1927;
// Newcombe 1998 method 3, without continuity correction):
//
//	(2np + z² ± z√(z² + 4np(1−p))) / (2(n + z²))
func Wilson(x, n int) (Proportion, error) { return WilsonZ(x, n, Z95) }

// WilsonZ is Wilson with a chosen normal quantile z.
func WilsonZ(x, n int, z float64) (Proportion, error) {
	if n < 0 || x < 0 || x > n {
		return Proportion{}, fmt.Errorf("%w: %d of %d", ErrValue, x, n)
	}
	if n == 0 {
		return Proportion{X: 0, N: 0, Estimate: math.NaN(), CI: Interval{math.NaN(), math.NaN()}}, nil
	}
	fn := float64(n)
	p := float64(x) / fn
	z2 := z * z
	centre := 2*fn*p + z2
	half := z * math.Sqrt(z2+4*fn*p*(1-p))
	den := 2 * (fn + z2)
	lo, hi := (centre-half)/den, (centre+half)/den
	// At x = 0 and x = n the bounds are exactly 0 and 1; rounding must not
	// leave them a hair outside.
	if x == 0 {
		lo = 0
	}
	if x == n {
		hi = 1
	}
	return Proportion{X: x, N: n, Estimate: p, CI: Interval{lo, hi}}, nil
}

// mustWilson is Wilson for counts already known to be valid.
func mustWilson(x, n int) Proportion {
	p, err := Wilson(x, n)
	if err != nil {
		panic(err)
	}
	return p
}

// Confusion is a 2×2 table of a binary test against a reference standard.
type Confusion struct {
	TP int `json:"tp"` // test positive, reference positive
	FP int `json:"fp"` // test positive, reference negative
	FN int `json:"fn"` // test negative, reference positive
	TN int `json:"tn"` // test negative, reference negative
}

// Add counts one case.
func (c *Confusion) Add(test, reference bool) {
	switch {
	case test && reference:
		c.TP++
	case test:
		c.FP++
	case reference:
		c.FN++
	default:
		c.TN++
	}
}

// Merge adds another table.
func (c *Confusion) Merge(o Confusion) {
	c.TP += o.TP
	c.FP += o.FP
	c.FN += o.FN
	c.TN += o.TN
}

// Total is the number of cases.
func (c Confusion) Total() int { return c.TP + c.FP + c.FN + c.TN }

// Accuracy is the diagnostic accuracy of a Confusion table: each measure
// with its Wilson interval. A measure whose denominator is 0 has N 0 and
// NaN estimate (not computable).
type Accuracy struct {
	Sensitivity Proportion `json:"sensitivity"` // TP / (TP + FN)
	Specificity Proportion `json:"specificity"` // TN / (TN + FP)
	PPV         Proportion `json:"ppv"`         // TP / (TP + FP)
	NPV         Proportion `json:"npv"`         // TN / (TN + FN)
	Prevalence  Proportion `json:"prevalence"`  // (TP + FN) / total
	Agreement   Proportion `json:"agreement"`   // (TP + TN) / total
}

// Accuracy computes sensitivity, specificity, predictive values,
// prevalence and overall agreement (Altman & Bland, BMJ 1994).
func (c Confusion) Accuracy() Accuracy {
	t := c.Total()
	return Accuracy{
		Sensitivity: mustWilson(c.TP, c.TP+c.FN),
		Specificity: mustWilson(c.TN, c.TN+c.FP),
		PPV:         mustWilson(c.TP, c.TP+c.FP),
		NPV:         mustWilson(c.TN, c.TN+c.FN),
		Prevalence:  mustWilson(c.TP+c.FN, t),
		Agreement:   mustWilson(c.TP+c.TN, t),
	}
}
