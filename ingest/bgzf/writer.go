package bgzf

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/flate"
)

// Writer writes a BGZF stream: data in blocks of at most 64 KiB, each a
// gzip member carrying its size, and the EOF marker on Close. It is what
// `bgzip` writes, so the output is readable by htslib and tabix-indexable.
// Not safe for concurrent use.
type Writer struct {
	w     io.Writer
	level int
	buf   []byte
	comp  bytes.Buffer
	fw    *flate.Writer
	err   error
}

// blockData is how much data goes into one block: a little under 64 KiB so
// that an incompressible block still fits the 16-bit size field.
const blockData = 0xff00

// NewWriter returns a writer at the given flate level
// (flate.DefaultCompression when 0).
func NewWriter(w io.Writer, level int) *Writer {
	if level == 0 {
		level = flate.DefaultCompression
	}
	return &Writer{w: w, level: level, buf: make([]byte, 0, blockData)}
}

// Write implements io.Writer.
func (z *Writer) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 && z.err == nil {
		k := min(len(p), blockData-len(z.buf))
		z.buf = append(z.buf, p[:k]...)
		p = p[k:]
		n += k
		if len(z.buf) == blockData {
			z.err = z.flushBlock()
		}
	}
	return n, z.err
}

// Flush writes the pending data as a block.
func (z *Writer) Flush() error {
	if z.err == nil && len(z.buf) > 0 {
		z.err = z.flushBlock()
	}
	return z.err
}

// Close flushes and writes the EOF marker. It does not close the
// underlying writer.
func (z *Writer) Close() error {
	if err := z.Flush(); err != nil {
		return err
	}
	_, z.err = z.w.Write(EOFMarker)
	return z.err
}

func (z *Writer) flushBlock() error {
	z.comp.Reset()
	if z.fw == nil {
		fw, err := flate.NewWriter(&z.comp, z.level)
		if err != nil {
			return err
		}
		z.fw = fw
	} else {
		z.fw.Reset(&z.comp)
	}
	if _, err := z.fw.Write(z.buf); err != nil {
		return err
	}
	if err := z.fw.Close(); err != nil {
		return err
	}
	cdata := z.comp.Bytes()
	if len(cdata)+headerLen+8 > MaxBlockSize {
		// Incompressible: store it (deflate level 0 adds 5 bytes per block).
		z.comp.Reset()
		fw, _ := flate.NewWriter(&z.comp, flate.NoCompression)
		fw.Write(z.buf)
		fw.Close()
		cdata = z.comp.Bytes()
	}
	var hdr [headerLen]byte
	copy(hdr[:], EOFMarker[:headerLen])
	binary.LittleEndian.PutUint16(hdr[16:], uint16(headerLen+len(cdata)+8-1))
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[0:], crc32.ChecksumIEEE(z.buf))
	binary.LittleEndian.PutUint32(trailer[4:], uint32(len(z.buf)))
	for _, part := range [][]byte{hdr[:], cdata, trailer[:]} {
		if _, err := z.w.Write(part); err != nil {
			return err
		}
	}
	z.buf = z.buf[:0]
	return nil
}
