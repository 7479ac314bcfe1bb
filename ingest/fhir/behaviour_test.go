package fhir_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/fhir"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// obj is a resource under construction.
type obj = map[string]any

func js(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func loinc(code string) obj {
	return obj{"coding": []any{obj{"system": "http://loinc.org", "code": code}}}
}

func qty(v float64, unit string) obj {
	return obj{"value": v, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}
}

// creatinine returns a valid creatinine Observation of Patient/p1.
func creatinine(id string, v float64) obj {
	return obj{
		"resourceType": "Observation", "id": id, "status": "final",
		"category":          []any{obj{"coding": []any{obj{"code": "laboratory"}}}},
		"code":              loinc("2160-0"),
		"subject":           obj{"reference": "Patient/p1"},
		"effectiveDateTime": "2020-01-01T10:00:00Z",
		"issued":            "2020-01-02T08:00:00.5+01:00",
		"valueQuantity":     qty(v, "mg/dL"),
	}
}

func with(o obj, kv ...any) obj {
	c := obj{}
	for k, v := range o {
		c[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

func ndjson(t testing.TB, lines ...any) string {
	var b strings.Builder
	for _, l := range lines {
		if s, ok := l.(string); ok {
			b.WriteString(s)
		} else {
			b.WriteString(js(t, l))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func bundle(t testing.TB, entries ...obj) string {
	var es []any
	for _, e := range entries {
		es = append(es, e)
	}
	b, _ := json.MarshalIndent(obj{"resourceType": "Bundle", "type": "collection", "entry": es}, "", "  ")
	return string(b)
}

func entry(fullURL string, res obj) obj { return obj{"fullUrl": fullURL, "resource": res} }

// TestBadRecords: each bad record is rejected with the file, its line and
// the rule it broke, and no value; the good records of the file are kept.
func TestBadRecords(t *testing.T) {
	dir := t.TempDir()
	future := time.Now().AddDate(1, 0, 0).Format(time.RFC3339)
	path := writeFile(t, dir, "obs.ndjson", ndjson(t,
		creatinine("ok1", 1.1),                                                      // 1
		`{"resourceType":"Observation", "id": "x"`,                                  // 2 invalid JSON
		with(creatinine("nosubj", 1), "subject", nil),                               // 3
		with(creatinine("baddate", 1), "effectiveDateTime", "2020-13-45T10:00:00Z"), // 4
		with(creatinine("badunit", 1), "valueQuantity", qty(1.2, "furlongs")),       // 5
		`[1,2,3]`,              // 6 not a resource
		`{"id":"nothing"}`,     // 7 no resourceType
		"",                     // 8 blank: ignored
		creatinine("ok2", 2.2), // 9
		with(creatinine("badissued", 1), "issued", "yesterday"), // 10
		obj{"resourceType": "Condition", "id": "c1", "subject": obj{"reference": "Patient/p1"}, "code": obj{"text": "headache"}, "onsetDateTime": "2020-01-01"}, // 11
		with(creatinine("future", 1), "effectiveDateTime", future, "issued", nil),                                                                               // 12
		with(creatinine("notnum", 1), "valueQuantity", obj{"value": "1.5", "unit": "mg/dL"}),                                                                    // 13
		with(creatinine("group", 1), "subject", obj{"reference": "Group/g1"}),                                                                                   // 14
		with(creatinine("notime", 1), "effectiveDateTime", nil, "issued", nil),                                                                                  // 15
	))
	env := testEnv(t, newMapResolver())
	env.Now = time.Now
	c := runAdapter(t, env, path)["obs.ndjson"]
	if c.err != nil {
		t.Fatalf("file error: %v", c.err)
	}
	want := map[string]error{
		"line 2": fhir.ErrInvalidJSON, "line 3": fhir.ErrNoSubject, "line 4": fhir.ErrBadDate,
		"line 5": timeline.ErrUnknownUnit, "line 6": fhir.ErrNotResource, "line 7": fhir.ErrNotResource,
		"line 10": fhir.ErrBadDate, "line 11": fhir.ErrNoCode, "line 12": timeline.ErrFutureTime,
		"line 13": fhir.ErrBadValue, "line 14": fhir.ErrNoSubject, "line 15": fhir.ErrNoTime,
	}
	if len(c.rejects) != len(want) {
		t.Errorf("%d rejections, want %d: %v", len(c.rejects), len(want), c.rejects)
	}
	for _, r := range c.rejects {
		w, ok := want[r.Record]
		if !ok || !errors.Is(r, w) {
			t.Errorf("rejection %v: want %v", r, w)
		}
		if r.Source != "obs.ndjson" {
			t.Errorf("rejection %v: source %q", r, r.Source)
		}
		for _, leak := range []string{"furlongs", "2020-13-45", "yesterday", "headache", "1.5", "g1"} {
			if strings.Contains(r.Error(), leak) {
				t.Errorf("rejection %q carries a value (%s)", r.Error(), leak)
			}
		}
	}
	fields := map[string]string{}
	for _, r := range c.rejects {
		fields[r.Record] = r.Field
	}
	for loc, f := range map[string]string{"line 4": "effectiveDateTime", "line 5": "valueQuantity.unit", "line 10": "issued", "line 3": "subject"} {
		if fields[loc] != f {
			t.Errorf("%s: field %q, want %q", loc, fields[loc], f)
		}
	}
	if len(c.events) != 2 || c.events[0].Value != 1.1 || c.events[1].Value != 2.2 {
		t.Errorf("kept events %+v, want the two good ones", c.events)
	}
}

// TestBadBundleEntries: rejections in a Bundle name the entry index.
func TestBadBundleEntries(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "b.json", bundle(t,
		entry("urn:uuid:o1", creatinine("o1", 1)),
		entry("urn:uuid:o2", with(creatinine("o2", 1), "subject", nil)),
		entry("urn:uuid:o3", with(creatinine("o3", 1), "effectiveDateTime", "2020-02-30")),
		obj{"request": obj{"method": "DELETE", "url": "Patient/9"}},
		entry("urn:uuid:o5", creatinine("o5", 5)),
	))
	c := runAdapter(t, testEnv(t, newMapResolver()), path)["b.json"]
	if c.err != nil {
		t.Fatal(c.err)
	}
	got := map[string]error{}
	for _, r := range c.rejects {
		got[r.Record] = r.Err
	}
	if len(got) != 2 || !errors.Is(got["entry 1"], fhir.ErrNoSubject) || !errors.Is(got["entry 2"], fhir.ErrBadDate) {
		t.Errorf("rejections %v", c.rejects)
	}
	if c.skips["Bundle.entry:DELETE"] != 1 {
		t.Errorf("skips %v", c.skips)
	}
	if len(c.events) != 2 {
		t.Errorf("%d events, want 2", len(c.events))
	}
}

// TestTruncatedGzip: a gzip stream cut short is an error for that file;
// the batches written before it stay in the store.
func TestTruncatedGzip(t *testing.T) {
	dir := t.TempDir()
	var raw bytes.Buffer
	raw.WriteString(ndjson(t, obj{"resourceType": "Patient", "id": "p1", "gender": "male"}))
	for i := range 3000 {
		raw.WriteString(ndjson(t, creatinine(fmt.Sprintf("o%d", i), float64(i))))
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw.Bytes())
	zw.Close()
	cut := gz.Bytes()[:gz.Len()*2/3]
	path := filepath.Join(dir, "Observation.ndjson.gz")
	if err := os.WriteFile(path, cut, 0o644); err != nil {
		t.Fatal(err)
	}
	s := openStore(t)
	reg, _ := ingest.NewRegistry(fhir.New())
	r := &ingest.Runner{Target: s, Registry: reg, Env: ingest.Env{BatchRows: 100}}
	rep, err := r.Run(t.Context(), []string{path})
	if err != nil {
		t.Fatal(err)
	}
	f := rep.Files[0]
	if f.Err == nil || !errors.Is(f.Err, io.ErrUnexpectedEOF) || f.Status() != store.FileFailed {
		t.Fatalf("file error %v status %s, want unexpected EOF, failed", f.Err, f.Status())
	}
	if !strings.Contains(f.Err.Error(), "Observation.ndjson.gz") || !strings.Contains(f.Err.Error(), "after line") {
		t.Errorf("error %q does not name the file and line", f.Err)
	}
	n, err := s.Count(t.Context(), store.Cohort{}, store.Filter{Kinds: []timeline.Kind{timeline.KindLab}})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 || n >= 3000 || n != f.Result.Inserted-1 {
		t.Errorf("%d labs stored (inserted %d): want the whole batches read before the cut", n, f.Result.Inserted)
	}
	if n%100 != 0 && n != f.Result.Inserted-1 {
		t.Errorf("partial batch stored")
	}
}

// TestMalformedBundleDocument: a Bundle document cut in the middle of an
// entry is an error naming the line; the entries before stay.
func TestMalformedBundleDocument(t *testing.T) {
	dir := t.TempDir()
	doc := bundle(t, entry("urn:uuid:o1", creatinine("o1", 1)), entry("urn:uuid:o2", creatinine("o2", 2)), entry("urn:uuid:o3", creatinine("o3", 3)))
	cut := doc[:strings.Index(doc, `"o3"`)]
	path := writeFile(t, dir, "cut.json", cut)
	c := runAdapter(t, testEnv(t, newMapResolver()), path)["cut.json"]
	if !errors.Is(c.err, fhir.ErrMalformedBundle) || !strings.Contains(c.err.Error(), "end of input") {
		t.Errorf("err %v, want ErrMalformedBundle", c.err)
	}
	if len(c.events) != 2 {
		t.Errorf("%d events kept, want 2", len(c.events))
	}
}

// TestTooLongRecord: a line longer than the limit is rejected; the lines
// after it are read.
func TestTooLongRecord(t *testing.T) {
	dir := t.TempDir()
	long := with(creatinine("long", 1), "note", []any{obj{"text": strings.Repeat("x", 5000)}})
	path := writeFile(t, dir, "o.ndjson", ndjson(t, creatinine("a", 1), long, creatinine("b", 2)))
	c := runWith(t, &fhir.Adapter{MaxRecordBytes: 1000}, testEnv(t, newMapResolver()), path)["o.ndjson"]
	if len(c.rejects) != 1 || c.rejects[0].Record != "line 2" || !errors.Is(c.rejects[0], fhir.ErrTooLarge) {
		t.Errorf("rejections %v", c.rejects)
	}
	if len(c.events) != 2 {
		t.Errorf("%d events, want 2", len(c.events))
	}
}

// TestVersions: a newer version supersedes, an older or equal one changes
// nothing, identical content is a duplicate; without meta, amended and
// corrected supersede final and a final after them is stale.
func TestVersions(t *testing.T) {
	t.Run("store=sqlite", func(t *testing.T) { versions(t, openStore(t)) })
	t.Run("store=postgres", func(t *testing.T) { versions(t, openPostgres(t)) })
}

func versions(t *testing.T, s store.Store) {
	dir := t.TempDir()
	meta := func(v float64, updated string) obj {
		return with(creatinine("o1", v), "meta", obj{"lastUpdated": updated})
	}
	step := func(name string, res obj, want store.AppendResult) {
		t.Helper()
		path := writeFile(t, dir, name+".ndjson", ndjson(t, res))
		rep := runStore(t, s, ingest.Options{}, path)
		got := rep.Files[0].Result
		got.Details = 0
		if got != want {
			t.Errorf("%s: %+v, want %+v", name, got, want)
		}
	}
	step("v1", meta(1, "2020-01-01T00:00:00Z"), store.AppendResult{Inserted: 1})
	step("v2", meta(2, "2020-02-01T00:00:00Z"), store.AppendResult{Superseded: 1})
	step("v0", meta(0.5, "2019-01-01T00:00:00Z"), store.AppendResult{Stale: 1})
	step("v2again", meta(2, "2020-02-01T00:00:00Z"), store.AppendResult{Duplicate: 1})
	step("v2equal", meta(3, "2020-02-01T00:00:00Z"), store.AppendResult{Stale: 1})
	step("versionId", with(creatinine("o1", 4), "meta", obj{"versionId": "7"}), store.AppendResult{Stale: 1}) // 7 < lastUpdated µs

	step("final", creatinine("o2", 1), store.AppendResult{Inserted: 1})
	step("amended", with(creatinine("o2", 2), "status", "amended"), store.AppendResult{Superseded: 1})
	step("final-late", creatinine("o2", 1), store.AppendResult{Stale: 1})
	step("prelim", with(creatinine("o3", 1), "status", "preliminary"), store.AppendResult{Inserted: 1})
	step("final3", creatinine("o3", 3), store.AppendResult{Superseded: 1})

	subject, err := s.Lookup(t.Context(), timeline.Identifier{System: "fhir/Patient", Value: "p1"})
	if err != nil {
		t.Fatal(err)
	}
	cur := map[string]float64{}
	for _, e := range readTimeline(t, s, subject, store.Filter{}) {
		cur[e.Source] = e.Value
	}
	vals := map[float64]bool{}
	for _, v := range cur {
		vals[v] = true
	}
	if len(cur) != 3 || !vals[2] || !vals[3] {
		t.Errorf("current values %v, want o1=2 o2=2 o3=3", cur)
	}
}

// TestEnteredInErrorAndUnmapped: dropped resources and unmapped types are
// counted per category, not silently lost.
func TestEnteredInErrorAndUnmapped(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "x.ndjson", ndjson(t,
		with(creatinine("e1", 1), "status", "entered-in-error"),
		with(creatinine("e2", 1), "status", "cancelled"),
		obj{"resourceType": "Claim", "id": "c1"},
		obj{"resourceType": "Claim", "id": "c2"},
		obj{"resourceType": "Organization", "id": "org"},
		obj{"resourceType": "Condition", "id": "c", "subject": obj{"reference": "Patient/p1"}, "code": loinc("1"), "onsetDateTime": "2020",
			"verificationStatus": obj{"coding": []any{obj{"code": "entered-in-error"}}}},
		creatinine("ok", 1),
	))
	c := runAdapter(t, testEnv(t, newMapResolver()), path)["x.ndjson"]
	want := map[string]int64{"Observation:entered-in-error": 1, "Observation:cancelled": 1, "Claim": 2, "Organization": 1, "Condition:entered-in-error": 1}
	for k, n := range want {
		if c.skips[k] != n {
			t.Errorf("skip %s = %d, want %d (all: %v)", k, c.skips[k], n, c.skips)
		}
	}
	if len(c.events) != 1 {
		t.Errorf("%d events, want 1", len(c.events))
	}
}

// TestReferences: urn:uuid inside a Bundle (the Patient after the
// Observation, with another id), Patient/123 across NDJSON files (the
// Observation file first), Options.Namespace and absolute fullUrls.
func TestReferences(t *testing.T) {
	dir := t.TempDir()
	t.Run("bundle urn:uuid before its Patient", func(t *testing.T) {
		res := newMapResolver()
		path := writeFile(t, dir, "b.json", bundle(t,
			entry("urn:uuid:0c5f0b2e-0000-4000-8000-000000000001", with(creatinine("o1", 1), "subject", obj{"reference": "urn:uuid:aaaa0000-0000-4000-8000-0000000000aa"})),
			entry("urn:uuid:aaaa0000-0000-4000-8000-0000000000aa", obj{"resourceType": "Patient", "id": "p-77", "gender": "female",
				"identifier": []any{obj{"system": "urn:mrn", "value": "M77"}}}),
			entry("urn:uuid:0c5f0b2e-0000-4000-8000-000000000002", with(creatinine("o2", 2), "subject", obj{"reference": "urn:uuid:aaaa0000-0000-4000-8000-0000000000aa"})),
		))
		c := runAdapter(t, testEnv(t, res), path)["b.json"]
		if len(c.events) != 3 {
			t.Fatalf("events %v rejects %v", c.events, c.rejects)
		}
		mrn := res.subject(timeline.Identifier{System: "urn:mrn", Value: "M77"})
		byID := res.subject(timeline.Identifier{System: "fhir/Patient", Value: "p-77"})
		for _, e := range c.events {
			if res.subject(timeline.Identifier{System: "fhir/Patient", Value: "aaaa0000-0000-4000-8000-0000000000aa"}) != mrn || mrn != byID || mrn == 0 {
				t.Errorf("event %s subject %d; MRN %d; id %d", e.Code, e.SubjectID, mrn, byID)
			}
		}
	})
	t.Run("ndjson across files", func(t *testing.T) {
		res := newMapResolver()
		obs := writeFile(t, dir, "Observation.ndjson", ndjson(t, with(creatinine("o1", 1), "subject", obj{"reference": "Patient/123"})))
		pat := writeFile(t, dir, "Patient.ndjson", ndjson(t, obj{"resourceType": "Patient", "id": "123", "gender": "male",
			"identifier": []any{obj{"system": "urn:mrn", "value": "M123"}}}))
		got := runAdapter(t, testEnv(t, res), obs, pat)
		o, p := got["Observation.ndjson"].events, got["Patient.ndjson"].events
		if len(o) != 1 || len(p) != 1 || o[0].SubjectID != p[0].SubjectID || res.subject(timeline.Identifier{System: "urn:mrn", Value: "M123"}) != o[0].SubjectID {
			t.Errorf("observation %v patient %v", o, p)
		}
	})
	t.Run("namespace option and absolute fullUrl", func(t *testing.T) {
		res := newMapResolver()
		env := testEnv(t, res)
		env.Options.Namespace = "https://hospital.example/fhir"
		nd := writeFile(t, dir, "ns.ndjson", ndjson(t, with(creatinine("o1", 1), "subject", obj{"reference": "Patient/5"})))
		bd := writeFile(t, dir, "abs.json", bundle(t,
			entry("https://other.example/base/Observation/o9", with(creatinine("o9", 1), "subject", obj{"reference": "Patient/6"}))))
		got := runAdapter(t, env, nd, bd)
		if s := res.subject(timeline.Identifier{System: "https://hospital.example/fhir/Patient", Value: "5"}); s == 0 || s != got["ns.ndjson"].events[0].SubjectID {
			t.Errorf("namespace: subject %d", s)
		}
		if s := res.subject(timeline.Identifier{System: "https://other.example/base/Patient", Value: "6"}); s == 0 || s != got["abs.json"].events[0].SubjectID {
			t.Errorf("absolute base: subject %d", s)
		}
		if k := fhir.RecordKey("https://other.example/base", "Observation", "o9", ""); got["abs.json"].events[0].Key != k {
			t.Errorf("key of an absolute fullUrl resource")
		}
	})
	t.Run("patient without identity", func(t *testing.T) {
		path := writeFile(t, dir, "anon.ndjson", ndjson(t, obj{"resourceType": "Patient", "gender": "male"}))
		c := runAdapter(t, testEnv(t, newMapResolver()), path)["anon.ndjson"]
		if len(c.rejects) != 1 || !errors.Is(c.rejects[0], fhir.ErrNoPatientIdentity) {
			t.Errorf("rejects %v", c.rejects)
		}
	})
	t.Run("reference by identifier", func(t *testing.T) {
		res := newMapResolver()
		path := writeFile(t, dir, "ident.ndjson", ndjson(t, with(creatinine("o1", 1), "subject", obj{"identifier": obj{"system": "urn:mrn", "value": "Z1"}})))
		c := runAdapter(t, testEnv(t, res), path)["ident.ndjson"]
		if len(c.events) != 1 || c.events[0].SubjectID != res.subject(timeline.Identifier{System: "urn:mrn", Value: "Z1"}) {
			t.Errorf("events %v", c.events)
		}
	})
}

// TestMapping: what each resource becomes, field by field.
func TestMapping(t *testing.T) {
	dir := t.TempDir()
	pat := obj{"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1970-03-04", "deceasedDateTime": "2020-05-06T07:08:09+02:00"}
	bp := obj{
		"resourceType": "Observation", "id": "bp", "status": "final",
		"category": []any{obj{"coding": []any{obj{"code": "vital-signs"}}}},
		"code":     loinc("85354-9"), "subject": obj{"reference": "Patient/p1"},
		"effectiveDateTime": "2021-01-01T10:00:00Z", "issued": "2021-01-01T11:00:00Z",
		"component": []any{
			obj{"code": loinc("8480-6"), "valueQuantity": qty(120, "mm[Hg]")},
			obj{"code": loinc("8462-4"), "valueQuantity": qty(80, "mm[Hg]")},
			obj{"code": loinc("9999-9"), "dataAbsentReason": obj{"text": "x"}},
		},
	}
	sat := obj{
		"resourceType": "Observation", "id": "sat", "status": "final", "subject": obj{"reference": "Patient/p1"},
		"code": obj{"coding": []any{
			obj{"system": "urn:iso:std:iso:11073:10101", "code": "150456"},
			obj{"system": "http://loinc.org", "code": "2708-6"},
			obj{"system": "http://loinc.org", "code": "59408-5"},
		}},
		"effectivePeriod": obj{"start": "2021-02-01T10:00:00Z", "end": "2021-02-01T10:05:00Z"},
		"valueQuantity":   qty(95, "%"),
	}
	smoke := obj{
		"resourceType": "Observation", "id": "smoke", "status": "final", "subject": obj{"reference": "Patient/p1"},
		"code": loinc("72166-2"), "effectiveDateTime": "2021-03",
		"valueCodeableConcept": obj{"coding": []any{obj{"system": "http://snomed.info/sct", "code": "428041000124106", "display": "Current some day smoker"}}},
	}
	cond := obj{
		"resourceType": "Condition", "id": "c1", "subject": obj{"reference": "Patient/p1"},
		"code": obj{"coding": []any{
			obj{"system": "http://snomed.info/sct", "code": "197321007", "display": "Steatosis of liver"},
			obj{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "K76.0", "display": "Fatty liver"},
		}},
		"onsetDateTime": "2019-06-01", "abatementDateTime": "2020-06-01",
	}
	med := obj{
		"resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order", "subject": obj{"reference": "Patient/p1"},
		"medicationCodeableConcept": obj{"coding": []any{
			obj{"system": "http://snomed.info/sct", "code": "108600003"},
			obj{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "860975", "display": "metformin 500 MG"},
		}},
		"authoredOn": "2021-04-01",
		"dosageInstruction": []any{obj{
			"timing":      obj{"repeat": obj{"boundsPeriod": obj{"start": "2021-04-02", "end": "2021-07-02"}}},
			"doseAndRate": []any{obj{"doseQuantity": obj{"value": 500, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}}},
		}},
	}
	enc := obj{
		"resourceType": "Encounter", "id": "e1", "status": "finished", "subject": obj{"reference": "Patient/p1"},
		"class":  obj{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
		"type":   []any{obj{"coding": []any{obj{"system": "http://snomed.info/sct", "code": "183452005", "display": "Emergency hospital admission"}}}},
		"period": obj{"start": "2021-05-01T08:00:00Z", "end": "2021-05-04T12:00:00Z"},
	}
	study := obj{
		"resourceType": "ImagingStudy", "id": "is1", "status": "available", "subject": obj{"reference": "Patient/p1"},
		"identifier": []any{obj{"system": "urn:dicom:uid", "value": "urn:oid:1.2.840.113619.2.55.3"}},
		"started":    "2021-05-02T09:00:00Z",
		"series": []any{
			obj{"uid": "1.2.3.4.1", "modality": obj{"code": "CT"}, "bodySite": obj{"code": "10200004", "display": "Liver"}, "numberOfInstances": 120},
			obj{"uid": "1.2.3.4.2", "modality": obj{"code": "CT"}, "instance": []any{obj{"uid": "1"}, obj{"uid": "2"}}},
		},
	}
	report := obj{
		"resourceType": "DiagnosticReport", "id": "r1", "status": "final", "subject": obj{"reference": "Patient/p1"},
		"category": []any{obj{"coding": []any{obj{"code": "LAB"}}}}, "code": loinc("24323-8"),
		"effectiveDateTime": "2021-06-01T08:00:00Z", "issued": "2021-06-02T08:00:00Z",
		"result":       []any{obj{"reference": "Observation/sat"}, obj{"reference": "Observation/smoke"}},
		"imagingStudy": []any{obj{"reference": "ImagingStudy/is1"}},
	}
	imm := obj{"resourceType": "Immunization", "id": "i1", "status": "completed", "patient": obj{"reference": "Patient/p1"},
		"vaccineCode": obj{"coding": []any{obj{"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}}}, "occurrenceDateTime": "2021-10-01"}
	path := writeFile(t, dir, "all.ndjson", ndjson(t, pat, bp, sat, smoke, cond, med, enc, study, report, imm))
	c := runAdapter(t, testEnv(t, newMapResolver()), path)["all.ndjson"]
	if len(c.rejects) > 0 {
		t.Fatalf("rejects %v", c.rejects)
	}
	ts := func(s string) time.Time {
		for _, l := range []string{time.RFC3339, "2006-01-02", "2006-01"} {
			if t, err := time.Parse(l, s); err == nil {
				return t.UTC()
			}
		}
		t.Fatalf("bad time %s", s)
		return time.Time{}
	}
	type ev struct {
		key              timeline.Key
		code             string
		kind             timeline.Kind
		time, end, avail string
		value            float64
		hasValue         bool
		unit, text       string
	}
	k := func(typ, id, part string) timeline.Key { return fhir.RecordKey("fhir", typ, id, part) }
	want := []ev{
		{k("Patient", "p1", "birth"), timeline.CodeBirth, timeline.KindDemographic, "1970-03-04", "", "", 0, false, "", ""},
		{k("Patient", "p1", "sex"), timeline.CodeSexFemale, timeline.KindDemographic, "", "", "", 0, false, "", ""},
		{k("Patient", "p1", "death"), timeline.CodeDeath, timeline.KindDemographic, "2020-05-06T05:08:09Z", "", "", 0, false, "", ""},
		{k("Observation", "bp", "component/0"), "LOINC//8480-6", timeline.KindVital, "2021-01-01T10:00:00Z", "", "2021-01-01T11:00:00Z", 120, true, "mm[Hg]", ""},
		{k("Observation", "bp", "component/1"), "LOINC//8462-4", timeline.KindVital, "2021-01-01T10:00:00Z", "", "2021-01-01T11:00:00Z", 80, true, "mm[Hg]", ""},
		{k("Observation", "sat", ""), "LOINC//2708-6", timeline.KindVital, "2021-02-01T10:00:00Z", "2021-02-01T10:05:00Z", "", 95, true, "%", "MDC//150456 LOINC//59408-5"},
		{k("Observation", "smoke", ""), "LOINC//72166-2", timeline.KindObservation, "2021-03", "", "", 0, false, "", "SNOMED//428041000124106 Current some day smoker"},
		{k("Condition", "c1", ""), "ICD10CM//K76.0", timeline.KindDiagnosis, "2019-06-01", "2020-06-01", "", 0, false, "", "Fatty liver"},
		{k("Condition", "c1", "coding/0"), "SNOMED//197321007", timeline.KindDiagnosis, "2019-06-01", "2020-06-01", "", 0, false, "", "Steatosis of liver"},
		{k("MedicationRequest", "m1", ""), "RXNORM//860975", timeline.KindMedication, "2021-04-02", "2021-07-02", "", 500, true, "mg", "metformin 500 MG"},
		{k("MedicationRequest", "m1", "coding/0"), "SNOMED//108600003", timeline.KindMedication, "2021-04-02", "2021-07-02", "", 500, true, "mg", "metformin 500 MG"},
		{k("Encounter", "e1", ""), "ENCOUNTER//IMP", timeline.KindEncounter, "2021-05-01T08:00:00Z", "2021-05-04T12:00:00Z", "", 0, false, "", "SNOMED//183452005 Emergency hospital admission"},
		{k("ImagingStudy", "is1", ""), "IMAGING//CT", timeline.KindImagingStudy, "2021-05-02T09:00:00Z", "", "", 0, false, "", "1.2.840.113619.2.55.3"},
		{k("DiagnosticReport", "r1", ""), "LOINC//24323-8", timeline.KindLab, "2021-06-01T08:00:00Z", "", "2021-06-02T08:00:00Z", 0, false, "", "Observation/sat Observation/smoke ImagingStudy/is1"},
		{k("Immunization", "i1", ""), "CVX//140", timeline.KindProcedure, "2021-10-01", "", "", 0, false, "", ""},
	}
	got := map[timeline.Key]timeline.Event{}
	for _, e := range c.events {
		got[e.Key] = e
	}
	if len(c.events) != len(want) {
		t.Errorf("%d events, want %d", len(c.events), len(want))
	}
	for _, w := range want {
		e, ok := got[w.key]
		if !ok {
			t.Errorf("missing %s", w.code)
			continue
		}
		var wt, we, wa time.Time
		if w.time != "" {
			wt = ts(w.time)
		}
		if w.end != "" {
			we = ts(w.end)
		}
		if w.avail != "" {
			wa = ts(w.avail)
		}
		if e.Code != w.code || e.Kind != w.kind || !e.Time.Equal(wt) || !e.EndTime.Equal(we) || !e.AvailableAt.Equal(wa) ||
			e.HasValue != w.hasValue || e.Value != w.value || e.Unit != w.unit || e.Text != w.text {
			t.Errorf("%s:\n got %s %s %s–%s avail %s %v/%v %q %q\nwant %s %s %s–%s avail %s %v/%v %q %q", w.code,
				e.Code, e.Kind, e.Time, e.EndTime, e.AvailableAt, e.Value, e.HasValue, e.Unit, e.Text,
				w.code, w.kind, wt, we, wa, w.value, w.hasValue, w.unit, w.text)
		}
		if e.Source == "" || !strings.HasPrefix(e.Source, "all.ndjson#L") {
			t.Errorf("%s: source %q", w.code, e.Source)
		}
	}
	if c.skips["Observation.component:no-value"] != 1 {
		t.Errorf("skips %v", c.skips)
	}
	if len(c.imaging) != 2 || c.imaging[0].StudyUID != "1.2.840.113619.2.55.3" || c.imaging[0].SeriesUID != "1.2.3.4.1" ||
		c.imaging[0].BodyPart != "Liver" || c.imaging[0].Instances != 120 || c.imaging[1].Instances != 2 || c.imaging[0].Key != k("ImagingStudy", "is1", "") {
		t.Errorf("imaging details %+v", c.imaging)
	}
	// The report's text turns into its results' keys.
	for _, ref := range strings.Fields(got[k("DiagnosticReport", "r1", "")].Text) {
		typ, id, _ := strings.Cut(ref, "/")
		if _, ok := got[fhir.RecordKey("fhir", typ, id, "")]; !ok {
			t.Errorf("report link %s does not find its event", ref)
		}
	}
}

// TestTumorSize: mCODE tumor size → a lesion event in mm and a lesions row
// identified by the focus BodyStructure, whose location gives the site.
func TestTumorSize(t *testing.T) {
	dir := t.TempDir()
	size := func(id, date string, long, short float64) obj {
		return obj{
			"resourceType": "Observation", "id": id, "status": "final",
			"meta":              obj{"profile": []any{"http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-tumor-size"}},
			"code":              loinc("21889-1"),
			"subject":           obj{"reference": "urn:uuid:pat-1"},
			"focus":             []any{obj{"reference": "urn:uuid:tumor-1"}},
			"effectiveDateTime": date,
			"component": []any{
				obj{"code": loinc("33728-7"), "valueQuantity": qty(long, "cm")},
				obj{"code": loinc("33729-5"), "valueQuantity": qty(short, "mm")},
			},
		}
	}
	path := writeFile(t, dir, "tumor.json", bundle(t,
		entry("urn:uuid:pat-1", obj{"resourceType": "Patient", "id": "pat-1", "gender": "male"}),
		entry("urn:uuid:tumor-1", obj{"resourceType": "BodyStructure", "id": "tumor-1", "patient": obj{"reference": "urn:uuid:pat-1"},
			"location": obj{"coding": []any{obj{"system": "http://snomed.info/sct", "code": "10200004", "display": "Liver structure"}}}}),
		entry("urn:uuid:s1", size("s1", "2021-01-01", 2.5, 18)),
		entry("urn:uuid:s2", size("s2", "2021-04-01", 1.9, 12)),
	))
	c := runAdapter(t, testEnv(t, newMapResolver()), path)["tumor.json"]
	if len(c.rejects) > 0 {
		t.Fatal(c.rejects)
	}
	var lesions []timeline.Event
	for _, e := range c.events {
		if e.Kind == timeline.KindLesion {
			lesions = append(lesions, e)
		}
	}
	if len(lesions) != 2 || lesions[0].Code != "LOINC//21889-1" || lesions[0].Value != 25 || lesions[0].Unit != "mm" || lesions[1].Value != 19 {
		t.Errorf("lesion events %+v", lesions)
	}
	if len(c.lesions) != 2 {
		t.Fatalf("lesion rows %+v", c.lesions)
	}
	for i, want := range [][2]float64{{25, 18}, {19, 12}} {
		l := c.lesions[i]
		if l.LesionID != "BodyStructure/tumor-1" || l.LongAxisMM != want[0] || l.ShortAxisMM != want[1] ||
			l.Site != "Liver structure" || l.SiteCode != "SNOMED//10200004" || l.Key != lesions[i].Key {
			t.Errorf("lesion row %d: %+v", i, l)
		}
	}
	if c.skips["BodyStructure:reference-target"] != 1 {
		t.Errorf("skips %v", c.skips)
	}
}

// TestMedicationReferences: a request's drug from a Medication in another
// NDJSON file of the run, from a contained Medication, or unresolved.
func TestMedicationReferences(t *testing.T) {
	dir := t.TempDir()
	req := func(id, ref string, contained ...any) obj {
		o := obj{"resourceType": "MedicationRequest", "id": id, "status": "active", "subject": obj{"reference": "Patient/p1"},
			"authoredOn": "2021-01-01", "medicationReference": obj{"reference": ref}}
		if len(contained) > 0 {
			o["contained"] = contained
		}
		return o
	}
	reqs := writeFile(t, dir, "MedicationRequest.ndjson", ndjson(t,
		req("r1", "Medication/med1"),
		req("r2", "#m", obj{"resourceType": "Medication", "id": "m", "code": obj{"coding": []any{obj{"system": "http://www.whocc.no/atc", "code": "L01XE01"}}}}),
		req("r3", "Medication/unknown"),
	))
	meds := writeFile(t, dir, "Medication.ndjson", ndjson(t,
		obj{"resourceType": "Medication", "id": "med1", "code": obj{"coding": []any{obj{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1946827"}}}}))
	got := runAdapter(t, testEnv(t, newMapResolver()), reqs, meds)
	c := got["MedicationRequest.ndjson"]
	codes := map[string]bool{}
	for _, e := range c.events {
		codes[e.Code] = true
	}
	if !codes["RXNORM//1946827"] || !codes["ATC//L01XE01"] || len(c.events) != 2 {
		t.Errorf("events %v", c.events)
	}
	if len(c.rejects) != 1 || c.rejects[0].Record != "line 3" || !errors.Is(c.rejects[0], fhir.ErrUnresolved) {
		t.Errorf("rejects %v", c.rejects)
	}
}

// TestLayouts: detection and layout by content: pretty and one-line
// Bundles, NDJSON (plain and gzip), a single resource, a non-FHIR JSON.
func TestLayouts(t *testing.T) {
	dir := t.TempDir()
	a := fhir.New()
	one := js(t, creatinine("o1", 1))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(ndjson(t, creatinine("g1", 1), creatinine("g2", 2))))
	zw.Close()
	files := map[string]struct {
		content string
		events  int
	}{
		"pretty.json":  {bundle(t, entry("urn:uuid:a", creatinine("a", 1)), entry("urn:uuid:b", creatinine("b", 1))), 2},
		"oneline.json": {js(t, obj{"resourceType": "Bundle", "type": "searchset", "entry": []any{entry("urn:uuid:a", creatinine("a", 1))}}), 1},
		"single.json":  {one, 1},
		"single-pretty.json": {func() string {
			b, _ := json.MarshalIndent(creatinine("p", 1), "", " ")
			return string(b)
		}(), 1},
		"lines.ndjson":     {ndjson(t, creatinine("l1", 1), creatinine("l2", 1), creatinine("l3", 1)), 3},
		"bundles.ndjson":   {ndjson(t, obj{"resourceType": "Bundle", "entry": []any{entry("urn:uuid:x", creatinine("x", 1))}}, obj{"resourceType": "Bundle", "entry": []any{entry("urn:uuid:y", creatinine("y", 1))}}), 2},
		"export.ndjson.gz": {gz.String(), 2},
	}
	var paths []string
	for name, f := range files {
		p := writeFile(t, dir, name, f.content)
		head, _, err := ingest.ReadHead(p)
		if err != nil {
			t.Fatal(err)
		}
		if !a.Detect(p, head) {
			t.Errorf("%s not detected", name)
		}
		paths = append(paths, p)
	}
	for _, notFHIR := range []string{`{"a": 1}`, `[{"resourceType": "Patient"}]`, "##fileformat=VCFv4.2\n"} {
		if a.Detect("x", []byte(notFHIR)) {
			t.Errorf("%q detected as FHIR", notFHIR)
		}
	}
	got := runAdapter(t, testEnv(t, newMapResolver()), paths...)
	for name, f := range files {
		c := got[name]
		if c.err != nil || len(c.rejects) > 0 || len(c.events) != f.events {
			t.Errorf("%s: err %v rejects %v events %d, want %d", name, c.err, c.rejects, len(c.events), f.events)
		}
	}
}
