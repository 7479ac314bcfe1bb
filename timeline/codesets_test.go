package timeline

import (
	"strings"
	"testing"
)

func TestCodeSets(t *testing.T) {
	c := DefaultCodes()
	for _, tc := range []struct {
		set, code string
		want      bool
	}{
		{SetPneumonia, "ICD10CM//J18.9", true},
		{SetPneumonia, "ICD10CM//J189", true}, // dot-insensitive
		{SetPneumonia, "ICD10CM//J12.82", true},
		{SetPneumonia, "ICD10CM//J19", false},
		{SetPneumonia, "ICD10CM//J11.1", false},
		{SetPneumonia, "SNOMED//233604007", true},
		{SetPneumonia, "SNOMED//2336040070", false}, // exact codes do not match by prefix
		{SetAscites, "ICD10CM//R18.8", true},
		{SetAscites, "ICD10CM//K70.31", true},
		{SetAscites, "ICD10CM//K70.30", false},
		{SetNeoplasm, "ICD10CM//C44.91", false}, // skin basal/squamous excluded (Fine 1997)
		{SetNeoplasm, "ICD10CM//C43.9", true},
		{SetNeoplasm, "ICD10CM//C50.911", true},
		{SetDialysis, "ICD10PCS//5A1D70Z", true},
		{SetCRRT, "ICD10PCS//5A1D90Z", true},
		{SetAntidiabetic, "ATC//A10BA02", true},
		{"no-such-set", "ICD10CM//J18.9", false},
	} {
		if got := c.InSet(tc.set, tc.code); got != tc.want {
			t.Errorf("InSet(%s, %s) = %v, want %v", tc.set, tc.code, got, tc.want)
		}
	}
	for _, n := range c.Sets() {
		s, ok := c.Set(n)
		if !ok || s.Source == "" || s.Display == "" {
			t.Errorf("set %s lacks a source or display", n)
		}
	}
	if _, err := c.WithSets(CodeSet{Name: SetAscites, Patterns: []string{"X//1"}}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate set: %v", err)
	}
	if _, err := c.WithSets(CodeSet{Name: "empty"}); err == nil {
		t.Error("a set without patterns was accepted")
	}
	ext, err := c.WithSets(CodeSet{Name: "local_pneumonia", Patterns: []string{"LOCAL//PNEU*"}})
	if err != nil {
		t.Fatal(err)
	}
	if !ext.InSet("local_pneumonia", "LOCAL//PNEU-1") || c.InSet("local_pneumonia", "LOCAL//PNEU-1") {
		t.Error("WithSets changed the original or did not extend the copy")
	}
	if !ext.InSet(SetPneumonia, "ICD10CM//J18.9") {
		t.Error("the copy lost the default sets")
	}
}

func TestImagingConcepts(t *testing.T) {
	c := DefaultCodes()
	name, v, err := c.ToConcept("IMAGING//CT//liver_volume_ml", 1.6, "L")
	if err != nil || name != "liver_volume" || v < 1599.999 || v > 1600.001 {
		t.Errorf("liver volume 1.6 L = %s %v %v", name, v, err)
	}
	if _, v, err := c.ToConcept("IMAGING//CT//lung_ggo_pct", 0.25, "1"); err != nil || v < 24.999 || v > 25.001 {
		t.Errorf("ground-glass fraction 0.25 = %v %% (%v)", v, err)
	}
	if _, v, err := c.ToConcept("LOINC//14771-0", 6.1, "mmol/L"); err != nil || v < 109.8 || v > 110.0 {
		t.Errorf("fasting glucose 6.1 mmol/L = %v mg/dL (%v)", v, err)
	}
}
