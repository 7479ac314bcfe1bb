package evaluation

import (
	"testing"
)

const lesionAI = "NoduleAI"

// One study exercises every pairing rule: a tool lesion sharing the
// radiologist's tracking UID, one sharing only the tracking identifier, one
// matched by organ and position, one matched as the only lesion of its
// organ without positions, a false positive and a missed lesion; and a
// liver attenuation read by two radiologists.
func TestPairingRules(t *testing.T) {
	p := &patient{subject: 1}
	st := day0(2024, 3, 1)
	p.study("S1", st, "Hospital A", "Vendor X", "none")
	// Radiologist lesions (SR lesion rows and their long-axis features).
	p.lesion("S1", st, "1.2.1", "Liver structure", "SNOMED//10200004", 20, 15, nil, "", "")
	p.sr("S1", st, "SNOMED//103339001", "mm", 20, "lesion-1", "1.2.1", "SNOMED//10200004")
	p.lesion("S1", st, "1.2.2", "Lung structure", "SNOMED//39607008", 30, 20, nil, "", "")
	p.sr("S1", st, "SNOMED//103339001", "mm", 30, "lesion-2", "1.2.2", "SNOMED//39607008")
	p.lesion("S1", st, "", "Kidney", "", 25, 18, []float64{100, 50, 20}, "", "")
	p.lesion("S1", st, "", "Brain", "", 12, 9, nil, "", "")
	p.lesion("S1", st, "1.2.9", "Pancreas", "SNOMED//15776009", 8, 6, nil, "", "") // missed by the tool
	// The tool's outputs.
	p.ai("S1", st, "lesion_long_axis", "mm", 21, lesionAI, "1.0", "x", "1.2.1", "SNOMED//10200004")        // tracking UID
	p.ai("S1", st, "lesion_long_axis", "mm", 31.5, lesionAI, "1.0", "lesion-2", "", "SNOMED//39607008")    // tracking id
	p.lesion("S1", st, "ai-7", "Kidney", "", 26, 17, []float64{103, 52, 21}, lesionAI, "1.0")              // position
	p.lesion("S1", st, "ai-8", "Brain", "", 13, 9.5, nil, lesionAI, "1.0")                                 // only in organ
	p.ai("S1", st, "lesion_long_axis", "mm", 9, lesionAI, "1.0", "ai-candidate-1", "", "SNOMED//78961009") // false positive
	rep := evaluate(t, DefaultOptions(lesionAI), p)

	rules := map[string]int{}
	statuses := map[string]int{}
	for _, x := range rep.Pairs {
		if x.Quantity != "lesion_long_axis" {
			continue
		}
		statuses[x.Status]++
		if x.Status == StatusPaired {
			rules[x.Rule]++
			if x.Rule == RuleSitePosition && (x.AI != 26 || x.Reference != 25) {
				t.Errorf("position pair: %+v", x)
			}
		}
	}
	for r, n := range map[string]int{RuleTrackingUID: 1, RuleTrackingID: 1, RuleSitePosition: 1, RuleOnlyInOrgan: 1} {
		if rules[r] != n {
			t.Errorf("rule %s: %d pairs, want %d (all: %v)", r, rules[r], n, rules)
		}
	}
	if statuses[StatusPaired] != 4 || statuses[StatusAIOnly] != 1 || statuses[StatusReferenceOnly] != 1 {
		t.Errorf("statuses %v: want 4 paired, 1 tool-only, 1 reference-only (the SR feature duplicates of lesion rows must not count)", statuses)
	}
	var q *QuantityReport
	for i := range rep.Quantities {
		if rep.Quantities[i].Quantity == "lesion_long_axis" {
			q = &rep.Quantities[i]
		}
	}
	if q == nil || q.Pairing.Outputs != 5 || q.Pairing.Paired != 4 || q.Pairing.AIOnly != 1 || q.Pairing.ReferenceOnly != 1 {
		t.Fatalf("pairing counts: %+v", q)
	}
	// Short axes: the tool gave two (lesion rows), both paired.
	for _, qq := range rep.Quantities {
		if qq.Quantity == "lesion_short_axis" && (qq.Pairing.Paired != 2 || qq.Pairing.ReferenceOnly != 3) {
			t.Errorf("short axis pairing: %+v", qq.Pairing)
		}
	}
	// Detection on the long axis: 4 TP, 1 FP, 1 FN; no specificity at
	// lesion level.
	found := false
	for _, l := range rep.Labels {
		if l.Label != LabelLesionDetection {
			continue
		}
		found = true
		if l.Quantity != "lesion_long_axis" || l.Confusion.TP != 4 || l.Confusion.FP != 1 || l.Confusion.FN != 1 || l.Confusion.TN != 0 {
			t.Errorf("detection: %+v", l)
		}
		if l.Accuracy.Specificity.N != 0 || len(l.Notes) == 0 {
			t.Errorf("lesion-level specificity should be undefined: %+v", l.Accuracy.Specificity)
		}
		near(t, "sensitivity", l.Accuracy.Sensitivity.Estimate, 0.8, 1e-12)
		near(t, "PPV", l.Accuracy.PPV.Estimate, 0.8, 1e-12)
	}
	if !found {
		t.Error("no detection label")
	}
	if rep.Pairs[0].Site != "Hospital A" || rep.Pairs[0].Scanner != "Vendor X" {
		t.Errorf("site and scanner from the study's series: %+v", rep.Pairs[0])
	}
}

