package dicom

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/suyashkumar/dicom/pkg/dcmtime"
)

// PatientIdentifier is a patient identifier as DICOM gives it: the
// PatientID and what qualifies it.
type PatientIdentifier struct {
	ID     string
	Issuer string // IssuerOfPatientID (0010,0021)
	// UniversalEntityID and its type (ISO, UUID, URI, …) from the Issuer of
	// Patient ID Qualifiers Sequence (0010,0024).
	UniversalEntityID     string
	UniversalEntityIDType string
}

// FrameGeometry is the plane geometry of one frame (a single-frame image
// has one; an enhanced multi-frame image one per frame).
type FrameGeometry struct {
	Position       [3]float64 // ImagePositionPatient, mm
	HasPosition    bool
	Orientation    [6]float64 // ImageOrientationPatient (row then column direction cosines)
	HasOrientation bool
	PixelSpacing   [2]float64 // row spacing, column spacing (mm)
	SliceThickness float64    // mm; NaN when absent
	// RescaleSlope and RescaleIntercept map stored values to output units
	// (Hounsfield units for CT); 1 and 0 when absent.
	RescaleSlope     float64
	RescaleIntercept float64
	// ReferencedSOPInstanceUID and ReferencedFrame name the source image of
	// a derived frame (a segmentation frame), when given.
	ReferencedSOPInstanceUID string
	ReferencedFrame          int
	// Segment is the segment a segmentation frame belongs to (0 otherwise).
	Segment int
}

// Instance is the metadata of one DICOM instance (one file): what imaging
// ingest stores and what the features package needs to assemble volumes.
// It holds copies, not references into a read buffer.
type Instance struct {
	Path           string
	Size           int64
	TransferSyntax TransferSyntax

	SOPClassUID, SOPInstanceUID string
	Patient                     PatientIdentifier
	OtherPatientIDs             []PatientIdentifier

	StudyInstanceUID, SeriesInstanceUID, FrameOfReferenceUID string
	// Dates and times as written (DA, TM, DT values); see StudyTime.
	StudyDate, StudyTimeOfDay          string
	SeriesDate, SeriesTimeOfDay        string
	AcquisitionDate, AcquisitionTimeOf string
	AcquisitionDateTime                string
	ContentDate, ContentTimeOfDay      string
	TimezoneOffset                     string

	Modality          string
	ModalitiesInStudy []string
	BodyPartExamined  string
	StudyDescription  string
	SeriesDescription string
	Manufacturer      string
	ManufacturerModel string
	InstitutionName   string
	StationName       string
	SoftwareVersions  string
	ContrastAgent     string
	ImageType         []string
	SeriesNumber      int // -1 when absent
	InstanceNumber    int // -1 when absent

	Rows, Columns             int
	SamplesPerPixel           int
	BitsAllocated, BitsStored int
	HighBit                   int
	PixelRepresentation       int // 0 unsigned, 1 two's complement
	PlanarConfiguration       int
	Photometric               string
	NumberOfFrames            int // 1 for single-frame images
	SpacingBetweenSlices      float64
	RescaleType               string
	// Frames holds the geometry of each frame: one entry per frame for
	// enhanced multi-frame images (per-frame functional groups), one entry
	// for single-frame and classic multi-frame images (the position of
	// their first frame), none for non-images such as reports.
	Frames []FrameGeometry

	// Pixel data position (metadata only; see ReadFrames).
	HasPixelData bool
	PixelTag     Tag
	PixelVR      VR
	PixelOffset  int64 // stream offset of the pixel data value
	PixelLength  int64 // value length; -1 for encapsulated data
}

// IsImage reports whether the instance carries pixel data with geometry.
func (in *Instance) IsImage() bool { return in.HasPixelData && in.Rows > 0 && in.Columns > 0 }

