package dicom

import (
	"math"
	"testing"
)

func findM(rep *Report, code string) *Measurement {
	for i := range rep.Measurements {
		if rep.Measurements[i].TimelineCode() == code {
			return &rep.Measurements[i]
		}
	}
	return nil
}

// TestReportTID1500 checks the dcmqi PET example (TID 1500) against its
// content as DCMTK prints it (dsrdump -q +Pc sr/dcmqi_sr_example/sr.dcm):
// 22 CONTAINS NUM items in one measurement group "primary tumor", finding
// site (T-C5300, SRT, "pharyngeal tonsil (adenoid)").
func TestReportTID1500(t *testing.T) {
	rep, err := ReadReport(td(t, "sr/dcmqi_sr_example/sr.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Template != "1500" || !rep.Title.Is("DCM", "126000") || rep.Modality != "PT" {
		t.Errorf("template %q title %+v modality %q", rep.Template, rep.Title, rep.Modality)
	}
	if len(rep.Measurements) != 22 {
		t.Fatalf("%d measurements, want 22", len(rep.Measurements))
	}
	cases := []struct {
		code  string
		value float64
		unit  string
	}{
		{"DCM//126401//mean", 6.01529, "{SUVbw}g/ml"},
		{"DCM//126401//min", 2.91136, "{SUVbw}g/ml"},
		{"DCM//126401//max", 10.3814, "{SUVbw}g/ml"},
		{"DCM//126401//peak", 9.45534, "{SUVbw}g/ml"},
		{"DCM//126401//sd", 1.62653, "{SUVbw}g/ml"},
		{"DCM//126401//median", 5.71824, "{SUVbw}g/ml"},
		{"DCM//126401//p25", 4.59051, "{SUVbw}g/ml"},
		{"DCM//126401//upper_adjacent_value", 10.3814, "{SUVbw}g/ml"},
		{"SNOMED//118565006", 33.5824, "ml"}, // Volume (G-D705, SRT)
		{"DCM//126033", 202.008, "g"},        // Total Lesion Glycolysis
		{"99PMP//250143", 8.55346, "%"},
	}
	for _, c := range cases {
		m := findM(rep, c.code)
		if m == nil {
			t.Errorf("no measurement %s", c.code)
			continue
		}
		if math.Abs(m.Value-c.value) > 1e-9 || m.Unit.Value != c.unit || m.Unit.Scheme != "UCUM" {
			t.Errorf("%s = %v %+v, want %v %s", c.code, m.Value, m.Unit, c.value, c.unit)
		}
		if m.TrackingID != "primary tumor" || m.TrackingUID != "2.25.318774060119084600392715520575818119084" {
			t.Errorf("%s tracking %q %q", c.code, m.TrackingID, m.TrackingUID)
		}
		if m.FindingSite.Value != "T-C5300" || m.FindingSite.Meaning != "pharyngeal tonsil (adenoid)" {
			t.Errorf("%s finding site %+v", c.code, m.FindingSite)
		}
		if m.ReferencedSegment != 1 || m.SourceSeriesUID == "" {
			t.Errorf("%s segment %d series %q", c.code, m.ReferencedSegment, m.SourceSeriesUID)
		}
	}
	if v := findM(rep, "SNOMED//118565006"); v != nil && !v.Method.Is("DCM", "126030") {
		t.Errorf("volume method %+v", v.Method)
	}
	// A volume, not a length: no lesion row.
	if ls := rep.Lesions(); len(ls) != 0 {
		t.Errorf("lesions %+v", ls)
	}
}

// TestReportLesions: highdicom's TID 1500 with several groups (dsrdump -q
// sr/highdicom_sr_document_with_multiple_groups.dcm): a lung nodule with a
// 10 mm diameter is a lesion; the aorta (finding category "Anatomical
// structure") is measured anatomy, not a lesion.
func TestReportLesions(t *testing.T) {
	rep, err := ReadReport(td(t, "sr/highdicom_sr_document_with_multiple_groups.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Measurements) != 4 {
		t.Fatalf("%d measurements, want 4", len(rep.Measurements))
	}
	mean := findM(rep, "IBSI//X6K6")
	if mean == nil || mean.Value != -119.0738525390625 || mean.Unit.Value != "[hnsf'U]" {
		t.Errorf("mean HU: %+v", mean)
	}
	ls := rep.Lesions()
	if len(ls) != 1 {
		t.Fatalf("lesions %+v", ls)
	}
	l := ls[0]
	if l.TrackingID != "LungNodule0001" || l.LongAxisMM != 10 || !math.IsNaN(l.ShortAxisMM) ||
		!l.FindingSite.Is("SCT", "39607008") || !l.Finding.Is("SCT", "27925004") ||
		l.ID() != "1.2.826.0.1.3680043.10.511.3.11998155355995483197548907108234588" {
		t.Errorf("lesion %+v", l)
	}
	// The single-group document: an area in cm2 with per-item tracking UID.
	rep, err = ReadReport(td(t, "sr/highdicom_sr_document.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Measurements) != 1 || rep.Measurements[0].Value != 1.7 || rep.Measurements[0].Unit.Value != "cm2" ||
		rep.Measurements[0].FindingSite.Value != "T-D00F7" {
		t.Errorf("area: %+v", rep.Measurements)
	}
}

func code(value, scheme, meaning string) []byte {
	return item(element(TagCodeValue, "SH", []byte(value)), element(TagCodingScheme, "SH", []byte(scheme)),
		element(TagCodeMeaning, "LO", []byte(meaning)))
}

func num(concept []byte, value string, unit []byte, children ...[]byte) []byte {
	parts := [][]byte{
		element(TagRelationshipType, "CS", []byte("CONTAINS")), element(TagValueType, "CS", []byte("NUM")),
		element(TagConceptNameSeq, "SQ", concept),
		element(TagMeasuredValueSeq, "SQ", item(element(TagUnitsCodeSeq, "SQ", unit), element(TagNumericValue, "DS", []byte(value)))),
	}
	if len(children) > 0 {
		var cs []byte
		for _, c := range children {
			cs = append(cs, c...)
		}
		parts = append(parts, element(TagContentSeq, "SQ", cs))
	}
	return item(parts...)
}

// A plain measurement container (no TID 1500 groups, no template): its NUM
// items are measurements; a NUM without a value is a located problem; an
// acquisition-context NUM is not a measurement.
func TestReportPlainContainer(t *testing.T) {
	tracking := item(element(TagRelationshipType, "CS", []byte("HAS OBS CONTEXT")), element(TagValueType, "CS", []byte("TEXT")),
		element(TagConceptNameSeq, "SQ", code("112039", "DCM", "Tracking Identifier")), element(TagTextValue, "UT", []byte("L1")))
	acq := item(element(TagRelationshipType, "CS", []byte("HAS ACQ CONTEXT")), element(TagValueType, "CS", []byte("NUM")),
		element(TagConceptNameSeq, "SQ", code("110910", "DCM", "Pixel Data Rows")),
		element(TagMeasuredValueSeq, "SQ", item(element(TagUnitsCodeSeq, "SQ", code("{pixels}", "UCUM", "pixels")), element(TagNumericValue, "DS", []byte("512")))))
	empty := item(element(TagRelationshipType, "CS", []byte("CONTAINS")), element(TagValueType, "CS", []byte("NUM")),
		element(TagConceptNameSeq, "SQ", code("G-A186", "SRT", "Short Axis")))
	inner := item(element(TagRelationshipType, "CS", []byte("CONTAINS")), element(TagValueType, "CS", []byte("CONTAINER")),
		element(TagContentSeq, "SQ", append(append(append(tracking, acq...),
			num(code("G-A185", "SRT", "Long Axis"), "3.1", code("cm", "UCUM", "centimeter"))...), empty...)))
	b := fileWith("1.2.840.10008.5.1.4.1.1.88.33", "1.2.3.9",
		element(TagSOPClassUID, "UI", []byte("1.2.840.10008.5.1.4.1.1.88.33")), element(TagSOPInstanceUID, "UI", []byte("1.2.3.9")),
		element(TagStudyDate, "DA", []byte("20240301")),
		element(TagModality, "CS", []byte("SR")),
		element(TagPatientID, "LO", []byte("P1")),
		element(TagStudyInstanceUID, "UI", []byte("1.2.3")), element(TagSeriesInstanceUID, "UI", []byte("1.2.3.1")),
		element(TagValueType, "CS", []byte("CONTAINER")),
		element(TagConceptNameSeq, "SQ", code("18748-4", "LN", "Diagnostic imaging report")),
		element(TagContentSeq, "SQ", inner))
	f, err := Parse(b, "plain.dcm")
	if err != nil {
		t.Fatal(err)
	}
	in, err := NewInstance(f, "plain.dcm")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ParseReport(f, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Measurements) != 1 {
		t.Fatalf("measurements %+v", rep.Measurements)
	}
	m := rep.Measurements[0]
	if m.TimelineCode() != "SNOMED//103339001" || m.Value != 3.1 || m.Unit.Value != "cm" || m.TrackingID != "L1" || m.Path != "1.1.3" {
		t.Errorf("measurement %+v (code %s)", m, m.TimelineCode())
	}
	if len(rep.Problems) != 1 || rep.Problems[0].Context != "content item 1.1.4" || rep.Problems[0].Tag != TagMeasuredValueSeq {
		t.Errorf("problems %v", rep.Problems)
	}
	ls := rep.Lesions()
	if len(ls) != 1 || ls[0].LongAxisMM != 31 || ls[0].ID() != "L1" {
		t.Errorf("lesions %+v", ls)
	}
}
