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
	"github.com/medtwin/medtwin/twin"
	"github.com/medtwin/medtwin/twin/liver"
)

type scoreOut struct {
	Name           string     `json:"name"`
	Time           *time.Time `json:"time"`
	Value          *float64   `json:"value"`
	Computable     bool       `json:"computable"`
	NotComputable  *string    `json:"notComputable"`
	FormulaVersion string     `json:"formulaVersion"`
	Inputs         []struct {
		Code     string     `json:"code"`
		Concept  *string    `json:"concept"`
		Time     *time.Time `json:"time"`
		Value    float64    `json:"value"`
		EventRef string     `json:"eventRef"`
	} `json:"inputs"`
	Categories []struct{ Scheme, Label string } `json:"categories"`
}

const scoreFields = `name time value computable notComputable formulaVersion inputs { code concept time value eventRef } categories { scheme label }`

type liverOut struct {
	Patient struct {
		LiverTwin struct {
			Reference *time.Time `json:"reference"`
			Scores    struct {
				TotalCount int `json:"totalCount"`
				Edges      []struct {
					Node struct {
						Name    string   `json:"name"`
						Current scoreOut `json:"current"`
						Points  struct {
							TotalCount int `json:"totalCount"`
							Edges      []struct {
								Node scoreOut `json:"node"`
							} `json:"edges"`
						} `json:"points"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"scores"`
			Imaging struct {
				Attenuation struct {
					Edges []struct {
						Node struct {
							LiverHU  float64    `json:"liverHU"`
							Study    string     `json:"study"`
							Contrast string     `json:"contrast"`
							Time     *time.Time `json:"time"`
						} `json:"node"`
					} `json:"edges"`
				} `json:"attenuation"`
			} `json:"imaging"`
			Genetics struct {
				Variants []struct {
					Rsid, Gene, Status string
					RiskAlleles        *int    `json:"riskAlleles"`
					EventRef           *string `json:"eventRef"`
				} `json:"variants"`
				Summary struct {
					Missing []string `json:"missing"`
				} `json:"summary"`
			} `json:"genetics"`
		} `json:"liverTwin"`
	} `json:"patient"`
}

const liverQuery = `query($id: ID!, $asOf: Time) { patient(id: $id) { liverTwin(asOf: $asOf) { reference
  scores(names: ["FIB-4", "APRI"]) { totalCount edges { node { name current { ` + scoreFields + ` } points(last: 3) { totalCount edges { node { ` + scoreFields + ` } } } } } }
  imaging { attenuation { edges { node { liverHU study contrast time } } } }
  genetics { variants { rsid gene status riskAlleles eventRef } summary { missing } } } } }`

func TestLiverTwinMatchesTheTwinAndNamesItsInputs(t *testing.T) {
	const labs = 90
	e := newEnv(t, 2, labs, Limits{})
	sid := e.ids[0]
	asOf := fixture.LabTime(62).Add(12 * time.Hour) // labs 0..62 issued by then; after the CT
	var out liverOut
	e.ok(clinTok, liverQuery, map[string]any{"id": fmt.Sprint(sid), "asOf": asOf}, &out)
	lt := out.Patient.LiverTwin
	if lt.Reference == nil || !lt.Reference.Equal(asOf) {
		t.Errorf("reference %v", lt.Reference)
	}
	if lt.Scores.TotalCount != 2 || lt.Scores.Edges[0].Node.Name != "FIB-4" || lt.Scores.Edges[1].Node.Name != "APRI" {
		t.Fatalf("scores: %+v", lt.Scores)
	}
	// The API shows what the twin package computes on the same view…
	view, err := twin.Load(context.Background(), e.store.Store, sid, asOf, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := liver.Compute(view, liver.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := res.Score("FIB-4")
	fib := lt.Scores.Edges[0].Node
	if !fib.Current.Computable || fib.Current.Value == nil || *fib.Current.Value != *want.Current.Value || fib.Points.TotalCount != len(want.Points) {
		t.Fatalf("FIB-4 current %+v, twin %+v", fib.Current, want.Current)
	}
	// …and that is FIB-4 = age × AST / (platelets × √ALT) of the latest
	// fixture labs (Sterling et al., Hepatology 2006;43:1317): ALT j=60,
	// AST j=61, platelets j=62.
	a, _ := view.AgeAt(asOf)
	wantFIB := float64(a) * fixture.LabValue(1, 61) / (fixture.LabValue(1, 62) * math.Sqrt(fixture.LabValue(1, 60)))
	if math.Abs(*fib.Current.Value-wantFIB) > 0.01 {
		t.Errorf("FIB-4 %v, by hand %v", *fib.Current.Value, wantFIB)
	}
	concepts := map[string]bool{}
	for _, in := range fib.Current.Inputs {
		if in.Concept != nil {
			concepts[*in.Concept] = true
		}
		if !strings.HasPrefix(in.EventRef, "fixture/patient1.ndjson#") {
			t.Errorf("clinician input eventRef %q lacks the source locator", in.EventRef)
		}
	}
	for _, c := range []string{"ast", "alt", "platelets"} {
		if !concepts[c] {
			t.Errorf("FIB-4 inputs lack %s: %+v", c, fib.Current.Inputs)
		}
	}
	if len(fib.Points.Edges) != 3 {
		t.Errorf("last 3 points: %d", len(fib.Points.Edges))
	}
	att := lt.Imaging.Attenuation.Edges
	if len(att) != 1 || att[0].Node.LiverHU != fixture.LiverHUValue(1) || att[0].Node.Study != fixture.StudyUID(1) {
		t.Errorf("attenuation: %+v", att)
	}
	pn := lt.Genetics.Variants[0]
	if pn.Gene != "PNPLA3" || pn.Status != liver.Called || pn.RiskAlleles == nil || *pn.RiskAlleles != 1 || pn.EventRef == nil {
		t.Errorf("PNPLA3 call: %+v", pn)
	}

	// The researcher sees the same numbers in the shifted calendar, without
	// locators or UIDs.
	shift := e.pseudo.Shift(sid)
	var ro liverOut
	e.ok(resTok, liverQuery, map[string]any{"id": e.pseudo.Subject(sid), "asOf": asOf.Add(shift)}, &ro)
	rl := ro.Patient.LiverTwin
	rf := rl.Scores.Edges[0].Node.Current
	if rf.Value == nil || *rf.Value != *fib.Current.Value || !rf.Time.Equal(fib.Current.Time.Add(shift)) || !rl.Reference.Equal(asOf.Add(shift)) {
		t.Errorf("researcher FIB-4 %+v", rf)
	}
	for _, in := range rf.Inputs {
		if strings.Contains(in.EventRef, "fixture/") || strings.Contains(in.EventRef, "@") || len(in.EventRef) != 32 {
			t.Errorf("researcher eventRef %q", in.EventRef)
		}
	}
	if s := rl.Imaging.Attenuation.Edges[0].Node.Study; s == fixture.StudyUID(1) || s != e.pseudo.Token("study", fixture.StudyUID(1)) {
		t.Errorf("researcher study %q", s)
	}
	// Unknown score names are a client error.
	r := e.query(clinTok, fmt.Sprintf(`{ patient(id: "%d") { liverTwin { scores(names: ["FIB-5"]) { totalCount } } } }`, sid), nil)
	if !containsCode(r, CodeBadUserInput) || !strings.Contains(r.Raw, "FIB-4") {
		t.Errorf("unknown score: %s", r.Raw)
	}
}

func TestLiverTwinsOfAPageCostBoundedRoundTrips(t *testing.T) {
	e := newEnv(t, 30, 9, Limits{})
	e.store.reset()
	var out struct {
		Patients struct {
			Edges []struct {
				Node struct {
					LiverTwin struct {
						Scores struct {
							TotalCount int `json:"totalCount"`
						} `json:"scores"`
					} `json:"liverTwin"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"patients"`
	}
	e.ok(clinTok, `{ patients(first: 30) { edges { node { liverTwin { scores { totalCount } } } } } }`, nil, &out)
	for _, ed := range out.Patients.Edges {
		if ed.Node.LiverTwin.Scores.TotalCount < 8 {
			t.Fatalf("scores: %d", ed.Node.LiverTwin.Scores.TotalCount)
		}
	}
	// Subjects, one event scan, three detail reads.
	if n := e.store.reads.Load(); n != 5 {
		t.Errorf("round trips %d: %v", n, e.store.calls)
	}
}

// points(computable:) keeps the points with a value, or those without; the
// two filtered lists partition the whole series, in order, and a page of a
// filtered list continues from its cursor.
func TestScorePointsComputableFilter(t *testing.T) {
	e := newEnv(t, 1, 90, Limits{})
	id := fmt.Sprint(e.ids[0])
	type points struct {
		Patient struct {
			LiverTwin struct {
				Scores struct {
					Edges []struct {
						Node struct {
							Points struct {
								TotalCount int
								PageInfo   struct{ HasNextPage bool }
								Edges      []struct {
									Cursor string
									Node   struct {
										Time          time.Time
										Value         *float64
										NotComputable *string
									}
								}
							}
						}
					}
				}
			} `json:"liverTwin"`
		}
	}
	get := func(args string) (total int, times []time.Time, values []*float64, next bool, cursor string) {
		t.Helper()
		var out points
		e.ok(clinTok, `query($id: ID!) { patient(id: $id) { liverTwin { scores(names: ["FIB-4"]) { edges { node {
		  points(`+args+`) { totalCount pageInfo { hasNextPage } edges { cursor node { time value notComputable } } } } } } } } }`,
			map[string]any{"id": id}, &out)
		p := out.Patient.LiverTwin.Scores.Edges[0].Node.Points
		for _, e := range p.Edges {
			times = append(times, e.Node.Time)
			values = append(values, e.Node.Value)
			cursor = e.Cursor
		}
		return p.TotalCount, times, values, p.PageInfo.HasNextPage, cursor
	}
	all, allTimes, allValues, _, _ := get("first: 100")
	yes, yesTimes, yesValues, _, _ := get("computable: true, first: 100")
	no, _, noValues, _, _ := get("computable: false, first: 100")
	if yes == 0 || no == 0 || yes+no != all {
		t.Fatalf("computable %d + not %d != all %d (want both kinds present)", yes, no, all)
	}
	for _, v := range yesValues {
		if v == nil {
			t.Fatal("computable: true returned a point without a value")
		}
	}
	for _, v := range noValues {
		if v != nil {
			t.Fatal("computable: false returned a point with a value")
		}
	}
	var want []time.Time
	for i, v := range allValues {
		if v != nil {
			want = append(want, allTimes[i])
		}
	}
	if !slices.EqualFunc(want, yesTimes, time.Time.Equal) {
		t.Errorf("computable points %v, want those of the whole series with a value %v", yesTimes, want)
	}
	// Paging the filtered list: two, then the rest after the cursor.
	_, first2, _, next, cur := get("computable: true, first: 2")
	_, rest, _, _, _ := get(fmt.Sprintf("computable: true, first: 100, after: %q", cur))
	if !next || !slices.EqualFunc(append(first2, rest...), yesTimes, time.Time.Equal) {
		t.Errorf("paged computable points %v + %v, want %v", first2, rest, yesTimes)
	}
}
