package features

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"

	"github.com/medtwin/medtwin/ingest/dicom"
	"github.com/suyashkumar/dicom/pkg/frame"
)

// Volume is a scalar image on a regular 3-D grid: Nx columns × Ny rows ×
// Nz slices, voxel (x, y, z) at index (z*Ny+y)*Nx+x. Slices run along the
// series' slice normal in ascending position, whatever their InstanceNumber
// or file order.
//
// Values are the stored values after Rescale Slope/Intercept (Hounsfield
// units for CT). They live in I16 when every value is an integer that fits
// in 16 bits (the usual CT: half the memory of float32 and exact
// histograms), else in F32; exactly one of the two is non-nil.
type Volume struct {
	Nx, Ny, Nz int
	// Spacing is the distance between voxel centres (mm) along x (between
	// columns: PixelSpacing[1]), y (between rows: PixelSpacing[0]) and z
	// (between slices: the step of ImagePositionPatient along the normal).
	Spacing [3]float64
	// Origin is the patient-coordinate (LPS, mm) position of voxel
	// (0,0,0)'s centre: ImagePositionPatient of the first slice.
	Origin [3]float64
	// Direction holds the unit vectors of the x, y and z axes in patient
	// coordinates: the row and column direction cosines of
	// ImageOrientationPatient and their cross product.
	Direction [3][3]float64
	Modality  string
	// Unit is the UCUM unit of the values: [hnsf'U] for CT, else 1.
	Unit string
	I16  []int16
	F32  []float32
}

// Len returns the number of voxels.
func (v *Volume) Len() int { return v.Nx * v.Ny * v.Nz }

// Index returns the linear index of voxel (x, y, z).
func (v *Volume) Index(x, y, z int) int { return (z*v.Ny+y)*v.Nx + x }

// Value returns the value of voxel i.
func (v *Volume) Value(i int) float64 {
	if v.I16 != nil {
		return float64(v.I16[i])
	}
	return float64(v.F32[i])
}

// VoxelVolume returns the volume of one voxel in mm³.
func (v *Volume) VoxelVolume() float64 { return v.Spacing[0] * v.Spacing[1] * v.Spacing[2] }

// Point returns the patient-coordinate position (mm) of continuous voxel
// coordinates (x, y, z).
func (v *Volume) Point(x, y, z float64) [3]float64 {
	var p [3]float64
	for k := 0; k < 3; k++ {
		p[k] = v.Origin[k] + x*v.Spacing[0]*v.Direction[0][k] + y*v.Spacing[1]*v.Direction[1][k] + z*v.Spacing[2]*v.Direction[2][k]
	}
	return p
}

// Continuous returns the continuous voxel coordinates of a patient-
// coordinate position (the inverse of Point; the axes are orthonormal).
func (v *Volume) Continuous(p [3]float64) [3]float64 {
	d := [3]float64{p[0] - v.Origin[0], p[1] - v.Origin[1], p[2] - v.Origin[2]}
	var c [3]float64
	for a := 0; a < 3; a++ {
		c[a] = (d[0]*v.Direction[a][0] + d[1]*v.Direction[a][1] + d[2]*v.Direction[a][2]) / v.Spacing[a]
	}
	return c
}

// UIDJPEGBaseline is JPEG Baseline (Process 1): 8-bit lossy JPEG, decoded
// through github.com/suyashkumar/dicom's EncapsulatedFrame (Go's
// image/jpeg).
const UIDJPEGBaseline = "1.2.840.10008.1.2.4.50"

// Supported reports whether Load decodes pixel data of a transfer syntax:
// uncompressed (implicit and explicit VR little endian, explicit big
// endian, deflated data sets, encapsulated uncompressed), RLE Lossless,
// Deflated Image Frame Compression (all through ingest/dicom's frame
// reader) and 8-bit JPEG Baseline (through github.com/suyashkumar/dicom).
// JPEG Extended/Lossless, JPEG-LS, JPEG 2000 and video are not decoded:
// neither library has a decoder for them, and such a series is refused
// with an error naming (0002,0010).
func Supported(ts dicom.TransferSyntax) bool {
	if !ts.Encapsulated {
		return true
	}
	switch ts.UID {
	case dicom.UIDRLELossless, dicom.UIDDeflatedImageFrame, dicom.UIDEncapsulatedUncompressed, UIDJPEGBaseline:
		return true
	}
	return false
}

