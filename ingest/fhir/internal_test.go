package fhir

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/internal/testdata"
	"github.com/medtwin/medtwin/timeline"
)

func TestParseTime(t *testing.T) {
	utc := func(y, mo, d, h, mi, s, ns int) time.Time {
		return time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC)
	}
	good := map[string]time.Time{
		"2020":                           utc(2020, 1, 1, 0, 0, 0, 0),
		"2020-02":                        utc(2020, 2, 1, 0, 0, 0, 0),
		"2020-02-29":                     utc(2020, 2, 29, 0, 0, 0, 0),
		"2012-09-10T15:29:24+00:00":      utc(2012, 9, 10, 15, 29, 24, 0),
		"2012-09-10T15:29:24.181+00:00":  utc(2012, 9, 10, 15, 29, 24, 181000000),
		"2022-04-01T12:46:59-03:00":      utc(2022, 4, 1, 15, 46, 59, 0),
		"2013-04-02T09:30:10+01:00":      utc(2013, 4, 2, 8, 30, 10, 0),
		"2016-03-18T05:27:04Z":           utc(2016, 3, 18, 5, 27, 4, 0),
		"2016-03-18T05:27:04.123456789Z": utc(2016, 3, 18, 5, 27, 4, 123456000),
		"2016-03-18T05:27:04":            utc(2016, 3, 18, 5, 27, 4, 0), // no zone: UTC
		"2016-03-18T05:27Z":              utc(2016, 3, 18, 5, 27, 0, 0), // no seconds
		"2016-12-31T23:59:60Z":           utc(2016, 12, 31, 23, 59, 59, 999999000),
		"2016-03-18T24:00:00Z":           utc(2016, 3, 19, 0, 0, 0, 0),
		"2016-03-18T05:27:04.5+14:00":    utc(2016, 3, 17, 15, 27, 4, 500000000),
	}
	for in, want := range good {
		got, err := parseTime([]byte(in))
		if err != nil || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "20", "2020-13", "2019-02-29", "2020-04-31", "2020-1-1", "2020-01-01T", "2020-01-01 10:00:00",
		"2020-01-01T25:00:00Z", "2020-01-01T10:61:00Z", "2020-01-01T10:00:00.Z", "2020-01-01T10:00:00+1:00", "2020-01-01T10:00:00+15:00",
		"2020-01-01T24:00:01Z", "yesterday", "0000-01-01", "2020-01-01T10:00:00ZZ"} {
		if _, err := parseTime([]byte(in)); err == nil {
			t.Errorf("parseTime(%q) accepted", in)
		}
	}
}

