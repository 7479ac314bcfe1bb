package storetest

import (
	"testing"
	"time"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// testProjection: a read with Filter.Columns yields the same rows, in the
// same order, with the same values in the columns it asks for and in the
// ones always filled, as a full read (Timeline and Scan, with and without
// known-by); the columns left out are null or their true value.
func testProjection(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	a := resolve(t, s, ident("urn:mrn", "p1"))
	b := resolve(t, s, ident("urn:mrn", "p2"))
	med := timeline.Event{SubjectID: a, Time: T0.Add(-10 * 24 * time.Hour), EndTime: T0.Add(-5 * 24 * time.Hour),
		Code: "RXNORM//6809", Kind: timeline.KindMedication, Source: "test#med", Key: timeline.NewKey("med"), SourceVersion: 3}
	note := timeline.Event{SubjectID: a, Time: T0.Add(-time.Hour), AvailableAt: T0.Add(-time.Minute), Code: "NOTE//x",
		Text: "a note", Kind: timeline.KindObservation, Source: "test#note", Key: timeline.NewKey("note")}
	sex := timeline.Event{SubjectID: b, Code: timeline.CodeSexFemale, Kind: timeline.KindDemographic, Source: "test#sex", Key: timeline.NewKey("sex")}
	appendOK(t, s, clk.Now, Lab(a, "alt1", T0.Add(-48*time.Hour), "LOINC//1742-6", 1), med, note, sex,
		Lab(b, "alt2", T0.Add(-24*time.Hour), "LOINC//1742-6", 2))
	clk.Advance(time.Hour)
	known := clk.Now()
	clk.Advance(time.Hour)
	appendOK(t, s, clk.Now, Lab(a, "alt1", T0.Add(-48*time.Hour), "LOINC//1742-6", 1.5)) // supersedes

	keep := func(e timeline.Event, cols []string) timeline.Event {
		f := store.Filter{Columns: cols}
		if !f.Wants("numeric_value") {
			e.Value, e.HasValue = 0, false
		}
		for _, c := range []struct {
			col string
			v   any
		}{{"text_value", &e.Text}, {"unit", &e.Unit}, {"source", &e.Source}} {
			if !f.Wants(c.col) {
				*c.v.(*string) = ""
			}
		}
		for _, c := range []struct {
			col string
			v   *time.Time
		}{{"end_time", &e.EndTime}, {"superseded_at", &e.SupersededAt}, {"available_at", &e.AvailableAt}} {
			if !f.Wants(c.col) {
				*c.v = time.Time{}
			}
		}
		if !f.Wants("source_version") {
			e.SourceVersion = 0
		}
		return e
	}
	read := func(f store.Filter, scan bool) []timeline.Event {
		if !scan {
			return readTimeline(t, s, a, f)
		}
		rr, err := s.Scan(ctx, store.Cohort{}, f)
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		evs, err := timeline.ReadAll(rr)
		if err != nil {
			t.Fatalf("Scan read: %v", err)
		}
		return evs
	}
	for _, cols := range [][]string{{"numeric_value", "unit"}, {"text_value", "end_time", "source_version"}, {"available_at", "superseded_at", "source"}, {"no_such_column"}} {
		for _, base := range []store.Filter{{}, {KnownBy: known}} {
			for _, scan := range []bool{false, true} {
				full := read(base, scan)
				pf := base
				pf.Columns = cols
				got := read(pf, scan)
				if len(got) != len(full) || len(full) == 0 {
					t.Fatalf("columns %v (known-by %v, scan %v): %d rows, full read %d", cols, !base.KnownBy.IsZero(), scan, len(got), len(full))
				}
				for i := range full {
					w, g := keep(full[i], cols), keep(got[i], cols)
					if !eventsEqual(w, g) {
						t.Errorf("columns %v (known-by %v, scan %v) row %d:\n got  %+v\n want %+v", cols, !base.KnownBy.IsZero(), scan, i, g, w)
					}
				}
			}
		}
	}
}

func eventsEqual(a, b timeline.Event) bool {
	return a.SubjectID == b.SubjectID && a.Time.Equal(b.Time) && a.Code == b.Code && a.Value == b.Value && a.HasValue == b.HasValue &&
		a.Text == b.Text && a.Unit == b.Unit && a.Kind == b.Kind && a.EndTime.Equal(b.EndTime) && a.Source == b.Source &&
		a.Key == b.Key && a.SupersededAt.Equal(b.SupersededAt) && a.AvailableAt.Equal(b.AvailableAt) &&
		a.RecordedAt.Equal(b.RecordedAt) && a.SourceVersion == b.SourceVersion
}
