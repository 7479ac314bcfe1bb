package features

import (
	"errors"
	"fmt"
	"math"
)

// ErrNoLung: no air-filled region inside the body large enough to be a
// lung (not a chest CT, or lungs outside the field of view).
var ErrNoLung = errors.New("no lung found")

// LungOptions configure lung segmentation and the density compartments.
type LungOptions struct {
	// AirHU separates aerated lung from soft tissue when finding the lungs
	// (and the body: tissue ≥ AirHU).
	AirHU float64 `json:"airHU"`
	// GGO and Consolidation are the density ranges [lo, hi) HU whose share
	// of the lung volume is reported. Defaults: −750…−400 (infiltrated /
	// ground-glass) and −400…0 (collapsed / consolidation), the
	// compartments of 3D Slicer's Lung CT Analyzer (rbumm/
	// SlicerLungCTAnalyzer, LungCTAnalyzer.py; REFERENCE.md §6).
	GGO           [2]float64 `json:"ggoHU"`
	Consolidation [2]float64 `json:"consolidationHU"`
	// MinLungML is the smallest air region taken for a lung; a second
	// region must also hold SecondLungFraction of the first.
	MinLungML          float64 `json:"minLungML"`
	SecondLungFraction float64 `json:"secondLungFraction"`
	// Airway tracking: the trachea is seeded on the most cranial slices as
	// an enclosed air region of TracheaMinMM2…AirwayMaxMM2 near the body's
	// left-right centre, then followed caudally while its cross-sections
	// stay under AirwayMaxMM2 (down the main bronchi to the hila).
	TracheaMinMM2 float64 `json:"tracheaMinMM2"`
	AirwayMaxMM2  float64 `json:"airwayMaxMM2"`
}

// DefaultLungOptions returns the defaults documented on LungOptions.
func DefaultLungOptions() LungOptions {
	return LungOptions{AirHU: -500, GGO: [2]float64{-750, -400}, Consolidation: [2]float64{-400, 0},
		MinLungML: 100, SecondLungFraction: 0.15, TracheaMinMM2: 40, AirwayMaxMM2: 900}
}

// LungSide is the involvement of one lung (or both).
type LungSide struct {
	VolumeML         float64
	MeanHU           float64
	GGOPct           float64 // % of the lung volume in the GGO range
	ConsolidationPct float64 // % in the consolidation range
	InvolvementPct   float64 // GGOPct + ConsolidationPct
}

// Lung is the lung involvement of one chest CT.
type Lung struct {
	Total, Left, Right LungSide
	// Zones are the five pseudo-lobes of the approximate severity score:
	// right upper, middle and lower thirds and left upper and lower halves
	// of each lung's cranio-caudal extent, with their involvement.
	Zones [5]LungZone
	// SeverityScore is an approximate CT severity score 0–25: each zone
	// graded 0–5 as a lobe is in Pan F et al., Radiology 2020;295:715 (0
	// none, 1 < 5 %, 2 5–25 %, 3 26–49 %, 4 50–75 %, 5 > 75 %) and summed.
	// Approximate because the zones stand in for the five lobes, which are
	// not segmented.
	SeverityScore int
	// Split says how the lungs were told apart: "components" (two separate
	// regions) or "midline" (one region cut at its narrowest left-right
	// point).
	Split string
	// AirwayML is the volume removed as trachea and main bronchi.
	AirwayML float64
}

// LungZone is one pseudo-lobe.
type LungZone struct {
	Name           string
	VolumeML       float64
	InvolvementPct float64
	Grade          int
}

// panGrade bands a lobe's involvement as Pan 2020 does.
func panGrade(pct float64) int {
	bands := []struct {
		upTo      float64
		inclusive bool
	}{{0, true}, {5, false}, {25, true}, {50, false}, {75, true}}
	for g, b := range bands {
		if pct < b.upTo || (b.inclusive && pct == b.upTo) {
			return g
		}
	}
	return 5
}

// Labels of SegmentLungs' mask.
const (
	LabelRightLung uint8 = 1
	LabelLeftLung  uint8 = 2
)

