package dicom

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// SR content item attributes (PS3.3 C.17.3).
const (
	TagRelationshipType Tag = 0x0040A010
	TagValueType        Tag = 0x0040A040
	TagConceptNameSeq   Tag = 0x0040A043
	TagConceptCodeSeq   Tag = 0x0040A168
	TagContentSeq       Tag = 0x0040A730
	TagMeasuredValueSeq Tag = 0x0040A300
	TagNumericValue     Tag = 0x0040A30A
	TagFloatingValue    Tag = 0x0040A161
	TagUnitsCodeSeq     Tag = 0x004008EA
	TagTextValue        Tag = 0x0040A160
	TagUIDValue         Tag = 0x0040A124
	TagPersonNameValue  Tag = 0x0040A123
	TagContentTemplate  Tag = 0x0040A504
	TagTemplateID       Tag = 0x0040DB00
	TagEvidenceSeq      Tag = 0x0040A375
)

// Measurement is one numeric (NUM) content item of a structured report
// with the context the report gives it: its measurement group's tracking
// identifiers, finding and finding site, and its own modifiers.
type Measurement struct {
	Path        string // content item position, e.g. "1.7.2.3"
	GroupPath   string // position of the enclosing measurement group ("" when none)
	Concept     Code
	Value       float64
	Unit        Code // MeasurementUnitsCodeSequence (UCUM in conforming reports)
	Derivation  Code // modifier (121401, DCM) Derivation
	Method      Code // modifier Measurement Method
	Finding     Code
	Category    Code // Finding category
	FindingSite Code
	Laterality  Code
	TrackingID  string
	TrackingUID string
	// Algorithm and AlgorithmVersion identify the algorithm that produced
	// the measurement (TID 4019), when the report says.
	Algorithm, AlgorithmVersion string
	Observer                    string // person or device observer name
	SourceSeriesUID             string // (121232, DCM) Source series for image segmentation
	ReferencedSegment           int    // segment number of a referenced segmentation, 0 when none
	ReferencedSegmentationUID   string
}

// Report is what a structured report yields: its measurements in document
// order.
type Report struct {
	Instance     *Instance
	Title        Code
	Template     string // TemplateIdentifier of the root, e.g. "1500"
	Measurements []Measurement
	// Problems lists content items that could not be read as measurements
	// (a NUM without a numeric value, an unparseable value): locators only.
	Problems []*TagError
	// Evidence lists the (study, series) UIDs of the instances the report
	// was made on (CurrentRequestedProcedureEvidenceSequence).
	Evidence [][2]string
	// Modality is the modality of the measured images when the report's
	// Image Library says ((121139, DCM) Modality acquisition context).
	Modality string
}

// IsReport reports whether a SOP class is a structured report storage
// class (1.2.840.10008.5.1.4.1.1.88.*).
func IsReport(sopClass string) bool {
	return strings.HasPrefix(sopClass, "1.2.840.10008.5.1.4.1.1.88.")
}

// ReadReport reads a structured report's measurements.
func ReadReport(path string) (*Report, error) { return readParsed(path, ParseReport) }

// readParsed reads a whole file and hands it to parse under the panic guard.
func readParsed[T any](path string, parse func(*File, *Instance) (T, error)) (T, error) {
	var out T
	f, err := ReadFile(path)
	if err != nil {
		return out, err
	}
	in, err := NewInstance(f, path)
	if err != nil {
		return out, err
	}
	err = guard(func() error {
		var e error
		out, e = parse(f, in)
		return e
	})
	return out, err
}

// srContext is what a content item inherits from its ancestors.
type srContext struct {
	group                       string
	trackingID, trackingUID     string
	finding, category, site     Code
	laterality, method          Code
	algorithm, algorithmVersion string
	observer                    string
	sourceSeries                string
	segment                     int
	segmentation                string
}

// Concept codes the walker interprets (DICOM PS3.16 CID and TID tables).
func isTrackingID(c Code) bool  { return c.Is("DCM", "112039") }
func isTrackingUID(c Code) bool { return c.Is("DCM", "112040") }
func isFindingSite(c Code) bool { return c.Is("SCT", "363698007") }
func isFinding(c Code) bool     { return c.Is("DCM", "121071") }
func isCategory(c Code) bool    { return c.Is("SCT", "276214006") }
func isDerivation(c Code) bool  { return c.Is("DCM", "121401") }
func isMethod(c Code) bool      { return c.Is("SCT", "370129005") }
func isLaterality(c Code) bool  { return c.Is("SCT", "272741003") }
func isGroup(c Code) bool       { return c.Is("DCM", "125007") }

