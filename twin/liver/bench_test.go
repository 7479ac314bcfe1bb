package liver_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
	"github.com/medtwin/medtwin/twin/liver"
)

// syntheticPatient returns a patient with weekly liver panels over years
// plus daily vital signs, the shape of a long-followed cirrhosis patient.
func syntheticPatient(weeks int) []timeline.Event {
	t0 := time.Date(2010, 1, 4, 8, 0, 0, 0, time.UTC)
	evs := []timeline.Event{
		{SubjectID: 1, Time: time.Date(1960, 5, 1, 0, 0, 0, 0, time.UTC), Code: timeline.CodeBirth, Kind: timeline.KindDemographic, Key: timeline.NewKey("b")},
		{SubjectID: 1, Code: timeline.CodeSexFemale, Kind: timeline.KindDemographic, Key: timeline.NewKey("s")},
	}
	labs := []struct {
		code, unit string
		base       float64
	}{
		{"LOINC//1920-8", "U/L", 40}, {"LOINC//1742-6", "U/L", 30}, {"LOINC//777-3", "10*9/L", 180},
		{"LOINC//1975-2", "mg/dL", 1.4}, {"LOINC//6301-6", "", 1.3}, {"LOINC//2160-0", "mg/dL", 1.1},
		{"LOINC//2951-2", "mmol/L", 136}, {"LOINC//1751-7", "g/dL", 3.4}, {"LOINC//39156-5", "kg/m2", 29},
		{"LOINC//4548-4", "%", 6.1},
	}
	for w := 0; w < weeks; w++ {
		t := t0.Add(time.Duration(w) * 7 * twin.Day)
		for i, l := range labs {
			evs = append(evs, timeline.Event{SubjectID: 1, Time: t, Code: l.code, Value: l.base * (1 + 0.01*float64((w+i)%7)),
				HasValue: true, Unit: l.unit, Kind: timeline.KindLab, Key: timeline.NewKey(fmt.Sprint(w, i))})
		}
		for d := 0; d < 7; d++ {
			evs = append(evs, timeline.Event{SubjectID: 1, Time: t.Add(time.Duration(d) * twin.Day), Code: "LOINC//8867-4", Value: 70,
				HasValue: true, Unit: "/min", Kind: timeline.KindVital, Key: timeline.NewKey(fmt.Sprint("hr", w, d))})
		}
		if w%4 == 0 {
			evs = append(evs, timeline.Event{SubjectID: 1, Time: t, Code: "SNOMED//302497006", Kind: timeline.KindProcedure, Key: timeline.NewKey(fmt.Sprint("hd", w))})
		}
	}
	return evs
}

// BenchmarkCompute measures the liver twin of one patient: the GraphQL API
// computes it per request. Sizes: one year and ten years of weekly panels
// (about 900 and 9,000 events).
func BenchmarkCompute(b *testing.B) {
	for _, weeks := range []int{52, 520} {
		evs := syntheticPatient(weeks)
		b.Run(fmt.Sprintf("events=%d", len(evs)), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				v := twin.NewView(1, evs, twin.Details{}, time.Time{}, nil)
				if _, err := liver.Compute(v, liver.DefaultConfig()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