// StudyTime returns the study's date and time in UTC: StudyDate and
// StudyTime, falling back to the series, acquisition and content dates.
// DICOM times are local; TimezoneOffsetFromUTC (0008,0201) converts them
// when present, otherwise they are taken as UTC. ok is false when no date
// is present or parseable.
func (in *Instance) StudyTime() (time.Time, bool) {
	for _, dt := range [][2]string{
		{in.StudyDate, in.StudyTimeOfDay}, {in.SeriesDate, in.SeriesTimeOfDay},
		{in.AcquisitionDate, in.AcquisitionTimeOf}, {in.ContentDate, in.ContentTimeOfDay},
	} {
		if t, ok := combineDateTime(dt[0], dt[1], in.TimezoneOffset); ok {
			return t, true
		}
	}
	if t, ok := parseDT(in.AcquisitionDateTime, in.TimezoneOffset); ok {
		return t, true
	}
	return time.Time{}, false
}

// ContentTime returns when the instance's content was created (ContentDate
// and ContentTime), in UTC; a report's sign-off time.
func (in *Instance) ContentTime() (time.Time, bool) {
	return combineDateTime(in.ContentDate, in.ContentTimeOfDay, in.TimezoneOffset)
}

func tzOffset(s string) (*time.Location, bool) {
	s = strings.TrimSpace(s)
	if len(s) != 5 || (s[0] != '+' && s[0] != '-') {
		return nil, false
	}
	var h, m int
	if _, err := fmt.Sscanf(s[1:], "%02d%02d", &h, &m); err != nil || h > 14 || m > 59 {
		return nil, false
	}
	off := (h*60 + m) * 60
	if s[0] == '-' {
		off = -off
	}
	return time.FixedZone(s, off), true
}

// combineDateTime joins a DA and a TM value (parsed with
// github.com/suyashkumar/dicom/pkg/dcmtime) into a UTC instant.
func combineDateTime(da, tm, tz string) (time.Time, bool) {
	da = strings.TrimSpace(da)
	if da == "" {
		return time.Time{}, false
	}
	d, err := dcmtime.ParseDate(da)
	if err != nil {
		return time.Time{}, false
	}
	loc := time.UTC
	if l, ok := tzOffset(tz); ok {
		loc = l
	}
	y, mo, dd := d.Time.Date()
	var h, mi, s, ns int
	if tm = strings.TrimSpace(tm); tm != "" {
		if t, err := dcmtime.ParseTime(tm); err == nil {
			h, mi, s = t.Time.Clock()
			ns = t.Time.Nanosecond()
		}
	}
	return time.Date(y, mo, dd, h, mi, s, ns, loc).UTC(), true
}

func parseDT(dt, tz string) (time.Time, bool) {
	dt = strings.TrimSpace(dt)
	if dt == "" {
		return time.Time{}, false
	}
	v, err := dcmtime.ParseDatetime(dt)
	if err != nil {
		return time.Time{}, false
	}
	if v.NoOffset {
		if l, ok := tzOffset(tz); ok {
			t := v.Time
			return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), l).UTC(), true
		}
	}
	return v.Time.UTC(), true
}

func floatsN(d *Dataset, t Tag, n int) ([]float64, bool) {
	v, ok := d.Floats(t)
	if !ok || len(v) < n {
		return nil, false
	}
	return v[:n], true
}

func intOr(d *Dataset, t Tag, def int) int {
	if v, ok := d.Int(t); ok {
		return v
	}
	return def
}

