package pneumonia

import (
	"sort"
	"time"

	"github.com/medtwin/medtwin/twin"
)

// LungCT is one CT study's lung involvement, from the imaging features
// IMAGING//CT//lung_ggo_pct, lung_consolidation_pct, lung_involvement_pct,
// lung_left_involvement_pct, lung_right_involvement_pct and
// lung_severity_score (named in timeline's code table).
type LungCT struct {
	Time time.Time `json:"time"`
	// Study is the study instance UID (a locator), when known.
	Study            string   `json:"study,omitempty"`
	GGOPct           *float64 `json:"ggoPct"`
	ConsolidationPct *float64 `json:"consolidationPct"`
	// InvolvementPct is the reported involvement, else ground-glass +
	// consolidation.
	InvolvementPct *float64 `json:"involvementPct"`
	LeftPct        *float64 `json:"leftPct"`
	RightPct       *float64 `json:"rightPct"`
	// SeverityScore is the producer's CT severity score, when reported.
	SeverityScore *float64 `json:"severityScore"`
	// Severity grades the whole-lung involvement with the per-lobe bands of
	// Pan F et al., Radiology 2020;295:715 (0 none, 1 < 5 %, 2 5-25 %,
	// 3 26-49 %, 4 50-75 %, 5 > 75 %): an approximation, since the bands
	// were defined per lobe.
	Severity      string       `json:"severity,omitempty"`
	SeverityGrade *int         `json:"severityGrade"`
	Inputs        []twin.Input `json:"inputs"`
}

// Severity grade labels, by Pan 2020 band.
var severityLabels = []string{"none", "minimal", "mild", "moderate", "severe", "critical"}

// SeverityGrade returns the Pan 2020 band of an involvement percentage.
func SeverityGrade(pct float64) int {
	switch p := q(pct); {
	case p <= 0:
		return 0
	case p < 5:
		return 1
	case p <= 25:
		return 2
	case p < 50:
		return 3
	case p <= 75:
		return 4
	}
	return 5
}

// lungCTs groups the lung features taken in [from, to] (any time when both
// are zero) by study (imaging detail StudyUID, else the feature time).
func (k *calc) lungCTs(from, to time.Time) []LungCT {
	type slot struct {
		concept string
		set     func(*LungCT, float64)
	}
	slots := []slot{
		{"lung_ggo_pct", func(c *LungCT, v float64) { c.GGOPct = twin.Ptr(v) }},
		{"lung_consolidation_pct", func(c *LungCT, v float64) { c.ConsolidationPct = twin.Ptr(v) }},
		{"lung_involvement_pct", func(c *LungCT, v float64) { c.InvolvementPct = twin.Ptr(v) }},
		{"lung_left_involvement_pct", func(c *LungCT, v float64) { c.LeftPct = twin.Ptr(v) }},
		{"lung_right_involvement_pct", func(c *LungCT, v float64) { c.RightPct = twin.Ptr(v) }},
		{"lung_severity_score", func(c *LungCT, v float64) { c.SeverityScore = twin.Ptr(v) }},
	}
	byKey := map[string]*LungCT{}
	var order []string
	for _, sl := range slots {
		for _, o := range k.v.Series(sl.concept) {
			if !k.ref.IsZero() && o.Available().After(k.ref) {
				continue
			}
			if !(from.IsZero() && to.IsZero()) && (o.Time.Before(from) || o.Time.After(to)) {
				continue
			}
			study := ""
			for _, d := range k.v.ImagingOf(o.Event.Key) {
				if d.StudyUID != "" {
					study = d.StudyUID
					break
				}
			}
			key := "study:" + study
			if study == "" {
				key = "time:" + o.Time.String()
			}
			c, ok := byKey[key]
			if !ok {
				c = &LungCT{Time: o.Time, Study: study}
				byKey[key] = c
				order = append(order, key)
			}
			if o.Time.Before(c.Time) {
				c.Time = o.Time
			}
			sl.set(c, o.Value)
			c.Inputs = append(c.Inputs, o.Input())
		}
	}
	out := make([]LungCT, 0, len(order))
	for _, key := range order {
		c := byKey[key]
		if c.InvolvementPct == nil && c.GGOPct != nil && c.ConsolidationPct != nil {
			c.InvolvementPct = twin.Ptr(twin.Round(*c.GGOPct+*c.ConsolidationPct, 2))
		}
		if c.InvolvementPct != nil {
			g := SeverityGrade(*c.InvolvementPct)
			c.SeverityGrade, c.Severity = &g, severityLabels[g]
		}
		out = append(out, *c)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// LungCTs returns the lung involvement of every CT study taken in [from, to]
// (any time when both are zero) and available at the view's reference time,
// in time order, whether or not it belongs to an episode: the twin's
// reading of the imaging features, for feature matrices.
func LungCTs(v *twin.View, c Config, from, to time.Time) ([]LungCT, error) {
	c, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	k := &calc{v: v, c: c, ref: v.Reference()}
	return k.lungCTs(from, to), nil
}
