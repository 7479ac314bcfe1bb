package features

import (
	"math"
	"slices"
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
	var s Shape
	var vol, area float64
	vs := meshPass(m, lo, hi, sp, func(tris [][3]int8, base [3]float64, edgeOff *[12][3]float64) {
		for _, t := range tris {
			p, q, r := add3(base, edgeOff[t[0]]), add3(base, edgeOff[t[1]]), add3(base, edgeOff[t[2]])
			vol += dot(p, cross(q, r))
			area += norm(cross(sub(q, p), sub(r, p)))
			s.Triangles++
		}
	})
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
	s.Vertices = len(vs)
	s.Maximum3DDiameter, s.Maximum2DDiameterSlice, s.Maximum2DDiameterCol, s.Maximum2DDiameterRow = diameters(vs, sp)
	return s, nil
}

// meshPass streams the region slice by slice through marching cubes: for
// each cube of voxel centres around the region with a surface in it, emit
// gets the cube's triangles, the cube's origin (mm) and the edge midpoint
// offsets (mm). It returns the mesh vertices (packed keys, see pack).
// Memory: two padded slices of the region's bounding box.
func meshPass(m *Mask, lo, hi [3]int, sp [3]float64, emit func(tris [][3]int8, base [3]float64, edgeOff *[12][3]float64)) []uint64 {
	var edgeOff [12][3]float64
	for e := range cubeEdges {
		c := edgeMid(e)
		edgeOff[e] = [3]float64{c[0] * sp[0], c[1] * sp[1], c[2] * sp[2]}
	}
	// Padded planes: x from lo0-1 to hi0+1, y likewise.
	w, h := hi[0]-lo[0]+3, hi[1]-lo[1]+3
	plane := func(z int, dst []uint8) {
		clear(dst)
		if z < lo[2] || z > hi[2] {
			return
		}
		for y := lo[1]; y <= hi[1]; y++ {
			src := m.Bits[(z*m.Ny+y)*m.Nx+lo[0] : (z*m.Ny+y)*m.Nx+hi[0]+1]
			copy(dst[(y-lo[1]+1)*w+1:], src)
		}
	}
	// code packs each 2×2 square of a plane: bit 0 (x,y), 1 (x+1,y),
	// 2 (x,y+1), 3 (x+1,y+1) — the corners k of a cube face at constant z.
	code := func(p []uint8, dst []uint8) {
		for y := 0; y+1 < h; y++ {
			r0, r1 := p[y*w:(y+1)*w], p[(y+1)*w:(y+2)*w]
			d := dst[y*w : (y+1)*w]
			for x := 0; x+1 < w; x++ {
				d[x] = (r0[x] & 1) | (r0[x+1]&1)<<1 | (r1[x]&1)<<2 | (r1[x+1]&1)<<3
			}
		}
	}
	pa, pb := make([]uint8, w*h), make([]uint8, w*h)
	ca, cb := make([]uint8, w*h), make([]uint8, w*h)
	plane(lo[2]-1, pa)
	code(pa, ca)
	var vs []uint64
	x0, y0 := lo[0]-1, lo[1]-1 // voxel index of padded (0,0)
	for z := lo[2] - 1; z <= hi[2]; z++ {
		plane(z+1, pb)
		code(pb, cb)
		Z := 2*z + 2
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				i := y*w + x
				c := pa[i]
				X, Y := 2*(x+x0)+2, 2*(y+y0)+2
				if x+1 < w && c != pa[i+1] {
					vs = append(vs, pack(X+1, Y, Z))
				}
				if y+1 < h && c != pa[i+w] {
					vs = append(vs, pack(X, Y+1, Z))
				}
				if c != pb[i] {
					vs = append(vs, pack(X, Y, Z+1))
				}
				if x+1 < w && y+1 < h {
					cfg := ca[i] | cb[i]<<4
					if tris := mcTable[cfg]; len(tris) > 0 {
						emit(tris, [3]float64{float64(x+x0) * sp[0], float64(y+y0) * sp[1], float64(z) * sp[2]}, &edgeOff)
					}
				}
			}
		}
		pa, pb = pb, pa
		ca, cb = cb, ca
	}
	return vs
}

