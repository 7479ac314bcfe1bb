package dicom

import (
	"bytes"
	"errors"
	"testing"
)

func frames(t *testing.T, file string) (*Frames, *Instance) {
	t.Helper()
	in, err := ReadInstance(td(t, file))
	if err != nil {
		t.Fatal(err)
	}
	fr, err := OpenFrames(in)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	t.Cleanup(func() { fr.Close() })
	return fr, in
}

func decodeAll(t *testing.T, file string) [][]int32 {
	t.Helper()
	fr, in := frames(t, file)
	out := make([][]int32, in.NumberOfFrames)
	for i := range out {
		v, err := fr.Int32(i, nil)
		if err != nil {
			t.Fatalf("%s frame %d: %v", file, i+1, err)
		}
		out[i] = v
	}
	return out
}

func sameFrames(t *testing.T, ref string, others ...string) {
	t.Helper()
	want := decodeAll(t, ref)
	for _, o := range others {
		got := decodeAll(t, o)
		if len(got) != len(want) {
			t.Errorf("%s: %d frames, %s has %d", o, len(got), ref, len(want))
			continue
		}
		for f := range got {
			for k := range got[f] {
				if got[f][k] != want[f][k] {
					t.Errorf("%s frame %d sample %d = %d, %s has %d", o, f+1, k, got[f][k], ref, want[f][k])
					break
				}
			}
		}
	}
}

// The same pixels in several transfer syntaxes decode identically.
func TestPixelDecodingAcrossTransferSyntaxes(t *testing.T) {
	sameFrames(t, "basic/MR_small.dcm", "transfer_syntax/MR_small_implicit.dcm",
		"transfer_syntax/MR_small_expb.dcm", "transfer_syntax/MR_small_RLE.dcm")
	sameFrames(t, "basic/CT1_UNC.explicit_little_endian.dcm", "transfer_syntax/CT1_UNC.explicit_big_endian.dcm")
	sameFrames(t, "transfer_syntax/dcm_qa_ts/1.dcm", "transfer_syntax/dcm_qa_ts/2.dcm",
		"transfer_syntax/dcm_qa_ts/3.dcm", "transfer_syntax/dcm_qa_ts/4.dcm")
	sameFrames(t, "multiframe/CT0012.explicit_little_endian.dcm",
		"encapsulated/CT0012.not_fragmented_bot_rle.dcm", "encapsulated/CT0012.not_fragmented_no_bot_rle.dcm")
	// Minimum, maximum and sum of stored values against pydicom 2.3.1
	// (/usr/bin/python3: a = pydicom.dcmread(f).pixel_array.astype('int64');
	// a.min(), a.max(), a.sum()). The GE file is signed with padding -1500.
	for _, c := range []struct {
		file          string
		lo, hi, total int64
	}{
		{"basic/CT_small.dcm", 128, 2191, 14826310},
		{"series/dcm_qa_ct_ge_tilt_subset/13.dcm", -1500, 1797, -153317408},
		{"basic/suyashkumar_1_PT.dcm", 0, 1327, 273784},
	} {
		v := decodeAll(t, c.file)[0]
		lo, hi, total := int64(v[0]), int64(v[0]), int64(0)
		for _, x := range v {
			lo, hi, total = min(lo, int64(x)), max(hi, int64(x)), total+int64(x)
		}
		if lo != c.lo || hi != c.hi || total != c.total {
			t.Errorf("%s: min %d max %d sum %d, pydicom %d %d %d", c.file, lo, hi, total, c.lo, c.hi, c.total)
		}
	}
}

// Fragments are grouped into frames (github.com/suyashkumar/dicom returns
// one entry per fragment: 19 for the 2 frames here).
func TestFragmentsGroupedIntoFrames(t *testing.T) {
	cases := []struct {
		file   string
		frames int
	}{
		{"encapsulated/CT0012.fragmented_no_bot_jpeg_lossless.70.dcm", 2},
		{"encapsulated/CT0012.fragmented_no_bot_jpeg_baseline.51.dcm", 2},
		{"encapsulated/CT0012.fragmented_no_bot_jpeg_ls.80.dcm", 2},
		{"encapsulated/CT1_UNC.fragmented_bot_jpeg_ls.80.dcm", 1},
		{"malformed/JPEG2000-embedded-sequence-delimiter.dcm", 1},
	}
	for _, c := range cases {
		fr, in := frames(t, c.file)
		if in.NumberOfFrames != c.frames || len(fr.frames) != c.frames {
			t.Errorf("%s: %d frames grouped, want %d", c.file, len(fr.frames), c.frames)
		}
		for i := 0; i < c.frames; i++ {
			raw, err := fr.Raw(i)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(raw, []byte{0xFF, 0xD8}) && !bytes.HasPrefix(raw, []byte{0xFF, 0x4F}) {
				t.Errorf("%s frame %d does not start with a codestream marker", c.file, i+1)
			}
		}
		// Compressed JPEG frames are not decoded here: a clear error naming
		// the transfer syntax tag.
		_, err := fr.Int32(0, nil)
		var te *TagError
		if !errors.Is(err, ErrUnsupportedTransferSyntax) || !errors.As(err, &te) || te.Tag != TagTransferSyntaxUID {
			t.Errorf("%s: Int32 err = %v", c.file, err)
		}
	}
}

func TestUnpackBitsAcrossBytes(t *testing.T) {
	// 38x23 = 874 bits per frame: frames 2 and 3 start inside a byte.
	in := &Instance{Rows: 2, Columns: 3, BitsAllocated: 1, BitsStored: 1, SamplesPerPixel: 1, NumberOfFrames: 2}
	// frame 1 = 101101 (bits 0..5), frame 2 = 011001 (bits 6..11)
	packed := []byte{0b10101101, 0b00001001}
	fr := &Frames{Instance: in, ra: bytes.NewReader(packed), size: 2}
	in.HasPixelData, in.PixelLength = true, 2
	want := [][]int32{{1, 0, 1, 1, 0, 1}, {0, 1, 1, 0, 0, 1}}
	for f := range want {
		got, err := fr.Int32(f, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k := range got {
			if got[k] != want[f][k] {
				t.Fatalf("frame %d: got %v, want %v", f+1, got, want[f])
			}
		}
	}
}