// ParseReport walks an SR document tree and collects every NUM item.
// Context items (HAS OBS CONTEXT, HAS CONCEPT MOD, finding codes) apply to
// their container's whole subtree wherever they sit among its children.
func ParseReport(f *File, in *Instance) (*Report, error) {
	d := f.Dataset
	rep := &Report{Instance: in, Title: codeOf(d.Item(TagConceptNameSeq))}
	if t := d.Item(TagContentTemplate); t != nil {
		rep.Template = t.String(TagTemplateID)
	}
	for _, ev := range d.Seq(TagEvidenceSeq) {
		study := ev.String(TagStudyInstanceUID)
		for _, s := range ev.Seq(TagReferencedSeriesSeq) {
			rep.Evidence = append(rep.Evidence, [2]string{study, s.String(TagSeriesInstanceUID)})
		}
	}
	if d.String(TagValueType) != "CONTAINER" && d.Find(TagContentSeq) == nil {
		return nil, &TagError{Tag: TagValueType, Offset: -1, Err: fmt.Errorf("%w: not an SR document (no root CONTAINER)", ErrMalformed)}
	}
	rep.walk(d, "1", srContext{}, 0)
	return rep, nil
}

func (rep *Report) walk(item *Dataset, path string, ctx srContext, depth int) {
	if depth > maxDepth {
		return
	}
	children := item.Seq(TagContentSeq)
	name := codeOf(item.Item(TagConceptNameSeq))
	if isGroup(name) {
		ctx.group = path
	}
	// Pass 1: context from the children.
	for _, ch := range children {
		rel := ch.String(TagRelationshipType)
		vt := ch.String(TagValueType)
		cn := codeOf(ch.Item(TagConceptNameSeq))
		switch vt {
		case "TEXT":
			v := ch.String(TagTextValue)
			switch {
			case isTrackingID(cn):
				ctx.trackingID = v
			case cn.Is("DCM", "111001"):
				ctx.algorithm = v
			case cn.Is("DCM", "111003"):
				ctx.algorithmVersion = v
			case cn.Is("DCM", "121008") || cn.Is("DCM", "121013"):
				ctx.observer = v
			}
		case "UIDREF":
			v := ch.String(TagUIDValue)
			switch {
			case isTrackingUID(cn):
				ctx.trackingUID = v
			case cn.Is("DCM", "121232"):
				ctx.sourceSeries = v
			}
		case "PNAME":
			if cn.Is("DCM", "121008") {
				ctx.observer = ch.String(TagPersonNameValue)
			}
		case "CODE":
			v := codeOf(ch.Item(TagConceptCodeSeq))
			switch {
			case isFindingSite(cn):
				ctx.site = v
			case isFinding(cn):
				ctx.finding = v
			case isCategory(cn):
				ctx.category = v
			case isLaterality(cn):
				ctx.laterality = v
			case isMethod(cn) && rel != "CONTAINS":
				ctx.method = v
			case cn.Is("DCM", "121139") && rep.Modality == "":
				rep.Modality = v.Value
			}
		case "IMAGE":
			if ref := ch.Item(TagReferencedSOPSeq); ref != nil {
				if n, ok := ref.Int(TagReferencedSegmentNum); ok {
					ctx.segment = n
					ctx.segmentation = ref.String(TagReferencedSOPInst)
				}
			}
		}
	}
	// Pass 2: measurements and nested containers.
	for i, ch := range children {
		p := path + "." + strconv.Itoa(i+1)
		rel := ch.String(TagRelationshipType)
		switch ch.String(TagValueType) {
		case "NUM":
			// Measurements are CONTAINS items; NUMs that are acquisition or
			// observation context (an Image Library's pixel rows) are not.
			if rel == "CONTAINS" || rel == "" {
				rep.num(ch, p, ctx)
			}
		case "CONTAINER":
			rep.walk(ch, p, ctx, depth+1)
		}
	}
}

func (rep *Report) num(item *Dataset, path string, ctx srContext) {
	m := Measurement{Path: path, GroupPath: ctx.group, Concept: codeOf(item.Item(TagConceptNameSeq)),
		Finding: ctx.finding, Category: ctx.category, FindingSite: ctx.site, Laterality: ctx.laterality, Method: ctx.method,
		TrackingID: ctx.trackingID, TrackingUID: ctx.trackingUID, Algorithm: ctx.algorithm, AlgorithmVersion: ctx.algorithmVersion,
		Observer: ctx.observer, SourceSeriesUID: ctx.sourceSeries, ReferencedSegment: ctx.segment, ReferencedSegmentationUID: ctx.segmentation}
	mv := item.Item(TagMeasuredValueSeq)
	if mv == nil {
		// No value: TID 1501 allows a NUM with only a qualifier ("not a number").
		rep.Problems = append(rep.Problems, &TagError{Tag: TagMeasuredValueSeq, Offset: -1, Context: "content item " + path,
			Err: fmt.Errorf("%w: NUM without a measured value", ErrMissingAttribute)})
		return
	}
	v, ok := mv.Float(TagFloatingValue)
	if !ok {
		v, ok = mv.Float(TagNumericValue)
	}
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		tag := TagNumericValue
		rep.Problems = append(rep.Problems, &TagError{Tag: tag, Offset: -1, Context: "content item " + path,
			Err: fmt.Errorf("%w: no finite numeric value", ErrMalformed)})
		return
	}
	m.Value = v
	m.Unit = codeOf(mv.Item(TagUnitsCodeSeq))
	// The NUM's own children: derivation, method, per-measurement tracking UID.
	for _, ch := range item.Seq(TagContentSeq) {
		cn := codeOf(ch.Item(TagConceptNameSeq))
		switch ch.String(TagValueType) {
		case "CODE":
			v := codeOf(ch.Item(TagConceptCodeSeq))
			switch {
			case isDerivation(cn):
				m.Derivation = v
			case isMethod(cn):
				m.Method = v
			case isFindingSite(cn):
				m.FindingSite = v
			case isLaterality(cn):
				m.Laterality = v
			}
		case "UIDREF":
			if isTrackingUID(cn) && m.TrackingUID == "" {
				m.TrackingUID = ch.String(TagUIDValue)
			}
		}
	}
	rep.Measurements = append(rep.Measurements, m)
}

