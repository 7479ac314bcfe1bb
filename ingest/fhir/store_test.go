package fhir_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/fhir"
	"github.com/medtwin/medtwin/internal/testdata"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/backend"
	"github.com/medtwin/medtwin/timeline"
)

func runStore(t *testing.T, s store.Store, opts ingest.Options, paths ...string) *ingest.Report {
	t.Helper()
	reg, err := ingest.NewRegistry(fhir.New())
	if err != nil {
		t.Fatal(err)
	}
	r := &ingest.Runner{Target: s, Registry: reg, Env: ingest.Env{Options: opts}, Command: "test"}
	rep, err := r.Run(context.Background(), paths)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

func readTimeline(t *testing.T, s store.Store, subject int64, f store.Filter) []timeline.Event {
	t.Helper()
	rr, err := s.Timeline(context.Background(), subject, f)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := timeline.ReadAll(rr)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestSyntheaLabsRoundTrip ingests one Synthea patient into an SQLite store
// and reads the stored timeline back: specific labs (read from the source
// JSON with jq, quoted below) and then every laboratory result of the
// bundle must be there with its code, clinical time, issued time, value
// and unit.
func TestSyntheaLabsRoundTrip(t *testing.T) {
	path := testdata.Path(t, "fhir", "synthea", "Hong_Macejkovic_372e5381-b390-4065-a10f-14a7c26e607b.json")
	t.Run("store=sqlite", func(t *testing.T) { labsRoundTrip(t, openStore(t), path) })
	t.Run("store=postgres", func(t *testing.T) { labsRoundTrip(t, openPostgres(t), path) })
}

// openPostgres opens a PostgreSQL store in a schema of its own (dropped at
// the end), or skips when MEDTWIN_TEST_POSTGRES is unset.
func openPostgres(t *testing.T) store.Store {
	t.Helper()
	url := os.Getenv("MEDTWIN_TEST_POSTGRES")
	if url == "" {
		t.Skip("PostgreSQL tests skipped: set MEDTWIN_TEST_POSTGRES to a database URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to MEDTWIN_TEST_POSTGRES: %v", err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("medtwin_fhir_test_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Errorf("drop schema: %v", err)
			return
		}
		defer conn.Close(context.Background())
		conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	s, err := backend.Open(ctx, url+sep+"search_path="+schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func labsRoundTrip(t *testing.T, s store.Store, path string) {
	rep := runStore(t, s, ingest.Options{}, path)
	if !rep.Clean() {
		t.Fatalf("run not clean: %+v", rep.Files[0])
	}
	ctx := context.Background()
	// jq -r '.entry[0].resource.id' → 2bd18d48-1d2d-4edb-ad61-70bd7d91fe81
	subject, err := s.Lookup(ctx, timeline.Identifier{System: fhir.PatientSystem(fhir.DefaultNamespace), Value: "2bd18d48-1d2d-4edb-ad61-70bd7d91fe81"})
	if err != nil {
		t.Fatal(err)
	}
	// The MRN names the same subject.
	if byMRN, err := s.Lookup(ctx, timeline.Identifier{System: "http://hospital.smarthealthit.org", Value: "372e5381-b390-4065-a10f-14a7c26e607b"}); err != nil || byMRN != subject {
		t.Errorf("MRN → %d, %v; want %d", byMRN, err, subject)
	}
	labs := readTimeline(t, s, subject, store.Filter{Kinds: []timeline.Kind{timeline.KindLab}})
	byKey := map[timeline.Key]timeline.Event{}
	for _, e := range labs {
		byKey[e.Key] = e
	}

	// jq -r '.entry[].resource | select(.resourceType=="Observation" and
	//   (.code.coding[0].code=="6299-2" or .code.coding[0].code=="4548-4")) |
	//   [.id,.code.coding[0].code,.effectiveDateTime,.issued,.valueQuantity.value,.valueQuantity.code] | @tsv'
	specific := []struct {
		id, code, effective, issued string
		value                       float64
		unit                        string
	}{
		{"9a534317-8630-47fb-88b4-5947fe61a0f1", "LOINC//6299-2", "2004-01-08T06:29:54+00:00", "2004-01-08T06:29:54.552+00:00", 11.806937500800695, "mg/dL"},
		{"e54108cd-a709-4943-a2d8-7e3d7bb5a6a5", "LOINC//4548-4", "2004-01-08T06:29:54+00:00", "2004-01-08T06:29:54.552+00:00", 6.376248388607786, "%"},
		{"49d6b4b9-f643-4bd8-b05a-6adc52784b1e", "LOINC//6299-2", "2007-01-25T06:29:54+00:00", "2007-01-25T06:29:54.552+00:00", 17.425472951313523, "mg/dL"},
	}
	for _, w := range specific {
		e, ok := byKey[fhir.RecordKey(fhir.DefaultNamespace, "Observation", w.id, "")]
		if !ok {
			t.Errorf("Observation/%s not stored", w.id)
			continue
		}
		eff, _ := time.Parse(time.RFC3339, w.effective)
		iss, _ := time.Parse(time.RFC3339Nano, w.issued)
		if e.Code != w.code || !e.Time.Equal(eff) || !e.AvailableAt.Equal(iss) || e.Value != w.value || e.Unit != w.unit || !e.HasValue {
			t.Errorf("Observation/%s: got %s %s avail %s %v %s, want %s %s avail %s %v %s",
				w.id, e.Code, e.Time, e.AvailableAt, e.Value, e.Unit, w.code, eff, iss, w.value, w.unit)
		}
	}

	// Every laboratory valueQuantity of the bundle.
	b, _ := os.ReadFile(path)
	var doc struct {
		Entry []struct {
			Resource struct {
				ResourceType string
				ID           string
				Category     []struct{ Coding []struct{ Code string } }
				Code         struct {
					Coding []struct{ System, Code string }
				}
				Effective string `json:"effectiveDateTime"`
				Issued    string
				Value     *struct {
					Value float64
					Code  string
				} `json:"valueQuantity"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	codes := timeline.DefaultCodes()
	checked := 0
	for _, en := range doc.Entry {
		r := en.Resource
		if r.ResourceType != "Observation" || r.Value == nil || len(r.Category) == 0 || r.Category[0].Coding[0].Code != "laboratory" {
			continue
		}
		code := "LOINC//" + r.Code.Coding[0].Code
		if c, ok := codes.ConceptOf(code); ok && c.Kind == timeline.KindTumorMarker {
			continue // PSA is stored as a tumour marker
		}
		e, ok := byKey[fhir.RecordKey(fhir.DefaultNamespace, "Observation", r.ID, "")]
		if !ok {
			t.Errorf("lab Observation/%s not in the stored timeline", r.ID)
			continue
		}
		eff, _ := time.Parse(time.RFC3339, r.Effective)
		iss, _ := time.Parse(time.RFC3339Nano, r.Issued)
		wantV, wantU := r.Value.Value, r.Value.Code
		if ci, ok := codes.Lookup(code); ok {
			// The table's unit: values converted (10*3/uL → 10*9/L is ×1).
			v, err := timeline.ConvertUnit(r.Value.Value, r.Value.Code, ci.Unit)
			if err != nil {
				t.Fatalf("%s: %v", code, err)
			}
			wantV, wantU = v, ci.Unit
		} else if u, ok := timeline.UnitInfo(wantU); ok {
			wantU = u
		}
		if e.Code != code || !e.Time.Equal(eff) || !e.AvailableAt.Equal(iss) || math.Abs(e.Value-wantV) > 1e-9*math.Abs(wantV) || e.Unit != wantU {
			t.Errorf("Observation/%s: got %s %s %s %v %q, want %s %s %s %v %q", r.ID, e.Code, e.Time, e.AvailableAt, e.Value, e.Unit, code, eff, iss, wantV, wantU)
		}
		checked++
	}
	if checked < 100 {
		t.Errorf("only %d labs checked", checked)
	}

	// As of a moment between effective and issued, that result is not
	// visible; as of issued it is.
	eff, _ := time.Parse(time.RFC3339, specific[0].effective)
	iss, _ := time.Parse(time.RFC3339Nano, specific[0].issued)
	key := fhir.RecordKey(fhir.DefaultNamespace, "Observation", specific[0].id, "")
	has := func(evs []timeline.Event) bool {
		for _, e := range evs {
			if e.Key == key {
				return true
			}
		}
		return false
	}
	if has(readTimeline(t, s, subject, store.Filter{AsOf: eff.Add(time.Millisecond)})) {
		t.Error("a result is visible as of before it was issued")
	}
	if !has(readTimeline(t, s, subject, store.Filter{AsOf: iss})) {
		t.Error("a result is not visible as of when it was issued")
	}

	// Re-ingest: a no-op.
	rep = runStore(t, s, ingest.Options{}, path)
	res, rej, failed := rep.Totals()
	if res.Inserted != 0 || res.Superseded != 0 || res.Duplicate == 0 || rej != 0 || failed != 0 {
		t.Errorf("re-ingest: %+v rejected %d failed %d, want only duplicates", res, rej, failed)
	}
}
