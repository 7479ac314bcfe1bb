package dicom

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/flate"
)

// fragment is one item of encapsulated pixel data: value offset and length
// in the stream.
type fragment struct {
	offset int64
	length int64
}

// maxFragments bounds the items of encapsulated pixel data (hostile input).
const maxFragments = 1 << 22

// fragmentsOf walks the items of encapsulated pixel data with 8-byte reads,
// using item lengths only: a delimiter tag inside a fragment's bytes is
// data, not structure. The first fragment returned is the Basic Offset
// Table.
func fragmentsOf(ra io.ReaderAt, f *File) ([]fragment, error) {
	if f.stream != nil {
		ra = bytes.NewReader(f.stream)
	}
	return walkFragments(ra, f.pixel.value, f.Size)
}

func walkFragments(ra io.ReaderAt, pos, size int64) ([]fragment, error) {
	var out []fragment
	var hdr [8]byte
	for {
		if pos+8 > size {
			return nil, tagErr(TagPixelData, pos, ErrTruncated, "encapsulated pixel data ends without a sequence delimiter (file ends at byte %d)", size)
		}
		if _, err := ra.ReadAt(hdr[:], pos); err != nil {
			return nil, tagErr(TagPixelData, pos, ErrTruncated, "reading fragment header: %v", err)
		}
		t := Tag(uint32(binary.LittleEndian.Uint16(hdr[:]))<<16 | uint32(binary.LittleEndian.Uint16(hdr[2:])))
		l := int64(binary.LittleEndian.Uint32(hdr[4:]))
		switch t {
		case TagSeqDelimitation:
			if len(out) == 0 {
				return nil, tagErr(TagPixelData, pos, ErrMalformed, "encapsulated pixel data without a basic offset table item")
			}
			return out, nil
		case TagItem:
			if l == undefinedLength {
				return nil, tagErr(TagPixelData, pos, ErrMalformed, "fragment of undefined length")
			}
			if pos+8+l > size {
				return nil, tagErr(TagPixelData, pos, ErrTruncated, "fragment %d claims %d bytes but only %d remain", len(out), l, size-pos-8)
			}
			out = append(out, fragment{offset: pos + 8, length: l})
			if len(out) > maxFragments {
				return nil, tagErr(TagPixelData, pos, ErrMalformed, "more than %d fragments", maxFragments)
			}
			pos += 8 + l
		default:
			return nil, tagErr(TagPixelData, pos, ErrMalformed, "expected a fragment item, found %s", t)
		}
	}
}

// Frames reads the pixel data of one instance frame by frame. Native
// (uncompressed) data in any byte order, RLE Lossless and Deflated Image
// Frame Compression are decoded; other encapsulated transfer syntaxes (the
// JPEG family, MPEG) give their frames' compressed bytes through Raw and
// ErrUnsupportedTransferSyntax from Int32. Not safe for concurrent use.
type Frames struct {
	Instance *Instance
	ra       io.ReaderAt
	closer   io.Closer
	size     int64
	frames   [][]fragment // encapsulated: fragments of each frame
	scratch  []byte
	reuse    bool
}

// UseBuffer makes Raw and Int32 read frames into buf (grown when too
// small) instead of a new buffer per frame; the bytes Raw returns are then
// valid only until the next call. Buffer returns the buffer afterwards, so
// a caller reading many instances in a row (volume assembly) reads them
// all through one allocation.
func (fr *Frames) UseBuffer(buf []byte) { fr.scratch, fr.reuse = buf, true }

// Buffer returns the buffer given to UseBuffer, as grown.
func (fr *Frames) Buffer() []byte { return fr.scratch }

func (fr *Frames) alloc(n int64) []byte {
	if !fr.reuse {
		return make([]byte, n)
	}
	if int64(cap(fr.scratch)) < n {
		fr.scratch = make([]byte, n)
	}
	return fr.scratch[:n]
}

// Count returns the number of frames.
func (fr *Frames) Count() int { return fr.Instance.NumberOfFrames }

// Close closes the underlying file.
func (fr *Frames) Close() error {
	if fr.closer != nil {
		return fr.closer.Close()
	}
	return nil
}

