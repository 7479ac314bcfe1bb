package features

import (
	"fmt"
	"math"

	"github.com/medtwin/medtwin/ingest/dicom"
)

// Mask is a binary region on a volume's grid: Bits[i] is 1 for voxels in
// the region, 0 elsewhere, with the volume's indexing.
type Mask struct {
	Nx, Ny, Nz int
	Bits       []uint8
}

// NewMask returns an empty mask on v's grid.
func NewMask(v *Volume) *Mask {
	return &Mask{Nx: v.Nx, Ny: v.Ny, Nz: v.Nz, Bits: make([]uint8, v.Len())}
}

func (m *Mask) clone() *Mask {
	return &Mask{Nx: m.Nx, Ny: m.Ny, Nz: m.Nz, Bits: append([]uint8(nil), m.Bits...)}
}

func (m *Mask) empty() *Mask {
	return &Mask{Nx: m.Nx, Ny: m.Ny, Nz: m.Nz, Bits: make([]uint8, len(m.Bits))}
}

// Count returns the number of voxels in the region.
func (m *Mask) Count() int {
	n := 0
	for _, b := range m.Bits {
		n += int(b)
	}
	return n
}

// Check returns an ErrMaskMismatch error unless m is on v's grid.
func (m *Mask) Check(v *Volume) error {
	if m.Nx != v.Nx || m.Ny != v.Ny || m.Nz != v.Nz || len(m.Bits) != v.Len() {
		return fmt.Errorf("%w: mask is %dx%dx%d, volume %dx%dx%d", ErrMaskMismatch, m.Nx, m.Ny, m.Nz, v.Nx, v.Ny, v.Nz)
	}
	return nil
}

// Bounds returns the smallest box [lo, hi] (inclusive voxel indices x, y,
// z) holding the region; ok is false for an empty mask.
func (m *Mask) Bounds() (lo, hi [3]int, ok bool) {
	lo = [3]int{m.Nx, m.Ny, m.Nz}
	hi = [3]int{-1, -1, -1}
	for z := 0; z < m.Nz; z++ {
		for y := 0; y < m.Ny; y++ {
			row := m.Bits[(z*m.Ny+y)*m.Nx : (z*m.Ny+y+1)*m.Nx]
			first := -1
			for x, b := range row {
				if b != 0 {
					first = x
					break
				}
			}
			if first < 0 {
				continue
			}
			last := first
			for x := len(row) - 1; x > first; x-- {
				if row[x] != 0 {
					last = x
					break
				}
			}
			lo[0], hi[0] = min(lo[0], first), max(hi[0], last)
			lo[1], hi[1] = min(lo[1], y), max(hi[1], y)
			lo[2], hi[2] = min(lo[2], z), max(hi[2], z)
		}
	}
	return lo, hi, hi[0] >= 0
}

// And returns the voxels in both masks.
func (m *Mask) And(o *Mask) *Mask {
	out := m.empty()
	for i, b := range m.Bits {
		out.Bits[i] = b & o.Bits[i]
	}
	return out
}

// AndNot returns the voxels of m not in o.
func (m *Mask) AndNot(o *Mask) *Mask {
	out := m.empty()
	for i, b := range m.Bits {
		out.Bits[i] = b &^ o.Bits[i]
	}
	return out
}

// Threshold returns the voxels with lo ≤ value < hi (either bound may be
// infinite).
func Threshold(v *Volume, lo, hi float64) *Mask {
	m := NewMask(v)
	for i := range m.Bits {
		m.Bits[i] = 1
	}
	m.KeepRange(v, lo, hi)
	return m
}

// KeepRange clears, in place, the voxels of m whose value is outside
// [lo, hi) (no second mask: Threshold followed by And without the memory).
func (m *Mask) KeepRange(v *Volume, lo, hi float64) {
	if v.I16 != nil {
		if math.Ceil(lo) > math.MaxInt16 || math.Ceil(hi)-1 < math.MinInt16 {
			clear(m.Bits)
			return
		}
		l, h := clampI16(math.Ceil(lo)), clampI16(math.Ceil(hi)-1)
		if math.IsInf(hi, 1) {
			h = math.MaxInt16
		}
		for i, x := range v.I16 {
			if int32(x) < l || int32(x) > h {
				m.Bits[i] = 0
			}
		}
		return
	}
	for i, x := range v.F32 {
		if f := float64(x); !(f >= lo && f < hi) {
			m.Bits[i] = 0
		}
	}
}

func clampI16(f float64) int32 {
	return int32(math.Max(math.MinInt16, math.Min(math.MaxInt16, f)))
}

