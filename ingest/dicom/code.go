package dicom

import (
	"strings"
)

// Code is a coded concept: code value, coding scheme designator, meaning.
type Code struct {
	Value   string
	Scheme  string
	Meaning string
}

// IsZero reports whether the code is unset.
func (c Code) IsZero() bool { return c.Value == "" && c.Scheme == "" }

func codeOf(d *Dataset) Code {
	if d == nil {
		return Code{}
	}
	v := d.String(TagCodeValue)
	if v == "" {
		v = d.String(TagLongCodeValue)
	}
	if v == "" {
		v = d.String(TagURNCodeValue)
	}
	return Code{Value: v, Scheme: d.String(TagCodingScheme), Meaning: d.String(TagCodeMeaning)}
}

// srtToSCT maps retired SNOMED RT identifiers (scheme SRT, still written by
// many tools) to SNOMED CT concept ids, for the concepts this package
// interprets or that name common measurements (DICOM PS3.16 Annex O lists
// the full mapping). Unlisted SRT codes keep their scheme.
var srtToSCT = map[string]string{
	"G-C0E3":  "363698007", // Finding Site
	"G-C036":  "370129005", // Measurement Method
	"G-A185":  "103339001", // Long Axis
	"G-A186":  "103340004", // Short Axis
	"M-02550": "81827009",  // Diameter
	"G-D7FE":  "410668003", // Length
	"G-D705":  "118565006", // Volume
	"G-A166":  "42798000",  // Area
	"R-00317": "373098007", // Mean
	"R-404FB": "255605001", // Minimum
	"G-A437":  "56851009",  // Maximum
	"R-10047": "386136009", // Standard Deviation
	"T-D000A": "91723000",  // Anatomical Structure
	"T-C4000": "59441001",  // Lymph node structure
	"G-C171":  "272741003", // Laterality
}

// Normalized returns the code with SNOMED schemes unified: SRT codes with a
// known SNOMED CT equivalent and SCT/SNM3 become scheme "SCT".
func (c Code) Normalized() Code {
	switch strings.ToUpper(c.Scheme) {
	case "SRT", "SNM3":
		if sct, ok := srtToSCT[c.Value]; ok {
			return Code{Value: sct, Scheme: "SCT", Meaning: c.Meaning}
		}
	}
	return c
}

// Is reports whether c is the code (scheme, value), SNOMED RT and CT ids
// of one concept counting as equal.
func (c Code) Is(scheme, value string) bool {
	n := c.Normalized()
	return strings.EqualFold(n.Scheme, scheme) && n.Value == value
}

// Timeline returns the code in the timeline's VOCAB//CODE form: SNOMED CT
// as SNOMED, LOINC as LOINC, other schemes by their designator.
func (c Code) Timeline() string {
	n := c.Normalized()
	scheme := strings.ToUpper(n.Scheme)
	switch scheme {
	case "SCT", "SNM3":
		scheme = "SNOMED"
	case "LN":
		scheme = "LOINC"
	case "":
		scheme = "LOCAL"
	}
	v := strings.ReplaceAll(n.Value, "//", "/")
	return strings.ReplaceAll(scheme, "//", "/") + "//" + v
}

// slug turns a meaning into a lower-case identifier ("Peak Value Within
// ROI" → "peak_value_within_roi").
func slug(s string) string {
	var b strings.Builder
	us := false
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			us = false
		} else if !us && b.Len() > 0 {
			b.WriteByte('_')
			us = true
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}
