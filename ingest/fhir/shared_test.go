package fhir_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/medtwin/medtwin/ingest/fhir"
	"github.com/medtwin/medtwin/internal/testdata"
	"github.com/medtwin/medtwin/timeline"
)

// The oracle below reads the shared files with encoding/json into generic
// maps and says, from the FHIR spec alone, which events each resource must
// yield: it shares no code with the adapter but RecordKey.

type oracleResource struct {
	typ, ns, id string
	res         map[string]any
	loc         string
}

var absRef = regexp.MustCompile(`^(https?://.+)/([A-Z][A-Za-z]+)/([^/]+)$`)

// oracleResources lists a file's resources with their identity.
func oracleResources(t *testing.T, path string) []oracleResource {
	t.Helper()
	var out []oracleResource
	add := func(res map[string]any, fullURL, loc string) {
		typ, _ := res["resourceType"].(string)
		r := oracleResource{typ: typ, ns: fhir.DefaultNamespace, res: res, loc: loc}
		r.id, _ = res["id"].(string)
		if m := absRef.FindStringSubmatch(fullURL); m != nil {
			r.ns = m[1]
			if r.id == "" {
				r.id = m[3]
			}
		}
		if r.id == "" && strings.HasPrefix(fullURL, "urn:uuid:") {
			r.id = strings.TrimPrefix(fullURL, "urn:uuid:")
		}
		out = append(out, r)
	}
	if strings.HasSuffix(path, ".ndjson") {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 64<<20)
		for n := 1; sc.Scan(); n++ {
			var res map[string]any
			if err := json.Unmarshal(sc.Bytes(), &res); err != nil {
				t.Fatalf("%s line %d: %v", path, n, err)
			}
			add(res, "", "line "+strconv.Itoa(n))
		}
		return out
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["resourceType"] != "Bundle" {
		add(doc, "", "resource")
		return out
	}
	for i, e := range doc["entry"].([]any) {
		e := e.(map[string]any)
		res, ok := e["resource"].(map[string]any)
		if !ok {
			out = append(out, oracleResource{typ: "Bundle.entry:" + e["request"].(map[string]any)["method"].(string), loc: "entry " + strconv.Itoa(i)})
			continue
		}
		u, _ := e["fullUrl"].(string)
		add(res, u, "entry "+strconv.Itoa(i))
	}
	return out
}

func str(m map[string]any, keys ...string) string {
	var cur any = m
	for _, k := range keys {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[k]
		case []any:
			i, _ := strconv.Atoi(k)
			if i >= len(c) {
				return ""
			}
			cur = c[i]
		default:
			return ""
		}
	}
	s, _ := cur.(string)
	return s
}

// hasValue: a value[x] the timeline can hold (not SampledData/Attachment; a
// Quantity with a value).
func hasValue(m map[string]any) bool {
	for k, v := range m {
		if !strings.HasPrefix(k, "value") || len(k) == 5 || k[5] < 'A' || k[5] > 'Z' {
			continue
		}
		switch k {
		case "valueSampledData", "valueAttachment":
			continue
		case "valueQuantity":
			if _, ok := v.(map[string]any)["value"]; !ok {
				continue
			}
		}
		return true
	}
	return false
}

func codesOf(cc any) int {
	m, _ := cc.(map[string]any)
	n := 0
	for _, c := range asList(m["coding"]) {
		if str(c.(map[string]any), "code") != "" {
			n++
		}
	}
	return n
}

func asList(v any) []any { l, _ := v.([]any); return l }