// OpenFrames opens the pixel data of an instance read by ReadInstance or
// Scan. Pixel data is checked against the attributes that describe it
// (Rows, Columns, BitsAllocated, SamplesPerPixel, NumberOfFrames): short
// native data is ErrTruncated, fragments that cannot be grouped into
// NumberOfFrames frames are ErrPixelData.
func OpenFrames(in *Instance) (*Frames, error) {
	if !in.HasPixelData {
		return nil, &TagError{Tag: TagPixelData, Offset: -1, Err: ErrMissingAttribute}
	}
	if in.Rows <= 0 || in.Columns <= 0 || in.BitsAllocated <= 0 {
		t := TagRows
		if in.Rows > 0 {
			t = TagColumns
			if in.Columns > 0 {
				t = TagBitsAllocated
			}
		}
		return nil, &TagError{Tag: t, Offset: -1, Err: fmt.Errorf("%w: pixel data needs it", ErrMissingAttribute)}
	}
	fh, err := os.Open(in.Path)
	if err != nil {
		return nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, err
	}
	fr := &Frames{Instance: in, ra: fh, closer: fh, size: st.Size()}
	if in.TransferSyntax.Deflated {
		// The pixel data sits in the inflated stream.
		f, err := ReadFile(in.Path)
		if err != nil {
			fh.Close()
			return nil, err
		}
		fr.ra, fr.size = bytes.NewReader(f.stream), int64(len(f.stream))
	}
	if err := guard(fr.init); err != nil {
		fr.Close()
		return nil, err
	}
	return fr, nil
}

func (fr *Frames) frameBits() int64 {
	in := fr.Instance
	return int64(in.Rows) * int64(in.Columns) * int64(max(in.SamplesPerPixel, 1)) * int64(in.BitsAllocated)
}

// maxFrameSamples bounds one decoded frame (Rows × Columns × Samples):
// 2^28 samples is 1 GiB of int32, far beyond any real image.
const maxFrameSamples = 1 << 28

func (fr *Frames) init() error {
	in := fr.Instance
	if int64(in.Rows)*int64(in.Columns)*int64(max(in.SamplesPerPixel, 1)) > maxFrameSamples {
		return &TagError{Tag: TagRows, Offset: -1, Err: fmt.Errorf("%w: %dx%d frames are too large to decode", ErrPixelData, in.Rows, in.Columns)}
	}
	if in.PixelLength >= 0 {
		need := (fr.frameBits()*int64(in.NumberOfFrames) + 7) / 8
		if in.PixelOffset+in.PixelLength > fr.size {
			return tagErr(in.PixelTag, in.PixelOffset, ErrTruncated, "value length %d but only %d bytes remain", in.PixelLength, fr.size-in.PixelOffset)
		}
		if in.PixelLength < need {
			return tagErr(in.PixelTag, in.PixelOffset, ErrTruncated,
				"holds %d bytes but Rows×Columns×SamplesPerPixel×BitsAllocated×NumberOfFrames needs %d", in.PixelLength, need)
		}
		return nil
	}
	frags, err := walkFragments(fr.ra, in.PixelOffset, fr.size)
	if err != nil {
		return err
	}
	frames, err := fr.group(frags)
	if err != nil {
		return err
	}
	fr.frames = frames
	return nil
}

