package features

import (
	"math"
	"testing"
)

// benchVolume is the benchmark case: a 512×512×300 CT (0.7 ×
// 0.7 × 1.0 mm, the common abdominal grid; 157 MB of int16) holding a
// 100 mL sphere (r = 28.8 mm) of soft tissue with texture, in a body of
// fat and muscle; the mask is the sphere.
func benchVolume(b *testing.B) (*Volume, *Mask) {
	b.Helper()
	const nx, ny, nz = 512, 512, 300
	sp := [3]float64{0.7, 0.7, 1.0}
	v := &Volume{Nx: nx, Ny: ny, Nz: nz, Spacing: sp, Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, Modality: "CT", Unit: "[hnsf'U]"}
	v.I16 = make([]int16, v.Len())
	m := NewMask(v)
	r := math.Cbrt(3 * 100e3 / (4 * math.Pi))
	c := [3]float64{256 * sp[0], 250 * sp[1], 150 * sp[2]}
	for z := 0; z < nz; z++ {
		for y := 0; y < ny; y++ {
			for x := 0; x < nx; x++ {
				i := v.Index(x, y, z)
				p := [3]float64{float64(x) * sp[0], float64(y) * sp[1], float64(z) * sp[2]}
				h := int16((x*7+y*13+z*29)%61 - 30) // deterministic texture, ±30 HU
				switch {
				case dist2(p, c) <= r*r:
					v.I16[i] = 45 + h
					m.Bits[i] = 1
				case math.Hypot(p[0]-179, p[1]-179) < 160:
					v.I16[i] = -80 + 2*h
				default:
					v.I16[i] = -1000 + h/3
				}
			}
		}
	}
	return v, m
}

// BenchmarkFeatures measures first-order and shape features on the
// benchmark case; voxels/s counts the whole volume (the mask is found in
// it), MB/s the volume's int16 bytes.
func BenchmarkFeatures(b *testing.B) {
	v, m := benchVolume(b)
	b.Logf("mask: %d voxels = %.1f mL", m.Count(), float64(m.Count())*v.VoxelVolume()/1000)
	run := func(name string, fn func() error) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(2 * v.Len()))
			for i := 0; i < b.N; i++ {
				if err := fn(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(v.Len())*float64(b.N)/b.Elapsed().Seconds(), "voxels/s")
		})
	}
	run("family=firstorder/volume=512x512x300", func() error {
		_, err := ComputeFirstOrder(v, m, DefaultSettings())
		return err
	})
	run("family=shape/volume=512x512x300", func() error {
		_, err := ComputeShape(v, m)
		return err
	})
	run("family=firstorder+shape/volume=512x512x300", func() error {
		if _, err := ComputeFirstOrder(v, m, DefaultSettings()); err != nil {
			return err
		}
		_, err := ComputeShape(v, m)
		return err
	})
}

// BenchmarkBodyLung measures the no-segmentation path of `ingest
// --features` on the benchmark volume: body mask (threshold + largest
// component), first-order and shape in it, and lung segmentation.
func BenchmarkBodyLung(b *testing.B) {
	v, _ := benchVolume(b)
	b.Run("step=body_mask", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			Threshold(v, -500, math.Inf(1)).Largest(Conn6)
		}
	})
	body := Threshold(v, -500, math.Inf(1)).Largest(Conn6)
	b.Run("step=body_features", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := ComputeFirstOrder(v, body, DefaultSettings()); err != nil {
				b.Fatal(err)
			}
			if _, err := ComputeShape(v, body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
