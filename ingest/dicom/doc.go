// Package dicom ingests DICOM files, directories and DICOMDIR trees into
// the timeline, and gives the features package what it needs to compute
// numbers from pixel data.
//
// # Reading
//
// A header reader of its own (Reader, Scanner, ReadInstance) walks a data
// set up to the top-level pixel data element and stops there: pixel data is
// never read for metadata, so a 512x512 CT slice costs one 16 KiB read.
// Explicit and implicit VR, little and big endian, deflated data sets,
// files without preamble or file meta (the transfer syntax is inferred) and
// undefined-length sequences (UN included, CP-246) are handled; every
// length is checked against the file, so a truncated file fails at the tag
// where it ends. github.com/suyashkumar/dicom v1.1.0 supplies the tag
// dictionary (implicit VRs, keywords in errors), character sets, DA/TM/DT
// parsing and the UID dictionary; its own parser is not used because it
// costs ~240 µs and ~6,400 allocations per CT header (this one ~30 µs) and
// because of its known limits on the shared test files (a panic on an
// unknown transfer syntax, truncated pixel data accepted silently, 1-bit
// frames rejected, fragments returned instead of frames). Every parse runs
// under a guard: a panic becomes that file's ErrMalformed.
//
// Errors wrap the sentinels (ErrNotDICOM, ErrTruncated, ErrMalformed,
// ErrMissingAttribute, ErrUnsupportedTransferSyntax, ErrMissingReference,
// ErrGeometry, ErrPixelData) and a *TagError that names the tag, its byte
// offset and a locator ("frame 3", "item 2 of (5200,9230)"); never a value.
//
// # For the features package
//
// Instance holds an instance's metadata with per-frame plane geometry
// (enhanced multi-frame functional groups included). GroupSeries and
// NewSeries group instances into Series whose Slices are ordered by
// position along the slice normal, with Issues for gaps, non-uniform
// spacing, gantry tilt, mixed orientation or size. OpenFrames reads pixel
// data frame by frame: native data in any byte order, RLE Lossless and
// Deflated Image Frame Compression are decoded (Frames.Int32, stored values
// masked and sign-extended; apply RescaleSlope/Intercept per frame); JPEG
// family frames come out compressed (Frames.Raw), with fragments grouped
// into frames by the offset tables or codestream markers. Segmentation
// (ReadSegmentation) gives a SEG's segments and, through Mask and Masks,
// binary, fractional and label-map masks on the voxel grid of a Series,
// frames mapped to slices by ReferencedSOPInstanceUID or by position.
// Adapter.Features is the hook `medtwin ingest --features` calls with each
// image series and the segmentations that reference it.
//
// # Timeline
//
// Adapter is the ingest adapter. Per study it writes one imaging_study event
// (code IMAGING//<modality>//study, time StudyDate/StudyTime, key from the
// Study Instance UID) with one imaging detail row per series: instance
// count, size, pixel spacing, slice thickness and spacing, orientation,
// rescale, modality, body part, manufacturer. Structured reports (TID 1500
// and plain measurement containers) give one imaging_feature event per NUM
// item (concept code, qualified by its derivation; UCUM unit; finding site,
// tracking identifier and UID, algorithm in the detail row; available_at
// the report's content time) and one lesion event with a lesions detail row
// per tracked finding measured by length. Keys come from the SOP Instance
// UID and the measurement's identity, so re-ingest is a no-op.
//
// Patients are identified by PatientID qualified by its issuer (see
// Identifiers): urn:oid:<oid> for an ISO Universal Entity ID,
// urn:dicom:issuer:<IssuerOfPatientID>, the run's --namespace, or
// urn:dicom:patient-id.
//
// A file that fails (not DICOM, truncated, missing PatientID, Study,
// Series or SOP Instance UID) stores nothing and the run goes on; a
// segmentation whose referenced instances are not among the run's files is
// stored with a rejected record naming (0008,1155).
package dicom
