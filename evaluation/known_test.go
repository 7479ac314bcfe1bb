package evaluation

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// A synthetic tool with a known bias and noise against the truth, a
// radiologist with known noise, and version changes at known dates: the
// evaluation recovers each version's bias and the spread of differences
// (√(sd_tool² + sd_radiologist²)), flags the version change that moved the
// bias and not the one that did not, and locates the shift in time.
func TestKnownBiasNoiseAndVersionChange(t *testing.T) {
	const sdRad = 1.5
	type version struct {
		name     string
		from     time.Time
		bias, sd float64
	}
	versions := []version{
		{"1.0", day0(2022, 1, 1), -4, 2},
		{"1.1", day0(2023, 1, 1), -4, 2}, // a release that does not change agreement
		{"2.0", day0(2024, 1, 1), 1, 1},  // the change to find
	}
	end := day0(2025, 1, 1)
	rng := rand.New(rand.NewPCG(13, 1979))
	var ps []*patient
	n := 480
	for i := 0; i < n; i++ {
		when := versions[0].from.Add(time.Duration(float64(end.Sub(versions[0].from)) * float64(i) / float64(n)))
		v := versions[0]
		for _, c := range versions {
			if !when.Before(c.from) {
				v = c
			}
		}
		truth := 30 + 40*rng.Float64()
		p := &patient{subject: int64(i + 1)}
		uid := fmt.Sprintf("2.25.%d", i+1)
		site := []string{"Hospital A", "Hospital B"}[i%2]
		p.study(uid, when, site, "CT-1", "none")
		p.sr(uid, when, "DCM//112031//mean", "[hnsf'U]", truth+rng.NormFloat64()*sdRad, "liver ROI", "", "SNOMED//10200004")
		p.ai(uid, when, "liver_mean_hu", "[hnsf'U]", truth+v.bias+rng.NormFloat64()*v.sd, "FatAI", v.name, "liver", "", "")
		ps = append(ps, p)
	}
	rep := evaluate(t, DefaultOptions("FatAI"), ps...)
	if len(rep.Quantities) != 1 || rep.Quantities[0].Quantity != "liver_hu" {
		t.Fatalf("quantities: %+v", rep.Quantities)
	}
	q := rep.Quantities[0]
	if q.Pairing.Paired != n || q.Pairing.ByRule[RuleOrganFeature] != n {
		t.Errorf("pairing: %+v", q.Pairing)
	}
	if len(q.ByVersion) != 3 {
		t.Fatalf("versions: %+v", q.ByVersion)
	}
	for i, s := range q.ByVersion {
		v := versions[i]
		if s.Value != v.name || s.BlandAltman == nil {
			t.Fatalf("stratum %d: %+v", i, s)
		}
		sd := math.Sqrt(v.sd*v.sd + sdRad*sdRad)
		se := sd / math.Sqrt(float64(s.N))
		near(t, "bias of "+v.name, s.BlandAltman.Bias, v.bias, 3*se)
		near(t, "SD of differences of "+v.name, s.BlandAltman.SD, sd, 0.2*sd)
		near(t, "lower limit of "+v.name, s.BlandAltman.Lower, v.bias-1.96*sd, 0.25*sd+3*se)
		if s.BlandAltman.BiasCI.Lower > v.bias || s.BlandAltman.BiasCI.Upper < v.bias {
			t.Logf("version %s: true bias %g outside the 95%% CI %+v (expected 1 time in 20)", v.name, v.bias, s.BlandAltman.BiasCI)
		}
		// Consistency is high; absolute agreement is lower when biased.
		if s.ICC31.Value < 0.95 || (math.Abs(v.bias) > 2 && s.ICC21.Value >= s.ICC31.Value) {
			t.Errorf("ICCs of %s: (2,1) %v (3,1) %v", v.name, s.ICC21.Value, s.ICC31.Value)
		}
		near(t, "MAE of "+v.name, s.Errors.MAE, expectedMAE(v.bias, sd), 0.15*sd)
	}
	// Change points: 1.0 → 1.1 unflagged, 1.1 → 2.0 flagged at its first
	// output.
	var got []string
	for _, c := range q.ChangePoints {
		got = append(got, fmt.Sprintf("%s %s→%s %v", c.Dimension, c.From, c.To, c.Flagged))
		if c.Dimension == "version" && c.To == "2.0" {
			if !c.Flagged || c.At.Before(versions[2].from) || c.At.Sub(versions[2].from) > 7*day {
				t.Errorf("2.0 change: %+v", c)
			}
			near(t, "bias change at 2.0", c.Bias.Diff, 5, 0.6)
		}
		if c.Dimension == "version" && c.To == "1.1" && c.Flagged {
			t.Errorf("1.1 did not change agreement, flagged: %+v", c)
		}
	}
	if strings.Join(got, "; ") != "version 1.0→1.1 false; version 1.1→2.0 true" {
		t.Errorf("change points: %s", strings.Join(got, "; "))
	}
	// Drift: the unlabelled shift is found where the version changed.
	if q.Drift == nil || !q.Drift.Flagged || q.Drift.ShiftAt == nil {
		t.Fatalf("drift: %+v", q.Drift)
	}
	if d := q.Drift.ShiftAt.Sub(versions[2].from); d < -31*day || d > 31*day {
		t.Errorf("shift located on %v, version change on %v", q.Drift.ShiftAt, versions[2].from)
	}
	if !strings.Contains(q.Drift.Coincides, "2.0") {
		t.Errorf("coincides: %q", q.Drift.Coincides)
	}
	// Sites share the tool: each site's bias is the overall one; months
	// cover the three years.
	if len(q.BySite) != 2 || len(q.ByMonth) != 36 {
		t.Errorf("%d sites, %d months", len(q.BySite), len(q.ByMonth))
	}
	for _, s := range q.BySite {
		near(t, "bias at "+s.Value, s.BlandAltman.Bias, q.Overall.BlandAltman.Bias, 0.6)
	}
	// The version spans are what the data show.
	if len(rep.Versions) != 3 || rep.Versions[2].Version != "2.0" || rep.Versions[2].First.Before(versions[2].from) {
		t.Errorf("versions: %+v", rep.Versions)
	}
	// --version evaluates one version only.
	opt := DefaultOptions("FatAI")
	opt.Version = "2.0"
	one := evaluate(t, opt, ps...)
	if v := one.Quantities[0]; len(v.ByVersion) != 1 || v.ByVersion[0].Value != "2.0" || v.Overall.N != q.ByVersion[2].N {
		t.Errorf("one version: %+v", v.ByVersion)
	}
}