// NewInstance extracts an Instance from a parsed file. It fails when the
// identifying attributes are missing: SOP Instance UID, Study and Series
// Instance UID, PatientID.
func NewInstance(f *File, path string) (*Instance, error) {
	d := f.Dataset
	in := &Instance{Path: path, Size: f.Size, TransferSyntax: f.TransferSyntax}
	in.SOPClassUID = d.String(TagSOPClassUID)
	if in.SOPClassUID == "" && f.Meta != nil {
		in.SOPClassUID = f.Meta.String(TagMediaSOPClass)
	}
	in.SOPInstanceUID = d.String(TagSOPInstanceUID)
	if in.SOPInstanceUID == "" && f.Meta != nil {
		in.SOPInstanceUID = f.Meta.String(TagMediaSOPInstance)
	}
	in.Patient = patientIdentifier(d)
	for _, it := range d.Seq(TagOtherPatientIDsSeq) {
		if id := patientIdentifier(it); id.ID != "" {
			in.OtherPatientIDs = append(in.OtherPatientIDs, id)
		}
	}
	in.StudyInstanceUID = d.String(TagStudyInstanceUID)
	in.SeriesInstanceUID = d.String(TagSeriesInstanceUID)
	in.FrameOfReferenceUID = d.String(TagFrameOfReferenceUID)
	in.StudyDate, in.StudyTimeOfDay = d.String(TagStudyDate), d.String(TagStudyTime)
	in.SeriesDate, in.SeriesTimeOfDay = d.String(TagSeriesDate), d.String(TagSeriesTime)
	in.AcquisitionDate, in.AcquisitionTimeOf = d.String(TagAcquisitionDate), d.String(TagAcquisitionTime)
	in.AcquisitionDateTime = d.String(TagAcquisitionDateTime)
	in.ContentDate, in.ContentTimeOfDay = d.String(TagContentDate), d.String(TagContentTime)
	in.TimezoneOffset = d.String(TagTimezoneOffset)
	in.Modality = d.String(TagModality)
	in.ModalitiesInStudy = d.Strings(TagModalitiesInStudy)
	in.BodyPartExamined = d.String(TagBodyPartExamined)
	in.StudyDescription = d.String(TagStudyDescription)
	in.SeriesDescription = d.String(TagSeriesDescription)
	in.Manufacturer = d.String(TagManufacturer)
	in.ManufacturerModel = d.String(TagManufacturerModel)
	in.InstitutionName = d.String(TagInstitutionName)
	in.StationName = d.String(TagStationName)
	in.SoftwareVersions = d.String(TagSoftwareVersions)
	in.ContrastAgent = d.String(TagContrastBolusAgent)
	in.ImageType = d.Strings(TagImageType)
	in.SeriesNumber = intOr(d, TagSeriesNumber, -1)
	in.InstanceNumber = intOr(d, TagInstanceNumber, -1)
	in.Rows = intOr(d, TagRows, 0)
	in.Columns = intOr(d, TagColumns, 0)
	in.SamplesPerPixel = intOr(d, TagSamplesPerPixel, 1)
	in.BitsAllocated = intOr(d, TagBitsAllocated, 0)
	in.BitsStored = intOr(d, TagBitsStored, in.BitsAllocated)
	in.HighBit = intOr(d, TagHighBit, in.BitsStored-1)
	in.PixelRepresentation = intOr(d, TagPixelRepresentation, 0)
	in.PlanarConfiguration = intOr(d, TagPlanarConfiguration, 0)
	in.Photometric = d.String(TagPhotometric)
	in.NumberOfFrames = 1
	if e := d.Find(TagNumberOfFrames); e != nil && len(trimValue(e.Value, false)) > 0 {
		n, ok := d.Int(TagNumberOfFrames)
		if !ok || n < 1 {
			return nil, &TagError{Tag: TagNumberOfFrames, Offset: e.Offset, Err: fmt.Errorf("%w: not a positive integer", ErrMalformed)}
		}
		in.NumberOfFrames = n
	}
	in.SpacingBetweenSlices = math.NaN()
	if v, ok := d.Float(TagSpacingBetween); ok {
		in.SpacingBetweenSlices = v
	}
	in.RescaleType = d.String(TagRescaleType)

	if f.pixel.found {
		in.HasPixelData = true
		in.PixelTag = f.pixel.tag
		in.PixelVR = f.pixel.vr
		in.PixelOffset = f.pixel.value
		in.PixelLength = int64(f.pixel.length)
		if f.pixel.undefined {
			in.PixelLength = -1
		}
	}
	var err error
	if in.Frames, err = frameGeometry(d, in.NumberOfFrames); err != nil {
		return nil, err
	}

	switch {
	case in.SOPInstanceUID == "":
		return nil, &TagError{Tag: TagSOPInstanceUID, Offset: -1, Err: ErrMissingAttribute}
	case in.StudyInstanceUID == "":
		return nil, &TagError{Tag: TagStudyInstanceUID, Offset: -1, Err: ErrMissingAttribute}
	case in.SeriesInstanceUID == "":
		return nil, &TagError{Tag: TagSeriesInstanceUID, Offset: -1, Err: ErrMissingAttribute}
	case in.Patient.ID == "":
		return nil, &TagError{Tag: TagPatientID, Offset: -1, Err: ErrMissingAttribute}
	}
	return in, nil
}