// group assigns fragments to frames: one frame takes them all; as many
// fragments as frames map one to one; otherwise the Basic Offset Table or
// the Extended Offset Table, and failing those the codestream start
// markers (JPEG SOI, JPEG 2000 SOC or JP2 signature) say where frames
// begin. (github.com/suyashkumar/dicom returns one entry per fragment.)
func (fr *Frames) group(frags []fragment) ([][]fragment, error) {
	in := fr.Instance
	n := in.NumberOfFrames
	bot, data := frags[0], frags[1:]
	if len(data) == 0 {
		return nil, tagErr(TagPixelData, in.PixelOffset, ErrPixelData, "no fragments")
	}
	switch {
	case n == 1:
		return [][]fragment{data}, nil
	case len(data) == n:
		out := make([][]fragment, n)
		for i := range data {
			out[i] = data[i : i+1]
		}
		return out, nil
	}
	firstItem := data[0].offset - 8
	byOffsets := func(offs []int64) ([][]fragment, bool) {
		if len(offs) != n {
			return nil, false
		}
		out := make([][]fragment, n)
		k := -1
		for _, fg := range data {
			rel := fg.offset - 8 - firstItem
			for k+1 < n && rel >= offs[k+1] {
				k++
			}
			if k < 0 {
				return nil, false
			}
			out[k] = append(out[k], fg)
		}
		for _, f := range out {
			if len(f) == 0 {
				return nil, false
			}
		}
		return out, true
	}
	if bot.length >= 4*int64(n) && bot.length%4 == 0 {
		buf := make([]byte, bot.length)
		if _, err := fr.ra.ReadAt(buf, bot.offset); err == nil {
			offs := make([]int64, bot.length/4)
			for i := range offs {
				offs[i] = int64(binary.LittleEndian.Uint32(buf[4*i:]))
			}
			if out, ok := byOffsets(offs); ok {
				return out, nil
			}
		}
	}
	// Codestream markers.
	var head [6]byte
	var out [][]fragment
	for _, fg := range data {
		start := false
		if fg.length >= 4 {
			m := min(int64(len(head)), fg.length)
			if _, err := fr.ra.ReadAt(head[:m], fg.offset); err != nil {
				return nil, tagErr(TagPixelData, fg.offset, ErrTruncated, "reading fragment: %v", err)
			}
			start = (head[0] == 0xFF && head[1] == 0xD8) || // JPEG, JPEG-LS SOI
				(head[0] == 0xFF && head[1] == 0x4F && head[2] == 0xFF && head[3] == 0x51) || // J2K SOC+SIZ
				(m >= 6 && head[0] == 0 && head[1] == 0 && head[2] == 0 && head[3] == 0x0C && head[4] == 'j' && head[5] == 'P')
		}
		if start || len(out) == 0 {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], fg)
	}
	if len(out) != n {
		return nil, tagErr(TagPixelData, in.PixelOffset, ErrPixelData,
			"cannot group %d fragments into %d frames (no usable offset table, %d codestream starts)", len(data), n, len(out))
	}
	return out, nil
}

// Raw returns frame i's bytes as stored: native bytes (for 1-bit data, the
// frame's bits shifted to start at bit 0 of the first byte), or the
// concatenated fragments of a compressed frame.
func (fr *Frames) Raw(i int) ([]byte, error) {
	in := fr.Instance
	if i < 0 || i >= in.NumberOfFrames {
		return nil, fmt.Errorf("frame %d of %d: %w", i+1, in.NumberOfFrames, ErrPixelData)
	}
	if fr.frames == nil {
		bits := fr.frameBits()
		startBit := bits * int64(i)
		start := in.PixelOffset + startBit/8
		nbytes := (startBit%8 + bits + 7) / 8
		buf := fr.alloc(nbytes)
		if _, err := fr.ra.ReadAt(buf, start); err != nil {
			return nil, tagErr(in.PixelTag, start, ErrTruncated, "frame %d: %v", i+1, err)
		}
		if shift := startBit % 8; shift != 0 {
			// 1-bit frames whose size is not a multiple of 8 start inside a
			// byte: realign (bits are packed least significant first).
			out := make([]byte, (bits+7)/8)
			for k := range out {
				v := buf[k] >> shift
				if k+1 < len(buf) {
					v |= buf[k+1] << (8 - shift)
				}
				out[k] = v
			}
			buf = out
		}
		return buf, nil
	}
	var total int64
	for _, fg := range fr.frames[i] {
		total += fg.length
	}
	buf := fr.alloc(total)
	off := 0
	for _, fg := range fr.frames[i] {
		if _, err := fr.ra.ReadAt(buf[off:off+int(fg.length)], fg.offset); err != nil {
			return nil, tagErr(TagPixelData, fg.offset, ErrTruncated, "frame %d: %v", i+1, err)
		}
		off += int(fg.length)
	}
	return buf, nil
}

