package synth

import (
	"math"
)

// The CT phantom: a trunk in DICOM patient coordinates (LPS, millimetres:
// +x to the patient's left, +y posterior, +z head), whatever the matrix
// size. Organs are ellipsoids chosen not to overlap, so that the truth of
// a volume fraction is analytic: lungs above the diaphragm (z > 15), liver
// on the patient's right below it, spleen on the left, the pancreas
// between them, the spine behind.
const (
	fovXY      = 350.0 // mm, square field of view
	zMin, zMax = -155.0, 155.0
	huAir      = -1000
	huFat      = -100
	huSoft     = 40
	huBone     = 500
	huLung     = -860
	huGGO      = -600 // REFERENCE.md §6: ground-glass −750…−400 HU
	huConsol   = -50  // consolidation −400…0 HU
	noiseHU    = 10
)

type ellipsoid struct{ c, s [3]float64 }

func (e ellipsoid) u(x, y, z float64) float64 {
	dx, dy, dz := (x-e.c[0])/e.s[0], (y-e.c[1])/e.s[1], (z-e.c[2])/e.s[2]
	return dx*dx + dy*dy + dz*dz
}

func (e ellipsoid) volumeML() float64 { return 4 / 3.0 * math.Pi * e.s[0] * e.s[1] * e.s[2] / 1000 }

var (
	rightLung = ellipsoid{[3]float64{-70, 5, 85}, [3]float64{55, 70, 70}}
	leftLung  = ellipsoid{[3]float64{70, 5, 85}, [3]float64{50, 70, 65}}
	liverOrg  = ellipsoid{[3]float64{-65, 5, -50}, [3]float64{75, 70, 60}}
	spleenOrg = ellipsoid{[3]float64{85, 35, -45}, [3]float64{28, 40, 45}}
	pancreas  = ellipsoid{[3]float64{10, 20, -40}, [3]float64{30, 12, 12}}
)

func liverVolumeML() float64 { return liverOrg.volumeML() }

// lungShare is the share of the total lung volume each lung holds.
func lungShare() (right, left float64) {
	vr, vl := rightLung.volumeML(), leftLung.volumeML()
	return vr / (vr + vl), vl / (vr + vl)
}

// involvedShare is the share of the total lung volume in the involved
// lungs.
func (s *study) involvedShare() float64 {
	sr, sl := lungShare()
	share := 0.0
	if s.RightInvolved {
		share += sr
	}
	if s.LeftInvolved {
		share += sl
	}
	return share
}

// capFraction solves F(u) = f for the lower cap of an ellipsoid: the share
// of its volume below normalised height u ∈ [-1, 1] is (u+1)²(2−u)/4.
func capHeight(f float64) float64 {
	lo, hi := -1.0, 1.0
	for i := 0; i < 60; i++ {
		m := (lo + hi) / 2
		if (m+1)*(m+1)*(2-m)/4 < f {
			lo = m
		} else {
			hi = m
		}
	}
	return (lo + hi) / 2
}

// involvement returns, for each lung, the share of that lung's volume that
// is consolidated and that is involved (consolidation + ground-glass), from
// the study's percentages of the total lung volume.
func (s *study) involvement() (rc, rg, lc, lg float64) {
	share := s.involvedShare()
	if share == 0 {
		return
	}
	c := s.ConsolidationPct / 100 / share
	g := (s.ConsolidationPct + s.GGOPct) / 100 / share
	if s.RightInvolved {
		rc, rg = c, g
	}
	if s.LeftInvolved {
		lc, lg = c, g
	}
	return
}

// capInvolvement keeps the involved lungs at most 85 % affected.
func (s *study) capInvolvement() {
	max := 85 * s.involvedShare()
	if tot := s.GGOPct + s.ConsolidationPct; tot > max {
		k := max / tot
		s.GGOPct, s.ConsolidationPct = round(s.GGOPct*k, 1), round(s.ConsolidationPct*k, 1)
	}
}

// placeLesion draws a lesion centre well inside its organ.
func placeLesion(r rng, site string) (string, [3]float64) {
	var e ellipsoid
	code := ""
	switch site {
	case "liver":
		e, code = liverOrg, "SCT//10200004"
	case "lung":
		e = rightLung
		if r.chance(0.45) {
			e = leftLung
		}
		code = "SCT//39607008"
	case "pancreas":
		e, code = pancreas, "SCT//15776009"
		return code, e.c
	case "node":
		return "SCT//59441001", [3]float64{r.uniform(-8, 8), r.uniform(-40, -28), r.uniform(-90, 60)}
	case "colon":
		// The sigmoid colon, low in the left abdomen, below the organs.
		return "SCT//71854001", [3]float64{r.uniform(35, 55), r.uniform(-20, 0), r.uniform(-135, -120)}
	default:
		e, code = liverOrg, "SCT//10200004"
	}
	// A point in the inner half of the ellipsoid.
	for {
		x, y, z := r.uniform(-1, 1), r.uniform(-1, 1), r.uniform(-1, 1)
		if x*x+y*y+z*z <= 1 {
			return code, [3]float64{e.c[0] + 0.5*x*e.s[0], e.c[1] + 0.5*y*e.s[1], e.c[2] + 0.5*z*e.s[2]}
		}
	}
}

