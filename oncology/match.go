package oncology

import (
	"math"
	"sort"
)

// MatchItem is a lesion reading as MatchLesions sees it.
type MatchItem struct {
	// Organ is OrganOf(site, site code, node).
	Organ string
	Node  bool
	// X, Y, Z: position in patient coordinates (mm), NaN when unknown.
	X, Y, Z float64
	// Order (first side) and ID (second side) break ties between equally
	// distant pairs, so that matching is deterministic.
	Order int
	ID    string
}

func (m *MatchItem) hasPos() bool {
	return !math.IsNaN(m.X) && !math.IsNaN(m.Y) && !math.IsNaN(m.Z)
}

// LesionMatch is one pair MatchLesions found: indexes into its two sides.
type LesionMatch struct {
	A, B int
	// ByPosition: matched by distance (DistanceMM); otherwise as the only
	// lesion of its organ on both sides, without positions (DistanceMM NaN).
	ByPosition bool
	DistanceMM float64
}

// MatchLesions pairs lesion readings a with lesions b that carry no shared
// identifier: the rule the twin uses to follow a lesion without a tracking
// identifier from one assessment to the next, and the evaluation of imaging
// AI tools uses to pair a tool's lesion with the radiologist's in one
// study. Candidates must have the same organ and node flag. With positions
// on both sides the nearest pairs within maxDistanceMM are matched first
// (greedy by distance); without positions a reading is matched only when
// it is the only unmatched one of its organ on both sides (never in the
// "unspecified" organ, and never when both have positions that were too
// far apart).
func MatchLesions(a, b []MatchItem, maxDistanceMM float64) []LesionMatch {
	type pair struct {
		i, j int
		d    float64
	}
	var pairs []pair
	for i := range a {
		if !a[i].hasPos() {
			continue
		}
		for j := range b {
			if b[j].Organ != a[i].Organ || b[j].Node != a[i].Node || !b[j].hasPos() {
				continue
			}
			d := math.Sqrt(sq(a[i].X-b[j].X) + sq(a[i].Y-b[j].Y) + sq(a[i].Z-b[j].Z))
			if d <= maxDistanceMM {
				pairs = append(pairs, pair{i, j, d})
			}
		}
	}
	sort.SliceStable(pairs, func(x, y int) bool {
		p, q := pairs[x], pairs[y]
		if p.d != q.d {
			return p.d < q.d
		}
		if a[p.i].Order != a[q.i].Order {
			return a[p.i].Order < a[q.i].Order
		}
		return b[p.j].ID < b[q.j].ID
	})
	usedA, usedB := make([]bool, len(a)), make([]bool, len(b))
	var out []LesionMatch
	for _, p := range pairs {
		if usedA[p.i] || usedB[p.j] {
			continue
		}
		usedA[p.i], usedB[p.j] = true, true
		out = append(out, LesionMatch{A: p.i, B: p.j, ByPosition: true, DistanceMM: p.d})
	}
	// No positions: the only lesion of an organ on both sides.
	type okey struct {
		organ string
		node  bool
	}
	left := map[okey][]int{}
	var keys []okey
	for i := range a {
		if usedA[i] {
			continue
		}
		k := okey{a[i].Organ, a[i].Node}
		if _, ok := left[k]; !ok {
			keys = append(keys, k)
		}
		left[k] = append(left[k], i)
	}
	for _, k := range keys {
		group := left[k]
		if len(group) != 1 || k.organ == organUnspecified {
			continue
		}
		only, n := -1, 0
		for j := range b {
			if !usedB[j] && b[j].Organ == k.organ && b[j].Node == k.node {
				only = j
				n++
			}
		}
		if n != 1 {
			continue
		}
		i := group[0]
		if a[i].hasPos() && b[only].hasPos() {
			continue // positions disagree beyond the threshold: a different lesion
		}
		usedA[i], usedB[only] = true, true
		out = append(out, LesionMatch{A: i, B: only, DistanceMM: math.NaN()})
	}
	return out
}

// OrganOf normalises a lesion's site (words and/or a SNOMED CT code) to
// the organ RECIST counts targets in; a node is always "lymph node".
func OrganOf(site, siteCode string, node bool) string { return organOf(site, siteCode, node) }
