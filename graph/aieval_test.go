package graph

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medtwin/medtwin/internal/fixture"
	"github.com/medtwin/medtwin/store"
)

// newAIEnv serves the fixture cohort (patients without the tool) and the
// AI-evaluation cohort (fixture.BuildAIEvaluation: FatAI 1.0 reads 4 HU
// low, 2.0 from 2024-01-01 reads 1 HU high). It returns the AI patients'
// subject ids.
func newAIEnv(t *testing.T, backend string) (*env, []int64) {
	t.Helper()
	e := newEnvOn(t, backend, 5, 3, Limits{})
	ids, err := fixture.BuildAIEvaluation(context.Background(), e.store.Store, fixture.AIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return e, ids
}

type aiInterval struct{ Lower, Upper *float64 }

type aiAgreement struct {
	N           int `json:"n"`
	BlandAltman *struct {
		Bias, SD, Lower, Upper *float64
		BiasCI                 aiInterval `json:"biasCI"`
	} `json:"blandAltman"`
	Icc21         *struct{ Value *float64 } `json:"icc21"`
	Icc31         *struct{ Value *float64 } `json:"icc31"`
	Errors        *struct{ Mae *float64 }   `json:"errors"`
	NotComputable *string                   `json:"notComputable"`
}

type aiStratum struct {
	Dimension, Value string
	First            *time.Time
	Pairing          struct{ Paired, AiOnly int }
	Agreement        aiAgreement
}

type aiProportion struct {
	X, N     int
	Estimate *float64
	Ci       aiInterval
}

type aiEvalResult struct {
	AiEvaluation struct {
		Algorithm    string
		Reference    string
		Subjects     int
		PairingRules []struct{ Name, Description string }
		Versions     []struct {
			Version string
			First   *time.Time
			Outputs int
		}
		Quantities []struct {
			Quantity string
			Pairing  struct {
				Outputs, Paired, AiOnly, ReferenceOnly int
				ByRule                                 []struct {
					Rule string
					N    int
				}
			}
			Overall   aiAgreement
			ByVersion []aiStratum
			BySite    []aiStratum
			ByMonth   []aiStratum
			Drift     *struct {
				Flagged   bool
				ShiftAt   *time.Time
				Coincides *string
				PerYear   struct{ Slope *float64 }
			}
			ChangePoints []struct {
				Dimension, From, To string
				At                  *time.Time
				Flagged             bool
				Bias                struct {
					Diff *float64
					P    *float64
					Ci   aiInterval
				}
				Spread struct{ P *float64 }
				Reason string
			}
		}
		Categories []struct {
			Scheme    string
			Changed   aiProportion
			Confusion []struct {
				Reference, Ai string
				N             int
			}
		}
		Labels []struct {
			Label, Reference, Level string
			Confusion               struct{ Tp, Fp, Fn, Tn int }
			Accuracy                struct{ Sensitivity, Specificity, Ppv, Npv aiProportion }
			ByVersion               []struct{ Version string }
		}
		Settings struct {
			Alpha    float64
			MinPairs int
		}
		Pairs struct {
			TotalCount int
			PageInfo   pageInfo
			Edges      []struct {
				Cursor string
				Node   struct {
					PatientID     string `json:"patientId"`
					Pseudonymised bool
					Study         string
					Time          time.Time
					Version       string
					Site          string
					Status        string
					Rule          *string
					Finding       *string
					Ai, Reference float64
					Difference    float64
					AiRef         *string
					ReferenceRef  *string
				}
			}
		}
	}
}

const aiEvalQuery = `query E($alg: String!, $version: String, $from: Time, $first: Int, $after: String) {
  aiEvaluation(algorithm: $alg, version: $version, from: $from) {
    algorithm reference subjects pairingRules { name description }
    versions { version first outputs }
    quantities {
      quantity pairing { outputs paired aiOnly referenceOnly byRule { rule n } }
      overall { ...ag }
      byVersion { ...st } bySite { ...st } byMonth { ...st }
      drift { flagged shiftAt coincides perYear { slope } }
      changePoints { dimension from to at flagged bias { diff p ci { lower upper } } spread { p } reason }
    }
    categories { scheme changed { x n estimate ci { lower upper } } confusion { reference ai n } }
    labels { label reference level confusion { tp fp fn tn }
      accuracy { sensitivity { ...pr } specificity { ...pr } ppv { ...pr } npv { ...pr } } byVersion { version } }
    settings { alpha minPairs }
    pairs(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { patientId pseudonymised study time version site status rule finding ai reference difference aiRef referenceRef } } }
  }
}
fragment ag on AIAgreement { n blandAltman { bias sd lower upper biasCI { lower upper } } icc21 { value } icc31 { value } errors { mae } notComputable }
fragment st on AIStratum { dimension value first pairing { paired aiOnly } agreement { ...ag } }
fragment pr on Proportion { x n estimate ci { lower upper } }`

func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// The acceptance test of the GraphQL field on a synthetic cohort with a
// known bias per version and a version change at a known date: the
// clinician sees each version's bias recovered, the change flagged at the
// first study of the new version, the strata, categories and labels with
// Wilson intervals and the reference standard named, the pairing rules and
// counts, and identified pairs; every AI patient (and no other) is audited.
func TestAIEvaluationClinician(t *testing.T) { eachBackend(t, testAIEvaluationClinician) }

func testAIEvaluationClinician(t *testing.T, backend string) {
	e, ids := newAIEnv(t, backend)
	var out aiEvalResult
	e.ok(clinTok, aiEvalQuery, map[string]any{"alg": "fatai", "first": 50}, &out)
	ev := out.AiEvaluation
	if !strings.EqualFold(ev.Algorithm, fixture.AITool) || ev.Subjects != len(ids) || len(ev.PairingRules) != 5 || ev.Reference == "" {
		t.Fatalf("evaluation: %s, %d subjects, %d rules, reference %q", ev.Algorithm, ev.Subjects, len(ev.PairingRules), ev.Reference)
	}
	if len(ev.Quantities) != 1 || ev.Quantities[0].Quantity != "liver_hu" {
		t.Fatalf("quantities: %+v", ev.Quantities)
	}
	q := ev.Quantities[0]
	if q.Pairing.Outputs != len(ids) || q.Pairing.Paired != len(ids) || q.Pairing.AiOnly != 0 ||
		len(q.Pairing.ByRule) != 1 || q.Pairing.ByRule[0].Rule != "same-organ-feature" {
		t.Errorf("pairing: %+v", q.Pairing)
	}
	sd := math.Hypot(fixture.AIToolSD, fixture.AIRadiologistSD)
	want := map[string]float64{fixture.AIVersion1: fixture.AIBias1, fixture.AIVersion2: fixture.AIBias2}
	if len(q.ByVersion) != 2 {
		t.Fatalf("versions: %+v", q.ByVersion)
	}
	for _, s := range q.ByVersion {
		ba := s.Agreement.BlandAltman
		if ba == nil {
			t.Fatalf("version %s: no Bland–Altman (%v)", s.Value, s.Agreement.NotComputable)
		}
		se := sd / math.Sqrt(float64(s.Agreement.N))
		if d := val(ba.Bias) - want[s.Value]; math.Abs(d) > 4*se {
			t.Errorf("version %s: bias %.3f, truth %.3f (SE %.3f)", s.Value, val(ba.Bias), want[s.Value], se)
		}
		if r := val(ba.SD) / sd; r < 0.7 || r > 1.3 {
			t.Errorf("version %s: SD %.3f, truth %.3f", s.Value, val(ba.SD), sd)
		}
		if !(val(ba.BiasCI.Lower) < val(ba.Bias) && val(ba.Bias) < val(ba.BiasCI.Upper)) || val(s.Agreement.Icc31.Value) < 0.9 {
			t.Errorf("version %s: %+v", s.Value, s.Agreement)
		}
	}
	var change bool
	for _, c := range q.ChangePoints {
		if c.Dimension != "version" {
			continue
		}
		change = true
		if c.From != fixture.AIVersion1 || c.To != fixture.AIVersion2 || !c.Flagged || c.At == nil ||
			c.At.Before(fixture.AIChange) || c.At.Sub(fixture.AIChange) > 7*24*time.Hour {
			t.Errorf("change point: %+v", c)
		}
		if d := val(c.Bias.Diff) - (fixture.AIBias2 - fixture.AIBias1); math.Abs(d) > 0.8 {
			t.Errorf("bias change %.3f, truth %.1f", val(c.Bias.Diff), fixture.AIBias2-fixture.AIBias1)
		}
	}
	if !change {
		t.Errorf("no version change point: %+v", q.ChangePoints)
	}
	if q.Drift == nil || !q.Drift.Flagged || q.Drift.Coincides == nil || !strings.Contains(*q.Drift.Coincides, fixture.AIVersion2) {
		t.Errorf("drift: %+v", q.Drift)
	}
	if len(q.BySite) != 2 || q.BySite[0].Value != fixture.AISiteA || len(q.ByMonth) != 24 || q.ByMonth[0].Value != "2023-01" {
		t.Errorf("%d sites (%v), %d months", len(q.BySite), q.BySite, len(q.ByMonth))
	}
	// The version change moves the bias by 5 HU: categories change, and the
	// steatosis labels carry Wilson intervals and name their reference.
	if len(ev.Categories) != 1 || !strings.Contains(ev.Categories[0].Scheme, "steatosis") || ev.Categories[0].Changed.N != len(ids) {
		t.Errorf("categories: %+v", ev.Categories)
	}
	var outcome bool
	for _, l := range ev.Labels {
		s := l.Accuracy.Sensitivity
		if l.Reference == "" || l.Level != "study" || len(l.ByVersion) != 2 || s.N == 0 ||
			!(val(s.Ci.Lower) <= val(s.Estimate) && val(s.Estimate) <= val(s.Ci.Upper)) {
			t.Errorf("label %s: %+v", l.Label, l)
		}
		if l.Label == "hepatic steatosis" && strings.Contains(l.Reference, "K76.0") {
			outcome = true
		}
	}
	if !outcome {
		t.Errorf("no outcome-referenced label: %+v", ev.Labels)
	}
	// Pairs: identified, in time order, paged.
	p := ev.Pairs
	if p.TotalCount != len(ids) || len(p.Edges) != 50 || !p.PageInfo.HasNextPage {
		t.Fatalf("pairs: %d of %d", len(p.Edges), p.TotalCount)
	}
	first := p.Edges[0].Node
	if first.PatientID != strconv.FormatInt(ids[0], 10) || first.Pseudonymised || first.Study != fixture.AIStudyUID(1) ||
		!first.Time.Equal(fixture.AIStudyTime(1, len(ids))) || first.Version != fixture.AIVersion1 ||
		first.AiRef == nil || !strings.Contains(*first.AiRef, "fixture/ai/") || first.Difference != first.Ai-first.Reference {
		t.Errorf("first pair: %+v", first)
	}
	var next aiEvalResult
	e.ok(clinTok, aiEvalQuery, map[string]any{"alg": "FatAI", "first": 100, "after": *p.PageInfo.EndCursor}, &next)
	if n := next.AiEvaluation.Pairs; len(n.Edges) != len(ids)-50 || n.PageInfo.HasNextPage || n.Edges[0].Node.PatientID != strconv.FormatInt(ids[50], 10) {
		t.Errorf("second page: %d edges", len(n.Edges))
	}
	// Audit: every AI patient, once per request, and no other patient.
	log, err := e.store.AuditLog(context.Background(), store.AuditQuery{Actor: "dr.grey"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]int{}
	for _, a := range log {
		seen[a.SubjectID]++
		if !slices.Contains(a.Fields, auditFieldAIEvaluation) || a.Action != "graphql" {
			t.Errorf("audit entry: %+v", a)
		}
	}
	if len(seen) != len(ids) || len(log) != 2*len(ids) {
		t.Errorf("audit: %d entries for %d subjects, want %d subjects twice", len(log), len(seen), len(ids))
	}
	for _, id := range ids {
		if seen[id] != 2 {
			t.Errorf("subject %d audited %d times", id, seen[id])
		}
	}
}

// Researchers see the same figures, dates of aggregates to the month and
// pairs pseudonymised; they bound an evaluation by whole months only.
func TestAIEvaluationResearcher(t *testing.T) {
	e, ids := newAIEnv(t, "sqlite")
	var clin, res aiEvalResult
	e.ok(clinTok, aiEvalQuery, map[string]any{"alg": fixture.AITool, "first": 5}, &clin)
	e.ok(resTok, aiEvalQuery, map[string]any{"alg": fixture.AITool, "first": 5}, &res)
	cq, rq := clin.AiEvaluation.Quantities[0], res.AiEvaluation.Quantities[0]
	for i := range cq.ByVersion {
		if val(cq.ByVersion[i].Agreement.BlandAltman.Bias) != val(rq.ByVersion[i].Agreement.BlandAltman.Bias) {
			t.Errorf("researcher's bias differs: %+v %+v", cq.ByVersion[i], rq.ByVersion[i])
		}
		f := rq.ByVersion[i].First
		if f == nil || f.Day() != 1 || f.Hour() != 0 || f.Year() != cq.ByVersion[i].First.Year() || f.Month() != cq.ByVersion[i].First.Month() {
			t.Errorf("researcher's stratum first %v, clinician's %v", f, cq.ByVersion[i].First)
		}
	}
	if c := rq.Drift.Coincides; c == nil || *cq.Drift.Coincides == *c || !strings.HasSuffix(*c, " in 2024-01") {
		t.Errorf("researcher's drift coincides %v, clinician's %v", c, cq.Drift.Coincides)
	}
	for _, c := range rq.ChangePoints {
		if c.Dimension == "version" && !c.At.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("researcher's change point at %v", c.At)
		}
	}
	if v := res.AiEvaluation.Versions; len(v) != 2 || v[1].First.Day() != 1 {
		t.Errorf("versions: %+v", v)
	}
	for i, edge := range res.AiEvaluation.Pairs.Edges {
		n, c := edge.Node, clin.AiEvaluation.Pairs.Edges[i].Node
		sid, _ := strconv.ParseInt(c.PatientID, 10, 64)
		if n.PatientID != e.pseudo.Subject(sid) || !n.Pseudonymised || n.Study == c.Study || strings.Contains(n.Study, "1.2.826") {
			t.Errorf("pair %d not pseudonymised: %+v", i, n)
		}
		if !n.Time.Equal(c.Time.Add(e.pseudo.Shift(sid))) || n.Time.Equal(c.Time) {
			t.Errorf("pair %d: time %v, real %v", i, n.Time, c.Time)
		}
		if n.AiRef == nil || strings.Contains(*n.AiRef, "fixture/") || !strings.HasSuffix(*c.AiRef, *n.AiRef) {
			t.Errorf("pair %d: aiRef %v", i, n.AiRef)
		}
		if n.Ai != c.Ai || n.Reference != c.Reference || n.Version != c.Version {
			t.Errorf("pair %d: values differ", i)
		}
	}
	if strings.Contains(string(e.query(resTok, aiEvalQuery, map[string]any{"alg": fixture.AITool}).Raw), fixture.AIStudyUID(1)) {
		t.Error("a study UID reached a researcher")
	}
	// Windows: whole months only.
	r := e.query(resTok, aiEvalQuery, map[string]any{"alg": fixture.AITool, "from": "2024-01-15T00:00:00Z"})
	if got := r.codes(); len(got) != 1 || got[0] != CodeBadUserInput || !strings.Contains(r.Errors[0].Message, "whole months") {
		t.Errorf("researcher mid-month window: %s", r.Raw)
	}
	var later aiEvalResult
	e.ok(resTok, aiEvalQuery, map[string]any{"alg": fixture.AITool, "from": "2024-01-01T00:00:00Z"}, &later)
	if v := later.AiEvaluation.Quantities[0].ByVersion; len(v) != 1 || v[0].Value != fixture.AIVersion2 || later.AiEvaluation.Subjects != len(ids)/2 {
		t.Errorf("from 2024: %d subjects, versions %+v", later.AiEvaluation.Subjects, v)
	}
	// The researcher's reads are audited under the researcher's name.
	log, err := e.store.AuditLog(context.Background(), store.AuditQuery{Actor: "r.franklin"})
	if err != nil || len(log) == 0 || log[0].Role != "researcher" {
		t.Errorf("researcher audit: %d entries, %v", len(log), err)
	}
}

func TestAIEvaluationErrorsAndAlgorithms(t *testing.T) {
	e, ids := newAIEnv(t, "sqlite")
	for _, c := range []struct {
		name, q string
		vars    map[string]any
		code    string
	}{
		{"unknown tool", `{ aiEvaluation(algorithm: "NoSuchAI") { subjects } }`, nil, CodeNotFound},
		{"unknown version", `{ aiEvaluation(algorithm: "FatAI", version: "9") { subjects } }`, nil, CodeNotFound},
		{"alpha", `{ aiEvaluation(algorithm: "FatAI", alpha: 2) { subjects } }`, nil, CodeBadUserInput},
		{"minPairs", `{ aiEvaluation(algorithm: "FatAI", minPairs: 1) { subjects } }`, nil, CodeBadUserInput},
		{"empty name", `{ aiEvaluation(algorithm: " ") { subjects } }`, nil, CodeBadUserInput},
		{"window", `{ aiEvaluation(algorithm: "FatAI", from: "2024-02-01T00:00:00Z", to: "2024-01-01T00:00:00Z") { subjects } }`, nil, CodeBadUserInput},
		{"status", `{ aiEvaluation(algorithm: "FatAI") { pairs(status: "maybe") { totalCount } } }`, nil, CodeBadUserInput},
		{"page size", `{ aiEvaluation(algorithm: "FatAI") { pairs(first: 100000) { totalCount } } }`, nil, CodeBadUserInput},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.query(clinTok, c.q, c.vars)
			if got := r.codes(); len(got) != 1 || got[0] != c.code {
				t.Errorf("codes %v, want %s: %s", got, c.code, r.Raw)
			}
			if strings.Contains(r.Raw, "1.2.826") {
				t.Errorf("an identifier in an error: %s", r.Raw)
			}
		})
	}
	if r := e.query("", `{ aiAlgorithms { algorithm } }`, nil); r.Status != 401 {
		t.Errorf("no token: %d", r.Status)
	}
	var out struct {
		AiAlgorithms []struct {
			Algorithm, Version string
			Outputs            int
		}
	}
	e.ok(resTok, `{ aiAlgorithms { algorithm version outputs } }`, nil, &out)
	got := map[string]int{}
	for _, a := range out.AiAlgorithms {
		got[a.Algorithm+" "+a.Version] = a.Outputs
	}
	if got["FatAI 1.0"] != len(ids)/2 || got["FatAI 2.0"] != len(ids)/2 || got["medtwin-features 1.0"] != 5 {
		t.Errorf("algorithms: %v", got)
	}
	// Filters on pairs, and one version.
	var one struct {
		AiEvaluation struct {
			Version    *string
			Quantities []struct{ ByVersion []struct{ Value string } }
			Pairs      struct{ TotalCount int }
		}
	}
	e.ok(clinTok, `{ aiEvaluation(algorithm: "FatAI", version: "2.0") { version quantities { byVersion { value } } pairs(status: "paired", quantity: "liver_hu") { totalCount } } }`, nil, &one)
	if v := one.AiEvaluation; v.Version == nil || *v.Version != "2.0" || len(v.Quantities[0].ByVersion) != 1 || v.Pairs.TotalCount != len(ids)/2 {
		t.Errorf("version 2.0: %+v", v)
	}
}
