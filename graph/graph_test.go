package graph

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medtwin/medtwin/internal/fixture"
	"github.com/medtwin/medtwin/store"
)

type eventNode struct {
	Time        *time.Time `json:"time"`
	Kind        string     `json:"kind"`
	Code        string     `json:"code"`
	DisplayName *string    `json:"displayName"`
	Value       *float64   `json:"value"`
	Unit        *string    `json:"unit"`
	AvailableAt *time.Time `json:"availableAt"`
	Provenance  struct {
		Source    *string `json:"source"`
		RecordKey string  `json:"recordKey"`
	} `json:"provenance"`
}

type pageInfo struct {
	HasNextPage     bool    `json:"hasNextPage"`
	HasPreviousPage bool    `json:"hasPreviousPage"`
	StartCursor     *string `json:"startCursor"`
	EndCursor       *string `json:"endCursor"`
}

type eventConn struct {
	TotalCount int      `json:"totalCount"`
	PageInfo   pageInfo `json:"pageInfo"`
	Edges      []struct {
		Cursor string    `json:"cursor"`
		Node   eventNode `json:"node"`
	} `json:"edges"`
}

const eventFields = `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { time kind code displayName value unit availableAt provenance { source recordKey } } }`

func (c eventConn) codes() []string {
	var out []string
	for _, e := range c.Edges {
		out = append(out, e.Node.Code)
	}
	return out
}

func TestClinicianSeesIdentifiedPatient(t *testing.T) {
	eachBackend(t, testClinicianSeesIdentifiedPatient)
}

