package twin

import (
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
