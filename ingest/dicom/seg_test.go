package dicom

import (
	"errors"
	"math"
	"testing"
)

// TestSegmentationMasks checks foreground voxel counts per segment against
// pydicom 2.3.1 + numpy (/usr/bin/python3: for each frame of
// dcmread(f).pixel_array, count values > 0 per ReferencedSegmentNumber;
// for the label map, count values == SegmentNumber). liver_deflate.dcm,
// which pydicom cannot decode, is the same segmentation as
// dcmqi_liver_seg.dcm in transfer syntax 1.2.840.10008.1.2.8.1.
func TestSegmentationMasks(t *testing.T) {
	cases := []struct {
		seg, series string
		counts      map[int]int
		fracSum     float64 // sum of stored fractional values / 255, when fractional
	}{
		{"seg/dcmqi_liver_seg.dcm", "series/dcmqi_ct_3slice", map[int]int{1: 107098}, 0},
		{"seg/liver_deflate.dcm", "series/dcmqi_ct_3slice", map[int]int{1: 107098}, 0},
		{"seg/dcmqi_23x38x3_label_seg.dcm", "series/dcmqi_synthetic_23x38x3", map[int]int{1: 322}, 0},
		{"seg/dcmqi_24x38x3_label_seg.dcm", "series/dcmqi_synthetic_24x38x3", map[int]int{1: 315}, 0},
		{"seg/dcmqi_24x38x3_sparse-labelmap-noppv.dcm", "series/dcmqi_synthetic_24x38x3", map[int]int{1: 630}, 0},
		{"seg/highdicom_seg_image_ct_binary.dcm", "series/pydicom_CT2_4slices_with_gap", map[int]int{1: 638}, 0},
		{"seg/highdicom_seg_image_ct_binary_overlap.dcm", "series/pydicom_CT2_4slices_with_gap", map[int]int{1: 64, 2: 16}, 0},
		{"seg/highdicom_seg_image_ct_true_fractional.dcm", "series/pydicom_CT2_4slices_with_gap", map[int]int{1: 661}, 83136.0 / 255},
	}
	for _, c := range cases {
		t.Run(c.seg, func(t *testing.T) {
			seg, err := ReadSegmentation(td(t, c.seg))
			if err != nil {
				t.Fatal(err)
			}
			series, err := NewSeries(readDir(t, td(t, c.series)))
			if err != nil {
				t.Fatal(err)
			}
			if !seg.ReferencesSeries(series) {
				t.Error("segmentation does not reference its series")
			}
			masks, err := seg.Masks(series)
			if err != nil {
				t.Fatal(err)
			}
			if len(masks) != len(c.counts) {
				t.Fatalf("%d masks, want %d", len(masks), len(c.counts))
			}
			for _, m := range masks {
				if m.Slices != len(series.Slices) || m.Rows != series.Slices[0].Instance.Rows {
					t.Errorf("segment %d: mask %dx%dx%d not on the series grid", m.Segment.Number, m.Slices, m.Rows, m.Columns)
				}
				if got := m.Count(); got != c.counts[m.Segment.Number] {
					t.Errorf("segment %d: %d foreground voxels, want %d", m.Segment.Number, got, c.counts[m.Segment.Number])
				}
				if c.fracSum > 0 && math.Abs(m.Sum()-c.fracSum) > 1e-3 {
					t.Errorf("fraction sum %v, want %v", m.Sum(), c.fracSum)
				}
			}
		})
	}
}

// 1-bit frames of 38x23 = 874 pixels start inside a byte. Checksums of
// the foreground positions against pydicom 2.3.1 (/usr/bin/python3:
// a = dcmread(f).pixel_array.reshape(3, -1); i = np.nonzero(a);
// (i[0]*874 + i[1]).sum() == 360269, (i[1]**2).sum() == 26102101).
func TestSegmentationBitUnpacking(t *testing.T) {
	in, err := ReadInstance(td(t, "seg/dcmqi_23x38x3_label_seg.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	fr, err := OpenFrames(in)
	if err != nil {
		t.Fatal(err)
	}
	defer fr.Close()
	var s1, s2 int64
	for f := 0; f < 3; f++ {
		px, err := fr.Int32(f, nil)
		if err != nil {
			t.Fatal(err)
		}
		for p, v := range px {
			if v != 0 {
				s1 += int64(f*874 + p)
				s2 += int64(p * p)
			}
		}
	}
	if s1 != 360269 || s2 != 26102101 {
		t.Errorf("checksums %d, %d; pydicom 360269, 26102101", s1, s2)
	}
}

func TestSegmentationMissingReferences(t *testing.T) {
	seg, err := ReadSegmentation(td(t, "seg/dcmqi_liver_seg.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewSeries(readDir(t, td(t, "series/pydicom_CT5N_5slices")))
	_, err = seg.Masks(other)
	var te *TagError
	if !errors.Is(err, ErrGeometry) || !errors.As(err, &te) || te.Tag != TagRows {
		t.Fatalf("masks on a series of another size: err = %v", err)
	}
	// Same size, but the source images are not there: the frame and tag
	// are named.
	liver := readDir(t, td(t, "series/dcmqi_ct_3slice"))
	part, _ := NewSeries(liver[:2])
	_, err = seg.Masks(part)
	if !errors.Is(err, ErrMissingReference) || !errors.As(err, &te) || te.Tag != TagReferencedSOPInst || te.Context == "" {
		t.Errorf("masks with a source image missing: err = %v", err)
	}
	if seg.Segments[0].Label != "Liver" || !seg.Segments[0].Type.Is("SCT", "10200004") && seg.Segments[0].Type.Value == "" {
		t.Errorf("segment: %+v", seg.Segments[0])
	}
}
