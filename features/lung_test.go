package features

import (
	"errors"
	"math"
	"testing"
)

// chestPhantom is a synthetic chest CT (1.5 × 1.5 × 2.5 mm, +z cranial):
// an elliptic body of soft tissue in air; two ellipsoidal lungs at
// −850 HU with a vessel, a ground-glass sphere (−600 HU) in the left lung
// and a consolidation sphere (−200 HU) in the right; a trachea from the
// top slice branching into two main bronchi; a pocket of bowel gas below
// the lungs. With bridge, an air channel joins the lungs in front of the
// heart, so they form one region. truth labels each voxel: 1 right
// lung, 2 left lung, 3 airway outside the lungs, 0 other.
func chestPhantom(bridge bool) (v *Volume, truth []uint8) {
	const nx, ny, nz = 200, 160, 80
	sp := [3]float64{1.5, 1.5, 2.5}
	inEll := func(p, c, r [3]float64) bool {
		s := 0.0
		for k := 0; k < 3; k++ {
			d := (p[k] - c[k]) / r[k]
			s += d * d
		}
		return s <= 1
	}
	inSphere := func(p, c [3]float64, r float64) bool { return dist2(p, c) <= r*r }
	// Distance from p to the segment ab.
	segDist := func(p, a, b [3]float64) float64 {
		ab, ap := sub(b, a), sub(p, a)
		t := math.Max(0, math.Min(1, dot(ap, ab)/dot(ab, ab)))
		q := [3]float64{a[0] + t*ab[0], a[1] + t*ab[1], a[2] + t*ab[2]}
		return math.Sqrt(dist2(p, q))
	}
	rC, rR := [3]float64{95, 120, 90}, [3]float64{45, 60, 70}
	lC := [3]float64{205, 120, 90}
	carina := [3]float64{150, 110, 150}
	truth = make([]uint8, nx*ny*nz)
	i := 0
	v = synth(nx, ny, nz, sp, func(p [3]float64) float64 {
		defer func() { i++ }()
		dx, dy := (p[0]-150)/130, (p[1]-120)/100
		if dx*dx+dy*dy > 1 {
			return -1000
		}
		inR, inL := inEll(p, rC, rR), inEll(p, lC, rR)
		switch {
		case inR:
			truth[i] = 1
		case inL:
			truth[i] = 2
		}
		switch {
		case inR && math.Hypot(p[0]-90, p[1]-120) <= 3 && p[2] > 40 && p[2] < 140:
			return 40 // vessel
		case inR && inSphere(p, [3]float64{90, 140, 70}, 20):
			return -200 // consolidation
		case inL && inSphere(p, [3]float64{200, 110, 80}, 28):
			return -600 // ground glass
		case inR || inL:
			return -850
		}
		if (p[2] >= 150 && math.Hypot(p[0]-150, p[1]-110) <= 9) ||
			segDist(p, carina, [3]float64{105, 115, 95}) <= 6 || segDist(p, carina, [3]float64{195, 115, 95}) <= 6 {
			truth[i] = 3
			return -1000 // trachea and main bronchi
		}
		if bridge && p[1] >= 100 && p[1] <= 110 && p[2] >= 80 && p[2] <= 100 && p[0] > 130 && p[0] < 170 {
			truth[i] = 4
			return -900 // air joining the lungs
		}
		if inSphere(p, [3]float64{150, 150, 10}, 12) {
			return -1000 // bowel gas
		}
		return 40
	})
	return v, truth
}

