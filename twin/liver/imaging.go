package liver

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

// Imaging is the CT liver picture: every liver attenuation measurement
// (IMAGING//CT//liver_mean_hu, paired with IMAGING//CT//spleen_mean_hu of
// the same study), the liver volume series (IMAGING//CT//liver_volume_ml)
// and the latest unenhanced steatosis assessment.
type Imaging struct {
	Attenuation []CTLiver `json:"attenuation"`
	Volume      []Measure `json:"volume"`
	// Steatosis is the latest assessment made on unenhanced CT (nil when
	// there is none).
	Steatosis *CTLiver `json:"steatosis"`
}

// CTLiver is one CT liver attenuation measurement.
type CTLiver struct {
	Time time.Time `json:"time"`
	// Study is the study instance UID (a locator), when known.
	Study string `json:"study,omitempty"`
	// Contrast is the phase: none, arterial, portal_venous, delayed or
	// unknown.
	Contrast         string   `json:"contrast"`
	LiverHU          float64  `json:"liverHU"`
	SpleenHU         *float64 `json:"spleenHU"`
	LiverMinusSpleen *float64 `json:"liverMinusSpleen"`
	LiverSpleenRatio *float64 `json:"liverSpleenRatio"`
	// Steatosis is the category (none, none-or-mild, mild,
	// moderate-severe); empty when the scan was enhanced or its phase is
	// unknown, Excluded then says why.
	Steatosis string       `json:"steatosis,omitempty"`
	Basis     string       `json:"basis,omitempty"`
	Excluded  string       `json:"excluded,omitempty"`
	Inputs    []twin.Input `json:"inputs"`
}

// Measure is one value of an imaging series.
type Measure struct {
	Time  time.Time  `json:"time"`
	Value float64    `json:"value"`
	Unit  string     `json:"unit"`
	Input twin.Input `json:"input"`
}

// CT steatosis thresholds for unenhanced CT (REFERENCE.md §6):
//   - liver < 48 HU is 100 % specific for ≥ 30 % histological fat (Pickhardt
//     PJ et al., Eur Radiol 2012;22:1075), and ≤ 40 HU marks moderate-severe
//     steatosis (Boyce CJ et al., AJR 2010;194:623);
//   - liver − spleen < −10 HU marks moderate-severe steatosis (ACR criteria
//     as summarised in REFERENCE.md §6, to verify against the primary);
//   - a liver/spleen ratio ≤ 1.1 also captures mild steatosis (Boyce 2010).
//
// The normal liver − spleen range is +1 to +18 HU (Park SH et al.,
// Radiology, as cited in REFERENCE.md §6). On contrast-enhanced CT these thresholds do not apply.
const (
	steatosisLiverHU     = 48.0
	steatosisSevereHU    = 40.0
	steatosisLMinusS     = -10.0
	steatosisMildLSRatio = 1.1
)

// Steatosis categorises an unenhanced CT liver attenuation (HU), with the
// spleen attenuation when one was measured.
func Steatosis(liver float64, spleen *float64) (category, basis string) {
	switch {
	case q(liver) <= steatosisSevereHU:
		return "moderate-severe", "liver ≤40 HU (Boyce 2010)"
	case q(liver) < steatosisLiverHU:
		return "moderate-severe", "liver <48 HU: ≥30% fat, 100% specific (Pickhardt 2012)"
	case spleen == nil:
		return "none-or-mild", "liver ≥48 HU; no spleen measurement to exclude mild steatosis"
	case q(liver-*spleen) < steatosisLMinusS:
		return "moderate-severe", "liver − spleen < −10 HU (ACR)"
	case *spleen > 0 && q(liver / *spleen) <= steatosisMildLSRatio:
		return "mild", "liver ≥48 HU, liver/spleen ≤1.1 (Boyce 2010)"
	}
	return "none", "liver ≥48 HU, liver/spleen >1.1 (Boyce 2010)"
}

// contrast returns the contrast phase of a feature event: its imaging
// detail's Contrast, a "contrast" key of the detail's Settings JSON, or the
// Contrast of another detail row of the same series; "unknown" otherwise.
func (k *calc) contrast(e *timeline.Event) (phase, study string) {
	ds := k.v.ImagingOf(e.Key)
	for _, d := range ds {
		if study == "" {
			study = d.StudyUID
		}
		if p := normPhase(d.Contrast); p != "" {
			return p, study
		}
		if d.Settings != "" {
			var m map[string]any
			if json.Unmarshal([]byte(d.Settings), &m) == nil {
				for _, key := range []string{"contrast", "contrast_phase", "contrastPhase"} {
					if s, ok := m[key].(string); ok {
						if p := normPhase(s); p != "" {
							return p, study
						}
					}
				}
			}
		}
	}
	for _, d := range ds {
		if d.SeriesUID == "" {
			continue
		}
		for _, o := range k.v.Details().Imaging {
			if o.SeriesUID == d.SeriesUID {
				if p := normPhase(o.Contrast); p != "" {
					return p, study
				}
			}
		}
	}
	return "unknown", study
}