// Load assembles a series into a volume, reading one slice at a time
// (memory: the volume plus one decoded frame). The series must be one
// regular volume: ingest/dicom orders the slices by position along the
// slice normal and lists what stops them from forming one (gaps,
// duplicate positions, non-uniform spacing, gantry tilt, mixed orientation
// or size, several frames of reference); any such issue is an ErrGeometry
// error naming it, never a silent resampling. Each slice's own Rescale
// Slope/Intercept is applied.
func Load(ctx context.Context, s *dicom.Series) (*Volume, error) {
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrGeometry, err)
	}
	first := s.Slices[0]
	ref := first.Instance
	g0 := first.Geometry()
	if ref.SamplesPerPixel > 1 {
		return nil, fmt.Errorf("%w: (0028,0002) SamplesPerPixel %d: colour images have no scalar value per voxel", ErrPixelFormat, ref.SamplesPerPixel)
	}
	v := &Volume{Nx: ref.Columns, Ny: ref.Rows, Nz: len(s.Slices), Origin: g0.Position, Modality: s.Modality, Unit: "1"}
	if s.Modality == "CT" {
		v.Unit = "[hnsf'U]"
	}
	v.Spacing[0], v.Spacing[1] = g0.PixelSpacing[1], g0.PixelSpacing[0]
	if !(v.Spacing[0] > 0) || !(v.Spacing[1] > 0) {
		return nil, fmt.Errorf("%w: (0028,0030) PixelSpacing missing or not positive", ErrGeometry)
	}
	if len(s.Slices) > 1 {
		v.Spacing[2] = s.Spacing()
	} else {
		switch {
		case ref.SpacingBetweenSlices > 0:
			v.Spacing[2] = ref.SpacingBetweenSlices
		case g0.SliceThickness > 0:
			v.Spacing[2] = g0.SliceThickness
		default:
			return nil, fmt.Errorf("%w: one slice without (0018,0088) SpacingBetweenSlices or (0018,0050) SliceThickness", ErrGeometry)
		}
	}
	o := g0.Orientation
	v.Direction[0] = [3]float64{o[0], o[1], o[2]}
	v.Direction[1] = [3]float64{o[3], o[4], o[5]}
	v.Direction[2] = s.Normal
	for a := 0; a < 2; a++ {
		if l := norm(v.Direction[a]); math.Abs(l-1) > 1e-3 {
			return nil, fmt.Errorf("%w: (0020,0037) ImageOrientationPatient direction cosines of length %.4f", ErrGeometry, l)
		}
	}
	if math.Abs(dot(v.Direction[0], v.Direction[1])) > 1e-3 {
		return nil, fmt.Errorf("%w: (0020,0037) ImageOrientationPatient row and column directions are not orthogonal", ErrGeometry)
	}
	for a := 0; a < 2; a++ {
		v.Direction[a] = unit(v.Direction[a])
	}

	integral := true
	for _, sl := range s.Slices {
		g := sl.Geometry()
		if g.RescaleSlope != math.Trunc(g.RescaleSlope) || g.RescaleIntercept != math.Trunc(g.RescaleIntercept) ||
			math.Abs(g.RescaleIntercept) > 1<<20 || math.Abs(g.RescaleSlope) > 1<<10 {
			integral = false
			break
		}
	}
	n := v.Len()
	if integral {
		v.I16 = make([]int16, n)
	} else {
		v.F32 = make([]float32, n)
	}
	plane := v.Nx * v.Ny
	var (
		fr      *dicom.Frames
		buf     []int32
		scratch []byte // one read buffer for every instance
	)
	defer func() {
		if fr != nil {
			fr.Close()
		}
	}()
	for k, sl := range s.Slices {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		in := sl.Instance
		if in.Rows != v.Ny || in.Columns != v.Nx {
			return nil, fmt.Errorf("%w: slice %d is %dx%d, slice 1 %dx%d", ErrGeometry, k+1, in.Columns, in.Rows, v.Nx, v.Ny)
		}
		if max(in.SamplesPerPixel, 1) != 1 {
			return nil, fmt.Errorf("%w: slice %d: (0028,0002) SamplesPerPixel %d", ErrPixelFormat, k+1, in.SamplesPerPixel)
		}
		if fr == nil || fr.Instance != in {
			if fr != nil {
				scratch = fr.Buffer()
				fr.Close()
				fr = nil
			}
			f, err := dicom.OpenFrames(in)
			if err != nil {
				return nil, fmt.Errorf("slice %d: %w", k+1, err)
			}
			f.UseBuffer(scratch)
			fr = f
		}
		var err error
		buf, err = readFrame(fr, sl.Frame, buf)
		if err != nil {
			return nil, fmt.Errorf("slice %d: %w", k+1, err)
		}
		if len(buf) != plane {
			return nil, fmt.Errorf("%w: slice %d decodes to %d samples, want %d", ErrPixelFormat, k+1, len(buf), plane)
		}
		g := sl.Geometry()
		dst := k * plane
		if v.I16 != nil {
			slope, icpt := int64(g.RescaleSlope), int64(g.RescaleIntercept)
			out := v.I16[dst : dst+plane]
			ok := true
			for i, s := range buf {
				x := int64(s)*slope + icpt
				if x < math.MinInt16 || x > math.MaxInt16 {
					ok = false
					break
				}
				out[i] = int16(x)
			}
			if ok {
				continue
			}
			// A value beyond 16 bits: keep going in float32.
			v.promote()
		}
		slope, icpt := g.RescaleSlope, g.RescaleIntercept
		out := v.F32[dst : dst+plane]
		for i, s := range buf {
			out[i] = float32(float64(s)*slope + icpt)
		}
	}
	return v, nil
}

