package evaluation

import (
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/medtwin/medtwin/oncology"
	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

// measurement is one value of one quantity of one finding in one study,
// by the evaluated tool or by a radiologist.
type measurement struct {
	key       timeline.Key
	ref       string // event reference (source locator and record key)
	study     string // study UID, or "date:YYYY-MM-DD" when the source gives none
	time      time.Time
	quantity  string
	unit      string
	value     float64
	version   string
	observer  string
	tracking  string // tracking UID
	trackID   string // tracking identifier (ROI name)
	organ     string
	node      bool
	x, y, z   float64
	fromTable timeline.DetailTable
	settings  map[string]string
	used      bool
}

// Length quantities of tracked findings, by SNOMED CT concept (DICOM
// PS3.16 CID 7470 "Linear measurements").
var srLengths = map[string]string{
	"103339001": "lesion_long_axis",  // Long Axis
	"103340004": "lesion_short_axis", // Short Axis
	"81827009":  "lesion_long_axis",  // Diameter (RECIST measures the longest)
	"410668003": "lesion_long_axis",  // Length
}

// Organ quantities and their names in the concept table.
var organConcepts = map[string]string{"liver": "liver_hu", "spleen": "spleen_hu"}

// lesionScoped reports whether a quantity measures one finding (a lesion, a
// nodule) rather than an organ: such values pair by tracking identifier or
// by lesion matching, organ values by study.
func lesionScoped(q string) bool {
	for _, p := range []string{"lesion_", "nodule_", "tumor_", "tumour_", "mass_"} {
		if strings.HasPrefix(q, p) {
			return true
		}
	}
	return false
}

// quantityOf names what an imaging feature measures: the concept of its
// code when the concept table knows it (IMAGING//CT//liver_mean_hu is
// liver_hu), the feature name of other IMAGING codes, and for DICOM SR
// concepts the lesion length, organ attenuation (mean of an ROI) or volume
// they report. "" when the feature is nothing the evaluation compares.
func quantityOf(codes *timeline.CodeTable, code string, d *timeline.ImagingDetail, settings map[string]string) string {
	if c, ok := codes.ConceptOf(code); ok {
		return c.Name
	}
	vocab, parts := timeline.SplitCode(code)
	if len(parts) == 0 {
		return ""
	}
	if vocab == timeline.VocabImaging {
		if len(parts) >= 2 {
			return parts[1]
		}
		return ""
	}
	concept := parts[0]
	qual := ""
	if len(parts) > 1 {
		qual = parts[1]
	}
	switch vocab {
	case "SNOMED", "SCT":
		if q, ok := srLengths[concept]; ok {
			return q
		}
		if concept == "118565006" { // Volume
			organ := organOfDetail(d, settings)
			if organ == "" || organ == "unspecified" {
				return ""
			}
			if f := settings["finding"]; f != "" && f != d.FindingSite {
				return "lesion_volume"
			}
			return organ + "_volume"
		}
	case "DCM":
		if concept == "112031" && (qual == "" || qual == "mean") { // Attenuation Coefficient
			organ := organOfDetail(d, settings)
			if organ == "" || organ == "unspecified" {
				return ""
			}
			if c, ok := organConcepts[organ]; ok {
				return c
			}
			return organ + "_hu"
		}
	}
	return ""
}

func organOfDetail(d *timeline.ImagingDetail, settings map[string]string) string {
	if d.FindingSite != "" {
		return oncology.OrganOf("", d.FindingSite, false)
	}
	if s := settings["finding_site"]; s != "" {
		return oncology.OrganOf("", s, false)
	}
	if d.ROI != "" {
		return oncology.OrganOf(d.ROI, "", false)
	}
	return ""
}

// parseSettings reads a detail's settings JSON's string values.
func parseSettings(s string) map[string]string {
	if !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return nil
	}
	var m map[string]any
	if json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if str, ok := v.(string); ok {
			out[k] = strings.TrimSpace(str)
		}
	}
	return out
}

func studyKey(uid string, t time.Time) string {
	if uid = strings.TrimSpace(uid); uid != "" {
		return uid
	}
	return "date:" + t.UTC().Format("2006-01-02")
}

// studyInfo is what the imaging_study series of a study say: where and on
// what it was acquired, and with which contrast.
type studyInfo struct {
	time     time.Time
	site     string
	scanner  string
	contrast string // none, enhanced, unknown, or "" (not stated)
}

