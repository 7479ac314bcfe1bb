package dicom

import (
	"fmt"

	sdtag "github.com/suyashkumar/dicom/pkg/tag"
)

// Tag is a DICOM attribute tag: the group in the high 16 bits, the element
// in the low 16 bits.
type Tag uint32

// NewTag returns the tag (group,element).
func NewTag(group, element uint16) Tag { return Tag(uint32(group)<<16 | uint32(element)) }

// Group returns the tag's group number.
func (t Tag) Group() uint16 { return uint16(t >> 16) }

// Element returns the tag's element number.
func (t Tag) Element() uint16 { return uint16(t) }

// String writes the tag as (GGGG,EEEE), as dcmdump does.
func (t Tag) String() string { return fmt.Sprintf("(%04X,%04X)", t.Group(), t.Element()) }

// Keyword returns the tag's keyword from the DICOM dictionary of
// github.com/suyashkumar/dicom ("PatientID"), or "" for private and
// unknown tags.
func (t Tag) Keyword() string {
	info, err := sdtag.Find(sdtag.Tag{Group: t.Group(), Element: t.Element()})
	if err != nil {
		return ""
	}
	return info.Keyword
}

// Locator returns "(0010,0020) PatientID": the form errors use.
func (t Tag) Locator() string {
	if k := t.Keyword(); k != "" {
		return t.String() + " " + k
	}
	return t.String()
}

// dictVR returns the dictionary VR of a tag for implicit-VR data sets; ok
// is false for private and unknown tags.
func dictVR(t Tag) (VR, bool) {
	if t.Element() == 0 { // group length
		return VRUL, true
	}
	info, err := sdtag.Find(sdtag.Tag{Group: t.Group(), Element: t.Element()})
	if err != nil || len(info.VRs) == 0 || len(info.VRs[0]) != 2 {
		return 0, false
	}
	for _, v := range info.VRs {
		if v == "SQ" {
			return VRSQ, true
		}
	}
	if t == TagPixelData {
		return VROW, true
	}
	return vrOf(info.VRs[0][0], info.VRs[0][1]), true
}

// VR is a value representation, two ASCII letters packed in 16 bits.
type VR uint16

func vrOf(a, b byte) VR { return VR(uint16(a)<<8 | uint16(b)) }

// String returns the two letters.
func (v VR) String() string {
	if v == 0 {
		return "??"
	}
	return string([]byte{byte(v >> 8), byte(v)})
}

// The value representations this package treats specially.
var (
	VRAE = vrOf('A', 'E')
	VRAS = vrOf('A', 'S')
	VRAT = vrOf('A', 'T')
	VRCS = vrOf('C', 'S')
	VRDA = vrOf('D', 'A')
	VRDS = vrOf('D', 'S')
	VRDT = vrOf('D', 'T')
	VRFD = vrOf('F', 'D')
	VRFL = vrOf('F', 'L')
	VRIS = vrOf('I', 'S')
	VRLO = vrOf('L', 'O')
	VRLT = vrOf('L', 'T')
	VROB = vrOf('O', 'B')
	VROD = vrOf('O', 'D')
	VROF = vrOf('O', 'F')
	VROL = vrOf('O', 'L')
	VROV = vrOf('O', 'V')
	VROW = vrOf('O', 'W')
	VRPN = vrOf('P', 'N')
	VRSH = vrOf('S', 'H')
	VRSL = vrOf('S', 'L')
	VRSQ = vrOf('S', 'Q')
	VRSS = vrOf('S', 'S')
	VRST = vrOf('S', 'T')
	VRSV = vrOf('S', 'V')
	VRTM = vrOf('T', 'M')
	VRUC = vrOf('U', 'C')
	VRUI = vrOf('U', 'I')
	VRUL = vrOf('U', 'L')
	VRUN = vrOf('U', 'N')
	VRUR = vrOf('U', 'R')
	VRUS = vrOf('U', 'S')
	VRUT = vrOf('U', 'T')
	VRUV = vrOf('U', 'V')
)

// knownVR reports whether v is a VR of PS3.5 Table 6.2-1.
func knownVR(v VR) bool {
	switch v {
	case VRAE, VRAS, VRAT, VRCS, VRDA, VRDS, VRDT, VRFD, VRFL, VRIS, VRLO, VRLT,
		VROB, VROD, VROF, VROL, VROV, VROW, VRPN, VRSH, VRSL, VRSQ, VRSS, VRST,
		VRSV, VRTM, VRUC, VRUI, VRUL, VRUN, VRUR, VRUS, VRUT, VRUV:
		return true
	}
	return false
}

// longVR reports whether an explicit-VR element of this VR has a 4-byte
// length after two reserved bytes (PS3.5 §7.1.2).
func longVR(v VR) bool {
	switch v {
	case VROB, VROD, VROF, VROL, VROV, VROW, VRSQ, VRSV, VRUC, VRUN, VRUR, VRUT, VRUV:
		return true
	}
	return false
}

// textVR reports whether values of this VR are character strings subject to
// the Specific Character Set.
func textVR(v VR) bool {
	switch v {
	case VRLO, VRLT, VRPN, VRSH, VRST, VRUC, VRUT:
		return true
	}
	return false
}

