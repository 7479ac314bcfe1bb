package features

import (
	"math"
	"sort"
)

// Shape holds the 3-D shape features of a region, defined as pyradiomics'
// radiomics/shape.py and IBSI chapter 3.1 (REFERENCE.md §6). Lengths are
// in mm, areas in mm², volumes in mm³. Only the voxel spacing matters (the
// features do not depend on the volume's orientation).
type Shape struct {
	VoxelVolume            float64 // N voxels × voxel volume
	MeshVolume             float64 // volume enclosed by the marching-cubes mesh
	SurfaceArea            float64 // area of the mesh
	SurfaceVolumeRatio     float64 // SurfaceArea / MeshVolume
	Sphericity             float64 // ∛(36πV²)/A
	Compactness1           float64 // V/√(πA³)
	Compactness2           float64 // 36πV²/A³
	SphericalDisproportion float64 // A/∛(36πV²)
	Maximum3DDiameter      float64 // largest distance between mesh vertices
	Maximum2DDiameterSlice float64 // … between vertices of one axial (z) plane
	Maximum2DDiameterCol   float64 // … of one coronal-like (y) plane
	Maximum2DDiameterRow   float64 // … of one sagittal-like (x) plane
	MajorAxisLength        float64 // 4√λ₁ of the voxel-centre covariance
	MinorAxisLength        float64 // 4√λ₂
	LeastAxisLength        float64 // 4√λ₃
	Elongation             float64 // √(λ₂/λ₁)
	Flatness               float64 // √(λ₃/λ₁)
	Vertices               int     // mesh vertices
	Triangles              int     // mesh triangles
}

// ComputeShape computes the shape features of m on v's grid.
func ComputeShape(v *Volume, m *Mask) (Shape, error) {
	if err := m.Check(v); err != nil {
		return Shape{}, err
	}
	lo, hi, ok := m.Bounds()
	if !ok {
		return Shape{}, ErrEmptyMask
	}
	sp := v.Spacing
	at := func(x, y, z int) bool {
		if x < 0 || y < 0 || z < 0 || x >= m.Nx || y >= m.Ny || z >= m.Nz {
			return false
		}
		return m.Bits[(z*m.Ny+y)*m.Nx+x] != 0
	}
	var s Shape
	// Marching cubes over the cubes of voxel centres around the region.
	var edgePos [12][3]float64
	var vol, area float64
	for z := lo[2] - 1; z <= hi[2]; z++ {
		for y := lo[1] - 1; y <= hi[1]; y++ {
			for x := lo[0] - 1; x <= hi[0]; x++ {
				cfg := 0
				for k := 0; k < 8; k++ {
					c := cubeCorner(k)
					if at(x+c[0], y+c[1], z+c[2]) {
						cfg |= 1 << k
					}
				}
				tris := mcTable[cfg]
				if len(tris) == 0 {
					continue
				}
				for e, ce := range cubeEdges {
					a, b := cubeCorner(ce[0]), cubeCorner(ce[1])
					edgePos[e] = [3]float64{
						(float64(x) + float64(a[0]+b[0])/2) * sp[0],
						(float64(y) + float64(a[1]+b[1])/2) * sp[1],
						(float64(z) + float64(a[2]+b[2])/2) * sp[2]}
				}
				for _, t := range tris {
					p, q, r := edgePos[t[0]], edgePos[t[1]], edgePos[t[2]]
					vol += dot(p, cross(q, r))
					area += norm(cross(sub(q, p), sub(r, p)))
					s.Triangles++
				}
			}
		}
	}
	s.MeshVolume = vol / 6
	s.SurfaceArea = area / 2
	// Voxel count and the covariance of voxel centres (mm).
	var n float64
	var sum [3]float64
	for z := lo[2]; z <= hi[2]; z++ {
		for y := lo[1]; y <= hi[1]; y++ {
			row := m.Bits[(z*m.Ny+y)*m.Nx:]
			for x := lo[0]; x <= hi[0]; x++ {
				if row[x] != 0 {
					n++
					sum[0] += float64(x) * sp[0]
					sum[1] += float64(y) * sp[1]
					sum[2] += float64(z) * sp[2]
				}
			}
		}
	}
	mean := [3]float64{sum[0] / n, sum[1] / n, sum[2] / n}
	var cov [3][3]float64
	for z := lo[2]; z <= hi[2]; z++ {
		for y := lo[1]; y <= hi[1]; y++ {
			row := m.Bits[(z*m.Ny+y)*m.Nx:]
			for x := lo[0]; x <= hi[0]; x++ {
				if row[x] != 0 {
					d := [3]float64{float64(x)*sp[0] - mean[0], float64(y)*sp[1] - mean[1], float64(z)*sp[2] - mean[2]}
					for i := 0; i < 3; i++ {
						for j := i; j < 3; j++ {
							cov[i][j] += d[i] * d[j]
						}
					}
				}
			}
		}
	}
	s.VoxelVolume = n * v.VoxelVolume()
	if n > 1 {
		// numpy.cov's unbiased estimate, as pyradiomics.
		for i := 0; i < 3; i++ {
			for j := i; j < 3; j++ {
				cov[i][j] /= n - 1
				cov[j][i] = cov[i][j]
			}
		}
		l := symEigen3(cov)
		s.MajorAxisLength = 4 * math.Sqrt(math.Max(l[0], 0))
		s.MinorAxisLength = 4 * math.Sqrt(math.Max(l[1], 0))
		s.LeastAxisLength = 4 * math.Sqrt(math.Max(l[2], 0))
		if l[0] > 0 {
			s.Elongation = math.Sqrt(math.Max(l[1], 0) / l[0])
			s.Flatness = math.Sqrt(math.Max(l[2], 0) / l[0])
		}
	}
	V, A := s.MeshVolume, s.SurfaceArea
	if V > 0 && A > 0 {
		s.SurfaceVolumeRatio = A / V
		s.Sphericity = math.Cbrt(36*math.Pi*V*V) / A
		s.Compactness1 = V / math.Sqrt(math.Pi*A*A*A)
		s.Compactness2 = 36 * math.Pi * V * V / (A * A * A)
		s.SphericalDisproportion = A / math.Cbrt(36*math.Pi*V*V)
	}
	s.Vertices, s.Maximum3DDiameter, s.Maximum2DDiameterSlice, s.Maximum2DDiameterCol, s.Maximum2DDiameterRow = diameters(m, lo, hi, sp, at)
	return s, nil
}

