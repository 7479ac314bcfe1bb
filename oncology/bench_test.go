package oncology

import (
	"fmt"
	"testing"
	"time"

	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

// synthPatient is a heavily imaged patient: assessments every 8 weeks, each
// with lesions lesions (half without identifiers, so tracking infers them),
// a drug every 3 weeks and a CEA with each scan.
func synthPatient(assessments, lesions int) ([]timeline.Event, twin.Details) {
	var evs []timeline.Event
	var d twin.Details
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	key := func() timeline.Key { n++; return timeline.NewKey("bench", fmt.Sprint(n)) }
	for w := 0; w < assessments*8; w += 3 {
		evs = append(evs, timeline.Event{SubjectID: 1, Time: t0.AddDate(0, 0, 7*w+7), Code: "RXNORM//2555", Kind: timeline.KindMedication, Key: key()})
	}
	for a := 0; a < assessments; a++ {
		at := t0.AddDate(0, 0, 56*a)
		evs = append(evs, timeline.Event{SubjectID: 1, Time: at, Code: "LOINC//2039-6", Value: float64(5 + a), HasValue: true, Kind: timeline.KindTumorMarker, Key: key()})
		for l := 0; l < lesions; l++ {
			k := key()
			evs = append(evs, timeline.Event{SubjectID: 1, Time: at, Code: "LOINC//21889-1", Kind: timeline.KindLesion, Key: k})
			ld := timeline.LesionDetail{SubjectID: 1, Key: k, StudyUID: fmt.Sprint("S", a), Site: []string{"liver", "lung", "bone", "adrenal"}[l%4],
				LongAxisMM: float64(10 + (l*7+a)%30), ShortAxisMM: timeline.NoFloat,
				X: float64(l * 40), Y: float64(l * 3), Z: float64(a % 3)}
			if l%2 == 0 {
				ld.LesionID = fmt.Sprint("L", l)
			}
			d.Lesions = append(d.Lesions, ld)
		}
	}
	return evs, d
}

// BenchmarkCompute sizes: a typical trial patient (10 assessments × 8
// lesions) and a heavy one (60 × 40), the upper end of what a long-followed
// patient accumulates.
func BenchmarkCompute(b *testing.B) {
	for _, c := range []struct{ assessments, lesions int }{{10, 8}, {60, 40}} {
		evs, d := synthPatient(c.assessments, c.lesions)
		v := twin.NewView(1, evs, d, time.Time{}, nil)
		b.Run(fmt.Sprintf("assessments=%d/lesions=%d", c.assessments, c.lesions), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				Compute(v, DefaultOptions())
			}
		})
	}
}
