package features

import "errors"

// Sentinel errors. Errors this package returns wrap one of them (or an
// error of ingest/dicom, which names the tag) with a locator: a series,
// slice or segment number, never a pixel value or patient data.
var (
	// ErrGeometry: the slices do not form one regular volume (gap,
	// duplicate position, non-uniform spacing, tilt, mixed orientation or
	// size). Nothing is resampled: such a series gets no features.
	ErrGeometry = errors.New("series is not one regular volume")
	// ErrPixelFormat: pixel data this package cannot turn into one scalar
	// value per voxel (colour, unsupported bit depth or transfer syntax).
	ErrPixelFormat = errors.New("unsupported pixel data")
	// ErrMaskMismatch: a mask whose grid is not the volume's.
	ErrMaskMismatch = errors.New("mask does not match the volume")
	// ErrEmptyMask: a region of interest with no voxel in it.
	ErrEmptyMask = errors.New("empty region of interest")
	// ErrSettings: settings out of their domain (bin width ≤ 0, …).
	ErrSettings = errors.New("invalid settings")
)