// expectedParts returns the candidate parts of a resource's events and how
// many events it yields (codings: one event per coding, the primary one
// with part "", which the oracle does not try to pick).
func expectedParts(r oracleResource) (parts []string, n int, mapped bool) {
	res := r.res
	status := str(res, "status")
	codingParts := func(k int) []string {
		p := []string{""}
		for i := 0; i < k; i++ {
			p = append(p, "coding/"+strconv.Itoa(i))
		}
		return p
	}
	switch r.typ {
	case "Patient":
		for _, f := range [][2]string{{"birthDate", "birth"}, {"gender", "sex"}, {"deceasedDateTime", "death"}} {
			if _, ok := res[f[0]]; ok {
				parts = append(parts, f[1])
			}
		}
		return parts, len(parts), true
	case "Observation":
		if status == "entered-in-error" || status == "cancelled" {
			return nil, 0, true
		}
		if hasValue(res) {
			parts = append(parts, "")
		}
		for i, c := range asList(res["component"]) {
			if hasValue(c.(map[string]any)) {
				parts = append(parts, "component/"+strconv.Itoa(i))
			}
		}
		return parts, len(parts), true
	case "Condition":
		if v := str(res, "verificationStatus", "coding", "0", "code"); v == "entered-in-error" || v == "refuted" {
			return nil, 0, true
		}
		k := codesOf(res["code"])
		parts = codingParts(k)
		for _, x := range asList(res["extension"]) { // mCODE morphology
			x := x.(map[string]any)
			if strings.HasSuffix(str(x, "url"), "histology-morphology-behavior") && codesOf(x["valueCodeableConcept"]) > 0 {
				parts = append(parts, "histology")
				k++
			}
		}
		return parts, k, true
	case "Procedure", "Immunization":
		if status == "entered-in-error" || status == "not-done" {
			return nil, 0, true
		}
		f := "code"
		if r.typ == "Immunization" {
			f = "vaccineCode"
		}
		k := codesOf(res[f])
		return codingParts(k), k, true
	case "MedicationRequest", "MedicationStatement", "MedicationAdministration":
		if status == "entered-in-error" || status == "not-taken" || status == "not-done" {
			return nil, 0, true
		}
		k := codesOf(res["medicationCodeableConcept"])
		return codingParts(k), k, true
	case "Encounter", "DiagnosticReport", "ImagingStudy":
		if status == "entered-in-error" || status == "cancelled" {
			return nil, 0, true
		}
		return []string{""}, 1, true
	case "Medication", "BodyStructure":
		return nil, 0, true
	}
	return nil, 0, false
}

// expectedRejections are the records of the shared files that break a rule,
// found by reading them: file → locator → the rule.
var expectedRejections = map[string]map[string]error{
	"diagnosticreport-genetics-comprehensive-bone-marrow-report.json": {
		// The report's code is text only, so its results (no subject of
		// their own) have no report to inherit a subject from.
		"entry 0": fhir.ErrNoCode, "entry 12": fhir.ErrNoCode, "entry 13": fhir.ErrNoCode,
		"entry 1": fhir.ErrNoSubject, "entry 2": fhir.ErrNoSubject, "entry 3": fhir.ErrNoSubject,
		"entry 4": fhir.ErrNoSubject, "entry 5": fhir.ErrNoSubject, "entry 6": fhir.ErrNoSubject,
		"entry 7": fhir.ErrNoSubject, "entry 8": fhir.ErrNoSubject, "entry 9": fhir.ErrNoSubject,
		"entry 10": fhir.ErrNoSubject, "entry 11": fhir.ErrNoSubject,
	},
	// A secondary cancer condition with no onset, recordedDate or asserted date.
	"ctms_eom_patient_1.json": {"entry 2": fhir.ErrNoTime},
}