// expectedMAE is E|X| for X ~ N(mu, sd²).
func expectedMAE(mu, sd float64) float64 {
	return sd*math.Sqrt(2/math.Pi)*math.Exp(-mu*mu/(2*sd*sd)) + mu*(1-2*normCDF(-mu/sd))
}

func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// A new scanner at one site adds 3 HU to the tool's error: it is flagged
// against the scanners before it, and its stratum shows the bias.
func TestNewScannerChangesAgreement(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 2))
	start := day0(2023, 1, 1)
	change := day0(2023, 7, 1)
	var ps []*patient
	for i := 0; i < 240; i++ {
		when := start.Add(time.Duration(i) * 36 * time.Hour)
		scanner, extra := "Vendor X", 0.0
		if i%2 == 1 {
			scanner = "Vendor Y"
			if !when.Before(change) {
				scanner, extra = "Vendor Z", 3
			}
		}
		truth := 40 + 20*rng.Float64()
		p := &patient{subject: int64(i + 1)}
		uid := fmt.Sprint("S", i)
		p.study(uid, when, "Hospital", scanner, "")
		p.sr(uid, when, "DCM//112031//mean", "[hnsf'U]", truth+rng.NormFloat64(), "liver ROI", "", "SNOMED//10200004")
		p.ai(uid, when, "liver_mean_hu", "[hnsf'U]", truth+extra+rng.NormFloat64(), "FatAI", "1", "liver", "", "")
		ps = append(ps, p)
	}
	q := evaluate(t, DefaultOptions("FatAI"), ps...).Quantities[0]
	var z *ChangePoint
	for i := range q.ChangePoints {
		c := &q.ChangePoints[i]
		if c.Dimension == "scanner" && c.To == "Vendor Z" {
			z = c
		}
		if c.Dimension == "scanner" && c.To == "Vendor Y" && c.Flagged {
			t.Errorf("Vendor Y flagged: %+v", c)
		}
	}
	if z == nil || !z.Flagged || z.At.Before(change) {
		t.Fatalf("Vendor Z: %+v (all %+v)", z, q.ChangePoints)
	}
	near(t, "bias change", z.Bias.Diff, 3, 0.6)
	for _, s := range q.ByScanner {
		want := 0.0
		if s.Value == "Vendor Z" {
			want = 3
		}
		near(t, "bias of "+s.Value, s.BlandAltman.Bias, want, 0.6)
	}
}
