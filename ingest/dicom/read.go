package dicom

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/flate"
	"github.com/suyashkumar/dicom/pkg/uid"
)

// Transfer syntax UIDs this package knows by behaviour.
const (
	UIDImplicitVRLittleEndian   = "1.2.840.10008.1.2"
	UIDExplicitVRLittleEndian   = "1.2.840.10008.1.2.1"
	UIDExplicitVRBigEndian      = "1.2.840.10008.1.2.2"
	UIDDeflatedExplicitVRLittle = "1.2.840.10008.1.2.1.99"
	UIDEncapsulatedUncompressed = "1.2.840.10008.1.2.1.98"
	UIDRLELossless              = "1.2.840.10008.1.2.5"
	UIDDeflatedImageFrame       = "1.2.840.10008.1.2.8.1"
)

// TransferSyntax says how a data set and its pixel data are encoded.
type TransferSyntax struct {
	UID          string
	BigEndian    bool
	Implicit     bool
	Deflated     bool // the data set after the file meta is deflated
	Encapsulated bool // pixel data is a sequence of fragments
	// Inferred is true when the file meta did not name the transfer syntax
	// (or named one its data set does not follow) and it was inferred from
	// the first data set element.
	Inferred bool
}

// Name returns the transfer syntax's name from the UID dictionary of
// github.com/suyashkumar/dicom, or the UID.
func (ts TransferSyntax) Name() string {
	if ts.UID == "" {
		switch {
		case ts.BigEndian:
			return "Explicit VR Big Endian (inferred)"
		case ts.Implicit:
			return "Implicit VR Little Endian (inferred)"
		}
		return "Explicit VR Little Endian (inferred)"
	}
	if info, err := uid.Lookup(ts.UID); err == nil {
		return info.Name
	}
	return ts.UID
}

// Native reports whether pixel data is stored uncompressed.
func (ts TransferSyntax) Native() bool { return !ts.Encapsulated }

func syntaxOf(u string) TransferSyntax {
	ts := TransferSyntax{UID: u}
	switch u {
	case UIDImplicitVRLittleEndian:
		ts.Implicit = true
	case UIDExplicitVRLittleEndian:
	case UIDExplicitVRBigEndian:
		ts.BigEndian = true
	case UIDDeflatedExplicitVRLittle:
		ts.Deflated = true
	default:
		// Every other transfer syntax (JPEG family, RLE, MPEG, deflated
		// image frames, encapsulated uncompressed, and ones newer than this
		// code) encodes the data set in explicit VR little endian and the
		// pixel data in fragments (PS3.5 §A.4).
		ts.Encapsulated = true
	}
	return ts
}

// File is the parsed header of one DICOM file: its file meta, transfer
// syntax and data set up to (not including) the top-level pixel data,
// whose position is kept for pixel reading.
type File struct {
	Name           string // the name errors use (a path or provenance name)
	Size           int64  // bytes in the stream (inflated size for deflated data sets)
	Preamble       bool   // the file has the 128-byte preamble and DICM
	Meta           *Dataset
	TransferSyntax TransferSyntax
	Dataset        *Dataset
	// CharsetWarning is set when the Specific Character Set names an
	// encoding this package cannot decode (text is then read as UTF-8 or
	// Latin-1).
	CharsetWarning error

	pixel  pixelLoc
	stream []byte // the whole inflated stream of deflated data sets
}

// HasPixelData reports whether the data set has top-level pixel data.
func (f *File) HasPixelData() bool { return f.pixel.found }

// Reader reads file headers into a buffer it reuses: a File it returns is
// valid until the next Read. Not safe for concurrent use; use one Reader
// per goroutine.
type Reader struct {
	buf []byte
	els []Element // top-level elements, reused
	// Initial is how many bytes the first read takes (16 KiB when 0): enough
	// for the header of most single-frame images in one system call.
	Initial int
}

// ReadFile reads the header of the file at path into a fresh buffer.
func ReadFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var r Reader
	return r.Read(f, st.Size(), path)
}

// Parse reads the header of a DICOM stream held in memory.
func Parse(b []byte, name string) (*File, error) {
	var r Reader
	r.Initial = len(b)
	return r.Read(bytes.NewReader(b), int64(len(b)), name)
}

