package agreement

import (
	"fmt"
	"math"
)

// ErrorSummary summarises the error of a against a reference b.
type ErrorSummary struct {
	N int `json:"n"`
	// MAE is the mean of |a − b|; RMSE the root mean square of a − b.
	MAE  float64 `json:"mae"`
	RMSE float64 `json:"rmse"`
	// MRE is the mean of |a − b| / |b| over the pairs whose reference is
	// not 0 (RelativeN of them); NaN when there are none.
	MRE       float64 `json:"mre"`
	RelativeN int     `json:"relativeN"`
}

// Errors computes the absolute, squared and relative errors of a against
// the reference b.
func Errors(a, b []float64) (ErrorSummary, error) {
	if len(a) != len(b) {
		return ErrorSummary{}, fmt.Errorf("%w: %d and %d", ErrLength, len(a), len(b))
	}
	if len(a) == 0 {
		return ErrorSummary{}, fmt.Errorf("%w: no pairs", ErrTooFew)
	}
	var abs, sq, rel float64
	nr := 0
	for i := range a {
		if !finite(a[i]) || !finite(b[i]) {
			return ErrorSummary{}, fmt.Errorf("%w: pair %d", ErrValue, i)
		}
		d := a[i] - b[i]
		abs += math.Abs(d)
		sq += d * d
		if b[i] != 0 {
			rel += math.Abs(d) / math.Abs(b[i])
			nr++
		}
	}
	n := float64(len(a))
	s := ErrorSummary{N: len(a), MAE: abs / n, RMSE: math.Sqrt(sq / n), MRE: math.NaN(), RelativeN: nr}
	if nr > 0 {
		s.MRE = rel / float64(nr)
	}
	return s, nil
}