// Tags this package reads.
const (
	TagItem              Tag = 0xFFFEE000
	TagItemDelimitation  Tag = 0xFFFEE00D
	TagSeqDelimitation   Tag = 0xFFFEE0DD
	TagFileMetaLength    Tag = 0x00020000
	TagMediaSOPClass     Tag = 0x00020002
	TagMediaSOPInstance  Tag = 0x00020003
	TagTransferSyntaxUID Tag = 0x00020010

	TagSpecificCharacterSet Tag = 0x00080005
	TagImageType            Tag = 0x00080008
	TagSOPClassUID          Tag = 0x00080016
	TagSOPInstanceUID       Tag = 0x00080018
	TagStudyDate            Tag = 0x00080020
	TagSeriesDate           Tag = 0x00080021
	TagAcquisitionDate      Tag = 0x00080022
	TagContentDate          Tag = 0x00080023
	TagAcquisitionDateTime  Tag = 0x0008002A
	TagStudyTime            Tag = 0x00080030
	TagSeriesTime           Tag = 0x00080031
	TagAcquisitionTime      Tag = 0x00080032
	TagContentTime          Tag = 0x00080033
	TagModality             Tag = 0x00080060
	TagModalitiesInStudy    Tag = 0x00080061
	TagManufacturer         Tag = 0x00080070
	TagInstitutionName      Tag = 0x00080080
	TagStationName          Tag = 0x00081010
	TagTimezoneOffset       Tag = 0x00080201
	TagCodeValue            Tag = 0x00080100
	TagCodingScheme         Tag = 0x00080102
	TagCodeMeaning          Tag = 0x00080104
	TagLongCodeValue        Tag = 0x00080119
	TagURNCodeValue         Tag = 0x00080120
	TagStudyDescription     Tag = 0x00081030
	TagSeriesDescription    Tag = 0x0008103E
	TagManufacturerModel    Tag = 0x00081090
	TagReferencedSeriesSeq  Tag = 0x00081115
	TagReferencedInstSeq    Tag = 0x0008114A
	TagReferencedSOPClass   Tag = 0x00081150
	TagReferencedSOPInst    Tag = 0x00081155
	TagReferencedFrameNum   Tag = 0x00081160
	TagReferencedSegmentNum Tag = 0x0062000B
	TagReferencedSOPSeq     Tag = 0x00081199
	TagSourceImageSeq       Tag = 0x00082112
	TagDerivationImageSeq   Tag = 0x00089124

	TagPatientName          Tag = 0x00100010
	TagPatientID            Tag = 0x00100020
	TagIssuerOfPatientID    Tag = 0x00100021
	TagIssuerQualifiersSeq  Tag = 0x00100024
	TagOtherPatientIDsSeq   Tag = 0x00101002
	TagUniversalEntityID    Tag = 0x00400032
	TagUniversalEntityIDTyp Tag = 0x00400033

	TagContrastBolusAgent Tag = 0x00180010
	TagBodyPartExamined   Tag = 0x00180015
	TagSliceThickness     Tag = 0x00180050
	TagSpacingBetween     Tag = 0x00180088
	TagSoftwareVersions   Tag = 0x00181020

	TagStudyInstanceUID    Tag = 0x0020000D
	TagSeriesInstanceUID   Tag = 0x0020000E
	TagSeriesNumber        Tag = 0x00200011
	TagInstanceNumber      Tag = 0x00200013
	TagImagePosition       Tag = 0x00200032
	TagImageOrientation    Tag = 0x00200037
	TagFrameOfReferenceUID Tag = 0x00200052
	TagPlanePositionSeq    Tag = 0x00209113
	TagPlaneOrientationSeq Tag = 0x00209116
	TagFrameContentSeq     Tag = 0x00209111

	TagSamplesPerPixel     Tag = 0x00280002
	TagPhotometric         Tag = 0x00280004
	TagPlanarConfiguration Tag = 0x00280006
	TagNumberOfFrames      Tag = 0x00280008
	TagRows                Tag = 0x00280010
	TagColumns             Tag = 0x00280011
	TagPixelSpacing        Tag = 0x00280030
	TagBitsAllocated       Tag = 0x00280100
	TagBitsStored          Tag = 0x00280101
	TagHighBit             Tag = 0x00280102
	TagPixelRepresentation Tag = 0x00280103
	TagRescaleIntercept    Tag = 0x00281052
	TagRescaleSlope        Tag = 0x00281053
	TagRescaleType         Tag = 0x00281054
	TagPixelMeasuresSeq    Tag = 0x00289110
	TagPixelValueTransSeq  Tag = 0x00289145

	TagSharedFGSeq   Tag = 0x52009229
	TagPerFrameFGSeq Tag = 0x52009230

	TagExtendedOffsetTable Tag = 0x7FE00001
	TagFloatPixelData      Tag = 0x7FE00008
	TagDoublePixelData     Tag = 0x7FE00009
	TagPixelData           Tag = 0x7FE00010

	TagDirectoryRecordSeq Tag = 0x00041220
	TagDirectoryRecordTyp Tag = 0x00041430
	TagReferencedFileID   Tag = 0x00041500
)

func isPixelTag(t Tag) bool {
	return t == TagPixelData || t == TagFloatPixelData || t == TagDoublePixelData
}
