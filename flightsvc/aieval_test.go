package flightsvc

import (
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/flight"

	"github.com/medtwin/medtwin/auth"
	"github.com/medtwin/medtwin/evaluation"
	"github.com/medtwin/medtwin/internal/fixture"
	"github.com/medtwin/medtwin/store"
)

// The AI-evaluation tables over Flight and HTTP, on the cohort with a known
// bias per version and a version change on a known date: the figures are
// recovered, every patient the evaluation reads is audited (and no other),
// researchers get pseudonymised pairs and month-level dates, and the
// clinician's subject limit applies to the pairs only.
func TestAIEvaluationDatasets(t *testing.T) {
	e := newEnv(t, envOptions{patients: 3, limits: Limits{MaxSubjects: map[auth.Role]int{auth.Clinician: 50}}})
	ids, err := fixture.BuildAIEvaluation(bg, e.store, fixture.AIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Listed with their schemas.
	lf, err := e.client.ListFlights(withToken(bg, tokResearcher), &flight.Criteria{Expression: []byte("ai_evaluation")})
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for {
		info, err := lf.Recv()
		if err != nil {
			break
		}
		sc, err := flight.DeserializeSchema(info.Schema, e.svc.mem)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := ParseDescriptor(info.FlightDescriptor.Cmd)
		if d.Dataset == evaluation.TablePairs && sc.Field(0).Type.ID() != arrow.STRING /* pseudonyms */ {
			t.Errorf("researcher's pairs schema: %v", sc)
		}
		listed = append(listed, d.Dataset)
	}
	if want := slices.Sorted(slices.Values(evaluation.Tables())); !slices.Equal(listed, want) {
		t.Errorf("listed %v, want %v", listed, want)
	}

	// The clinician's aggregate: one endpoint, each version's bias.
	info, rows, sc := e.pull(tokClinician, `{"dataset": "ai_evaluation_agreement", "algorithm": "FatAI"}`)
	if len(info.Endpoint) != 1 {
		t.Errorf("%d endpoints", len(info.Endpoint))
	}
	dims, strata, bias := col(sc, rows, "dimension"), col(sc, rows, "stratum"), col(sc, rows, "bias")
	want := map[string]float64{fixture.AIVersion1: fixture.AIBias1, fixture.AIVersion2: fixture.AIBias2}
	found := 0
	for i := range rows {
		if dims[i] != "version" {
			continue
		}
		found++
		b, _ := strconv.ParseFloat(bias[i], 64)
		if math.Abs(b-want[strata[i]]) > 0.8 {
			t.Errorf("version %s: bias %v, truth %v", strata[i], b, want[strata[i]])
		}
	}
	if found != 2 || len(rows) != 1+2+2+1+24 { // all, versions, sites, scanner, months
		t.Errorf("%d version rows of %d", found, len(rows))
	}
	_, rows, sc = e.pull(tokClinician, `{"dataset": "ai_evaluation_change_points", "algorithm": "FatAI"}`)
	var flagged bool
	for i, d := range col(sc, rows, "dimension") {
		if d == "version" && col(sc, rows, "to")[i] == fixture.AIVersion2 && col(sc, rows, "flagged")[i] == "true" {
			flagged = true
		}
	}
	if !flagged {
		t.Errorf("version change not flagged: %v", rows)
	}
	log, err := e.store.AuditLog(bg, store.AuditQuery{Actor: "dr.a"})
	if err != nil {
		t.Fatal(err)
	}
	audited := map[int64]bool{}
	for _, a := range log {
		audited[a.SubjectID] = true
		if a.Action != ActionFlight || !slices.Contains(a.Fields, "ai_evaluation_agreement.bias") && !slices.Contains(a.Fields, "ai_evaluation_change_points.flagged") {
			t.Fatalf("audit entry: %+v", a)
		}
	}
	if len(log) != 2*len(ids) || len(audited) != len(ids) || audited[e.ids[0]] {
		t.Errorf("audit: %d entries, %d subjects, fixture patient audited %v", len(log), len(audited), audited[e.ids[0]])
	}

	// The clinician may not pull the pairs of more patients than the
	// role's limit; an admin may, identified.
	if _, err := e.client.GetFlightInfo(withToken(bg, tokClinician), cmd(`{"dataset": "ai_evaluation_pairs", "algorithm": "FatAI"}`)); codeOf(err).String() != "PermissionDenied" {
		t.Errorf("clinician's pairs: %v", err)
	}
	if code, msg, _, _ := e.get(tokClinician, "/arrow/ai_evaluation_pairs?algorithm=FatAI"); code != 403 {
		t.Errorf("clinician's pairs over HTTP: %d %s", code, msg)
	}
	_, real, rsc := e.pull(tokAdmin, `{"dataset": "ai_evaluation_pairs", "algorithm": "FatAI"}`)
	if len(real) != len(ids) || col(rsc, real, "study_uid")[0] != fixture.AIStudyUID(1) || col(rsc, real, "subject_id")[0] != strconv.FormatInt(ids[0], 10) {
		t.Fatalf("admin's pairs: %d rows, first %v", len(real), real[0])
	}

	// The researcher over HTTP: pseudonymised pairs, shifted times.
	code, msg, prow, psc := e.get(tokResearcher, "/arrow/ai_evaluation_pairs?algorithm=FatAI")
	if code != 200 || len(prow) != len(ids) {
		t.Fatalf("researcher's pairs: %d %s, %d rows", code, msg, len(prow))
	}
	for i := range prow {
		sid, _ := strconv.ParseInt(col(rsc, real, "subject_id")[i], 10, 64)
		if col(psc, prow, "subject_id")[i] != e.pseudo.Subject(sid) || strings.Contains(prow[i], "1.2.826") {
			t.Fatalf("pair %d not pseudonymised: %s", i, prow[i])
		}
		rt, _ := time.Parse("2006-01-02 15:04:05Z", col(rsc, real, "time")[i])
		pt, _ := time.Parse("2006-01-02 15:04:05Z", col(psc, prow, "time")[i])
		if !pt.Equal(rt.Add(e.pseudo.Shift(sid))) || pt.Equal(rt) {
			t.Fatalf("pair %d: time %s, real %s", i, col(psc, prow, "time")[i], col(rsc, real, "time")[i])
		}
		if col(psc, prow, "ai_value")[i] != col(rsc, real, "ai_value")[i] {
			t.Fatalf("pair %d: values differ", i)
		}
	}
	// The researcher's aggregates: dates at the start of their month.
	code, _, arow, asc := e.get(tokResearcher, "/arrow/ai_evaluation_agreement?algorithm=FatAI&version=2.0&from=2023-06-01")
	if code != 200 || len(arow) == 0 {
		t.Fatalf("researcher's agreement: %d", code)
	}
	for _, f := range append(col(asc, arow, "first"), col(asc, arow, "last")...) {
		if !strings.HasSuffix(f, "-01 00:00:00Z") {
			t.Errorf("researcher's aggregate date %s", f)
		}
	}

	for _, c := range []struct {
		tok, path string
		code      int
	}{
		{tokClinician, "/arrow/ai_evaluation_agreement", 400},
		{tokClinician, "/arrow/ai_evaluation_agreement?algorithm=FatAI&subjects=1", 400},
		{tokClinician, "/arrow/ai_evaluation_agreement?algorithm=FatAI&codes=" + url.QueryEscape(fixture.Diagnosis), 400},
		{tokClinician, "/arrow/ai_evaluation_agreement?algorithm=NoSuchAI", 404},
		{tokClinician, "/arrow/ai_evaluation_agreement?algorithm=FatAI&from=2030-01-01", 404},
		{tokClinician, "/arrow/timeline?algorithm=FatAI", 400},
		{tokResearcher, "/arrow/ai_evaluation_agreement?algorithm=FatAI&from=2024-01-15", 400},
		{"", "/arrow/ai_evaluation_agreement?algorithm=FatAI", 401},
	} {
		if code, msg, _, _ := e.get(c.tok, c.path); code != c.code || strings.Contains(msg, "1.2.826") {
			t.Errorf("%s: %d %q, want %d", c.path, code, msg, c.code)
		}
	}
}