func TestSplitRef(t *testing.T) {
	for in, want := range map[string]parsedRef{
		"Patient/123":                        {kind: refRelative, typ: []byte("Patient"), id: []byte("123")},
		"Patient/123/_history/4":             {kind: refRelative, typ: []byte("Patient"), id: []byte("123")},
		"http://x.org/fhir/Patient/9":        {kind: refAbsolute, base: []byte("http://x.org/fhir"), typ: []byte("Patient"), id: []byte("9")},
		"urn:uuid:abc":                       {kind: refURN, urn: []byte("urn:uuid:abc"), id: []byte("abc")},
		"#p1":                                {kind: refContained, contained: []byte("p1")},
		"Practitioner?identifier=http://x|1": {},
		"patient/1":                          {},
		"123":                                {},
		"":                                   {},
	} {
		got := splitRef([]byte(in))
		if got.kind != want.kind || string(got.base) != string(want.base) || string(got.typ) != string(want.typ) || string(got.id) != string(want.id) {
			t.Errorf("splitRef(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func TestVocab(t *testing.T) {
	for sys, want := range map[string]string{
		"http://loinc.org": "LOINC", "http://snomed.info/sct": "SNOMED", "http://hl7.org/fhir/sid/icd-10-cm": "ICD10CM",
		"http://www.nlm.nih.gov/research/umls/rxnorm": "RXNORM", "http://acme.org//lab/": "acme.org/lab",
		"urn:oid:1.2.3": "urn:oid:1.2.3", "": "LOCAL",
	} {
		if got := vocabOf(sys); got != want {
			t.Errorf("vocabOf(%q) = %q, want %q", sys, got, want)
		}
	}
}

// fuzzResolver hands out subject ids without a store.
type fuzzResolver struct {
	mu sync.Mutex
	m  map[timeline.Identifier]int64
}

func (r *fuzzResolver) Resolve(_ context.Context, ids ...timeline.Identifier) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		if s, ok := r.m[id]; ok {
			return s, nil
		}
	}
	s := int64(len(r.m) + 1)
	for _, id := range ids {
		r.m[id] = s
	}
	return s, nil
}

// seedResources adds every resource of the shared FHIR files (NDJSON lines,
// Bundle entries' resources, single resources) to the fuzz corpus.
func seedResources(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Observation","id":"o","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2160-0"}]},"subject":{"reference":"Patient/p"},"effectiveDateTime":"2020-01-01","valueQuantity":{"value":1,"code":"mg/dL"}}`))
	root := testdata.Root()
	if root == "" {
		return
	}
	var p fastjson.Parser
	filepath.WalkDir(filepath.Join(root, "fhir"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		if strings.HasSuffix(path, ".ndjson") {
			sc := bufio.NewScanner(bytes.NewReader(b))
			sc.Buffer(nil, 16<<20)
			for i := 0; sc.Scan() && i < 20; i++ {
				f.Add(append([]byte(nil), sc.Bytes()...))
			}
			return nil
		}
		if !strings.HasSuffix(path, ".json") {
			return nil
		}
		v, err := p.ParseBytes(b)
		if err != nil {
			return nil
		}
		if string(v.GetStringBytes("resourceType")) != "Bundle" {
			f.Add(b)
			return nil
		}
		for i, e := range v.GetArray("entry") {
			if i >= 30 {
				break
			}
			if r := e.Get("resource"); r != nil {
				f.Add(r.MarshalTo(nil))
			}
		}
		return nil
	})
}

// FuzzFHIRResource feeds arbitrary bytes to the resource decoder: parse,
// map, validate and append like the adapter does. It must never panic, and
// every event it keeps must pass the timeline's validation.
func FuzzFHIRResource(f *testing.F) {
	seedResources(f)
	env := &ingest.Env{Resolver: &fuzzResolver{m: map[timeline.Identifier]int64{}}, Codes: timeline.DefaultCodes()}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p fastjson.Parser
		v, err := p.ParseBytes(data)
		if err != nil {
			return
		}
		m := newMapper(context.Background(), env, DefaultNamespace, "fuzz.ndjson", newRefIndex())
		rc := &recCtx{loc: "line 1", source: "fuzz.ndjson#L1", raw: data, bundle: newRefIndex()}
		if err := m.resource(v, rc); err != nil {
			t.Fatalf("fatal error from an in-memory resolver: %v", err)
		}
		o := m.out
		ev := 0
		for _, g := range o.groups {
			if g.ev < ev || g.ev > len(o.events) {
				t.Fatalf("group bounds %d..%d of %d", ev, g.ev, len(o.events))
			}
			for _, e := range o.events[ev:g.ev] {
				if e.Code == "" || !e.Kind.Valid() || e.SubjectID == 0 || e.Key.IsZero() {
					t.Fatalf("invalid event %+v", e)
				}
			}
			ev = g.ev
		}
		if ev != len(o.events) {
			t.Fatalf("%d events outside groups", len(o.events)-ev)
		}
		for _, r := range o.rejects {
			if r.Err == nil || r.Record != "line 1" {
				t.Fatalf("rejection without a rule or locator: %+v", r)
			}
		}
	})
}

// FuzzBundleScanner feeds arbitrary documents to the streaming Bundle
// scanner: no panic, no endless loop, entries handed out in order.
func FuzzBundleScanner(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"resource":{"a":"\"}"}},{"b":[1,{"c":null}]}]}`))
	f.Add([]byte(`{"entry":[`))
	f.Add([]byte(`{"entry":[{}]} trailing`))
	f.Add([]byte(`{"type":"x","entry":[{"s":"\\"}],"total":3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		next := 0
		streamBundle(newDocScanner(bytes.NewReader(data)), 1<<10, func(i int, entry []byte, tooLarge bool) error {
			if i != next {
				t.Fatalf("entry %d after %d", i, next-1)
			}
			next++
			if !tooLarge && len(entry) > 1<<10 {
				t.Fatalf("entry of %d bytes above the limit", len(entry))
			}
			return nil
		})
		classify(data)
		topLevelType(data)
	})
}
