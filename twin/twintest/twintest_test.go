package twintest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseAndCheck(t *testing.T) {
	src := `# comment
patient birth=1960-01-01 sex=F
asof 2024-02-01
2024-01-10T08:00~2024-01-11 LOINC//1975-2 1.9 mg/dL   # bilirubin, issued next day
2024-01-10..2024-01-20 ICD10CM//J18.9 text="a # in text"
2024-01-10 IMAGING//CT//liver_mean_hu 40 HU contrast=none study=1.2.3
variant GRCh38 chr22 43928847 C G 0/1
expect path "a.b[name=MELD 3.0].c" = 13
expect score "MELD 3.0" at 2024-01-10 = 13 category "10-19"
`
	s, err := Parse("x.scen", strings.NewReader(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Events) != 6 || len(s.Details.Variants) != 1 || len(s.Details.Imaging) != 1 || s.AsOf.IsZero() {
		t.Fatalf("parsed %d events, %+v", len(s.Events), s.Details)
	}
	bili := s.Events[2]
	if bili.AvailableAt.IsZero() || bili.Value != 1.9 || bili.Unit != "mg/dL" || bili.Kind.String() != "lab" {
		t.Errorf("bilirubin event = %+v", bili)
	}
	dx := s.Events[3]
	if dx.EndTime.IsZero() || dx.Text != "a # in text" || dx.Kind.String() != "diagnosis" {
		t.Errorf("diagnosis event = %+v", dx)
	}
	if s.Expects[1].Args[0] != "MELD 3.0" {
		t.Errorf("quoted name = %q", s.Expects[1].Args[0])
	}
	doc := map[string]any{"a": map[string]any{"b": []any{map[string]any{"name": "MELD 3.0", "c": 13.0}}},
		"s": map[string]any{"name": "MELD 3.0", "time": "2024-01-10T00:00:00Z", "formulaVersion": "v", "value": 13.4, "category": "10-19"}}
	fails, err := s.Check(doc)
	if err != nil || len(fails) != 0 {
		t.Errorf("check: %v %v", fails, err)
	}
	doc["s"].(map[string]any)["value"] = 14.0
	if fails, _ := s.Check(doc); len(fails) != 1 {
		t.Errorf("a wrong value passed: %v", fails)
	}
}

func TestParseErrors(t *testing.T) {
	for _, src := range []string{
		"2024-13-01 LOINC//1975-2 1 mg/dL",
		"2024-01-01 LOINC//1975-2 one mg/dL",
		"2024-01-01 LOINC//1975-2 1 furlong",
		"2024-01-01 LOINC//1975-2 1 mg/dL extra",
		`2024-01-01 LOINC//1975-2 text="open`,
		"variant GRCh38 chr22 x C G 0/1",
		"expect nothing",
		"asof",
	} {
		if _, err := Parse("bad.scen", strings.NewReader(src), nil); err == nil {
			t.Errorf("accepted %q", src)
		} else if !strings.Contains(err.Error(), "bad.scen:1") {
			t.Errorf("error %q does not name the line", err)
		}
	}
}

func TestLookup(t *testing.T) {
	var doc any
	json.Unmarshal([]byte(`{"x":[{"k":"a","v":1},{"k":"b","v":[5,6]}],"y":null}`), &doc)
	for path, want := range map[string]any{"x[k=b].v[-1]": 6.0, "x[0].v": 1.0, "y": nil, "x[1].missing": nil} {
		got, err := lookup(doc, path)
		if err != nil || got != want {
			t.Errorf("%s = %v %v, want %v", path, got, err, want)
		}
	}
	for _, path := range []string{"x[5]", "x[k=c]", "z.q", "x.k"} {
		if _, err := lookup(doc, path); err == nil {
			t.Errorf("%s: no error", path)
		}
	}
}

// FuzzParse: the scenario parser never panics.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"../liver/testdata", "../pneumonia/testdata"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.scen"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(string(b))
			}
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		s, err := Parse("fuzz.scen", strings.NewReader(src), nil)
		if err == nil {
			s.Check(map[string]any{})
		}
	})
}
