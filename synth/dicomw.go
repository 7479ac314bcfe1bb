package synth

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// SOP classes and transfer syntax.
const (
	ctImageStorage    = "1.2.840.10008.5.1.4.1.1.2"
	comprehensiveSR   = "1.2.840.10008.5.1.4.1.1.88.33"
	explicitVRLittle  = "1.2.840.10008.1.2.1"
	implementationUID = "2.25.302441139105546651734870271716425312011"
)

func el(t tag.Tag, v any) *dicom.Element {
	e, err := dicom.NewElement(t, v)
	if err != nil {
		panic(fmt.Sprintf("synth: DICOM element %v: %v", t, err))
	}
	return e
}

func str(t tag.Tag, v ...string) *dicom.Element { return el(t, v) }

// ds formats a decimal string (DS): at most 16 characters.
func ds(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	for prec := 10; len(s) > 16 && prec > 1; prec-- {
		s = strconv.FormatFloat(v, 'g', prec, 64)
	}
	return s
}

func da(t time.Time) string { return t.UTC().Format("20060102") }
func tm(t time.Time) string { return t.UTC().Format("150405") }

// patientModule is what every instance says about the patient, with the
// MRN qualified by the hospital's OID so that it links to the FHIR
// identifier of the same system.
func patientModule(p *patient) []*dicom.Element {
	return []*dicom.Element{
		str(tag.PatientName, p.Family+"^"+p.Given),
		str(tag.PatientID, p.MRN),
		str(tag.IssuerOfPatientID, MRNIssuer),
		el(tag.IssuerOfPatientIDQualifiersSequence, [][]*dicom.Element{{
			str(tag.UniversalEntityID, MRNOID),
			str(tag.UniversalEntityIDType, "ISO"),
		}}),
		str(tag.PatientBirthDate, da(p.Birth)),
		str(tag.PatientSex, p.Sex),
	}
}

func studyModule(s *study) []*dicom.Element {
	desc := map[string]string{"CHEST": "CT CHEST", "ABDOMEN": "CT ABDOMEN", "CHESTABDPELVIS": "CT CHEST ABDOMEN PELVIS"}[s.Body]
	if s.Contrast {
		desc += " WITH CONTRAST"
	}
	return []*dicom.Element{
		str(tag.StudyDate, da(s.Time)), str(tag.StudyTime, tm(s.Time)),
		str(tag.AccessionNumber, s.Accession),
		str(tag.ReferringPhysicianName, ""),
		str(tag.StudyDescription, desc),
		str(tag.StudyInstanceUID, s.UID),
		str(tag.StudyID, s.Accession[len(s.Accession)-4:]),
		str(tag.TimezoneOffsetFromUTC, "+0000"),
		str(tag.InstitutionName, s.Site),
		str(tag.Manufacturer, "medtwin synth"),
		str(tag.ManufacturerModelName, "synth CT"),
	}
}

func writeDataset(path string, elems []*dicom.Element) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	sortElements(elems)
	werr := dicom.Write(bw, dicom.Dataset{Elements: elems}, dicom.SkipVRVerification())
	if werr == nil {
		werr = bw.Flush()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}

// sortElements puts a data set's elements, and those of every sequence
// item in it, in ascending tag order as PS3.5 §7.1 requires (the writer
// writes them in the order given).
func sortElements(elems []*dicom.Element) {
	sort.SliceStable(elems, func(a, b int) bool {
		ta, tb := elems[a].Tag, elems[b].Tag
		return ta.Group < tb.Group || ta.Group == tb.Group && ta.Element < tb.Element
	})
	for _, e := range elems {
		if items, ok := e.Value.GetValue().([]*dicom.SequenceItemValue); ok {
			for _, it := range items {
				sortElements(it.GetValue().([]*dicom.Element))
			}
		}
	}
}

func (g *gen) instanceUID(s *study, k int) string { return s.SeriesUID + "." + strconv.Itoa(k+1) }