// Decodable reports whether Int32 can decode this instance's frames, and
// if not, why (an error naming (0002,0010)).
func (fr *Frames) Decodable() error {
	ts := fr.Instance.TransferSyntax
	if !ts.Encapsulated || ts.UID == UIDRLELossless || ts.UID == UIDDeflatedImageFrame || ts.UID == UIDEncapsulatedUncompressed {
		switch fr.Instance.BitsAllocated {
		case 1, 8, 16, 32:
			return nil
		}
		return &TagError{Tag: TagBitsAllocated, Offset: -1, Err: fmt.Errorf("%w: BitsAllocated %d", ErrPixelData, fr.Instance.BitsAllocated)}
	}
	return &TagError{Tag: TagTransferSyntaxUID, Offset: -1, Err: fmt.Errorf("%w: %s", ErrUnsupportedTransferSyntax, ts.Name())}
}

// Int32 decodes frame i into dst (reused when large enough): Rows×Columns
// samples (×SamplesPerPixel: interleaved for RLE and for native data with
// PlanarConfiguration 0, colour planes one after another for native data
// with PlanarConfiguration 1), stored values masked to BitsStored and
// sign-extended when PixelRepresentation is 1. Apply the frame's
// RescaleSlope/Intercept (Instance.Frames, or Frames[0] for single-frame
// images) for output units such as Hounsfield units.
func (fr *Frames) Int32(i int, dst []int32) ([]int32, error) {
	if err := fr.Decodable(); err != nil {
		return nil, err
	}
	in := fr.Instance
	raw, err := fr.Raw(i)
	if err != nil {
		return nil, err
	}
	bigEndian := in.TransferSyntax.BigEndian
	switch in.TransferSyntax.UID {
	case UIDRLELossless:
		raw, err = decodeRLE(raw, in)
		bigEndian = false
	case UIDDeflatedImageFrame:
		raw, err = inflateFrame(raw)
		bigEndian = false
	}
	if err != nil {
		return nil, tagErr(TagPixelData, -1, ErrPixelData, "frame %d: %v", i+1, err)
	}
	return unpack(raw, in, bigEndian, dst, i)
}

func unpack(raw []byte, in *Instance, bigEndian bool, dst []int32, frame int) ([]int32, error) {
	n := in.Rows * in.Columns * max(in.SamplesPerPixel, 1)
	if cap(dst) < n {
		dst = make([]int32, n)
	}
	dst = dst[:n]
	need := (int64(n)*int64(in.BitsAllocated) + 7) / 8
	if int64(len(raw)) < need {
		return nil, tagErr(TagPixelData, -1, ErrTruncated, "frame %d holds %d bytes, needs %d", frame+1, len(raw), need)
	}
	stored := in.BitsStored
	if stored <= 0 || stored > in.BitsAllocated {
		stored = in.BitsAllocated
	}
	shift := uint(0)
	if in.HighBit >= stored-1 && in.HighBit < in.BitsAllocated {
		shift = uint(in.HighBit - stored + 1)
	}
	signed := in.PixelRepresentation == 1
	mask := uint32(1)<<uint(stored) - 1
	if stored == 32 {
		mask = 0xFFFFFFFF
	}
	ext := func(v uint32) int32 {
		v = (v >> shift) & mask
		if signed && stored < 32 && v&(1<<uint(stored-1)) != 0 {
			v |= ^mask
		}
		return int32(v)
	}
	switch in.BitsAllocated {
	case 1:
		for k := range dst {
			dst[k] = int32(raw[k>>3] >> uint(k&7) & 1)
		}
	case 8:
		if bigEndian && in.PixelVR == VROW {
			// OW data in big endian is byte-swapped in pairs.
			for k := range dst {
				dst[k] = ext(uint32(raw[k^1]))
			}
		} else {
			for k := range dst {
				dst[k] = ext(uint32(raw[k]))
			}
		}
	case 16:
		if bigEndian {
			for k := range dst {
				dst[k] = ext(uint32(binary.BigEndian.Uint16(raw[2*k:])))
			}
		} else {
			for k := range dst {
				dst[k] = ext(uint32(binary.LittleEndian.Uint16(raw[2*k:])))
			}
		}
	case 32:
		for k := range dst {
			var v uint32
			if bigEndian {
				v = binary.BigEndian.Uint32(raw[4*k:])
			} else {
				v = binary.LittleEndian.Uint32(raw[4*k:])
			}
			if !signed && v > 1<<31-1 {
				return nil, tagErr(TagPixelData, -1, ErrPixelData, "frame %d: unsigned 32-bit value does not fit int32", frame+1)
			}
			dst[k] = ext(v)
		}
	default:
		return nil, &TagError{Tag: TagBitsAllocated, Offset: -1, Err: fmt.Errorf("%w: BitsAllocated %d", ErrPixelData, in.BitsAllocated)}
	}
	return dst, nil
}

