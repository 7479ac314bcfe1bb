package twin

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/medtwin/medtwin/timeline"
)

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 8, 0, 0, 0, time.UTC) }

func TestView(t *testing.T) {
	evs := []timeline.Event{
		{SubjectID: 1, Time: day(1960, 3, 15), Code: timeline.CodeBirth, Kind: timeline.KindDemographic},
		{SubjectID: 1, Code: timeline.CodeSexFemale, Kind: timeline.KindDemographic},
		// Bilirubin in µmol/L under the molar code, issued a day after the draw.
		{SubjectID: 1, Time: day(2024, 1, 10), AvailableAt: day(2024, 1, 11), Code: "LOINC//14631-6", Value: 34.2, HasValue: true, Unit: "umol/L", Kind: timeline.KindLab, Key: timeline.NewKey("b1")},
		{SubjectID: 1, Time: day(2024, 2, 10), Code: "LOINC//1975-2", Value: 1.5, HasValue: true, Unit: "mg/dL", Kind: timeline.KindLab, Key: timeline.NewKey("b2")},
		{SubjectID: 1, Time: day(2024, 2, 11), Code: "LOINC//1975-2", Value: 9, HasValue: true, Unit: "mg/dL", Kind: timeline.KindLab, Key: timeline.NewKey("b3"), SupersededAt: day(2024, 2, 12)},
		{SubjectID: 1, Time: day(2024, 2, 10), Code: "LOINC//2160-0", Value: 1, HasValue: true, Unit: "furlong", Kind: timeline.KindLab, Key: timeline.NewKey("c1")},
	}
	v := NewView(1, evs, Details{}, time.Time{}, nil)
	s := v.Series("bilirubin")
	if len(s) != 2 || math.Abs(s[0].Value-2.0) > 0.001 || s[0].Unit != "mg/dL" {
		t.Fatalf("bilirubin series = %+v", s)
	}
	if len(v.Series("creatinine")) != 0 {
		t.Error("an inconvertible unit gave an observation")
	}
	if o, ok := v.Latest("bilirubin", day(2024, 2, 9), 30*24*time.Hour); !ok || o.Code != "LOINC//14631-6" {
		t.Errorf("Latest within window = %+v %v", o, ok)
	}
	if _, ok := v.Latest("bilirubin", day(2024, 2, 9), 24*time.Hour); ok {
		t.Error("Latest ignored the window")
	}
	if age, ok := v.AgeAt(day(2024, 3, 14)); !ok || age != 63 {
		t.Errorf("age the day before the birthday = %d", age)
	}
	if age, _ := v.AgeAt(day(2024, 3, 15)); age != 64 {
		t.Errorf("age on the birthday = %d", age)
	}
	if v.Sex() != "F" {
		t.Errorf("sex = %q", v.Sex())
	}
	// As of the draw day the result was not yet issued.
	early := NewView(1, evs, Details{}, day(2024, 1, 10).Add(12*time.Hour), nil)
	if len(early.Series("bilirubin")) != 0 {
		t.Error("as-of view shows a result before it was issued")
	}
	if len(early.Events()) != 2 {
		t.Errorf("as-of view events = %d, want birth and sex", len(early.Events()))
	}
	in := s[1].Input()
	if in.EventRef == "" || in.Value != 1.5 || in.Code != "LOINC//1975-2" {
		t.Errorf("input = %+v", in)
	}
}

func TestAgeAtLeapYears(t *testing.T) {
	// Born 15 March of a leap year: the birthday in a common year is still 15 March
	// (day-of-year comparisons get this wrong).
	v := NewView(1, []timeline.Event{{SubjectID: 1, Time: day(1960, 3, 15), Code: timeline.CodeBirth, Kind: timeline.KindDemographic}}, Details{}, time.Time{}, nil)
	if a, _ := v.AgeAt(day(2023, 3, 15)); a != 63 {
		t.Errorf("age on the birthday in a common year = %d, want 63", a)
	}
	if a, _ := v.AgeAt(day(2023, 3, 14)); a != 62 {
		t.Errorf("age the day before = %d, want 62", a)
	}
	leap := NewView(1, []timeline.Event{{SubjectID: 1, Time: day(2000, 2, 29), Code: timeline.CodeBirth, Kind: timeline.KindDemographic}}, Details{}, time.Time{}, nil)
	if a, _ := leap.AgeAt(day(2001, 2, 28)); a != 0 {
		t.Errorf("29 February birthday, 28 February next year = %d, want 0", a)
	}
	if a, _ := leap.AgeAt(day(2001, 3, 1)); a != 1 {
		t.Errorf("29 February birthday, 1 March next year = %d, want 1", a)
	}
}

