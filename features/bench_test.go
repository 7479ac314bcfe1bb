package features

import (
	"math"
	"testing"

	"github.com/medtwin/medtwin/features/internal/phantom"
)

// benchVolume is the benchmark case (phantom.Benchmark): a
// 512×512×300 CT at 0.7 × 0.7 × 1.0 mm (157 MB of int16) holding a
// 100 mL sphere of soft tissue with texture in a body of fat; the mask is
// the sphere.
func benchVolume(b *testing.B) (*Volume, *Mask) {
	b.Helper()
	ph := phantom.Benchmark(300)
	v := &Volume{Nx: ph.Nx, Ny: ph.Ny, Nz: ph.Nz, Spacing: ph.Spacing, Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, Modality: "CT", Unit: "[hnsf'U]"}
	v.I16 = make([]int16, v.Len())
	m := NewMask(v)
	plane := v.Nx * v.Ny
	for z := 0; z < v.Nz; z++ {
		ph.Slice(z, v.I16[z*plane:(z+1)*plane])
		for y := 0; y < v.Ny; y++ {
			for x := 0; x < v.Nx; x++ {
				if ph.InSphere(x, y, z) {
					m.Bits[v.Index(x, y, z)] = 1
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
