package oncology

import (
	"math"
	"testing"
)

func TestMatchLesions(t *testing.T) {
	nan := math.NaN()
	a := []MatchItem{
		{Organ: "liver", X: 10, Y: 0, Z: 0, Order: 0},
		{Organ: "liver", X: 50, Y: 0, Z: 0, Order: 1},
		{Organ: "lung", X: nan, Y: nan, Z: nan, Order: 2},
		{Organ: "lymph node", Node: true, X: 0, Y: 0, Z: 0, Order: 3},
		{Organ: organUnspecified, X: nan, Y: nan, Z: nan, Order: 4},
	}
	b := []MatchItem{
		{Organ: "liver", X: 48, Y: 0, Z: 0, ID: "b0"},     // 2 mm from a1, 38 from a0
		{Organ: "liver", X: 12, Y: 0, Z: 0, ID: "b1"},     // 2 mm from a0
		{Organ: "lung", X: 0, Y: 0, Z: 0, ID: "b2"},       // only lung: matched without positions
		{Organ: "lymph node", X: 0, Y: 0, Z: 0, ID: "b3"}, // not a node: never a node's match
		{Organ: organUnspecified, X: nan, Y: nan, Z: nan, ID: "b4"},
	}
	got := map[int]int{}
	for _, m := range MatchLesions(a, b, 20) {
		got[m.A] = m.B
		if m.ByPosition != (m.A != 2) {
			t.Errorf("pair %d-%d by position = %v", m.A, m.B, m.ByPosition)
		}
	}
	want := map[int]int{0: 1, 1: 0, 2: 2}
	if len(got) != len(want) {
		t.Fatalf("matches %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("a%d matched b%d, want b%d", k, got[k], v)
		}
	}
	// Too far apart with positions on both sides: no match, even as the
	// only lesion of the organ.
	if m := MatchLesions([]MatchItem{{Organ: "liver", X: 0, Y: 0, Z: 0}}, []MatchItem{{Organ: "liver", X: 30, Y: 0, Z: 0}}, 20); len(m) != 0 {
		t.Errorf("far lesions matched: %+v", m)
	}
	if o := OrganOf("", "SNOMED//78961009", false); o != "spleen" {
		t.Errorf("spleen code: %q", o)
	}
}
