package evaluation

import (
	"math"
	"sort"
	"time"

	"github.com/medtwin/medtwin/oncology"
	"github.com/medtwin/medtwin/timeline"
)

// Pairing rules, in the order they are tried within one study and
// quantity.
const (
	RuleTrackingUID     = "tracking-uid"
	RuleTrackingID      = "tracking-id"
	RuleOrganFeature    = "same-organ-feature"
	RuleSitePosition    = "site-position"
	RuleOnlyInOrgan     = "only-lesion-in-organ"
	StatusPaired        = "paired"
	StatusAIOnly        = "ai-only"
	StatusReferenceOnly = "reference-only"
)

// Rule describes one pairing rule.
type Rule struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// PairingRules documents the rules.
func PairingRules(maxDistanceMM float64) []Rule {
	return []Rule{
		{RuleTrackingUID, "same study, same quantity, same tracking unique identifier (DICOM SR TID 1500 (112040, DCM); imaging CSV tracking_uid)"},
		{RuleTrackingID, "same study, same quantity, same tracking identifier (DICOM SR (112039, DCM); imaging CSV roi)"},
		{RuleOrganFeature, "same study, same organ quantity (e.g. liver attenuation): the tool's one value against the radiologist's (their mean when several read it)"},
		{RuleSitePosition, "same study, lesion quantity, no shared identifier: same organ and node flag, nearest positions within " + ftoa(maxDistanceMM) + " mm (oncology.MatchLesions, the twin's lesion-matching rule)"},
		{RuleOnlyInOrgan, "same study, lesion quantity, no identifier and no positions: the only unpaired lesion of its organ on both sides (oncology.MatchLesions)"},
	}
}

// Pair is one of the tool's outputs with the radiologist's value of the
// same quantity of the same finding in the same study, or an output of
// either side left unpaired.
type Pair struct {
	Subject  int64     `json:"subjectId"`
	Study    string    `json:"study"`
	Time     time.Time `json:"time"`
	Quantity string    `json:"quantity"`
	Unit     string    `json:"unit"`
	Version  string    `json:"version,omitempty"`
	Site     string    `json:"site"`
	Scanner  string    `json:"scanner"`
	Status   string    `json:"status"`
	Rule     string    `json:"rule,omitempty"`
	// AI and Reference are the two values (NaN on the missing side);
	// References counts the radiologist readings averaged into Reference.
	AI         float64 `json:"ai"`
	Reference  float64 `json:"reference"`
	References int     `json:"references"`
	// Finding names the finding (tracking identifier or organ) for people.
	Finding      string       `json:"finding,omitempty"`
	AIKey        timeline.Key `json:"-"`
	ReferenceKey timeline.Key `json:"-"`
	AIRef        string       `json:"aiRef,omitempty"`
	ReferenceRef string       `json:"referenceRef,omitempty"`
	Contrast     string       `json:"contrast,omitempty"`
}

// Diff is AI − Reference.
func (p *Pair) Diff() float64 { return p.AI - p.Reference }

// pairStudy pairs the tool's and the radiologists' measurements of one
// study. Radiologist measurements of quantities the tool did not output in
// the study are not returned.
func pairStudy(ai, ref []*measurement, maxDist float64) []Pair {
	byQ := map[string][2][]*measurement{}
	var qs []string
	for _, m := range ai {
		g, ok := byQ[m.quantity]
		if !ok {
			qs = append(qs, m.quantity)
		}
		g[0] = append(g[0], m)
		byQ[m.quantity] = g
	}
	for _, m := range ref {
		if g, ok := byQ[m.quantity]; ok {
			g[1] = append(g[1], m)
			byQ[m.quantity] = g
		}
	}
	sort.Strings(qs)
	var out []Pair
	for _, q := range qs {
		g := byQ[q]
		out = append(out, pairQuantity(g[0], g[1], q, maxDist)...)
	}
	return out
}

