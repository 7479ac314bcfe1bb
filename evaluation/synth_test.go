package evaluation_test

import (
	"context"
	"math"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/medtwin/medtwin/evaluation"
	"github.com/medtwin/medtwin/internal/synthtest"
	"github.com/medtwin/medtwin/synth"
)

// The acceptance test of issue 13: the synthetic cohort's AI tools have a
// known bias against the truth and a version change at a known date
// (truth.json); the radiologist's SR measurements are unbiased with known
// noise. Ingested through the real adapters and evaluated, every version's
// bias is recovered, the version change is flagged at the first study
// after the known date, and the tool without a radiologist counterpart is
// reported unpaired.
func TestSynthCohortRecoversKnownBias(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and ingests a cohort")
	}
	ctx := context.Background()
	cfg := synth.DefaultConfig(60, 1327, t.TempDir())
	// Small and few CT pixel series keep the test fast; every study still
	// gets its SR and AI outputs.
	cfg.CTCols, cfg.CTRows, cfg.CTSlices = 8, 8, 4
	cfg.CTFraction = 0.3
	cfg.EventsPerPatient = 30
	t0 := time.Now()
	s, truth, rep := synthtest.Cohort(ctx, t, cfg)
	if _, rejected, failed := rep.Totals(); rejected != 0 || failed != 0 {
		t.Fatalf("ingest: %d rejected, %d failed", rejected, failed)
	}
	t.Logf("cohort generated and ingested in %v", time.Since(t0))
	// The quantity each tool's main feature is, and the radiologist's noise
	// as truth.json states it ("truth + N(0, 1.0 mm)").
	quantity := map[string]string{"IMAGING//CT//lesion_long_axis": "lesion_long_axis", "IMAGING//CT//liver_mean_hu": "liver_hu",
		"IMAGING//CT//lung_involvement_pct": "lung_involvement_pct"}
	noise := regexp.MustCompile(`N\(0, ([0-9.]+)`)
	if len(truth.AITools) != 3 {
		t.Fatalf("truth.json lists %d tools", len(truth.AITools))
	}
	for _, tool := range truth.AITools {
		t.Run(tool.Algorithm, func(t *testing.T) {
			ev, err := evaluation.Evaluate(ctx, s, evaluation.DefaultOptions(tool.Algorithm))
			if err != nil {
				t.Fatal(err)
			}
			var q *evaluation.QuantityReport
			for i := range ev.Quantities {
				if ev.Quantities[i].Quantity == quantity[tool.Feature] {
					q = &ev.Quantities[i]
				}
			}
			if q == nil {
				t.Fatalf("no %s in %d quantities", quantity[tool.Feature], len(ev.Quantities))
			}
			m := noise.FindStringSubmatch(tool.Reference)
			if m == nil {
				// No radiologist measures it: every output is unpaired.
				if q.Pairing.Paired != 0 || q.Pairing.AIOnly != q.Pairing.Outputs || q.Pairing.Outputs == 0 {
					t.Errorf("pairing without a reference: %+v", q.Pairing)
				}
				return
			}
			sdRad, _ := strconv.ParseFloat(m[1], 64)
			if q.Pairing.Paired < 20 {
				t.Fatalf("only %d pairs", q.Pairing.Paired)
			}
			for _, v := range tool.Versions {
				var st *evaluation.Stratum
				for i := range q.ByVersion {
					if q.ByVersion[i].Value == v.Version {
						st = &q.ByVersion[i]
					}
				}
				if st == nil || st.BlandAltman == nil {
					t.Fatalf("version %s: %+v", v.Version, q.ByVersion)
				}
				sd := math.Hypot(v.SD, sdRad)
				se := sd / math.Sqrt(float64(st.N))
				if d := st.BlandAltman.Bias - v.Bias; math.Abs(d) > 4*se {
					t.Errorf("version %s: bias %.3f, truth %.3f (SE %.3f, n %d)", v.Version, st.BlandAltman.Bias, v.Bias, se, st.N)
				}
				if r := st.BlandAltman.SD / sd; r < 0.7 || r > 1.3 {
					t.Errorf("version %s: SD of differences %.3f, truth %.3f", v.Version, st.BlandAltman.SD, sd)
				}
				t.Logf("version %s: n %d, bias %.3f (truth %.3f), SD %.3f (truth %.3f), LoA %.2f to %.2f, ICC(2,1) %.3f, ICC(3,1) %.3f",
					v.Version, st.N, st.BlandAltman.Bias, v.Bias, st.BlandAltman.SD, sd, st.BlandAltman.Lower, st.BlandAltman.Upper,
					st.ICC21.Value, st.ICC31.Value)
			}
			var change *evaluation.ChangePoint
			for i := range q.ChangePoints {
				c := &q.ChangePoints[i]
				if c.Dimension == "version" && c.From == tool.Versions[0].Version && c.To == tool.Versions[1].Version {
					change = c
				}
			}
			if change == nil || !change.Flagged {
				t.Fatalf("version change not flagged: %+v", q.ChangePoints)
			}
			if change.At.Before(tool.Change) || change.At.Sub(tool.Change) > 120*24*time.Hour {
				t.Errorf("change at %v, truth %v", change.At, tool.Change)
			}
			se := (change.Bias.CI.Upper - change.Bias.Diff) / 1.96
			if d := change.Bias.Diff - (tool.Versions[1].Bias - tool.Versions[0].Bias); math.Abs(d) > 4*se {
				t.Errorf("bias change %.3f, truth %.3f", change.Bias.Diff, tool.Versions[1].Bias-tool.Versions[0].Bias)
			}
			// Sites come from the CT series' InstitutionName: studies
			// written without pixel data have none.
			sites := map[string]bool{}
			for _, s := range q.BySite {
				sites[s.Value] = true
				if s.Value != synth.SiteA && s.Value != synth.SiteB && s.Value != "unknown" {
					t.Errorf("site %q", s.Value)
				}
			}
			if !sites[synth.SiteA] || !sites[synth.SiteB] {
				t.Errorf("sites: %v", sites)
			}
		})
	}
}
