// Command featbench drives scripts/bench.d/60-features.sh:
//
//	featbench gen DIR [SLICES]   write the benchmark phantom as a DICOM CT series
//	featbench run DIR            assemble it, compute first-order and shape
//	                             features in the sphere, print timings and
//	                             peak memory (key=value lines)
package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/medtwin/medtwin/features"
	"github.com/medtwin/medtwin/features/internal/phantom"
	"github.com/medtwin/medtwin/ingest/dicom"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: featbench gen DIR [SLICES] | featbench run DIR")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		n := 300
		if len(os.Args) > 3 {
			n, err = strconv.Atoi(os.Args[3])
		}
		if err == nil {
			err = gen(os.Args[2], phantom.Benchmark(n))
		}
	case "run":
		err = run(os.Args[2])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "featbench:", err)
		os.Exit(1)
	}
}

// element appends one explicit VR little endian element.
func element(b []byte, group, elem uint16, vr string, val []byte) []byte {
	if len(val)%2 == 1 {
		pad := byte(' ')
		if vr == "UI" || vr == "OB" {
			pad = 0
		}
		val = append(val, pad)
	}
	b = binary.LittleEndian.AppendUint16(b, group)
	b = binary.LittleEndian.AppendUint16(b, elem)
	b = append(b, vr...)
	switch vr {
	case "OB", "OW", "SQ", "UN", "UT":
		b = append(b, 0, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(val)))
	default:
		b = binary.LittleEndian.AppendUint16(b, uint16(len(val)))
	}
	return append(b, val...)
}

func us(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }

// gen writes the phantom as one uncompressed CT series, file names in
// reverse slice order.
func gen(dir string, ph phantom.Spec) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	const root = "1.2.826.0.1.3680043.10.1411."
	study, series, forUID := root+"1", root+"1.2", root+"1.3"
	var px []int16
	for z := 0; z < ph.Nz; z++ {
		sop := root + "1.2." + strconv.Itoa(z+1)
		var meta []byte
		meta = element(meta, 0x0002, 0x0001, "OB", []byte{0, 1})
		meta = element(meta, 0x0002, 0x0002, "UI", []byte("1.2.840.10008.5.1.4.1.1.2"))
		meta = element(meta, 0x0002, 0x0003, "UI", []byte(sop))
		meta = element(meta, 0x0002, 0x0010, "UI", []byte("1.2.840.10008.1.2.1"))
		b := make([]byte, 128, 600+2*ph.Nx*ph.Ny)
		b = append(b, "DICM"...)
		b = element(b, 0x0002, 0x0000, "UL", binary.LittleEndian.AppendUint32(nil, uint32(len(meta))))
		b = append(b, meta...)
		ds := func(vals ...float64) []byte {
			s := make([]string, len(vals))
			for i, v := range vals {
				s[i] = strconv.FormatFloat(v, 'f', -1, 64)
			}
			return []byte(strings.Join(s, "\\"))
		}
		b = element(b, 0x0008, 0x0016, "UI", []byte("1.2.840.10008.5.1.4.1.1.2"))
		b = element(b, 0x0008, 0x0018, "UI", []byte(sop))
		b = element(b, 0x0008, 0x0020, "DA", []byte("20240101"))
		b = element(b, 0x0008, 0x0060, "CS", []byte("CT"))
		b = element(b, 0x0010, 0x0020, "LO", []byte("BENCH-1"))
		b = element(b, 0x0018, 0x0015, "CS", []byte("ABDOMEN"))
		b = element(b, 0x0018, 0x0050, "DS", ds(ph.Spacing[2]))
		b = element(b, 0x0020, 0x000D, "UI", []byte(study))
		b = element(b, 0x0020, 0x000E, "UI", []byte(series))
		b = element(b, 0x0020, 0x0013, "IS", []byte(strconv.Itoa(ph.Nz-z)))
		b = element(b, 0x0020, 0x0032, "DS", ds(-180, -180, float64(z)*ph.Spacing[2]))
		b = element(b, 0x0020, 0x0037, "DS", ds(1, 0, 0, 0, 1, 0))
		b = element(b, 0x0020, 0x0052, "UI", []byte(forUID))
		b = element(b, 0x0028, 0x0002, "US", us(1))
		b = element(b, 0x0028, 0x0004, "CS", []byte("MONOCHROME2"))
		b = element(b, 0x0028, 0x0010, "US", us(uint16(ph.Ny)))
		b = element(b, 0x0028, 0x0011, "US", us(uint16(ph.Nx)))
		b = element(b, 0x0028, 0x0030, "DS", ds(ph.Spacing[1], ph.Spacing[0]))
		b = element(b, 0x0028, 0x0100, "US", us(16))
		b = element(b, 0x0028, 0x0101, "US", us(16))
		b = element(b, 0x0028, 0x0102, "US", us(15))
		b = element(b, 0x0028, 0x0103, "US", us(1))
		b = element(b, 0x0028, 0x1052, "DS", []byte("-1024"))
		b = element(b, 0x0028, 0x1053, "DS", []byte("1"))
		px = ph.Slice(z, px)
		raw := make([]byte, 2*len(px))
		for i, v := range px {
			binary.LittleEndian.PutUint16(raw[2*i:], uint16(v+1024)) // stored = HU − intercept
		}
		b = element(b, 0x7FE0, 0x0010, "OW", raw)
		name := filepath.Join(dir, fmt.Sprintf("IM%05d.dcm", ph.Nz-z))
		if err := os.WriteFile(name, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// peakRSS returns the process's peak resident set (VmHWM) in bytes.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb * 1024
			}
		}
	}
	return -1
}