func TestOrganFeatureMeanOfReaders(t *testing.T) {
	p := &patient{subject: 1}
	st := day0(2024, 3, 1)
	p.sr("S1", st, "DCM//112031//mean", "[hnsf'U]", 50, "liver ROI", "u1", "SNOMED//10200004")
	p.sr("S1", st, "DCM//112031//mean", "[hnsf'U]", 54, "liver ROI 2", "u2", "SNOMED//10200004")
	p.sr("S1", st, "DCM//112031//mean", "[hnsf'U]", 45, "spleen ROI", "u3", "SNOMED//78961009")
	p.sr("S1", st, "DCM//112031//max", "[hnsf'U]", 90, "liver ROI", "u4", "SNOMED//10200004") // not a mean: not compared
	p.ai("S1", st, "liver_mean_hu", "[hnsf'U]", 49, "FatAI", "2", "liver", "", "")
	p.ai("S1", st, "spleen_mean_hu", "[hnsf'U]", 47, "FatAI", "2", "spleen", "", "")
	rep := evaluate(t, DefaultOptions("fatai"), p) // names compare without case
	got := map[string]Pair{}
	for _, x := range rep.Pairs {
		got[x.Quantity] = x
	}
	if l := got["liver_hu"]; l.Status != StatusPaired || l.Rule != RuleOrganFeature || l.Reference != 52 || l.References != 2 {
		t.Errorf("liver: %+v", l)
	}
	if s := got["spleen_hu"]; s.Status != StatusPaired || s.Reference != 45 {
		t.Errorf("spleen: %+v", s)
	}
	if len(rep.Pairs) != 2 {
		t.Errorf("%d pairs: %+v", len(rep.Pairs), rep.Pairs)
	}
	// Steatosis category: radiologist 52/45 → none (L/S 1.16); tool 49/47 →
	// mild (L/S 1.04 ≤ 1.1): one change in one assessment.
	if len(rep.Categories) != 1 || rep.Categories[0].Scheme != SchemeSteatosis || rep.Categories[0].Changed.X != 1 || rep.Categories[0].Changed.N != 1 {
		t.Fatalf("categories: %+v", rep.Categories)
	}
	if c := rep.Categories[0].Confusion; len(c) != 1 || c[0].Reference != "none" || c[0].AI != "mild" {
		t.Errorf("confusion: %+v", c)
	}
}