// vertex is a mesh vertex in half-voxel units (2x, 2y, 2z): one on the
// midpoint of every grid edge whose two voxels differ.
type vertex [3]int32

// diameters finds the largest distances between mesh vertices: in 3-D,
// and within planes of constant z, y and x. The 3-D maximum lies between
// vertices of the convex hull, and a hull vertex is also a vertex of the
// 2-D hull of the points of each axis plane through it; so each plane's
// points are reduced to their 2-D hull first and only points on the hull
// of all three of their planes are compared pairwise.
func diameters(m *Mask, lo, hi [3]int, sp [3]float64, at func(x, y, z int) bool) (nv int, d3, dz, dy, dx float64) {
	var vs []vertex
	for z := lo[2] - 1; z <= hi[2]+1; z++ {
		for y := lo[1] - 1; y <= hi[1]+1; y++ {
			for x := lo[0] - 1; x <= hi[0]+1; x++ {
				c := at(x, y, z)
				if c != at(x+1, y, z) {
					vs = append(vs, vertex{int32(2*x + 1), int32(2 * y), int32(2 * z)})
				}
				if c != at(x, y+1, z) {
					vs = append(vs, vertex{int32(2 * x), int32(2*y + 1), int32(2 * z)})
				}
				if c != at(x, y, z+1) {
					vs = append(vs, vertex{int32(2 * x), int32(2 * y), int32(2*z + 1)})
				}
			}
		}
	}
	nv = len(vs)
	half := [3]float64{sp[0] / 2, sp[1] / 2, sp[2] / 2}
	pos := func(v vertex) [3]float64 {
		return [3]float64{float64(v[0]) * half[0], float64(v[1]) * half[1], float64(v[2]) * half[2]}
	}
	onHull := make([]uint8, len(vs))
	planeMax := [3]float64{}
	for axis := 0; axis < 3; axis++ {
		u, w := (axis+1)%3, (axis+2)%3
		idx := make([]int, len(vs))
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool {
			va, vb := vs[idx[a]], vs[idx[b]]
			if va[axis] != vb[axis] {
				return va[axis] < vb[axis]
			}
			if va[u] != vb[u] {
				return va[u] < vb[u]
			}
			return va[w] < vb[w]
		})
		for i := 0; i < len(idx); {
			j := i
			for j < len(idx) && vs[idx[j]][axis] == vs[idx[i]][axis] {
				j++
			}
			hull := hull2D(idx[i:j], func(k int) (float64, float64) {
				p := pos(vs[k])
				return p[u], p[w]
			})
			for a, k := range hull {
				onHull[k] |= 1 << axis
				pa := pos(vs[k])
				for _, l := range hull[a+1:] {
					if d := dist2(pa, pos(vs[l])); d > planeMax[axis] {
						planeMax[axis] = d
					}
				}
			}
			i = j
		}
	}
	var cand [][3]float64
	for i, f := range onHull {
		if f == 7 {
			cand = append(cand, pos(vs[i]))
		}
	}
	var best float64
	for i, p := range cand {
		for _, q := range cand[i+1:] {
			if d := dist2(p, q); d > best {
				best = d
			}
		}
	}
	return nv, math.Sqrt(best), math.Sqrt(planeMax[2]), math.Sqrt(planeMax[1]), math.Sqrt(planeMax[0])
}