// TestSharedFiles ingests every file of ../shared/testdata/fhir and checks,
// per file and per resource type, that the events are exactly those the
// oracle expects, that unmapped types are counted per type, and that the
// only rejections are the known bad records.
func TestSharedFiles(t *testing.T) {
	root := testdata.Path(t, "fhir")
	var paths []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".ndjson")) && filepath.Base(p) != "log.ndjson" {
			paths = append(paths, p)
		}
		return nil
	})
	if len(paths) < 60 {
		t.Fatalf("only %d files under %s", len(paths), root)
	}
	res := newMapResolver()
	got := runAdapter(t, testEnv(t, res), paths...)
	totals := map[string]int{}
	for _, p := range paths {
		name := filepath.Base(p)
		c := got[name]
		if c == nil {
			t.Errorf("%s: not ingested", name)
			continue
		}
		if c.err != nil {
			t.Errorf("%s: %v", name, c.err)
		}
		// Rejections: exactly the known ones.
		want := expectedRejections[name]
		if len(c.rejects) != len(want) {
			t.Errorf("%s: %d rejections, want %d: %v", name, len(c.rejects), len(want), c.rejects)
		}
		for _, r := range c.rejects {
			if w, ok := want[r.Record]; !ok || !errors.Is(r, w) {
				t.Errorf("%s: unexpected rejection %v (want %v)", name, r, w)
			}
		}
		// Events: keys within the oracle's candidates, counts per type equal.
		gotKeys := map[timeline.Key]bool{}
		for i := range c.events {
			gotKeys[c.events[i].Key] = true
		}
		keyType := map[timeline.Key]string{}
		wantN := map[string]int{}
		wantSkip := map[string]int64{}
		for _, r := range oracleResources(t, p) {
			if _, bad := want[r.loc]; bad {
				continue
			}
			parts, n, mapped := expectedParts(r)
			if !mapped {
				wantSkip[r.typ]++
				continue
			}
			wantN[r.typ] += n
			for _, part := range parts {
				keyType[fhir.RecordKey(r.ns, r.typ, r.id, part)] = r.typ
			}
			if n > 0 && r.typ != "Observation" && r.typ != "Patient" {
				// The main event (primary coding) is always there.
				if !gotKeys[fhir.RecordKey(r.ns, r.typ, r.id, "")] {
					t.Errorf("%s %s: %s/%s: main event missing", name, r.loc, r.typ, r.id)
				}
			}
		}
		gotN := map[string]int{}
		for _, e := range c.events {
			typ, ok := keyType[e.Key]
			if !ok {
				t.Errorf("%s: event %s at %s (source %s) matches no expected record", name, e.Code, e.Time, e.Source)
				continue
			}
			gotN[typ]++
		}
		for typ, n := range wantN {
			if gotN[typ] != n {
				t.Errorf("%s: %s: %d events, want %d", name, typ, gotN[typ], n)
			}
			totals[typ] += gotN[typ]
		}
		for typ, n := range wantSkip {
			if c.skips[typ] != n {
				t.Errorf("%s: %s counted as not mapped %d times, want %d", name, typ, c.skips[typ], n)
			}
		}
	}
	var types []string
	for typ := range totals {
		types = append(types, typ)
	}
	sort.Strings(types)
	for _, typ := range types {
		t.Logf("%-25s %6d events", typ, totals[typ])
	}
}

// TestSyntheaCounts checks plain counts of one Synthea bundle, computed from
// the JSON without the oracle: encounters, observation values (top-level
// and components), conditions, imaging studies and their series.
func TestSyntheaCounts(t *testing.T) {
	path := testdata.Path(t, "fhir", "synthea", "Hong_Macejkovic_372e5381-b390-4065-a10f-14a7c26e607b.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Entry []struct {
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[timeline.Kind]int{}
	series := 0
	for _, e := range doc.Entry {
		r := e.Resource
		switch r["resourceType"] {
		case "Encounter":
			want[timeline.KindEncounter]++
		case "Observation":
			n := 0
			if r["valueQuantity"] != nil || r["valueCodeableConcept"] != nil || r["valueString"] != nil {
				n++
			}
			for _, c := range asList(r["component"]) {
				if c.(map[string]any)["valueQuantity"] != nil {
					n++
				}
			}
			switch str(r, "category", "0", "coding", "0", "code") {
			case "vital-signs":
				want[timeline.KindVital] += n
			case "laboratory":
				if str(r, "code", "coding", "0", "code") == "2857-1" { // PSA: a tumour marker
					want[timeline.KindTumorMarker] += n
				} else {
					want[timeline.KindLab] += n
				}
			default:
				want[timeline.KindObservation] += n
			}
		case "DiagnosticReport":
			want[timeline.KindLab]++
		case "Condition":
			want[timeline.KindDiagnosis] += len(asList(r["code"].(map[string]any)["coding"]))
		case "ImagingStudy":
			want[timeline.KindImagingStudy]++
			series += len(asList(r["series"]))
		case "MedicationRequest":
			want[timeline.KindMedication]++
		case "Procedure", "Immunization":
			want[timeline.KindProcedure]++
		case "Patient":
			want[timeline.KindDemographic] += 3 // birth, sex, death (he died in 2013)
		}
	}
	c := runAdapter(t, testEnv(t, newMapResolver()), path)[filepath.Base(path)]
	got := map[timeline.Kind]int{}
	for _, e := range c.events {
		got[e.Kind]++
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d events, want %d", k, got[k], n)
		}
	}
	if len(c.imaging) != series {
		t.Errorf("imaging detail rows: %d, want %d (one per series)", len(c.imaging), series)
	}
	if len(c.rejects) != 0 {
		t.Errorf("rejections: %v", c.rejects)
	}
}