// decodeRLE decodes one RLE Lossless frame (PS3.5 Annex G) into native
// little-endian bytes with samples interleaved.
func decodeRLE(b []byte, in *Instance) ([]byte, error) {
	if len(b) < 64 {
		return nil, errors.New("RLE header shorter than 64 bytes")
	}
	nseg := int(binary.LittleEndian.Uint32(b))
	bytesPer := in.BitsAllocated / 8
	if in.BitsAllocated == 1 {
		return nil, errors.New("RLE with BitsAllocated 1 is not defined")
	}
	spp := max(in.SamplesPerPixel, 1)
	if nseg != bytesPer*spp || nseg > 15 {
		return nil, fmt.Errorf("RLE frame has %d segments, BitsAllocated %d × SamplesPerPixel %d needs %d", nseg, in.BitsAllocated, spp, bytesPer*spp)
	}
	pixels := in.Rows * in.Columns
	out := make([]byte, pixels*bytesPer*spp)
	plane := make([]byte, pixels)
	for s := 0; s < nseg; s++ {
		start := int(binary.LittleEndian.Uint32(b[4+4*s:]))
		end := len(b)
		if s+1 < nseg {
			end = int(binary.LittleEndian.Uint32(b[8+4*s:]))
		}
		if start < 64 || start > end || end > len(b) {
			return nil, fmt.Errorf("RLE segment %d offsets out of range", s+1)
		}
		if err := unpackBits(b[start:end], plane); err != nil {
			return nil, fmt.Errorf("RLE segment %d: %w", s+1, err)
		}
		sample, byteIdx := s/bytesPer, s%bytesPer
		// Segments hold the most significant byte first; out is little endian.
		pos := sample*bytesPer + (bytesPer - 1 - byteIdx)
		stride := bytesPer * spp
		for k, v := range plane {
			out[k*stride+pos] = v
		}
	}
	return out, nil
}

// unpackBits decodes a PackBits segment into exactly len(dst) bytes.
func unpackBits(src, dst []byte) error {
	o := 0
	for i := 0; i < len(src) && o < len(dst); {
		n := int(int8(src[i]))
		i++
		switch {
		case n >= 0:
			if i+n+1 > len(src) {
				return errors.New("literal run past the end of the segment")
			}
			o += copy(dst[o:], src[i:i+n+1])
			i += n + 1
		case n != -128:
			if i >= len(src) {
				return errors.New("replicate run past the end of the segment")
			}
			for k := 0; k < -n+1 && o < len(dst); k++ {
				dst[o] = src[i]
				o++
			}
			i++
		}
	}
	if o < len(dst) {
		return fmt.Errorf("decoded %d of %d bytes", o, len(dst))
	}
	return nil
}

// inflateFrame decompresses a Deflated Image Frame Compression frame
// (1.2.840.10008.1.2.8.1: raw deflate, RFC 1951; zlib-wrapped data is
// accepted too).
func inflateFrame(b []byte) ([]byte, error) {
	out, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(b)), 1<<31))
	if err == nil {
		return out, nil
	}
	zr, zerr := zlib.NewReader(bytes.NewReader(b))
	if zerr != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(zr, 1<<31))
}