// hull2D returns the strict convex hull vertices (no collinear points) of
// points pre-sorted by (u, w), with Andrew's monotone chain.
func hull2D(pts []int, xy func(int) (float64, float64)) []int {
	if len(pts) <= 2 {
		return append([]int(nil), pts...)
	}
	crossZ := func(o, a, b int) float64 {
		ox, oy := xy(o)
		ax, ay := xy(a)
		bx, by := xy(b)
		return (ax-ox)*(by-oy) - (ay-oy)*(bx-ox)
	}
	h := make([]int, 0, 2*len(pts))
	for _, p := range pts {
		for len(h) >= 2 && crossZ(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	lower := len(h) + 1
	for i := len(pts) - 2; i >= 0; i-- {
		p := pts[i]
		for len(h) >= lower && crossZ(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	return h[:len(h)-1]
}

func dist2(a, b [3]float64) float64 {
	d := sub(a, b)
	return dot(d, d)
}
func sub(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func cross(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

// symEigen3 returns the eigenvalues of a symmetric 3×3 matrix in
// decreasing order (trigonometric solution of the characteristic cubic,
// O. K. Smith, Comm. ACM 4(4):168, 1961).
func symEigen3(a [3][3]float64) [3]float64 {
	p1 := a[0][1]*a[0][1] + a[0][2]*a[0][2] + a[1][2]*a[1][2]
	if p1 == 0 {
		l := []float64{a[0][0], a[1][1], a[2][2]}
		sort.Sort(sort.Reverse(sort.Float64Slice(l)))
		return [3]float64{l[0], l[1], l[2]}
	}
	q := (a[0][0] + a[1][1] + a[2][2]) / 3
	p2 := (a[0][0]-q)*(a[0][0]-q) + (a[1][1]-q)*(a[1][1]-q) + (a[2][2]-q)*(a[2][2]-q) + 2*p1
	p := math.Sqrt(p2 / 6)
	var b [3][3]float64
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			b[i][j] = a[i][j] / p
			if i == j {
				b[i][j] = (a[i][j] - q) / p
			}
		}
	}
	detB := b[0][0]*(b[1][1]*b[2][2]-b[1][2]*b[2][1]) - b[0][1]*(b[1][0]*b[2][2]-b[1][2]*b[2][0]) + b[0][2]*(b[1][0]*b[2][1]-b[1][1]*b[2][0])
	r := math.Max(-1, math.Min(1, detB/2))
	phi := math.Acos(r) / 3
	e1 := q + 2*p*math.Cos(phi)
	e3 := q + 2*p*math.Cos(phi+2*math.Pi/3)
	return [3]float64{e1, 3*q - e1 - e3, e3}
}
