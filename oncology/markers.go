package oncology

import (
	"fmt"
	"math"
	"time"

	"github.com/medtwin/medtwin/twin"
)

// MarkerConcepts are the serum tumour markers the twin follows, by concept
// name of the code table (timeline.DefaultCodes: CEA LOINC 2039-6, AFP
// 1834-1, CA 19-9 24108-3, PSA 2857-1, CA-125 10334-1).
var MarkerConcepts = []string{"cea", "ca19_9", "afp", "psa", "ca125"}

// Marker is one tumour marker's course.
type Marker struct {
	Concept string        `json:"concept"`
	Display string        `json:"display"`
	Unit    string        `json:"unit"`
	Series  []twin.Input  `json:"series"`
	Latest  *twin.Input   `json:"latest,omitempty"`
	Nadir   *twin.Input   `json:"nadir,omitempty"`
	Peak    *twin.Input   `json:"peak,omitempty"`
	Change  *MarkerChange `json:"change,omitempty"`
	// Kinetics is the doubling time (rising) or half-life (falling) of the
	// latest trend.
	Kinetics *Kinetics `json:"kinetics,omitempty"`
	// KineticsNote says why no kinetics were computed.
	KineticsNote string `json:"kineticsNote,omitempty"`
}

// MarkerChange is the latest value against a baseline value.
type MarkerChange struct {
	// Baseline is the last value at or before the current therapy line's
	// start (the first value when there is no therapy, or none before it).
	Baseline    twin.Input `json:"baseline"`
	BaselineFor string     `json:"baselineFor"`
	Absolute    float64    `json:"absolute"`
	Percent     *float64   `json:"percent,omitempty"`
}

// Kinetics is a log-linear fit of a marker's latest monotone trend.
//
// Method: least-squares regression of ln(value) on time over the latest
// monotone run of values (from the last turning point to the latest value,
// within Options.MarkerWindowDays); doubling time = ln 2 / slope, half-life =
// ln 2 / −slope, in days. This is the PSA doubling-time method the PSA
// Working Group recommends (Arlen PM et al., J Urol 2008;179:2181–2186:
// "natural log of PSA vs time, linear regression, ≥ 3 values"); with two
// values the fit is exact and Values says so.
type Kinetics struct {
	Kind        string    `json:"kind"` // doublingTime or halfLife
	Days        float64   `json:"days"`
	SlopePerDay float64   `json:"slopePerDay"`
	R2          *float64  `json:"r2,omitempty"`
	Values      int       `json:"values"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	EventRefs   []string  `json:"eventRefs"`
}

func markers(v *twin.View, baselineAt time.Time, baselineFor string, opt *Options) []Marker {
	out := []Marker{}
	for _, name := range MarkerConcepts {
		obs := v.Series(name)
		if len(obs) == 0 {
			continue
		}
		c, _ := v.Codes.Concept(name)
		m := Marker{Concept: name, Display: c.Display, Unit: c.Unit}
		for _, o := range obs {
			m.Series = append(m.Series, o.Input())
		}
		last := m.Series[len(m.Series)-1]
		m.Latest = &last
		lo, hi := 0, 0
		for i, in := range m.Series {
			if in.Value < m.Series[lo].Value {
				lo = i
			}
			if in.Value > m.Series[hi].Value {
				hi = i
			}
		}
		nadir, peak := m.Series[lo], m.Series[hi]
		m.Nadir, m.Peak = &nadir, &peak
		// Baseline: last value at or before the line start.
		bi := 0
		if !baselineAt.IsZero() {
			for i, in := range m.Series {
				if in.Time.After(baselineAt) {
					break
				}
				bi = i
			}
		}
		if bi < len(m.Series)-1 {
			b := m.Series[bi]
			ch := &MarkerChange{Baseline: b, BaselineFor: baselineFor, Absolute: last.Value - b.Value}
			if b.Value != 0 {
				ch.Percent = optF(round1((last.Value - b.Value) / b.Value * 100))
			}
			if !baselineAt.IsZero() && b.Time.After(baselineAt) {
				ch.BaselineFor = "first value (none before " + baselineFor + ")"
			}
			m.Change = ch
		}
		m.Kinetics, m.KineticsNote = kinetics(m.Series, opt)
		out = append(out, m)
	}
	return out
}

func kinetics(s []twin.Input, opt *Options) (*Kinetics, string) {
	if len(s) < 2 {
		return nil, "fewer than 2 values"
	}
	end := len(s) - 1
	from := s[end].Time.Add(-time.Duration(opt.MarkerWindowDays) * 24 * time.Hour)
	start := end
	for start > 0 && !s[start-1].Time.Before(from) {
		start--
	}
	w := s[start:]
	for _, in := range w {
		if in.Value <= 0 {
			return nil, "a value ≤ 0 in the window (below detection): no log-linear fit"
		}
	}
	if len(w) < 2 {
		return nil, fmt.Sprintf("fewer than 2 values within %d days", opt.MarkerWindowDays)
	}
	last := len(w) - 1
	rising := w[last].Value > w[last-1].Value
	if w[last].Value == w[last-1].Value {
		return nil, "no change between the last two values"
	}
	// The latest monotone run: back from the last value while each earlier
	// value is lower (rising) or higher (falling).
	tp := last
	for tp > 0 && (rising && w[tp-1].Value < w[tp].Value || !rising && w[tp-1].Value > w[tp].Value) {
		tp--
	}
	seg := w[tp:]
	t0 := seg[0].Time
	n := float64(len(seg))
	var sx, sy, sxx, sxy float64
	for _, in := range seg {
		x := in.Time.Sub(t0).Hours() / 24
		y := math.Log(in.Value)
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return nil, "all values at one time"
	}
	slope := (n*sxy - sx*sy) / den
	if slope == 0 || (slope > 0) != rising {
		return nil, "no monotone trend over the latest values"
	}
	k := &Kinetics{SlopePerDay: slope, Values: len(seg), From: seg[0].Time, To: seg[len(seg)-1].Time}
	if len(seg) > 2 {
		icept := (sy - slope*sx) / n
		mean := sy / n
		var ssTot, ssRes float64
		for _, in := range seg {
			x := in.Time.Sub(t0).Hours() / 24
			y := math.Log(in.Value)
			ssTot += (y - mean) * (y - mean)
			ssRes += (y - icept - slope*x) * (y - icept - slope*x)
		}
		if ssTot > 0 {
			k.R2 = optF(math.Round((1-ssRes/ssTot)*1000) / 1000)
		}
	}
	if slope > 0 {
		k.Kind, k.Days = "doublingTime", math.Ln2/slope
	} else {
		k.Kind, k.Days = "halfLife", math.Ln2/-slope
	}
	k.Days = math.Round(k.Days*10) / 10
	for _, in := range seg {
		k.EventRefs = append(k.EventRefs, in.EventRef)
	}
	return k, ""
}