// writeCT writes a study's CT series, one file per slice.
func (g *gen) writeCT(dir string, p *patient, s *study, geo ctGeometry) (files int, bytes int64, err error) {
	noise := newRNG(g.cfg.Seed^0xc7, uint64(p.Index)<<16|uint64(len(s.UID)%7)<<8|uint64(hashString(s.UID)&0xff))
	pix := make([]uint16, geo.rows*geo.cols)
	raw := make([]byte, 2*len(pix))
	frame := g.ids.uid("frame", s.UID)
	series := fmt.Sprintf("%s %s", map[bool]string{true: "Portal venous", false: "Unenhanced"}[s.Contrast], map[string]string{"CHEST": "chest", "ABDOMEN": "abdomen", "CHESTABDPELVIS": "chest-abdomen-pelvis"}[s.Body])
	for k := 0; k < geo.slices; k++ {
		geo.render(s, k, noise, pix)
		for i, v := range pix {
			binary.LittleEndian.PutUint16(raw[2*i:], v)
		}
		x, y, z := geo.position(0, 0, k)
		sop := g.instanceUID(s, k)
		elems := []*dicom.Element{
			el(tag.FileMetaInformationVersion, []byte{0, 1}),
			str(tag.MediaStorageSOPClassUID, ctImageStorage),
			str(tag.MediaStorageSOPInstanceUID, sop),
			str(tag.TransferSyntaxUID, explicitVRLittle),
			str(tag.ImplementationClassUID, implementationUID),
			str(tag.ImplementationVersionName, "MEDTWIN_SYNTH"),
			str(tag.ImageType, "ORIGINAL", "PRIMARY", "AXIAL"),
			str(tag.SOPClassUID, ctImageStorage),
			str(tag.SOPInstanceUID, sop),
			str(tag.SeriesDate, da(s.Time)), str(tag.SeriesTime, tm(s.Time)),
			str(tag.AcquisitionDate, da(s.Time)), str(tag.AcquisitionTime, tm(s.Time)),
			str(tag.ContentDate, da(s.Time)), str(tag.ContentTime, tm(s.Time)),
			str(tag.Modality, "CT"),
			str(tag.SeriesDescription, series),
			str(tag.BodyPartExamined, s.Body),
			str(tag.SliceThickness, ds(geo.thickness)),
			str(tag.SpacingBetweenSlices, ds(geo.thickness)),
			str(tag.KVP, "120"),
			str(tag.PatientPosition, "HFS"),
			str(tag.SeriesInstanceUID, s.SeriesUID),
			str(tag.SeriesNumber, "2"),
			str(tag.InstanceNumber, strconv.Itoa(k+1)),
			str(tag.ImagePositionPatient, ds(x), ds(y), ds(z)),
			str(tag.ImageOrientationPatient, "1", "0", "0", "0", "1", "0"),
			str(tag.FrameOfReferenceUID, frame),
			str(tag.PositionReferenceIndicator, ""),
			str(tag.SliceLocation, ds(z)),
			el(tag.SamplesPerPixel, []int{1}),
			str(tag.PhotometricInterpretation, "MONOCHROME2"),
			el(tag.Rows, []int{geo.rows}),
			el(tag.Columns, []int{geo.cols}),
			str(tag.PixelSpacing, ds(geo.pixel), ds(geo.pixel)),
			el(tag.BitsAllocated, []int{16}),
			el(tag.BitsStored, []int{12}),
			el(tag.HighBit, []int{11}),
			el(tag.PixelRepresentation, []int{0}),
			str(tag.WindowCenter, "40"),
			str(tag.WindowWidth, "400"),
			str(tag.RescaleIntercept, "-1024"),
			str(tag.RescaleSlope, "1"),
			str(tag.RescaleType, "HU"),
			el(tag.PixelData, dicom.PixelDataInfo{IntentionallyUnprocessed: true, UnprocessedValueData: raw}),
		}
		if s.Contrast {
			elems = append(elems, str(tag.ContrastBolusAgent, "IOHEXOL 350"), str(tag.ContrastBolusRoute, "IV"))
		}
		elems = append(elems, patientModule(p)...)
		elems = append(elems, studyModule(s)...)
		path := filepath.Join(dir, fmt.Sprintf("CT%04d.dcm", k+1))
		if err := writeDataset(path, elems); err != nil {
			return files, bytes, err
		}
		files++
		bytes += int64(len(raw)) + 1500
	}
	return files, bytes, nil
}