func patientIdentifier(d *Dataset) PatientIdentifier {
	id := PatientIdentifier{ID: d.String(TagPatientID), Issuer: d.String(TagIssuerOfPatientID)}
	if q := d.Item(TagIssuerQualifiersSeq); q != nil {
		id.UniversalEntityID = q.String(TagUniversalEntityID)
		id.UniversalEntityIDType = q.String(TagUniversalEntityIDTyp)
	}
	return id
}

// frameGeometry reads plane geometry: from the top level for single-frame
// images, from the shared and per-frame functional groups for enhanced
// multi-frame images (per-frame values win).
func frameGeometry(d *Dataset, n int) ([]FrameGeometry, error) {
	base := FrameGeometry{SliceThickness: math.NaN(), RescaleSlope: 1}
	applyGeometry(&base, d)
	shared := d.Item(TagSharedFGSeq)
	if shared != nil {
		applyGroups(&base, shared)
	}
	perFrame := d.Seq(TagPerFrameFGSeq)
	if len(perFrame) == 0 {
		if d.Find(TagRows) == nil && !base.HasPosition {
			return nil, nil // not an image
		}
		// A single-frame image, or a classic multi-frame image whose one
		// position is that of its first frame: one entry.
		return []FrameGeometry{base}, nil
	}
	if len(perFrame) != n {
		return nil, &TagError{Tag: TagPerFrameFGSeq, Offset: -1, Err: fmt.Errorf("%w: %d items for NumberOfFrames %d", ErrMalformed, len(perFrame), n)}
	}
	out := make([]FrameGeometry, n)
	for i := range out {
		out[i] = base
		applyGroups(&out[i], perFrame[i])
	}
	return out, nil
}

func applyGeometry(g *FrameGeometry, d *Dataset) {
	if v, ok := floatsN(d, TagImagePosition, 3); ok {
		copy(g.Position[:], v)
		g.HasPosition = true
	}
	if v, ok := floatsN(d, TagImageOrientation, 6); ok {
		copy(g.Orientation[:], v)
		g.HasOrientation = true
	}
	if v, ok := floatsN(d, TagPixelSpacing, 2); ok {
		copy(g.PixelSpacing[:], v)
	}
	if v, ok := d.Float(TagSliceThickness); ok {
		g.SliceThickness = v
	}
	if v, ok := d.Float(TagRescaleSlope); ok && v != 0 {
		g.RescaleSlope = v
	}
	if v, ok := d.Float(TagRescaleIntercept); ok {
		g.RescaleIntercept = v
	}
}

func applyGroups(g *FrameGeometry, fg *Dataset) {
	if it := fg.Item(TagPlanePositionSeq); it != nil {
		applyGeometry(g, it)
	}
	if it := fg.Item(TagPlaneOrientationSeq); it != nil {
		applyGeometry(g, it)
	}
	if it := fg.Item(TagPixelMeasuresSeq); it != nil {
		applyGeometry(g, it)
	}
	if it := fg.Item(TagPixelValueTransSeq); it != nil {
		applyGeometry(g, it)
	}
	if it := fg.Item(TagDerivationImageSeq); it != nil {
		if src := it.Item(TagSourceImageSeq); src != nil {
			g.ReferencedSOPInstanceUID = src.String(TagReferencedSOPInst)
			g.ReferencedFrame = intOr(src, TagReferencedFrameNum, 0)
		}
	}
	if it := fg.Item(TagSegmentIdentSeq); it != nil {
		g.Segment = intOr(it, TagReferencedSegmentNum, 0)
	}
}

// TagSegmentIdentSeq is the Segment Identification Sequence (0062,000A).
const TagSegmentIdentSeq Tag = 0x0062000A

// checkEncapsulated walks the fragment items of encapsulated pixel data
// with small reads, so a file whose fragments run past its end is caught
// without reading the fragments.
func checkEncapsulated(ra io.ReaderAt, f *File) error {
	if !f.pixel.found || !f.pixel.undefined {
		return nil
	}
	_, err := fragmentsOf(ra, f)
	return err
}
