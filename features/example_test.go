package features_test

import (
	"fmt"
	"math"

	"github.com/medtwin/medtwin/features"
)

// A region from a threshold and its largest component, then first-order
// and shape features.
func Example() {
	// A 20×20×20 CT at 1 mm: a 6×6×6 mm block of 50 HU in air.
	v := &features.Volume{Nx: 20, Ny: 20, Nz: 20, Spacing: [3]float64{1, 1, 1},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, Modality: "CT", Unit: "[hnsf'U]"}
	v.I16 = make([]int16, v.Len())
	for z := 0; z < 20; z++ {
		for y := 0; y < 20; y++ {
			for x := 0; x < 20; x++ {
				v.I16[v.Index(x, y, z)] = -1000
				if x >= 7 && x < 13 && y >= 7 && y < 13 && z >= 7 && z < 13 {
					v.I16[v.Index(x, y, z)] = 50
				}
			}
		}
	}
	m := features.Threshold(v, -500, math.Inf(1)).Largest(features.Conn26)
	fo, _ := features.ComputeFirstOrder(v, m, features.DefaultSettings())
	sh, _ := features.ComputeShape(v, m)
	fmt.Printf("voxels %d, mean %.0f HU, voxel volume %.0f mm³, 3-D diameter %.2f mm\n", fo.N, fo.Mean, sh.VoxelVolume, sh.Maximum3DDiameter)
	// Output: voxels 216, mean 50 HU, voxel volume 216 mm³, 3-D diameter 9.27 mm
}