func normPhase(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "":
		return ""
	case "none", "no", "non-contrast", "noncontrast", "unenhanced", "native", "false", "plain":
		return "none"
	case "pv", "portal", "portal venous", "portal-venous", "portalvenous", "venous":
		return "portal_venous"
	}
	return s
}

func (k *calc) imaging() Imaging {
	im := Imaging{Attenuation: []CTLiver{}, Volume: []Measure{}}
	spleens := k.v.Series("spleen_hu")
	for _, o := range k.v.Series("liver_hu") {
		if !k.ref.IsZero() && o.Available().After(k.ref) {
			continue
		}
		m := CTLiver{Time: o.Time, LiverHU: o.Value, Inputs: []twin.Input{o.Input()}}
		m.Contrast, m.Study = k.contrast(o.Event)
		for _, sp := range spleens {
			_, sStudy := k.contrast(sp.Event)
			if (m.Study != "" && sStudy == m.Study) || (m.Study == "" && sStudy == "" && sp.Time.Equal(o.Time)) {
				v := sp.Value
				m.SpleenHU = &v
				m.LiverMinusSpleen = twin.Ptr(twin.Round(o.Value-v, 1))
				if v != 0 {
					m.LiverSpleenRatio = twin.Ptr(twin.Round(o.Value/v, 2))
				}
				m.Inputs = append(m.Inputs, sp.Input())
				break
			}
		}
		switch m.Contrast {
		case "none":
			m.Steatosis, m.Basis = Steatosis(m.LiverHU, m.SpleenHU)
		case "unknown":
			m.Excluded = "contrast phase unknown: unenhanced-CT thresholds not applied"
		default:
			m.Excluded = "contrast-enhanced (" + m.Contrast + "): unenhanced-CT thresholds do not apply"
		}
		im.Attenuation = append(im.Attenuation, m)
	}
	for i := len(im.Attenuation) - 1; i >= 0; i-- {
		if im.Attenuation[i].Steatosis != "" {
			s := im.Attenuation[i]
			im.Steatosis = &s
			break
		}
	}
	for _, o := range k.v.Series("liver_volume") {
		if !k.ref.IsZero() && o.Available().After(k.ref) {
			continue
		}
		im.Volume = append(im.Volume, Measure{Time: o.Time, Value: o.Value, Unit: o.Unit, Input: o.Input()})
	}
	return im
}

// trends fits the slope of every score and key measurement over the trend
// window.
func (k *calc) trends(r *Result) []twin.Trend {
	out := []twin.Trend{}
	if k.ref.IsZero() {
		return out
	}
	for _, s := range r.Scores {
		out = append(out, twin.TrendOf(s.Name, "", twin.Points(s.Points), k.ref, k.c.TrendWindow))
	}
	for _, c := range []struct{ concept, name string }{
		{"alt", "ALT"}, {"ast", "AST"}, {"platelets", "platelets"}, {"bilirubin", "bilirubin"},
		{"albumin", "albumin"}, {"inr", "INR"}, {"creatinine", "creatinine"}, {"sodium", "sodium"},
	} {
		cc, _ := k.v.Codes.Concept(c.concept)
		var pts []twin.Point
		for _, o := range k.v.Series(c.concept) {
			if !o.Available().After(k.ref) {
				pts = append(pts, twin.Point{Time: o.Time, Value: o.Value})
			}
		}
		out = append(out, twin.TrendOf(c.name, cc.Unit, pts, k.ref, k.c.TrendWindow))
	}
	var hu, vol []twin.Point
	for _, a := range r.Imaging.Attenuation {
		if a.Contrast == "none" {
			hu = append(hu, twin.Point{Time: a.Time, Value: a.LiverHU})
		}
	}
	for _, m := range r.Imaging.Volume {
		vol = append(vol, twin.Point{Time: m.Time, Value: m.Value})
	}
	out = append(out, twin.TrendOf("liver attenuation (unenhanced CT)", "[hnsf'U]", hu, k.ref, k.c.TrendWindow))
	out = append(out, twin.TrendOf("liver volume", "mL", vol, k.ref, k.c.TrendWindow))
	return out
}
