// Package phantom makes the synthetic CT of the features benchmarks: a
// body of fat-like tissue in air holding a sphere of soft tissue of known
// volume, with a deterministic ±30 HU texture, so that benchmarks in Go
// and the reference scripts (which read it as DICOM) measure the same
// voxels.
package phantom

import "math"

// Spec describes the phantom's grid and sphere.
type Spec struct {
	Nx, Ny, Nz int
	Spacing    [3]float64 // mm: columns, rows, slices
	SphereML   float64
}

// Benchmark is the benchmark case: 512×512×slices at 0.7 × 0.7 ×
// 1.0 mm (a common abdominal grid) with a 100 mL sphere.
func Benchmark(slices int) Spec {
	return Spec{Nx: 512, Ny: 512, Nz: slices, Spacing: [3]float64{0.7, 0.7, 1.0}, SphereML: 100}
}

// Centre returns the sphere's centre (mm from voxel 0's centre).
func (s Spec) Centre() [3]float64 {
	return [3]float64{float64(s.Nx/2) * s.Spacing[0], float64(s.Ny/2-6) * s.Spacing[1], float64(s.Nz/2) * s.Spacing[2]}
}

// Radius returns the sphere's radius (mm).
func (s Spec) Radius() float64 { return math.Cbrt(3 * s.SphereML * 1000 / (4 * math.Pi)) }

// InSphere reports whether voxel (x, y, z)'s centre is in the sphere.
func (s Spec) InSphere(x, y, z int) bool {
	c, r := s.Centre(), s.Radius()
	dx, dy, dz := float64(x)*s.Spacing[0]-c[0], float64(y)*s.Spacing[1]-c[1], float64(z)*s.Spacing[2]-c[2]
	return dx*dx+dy*dy+dz*dz <= r*r
}

// Slice fills dst (Nx×Ny, reused when large enough) with slice z's HU.
func (s Spec) Slice(z int, dst []int16) []int16 {
	n := s.Nx * s.Ny
	if cap(dst) < n {
		dst = make([]int16, n)
	}
	dst = dst[:n]
	bx, by := float64(s.Nx)/2*s.Spacing[0], float64(s.Ny)/2*s.Spacing[1]
	br := 0.45 * float64(min(s.Nx, s.Ny)) * s.Spacing[0]
	for y := 0; y < s.Ny; y++ {
		for x := 0; x < s.Nx; x++ {
			h := int16((x*7+y*13+z*29)%61 - 30)
			px, py := float64(x)*s.Spacing[0], float64(y)*s.Spacing[1]
			switch {
			case s.InSphere(x, y, z):
				dst[y*s.Nx+x] = 45 + h
			case math.Hypot(px-bx, py-by) < br:
				dst[y*s.Nx+x] = -80 + 2*h
			default:
				dst[y*s.Nx+x] = -1000 + h/3
			}
		}
	}
	return dst
}