// lesionHU is a lesion's attenuation on a study.
func lesionHU(s *study, l *Lesion) float64 {
	switch l.Site {
	case "liver":
		return s.LiverHU - 45
	case "lung":
		return 35
	case "pancreas":
		return 25
	}
	return 45
}

// ctGeometry is a series' matrix and spacing.
type ctGeometry struct {
	cols, rows, slices int
	pixel, thickness   float64
}

func newGeometry(cols, rows, slices int) ctGeometry {
	return ctGeometry{cols: cols, rows: rows, slices: slices, pixel: fovXY / float64(cols), thickness: (zMax - zMin) / float64(slices)}
}

// position returns the centre of voxel (col, row, slice).
func (g ctGeometry) position(col, row, slice int) (x, y, z float64) {
	return -fovXY/2 + (float64(col)+0.5)*g.pixel, -fovXY/2 + (float64(row)+0.5)*g.pixel, zMin + (float64(slice)+0.5)*g.thickness
}

// render writes slice k of a study's volume as stored values
// (HU + 1024, RescaleIntercept −1024) into out (rows × cols).
func (g ctGeometry) render(s *study, k int, noise rng, out []uint16) {
	rc, rg, lc, lg := s.involvement()
	ruC, ruG := capHeight(rc), capHeight(rg)
	luC, luG := capHeight(lc), capHeight(lg)
	type les struct {
		c        [3]float64
		a, b, cz float64
		cos, sin float64
		hu       float64
	}
	var lesions []les
	for i := range s.Lesions {
		l := &s.Lesions[i]
		th := lesionAngle(l)
		lesions = append(lesions, les{c: l.Center, a: l.LongMM / 2, b: l.ShortMM / 2, cz: math.Max(l.ShortMM/2, 1), cos: math.Cos(th), sin: math.Sin(th), hu: lesionHU(s, l)})
	}
	for row := 0; row < g.rows; row++ {
		for col := 0; col < g.cols; col++ {
			x, y, z := g.position(col, row, k)
			hu := float64(huAir)
			bx, by := x/160, y/115
			if bx*bx+by*by <= 1 {
				hu = huFat
				ix, iy := x/148, y/103
				if ix*ix+iy*iy <= 1 {
					hu = huSoft
				}
				if dx, dy := x, y-78; dx*dx+dy*dy <= 16*16 {
					hu = huBone
				}
				switch {
				case rightLung.u(x, y, z) <= 1:
					hu = lungHU((z-rightLung.c[2])/rightLung.s[2], ruC, ruG, rc, rg)
				case leftLung.u(x, y, z) <= 1:
					hu = lungHU((z-leftLung.c[2])/leftLung.s[2], luC, luG, lc, lg)
				case liverOrg.u(x, y, z) <= 1:
					hu = s.LiverHU
				case spleenOrg.u(x, y, z) <= 1:
					hu = s.SpleenHU
				case pancreas.u(x, y, z) <= 1:
					hu = 45
				}
				for _, l := range lesions {
					dx, dy, dz := x-l.c[0], y-l.c[1], z-l.c[2]
					u := dx*l.cos + dy*l.sin
					v := -dx*l.sin + dy*l.cos
					if (u*u)/(l.a*l.a)+(v*v)/(l.b*l.b)+(dz*dz)/(l.cz*l.cz) <= 1 {
						hu = l.hu
					}
				}
				hu += noise.norm(0, noiseHU)
			}
			out[row*g.cols+col] = uint16(clamp(math.Round(hu)+1024, 0, 4095))
		}
	}
}

func lungHU(u, uc, ug, fc, fg float64) float64 {
	switch {
	case fc > 0 && u <= uc:
		return huConsol
	case fg > 0 && u <= ug:
		return huGGO
	}
	return huLung
}

// lesionAngle is the in-plane direction of a lesion's long axis, fixed for
// the lesion across studies.
func lesionAngle(l *Lesion) float64 {
	h := 0.0
	for _, c := range l.TrackingUID {
		h = math.Mod(h*31+float64(c), 1000)
	}
	return h / 1000 * math.Pi
}