// Box returns the voxels whose centres lie in the box [lo, hi] given in
// patient coordinates (LPS, mm; bounds inclusive, any corner order). For
// an oblique volume the box stays axis-aligned in patient space.
func Box(v *Volume, lo, hi [3]float64) *Mask {
	for k := 0; k < 3; k++ {
		if lo[k] > hi[k] {
			lo[k], hi[k] = hi[k], lo[k]
		}
	}
	m := NewMask(v)
	// Index range covering the box's eight corners.
	ilo := [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}
	ihi := [3]float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	for c := 0; c < 8; c++ {
		p := lo
		for k := 0; k < 3; k++ {
			if c&(1<<k) != 0 {
				p[k] = hi[k]
			}
		}
		q := v.Continuous(p)
		for k := 0; k < 3; k++ {
			ilo[k], ihi[k] = math.Min(ilo[k], q[k]), math.Max(ihi[k], q[k])
		}
	}
	n := [3]int{v.Nx, v.Ny, v.Nz}
	var a, b [3]int
	for k := 0; k < 3; k++ {
		a[k] = max(0, int(math.Floor(ilo[k]-1e-6)))
		b[k] = min(n[k]-1, int(math.Ceil(ihi[k]+1e-6)))
		if a[k] > b[k] {
			return m
		}
	}
	const eps = 1e-6
	for z := a[2]; z <= b[2]; z++ {
		for y := a[1]; y <= b[1]; y++ {
			for x := a[0]; x <= b[0]; x++ {
				p := v.Point(float64(x), float64(y), float64(z))
				if p[0] >= lo[0]-eps && p[0] <= hi[0]+eps && p[1] >= lo[1]-eps && p[1] <= hi[1]+eps && p[2] >= lo[2]-eps && p[2] <= hi[2]+eps {
					m.Bits[v.Index(x, y, z)] = 1
				}
			}
		}
	}
	return m
}

// FractionThreshold is the occupancy from which a voxel of a FRACTIONAL
// segmentation counts as in the region (half the voxel).
const FractionThreshold = 0.5

// FromSegment turns a segment of a DICOM SEG, decoded on the series' grid
// by ingest/dicom (Segmentation.Mask), into a mask on v. Binary and label
// map segments are taken as they are; fractional ones from
// FractionThreshold. A mask whose grid is not the volume's is
// ErrMaskMismatch.
func FromSegment(v *Volume, sm *dicom.Mask) (*Mask, error) {
	if sm.Columns != v.Nx || sm.Rows != v.Ny || sm.Slices != v.Nz || len(sm.Binary) != v.Len() {
		return nil, fmt.Errorf("%w: segment %d is %dx%dx%d, volume %dx%dx%d", ErrMaskMismatch, sm.Segment.Number,
			sm.Columns, sm.Rows, sm.Slices, v.Nx, v.Ny, v.Nz)
	}
	m := NewMask(v)
	if sm.Fraction != nil {
		for i, f := range sm.Fraction {
			if f >= FractionThreshold {
				m.Bits[i] = 1
			}
		}
		return m, nil
	}
	for i, b := range sm.Binary {
		if b != 0 {
			m.Bits[i] = 1
		}
	}
	return m, nil
}

// FillHoles2D fills, slice by slice, the background regions that do not
// reach the slice's border (4-connected background).
func (m *Mask) FillHoles2D() *Mask {
	out := m.clone()
	fillHoles2D(out, 1)
	return out
}

// Select returns the voxels whose value is label (masks holding several
// labels, such as SegmentLungs').
func (m *Mask) Select(label uint8) *Mask {
	out := m.empty()
	for i, b := range m.Bits {
		if b == label {
			out.Bits[i] = 1
		}
	}
	return out
}

// fillHoles2D sets to label, slice by slice, the 0-valued regions that
// pixels of value label enclose (4-connected paths of pixels other than
// label that do not reach the slice border).
func fillHoles2D(m *Mask, label uint8) {
	plane := m.Nx * m.Ny
	outside := make([]uint8, plane)
	stack := make([]int32, 0, 1024)
	for z := 0; z < m.Nz; z++ {
		sl := m.Bits[z*plane : (z+1)*plane]
		clear(outside)
		push := func(i int) {
			if sl[i] != label && outside[i] == 0 {
				outside[i] = 1
				stack = append(stack, int32(i))
			}
		}
		for x := 0; x < m.Nx; x++ {
			push(x)
			push((m.Ny-1)*m.Nx + x)
		}
		for y := 0; y < m.Ny; y++ {
			push(y * m.Nx)
			push(y*m.Nx + m.Nx - 1)
		}
		for len(stack) > 0 {
			i := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			x, y := i%m.Nx, i/m.Nx
			if x > 0 {
				push(i - 1)
			}
			if x < m.Nx-1 {
				push(i + 1)
			}
			if y > 0 {
				push(i - m.Nx)
			}
			if y < m.Ny-1 {
				push(i + m.Nx)
			}
		}
		for i := range sl {
			if outside[i] == 0 && sl[i] == 0 {
				sl[i] = label
			}
		}
	}
}