func run(dir string) error {
	ctx := context.Background()
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var paths []string
	for _, e := range ents {
		paths = append(paths, filepath.Join(dir, e.Name()))
	}
	t0 := time.Now()
	var ins []*dicom.Instance
	var scanErr error
	if err := dicom.Scan(ctx, paths, 0, func(r dicom.ReadResult) {
		if r.Err != nil && scanErr == nil {
			scanErr = r.Err
		}
		ins = append(ins, r.Instance)
	}); err != nil {
		return err
	}
	if scanErr != nil {
		return scanErr
	}
	s, err := dicom.NewSeries(ins)
	if err != nil {
		return err
	}
	v, err := features.Load(ctx, s)
	if err != nil {
		return err
	}
	load := time.Since(t0)
	ph := phantom.Benchmark(v.Nz)
	// The sphere: soft tissue (≥ 0 HU) in a box around it (patient mm).
	r := ph.Radius() + 2
	c := ph.Centre()
	c = v.Point(c[0]/v.Spacing[0], c[1]/v.Spacing[1], c[2]/v.Spacing[2])
	t0 = time.Now()
	m := features.Box(v, [3]float64{c[0] - r, c[1] - r, c[2] - r}, [3]float64{c[0] + r, c[1] + r, c[2] + r})
	m.KeepRange(v, 0, math.Inf(1))
	maskT := time.Since(t0)
	t0 = time.Now()
	fo, err := features.ComputeFirstOrder(v, m, features.DefaultSettings())
	if err != nil {
		return err
	}
	foT := time.Since(t0)
	t0 = time.Now()
	sh, err := features.ComputeShape(v, m)
	if err != nil {
		return err
	}
	shT := time.Since(t0)
	fmt.Printf("voxels=%d\nvolume_bytes=%d\nmask_ml=%.2f\nload_s=%.4f\nmask_s=%.4f\nfirstorder_s=%.4f\nshape_s=%.4f\npeak_rss_bytes=%d\n",
		v.Len(), 2*v.Len(), float64(fo.N)*v.VoxelVolume()/1000, load.Seconds(), maskT.Seconds(), foT.Seconds(), shT.Seconds(), peakRSS())
	fmt.Printf("mean_hu=%.4f\np10_hu=%g\np90_hu=%g\nentropy=%.6f\nmesh_volume_mm3=%.1f\nsurface_mm2=%.1f\ndiameter_mm=%.3f\n",
		fo.Mean, fo.P10, fo.P90, fo.Entropy, sh.MeshVolume, sh.SurfaceArea, sh.Maximum3DDiameter)
	return nil
}
