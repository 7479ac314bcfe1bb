package twintest

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

// ComputeFunc computes a twin for a scenario's view.
type ComputeFunc func(s *Scenario, v *twin.View) (any, error)

// RunDir runs every scenario file matching pattern three ways:
//
//   - as written: every expectation must hold;
//   - "SI": with every lab converted to its SI code and unit (bilirubin and
//     creatinine in µmol/L under their molar LOINC codes, albumin in g/L,
//     urea in mmol/L, glucose in mmol/L, HbA1c in mmol/mol, AST/ALT in
//     µkat/L, PaO2 in kPa, hematocrit as a fraction): every expectation must
//     still hold (skipped with "si off");
//   - "as-of": at every time a value became available (and just before
//     it), the twin computed as of that time must reference no event that
//     became available later, and no score may stand after that time.
func RunDir(t *testing.T, pattern string, codes *timeline.CodeTable, compute ComputeFunc) {
	t.Helper()
	if codes == nil {
		codes = timeline.DefaultCodes()
	}
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no scenario files match %s", pattern)
	}
	for _, f := range files {
		s, err := ParseFile(f, codes)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(strings.TrimSuffix(filepath.Base(f), filepath.Ext(f)), func(t *testing.T) {
			if len(s.Expects) == 0 {
				t.Fatal("scenario has no expectation")
			}
			run := func(t *testing.T, sc *Scenario) {
				out, err := compute(sc, sc.View(codes))
				if err != nil {
					t.Fatal(err)
				}
				fails, err := sc.Check(out)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range fails {
					t.Error(f)
				}
				if t.Failed() && testing.Verbose() {
					b, _ := json.MarshalIndent(out, "", "  ")
					t.Logf("output:\n%s", b)
				}
			}
			run(t, s)
			t.Run("SI", func(t *testing.T) {
				if s.NoSI {
					t.Skip("si off")
				}
				si := *s
				si.Events, _ = ToSI(s.Events, codes)
				run(t, &si)
			})
			t.Run("as-of", func(t *testing.T) { checkAsOf(t, s, codes, compute) })
		})
	}
}

// siOf lists the SI code and unit each concept is re-expressed in.
var siOf = map[string]struct{ code, unit string }{
	"bilirubin":       {"LOINC//14631-6", "umol/L"},
	"creatinine":      {"LOINC//14682-9", "umol/L"},
	"albumin":         {"LOINC//1751-7", "g/L"},
	"urea":            {"LOINC//22664-7", "mmol/L"},
	"glucose":         {"LOINC//14749-6", "mmol/L"},
	"glucose_fasting": {"LOINC//14771-0", "mmol/L"},
	"hba1c":           {"LOINC//59261-8", "mmol/mol"},
	"ast":             {"LOINC//1920-8", "ukat/L"},
	"alt":             {"LOINC//1742-6", "ukat/L"},
	"pao2":            {"LOINC//2703-7", "kPa"},
	"hematocrit":      {"LOINC//4544-3", "1"},
}

// ToSI re-expresses every value of a concept in siOf in its SI code and
// unit (exactly: the inverse of the code table's conversion) and returns
// how many events it changed.
func ToSI(events []timeline.Event, codes *timeline.CodeTable) ([]timeline.Event, int) {
	if codes == nil {
		codes = timeline.DefaultCodes()
	}
	out := make([]timeline.Event, len(events))
	n := 0
	for i, e := range events {
		out[i] = e
		if !e.HasValue {
			continue
		}
		concept, v, err := codes.ToConcept(e.Code, e.Value, e.Unit)
		if err != nil {
			continue
		}
		si, ok := siOf[concept]
		if !ok {
			continue
		}
		_, f0, err0 := codes.ToConcept(si.code, 0, si.unit)
		_, f1, err1 := codes.ToConcept(si.code, 1, si.unit)
		if err0 != nil || err1 != nil || f1 == f0 {
			continue
		}
		out[i].Code, out[i].Unit, out[i].Value = si.code, si.unit, (v-f0)/(f1-f0)
		n++
	}
	return out, n
}

func checkAsOf(t *testing.T, s *Scenario, codes *timeline.CodeTable, compute ComputeFunc) {
	byRef := map[string]*timeline.Event{}
	var times []time.Time
	for i := range s.Events {
		e := &s.Events[i]
		byRef[twin.EventRef(e)] = e
		if !e.Static() {
			times = append(times, e.Available(), e.Available().Add(-time.Second))
		}
	}
	times = twin.SortedTimes(times)
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	for _, at := range times {
		if !s.AsOf.IsZero() && at.After(s.AsOf) {
			continue
		}
		sc := *s
		sc.AsOf = at
		out, err := compute(&sc, sc.View(codes))
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		walk(doc, func(m map[string]any) {
			if ref, ok := m["eventRef"].(string); ok && ref != "" {
				e, ok := byRef[ref]
				switch {
				case !ok:
					t.Errorf("as of %s: input references an unknown event %s", at, ref)
				case !e.Static() && e.Available().After(at):
					t.Errorf("as of %s: uses %s, available only at %s", at, ref, e.Available())
				}
			}
			if isScore(m) {
				ts, _ := m["time"].(string)
				if st, err := time.Parse(time.RFC3339Nano, ts); err == nil && st.After(at) {
					t.Errorf("as of %s: %v scored at %s", at, m["name"], st)
				}
			}
		})
	}
}
