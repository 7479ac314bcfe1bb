package synth_test

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/medtwin/medtwin/internal/synthtest"
	"github.com/medtwin/medtwin/oncology"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/synth"
	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
	"github.com/medtwin/medtwin/twin/liver"
	"github.com/medtwin/medtwin/twin/pneumonia"
)

// Ingesting a generated cohort through the real adapters rejects nothing,
// and reading it back agrees with truth.json: identities link across FHIR,
// VCF, MAF, DICOM and the AI table; diagnoses, genotypes, somatic calls,
// lesion counts per study, observation counts and deaths are what the
// generator put in, and the twins computed on it find the stories' CURB-65
// scores, RECIST responses and genotypes.
func TestIngestAgreesWithTruth(t *testing.T) {
	ctx := context.Background()
	cfg := synth.DefaultConfig(30, 2024, t.TempDir())
	cfg.CTCols, cfg.CTRows, cfg.CTSlices = 16, 16, 8
	cfg.EventsPerPatient = 60
	cfg.Gzip = true
	s, truth, rep := synthtest.Cohort(ctx, t, cfg)
	_, rejected, failed := rep.Totals()
	for _, f := range rep.Files {
		for _, e := range f.Errors {
			t.Errorf("rejected: %v", e)
		}
		if f.Err != nil {
			t.Errorf("%s: %v", f.Input.Name, f.Err)
		}
	}
	if rejected != 0 || failed != 0 {
		t.Fatalf("%d rejected records, %d failed files", rejected, failed)
	}
	for _, u := range rep.Unrecognised {
		if b := filepath.Base(u); b != synth.TruthFile && b != synth.ManifestFile {
			t.Errorf("no adapter claimed %s", u)
		}
	}

	var lesionStudies, genotyped, somatic, episodes, lines int
	for _, p := range truth.Cohort {
		subject, err := s.Lookup(ctx, timeline.Identifier{System: synth.MRNSystem, Value: p.MRN})
		if err != nil {
			t.Fatalf("patient %d: MRN not found: %v", p.Index, err)
		}
		v, err := twin.Load(ctx, s, subject, time.Time{}, timeline.DefaultCodes())
		if err != nil {
			t.Fatal(err)
		}
		// Diagnoses: the ICD-10-CM codes of the conditions.
		var got []string
		seen := map[string]bool{}
		for _, e := range v.Events(timeline.KindDiagnosis) {
			if strings.HasPrefix(e.Code, "ICD10CM//") && !seen[e.Code] {
				seen[e.Code] = true
				got = append(got, e.Code)
			}
		}
		sort.Strings(got)
		if strings.Join(got, " ") != strings.Join(p.Diagnoses, " ") {
			t.Errorf("patient %d: diagnoses %v, truth %v", p.Index, got, p.Diagnoses)
		}
		// Genotypes at the four liver loci: reference calls are not stored.
		germ := map[int64]string{}
		var som []timeline.Variant
		for _, x := range v.Details().Variants {
			if x.Origin == "somatic" {
				som = append(som, x)
			} else {
				germ[x.Pos] = x.Genotype
			}
		}
		if p.Genotyped {
			genotyped++
			for rsid, n := range p.Genotypes {
				pos := map[string]int64{"rs738409": 43928847, "rs58542926": 19268740, "rs72613567": 87310240, "rs641738": 54173068}[rsid]
				gt, ok := germ[pos]
				switch {
				case n == 0 && ok:
					t.Errorf("patient %d: %s stored as %s, truth reference", p.Index, rsid, gt)
				case n > 0 && strings.Count(gt, "1") != n:
					t.Errorf("patient %d: %s genotype %q, truth %d alt alleles", p.Index, rsid, gt, n)
				}
			}
		} else if len(germ) > 0 {
			t.Errorf("patient %d: not genotyped but has germline calls", p.Index)
		}
		if len(som) != len(p.Somatic) {
			t.Errorf("patient %d: %d somatic variants, truth %d", p.Index, len(som), len(p.Somatic))
		}
		somatic += len(som)
		// Lesions per study, from the radiologist's reports.
		perStudy := map[string]int{}
		for _, l := range v.Details().Lesions {
			perStudy[l.StudyUID]++
		}
		for _, st := range p.Studies {
			want := 0
			if st.Story == "oncology" {
				want = st.Lesions
			}
			if perStudy[st.UID] != want {
				t.Errorf("patient %d study %s: %d lesions, truth %d", p.Index, st.Accession, perStudy[st.UID], want)
			}
			if want > 0 {
				lesionStudies++
			}
		}
		// Every Observation is one event.
		obs := 0
		for _, e := range v.Events() {
			switch e.Kind {
			case timeline.KindLab, timeline.KindVital, timeline.KindObservation, timeline.KindTumorMarker, timeline.KindStage:
				obs++
			}
		}
		if obs != p.Resources["Observation"] {
			t.Errorf("patient %d: %d observation events, truth %d", p.Index, obs, p.Resources["Observation"])
		}
		_, dead := v.Death()
		if dead != (p.Death != nil) {
			t.Errorf("patient %d: death recorded %v, truth %v", p.Index, dead, p.Death)
		}
		// The liver twin sees the AI tool's liver attenuation of every
		// unenhanced CT.
		unenhanced := 0
		for _, st := range p.Studies {
			if !st.Contrast {
				unenhanced++
			}
		}
		if n := len(v.Series("liver_hu")); n != unenhanced {
			t.Errorf("patient %d: %d liver attenuation values, %d unenhanced CTs", p.Index, n, unenhanced)
		}
		// The twins read what the stories wrote: the liver twin the
		// genotypes, the pneumonia twin each episode's CURB-65, the
		// oncology twin each line's best RECIST 1.1 response.
		if p.Genotyped {
			for _, c := range liver.Genotypes(v.Details().Variants).Variants {
				if c.EffectAlleles == nil && p.Genotypes[c.RSID] > 0 || c.EffectAlleles != nil && *c.EffectAlleles != p.Genotypes[c.RSID] {
					t.Errorf("patient %d: liver twin %s %s (%v), truth %d", p.Index, c.RSID, c.Status, c.EffectAlleles, p.Genotypes[c.RSID])
				}
			}
		}
		pr, err := pneumonia.Compute(v, pneumonia.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		if len(pr.Episodes) != len(p.Pneumonia) {
			t.Errorf("patient %d: %d pneumonia episodes, truth %d", p.Index, len(pr.Episodes), len(p.Pneumonia))
		} else {
			for k, e := range pr.Episodes {
				episodes++
				if e.CURB65.Value == nil || int(*e.CURB65.Value) != p.Pneumonia[k].CURB65 {
					t.Errorf("patient %d episode %d: CURB-65 %v (%s), truth %d", p.Index, k, e.CURB65.Value, e.CURB65.NotComputable, p.Pneumonia[k].CURB65)
				}
			}
		}
		if p.Oncology != nil {
			or := oncology.Compute(v, oncology.DefaultOptions())
			var got, want []string
			for _, l := range or.Lines {
				r := string(l.BestResponse)
				if r == "" {
					r = "NE"
				}
				got = append(got, r)
			}
			for _, l := range p.Oncology.Lines {
				want = append(want, l.Response)
				lines++
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("patient %d: best responses by line %v, truth %v", p.Index, got, want)
			}
		}
	}
	t.Logf("%d patients: %d studies with lesions, %d genotyped, %d somatic calls, %d pneumonia episodes, %d therapy lines",
		len(truth.Cohort), lesionStudies, genotyped, somatic, episodes, lines)
	if lesionStudies == 0 || genotyped == 0 || somatic == 0 || episodes == 0 || lines == 0 {
		t.Errorf("cohort too thin: %d lesion studies, %d genotyped, %d somatic calls", lesionStudies, genotyped, somatic)
	}

	// Re-ingesting is a no-op.
	rep = synthtest.Ingest(ctx, t, s, cfg.Out)
	if res, _, _ := rep.Totals(); res.Inserted != 0 || res.Superseded != 0 {
		t.Errorf("re-ingest inserted %d, superseded %d", res.Inserted, res.Superseded)
	}
	if n, err := s.Count(ctx, store.Cohort{}, store.Filter{Kinds: []timeline.Kind{timeline.KindImagingStudy}}); err != nil || n == 0 {
		t.Errorf("imaging studies: %d, %v", n, err)
	}
}
