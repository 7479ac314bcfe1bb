package liver

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

// grade is the Child-Pugh reading of one clinical component.
type grade struct {
	status   string  // twin.Present, Absent or Missing
	min, max float64 // points (equal when graded)
	detail   string
}

var digit = regexp.MustCompile(`[0-4]`)

// gradeOf reads a grade from an event's value or text: ok is false when
// neither says one.
func gradeOf(e *timeline.Event) (float64, bool) {
	if e.HasValue {
		return e.Value, true
	}
	t := strings.ToLower(e.Text)
	switch {
	case t == "":
		return 0, false
	case strings.Contains(t, "absent") || strings.Contains(t, "none") || t == "no" || strings.Contains(t, "not present"):
		return 0, true
	}
	if d := digit.FindString(t); d != "" {
		g, _ := strconv.Atoi(d)
		return float64(g), true
	}
	switch {
	case strings.Contains(t, "coma"):
		return 4, true
	case strings.Contains(t, "mild") || strings.Contains(t, "slight"):
		return 1, true
	case strings.Contains(t, "moderate") || strings.Contains(t, "severe") || strings.Contains(t, "tense") ||
		strings.Contains(t, "large") || strings.Contains(t, "refractory"):
		return 3, true
	}
	return 0, false
}

// latestIn returns the latest event of the sets known at t.
func (k *calc) latestIn(t time.Time, sets ...string) (*timeline.Event, string) {
	var best *timeline.Event
	var bestSet string
	for _, set := range sets {
		evs := k.v.InSet(set)
		for i := range evs {
			e := &evs[i]
			if e.Time.After(t) || e.Available().After(t) {
				continue
			}
			if best == nil || !e.Time.Before(best.Time) {
				best, bestSet = e, set
			}
		}
	}
	return best, bestSet
}

// gradedSpec describes one graded Child-Pugh component.
type gradedSpec struct {
	what string   // "ascites", "encephalopathy"
	sets []string // code sets that report it
	// topSet holds codes that mean the top grade (hepatic coma).
	topSet string
	// A grade ≥ mild scores 2 points (mildLabel), ≥ severe 3 (severeLabel).
	mild, severe           float64
	mildLabel, severeLabel string
}

var (
	// Ascites: International Club of Ascites grade 0 → 1 point, grade 1
	// (mild) → 2, grades 2-3 (moderate, large) → 3.
	ascitesSpec = gradedSpec{what: "ascites", sets: []string{timeline.SetAscites},
		mild: 1, severe: 2, mildLabel: "mild", severeLabel: "moderate-severe"}
	// Hepatic encephalopathy: West Haven 0 → 1 point, 1-2 → 2, 3-4 (or a
	// hepatic coma code) → 3.
	encephalopathySpec = gradedSpec{what: "encephalopathy",
		sets: []string{timeline.SetEncephalopathy, timeline.SetHepaticComa}, topSet: timeline.SetHepaticComa,
		mild: 1, severe: 3, mildLabel: "grade 1-2", severeLabel: "grade 3-4"}
)

// graded reads one graded component at t from its latest coded event.
func (k *calc) graded(s *twin.Score, t time.Time, sp gradedSpec) grade {
	e, set := k.latestIn(t, sp.sets...)
	if e == nil {
		return grade{twin.Missing, 1, 3, sp.what + " not coded"}
	}
	if !e.EndTime.IsZero() && !e.EndTime.After(t) {
		s.Use(twin.EventInput(e, sp.what+" resolved"))
		return grade{twin.Absent, 1, 1, "resolved"}
	}
	g, ok := gradeOf(e)
	if !ok && sp.topSet != "" && set == sp.topSet {
		g, ok = 4, true
	}
	if !ok {
		s.Use(twin.EventInput(e, sp.what+", grade not coded"))
		return grade{twin.Present, 2, 3, sp.what + " coded without a grade"}
	}
	if (e.HasValue || e.Text != "") && t.Sub(e.Time) > k.c.GradeWindow {
		return grade{twin.Missing, 1, 3, fmt.Sprintf("last %s grade older than %s", sp.what, days(k.c.GradeWindow))}
	}
	s.Use(twin.EventInput(e, fmt.Sprintf("%s grade %g", sp.what, g)))
	switch {
	case g < sp.mild:
		return grade{twin.Absent, 1, 1, "none"}
	case g < sp.severe:
		return grade{twin.Present, 2, 2, sp.mildLabel}
	}
	return grade{twin.Present, 3, 3, sp.severeLabel}
}

func (k *calc) childPugh(t time.Time) twin.Score {
	s := twin.NewScore(twin.ScoreChildPugh, versionCP, t)
	var lo, hi float64
	var missing []string
	labs := []struct {
		n   need
		pts func(float64) float64
	}{
		{k.lab("bilirubin", "bilirubin"), ChildPughBilirubin},
		{k.lab("albumin", "albumin"), ChildPughAlbumin},
		{k.lab("inr", "INR"), ChildPughINR},
	}
	for _, l := range labs {
		o, ok := k.v.LatestKnown(l.n.concept, t, l.n.window)
		if !ok {
			missing = append(missing, fmt.Sprintf("%s (none within %s)", l.n.label, days(l.n.window)))
			s.Components = append(s.Components, twin.Component{Name: l.n.label, Status: twin.Missing})
			lo, hi = lo+1, hi+3
			continue
		}
		s.Use(o.Input())
		p := l.pts(o.Value)
		st := twin.Present
		if p == 1 {
			st = twin.Absent
		}
		s.Components = append(s.Components, twin.Component{Name: l.n.label, Status: st, Points: p, Value: twin.Ptr(o.Value), Unit: o.Unit})
		lo, hi = lo+p, hi+p
	}
	for _, c := range []struct {
		name string
		g    grade
	}{{"ascites", k.graded(&s, t, ascitesSpec)}, {"encephalopathy", k.graded(&s, t, encephalopathySpec)}} {
		comp := twin.Component{Name: c.name, Status: c.g.status, Points: c.g.min, Detail: c.g.detail}
		if c.g.status == twin.Missing {
			comp.Points = 0
			missing = append(missing, c.g.detail)
		} else if c.g.min != c.g.max {
			missing = append(missing, c.g.detail)
		}
		s.Components = append(s.Components, comp)
		lo, hi = lo+c.g.min, hi+c.g.max
	}
	if lo == hi {
		s.SetValue(lo)
		s.Category = ChildPughClass(lo)
		return s
	}
	s.Fail("missing: %s", strings.Join(missing, "; "))
	s.Range = &twin.Range{Min: lo, Max: hi}
	if a, b := ChildPughClass(lo), ChildPughClass(hi); a == b {
		s.Category = a
	}
	return s
}