func TestLungPhantom(t *testing.T) {
	for _, bridge := range []bool{false, true} {
		name := map[bool]string{false: "separate", true: "joined"}[bridge]
		t.Run(name, func(t *testing.T) {
			v, truth := chestPhantom(bridge)
			o := DefaultLungOptions()
			lung, err := ComputeLung(v, nil, o)
			if err != nil {
				t.Fatal(err)
			}
			// Truth from the labels.
			var n [3]int
			var ggo, cons [3]int
			for i, l := range truth {
				if l != 1 && l != 2 {
					continue
				}
				x := v.Value(i)
				n[l]++
				if x >= -750 && x < -400 {
					ggo[l]++
				}
				if x >= -400 && x < 0 {
					cons[l]++
				}
			}
			voxML := v.VoxelVolume() / 1000
			want := func(side int) LungSide {
				return LungSide{VolumeML: float64(n[side]) * voxML, GGOPct: 100 * float64(ggo[side]) / float64(n[side]),
					ConsolidationPct: 100 * float64(cons[side]) / float64(n[side])}
			}
			wantSplit := map[bool]string{false: "components", true: "midline"}[bridge]
			if lung.Split != wantSplit {
				t.Errorf("split %q, want %q", lung.Split, wantSplit)
			}
			for _, c := range []struct {
				name      string
				got, want LungSide
			}{{"right", lung.Right, want(1)}, {"left", lung.Left, want(2)}} {
				// Volumes within 1 % (the bridge adds its air to the lungs);
				// shares within 0.3 percentage points.
				if math.Abs(c.got.VolumeML-c.want.VolumeML) > 0.01*c.want.VolumeML {
					t.Errorf("%s lung %.1f mL, truth %.1f mL", c.name, c.got.VolumeML, c.want.VolumeML)
				}
				if math.Abs(c.got.GGOPct-c.want.GGOPct) > 0.3 || math.Abs(c.got.ConsolidationPct-c.want.ConsolidationPct) > 0.3 {
					t.Errorf("%s lung GGO %.2f %% consolidation %.2f %%, truth %.2f %% %.2f %%", c.name,
						c.got.GGOPct, c.got.ConsolidationPct, c.want.GGOPct, c.want.ConsolidationPct)
				}
			}
			if want(2).GGOPct < 5 || want(1).ConsolidationPct < 2 {
				t.Fatalf("phantom lesions too small to test: %+v %+v", want(1), want(2))
			}
			if lung.AirwayML <= 0 {
				t.Error("no airway removed")
			}
			tot := lung.Total
			if math.Abs(tot.InvolvementPct-(tot.GGOPct+tot.ConsolidationPct)) > 1e-9 {
				t.Error("involvement is not GGO + consolidation")
			}
			score, vol := 0, 0.0
			for _, z := range lung.Zones {
				score += z.Grade
				vol += z.VolumeML
				if z.Grade != panGrade(z.InvolvementPct) {
					t.Errorf("zone %s graded %d for %.1f %%", z.Name, z.Grade, z.InvolvementPct)
				}
			}
			if score != lung.SeverityScore || math.Abs(vol-tot.VolumeML) > 1e-6 {
				t.Errorf("score %d (zones %d), zone volume %.1f of %.1f", lung.SeverityScore, score, vol, tot.VolumeML)
			}
			t.Logf("%+v", lung)
		})
	}
}

// Pan 2020 bands: 0 none, 1 < 5 %, 2 5–25 %, 3 26–49 %, 4 50–75 %,
// 5 > 75 %.
func TestPanGrade(t *testing.T) {
	for _, c := range []struct {
		pct  float64
		want int
	}{{0, 0}, {0.01, 1}, {4.99, 1}, {5, 2}, {25, 2}, {25.5, 3}, {49.9, 3}, {50, 4}, {75, 4}, {75.1, 5}, {100, 5}} {
		if g := panGrade(c.pct); g != c.want {
			t.Errorf("%.2f %% → %d, want %d", c.pct, g, c.want)
		}
	}
}

// A volume with no lungs (soft tissue only) is ErrNoLung.
func TestNoLung(t *testing.T) {
	v := synth(40, 40, 10, [3]float64{1, 1, 1}, func(p [3]float64) float64 {
		if math.Hypot(p[0]-20, p[1]-20) < 15 {
			return 40
		}
		return -1000
	})
	if _, err := ComputeLung(v, nil, DefaultLungOptions()); !errors.Is(err, ErrNoLung) {
		t.Errorf("got %v, want ErrNoLung", err)
	}
}