func TestLatestKnown(t *testing.T) {
	evs := []timeline.Event{
		{SubjectID: 1, Time: day(2024, 1, 1), Code: "LOINC//1975-2", Value: 1, HasValue: true, Unit: "mg/dL", Kind: timeline.KindLab, Key: timeline.NewKey("a")},
		// Drawn later but issued after the query time.
		{SubjectID: 1, Time: day(2024, 1, 5), AvailableAt: day(2024, 1, 20), Code: "LOINC//1975-2", Value: 5, HasValue: true, Unit: "mg/dL", Kind: timeline.KindLab, Key: timeline.NewKey("b")},
	}
	v := NewView(1, evs, Details{}, time.Time{}, nil)
	if o, ok := v.LatestKnown("bilirubin", day(2024, 1, 10), 30*Day); !ok || o.Value != 1 {
		t.Errorf("LatestKnown before issue = %+v %v, want the 1 January value", o, ok)
	}
	if o, ok := v.LatestKnown("bilirubin", day(2024, 1, 21), 30*Day); !ok || o.Value != 5 {
		t.Errorf("LatestKnown after issue = %+v %v", o, ok)
	}
	if _, ok := v.LatestKnown("bilirubin", day(2024, 1, 10), 5*Day); ok {
		t.Error("LatestKnown ignored the window")
	}
	if got := v.Arrivals("bilirubin"); len(got) != 2 || !got[1].Equal(day(2024, 1, 20)) {
		t.Errorf("arrivals = %v", got)
	}
	if ref := v.Reference(); !ref.Equal(day(2024, 1, 20)) {
		t.Errorf("reference = %v", ref)
	}
}

func TestRound(t *testing.T) {
	for _, c := range []struct {
		v    float64
		d    int
		want float64
	}{
		{1.25, 1, 1.3}, {1.35, 1, 1.4}, {-2.105, 2, -2.11}, {3.2549999999999994, 2, 3.26}, {2.674, 2, 2.67}, {12.5, 0, 13},
		{-1.4549999999999998, 3, -1.455},
	} {
		if got := Round(c.v, c.d); got != c.want {
			t.Errorf("Round(%v, %d) = %v, want %v", c.v, c.d, got, c.want)
		}
	}
}

func TestTrendAndTransitions(t *testing.T) {
	pts := []Point{{day(2022, 1, 1), 20}, {day(2023, 1, 1), 30}, {day(2024, 1, 1), 40}}
	tr := TrendOf("ALT", "U/L", pts, day(2024, 3, 1), 0)
	if tr.N != 3 || tr.SlopePerYear == nil || math.Abs(*tr.SlopePerYear-10.0068) > 0.001 || *tr.DaysSinceLast != 60 {
		t.Errorf("trend = %+v slope %v", tr, *tr.SlopePerYear)
	}
	if tr := TrendOf("x", "", pts[2:], day(2024, 3, 1), Year); tr.SlopePerYear != nil || tr.N != 1 {
		t.Errorf("one point gave a slope: %+v", tr)
	}
	mk := func(d int, v float64, cat string) Score {
		s := NewScore("FIB-4", "v", day(2024, 1, d))
		if cat != "" {
			s.SetValue(v)
			s.Category = cat
		} else {
			s.Fail("missing")
		}
		return s
	}
	got := Transitions([]Score{mk(1, 1, "low"), mk(2, 0, ""), mk(3, 2.7, "high"), mk(4, 2.8, "high"), mk(5, 2, "indeterminate")})
	if len(got) != 2 || got[0].From != "low" || got[0].To != "high" || !got[0].Time.Equal(day(2024, 1, 3)) || got[1].To != "indeterminate" {
		t.Errorf("transitions = %+v", got)
	}
}

func TestReportJSON(t *testing.T) {
	v := NewView(7, nil, Details{}, day(2024, 1, 1), nil)
	r := Compute(v, []Twin{
		{Name: "b", Compute: func(*View) (any, error) { return map[string]int{"x": 1}, nil }},
		{Name: "a", Compute: func(*View) (any, error) { return nil, errors.New("boom") }},
	})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"subject":7,"asOf":"2024-01-01T08:00:00Z","reference":"2024-01-01T08:00:00Z","b":{"x":1},"a":{"error":"twin a: boom"}}`
	if string(b) != want {
		t.Errorf("report JSON\n got %s\nwant %s", b, want)
	}
	if r.Err() == nil {
		t.Error("Err() lost the twin error")
	}
}

func TestReferenceStopsAtDeath(t *testing.T) {
	death := day(2013, 5, 1)
	evs := []timeline.Event{
		{SubjectID: 1, Time: day(1920, 1, 1), Code: timeline.CodeBirth, Kind: timeline.KindDemographic},
		{SubjectID: 1, Time: death, Code: timeline.CodeDeath, Kind: timeline.KindDemographic},
		// A late-filed administrative event after the death.
		{SubjectID: 1, Time: day(2014, 1, 1), Code: "LOINC//1742-6", Value: 20, HasValue: true, Unit: "U/L", Kind: timeline.KindLab},
	}
	for _, asOf := range []time.Time{{}, day(2026, 1, 1)} {
		v := NewView(1, evs, Details{}, asOf, nil)
		if got := v.Reference(); !got.Equal(death) {
			t.Errorf("as of %v: reference %v, want the death %v", asOf, got, death)
		}
		if a, _ := v.AgeAt(v.Reference()); a != 93 {
			t.Errorf("age at reference = %d, want 93 (at death)", a)
		}
	}
	if got := NewView(1, evs, Details{}, day(2000, 1, 1), nil).Reference(); !got.Equal(day(2000, 1, 1)) {
		t.Errorf("as of before the death: %v", got)
	}
}
