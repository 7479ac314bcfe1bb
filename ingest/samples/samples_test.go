package samples

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/medtwin/medtwin/timeline"
)

func TestParseManifest(t *testing.T) {
	m, err := ParseManifest(strings.NewReader("\ufeffSample, System ,value,tumor_normal,collected,tissue\n"+
		"# a comment\n"+
		"S1,mrn,M1,normal,2024-03-01,blood\n"+
		"S1,urn:fhir:patient,p-1,,,\n"+
		"S1,mrn,M1,,,\n"+
		"T1,mrn,M1,tumour,2024-04-02T10:30:00+02:00,liver\n"+
		"X,mrn,M9,,,\n"), "m.csv")
	if err != nil {
		t.Fatal(err)
	}
	e, ok := m.Lookup("S1")
	if !ok || len(e.IDs) != 2 || e.IDs[1] != (timeline.Identifier{System: "urn:fhir:patient", Value: "p-1"}) ||
		!e.Collected.Equal(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)) || e.Tissue != "blood" || e.Origin != Germline {
		t.Errorf("S1: %+v", e)
	}
	e, _ = m.Lookup("T1")
	if !e.Collected.Equal(time.Date(2024, 4, 2, 8, 30, 0, 0, time.UTC)) || e.Origin != Somatic || e.Tissue != "liver" {
		t.Errorf("T1: %+v", e)
	}
	if e, _ := m.Lookup("X"); e.Origin != "" || !e.Collected.IsZero() {
		t.Errorf("X: %+v", e)
	}
	if m.Len() != 3 {
		t.Errorf("len %d", m.Len())
	}
}

func TestManifestErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "m.csv: empty"},
		{"sample,system\nS1,mrn\n", "line 1: no \"value\" column"},
		{"sample,system,value,colected\n", "line 1: unknown column \"colected\""},
		{"sample,system,value,value\n", "line 1: column \"value\" twice"},
		{"sample,system,value\nS1,mrn,\n", "line 2: column value: empty"},
		{"sample,system,value\nS1,mrn,M1,extra\n", "line 2: wrong number of fields"},
		{"sample,system,value,collected\nS1,mrn,M1,03/01/2024\n", "line 2: column collected: not a date"},
		{"sample,system,value,collected\nS1,mrn,M1,2024-03-01\nS1,mrn,M2,2024-03-02\n", "line 3: column collected: differs"},
		{"sample,system,value,tumor_normal\nS1,mrn,M1,maybe\n", "line 2: column tumor_normal: want tumor or normal"},
		{"sample,system,value,tumor_normal\nS1,mrn,M1,tumor\nS1,mrn,M1,normal\n", "line 3: column tumor_normal: differs"},
	} {
		_, err := ParseManifest(strings.NewReader(c.in), "m.csv")
		if !errors.Is(err, ErrManifest) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.in, err, c.want)
		}
		if err != nil && (strings.Contains(err.Error(), "M1") || strings.Contains(err.Error(), "S1")) {
			t.Errorf("error carries identifiers: %v", err)
		}
	}
}

type fakeResolver struct {
	calls [][]timeline.Identifier
}

func (f *fakeResolver) Resolve(_ context.Context, ids ...timeline.Identifier) (int64, error) {
	f.calls = append(f.calls, ids)
	return int64(len(f.calls)), nil
}

func TestLinker(t *testing.T) {
	m, err := ParseManifest(strings.NewReader("sample,system,value,tumor_normal\nS1,mrn,M1,tumor\nS1,fhir,p1,\n"), "m.csv")
	if err != nil {
		t.Fatal(err)
	}
	r := &fakeResolver{}
	l := NewLinkerFrom(m, "lab", r)
	ctx := context.Background()
	k, _ := l.Link(ctx, "S1", "vcf-sample:a.vcf")
	if !k.Linked || k.Origin != Somatic || len(r.calls[0]) != 2 {
		t.Errorf("manifest link %+v %v", k, r.calls)
	}
	k2, _ := l.Link(ctx, "S1", "vcf-sample:a.vcf")
	if k2 != k || len(r.calls) != 1 {
		t.Error("link not cached")
	}
	k, _ = l.Link(ctx, "S2", "vcf-sample:a.vcf")
	if !k.Linked || r.calls[1][0] != (timeline.Identifier{System: "lab", Value: "S2"}) {
		t.Errorf("sample-system link %+v %v", k, r.calls)
	}
	l = NewLinkerFrom(nil, "", r)
	k, _ = l.Link(ctx, "S3", UnlinkedSystem("vcf", "/data/run1/tumor.vcf.gz"))
	if k.Linked || r.calls[2][0] != (timeline.Identifier{System: "vcf-sample:tumor.vcf.gz", Value: "S3"}) {
		t.Errorf("unlinked %+v %v", k, r.calls)
	}
}

// FuzzManifest: no manifest makes the parser panic; a parsed one has
// non-empty samples and identifiers.
func FuzzManifest(f *testing.F) {
	f.Add("sample,system,value,collected,tissue,tumor_normal\nS1,mrn,M1,2024-03-01,blood,normal\n")
	f.Add("sample,system,value\n\"S,1\",mrn,\"M\"\"1\"\n")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := ParseManifest(strings.NewReader(in), "m.csv")
		if err != nil {
			return
		}
		for s, e := range m.entries {
			if s == "" || len(e.IDs) == 0 {
				t.Fatalf("entry %q %+v", s, e)
			}
			for _, id := range e.IDs {
				if id.System == "" || id.Value == "" {
					t.Fatalf("empty identifier %+v", id)
				}
			}
		}
	})
}
