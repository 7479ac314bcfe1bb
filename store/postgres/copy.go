package postgres

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/medtwin/medtwin/store"
)

// PostgreSQL's binary COPY format and binary values: big-endian, each field
// a 4-byte length (-1 for NULL) and its bytes; timestamps are microseconds
// since 2000-01-01 UTC.
const pgEpochMicros = 946684800000000

var copyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// copyBuf appends binary COPY fields.
type copyBuf struct{ b []byte }

func (w *copyBuf) fields(n int) { w.b = binary.BigEndian.AppendUint16(w.b, uint16(n)) }
func (w *copyBuf) null()        { w.b = binary.BigEndian.AppendUint32(w.b, 0xffffffff) }

func (w *copyBuf) int64(v int64) {
	w.b = binary.BigEndian.AppendUint32(w.b, 8)
	w.b = binary.BigEndian.AppendUint64(w.b, uint64(v))
}

func (w *copyBuf) int32(v int32) {
	w.b = binary.BigEndian.AppendUint32(w.b, 4)
	w.b = binary.BigEndian.AppendUint32(w.b, uint32(v))
}

func (w *copyBuf) int16(v int16) {
	w.b = binary.BigEndian.AppendUint32(w.b, 2)
	w.b = binary.BigEndian.AppendUint16(w.b, uint16(v))
}

func (w *copyBuf) float64(v float64) {
	w.b = binary.BigEndian.AppendUint32(w.b, 8)
	w.b = binary.BigEndian.AppendUint64(w.b, math.Float64bits(v))
}

func (w *copyBuf) bool(v bool) {
	w.b = binary.BigEndian.AppendUint32(w.b, 1)
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

// timestamp appends a timestamptz from Unix microseconds.
func (w *copyBuf) timestamp(us int64) { w.int64(us - pgEpochMicros) }

func (w *copyBuf) uuid(k []byte) {
	w.b = binary.BigEndian.AppendUint32(w.b, 16)
	w.b = append(w.b, k...)
}

func (w *copyBuf) bytes(s string) {
	w.b = binary.BigEndian.AppendUint32(w.b, uint32(len(s)))
	w.b = append(w.b, s...)
}

// errText is what PostgreSQL's text type cannot hold.
var errText = fmt.Errorf("%w: text with a NUL byte or invalid UTF-8", store.ErrInvalid)

// checkText reports whether s can be stored in a text column.
func checkText(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

// copySource is an io.Reader producing a binary COPY stream, encoding rows
// on demand: pgconn reads it in its own goroutine, so encoding overlaps the
// server's work and memory stays at one chunk whatever the row count.
type copySource struct {
	n      int
	next   int
	header bool
	done   bool
	encode func(w *copyBuf, row int) error
	w      copyBuf
	off    int
	err    error // the encoder's error, kept to report it unwrapped
}

const copyChunk = 64 << 10

func newCopySource(n int, encode func(w *copyBuf, row int) error) *copySource {
	return &copySource{n: n, encode: encode, w: copyBuf{b: make([]byte, 0, copyChunk+4096)}}
}

func (c *copySource) Read(p []byte) (int, error) {
	if c.off == len(c.w.b) {
		if c.done {
			return 0, io.EOF
		}
		c.w.b, c.off = c.w.b[:0], 0
		if !c.header {
			c.w.b = append(c.w.b, copyHeader...)
			c.header = true
		}
		for len(c.w.b) < copyChunk && c.next < c.n {
			if err := c.encode(&c.w, c.next); err != nil {
				c.err = err
				return 0, err
			}
			c.next++
		}
		if c.next == c.n {
			c.w.b = binary.BigEndian.AppendUint16(c.w.b, 0xffff)
			c.done = true
		}
	}
	n := copy(p, c.w.b[c.off:])
	c.off += n
	return n, nil
}

// cellEncoder appends one Arrow column's value at a row as a COPY field of
// the matching PostgreSQL type (utf8 → text, int64 → bigint, int32 →
// integer, float64 → double precision with NaN as NULL, bool → boolean,
// fixed_size_binary(16) → uuid).
type cellEncoder func(w *copyBuf, row int) error

func newCellEncoder(col arrow.Array) (cellEncoder, error) {
	switch c := col.(type) {
	case *array.String:
		return func(w *copyBuf, i int) error {
			if c.IsNull(i) {
				w.null()
				return nil
			}
			s := c.Value(i)
			if !checkText(s) {
				return errText
			}
			w.bytes(s)
			return nil
		}, nil
	case *array.Int64:
		return func(w *copyBuf, i int) error {
			if c.IsNull(i) {
				w.null()
			} else {
				w.int64(c.Value(i))
			}
			return nil
		}, nil
	case *array.Int32:
		return func(w *copyBuf, i int) error {
			if c.IsNull(i) {
				w.null()
			} else {
				w.int32(c.Value(i))
			}
			return nil
		}, nil
	case *array.Float64:
		return func(w *copyBuf, i int) error {
			if c.IsNull(i) || math.IsNaN(c.Value(i)) {
				w.null()
			} else {
				w.float64(c.Value(i))
			}
			return nil
		}, nil
	case *array.Boolean:
		return func(w *copyBuf, i int) error {
			if c.IsNull(i) {
				w.null()
			} else {
				w.bool(c.Value(i))
			}
			return nil
		}, nil
	case *array.FixedSizeBinary:
		if c.DataType().(*arrow.FixedSizeBinaryType).ByteWidth != 16 {
			break
		}
		return func(w *copyBuf, i int) error {
			if c.IsNull(i) {
				w.null()
			} else {
				w.uuid(c.Value(i))
			}
			return nil
		}, nil
	}
	return nil, fmt.Errorf("%w: unsupported column type %s", store.ErrInvalid, col.DataType())
}
