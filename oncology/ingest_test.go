package oncology_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/all"
	"github.com/medtwin/medtwin/internal/testdata"
	"github.com/medtwin/medtwin/oncology"
	"github.com/medtwin/medtwin/store/sqlite"
	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

// ingestFiles runs medtwin's ingest (every adapter) over paths into a new
// embedded store and returns the view of the subject an identifier names.
func ingestFiles(t *testing.T, ident timeline.Identifier, asOf time.Time, paths ...string) *twin.View {
	t.Helper()
	return ingestWith(t, ingest.Options{}, ident, asOf, paths...)
}

func ingestWith(t *testing.T, opts ingest.Options, ident timeline.Identifier, asOf time.Time, paths ...string) *twin.View {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	r := &ingest.Runner{Target: s, Registry: reg, Env: ingest.Env{Options: opts}, Command: "test"}
	if _, err := r.Run(ctx, paths); err != nil {
		t.Fatal(err)
	}
	sid, err := s.Lookup(ctx, ident)
	if err != nil {
		t.Fatalf("patient not ingested: %v", err)
	}
	v, err := twin.Load(ctx, s, sid, asOf, nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMCODEPatient ingests the shared mCODE bundle of a metastatic breast
// cancer patient (fhir/mcode/ctms_eom_patient_1.json, MITRE
// clinical-trial-matching-service test data) and checks the oncology twin
// against the bundle, read with jq:
//
//	Condition conditionId-1: SNOMED 372137005 "Primary malignant neoplasm of
//	  breast", asserted 2024-01-01 (conditionId-2, the lung metastasis, has
//	  no date: ingest rejects it)
//	TNM clinical stage group 21908-9 = cancerstaging.org "4" on 2022-01-02;
//	  cT3 / cN3 / cM0 (SNOMED 399504009 / 399534004 / 399387003) on 2019-04-01
//	CancerDiseaseStatus 97509-4 = SNOMED 268910001 improved, 2024-01-01
//	MedicationStatements abemaciclib (RxNorm 1946827) and alpelisib
//	  (2169297), both 2022-01-01
func TestMCODEPatient(t *testing.T) {
	path := testdata.Path(t, "fhir", "mcode", "ctms_eom_patient_1.json")
	v := ingestFiles(t, timeline.Identifier{System: "http://example.com/system/mrn", Value: "Ancora-13"}, time.Time{}, path)
	res := oncology.Compute(v, oncology.DefaultOptions())
	if len(res.Cancers) != 1 || res.Cancers[0].Category != "primary" || res.Cancers[0].Site != "breast" ||
		res.Cancers[0].Code != "SNOMED//372137005" {
		t.Errorf("cancers = %+v", res.Cancers)
	}
	type st struct{ day, typ, group, t, n, m string }
	var got []st
	for _, s := range res.Stages {
		got = append(got, st{s.Time.Format("2006-01-02"), s.Type, s.Group, s.T, s.N, s.M})
	}
	want := []st{{"2019-04-01", "clinical", "", "cT3", "cN3", "cM0"}, {"2022-01-02", "clinical", "4", "", "", ""}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("stages = %+v, want %+v", got, want)
	}
	if len(res.DiseaseStatus) != 1 || res.DiseaseStatus[0].Status != "improved" {
		t.Errorf("disease status = %+v", res.DiseaseStatus)
	}
	if len(res.Lines) != 1 || res.Lines[0].AgentNames() != "abemaciclib + alpelisib" ||
		res.Lines[0].Start.Format("2006-01-02") != "2022-01-01" {
		js, _ := json.Marshal(res.Lines)
		t.Errorf("lines = %s", js)
	}
	if len(res.History) == 0 {
		t.Error("no history")
	}
}

// TestSyntheaNSCLCPatient ingests the shared Synthea bundle of a patient
// treated for non-small cell lung cancer
// (fhir/synthea/Austin_Franecki_….json) and checks the twin against the
// bundle, read with jq: Conditions "Suspected lung cancer (situation)"
// 1985-07-17 (not a diagnosis), "Non-small cell lung cancer" 1985-07-25 and
// "Non-small cell carcinoma of lung, TNM stage 1" 1985-07-26; 48
// MedicationRequests each of cisplatin (RxNorm 1736854) and paclitaxel
// (583214) authored 1985-07-26 … 1989-07-20, at most 34 days apart: one
// line of therapy.
func TestSyntheaNSCLCPatient(t *testing.T) {
	path := testdata.Path(t, "fhir", "synthea", "Austin_Franecki_f23eef30-acb2-49da-8091-159b61dc1ed5.json")
	v := ingestFiles(t, timeline.Identifier{System: "http://hospital.smarthealthit.org", Value: "f23eef30-acb2-49da-8091-159b61dc1ed5"}, time.Time{}, path)
	res := oncology.Compute(v, oncology.DefaultOptions())
	var cancers []string
	for _, c := range res.Cancers {
		cancers = append(cancers, c.Onset.Format("2006-01-02")+" "+c.Code+" "+c.Category+"/"+c.Site)
	}
	want := []string{"1985-07-25 SNOMED//254637007 primary/lung", "1985-07-26 SNOMED//424132000 primary/lung"}
	if len(cancers) != 2 || cancers[0] != want[0] || cancers[1] != want[1] {
		t.Errorf("cancers = %q, want %q", cancers, want)
	}
	if len(res.Lines) != 1 {
		js, _ := json.Marshal(res.Lines)
		t.Fatalf("lines = %s", js)
	}
	l := res.Lines[0]
	if l.AgentNames() != "cisplatin + paclitaxel" || l.Start.Format("2006-01-02") != "1985-07-26" ||
		l.End.Format("2006-01-02") < "1989-07-20" || l.Agents[0].Exposures != 48 || l.Agents[1].Exposures != 48 {
		js, _ := json.Marshal(l)
		t.Errorf("line = %s", js)
	}
	// As of 1986-01-01 only the first six cycles had been prescribed.
	early := oncology.Compute(ingestFiles(t, timeline.Identifier{System: "http://hospital.smarthealthit.org", Value: "f23eef30-acb2-49da-8091-159b61dc1ed5"},
		time.Date(1986, 1, 1, 0, 0, 0, 0, time.UTC), path), oncology.DefaultOptions())
	if len(early.Lines) != 1 || early.Lines[0].End.Year() != 1985 {
		t.Errorf("as of 1986-01-01: lines = %+v", early.Lines)
	}
}

// TestMAFSomaticSamples ingests the shared TCGA LAML MAF (maftools) with a
// sample manifest that gives two of its tumour samples to one patient, and
// checks the twin's somatic profile against the MAF (awk on Hugo_Symbol,
// Tumor_Sample_Barcode, Protein_Change): TCGA-AB-2861 carries KRAS p.G12V,
// TCGA-AB-2865 KRAS p.G12D — neither is KRAS G12C, so neither is flagged
// actionable by the built-in table.
func TestMAFSomaticSamples(t *testing.T) {
	maf := testdata.Path(t, "maf", "maftools_tcga_laml.maf.gz")
	manifest := filepath.Join(t.TempDir(), "samples.csv")
	csv := "sample,system,value,collected,tissue,tumor_normal\n" +
		"TCGA-AB-2861,urn:test:mrn,P1,2020-01-10,bone marrow,tumor\n" +
		"TCGA-AB-2865,urn:test:mrn,P1,2020-06-01,bone marrow,tumor\n"
	if err := os.WriteFile(manifest, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	v := ingestWith(t, ingest.Options{Samples: manifest}, timeline.Identifier{System: "urn:test:mrn", Value: "P1"}, time.Time{}, maf)
	res := oncology.Compute(v, oncology.DefaultOptions())
	if len(res.Samples) != 2 || res.Samples[0].Sample != "TCGA-AB-2861" || res.Samples[0].Time.Format("2006-01-02") != "2020-01-10" ||
		res.Samples[1].Sample != "TCGA-AB-2865" || res.Samples[1].Time.Format("2006-01-02") != "2020-06-01" {
		t.Fatalf("samples: %+v", res.Samples)
	}
	// i_TumorVAF_WU: 30 (G12V) and 14.89 (G12D), in percent.
	want := map[string]string{"TCGA-AB-2861": "G12V 0.3000", "TCGA-AB-2865": "G12D 0.1489"}
	for _, s := range res.Samples {
		found := false
		for _, v := range s.Variants {
			if v.Actionable != nil {
				t.Errorf("%s %s %s flagged actionable: %+v", s.Sample, v.Gene, v.Protein, v.Actionable)
			}
			if v.Gene == "KRAS" && v.AlleleFraction != nil {
				got := fmt.Sprintf("%s %.4f", v.Protein, *v.AlleleFraction)
				found = got == want[s.Sample]
				if !found {
					t.Errorf("%s KRAS = %s, want %s", s.Sample, got, want[s.Sample])
				}
			}
		}
		if !found {
			t.Errorf("%s: no KRAS variant", s.Sample)
		}
	}
}