func add3(a, b [3]float64) [3]float64 { return [3]float64{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }

// Mesh vertices are packed as 21-bit coordinates in half-voxel units
// (2x, 2y, 2z, offset by 2 so that the padding ring is non-negative): one
// on the midpoint of every grid edge whose two voxels differ.
const vbits = 21

func pack(a, b, c int) uint64 { return uint64(a)<<(2*vbits) | uint64(b)<<vbits | uint64(c) }
func unpackKey(k uint64) [3]int {
	const m = 1<<vbits - 1
	return [3]int{int(k >> (2 * vbits)), int(k >> vbits & m), int(k & m)}
}

// diameters finds the largest distances between mesh vertices: in 3-D,
// and within planes of constant z, y and x. The 3-D maximum lies between
// vertices of the convex hull, and a hull vertex is also a vertex of the
// 2-D hull of the points of each axis plane through it; so each plane's
// points are reduced to their 2-D hull first and only points on the hull
// of all three of their planes are compared pairwise.
func diameters(vs []uint64, sp [3]float64) (d3, dz, dy, dx float64) {
	half := [3]float64{sp[0] / 2, sp[1] / 2, sp[2] / 2}
	pos := func(c [3]int) [3]float64 {
		return [3]float64{float64(c[0]) * half[0], float64(c[1]) * half[1], float64(c[2]) * half[2]}
	}
	var planeMax [3]float64
	var cands [3][]uint64
	keys := make([]uint64, len(vs))
	var pts [][2]float64
	var canon []uint64
	for axis := 0; axis < 3; axis++ {
		u, w := (axis+1)%3, (axis+2)%3
		for i, k := range vs {
			c := unpackKey(k)
			keys[i] = pack(c[axis], c[u], c[w])
		}
		slices.Sort(keys)
		for i := 0; i < len(keys); {
			plane := keys[i] >> (2 * vbits)
			pts, canon = pts[:0], canon[:0]
			j := i
			for ; j < len(keys) && keys[j]>>(2*vbits) == plane; j++ {
				c := unpackKey(keys[j]) // (axis, u, w)
				var xyz [3]int
				xyz[axis], xyz[u], xyz[w] = c[0], c[1], c[2]
				p := pos(xyz)
				pts = append(pts, [2]float64{p[u], p[w]})
				canon = append(canon, pack(xyz[0], xyz[1], xyz[2]))
			}
			hull := hull2D(pts)
			for a, k := range hull {
				cands[axis] = append(cands[axis], canon[k])
				for _, l := range hull[a+1:] {
					du, dw := pts[k][0]-pts[l][0], pts[k][1]-pts[l][1]
					if d := du*du + dw*dw; d > planeMax[axis] {
						planeMax[axis] = d
					}
				}
			}
			i = j
		}
	}
	for a := range cands {
		slices.Sort(cands[a])
	}
	var cand [][3]float64
	for _, k := range cands[0] {
		if _, ok := slices.BinarySearch(cands[1], k); !ok {
			continue
		}
		if _, ok := slices.BinarySearch(cands[2], k); !ok {
			continue
		}
		cand = append(cand, pos(unpackKey(k)))
	}
	var best float64
	for i, p := range cand {
		for _, q := range cand[i+1:] {
			d0, d1, d2 := p[0]-q[0], p[1]-q[1], p[2]-q[2]
			if d := d0*d0 + d1*d1 + d2*d2; d > best {
				best = d
			}
		}
	}
	return math.Sqrt(best), math.Sqrt(planeMax[2]), math.Sqrt(planeMax[1]), math.Sqrt(planeMax[0])
}

// hull2D returns the indices of the strict convex hull vertices (no
// collinear points) of points sorted by (u, w), with Andrew's monotone
// chain.
func hull2D(p [][2]float64) []int {
	n := len(p)
	if n <= 2 {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	crossZ := func(o, a, b int) float64 {
		return (p[a][0]-p[o][0])*(p[b][1]-p[o][1]) - (p[a][1]-p[o][1])*(p[b][0]-p[o][0])
	}
	h := make([]int, 0, 2*n)
	for i := 0; i < n; i++ {
		for len(h) >= 2 && crossZ(h[len(h)-2], h[len(h)-1], i) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, i)
	}
	lower := len(h) + 1
	for i := n - 2; i >= 0; i-- {
		for len(h) >= lower && crossZ(h[len(h)-2], h[len(h)-1], i) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, i)
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