// Read parses the header of a stream of size bytes. Errors wrap the
// package's sentinels and name the tag where the problem is; a panic in the
// parser becomes an ErrMalformed error.
func (r *Reader) Read(ra io.ReaderAt, size int64, name string) (f *File, err error) {
	err = guard(func() error {
		var e error
		f, e = r.read(ra, size, name)
		return e
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (r *Reader) fill(ra io.ReaderAt, have, want int) error {
	if cap(r.buf) < want {
		nb := make([]byte, want, max(want, 2*cap(r.buf)))
		copy(nb, r.buf[:have])
		r.buf = nb
	}
	r.buf = r.buf[:want]
	if want > have {
		n, err := ra.ReadAt(r.buf[have:want], int64(have))
		if n < want-have {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("reading bytes %d-%d: %w", have, want, err)
		}
	}
	return nil
}

func (r *Reader) read(ra io.ReaderAt, size int64, name string) (*File, error) {
	initial := r.Initial
	if initial <= 0 {
		initial = 16 << 10
	}
	have := int(min(size, int64(initial)))
	r.buf = r.buf[:0]
	if err := r.fill(ra, 0, have); err != nil {
		return nil, err
	}
	f := &File{Name: name, Size: size}
	for {
		err := r.parse(f, ra, size)
		var more *errNeedMore
		if !errors.As(err, &more) {
			return f, err
		}
		if f.TransferSyntax.Deflated {
			return nil, fmt.Errorf("%w: deflated stream shorter than its elements", ErrTruncated)
		}
		want := max(int64(2*len(r.buf)), more.need+4096)
		want = min(want, size)
		if want <= int64(len(r.buf)) {
			return nil, fmt.Errorf("%w: reader stalled at byte %d", ErrMalformed, more.need)
		}
		if err := r.fill(ra, len(r.buf), int(want)); err != nil {
			return nil, err
		}
	}
}

func (r *Reader) parse(f *File, ra io.ReaderAt, size int64) error {
	buf := r.buf
	p := &parser{buf: buf, size: size, stopAt: true}
	pos := 0
	if len(buf) >= 132 && string(buf[128:132]) == "DICM" {
		f.Preamble = true
		pos = 132
	} else if size >= 132 && len(buf) < 132 {
		return &errNeedMore{need: 132}
	}
	// File meta (group 0002): always explicit VR little endian; it may come
	// without a preamble.
	hasMeta := false
	if pos+8 <= len(buf) && binary.LittleEndian.Uint16(buf[pos:]) == 0x0002 {
		end, err := metaEnd(buf, pos)
		if err != nil {
			var more *errNeedMore
			if errors.As(err, &more) && more.need <= size {
				return err
			}
			return err
		}
		meta, _, err := p.dataset(pos, int64(end), false, false, false, 0, false)
		if err != nil {
			return err
		}
		f.Meta = meta
		pos = end
		hasMeta = true
	} else if f.Preamble && pos+8 > len(buf) && int64(pos) < size {
		return &errNeedMore{need: int64(pos + 8)}
	}
	if !f.Preamble && !hasMeta {
		// A bare data set: it must at least start like one.
		if _, ok := inferSyntax(buf[pos:]); !ok {
			return fmt.Errorf("%w: no DICM magic at byte 128, no file meta, and byte 0 does not start a data set element", ErrNotDICOM)
		}
	}
	var ts TransferSyntax
	tsuid := ""
	if f.Meta != nil {
		tsuid = string(trimValue(valueOf(f.Meta, TagTransferSyntaxUID), false))
	}
	if tsuid != "" {
		ts = syntaxOf(tsuid)
		if !ts.Deflated && !ts.BigEndian {
			// Some writers label implicit data sets explicit (and vice
			// versa): follow the data when its first element says so.
			if g, ok := inferSyntax(buf[pos:]); ok && g.Implicit != ts.Implicit && !g.BigEndian {
				ts.Implicit = g.Implicit
				ts.Inferred = true
			}
		}
	} else {
		g, ok := inferSyntax(buf[pos:])
		if !ok {
			// PS3.5 §10.1: the default transfer syntax is implicit VR
			// little endian; a file meta without (0002,0010) gets it.
			if f.Meta != nil || int64(pos) >= size {
				ts = TransferSyntax{Implicit: true, Inferred: true}
			} else {
				return tagErr(TagTransferSyntaxUID, -1, ErrNotDICOM, "no transfer syntax and no recognisable data set element at byte %d", pos)
			}
		} else {
			ts = g
		}
	}
	f.TransferSyntax = ts
	if ts.Deflated {
		if err := r.fill(ra, len(r.buf), int(size)); err != nil {
			return err
		}
		zr := flate.NewReader(bytes.NewReader(r.buf[pos:]))
		var out bytes.Buffer
		out.Write(r.buf[:pos])
		// Bound the inflated size: deflate expands at most about 1032:1, so
		// more than that is a decompression bomb, not a data set.
		limit := min(int64(1)<<30, 1100*(size-int64(pos))+1<<20)
		n, err := io.Copy(&out, io.LimitReader(zr, limit+1))
		if err != nil {
			return fmt.Errorf("%w: inflating the data set: %v", ErrTruncated, err)
		}
		if n > limit {
			return fmt.Errorf("%w: deflated data set expands beyond %d bytes", ErrMalformed, limit)
		}
		f.stream = out.Bytes()
		f.Size = int64(len(f.stream))
		p = &parser{buf: f.stream, size: f.Size, stopAt: true}
	}
	p.big, p.implicit = ts.BigEndian, ts.Implicit
	p.topEls = r.els[:0]
	ds, _, err := p.dataset(pos, -1, ts.BigEndian, ts.Implicit, false, 0, true)
	if ds != nil {
		r.els = ds.Elements
	}
	if err != nil && err != errStop {
		return err
	}
	f.Dataset = ds
	f.pixel = p.pixel
	f.CharsetWarning = p.csErr
	return nil
}

func valueOf(d *Dataset, t Tag) []byte {
	if e := d.Find(t); e != nil {
		return e.Value
	}
	return nil
}

// metaEnd walks the group 0002 elements from pos (explicit VR little
// endian) and returns where the data set starts. The group length element
// is not trusted: some writers get it wrong or leave it out.
func metaEnd(buf []byte, pos int) (int, error) {
	for {
		if pos+8 > len(buf) {
			return 0, &errNeedMore{need: int64(pos + 8)}
		}
		if binary.LittleEndian.Uint16(buf[pos:]) != 0x0002 {
			return pos, nil
		}
		t := NewTag(0x0002, binary.LittleEndian.Uint16(buf[pos+2:]))
		vr := vrOf(buf[pos+4], buf[pos+5])
		if !knownVR(vr) {
			return 0, tagErr(t, int64(pos), ErrMalformed, "file meta element with invalid VR %q", validVRText(buf[pos+4:pos+6]))
		}
		var next int64
		if longVR(vr) {
			if pos+12 > len(buf) {
				return 0, &errNeedMore{need: int64(pos + 12)}
			}
			vl := binary.LittleEndian.Uint32(buf[pos+8:])
			if vl == undefinedLength {
				return 0, tagErr(t, int64(pos), ErrMalformed, "file meta element of undefined length")
			}
			next = int64(pos) + 12 + int64(vl)
		} else {
			next = int64(pos) + 8 + int64(binary.LittleEndian.Uint16(buf[pos+6:]))
		}
		if next > int64(len(buf)) {
			return 0, &errNeedMore{need: next}
		}
		pos = int(next)
	}
}

// inferSyntax guesses the encoding of a data set from its first element
// (the way dcmtk and pydicom do for files without file meta): an explicit
// VR gives explicit little or big endian, whichever reads the smaller
// group; otherwise implicit little endian when the tag and length are
// plausible.
func inferSyntax(b []byte) (TransferSyntax, bool) {
	if len(b) < 8 {
		return TransferSyntax{}, false
	}
	gLE := binary.LittleEndian.Uint16(b)
	gBE := binary.BigEndian.Uint16(b)
	vr := vrOf(b[4], b[5])
	if knownVR(vr) {
		if gBE < gLE {
			return TransferSyntax{BigEndian: true, Inferred: true}, gBE >= 0x0002 && gBE <= 0x7FE0
		}
		return TransferSyntax{Inferred: true}, gLE >= 0x0002 && gLE <= 0x7FE0
	}
	vl := binary.LittleEndian.Uint32(b[4:])
	ok := gLE >= 0x0002 && gLE <= 0x00FF && gLE%2 == 0 && (vl == undefinedLength || vl < 1<<24)
	return TransferSyntax{Implicit: true, Inferred: true}, ok
}
