// Package features turns DICOM pixel data into numbers: CT/MR volumes,
// masks, radiomics (first-order and shape, IBSI/pyradiomics definitions),
// liver attenuation and volume, and lung involvement. Imaging ingest calls
// it (`medtwin ingest --features`, see Extractor) and stores the results
// as imaging_feature events IMAGING//<modality>//<roi>_<feature> with an
// imaging detail row naming the algorithm, its version and the settings.
//
// # Volumes
//
// Load assembles an ingest/dicom Series (instances grouped and ordered by
// position along the slice normal, never by InstanceNumber or file name)
// into a Volume, one slice at a time: Rescale Slope/Intercept applied per
// slice (Hounsfield units for CT), stored as int16 when exact (else
// float32), with voxel spacing, origin and direction cosines. A series
// that is not one regular volume — a gap, a duplicate position,
// non-uniform spacing, gantry tilt, mixed orientation or size, several
// frames of reference — is refused with ErrGeometry naming the problem;
// nothing is resampled.
//
// Pixel data: uncompressed (implicit/explicit VR little endian, explicit
// big endian, deflated data sets, encapsulated uncompressed), RLE Lossless
// and Deflated Image Frame Compression are decoded by ingest/dicom's frame
// reader, which also groups encapsulated fragments into frames
// (github.com/suyashkumar/dicom returns fragments, not frames); 8-bit JPEG
// Baseline frames are decoded through github.com/suyashkumar/dicom's
// EncapsulatedFrame (Go's image/jpeg). JPEG Extended (12-bit), JPEG
// Lossless, JPEG-LS, JPEG 2000 and video have no decoder in either
// library: such series are refused with ErrPixelFormat naming (0002,0010).
//
// # Masks
//
// Mask is a binary region on a volume's grid: from a DICOM SEG segment
// (FromSegment, on the grid ingest/dicom aligns it to; fractional segments
// from 0.5), from thresholds (Threshold, KeepRange) with connected
// components (Label, Largest: run-length union-find, 6- or 26-connected),
// from a box in patient coordinates (Box). A mask on another grid is
// ErrMaskMismatch.
//
// # Features
//
// ComputeFirstOrder follows pyradiomics firstorder.py (fixed bin width 25
// by default for Entropy and Uniformity; Kurtosis is IBSI's + 3) and is
// exact from a histogram of the region's values. ComputeShape meshes the
// mask with marching cubes (mesh.go) for mesh volume, surface area,
// sphericity and maximum diameters, and takes PCA axis lengths from voxel
// centres. Both reproduce the IBSI-1 digital phantom's reference values
// within the published tolerances (ibsi_test.go). ComputeLiver and
// ComputeLung give the liver and lung numbers the twins read; the CT
// steatosis thresholds and lung density ranges are cited where they are
// defined.
package features
