package twin

import (
	"time"
)

// Point is one value at one time of a series a trend is computed over.
type Point struct {
	Time  time.Time
	Value float64
}

// Trend summarises a series over a window ending at a reference time: the
// least-squares slope per year, the last value and the time since it.
type Trend struct {
	Name string `json:"name"`
	Unit string `json:"unit,omitempty"`
	N    int    `json:"n"`
	// From and To bound the window the slope was fitted over.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// SlopePerYear is nil with fewer than two points at distinct times.
	SlopePerYear  *float64  `json:"slopePerYear"`
	Last          *float64  `json:"last"`
	LastTime      time.Time `json:"lastTime,omitzero"`
	DaysSinceLast *float64  `json:"daysSinceLast"`
}

// TrendOf fits a trend to the points taken in (ref-window, ref] (every point
// at or before ref when window is 0). The last value and the time since it
// consider every point at or before ref, in or out of the window.
func TrendOf(name, unit string, pts []Point, ref time.Time, window time.Duration) Trend {
	tr := Trend{Name: name, Unit: unit, To: ref}
	if window > 0 {
		tr.From = ref.Add(-window)
	}
	var in []Point
	for _, p := range pts {
		if p.Time.After(ref) {
			continue
		}
		if tr.Last == nil || !p.Time.Before(tr.LastTime) {
			tr.Last, tr.LastTime = Ptr(p.Value), p.Time
		}
		if window > 0 && !p.Time.After(tr.From) {
			continue
		}
		in = append(in, p)
	}
	if tr.Last != nil {
		tr.DaysSinceLast = Ptr(Round(Days(ref.Sub(tr.LastTime)), 2))
	}
	tr.N = len(in)
	if window == 0 && len(in) > 0 {
		tr.From = in[0].Time
	}
	if s, ok := Slope(in); ok {
		tr.SlopePerYear = Ptr(s)
	}
	return tr
}

// Slope returns the ordinary least-squares slope of value against time in
// years; ok is false with fewer than two distinct times.
func Slope(pts []Point) (float64, bool) {
	if len(pts) < 2 {
		return 0, false
	}
	t0 := pts[0].Time
	var sx, sy float64
	for _, p := range pts {
		sx += float64(p.Time.Sub(t0)) / float64(Year)
		sy += p.Value
	}
	n := float64(len(pts))
	mx, my := sx/n, sy/n
	var sxx, sxy float64
	for _, p := range pts {
		dx := float64(p.Time.Sub(t0))/float64(Year) - mx
		sxx += dx * dx
		sxy += dx * (p.Value - my)
	}
	if sxx == 0 {
		return 0, false
	}
	return sxy / sxx, true
}

// Transition is a change of a score's category between two consecutive
// computable points of its series: a derived event (e.g. FIB-4 crossing
// 2.67 from indeterminate to high).
type Transition struct {
	Score  string    `json:"score"`
	Scheme string    `json:"scheme,omitempty"`
	Time   time.Time `json:"time"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Value  float64   `json:"value"`
	// Previous is the value of the point before.
	Previous     float64   `json:"previous"`
	PreviousTime time.Time `json:"previousTime"`
}

// Transitions lists the category changes of a score series (primary
// category), skipping points that are not computable.
func Transitions(series []Score) []Transition {
	var out []Transition
	var prev *Score
	for i := range series {
		s := &series[i]
		if s.Value == nil || s.Category == "" {
			continue
		}
		if prev != nil && prev.Category != s.Category {
			out = append(out, Transition{
				Score: s.Name, Time: s.Time, From: prev.Category, To: s.Category,
				Value: *s.Value, Previous: *prev.Value, PreviousTime: prev.Time,
			})
		}
		prev = s
	}
	return out
}

// Points returns the computable values of a score series.
func Points(series []Score) []Point {
	var out []Point
	for _, s := range series {
		if s.Value != nil {
			out = append(out, Point{s.Time, *s.Value})
		}
	}
	return out
}

// ObsPoints returns observations as points.
func ObsPoints(obs []Obs) []Point {
	out := make([]Point, len(obs))
	for i, o := range obs {
		out[i] = Point{o.Time, o.Value}
	}
	return out
}