// SegmentLungs finds the lungs of a chest CT and returns them as one mask
// holding LabelRightLung and LabelLeftLung. The body (tissue ≥ AirHU,
// largest 6-connected component, holes filled slice by slice) excludes
// the air outside the patient; inside it, air below AirHU minus the
// tracked trachea and main bronchi splits into 6-connected regions; the
// largest (and the second when large enough) are the lungs, told left from
// right by position (patient +x is left), and each is filled slice by
// slice so that vessels and enclosed dense lesions count as lung. body may
// be nil (computed); it is not modified. Dense lesions at the lung's outer
// surface that no aerated lung encloses are missed: the involvement is a
// lower bound there. Memory: one mask besides body and the volume.
func SegmentLungs(v *Volume, body *Mask, o LungOptions) (lungs *Mask, info Lung, err error) {
	if body == nil {
		body = Threshold(v, o.AirHU, math.Inf(1)).KeepLargest(Conn6)
	} else if err := body.Check(v); err != nil {
		return nil, info, err
	}
	cand := body.FillHoles2D()
	cand.KeepRange(v, math.Inf(-1), o.AirHU) // in place: enclosed air
	airway := removeAirways(v, cand, o)
	info.AirwayML = float64(airway) * v.VoxelVolume() / 1000
	comps := cand.Label(Conn6)
	voxML := v.VoxelVolume() / 1000
	var keep []Component
	for i, c := range comps.List {
		if i >= 2 || float64(c.Size)*voxML < o.MinLungML {
			break
		}
		if i == 1 && float64(c.Size) < o.SecondLungFraction*float64(comps.List[0].Size) {
			break
		}
		keep = append(keep, c)
	}
	if len(keep) == 0 {
		return nil, info, fmt.Errorf("%w: no enclosed air region of %g mL or more", ErrNoLung, o.MinLungML)
	}
	lungs = cand // reused: the components keep their runs
	if len(keep) == 2 {
		info.Split = "components"
		// Patient left is +x (LPS).
		px := func(c [3]float64) float64 { return v.Point(c[0], c[1], c[2])[0] }
		leftLabel := keep[0].Label
		if px(keep[1].Centroid) > px(keep[0].Centroid) {
			leftLabel = keep[1].Label
		}
		comps.Paint(lungs, func(l int) uint8 {
			switch {
			case l == leftLabel:
				return LabelLeftLung
			case l <= 2:
				return LabelRightLung
			}
			return 0
		})
	} else {
		info.Split = "midline"
		comps.Paint(lungs, func(l int) uint8 {
			if l == 1 {
				return 1
			}
			return 0
		})
		splitMidline(v, lungs, keep[0])
	}
	fillHoles2D(lungs, LabelRightLung)
	fillHoles2D(lungs, LabelLeftLung)
	return lungs, info, nil
}

// splitMidline labels one region holding both lungs left and right of the
// column, within the middle third of its left-right extent, crossed by the
// fewest of its voxels (the mediastinum between the lungs).
func splitMidline(v *Volume, both *Mask, c Component) {
	cols := make([]int, v.Nx)
	for i, b := range both.Bits {
		if b != 0 {
			cols[i%v.Nx]++
		}
	}
	w := c.Hi[0] - c.Lo[0] + 1
	best, cut := math.MaxInt, (c.Lo[0]+c.Hi[0])/2
	for x := c.Lo[0] + w/3; x <= c.Hi[0]-w/3; x++ {
		if cols[x] < best {
			best, cut = cols[x], x
		}
	}
	// Higher column index is patient left when the row direction has +x.
	low, high := LabelRightLung, LabelLeftLung
	if v.Direction[0][0] < 0 {
		low, high = high, low
	}
	for i, b := range both.Bits {
		if b == 0 {
			continue
		}
		if i%v.Nx < cut {
			both.Bits[i] = low
		} else {
			both.Bits[i] = high
		}
	}
}

