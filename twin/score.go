package twin

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// NewScore starts a score of the given name and formula version at t, with
// an empty (not nil) input list and no value.
func NewScore(name, version string, t time.Time) Score {
	return Score{Name: name, FormulaVersion: version, Time: t, Inputs: []Input{}}
}

// SetValue gives the score its value and clears any not-computable reason.
func (s *Score) SetValue(v float64) {
	s.Value = &v
	s.NotComputable = ""
}

// Fail marks the score not computable with a reason (which names inputs or
// rules, never patient values).
func (s *Score) Fail(format string, args ...any) {
	s.Value = nil
	s.NotComputable = fmt.Sprintf(format, args...)
}

// Use records inputs.
func (s *Score) Use(in ...Input) { s.Inputs = append(s.Inputs, in...) }

// Note records an applied rule.
func (s *Score) Note(format string, args ...any) {
	s.Notes = append(s.Notes, fmt.Sprintf(format, args...))
}

// Round rounds half away from zero to the given number of decimals,
// tolerating the binary representation error of decimal halves (so that
// 1.25 rounds to 1.3 even when it is stored as 1.2499999999).
func Round(v float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	x := v * p
	r := math.Round(x)
	if d := x - math.Trunc(x); math.Abs(math.Abs(d)-0.5) < 1e-9 {
		r = math.Trunc(x) + math.Copysign(1, x)
	}
	return r / p
}

// Ptr returns a pointer to v (for optional JSON numbers).
func Ptr(v float64) *float64 { return &v }

// Days returns a duration in days.
func Days(d time.Duration) float64 { return d.Hours() / 24 }

// Day is 24 hours.
const Day = 24 * time.Hour

// Year is 365.25 days, the year of slopes "per year".
const Year = time.Duration(365.25 * float64(Day))

// Window is a duration setting with its default.
type Window struct {
	V       *time.Duration
	Default time.Duration
}

// ErrNegativeWindow reports a negative duration setting.
var ErrNegativeWindow = errors.New("negative window")

// FillWindows sets zero windows to their defaults and rejects negative
// ones.
func FillWindows(ws ...Window) error {
	for _, w := range ws {
		if *w.V == 0 {
			*w.V = w.Default
		}
		if *w.V < 0 {
			return ErrNegativeWindow
		}
	}
	return nil
}
