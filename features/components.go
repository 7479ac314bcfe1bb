package features

import "sort"

// Connectivity is the neighbourhood of connected-component labelling.
type Connectivity int

// Neighbourhoods: faces only (6) or faces, edges and corners (26).
const (
	Conn6  Connectivity = 6
	Conn26 Connectivity = 26
)

// Component is one connected region of a mask.
type Component struct {
	Label int // 1-based, in decreasing order of Size
	Size  int // voxels
	// Centroid is the mean voxel index (x, y, z).
	Centroid [3]float64
	// Lo and Hi bound the component (inclusive voxel indices).
	Lo, Hi [3]int
}

// Components labels the connected regions of a mask. It works on runs of
// foreground voxels along x with a union-find over runs, so its memory
// grows with the number of runs, not of voxels (no label volume).
type Components struct {
	m     *Mask
	row   []int32 // runs of row r are runs[row[r]:row[r+1]]
	start []int32
	end   []int32 // exclusive
	label []int32 // component label of each run (after Label)
	// List holds the components, largest first.
	List []Component
}

// Label finds the connected components of m.
func (m *Mask) Label(conn Connectivity) *Components {
	c := &Components{m: m}
	rows := m.Ny * m.Nz
	c.row = make([]int32, rows+1)
	for r := 0; r < rows; r++ {
		c.row[r] = int32(len(c.start))
		line := m.Bits[r*m.Nx : (r+1)*m.Nx]
		for x := 0; x < m.Nx; {
			if line[x] == 0 {
				x++
				continue
			}
			s := x
			for x < m.Nx && line[x] != 0 {
				x++
			}
			c.start = append(c.start, int32(s))
			c.end = append(c.end, int32(x))
		}
	}
	c.row[rows] = int32(len(c.start))
	parent := make([]int32, len(c.start))
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(i int32) int32 {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int32) {
		ra, rb := find(a), find(b)
		if ra != rb {
			if ra < rb {
				parent[rb] = ra
			} else {
				parent[ra] = rb
			}
		}
	}
	// Runs overlap when [s1-d, e1+d) meets [s2, e2): d is 0 for faces,
	// 1 for diagonal neighbours.
	link := func(r1, r2 int, d int32) {
		i, iEnd := c.row[r1], c.row[r1+1]
		j, jEnd := c.row[r2], c.row[r2+1]
		for i < iEnd && j < jEnd {
			if c.start[i]-d < c.end[j] && c.start[j] < c.end[i]+d {
				union(i, j)
			}
			if c.end[i] < c.end[j] {
				i++
			} else {
				j++
			}
		}
	}
	for z := 0; z < m.Nz; z++ {
		for y := 0; y < m.Ny; y++ {
			r := z*m.Ny + y
			if c.row[r] == c.row[r+1] {
				continue
			}
			if conn == Conn6 {
				if y > 0 {
					link(r, r-1, 0)
				}
				if z > 0 {
					link(r, r-m.Ny, 0)
				}
				continue
			}
			if y > 0 {
				link(r, r-1, 1)
			}
			if z > 0 {
				for dy := -1; dy <= 1; dy++ {
					if y+dy >= 0 && y+dy < m.Ny {
						link(r, r-m.Ny+dy, 1)
					}
				}
			}
		}
	}
	// Components by root, then relabelled by decreasing size.
	idx := map[int32]int{}
	var comps []Component
	var sums [][3]float64
	c.label = make([]int32, len(c.start))
	for r := 0; r < rows; r++ {
		y, z := r%m.Ny, r/m.Ny
		for i := c.row[r]; i < c.row[r+1]; i++ {
			root := find(i)
			k, ok := idx[root]
			if !ok {
				k = len(comps)
				idx[root] = k
				comps = append(comps, Component{Lo: [3]int{m.Nx, m.Ny, m.Nz}, Hi: [3]int{-1, -1, -1}})
				sums = append(sums, [3]float64{})
			}
			c.label[i] = int32(k)
			n := int(c.end[i] - c.start[i])
			cp := &comps[k]
			cp.Size += n
			sums[k][0] += float64(n) * float64(c.start[i]+c.end[i]-1) / 2
			sums[k][1] += float64(n * y)
			sums[k][2] += float64(n * z)
			cp.Lo = [3]int{min(cp.Lo[0], int(c.start[i])), min(cp.Lo[1], y), min(cp.Lo[2], z)}
			cp.Hi = [3]int{max(cp.Hi[0], int(c.end[i]-1)), max(cp.Hi[1], y), max(cp.Hi[2], z)}
		}
	}
	for k := range comps {
		n := float64(comps[k].Size)
		comps[k].Centroid = [3]float64{sums[k][0] / n, sums[k][1] / n, sums[k][2] / n}
	}
	order := make([]int, len(comps))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return comps[order[a]].Size > comps[order[b]].Size })
	rank := make([]int32, len(comps))
	c.List = make([]Component, len(comps))
	for r, k := range order {
		rank[k] = int32(r + 1)
		c.List[r] = comps[k]
		c.List[r].Label = r + 1
	}
	for i, k := range c.label {
		c.label[i] = rank[k]
	}
	return c
}

// Mask returns the voxels of the components whose labels keep returns
// true for.
func (c *Components) Mask(keep func(label int) bool) *Mask {
	out := c.m.empty()
	c.Paint(out, func(l int) uint8 {
		if keep(l) {
			return 1
		}
		return 0
	})
	return out
}

// Paint writes, into dst (on the mask's grid, which may be the labelled
// mask itself: the components keep their own runs), the value value(label)
// over each component's voxels and 0 elsewhere.
func (c *Components) Paint(dst *Mask, value func(label int) uint8) {
	clear(dst.Bits)
	rows := c.m.Ny * c.m.Nz
	for r := 0; r < rows; r++ {
		base := r * c.m.Nx
		for i := c.row[r]; i < c.row[r+1]; i++ {
			if b := value(int(c.label[i])); b != 0 {
				seg := dst.Bits[base+int(c.start[i]) : base+int(c.end[i])]
				for k := range seg {
					seg[k] = b
				}
			}
		}
	}
}

// Largest returns the mask's largest connected component (an empty mask
// when m is empty) as a new mask.
func (m *Mask) Largest(conn Connectivity) *Mask {
	c := m.Label(conn)
	return c.Mask(func(l int) bool { return l == 1 })
}

// KeepLargest reduces m, in place, to its largest connected component and
// returns it (no second mask: for volume-sized masks).
func (m *Mask) KeepLargest(conn Connectivity) *Mask {
	c := m.Label(conn)
	c.Paint(m, func(l int) uint8 {
		if l == 1 {
			return 1
		}
		return 0
	})
	return m
}