// promote moves I16 values into F32.
func (v *Volume) promote() {
	v.F32 = make([]float32, len(v.I16))
	for i, x := range v.I16 {
		v.F32[i] = float32(x)
	}
	v.I16 = nil
}

// readFrame decodes one frame into stored values.
func readFrame(fr *dicom.Frames, i int, buf []int32) ([]int32, error) {
	in := fr.Instance
	if in.TransferSyntax.UID == UIDJPEGBaseline {
		return decodeJPEGBaseline(fr, i, buf)
	}
	out, err := fr.Int32(i, buf)
	if errors.Is(err, dicom.ErrUnsupportedTransferSyntax) {
		return nil, fmt.Errorf("%w: %w (supported: uncompressed, RLE Lossless, Deflated Image Frame Compression, 8-bit JPEG Baseline)", ErrPixelFormat, err)
	}
	return out, err
}

// decodeJPEGBaseline decodes an 8-bit JPEG Baseline frame with
// github.com/suyashkumar/dicom (which hands the bytes to image/jpeg).
// ingest/dicom groups the fragments into the frame first: the library
// itself returns one entry per fragment, not per frame.
func decodeJPEGBaseline(fr *dicom.Frames, i int, buf []int32) ([]int32, error) {
	in := fr.Instance
	if in.BitsAllocated != 8 {
		return nil, fmt.Errorf("%w: (0028,0100) BitsAllocated %d in JPEG Baseline", ErrPixelFormat, in.BitsAllocated)
	}
	raw, err := fr.Raw(i)
	if err != nil {
		return nil, err
	}
	ef := frame.EncapsulatedFrame{Data: raw}
	img, err := ef.GetImage()
	if err != nil {
		return nil, fmt.Errorf("%w: frame %d: JPEG Baseline: %v", ErrPixelFormat, i+1, err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		return nil, fmt.Errorf("%w: frame %d: JPEG Baseline decodes to %T, want greyscale", ErrPixelFormat, i+1, img)
	}
	b := g.Bounds()
	if b.Dx() != in.Columns || b.Dy() != in.Rows {
		return nil, fmt.Errorf("%w: frame %d: JPEG is %dx%d, (0028,0010)/(0028,0011) say %dx%d", ErrPixelFormat, i+1, b.Dx(), b.Dy(), in.Columns, in.Rows)
	}
	n := in.Rows * in.Columns
	if cap(buf) < n {
		buf = make([]int32, n)
	}
	buf = buf[:n]
	for y := 0; y < b.Dy(); y++ {
		row := g.Pix[y*g.Stride : y*g.Stride+b.Dx()]
		for x, p := range row {
			buf[y*in.Columns+x] = int32(p)
		}
	}
	return buf, nil
}

func dot(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func norm(a [3]float64) float64   { return math.Sqrt(dot(a, a)) }
func unit(a [3]float64) [3]float64 {
	l := norm(a)
	return [3]float64{a[0] / l, a[1] / l, a[2] / l}
}
