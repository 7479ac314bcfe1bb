package graph

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/oncology"
	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestPneumoniaAndOncologyTwins(t *testing.T) {
	e := newEnv(t, 1, 3, Limits{})
	sid := e.ids[0]
	ev := func(at, end time.Time, code string, v float64, unit string, kind timeline.Kind, key string) timeline.Event {
		return timeline.Event{SubjectID: sid, Time: at, EndTime: end, Code: code, Value: v, HasValue: unit != "-", Unit: map[bool]string{true: "", false: unit}[unit == "-"],
			Kind: kind, Key: timeline.NewKey("twins2", key), Source: "test/twins2.ndjson#" + key}
	}
	p0 := day("2023-04-01")
	events := []timeline.Event{
		// A pneumonia episode of a woman aged 70 (born 1953-01-15 in the
		// scenario of twin/pneumonia; here the fixture's birth applies).
		ev(p0, day("2023-04-05"), "ICD10CM//J18.9", 0, "-", timeline.KindDiagnosis, "dx"),
		ev(p0, time.Time{}, "LOINC//22664-7", 7.1, "mmol/L", timeline.KindLab, "urea"),
		ev(p0, time.Time{}, "LOINC//9279-1", 20, "/min", timeline.KindVital, "rr"),
		ev(p0, time.Time{}, "LOINC//8480-6", 120, "mm[Hg]", timeline.KindVital, "sbp"),
		ev(p0, time.Time{}, "LOINC//8462-4", 60, "mm[Hg]", timeline.KindVital, "dbp"),
		ev(p0, time.Time{}, "LOINC//9269-2", 15, "", timeline.KindVital, "gcs"),
		// Hepatocellular carcinoma and AFP.
		ev(day("2022-06-01"), time.Time{}, "ICD10CM//C22.0", 0, "-", timeline.KindDiagnosis, "hcc"),
		ev(day("2022-06-01"), time.Time{}, "LOINC//1834-1", 400, "ng/mL", timeline.KindTumorMarker, "afp1"),
		ev(day("2022-09-01"), time.Time{}, "LOINC//1834-1", 100, "ng/mL", timeline.KindTumorMarker, "afp2"),
	}
	rec, err := timeline.NewEventRecord(memory.DefaultAllocator, events)
	if err != nil {
		t.Fatal(err)
	}
	b := &timeline.Batch{Events: rec}
	if _, err := e.store.Append(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	b.Release()

	var out struct {
		Patient struct {
			PneumoniaEpisodes struct {
				TotalCount int `json:"totalCount"`
				Edges      []struct {
					Node struct {
						Start    time.Time `json:"start"`
						End      time.Time `json:"end"`
						Curb65   scoreOut  `json:"curb65"`
						Psi      scoreOut  `json:"psi"`
						Evidence struct {
							TotalCount int `json:"totalCount"`
							Edges      []struct {
								Node struct{ Source, Code, EventRef string } `json:"node"`
							} `json:"edges"`
						} `json:"evidence"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"pneumoniaEpisodes"`
			OncologyTwin struct {
				Version string `json:"version"`
				Cancers struct {
					Edges []struct {
						Node struct{ Code, Category, EventRef string } `json:"node"`
					} `json:"edges"`
				} `json:"cancers"`
				Courses struct {
					TotalCount int `json:"totalCount"`
				} `json:"courses"`
				Markers struct {
					Edges []struct {
						Node struct {
							Concept string `json:"concept"`
							Latest  struct {
								Value    float64 `json:"value"`
								EventRef string  `json:"eventRef"`
							} `json:"latest"`
							Series struct {
								TotalCount int `json:"totalCount"`
							} `json:"series"`
						} `json:"node"`
					} `json:"edges"`
				} `json:"markers"`
			} `json:"oncologyTwin"`
		} `json:"patient"`
	}
	q := `query($id: ID!) { patient(id: $id) {
	  pneumoniaEpisodes { totalCount edges { node { start end curb65 { ` + scoreFields + ` } psi { ` + scoreFields + ` }
	    evidence { totalCount edges { node { source code eventRef } } } ct { totalCount } outcomes { death30d } trajectories { name n } } } }
	  oncologyTwin { version cancers { edges { node { code category eventRef } } } response { criteria } courses { totalCount edges { node { timePoints { totalCount } } } }
	    lines { totalCount } markers { edges { node { concept latest { value eventRef } series(last: 1) { totalCount edges { node { value } } } } } } notes } } }`
	e.ok(clinTok, q, map[string]any{"id": fmt.Sprint(sid)}, &out)
	pe := out.Patient.PneumoniaEpisodes
	if pe.TotalCount != 1 || !pe.Edges[0].Node.Start.Equal(p0) || !pe.Edges[0].Node.End.Equal(day("2023-04-05")) {
		t.Fatalf("episodes: %+v", pe)
	}
	ep := pe.Edges[0].Node
	// CURB-65 (Lim WS et al., Thorax 2003;58:377): urea 7.1 mmol/L > 7 (1),
	// RR 20 (0), diastolic 60 ≤ 60 (1), GCS 15 (no confusion, 0), age ≥ 65
	// (1 for the fixture's patient 1, born 1940) = 3, high.
	if ep.Curb65.Value == nil || *ep.Curb65.Value != 3 || len(ep.Curb65.Inputs) < 4 {
		t.Errorf("CURB-65: %+v", ep.Curb65)
	}
	if ep.Evidence.TotalCount != 1 || ep.Evidence.Edges[0].Node.Code != "ICD10CM//J18.9" || ep.Evidence.Edges[0].Node.EventRef == "" {
		t.Errorf("evidence: %+v", ep.Evidence)
	}
	// The oncology twin as the package computes it on the same view.
	view, err := twin.Load(context.Background(), e.store.Store, sid, time.Time{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := oncology.Compute(view, oncology.DefaultOptions())
	ot := out.Patient.OncologyTwin
	if ot.Version != want.Version || len(ot.Cancers.Edges) != len(want.Cancers) || ot.Courses.TotalCount != len(want.Courses) {
		t.Errorf("oncology: %+v, want version %s, %d cancers, %d courses", ot, want.Version, len(want.Cancers), len(want.Courses))
	}
	if len(ot.Cancers.Edges) == 0 || ot.Cancers.Edges[0].Node.Code != "ICD10CM//C22.0" {
		t.Errorf("cancers: %+v", ot.Cancers)
	}
	if len(ot.Markers.Edges) != 1 || ot.Markers.Edges[0].Node.Concept != "afp" || ot.Markers.Edges[0].Node.Latest.Value != 100 ||
		ot.Markers.Edges[0].Node.Series.TotalCount != 2 || ot.Markers.Edges[0].Node.Latest.EventRef == "" {
		t.Errorf("markers: %+v", ot.Markers)
	}
	// Researchers: shifted episode, no locators.
	var ro struct {
		Patient struct {
			PneumoniaEpisodes struct {
				Edges []struct {
					Node struct {
						Start    time.Time `json:"start"`
						Evidence struct {
							Edges []struct {
								Node struct{ EventRef string } `json:"node"`
							} `json:"edges"`
						} `json:"evidence"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"pneumoniaEpisodes"`
		} `json:"patient"`
	}
	e.ok(resTok, `query($id: ID!) { patient(id: $id) { pneumoniaEpisodes { edges { node { start evidence { edges { node { eventRef } } } } } } } }`,
		map[string]any{"id": e.pseudo.Subject(sid)}, &ro)
	rn := ro.Patient.PneumoniaEpisodes.Edges[0].Node
	if !rn.Start.Equal(p0.Add(e.pseudo.Shift(sid))) || len(rn.Evidence.Edges[0].Node.EventRef) != 32 {
		t.Errorf("researcher episode: %+v", rn)
	}
}