// removeAirways clears the trachea and main bronchi from the enclosed-air
// mask, slice by slice from the most cranial, and returns the voxels
// removed.
func removeAirways(v *Volume, cand *Mask, o LungOptions) int {
	plane := v.Nx * v.Ny
	pixMM2 := v.Spacing[0] * v.Spacing[1]
	labels := make([]int32, plane)
	prev := make([]uint8, plane)
	cur := make([]uint8, plane)
	stack := make([]int32, 0, 1024)
	var comp []int32
	started, removed := false, 0
	// Cranial first: patient +z is superior.
	order := make([]int, v.Nz)
	for k := range order {
		order[k] = k
		if v.Direction[2][2] >= 0 {
			order[k] = v.Nz - 1 - k
		}
	}
	for _, z := range order {
		sl := cand.Bits[z*plane : (z+1)*plane]
		clear(labels)
		clear(cur)
		// Body's left-right extent on this slice (tissue ≥ AirHU).
		bx0, bx1 := v.Nx, -1
		for i := 0; i < plane; i++ {
			if v.Value(z*plane+i) >= o.AirHU {
				x := i % v.Nx
				bx0, bx1 = min(bx0, x), max(bx1, x)
			}
		}
		found := false
		var next int32 = 1
		for p := 0; p < plane; p++ {
			if sl[p] == 0 || labels[p] != 0 {
				continue
			}
			comp = comp[:0]
			stack = append(stack[:0], int32(p))
			labels[p] = next
			overlaps := false
			var sx float64
			for len(stack) > 0 {
				i := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				comp = append(comp, i)
				if prev[i] != 0 {
					overlaps = true
				}
				x, y := int(i)%v.Nx, int(i)/v.Nx
				sx += float64(x)
				for _, d := range [4][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
					xx, yy := x+d[0], y+d[1]
					if xx < 0 || yy < 0 || xx >= v.Nx || yy >= v.Ny {
						continue
					}
					j := int32(yy*v.Nx + xx)
					if sl[j] != 0 && labels[j] == 0 {
						labels[j] = next
						stack = append(stack, j)
					}
				}
			}
			next++
			area := float64(len(comp)) * pixMM2
			isAirway := false
			if started {
				isAirway = overlaps && area <= o.AirwayMaxMM2
			} else if area >= o.TracheaMinMM2 && area <= o.AirwayMaxMM2 && bx1 > bx0 {
				cx := sx / float64(len(comp))
				mid, half := float64(bx0+bx1)/2, float64(bx1-bx0)/2
				isAirway = math.Abs(cx-mid) <= 0.15*half
			}
			if isAirway {
				found = true
				for _, i := range comp {
					cur[i] = 1
					sl[i] = 0
				}
				removed += len(comp)
			}
		}
		if started && !found {
			break // the airway has entered the lungs
		}
		if found {
			started = true
		}
		prev, cur = cur, prev
	}
	return removed
}

// ComputeLung segments the lungs and measures their involvement.
func ComputeLung(v *Volume, body *Mask, o LungOptions) (Lung, error) {
	if !(o.GGO[0] < o.GGO[1]) || !(o.Consolidation[0] < o.Consolidation[1]) {
		return Lung{}, fmt.Errorf("%w: density ranges must have lo < hi", ErrSettings)
	}
	lungs, info, err := SegmentLungs(v, body, o)
	if err != nil {
		return info, err
	}
	voxML := v.VoxelVolume() / 1000
	type acc struct {
		n, ggo, cons int
		sum          float64
	}
	add := func(a *acc, x float64) {
		a.n++
		a.sum += x
		if x >= o.GGO[0] && x < o.GGO[1] {
			a.ggo++
		}
		if x >= o.Consolidation[0] && x < o.Consolidation[1] {
			a.cons++
		}
	}
	side := func(a acc) LungSide {
		s := LungSide{VolumeML: float64(a.n) * voxML}
		if a.n > 0 {
			s.MeanHU = a.sum / float64(a.n)
			s.GGOPct = 100 * float64(a.ggo) / float64(a.n)
			s.ConsolidationPct = 100 * float64(a.cons) / float64(a.n)
			s.InvolvementPct = s.GGOPct + s.ConsolidationPct
		}
		return s
	}
	// Zones along the cranio-caudal axis: slice ranges of each lung.
	plane := v.Nx * v.Ny
	zr := func(label uint8, parts int) []int {
		lo, hi := v.Nz, -1
		for i, b := range lungs.Bits {
			if b == label {
				lo, hi = min(lo, i/plane), max(hi, i/plane)
			}
		}
		zone := make([]int, v.Nz)
		n := hi - lo + 1
		for z := lo; z <= hi; z++ {
			k := (z - lo) * parts / n
			if v.Direction[2][2] >= 0 { // higher z is cranial: zone 0 is the top
				k = parts - 1 - k
			}
			zone[z] = k
		}
		return zone
	}
	rz, lz := zr(LabelRightLung, 3), zr(LabelLeftLung, 2)
	var l, r acc
	var zones [5]acc
	for i, b := range lungs.Bits {
		if b == 0 {
			continue
		}
		x := v.Value(i)
		z := i / plane
		if b == LabelRightLung {
			add(&r, x)
			add(&zones[rz[z]], x)
		} else {
			add(&l, x)
			add(&zones[3+lz[z]], x)
		}
	}
	info.Left, info.Right = side(l), side(r)
	info.Total = side(acc{n: l.n + r.n, ggo: l.ggo + r.ggo, cons: l.cons + r.cons, sum: l.sum + r.sum})
	names := [5]string{"right upper third", "right middle third", "right lower third", "left upper half", "left lower half"}
	for k := range zones {
		s := side(zones[k])
		info.Zones[k] = LungZone{Name: names[k], VolumeML: s.VolumeML, InvolvementPct: s.InvolvementPct, Grade: panGrade(s.InvolvementPct)}
		info.SeverityScore += info.Zones[k].Grade
	}
	return info, nil
}