func hashString(s string) uint64 {
	var h uint64 = 1469598103934665603
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// ---- DICOM SR TID 1500 ----

type code struct{ value, scheme, meaning string }

func codeItem(t tag.Tag, c code) *dicom.Element {
	return el(t, [][]*dicom.Element{{
		str(tag.CodeValue, c.value), str(tag.CodingSchemeDesignator, c.scheme), str(tag.CodeMeaning, c.meaning),
	}})
}

func item(rel, vt string, name code, rest ...*dicom.Element) []*dicom.Element {
	return append([]*dicom.Element{str(tag.RelationshipType, rel), str(tag.ValueType, vt), codeItem(tag.ConceptNameCodeSequence, name)}, rest...)
}

func container(rel string, name code, children ...[]*dicom.Element) []*dicom.Element {
	return item(rel, "CONTAINER", name, str(tag.ContinuityOfContent, "SEPARATE"), el(tag.ContentSequence, children))
}

func num(name code, v float64, unit code, mods ...[]*dicom.Element) []*dicom.Element {
	it := item("CONTAINS", "NUM", name, el(tag.MeasuredValueSequence, [][]*dicom.Element{{
		codeItem(tag.MeasurementUnitsCodeSequence, unit), str(tag.NumericValue, ds(v)),
	}}))
	if len(mods) > 0 {
		it = append(it, el(tag.ContentSequence, mods))
	}
	return it
}

var (
	cMM       = code{"mm", "UCUM", "millimeter"}
	cHU       = code{"[hnsf'U]", "UCUM", "Hounsfield unit"}
	cFinding  = code{"121071", "DCM", "Finding"}
	cSite     = code{"363698007", "SCT", "Finding Site"}
	cTrackID  = code{"112039", "DCM", "Tracking Identifier"}
	cTrackUID = code{"112040", "DCM", "Tracking Unique Identifier"}
	cGroup    = code{"125007", "DCM", "Measurement Group"}
	cLong     = code{"103339001", "SCT", "Long Axis"}
	cShort    = code{"103340004", "SCT", "Short Axis"}
	cAtten    = code{"112031", "DCM", "Attenuation Coefficient"}
	cDeriv    = code{"121401", "DCM", "Derivation"}
	cMean     = code{"373098007", "SCT", "Mean"}
	cNeoplasm = code{"108369006", "SCT", "Neoplasm"}
)

var radiologists = []string{"Berg^Ingrid^^Dr.", "Costa^Miguel^^Dr.", "Novak^Petra^^Dr.", "Murphy^Sean^^Dr.", "Weber^Lena^^Dr."}

func siteCode(site string) code {
	switch site {
	case "liver":
		return code{"10200004", "SCT", "Liver structure"}
	case "lung":
		return code{"39607008", "SCT", "Lung structure"}
	case "node":
		return code{"59441001", "SCT", "Structure of lymph node"}
	case "pancreas":
		return code{"15776009", "SCT", "Pancreatic structure"}
	case "spleen":
		return code{"78961009", "SCT", "Splenic structure"}
	}
	return code{"71854001", "SCT", "Colon structure"}
}

// writeSR writes the radiologist's TID 1500 measurement report of a study:
// a measurement group per lesion (tracking identifier and UID, finding,
// finding site, long and short axis) and, when the study is read for
// liver fat, mean attenuation of a liver and a spleen ROI.
func (g *gen) writeSR(path string, p *patient, s *study, slices int) error {
	reader := radiologists[hashString(s.UID)%uint64(len(radiologists))]
	var groups [][]*dicom.Element
	for _, l := range s.Lesions {
		groups = append(groups, container("CONTAINS", cGroup,
			item("HAS OBS CONTEXT", "TEXT", cTrackID, str(tag.TextValue, l.TrackingID)),
			item("HAS OBS CONTEXT", "UIDREF", cTrackUID, str(tag.UID, l.TrackingUID)),
			item("CONTAINS", "CODE", cFinding, codeItem(tag.ConceptCodeSequence, cNeoplasm)),
			item("HAS CONCEPT MOD", "CODE", cSite, codeItem(tag.ConceptCodeSequence, siteCode(l.Site))),
			num(cLong, l.ReadLongMM, cMM),
			num(cShort, l.ReadShortMM, cMM),
		))
	}
	if s.ReportLiverHU {
		r := newRNG(g.cfg.Seed^0x5a, hashString(s.UID))
		for _, roi := range []struct {
			id, site string
			hu       float64
		}{{"liver ROI", "liver", s.LiverHU}, {"spleen ROI", "spleen", s.SpleenHU}} {
			groups = append(groups, container("CONTAINS", cGroup,
				item("HAS OBS CONTEXT", "TEXT", cTrackID, str(tag.TextValue, roi.id)),
				item("HAS OBS CONTEXT", "UIDREF", cTrackUID, str(tag.UID, g.ids.uid("roi", s.UID, roi.id))),
				item("CONTAINS", "CODE", cFinding, codeItem(tag.ConceptCodeSequence, siteCode(roi.site))),
				item("HAS CONCEPT MOD", "CODE", cSite, codeItem(tag.ConceptCodeSequence, siteCode(roi.site))),
				num(cAtten, round(roi.hu+r.norm(0, 1.5), 1), cHU,
					item("HAS CONCEPT MOD", "CODE", cDeriv, codeItem(tag.ConceptCodeSequence, cMean))),
			))
		}
	}
	var refs [][]*dicom.Element
	for k := 0; k < slices; k++ {
		refs = append(refs, []*dicom.Element{str(tag.ReferencedSOPClassUID, ctImageStorage), str(tag.ReferencedSOPInstanceUID, g.instanceUID(s, k))})
	}
	library := container("CONTAINS", code{"111028", "DCM", "Image Library"},
		container("CONTAINS", code{"126200", "DCM", "Image Library Group"},
			item("CONTAINS", "IMAGE", code{"260753009", "SCT", "Source"}, el(tag.ReferencedSOPSequence, [][]*dicom.Element{refs[slices/2]}))))
	content := [][]*dicom.Element{
		item("HAS CONCEPT MOD", "CODE", code{"121049", "DCM", "Language of Content Item and Descendants"}, codeItem(tag.ConceptCodeSequence, code{"eng", "RFC5646", "English"})),
		item("HAS OBS CONTEXT", "PNAME", code{"121008", "DCM", "Person Observer Name"}, str(tag.PersonName, reader)),
		item("HAS CONCEPT MOD", "CODE", code{"121058", "DCM", "Procedure reported"}, codeItem(tag.ConceptCodeSequence, code{"77477000", "SCT", "Computed tomography"})),
		library,
		container("CONTAINS", code{"126010", "DCM", "Imaging Measurements"}, groups...),
	}
	sop := s.SRUID + ".1"
	elems := []*dicom.Element{
		el(tag.FileMetaInformationVersion, []byte{0, 1}),
		str(tag.MediaStorageSOPClassUID, comprehensiveSR),
		str(tag.MediaStorageSOPInstanceUID, sop),
		str(tag.TransferSyntaxUID, explicitVRLittle),
		str(tag.ImplementationClassUID, implementationUID),
		str(tag.ImplementationVersionName, "MEDTWIN_SYNTH"),
		str(tag.SOPClassUID, comprehensiveSR),
		str(tag.SOPInstanceUID, sop),
		str(tag.ContentDate, da(s.Signed)), str(tag.ContentTime, tm(s.Signed)),
		str(tag.SeriesDate, da(s.Signed)), str(tag.SeriesTime, tm(s.Signed)),
		str(tag.Modality, "SR"),
		str(tag.SeriesDescription, "Measurement report"),
		str(tag.SeriesInstanceUID, s.SRUID),
		str(tag.SeriesNumber, "900"),
		str(tag.InstanceNumber, "1"),
		str(tag.ValueType, "CONTAINER"),
		codeItem(tag.ConceptNameCodeSequence, code{"126000", "DCM", "Imaging Measurement Report"}),
		str(tag.ContinuityOfContent, "SEPARATE"),
		el(tag.ContentTemplateSequence, [][]*dicom.Element{{str(tag.MappingResource, "DCMR"), str(tag.TemplateIdentifier, "1500")}}),
		str(tag.CompletionFlag, "COMPLETE"),
		str(tag.VerificationFlag, "VERIFIED"),
		el(tag.VerifyingObserverSequence, [][]*dicom.Element{{
			str(tag.VerifyingObserverName, reader),
			str(tag.VerifyingOrganization, "medtwin synthetic hospital"),
			str(tag.VerificationDateTime, s.Signed.UTC().Format("20060102150405")),
			el(tag.VerifyingObserverIdentificationCodeSequence, [][]*dicom.Element{}),
		}}),
		el(tag.CurrentRequestedProcedureEvidenceSequence, [][]*dicom.Element{{
			str(tag.StudyInstanceUID, s.UID),
			el(tag.ReferencedSeriesSequence, [][]*dicom.Element{{
				str(tag.SeriesInstanceUID, s.SeriesUID),
				el(tag.ReferencedSOPSequence, refs),
			}}),
		}}),
		el(tag.ContentSequence, content),
	}
	elems = append(elems, patientModule(p)...)
	elems = append(elems, studyModule(s)...)
	return writeDataset(path, elems)
}