func testClinicianSeesIdentifiedPatient(t *testing.T, backend string) {
	const labs = 30
	e := newEnvOn(t, backend, 10, labs, Limits{})
	sid := e.ids[9] // patient 10: male, deceased
	var out struct {
		Patient struct {
			ID            string    `json:"id"`
			Pseudonymised bool      `json:"pseudonymised"`
			BirthDate     string    `json:"birthDate"`
			Sex           string    `json:"sex"`
			Deceased      bool      `json:"deceased"`
			DeceasedAt    time.Time `json:"deceasedAt"`
			Identifiers   struct {
				TotalCount int `json:"totalCount"`
				Edges      []struct {
					Node struct{ System, Value string } `json:"node"`
				} `json:"edges"`
			} `json:"identifiers"`
			Timeline eventConn `json:"timeline"`
			Labs     struct {
				TotalCount int `json:"totalCount"`
				Edges      []struct {
					Node struct {
						Code    string  `json:"code"`
						Concept *string `json:"concept"`
						Unit    *string `json:"unit"`
						Count   int     `json:"count"`
						Latest  struct {
							Value float64   `json:"value"`
							Time  time.Time `json:"time"`
						} `json:"latest"`
						Points struct {
							Edges []struct {
								Node struct {
									Time  time.Time `json:"time"`
									Value float64   `json:"value"`
								} `json:"node"`
							} `json:"edges"`
						} `json:"points"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"labs"`
			Variants struct {
				Edges []struct {
					Node struct {
						Gene, Chrom, Ref, Alt, Genotype, Zygosity, Sample, Code, Rsid string
						Pos                                                           int
						AlleleFraction                                                float64
					} `json:"node"`
				} `json:"edges"`
			} `json:"variants"`
			ImagingStudies struct {
				Edges []struct {
					Node struct {
						StudyUID    string    `json:"studyUid"`
						Time        time.Time `json:"time"`
						Modalities  []string  `json:"modalities"`
						Description string    `json:"description"`
						Series      struct {
							Edges []struct {
								Node struct {
									SeriesUID    string    `json:"seriesUid"`
									PixelSpacing []float64 `json:"pixelSpacing"`
									Instances    int       `json:"instances"`
								} `json:"node"`
							} `json:"edges"`
						} `json:"series"`
						Features struct {
							Edges []struct {
								Node struct {
									Code, Algorithm, Roi, SeriesUID string
									Value                           float64
								} `json:"node"`
							} `json:"edges"`
						} `json:"features"`
						Lesions struct {
							Edges []struct {
								Node struct {
									LesionID   string  `json:"lesionId"`
									LongAxisMm float64 `json:"longAxisMm"`
									Observer   string  `json:"observer"`
								} `json:"node"`
							} `json:"edges"`
						} `json:"lesions"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"imagingStudies"`
		} `json:"patient"`
	}
	e.ok(clinTok, `query P($id: ID!) { patient(id: $id) { id pseudonymised birthDate sex deceased deceasedAt
	  identifiers { totalCount edges { node { system value } } }
	  timeline(first: 1000) { `+eventFields+` }
	  labs { totalCount edges { node { code concept unit count latest { value time } points(first: 2) { edges { node { time value } } } } } }
	  variants(genes: ["pnpla3"]) { edges { node { gene chrom pos ref alt genotype zygosity sample code rsid alleleFraction } } }
	  imagingStudies { edges { node { studyUid time modalities description
	    series { edges { node { seriesUid pixelSpacing instances } } }
	    features { edges { node { code value algorithm roi seriesUid } } }
	    lesions { edges { node { lesionId longAxisMm observer } } } } } } } }`,
		map[string]any{"id": fmt.Sprint(sid)}, &out)
	p := out.Patient
	if p.ID != fmt.Sprint(sid) || p.Pseudonymised {
		t.Errorf("id %q pseudonymised %v", p.ID, p.Pseudonymised)
	}
	if p.BirthDate != fixture.Birth(10).Format(time.DateOnly) || p.Sex != "MALE" || !p.Deceased || !p.DeceasedAt.Equal(fixture.Epoch.AddDate(3, 0, 0)) {
		t.Errorf("demographics: %+v", p)
	}
	if p.Identifiers.TotalCount != 2 || !slices.ContainsFunc(p.Identifiers.Edges, func(x struct {
		Node struct{ System, Value string } `json:"node"`
	}) bool {
		return x.Node.System == fixture.MRNSystem && x.Node.Value == fixture.MRN(10)
	}) {
		t.Errorf("identifiers: %+v", p.Identifiers)
	}
	// Timeline: all events, static first, then by time.
	tl := p.Timeline
	if want := labs + fixture.ExtraEvents + 1; tl.TotalCount != want || len(tl.Edges) != want || tl.PageInfo.HasNextPage {
		t.Fatalf("timeline: total %d, %d edges, want %d", tl.TotalCount, len(tl.Edges), want)
	}
	if tl.Edges[0].Node.Time != nil || tl.Edges[1].Node.Time != nil {
		t.Errorf("static events must come first: %v", tl.codes()[:3])
	}
	var prev time.Time
	labsSeen := 0
	for _, ed := range tl.Edges {
		n := ed.Node
		if n.Time != nil {
			if n.Time.Before(prev) {
				t.Fatalf("timeline out of order at %v", n.Time)
			}
			prev = *n.Time
		}
		if n.Kind == "LAB" {
			j := int(n.Time.Sub(fixture.Epoch) / (24 * time.Hour))
			if n.Code != fixture.LabCode(j) || n.Value == nil || *n.Value != fixture.LabValue(10, j) || *n.Unit != fixture.LabUnit(j) {
				t.Errorf("lab %d: %+v", j, n)
			}
			if n.AvailableAt == nil || !n.AvailableAt.Equal(n.Time.Add(6*time.Hour)) {
				t.Errorf("lab %d availableAt %v", j, n.AvailableAt)
			}
			if n.Provenance.Source == nil || *n.Provenance.Source != fmt.Sprintf("fixture/patient10.ndjson#line%d", j+1) {
				t.Errorf("lab %d source %v", j, n.Provenance.Source)
			}
			if n.DisplayName == nil || *n.DisplayName == "" {
				t.Errorf("lab %d (%s): no display name", j, n.Code)
			}
			labsSeen++
		}
	}
	if labsSeen != labs {
		t.Errorf("labs in timeline: %d", labsSeen)
	}
	// Labs: one series per code, in code order.
	if p.Labs.TotalCount != 3 || len(p.Labs.Edges) != 3 {
		t.Fatalf("labs: %+v", p.Labs)
	}
	for i, code := range []string{fixture.ALT, fixture.AST, fixture.Platelets} {
		s := p.Labs.Edges[i].Node
		if s.Code != code || s.Count != labs/3 || s.Concept == nil || len(s.Points.Edges) != 2 {
			t.Errorf("series %d: %+v", i, s)
			continue
		}
		lastJ := labs - 3 + i
		if s.Latest.Value != fixture.LabValue(10, lastJ) || !s.Latest.Time.Equal(fixture.LabTime(lastJ)) {
			t.Errorf("series %s latest %+v, want %v", code, s.Latest, fixture.LabValue(10, lastJ))
		}
		if s.Points.Edges[0].Node.Value != fixture.LabValue(10, i) {
			t.Errorf("series %s first point %+v", code, s.Points.Edges[0].Node)
		}
	}
	if *p.Labs.Edges[0].Node.Concept != "alt" || *p.Labs.Edges[2].Node.Unit != "10*9/L" {
		t.Errorf("series concept/unit: %v %v", *p.Labs.Edges[0].Node.Concept, *p.Labs.Edges[2].Node.Unit)
	}
	// Variants.
	if len(p.Variants.Edges) != 1 {
		t.Fatalf("variants: %+v", p.Variants)
	}
	v := p.Variants.Edges[0].Node
	if v.Gene != "PNPLA3" || v.Pos != 43928847 || v.Ref != "C" || v.Alt != "G" || v.Genotype != "0/1" || v.Sample != "S10" || v.Rsid != "rs738409" || math.Abs(v.AlleleFraction-14.0/30) > 1e-12 || v.Code != fixture.Variant {
		t.Errorf("variant: %+v", v)
	}
	// Imaging.
	if len(p.ImagingStudies.Edges) != 1 {
		t.Fatalf("studies: %+v", p.ImagingStudies)
	}
	st := p.ImagingStudies.Edges[0].Node
	if st.StudyUID != fixture.StudyUID(10) || !st.Time.Equal(fixture.StudyTime(10)) || !slices.Equal(st.Modalities, []string{"CT"}) || st.Description != "CT ABDOMEN W CONTRAST" {
		t.Errorf("study: %+v", st)
	}
	if len(st.Series.Edges) != 1 || st.Series.Edges[0].Node.SeriesUID != fixture.StudyUID(10)+".1" || !slices.Equal(st.Series.Edges[0].Node.PixelSpacing, []float64{0.7, 0.7}) || st.Series.Edges[0].Node.Instances != 240 {
		t.Errorf("series: %+v", st.Series)
	}
	if len(st.Features.Edges) != 1 || st.Features.Edges[0].Node.Value != fixture.LiverHUValue(10) || st.Features.Edges[0].Node.Roi != "liver" || st.Features.Edges[0].Node.Algorithm != "medtwin-features" {
		t.Errorf("features: %+v", st.Features)
	}
	if len(st.Lesions.Edges) != 1 || st.Lesions.Edges[0].Node.LesionID != "L10-1" || st.Lesions.Edges[0].Node.LongAxisMm != 21.5 || st.Lesions.Edges[0].Node.Observer != "dr.radiologist" {
		t.Errorf("lesions: %+v", st.Lesions)
	}
	// By identifier: the same patient.
	var byID struct {
		PatientByIdentifier struct{ ID string } `json:"patientByIdentifier"`
	}
	e.ok(clinTok, `query($s: String!, $v: String!) { patientByIdentifier(system: $s, value: $v) { id } }`,
		map[string]any{"s": fixture.MRNSystem, "v": fixture.MRN(10)}, &byID)
	if byID.PatientByIdentifier.ID != fmt.Sprint(sid) {
		t.Errorf("by identifier: %+v", byID)
	}
}

func TestTimelinePaginationAndFilters(t *testing.T) { eachBackend(t, testTimelinePaginationAndFilters) }

func testTimelinePaginationAndFilters(t *testing.T, backend string) {
	const labs = 40
	e := newEnvOn(t, backend, 2, labs, Limits{})
	sid := fmt.Sprint(e.ids[0])
	q := `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String, $kinds: [EventKind!], $codes: [String!], $from: Time, $to: Time, $asOf: Time) {
	  patient(id: $id) { timeline(first: $first, after: $after, last: $last, before: $before, kinds: $kinds, codes: $codes, from: $from, to: $to, asOf: $asOf) { ` + eventFields + ` } } }`
	page := func(vars map[string]any) eventConn {
		t.Helper()
		vars["id"] = sid
		var out struct {
			Patient struct {
				Timeline eventConn `json:"timeline"`
			} `json:"patient"`
		}
		e.ok(clinTok, q, vars, &out)
		return out.Patient.Timeline
	}
	all := page(map[string]any{"first": 1000})
	total := labs + fixture.ExtraEvents
	if len(all.Edges) != total {
		t.Fatalf("all: %d", len(all.Edges))
	}
	var keys []string
	for _, ed := range all.Edges {
		keys = append(keys, ed.Node.Provenance.RecordKey)
	}
	// Forward in pages of 7.
	var fwd []string
	var after any
	for i := 0; ; i++ {
		p := page(map[string]any{"first": 7, "after": after})
		if p.TotalCount != total {
			t.Fatalf("totalCount %d", p.TotalCount)
		}
		for _, ed := range p.Edges {
			fwd = append(fwd, ed.Node.Provenance.RecordKey)
		}
		if i > 0 != p.PageInfo.HasPreviousPage {
			t.Errorf("page %d hasPreviousPage %v", i, p.PageInfo.HasPreviousPage)
		}
		if !p.PageInfo.HasNextPage {
			break
		}
		after = *p.PageInfo.EndCursor
	}
	if !slices.Equal(fwd, keys) {
		t.Fatalf("forward pages:\n%v\nwant\n%v", fwd, keys)
	}
	// Backward in pages of 9, from the end.
	var back []string
	var before any
	for {
		p := page(map[string]any{"last": 9, "before": before})
		var chunk []string
		for _, ed := range p.Edges {
			chunk = append(chunk, ed.Node.Provenance.RecordKey)
		}
		back = append(chunk, back...)
		if !p.PageInfo.HasPreviousPage {
			break
		}
		before = *p.PageInfo.StartCursor
	}
	if !slices.Equal(back, keys) {
		t.Fatalf("backward pages differ")
	}
	// The last 5 are the newest.
	if l := page(map[string]any{"last": 5}); !slices.Equal(l.codes(), all.codes()[total-5:]) || !l.PageInfo.HasPreviousPage || l.PageInfo.HasNextPage {
		t.Errorf("last 5: %v", l.codes())
	}
	// Filters.
	if p := page(map[string]any{"kinds": []string{"LAB"}, "codes": []string{fixture.ALT}}); p.TotalCount != labs/3+1 {
		t.Errorf("ALT labs: %d", p.TotalCount)
	}
	if p := page(map[string]any{"codes": []string{"LOINC//*"}}); p.TotalCount != labs {
		t.Errorf("LOINC prefix: %d", p.TotalCount)
	}
	// from inclusive, to exclusive; static events pass.
	from, to := fixture.LabTime(3), fixture.LabTime(6)
	p := page(map[string]any{"kinds": []string{"LAB", "VARIANT"}, "from": from, "to": to})
	if p.TotalCount != 3+1 || p.Edges[0].Node.Code != fixture.Variant {
		t.Errorf("from/to: %v", p.codes())
	}
	// As of: a lab counts from its issue time (6 h after collection).
	asOf := fixture.LabTime(2).Add(time.Hour)
	p = page(map[string]any{"kinds": []string{"LAB"}, "asOf": asOf})
	if p.TotalCount != 2 {
		t.Errorf("asOf: %d labs known, want 2", p.TotalCount)
	}
}

func TestKnownByReplaysCorrections(t *testing.T) { eachBackend(t, testKnownByReplaysCorrections) }

func testKnownByReplaysCorrections(t *testing.T, backend string) {
	e := newEnvOn(t, backend, 1, 3, Limits{})
	ctx := context.Background()
	sid := e.ids[0]
	before := time.Now().UTC()
	time.Sleep(5 * time.Millisecond)
	// A corrected ALT (same record key, new content) supersedes the first.
	if _, err := fixture.Correct(ctx, e.store.Store, sid, 1, 0, 99); err != nil {
		t.Fatal(err)
	}
	q := `query($id: ID!, $k: Time) { patient(id: $id) { timeline(codes: ["` + fixture.ALT + `"], knownBy: $k) { edges { node { value supersededAt } } } } }`
	var now, then struct {
		Patient struct {
			Timeline struct {
				Edges []struct {
					Node struct {
						Value        float64    `json:"value"`
						SupersededAt *time.Time `json:"supersededAt"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"timeline"`
		} `json:"patient"`
	}
	e.ok(clinTok, q, map[string]any{"id": fmt.Sprint(sid)}, &now)
	e.ok(clinTok, q, map[string]any{"id": fmt.Sprint(sid), "k": before}, &then)
	if len(now.Patient.Timeline.Edges) != 1 || now.Patient.Timeline.Edges[0].Node.Value != 99 {
		t.Errorf("current: %+v", now)
	}
	if len(then.Patient.Timeline.Edges) != 1 || then.Patient.Timeline.Edges[0].Node.Value != fixture.LabValue(1, 0) || then.Patient.Timeline.Edges[0].Node.SupersededAt == nil {
		t.Errorf("known by before the correction: %+v", then)
	}
}

func TestPatientsFilters(t *testing.T) {
	e := newEnv(t, 12, 3, Limits{})
	ids := func(filter map[string]any) []string {
		t.Helper()
		var out struct {
			Patients struct {
				TotalCount int `json:"totalCount"`
				Edges      []struct {
					Node struct{ ID string } `json:"node"`
				} `json:"edges"`
			} `json:"patients"`
		}
		e.ok(clinTok, `query($f: PatientFilter) { patients(filter: $f, first: 100) { totalCount edges { node { id } } } }`, map[string]any{"f": filter}, &out)
		var s []string
		for _, ed := range out.Patients.Edges {
			s = append(s, ed.Node.ID)
		}
		if out.Patients.TotalCount != len(s) {
			t.Errorf("totalCount %d for %d", out.Patients.TotalCount, len(s))
		}
		return s
	}
	want := func(pred func(n int) bool) []string {
		var s []string
		for n := 1; n <= 12; n++ {
			if pred(n) {
				s = append(s, fmt.Sprint(e.ids[n-1]))
			}
		}
		return s
	}
	if got := ids(nil); len(got) != 12 {
		t.Errorf("all: %v", got)
	}
	if got := ids(map[string]any{"sex": "FEMALE"}); !slices.Equal(got, want(fixture.Female)) {
		t.Errorf("female: %v", got)
	}
	if got := ids(map[string]any{"hasCodes": []string{timeline_death}}); !slices.Equal(got, want(fixture.Dead)) {
		t.Errorf("dead: %v", got)
	}
	if got := ids(map[string]any{"hasKinds": []string{"IMAGING_STUDY"}, "source": "fixture/patient1"}); !slices.Equal(got, want(func(n int) bool { return n == 1 || n == 10 || n == 11 || n == 12 })) {
		t.Errorf("source prefix: %v", got)
	}
	at := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	age := func(n int) int {
		b := fixture.Birth(n)
		a := at.Year() - b.Year()
		if at.YearDay() < b.YearDay() {
			a--
		}
		return a
	}
	if got := ids(map[string]any{"minAge": 60, "maxAge": 75, "ageAt": at}); !slices.Equal(got, want(func(n int) bool { return age(n) >= 60 && age(n) <= 75 })) {
		t.Errorf("age 60–75: %v", got)
	}
	// Paging through patients.
	var seen []string
	var after any
	for {
		var out struct {
			Patients struct {
				PageInfo pageInfo `json:"pageInfo"`
				Edges    []struct {
					Node struct{ ID string } `json:"node"`
				} `json:"edges"`
			} `json:"patients"`
		}
		e.ok(clinTok, `query($a: String) { patients(first: 5, after: $a) { pageInfo { hasNextPage endCursor } edges { node { id } } } }`, map[string]any{"a": after}, &out)
		for _, ed := range out.Patients.Edges {
			seen = append(seen, ed.Node.ID)
		}
		if !out.Patients.PageInfo.HasNextPage {
			break
		}
		after = *out.Patients.PageInfo.EndCursor
	}
	if !slices.Equal(seen, ids(nil)) {
		t.Errorf("paged: %v", seen)
	}
}

const timeline_death = "MEDS_DEATH"

func TestResearcherSeesPseudonymisedData(t *testing.T) {
	e := newEnv(t, 3, 6, Limits{})
	sid := e.ids[0]
	ps := e.pseudo.Subject(sid)
	shift := e.pseudo.Shift(sid)
	var out struct {
		Viewer  struct{ Role string } `json:"viewer"`
		Patient struct {
			ID            string    `json:"id"`
			Pseudonymised bool      `json:"pseudonymised"`
			BirthDate     string    `json:"birthDate"`
			Timeline      eventConn `json:"timeline"`
			Variants      struct {
				Edges []struct {
					Node struct {
						Sample *string
						Gene   string
					} `json:"node"`
				} `json:"edges"`
			} `json:"variants"`
			ImagingStudies struct {
				Edges []struct {
					Node struct {
						StudyUID    string    `json:"studyUid"`
						Time        time.Time `json:"time"`
						Description *string   `json:"description"`
						Lesions     struct {
							Edges []struct {
								Node struct {
									LesionID string  `json:"lesionId"`
									Observer *string `json:"observer"`
								} `json:"node"`
							} `json:"edges"`
						} `json:"lesions"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"imagingStudies"`
		} `json:"patient"`
	}
	e.ok(resTok, `query($id: ID!) { viewer { role } patient(id: $id) { id pseudonymised birthDate timeline(first: 100) { `+eventFields+` }
	  variants { edges { node { sample gene } } } imagingStudies { edges { node { studyUid time description lesions { edges { node { lesionId observer } } } } } } } }`,
		map[string]any{"id": ps}, &out)
	p := out.Patient
	if out.Viewer.Role != "RESEARCHER" || p.ID != ps || !p.Pseudonymised || strings.Contains(p.ID, fmt.Sprint(sid)) && len(p.ID) < 5 {
		t.Fatalf("id: %+v", p)
	}
	if p.BirthDate != fixture.Birth(1).Add(shift).Format(time.DateOnly) || p.BirthDate == fixture.Birth(1).Format(time.DateOnly) {
		t.Errorf("birth date %s, real %s, shift %v", p.BirthDate, fixture.Birth(1).Format(time.DateOnly), shift)
	}
	for _, ed := range p.Timeline.Edges {
		n := ed.Node
		if n.Provenance.Source != nil {
			t.Errorf("%s: source shown to a researcher", n.Code)
		}
		if n.Kind == "LAB" {
			real := n.Time.Add(-shift)
			j := int(real.Sub(fixture.Epoch) / (24 * time.Hour))
			if !real.Equal(fixture.LabTime(j)) || *n.Value != fixture.LabValue(1, j) {
				t.Errorf("lab time %v (real %v) value %v", n.Time, real, *n.Value)
			}
			if n.AvailableAt.Sub(*n.Time) != 6*time.Hour {
				t.Errorf("interval within a patient must be kept: %v", n.AvailableAt.Sub(*n.Time))
			}
		}
	}
	if s := p.Variants.Edges[0].Node.Sample; s != nil {
		t.Errorf("sample name shown: %v", *s)
	}
	st := p.ImagingStudies.Edges[0].Node
	if st.StudyUID == fixture.StudyUID(1) || st.StudyUID != e.pseudo.Token("study", fixture.StudyUID(1)) || !st.Time.Equal(fixture.StudyTime(1).Add(shift)) || st.Description != nil {
		t.Errorf("study: %+v", st)
	}
	if l := st.Lesions.Edges[0].Node; l.LesionID == "L1-1" || l.Observer != nil {
		t.Errorf("lesion: %+v", l)
	}
	// Time arguments are in the patient's shifted calendar: the lab of day 2
	// is found by its shifted time.
	var one struct {
		Patient struct {
			Timeline eventConn `json:"timeline"`
		} `json:"patient"`
	}
	shifted := fixture.LabTime(2).Add(shift)
	e.ok(resTok, `query($id: ID!, $f: Time, $t: Time) { patient(id: $id) { timeline(kinds: [LAB], from: $f, to: $t) { `+eventFields+` } } }`,
		map[string]any{"id": ps, "f": shifted, "t": shifted.Add(time.Hour)}, &one)
	if one.Patient.Timeline.TotalCount != 1 || !one.Patient.Timeline.Edges[0].Node.Time.Equal(shifted) {
		t.Errorf("shifted from/to: %+v", one.Patient.Timeline)
	}
	// The patients list shows pseudonyms only.
	var list struct {
		Patients struct {
			Edges []struct {
				Node struct{ ID string } `json:"node"`
			} `json:"edges"`
		} `json:"patients"`
	}
	e.ok(resTok, `{ patients { edges { node { id } } } }`, nil, &list)
	for i, ed := range list.Patients.Edges {
		if ed.Node.ID != e.pseudo.Subject(e.ids[i]) {
			t.Errorf("patients[%d] = %s", i, ed.Node.ID)
		}
	}
	// Refusals.
	for name, tc := range map[string]struct {
		query string
		code  string
	}{
		"identifiers":  {fmt.Sprintf(`{ patient(id: %q) { identifiers { edges { node { value } } } } }`, ps), CodeForbidden},
		"by MRN":       {fmt.Sprintf(`{ patientByIdentifier(system: %q, value: %q) { id } }`, fixture.MRNSystem, fixture.MRN(1)), CodeForbidden},
		"real id":      {fmt.Sprintf(`{ patient(id: "%d") { id } }`, sid), CodeForbidden},
		"unknown ps":   {`{ patient(id: "ps_AAAAAAAAAAAAAAAAAAAAAAAA") { id } }`, CodeNotFound},
		"clin with ps": {fmt.Sprintf(`{ patient(id: %q) { id } }`, ps), CodeForbidden},
	} {
		tok := resTok
		if strings.HasPrefix(name, "clin") {
			tok = clinTok
		}
		r := e.query(tok, tc.query, nil)
		if !slices.Contains(r.codes(), tc.code) {
			t.Errorf("%s: codes %v, want %s: %s", name, r.codes(), tc.code, r.Raw)
		}
		if strings.Contains(r.Raw, fixture.MRN(1)) && name != "by MRN" {
			t.Errorf("%s: response names an MRN", name)
		}
	}
}

func TestAuditLogRecordsEveryPatientRead(t *testing.T) {
	e := newEnv(t, 4, 3, Limits{})
	ctx := context.Background()
	e.ok(clinTok, fmt.Sprintf(`query Ward { patient(id: "%d") { birthDate timeline(first: 2) { edges { node { code } } } } }`, e.ids[1]), nil, nil)
	e.ok(resTok, `{ patients(first: 3) { edges { node { id labs { totalCount } } } } }`, nil, nil)
	e.ok(adminTok, `{ viewer { name } }`, nil, nil) // touches no patient
	log, err := e.store.AuditLog(ctx, store.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 4 {
		t.Fatalf("audit entries: %d: %+v", len(log), log)
	}
	byActor := map[string][]store.AuditEntry{}
	for _, a := range log {
		byActor[a.Actor] = append(byActor[a.Actor], a)
	}
	c := byActor["dr.grey"]
	if len(c) != 1 || c[0].SubjectID != e.ids[1] || c[0].Role != "clinician" || c[0].Action != "graphql" ||
		!slices.Equal(c[0].Fields, []string{"birthDate", "id", "timeline"}) || !strings.Contains(c[0].Detail, "operation=Ward") || time.Since(c[0].Time) > time.Minute {
		t.Errorf("clinician entry: %+v", c)
	}
	r := byActor["r.franklin"]
	if len(r) != 3 {
		t.Fatalf("researcher entries: %+v", r)
	}
	for i, a := range r {
		// The log keeps real subject ids: it is for the hospital, not the researcher.
		if !slices.Contains(e.ids[:3], a.SubjectID) || a.Role != "researcher" || !slices.Equal(a.Fields, []string{"id", "labs"}) {
			t.Errorf("researcher entry %d: %+v", i, a)
		}
	}
}

func TestLoadersBoundStoreRoundTrips(t *testing.T) { eachBackend(t, testLoadersBoundStoreRoundTrips) }

func testLoadersBoundStoreRoundTrips(t *testing.T, backend string) {
	e := newEnvOn(t, backend, 100, 60, Limits{})
	q := `{ patients(first: 100) { edges { node { id birthDate sex deceased timeline(first: 50) { totalCount edges { node { time code value } } } } } } }`
	e.store.reset()
	var out struct {
		Patients struct {
			Edges []struct {
				Node struct {
					Timeline struct {
						TotalCount int        `json:"totalCount"`
						Edges      []struct{} `json:"edges"`
					} `json:"timeline"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"patients"`
	}
	e.ok(clinTok, q, nil, &out)
	if n := len(out.Patients.Edges); n != 100 {
		t.Fatalf("%d patients", n)
	}
	for i, ed := range out.Patients.Edges {
		if len(ed.Node.Timeline.Edges) != 50 || ed.Node.Timeline.TotalCount != 60+fixture.ExtraEvents+b2i(fixture.Dead(i+1)) {
			t.Fatalf("patient %d: %d events of %d", i, len(ed.Node.Timeline.Edges), ed.Node.Timeline.TotalCount)
		}
	}
	// Subjects + one scan for demographics + one scan for timelines.
	if n := e.store.reads.Load(); n != 3 {
		t.Errorf("store round trips: %d (%v), want 3", n, e.store.calls)
	}
	// Every other field is one fetch per page too, whatever the page size.
	e.store.reset()
	e.ok(clinTok, `{ patients(first: 100) { edges { node { labs { totalCount } variants { totalCount } imagingStudies { totalCount } } } } }`, nil, nil)
	// Subjects, labs scan, variants details + events, imaging details ×2 + events.
	if n := e.store.reads.Load(); n != 7 {
		t.Errorf("store round trips: %d (%v), want 7", n, e.store.calls)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// eachBackend runs a test on every store backend: SQLite always,
// PostgreSQL when MEDTWIN_TEST_POSTGRES is set (skipped otherwise).
func eachBackend(t *testing.T, f func(t *testing.T, backend string)) {
	for _, b := range []string{"sqlite", "postgres"} {
		t.Run(b, func(t *testing.T) { f(t, b) })
	}
}