// derivationSlugs names the common derivations (DICOM CID 3488).
var derivationSlugs = map[string]string{
	"SCT/373098007": "mean", "SCT/255605001": "min", "SCT/56851009": "max",
	"SCT/386136009": "sd", "DCM/126031": "peak", "SRT/R-00319": "median", "SCT/260610000": "median",
	"UMLS/C2347976": "rms", "99PMP/250137": "p25", "99PMP/250138": "p75",
}

// TimelineCode returns the measurement's timeline code: its concept in
// VOCAB//CODE form, qualified by its derivation when it has one
// ("DCM//126401//mean" for SUVbw mean).
func (m *Measurement) TimelineCode() string {
	c := m.Concept.Timeline()
	if m.Derivation.IsZero() {
		return c
	}
	n := m.Derivation.Normalized()
	q, ok := derivationSlugs[strings.ToUpper(n.Scheme)+"/"+n.Value]
	if !ok {
		if q = slug(n.Meaning); q == "" {
			q = strings.ToLower(n.Scheme) + ":" + n.Value
		}
	}
	return c + "//" + q
}

// lengthKind says whether a measurement concept is a linear size: "long"
// (Long Axis), "short" (Short Axis), "diameter" (Diameter, Length), or "".
func (m *Measurement) lengthKind() string {
	switch {
	case m.Concept.Is("SCT", "103339001"):
		return "long"
	case m.Concept.Is("SCT", "103340004"):
		return "short"
	case m.Concept.Is("SCT", "81827009"), m.Concept.Is("SCT", "410668003"):
		return "diameter"
	}
	return ""
}

// Lesion is a tracked finding measured by length in one report: what the
// lesions detail table holds.
type Lesion struct {
	GroupPath   string
	TrackingID  string
	TrackingUID string
	Finding     Code
	FindingSite Code
	LongAxisMM  float64 // NaN when not measured
	ShortAxisMM float64 // NaN when not measured
	IsNode      *bool
	Algorithm   string
	Version     string
	Observer    string
}

// ID returns the lesion's identity across studies: the tracking UID when
// the report gives one, else the tracking identifier.
func (l *Lesion) ID() string {
	if l.TrackingUID != "" {
		return l.TrackingUID
	}
	return l.TrackingID
}

// Lesions returns one lesion per measurement group that has a tracking
// identifier or UID and a length measurement (long axis, short axis,
// diameter or length) in a unit convertible to mm. Groups whose finding
// category is "Anatomical structure" (SNOMED 91723000, e.g. an aorta
// diameter) are measurements of normal anatomy, not lesions.
func (rep *Report) Lesions() []Lesion {
	var out []Lesion
	idx := map[string]int{}
	for i := range rep.Measurements {
		m := &rep.Measurements[i]
		kind := m.lengthKind()
		if kind == "" || (m.TrackingID == "" && m.TrackingUID == "") || m.Category.Is("SCT", "91723000") {
			continue
		}
		mm, ok := lengthMM(m.Value, m.Unit.Value)
		if !ok {
			continue
		}
		key := m.GroupPath
		if key == "" {
			key = m.TrackingUID + "/" + m.TrackingID
		}
		j, seen := idx[key]
		if !seen {
			l := Lesion{GroupPath: m.GroupPath, TrackingID: m.TrackingID, TrackingUID: m.TrackingUID, Finding: m.Finding,
				FindingSite: m.FindingSite, LongAxisMM: math.NaN(), ShortAxisMM: math.NaN(), Algorithm: m.Algorithm,
				Version: m.AlgorithmVersion, Observer: m.Observer}
			if node := m.FindingSite.Is("SCT", "59441001") || m.Finding.Is("SCT", "59441001"); node {
				l.IsNode = &node
			}
			out = append(out, l)
			j = len(out) - 1
			idx[key] = j
		}
		l := &out[j]
		switch kind {
		case "long":
			l.LongAxisMM = mm
		case "short":
			l.ShortAxisMM = mm
		case "diameter":
			if math.IsNaN(l.LongAxisMM) || mm > l.LongAxisMM {
				l.LongAxisMM = mm
			}
		}
	}
	// A lesion with only a short axis keeps NaN for the long axis.
	return out
}

// lengthMM converts a length in a UCUM unit to millimetres.
func lengthMM(v float64, unit string) (float64, bool) {
	switch unit {
	case "mm":
		return v, true
	case "cm":
		return v * 10, true
	case "m":
		return v * 1000, true
	case "um":
		return v / 1000, true
	}
	return 0, false
}
