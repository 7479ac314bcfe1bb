package flightsvc

import (
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/util"
)

// chunks calls fn with consecutive slices of rec whose Arrow buffers hold
// about limit bytes at most (a single row larger than limit goes alone),
// or with rec itself when it fits. Flight clients refuse messages above a
// maximum (4 MiB by default in gRPC, and so in the Go Flight client) while
// the store yields records of BatchRows rows whatever their width; slicing
// copies nothing but the offsets of string columns when the IPC writer
// rebases them.
func chunks(rec arrow.Record, limit int64, fn func(arrow.Record) error) error {
	n := int(rec.NumRows())
	if limit <= 0 || n <= 1 {
		return fn(rec)
	}
	sz := newSizer(rec)
	if sz.size(0, n) <= limit {
		return fn(rec)
	}
	step := max(1, int(limit/max(1, sz.size(0, n)/int64(n))))
	for i := 0; i < n; {
		k := min(n-i, step)
		for k > 1 && sz.size(i, i+k) > limit {
			k /= 2
		}
		part := rec.NewSlice(int64(i), int64(i+k))
		err := fn(part)
		part.Release()
		if err != nil {
			return err
		}
		i += k
	}
	return nil
}

// sizer estimates the bytes a range of a record's rows takes in an IPC
// message body.
type sizer struct {
	rows    int
	perRow  float64   // fixed-width bytes (and validity bits) per row
	offsets [][]int32 // value offsets of variable-width columns
	other   int64     // other columns' bytes (spread evenly over the rows)
}

func newSizer(rec arrow.Record) *sizer {
	s := &sizer{rows: int(rec.NumRows())}
	for _, col := range rec.Columns() {
		s.perRow += 1.0 / 8 // validity bitmap
		switch a := col.(type) {
		case interface{ ValueOffsets() []int32 }: // utf8, binary
			s.perRow += 4
			s.offsets = append(s.offsets, a.ValueOffsets())
			continue
		}
		if fw, ok := col.DataType().(arrow.FixedWidthDataType); ok {
			s.perRow += float64(fw.BitWidth()) / 8
			continue
		}
		if d, ok := col.DataType().(*arrow.DictionaryType); ok {
			// Indices here; the dictionary travels in a message of its own.
			s.perRow += float64(d.IndexType.(arrow.FixedWidthDataType).BitWidth()) / 8
			continue
		}
		s.other += util.TotalArraySize(col)
	}
	return s
}

// size returns the estimated bytes of rows [i, j).
func (s *sizer) size(i, j int) int64 {
	b := s.perRow * float64(j-i)
	for _, off := range s.offsets {
		b += float64(off[j] - off[i])
	}
	if s.rows > 0 {
		b += float64(s.other) * float64(j-i) / float64(s.rows)
	}
	return int64(b)
}