// collect extracts the evaluated tool's measurements and the
// radiologists' from a view. Tool measurements are the imaging features
// and lesion rows whose algorithm is the tool's (of the chosen version);
// radiologists' are those without an algorithm.
func collect(v *twin.View, opt *Options) (ai, ref []*measurement, studies map[string]*studyInfo) {
	studies = map[string]*studyInfo{}
	d := v.Details()
	// Studies: site, scanner and contrast from the series rows of
	// imaging_study events.
	for i := range d.Imaging {
		row := &d.Imaging[i]
		e, ok := v.Event(row.Key)
		if !ok || e.Kind != timeline.KindImagingStudy {
			continue
		}
		k := studyKey(row.StudyUID, e.Time)
		st := studies[k]
		if st == nil {
			st = &studyInfo{time: e.Time}
			studies[k] = st
		}
		set := parseSettings(row.Settings)
		if st.site == "" {
			st.site = firstOf(set["institution"], set["institution_name"], set["site"])
		}
		if st.scanner == "" {
			st.scanner = strings.TrimSpace(strings.TrimSpace(row.Manufacturer) + " " + firstOf(set["model"], set["manufacturer_model"]))
		}
		switch c := strings.ToLower(strings.TrimSpace(row.Contrast)); c {
		case "":
		case "none", "no", "unenhanced", "non-contrast", "native":
			if st.contrast == "" {
				st.contrast = "none"
			}
		default:
			st.contrast = "enhanced"
			if c == "unknown" {
				st.contrast = "unknown"
			}
		}
	}
	// Lesion rows first: they carry positions and node flags, and an SR's
	// length measurements also appear as imaging features (deduplicated
	// below by study, quantity and tracking identity).
	uidToID := map[string]string{}
	for i := range d.Imaging {
		row := &d.Imaging[i]
		if row.TrackingUID != "" && row.ROI != "" {
			uidToID[row.TrackingUID] = row.ROI
		}
	}
	for i := range d.Lesions {
		row := &d.Lesions[i]
		isAI, keep := side(row.Algorithm, row.AlgorithmVersion, opt)
		if !keep {
			continue
		}
		e, ok := v.Event(row.Key)
		if !ok || e.Time.IsZero() {
			continue
		}
		node := false
		if row.IsNode != nil {
			node = *row.IsNode
		}
		organ := oncology.OrganOf(row.Site, row.SiteCode, node)
		if organ == "lymph node" {
			node = true
		}
		base := measurement{key: row.Key, ref: twin.EventRef(e), study: studyKey(row.StudyUID, e.Time), time: e.Time,
			unit: "mm", version: row.AlgorithmVersion, observer: row.Observer, tracking: row.LesionID,
			trackID: uidToID[row.LesionID], organ: organ, node: node, x: row.X, y: row.Y, z: row.Z, fromTable: timeline.Lesions}
		for _, q := range []struct {
			name string
			v    float64
		}{{"lesion_long_axis", row.LongAxisMM}, {"lesion_short_axis", row.ShortAxisMM}} {
			if math.IsNaN(q.v) || math.IsInf(q.v, 0) || q.v < 0 {
				continue
			}
			m := base
			m.quantity, m.value = q.name, q.v
			add(&ai, &ref, isAI, &m)
		}
	}
	for i := range d.Imaging {
		row := &d.Imaging[i]
		isAI, keep := side(row.Algorithm, row.AlgorithmVersion, opt)
		if !keep {
			continue
		}
		e, ok := v.Event(row.Key)
		if !ok || e.Kind != timeline.KindImagingFeature || !e.HasValue || e.Time.IsZero() {
			continue
		}
		set := parseSettings(row.Settings)
		q := quantityOf(v.Codes, e.Code, row, set)
		if q == "" {
			continue
		}
		tracking := firstOf(row.TrackingUID, set["tracking_uid"])
		organ := organOfDetail(row, set)
		m := &measurement{key: row.Key, ref: twin.EventRef(e), study: studyKey(row.StudyUID, e.Time), time: e.Time,
			quantity: q, unit: e.Unit, value: e.Value, version: row.AlgorithmVersion, tracking: tracking, trackID: row.ROI,
			organ: organ, node: organ == "lymph node", x: math.NaN(), y: math.NaN(), z: math.NaN(),
			fromTable: timeline.Imaging, settings: set}
		if !isAI {
			m.version = ""
		}
		add(&ai, &ref, isAI, m)
	}
	return dedup(ai), dedup(ref), studies
}

// side says whether a row is the evaluated tool's (isAI) or a
// radiologist's, and whether to keep it at all.
func side(algorithm, version string, opt *Options) (isAI, keep bool) {
	algorithm = strings.TrimSpace(algorithm)
	switch {
	case algorithm == "":
		return false, true
	case strings.EqualFold(algorithm, opt.Algorithm):
		return true, opt.Version == "" || strings.TrimSpace(version) == opt.Version
	}
	return false, false
}

func add(ai, ref *[]*measurement, isAI bool, m *measurement) {
	if isAI {
		*ai = append(*ai, m)
	} else {
		*ref = append(*ref, m)
	}
}

// dedup drops a second measurement of the same quantity of the same
// tracked finding in one study (an SR's length measurement read both as a
// lesion row and as an imaging feature): the first, a lesion row when there
// is one, is kept.
func dedup(ms []*measurement) []*measurement {
	type k struct {
		study, quantity, finding string
	}
	seen := map[k]bool{}
	out := ms[:0]
	for _, m := range ms {
		f := firstOf(m.tracking, m.trackID)
		if f == "" {
			out = append(out, m)
			continue
		}
		key := k{m.study, m.quantity, f}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, m)
	}
	return out
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}