func pairQuantity(ai, ref []*measurement, q string, maxDist float64) []Pair {
	var out []Pair
	emit := func(a *measurement, rs []*measurement, rule string) {
		p := Pair{Quantity: q, Unit: a.unit, Version: a.version, Status: StatusPaired, Rule: rule, AI: a.value,
			AIKey: a.key, AIRef: a.ref, Time: a.time, Finding: findingName(a)}
		var sum float64
		n := 0
		for _, r := range rs {
			v, err := timeline.ConvertUnit(r.value, r.unit, a.unit)
			if err != nil {
				continue // a unit that cannot be compared stays unpaired
			}
			r.used = true
			sum += v
			n++
			if n == 1 {
				p.ReferenceKey, p.ReferenceRef = r.key, r.ref
				if p.Finding == "" {
					p.Finding = findingName(r)
				}
			}
		}
		if n == 0 {
			return
		}
		a.used = true
		p.Reference, p.References = sum/float64(n), n
		out = append(out, p)
	}
	// 1-2: shared tracking identity.
	for _, byUID := range []bool{true, false} {
		rule := RuleTrackingID
		if byUID {
			rule = RuleTrackingUID
		}
		for _, a := range ai {
			id := a.trackID
			if byUID {
				id = a.tracking
			}
			if a.used || id == "" {
				continue
			}
			for _, r := range ref {
				rid := r.trackID
				if byUID {
					rid = r.tracking
				}
				if !r.used && rid == id {
					emit(a, []*measurement{r}, rule)
					break
				}
			}
		}
	}
	if !lesionScoped(q) {
		// 3: an organ quantity: the tool's single value against every
		// radiologist reading of it.
		var as, rs []*measurement
		for _, a := range ai {
			if !a.used {
				as = append(as, a)
			}
		}
		for _, r := range ref {
			if !r.used {
				rs = append(rs, r)
			}
		}
		if len(as) == 1 && len(rs) > 0 {
			emit(as[0], rs, RuleOrganFeature)
		}
	} else {
		// 4-5: lesions without a shared identifier, by oncology's matching.
		var as, rs []*measurement
		var ai2, rf2 []oncology.MatchItem
		for i, a := range ai {
			if !a.used {
				as = append(as, a)
				ai2 = append(ai2, oncology.MatchItem{Organ: a.organ, Node: a.node, X: a.x, Y: a.y, Z: a.z, Order: i})
			}
		}
		for j, r := range ref {
			if !r.used {
				rs = append(rs, r)
				rf2 = append(rf2, oncology.MatchItem{Organ: r.organ, Node: r.node, X: r.x, Y: r.y, Z: r.z, ID: itoa(j)})
			}
		}
		if len(as) > 0 && len(rs) > 0 {
			for _, m := range oncology.MatchLesions(ai2, rf2, maxDist) {
				rule := RuleOnlyInOrgan
				if m.ByPosition {
					rule = RuleSitePosition
				}
				emit(as[m.A], []*measurement{rs[m.B]}, rule)
			}
		}
	}
	for _, a := range ai {
		if !a.used {
			out = append(out, Pair{Quantity: q, Unit: a.unit, Version: a.version, Status: StatusAIOnly, AI: a.value,
				Reference: math.NaN(), AIKey: a.key, AIRef: a.ref, Time: a.time, Finding: findingName(a)})
		}
	}
	for _, r := range ref {
		if !r.used {
			unit := r.unit
			v := r.value
			if len(ai) > 0 {
				if c, err := timeline.ConvertUnit(r.value, r.unit, ai[0].unit); err == nil {
					unit, v = ai[0].unit, c
				}
			}
			out = append(out, Pair{Quantity: q, Unit: unit, Status: StatusReferenceOnly, AI: math.NaN(), Reference: v,
				References: 1, ReferenceKey: r.key, ReferenceRef: r.ref, Time: r.time, Finding: findingName(r)})
		}
	}
	return out
}

func findingName(m *measurement) string {
	if m.trackID != "" {
		return m.trackID
	}
	if m.tracking != "" {
		return m.tracking
	}
	return m.organ
}
