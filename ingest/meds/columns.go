package meds

import (
	"fmt"
	"strconv"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/medtwin/medtwin/timeline"
)

// Column getters read one row of a column whatever its concrete Arrow type
// among those accepted for it. Each returns ok=false for a null.
type (
	intGetter   func(i int) (int64, bool)
	timeGetter  func(i int) (int64, bool) // microseconds since the epoch
	strGetter   func(i int) (string, bool)
	floatGetter func(i int) (float64, bool)
	bytesGetter func(i int) ([]byte, bool)
)

// columnClass is what a known column holds.
type columnClass int

const (
	classInt columnClass = iota
	classTime
	classString
	classFloat
	classKey
)

func (c columnClass) want() string {
	switch c {
	case classInt:
		return "an integer type"
	case classTime:
		return "a timestamp or date type"
	case classString:
		return "a string type"
	case classFloat:
		return "a floating-point or integer type"
	case classKey:
		return "fixed_size_binary(16) or binary"
	}
	return "?"
}

// accepts reports whether an Arrow type can be read as class c. The null
// type (a column of nulls only) is accepted for every class.
func (c columnClass) accepts(t arrow.DataType) bool {
	if t.ID() == arrow.NULL {
		return true
	}
	switch c {
	case classInt:
		switch t.ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32:
			return true
		}
	case classTime:
		switch t.ID() {
		case arrow.TIMESTAMP, arrow.DATE32, arrow.DATE64:
			return true
		}
	case classString:
		switch t.ID() {
		case arrow.STRING, arrow.LARGE_STRING:
			return true
		case arrow.DICTIONARY:
			vt := t.(*arrow.DictionaryType).ValueType.ID()
			return vt == arrow.STRING || vt == arrow.LARGE_STRING
		}
	case classFloat:
		switch t.ID() {
		case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64,
			arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
			return true
		}
	case classKey:
		switch t.ID() {
		case arrow.FIXED_SIZE_BINARY:
			return t.(*arrow.FixedSizeBinaryType).ByteWidth == timeline.KeySize
		case arrow.BINARY, arrow.LARGE_BINARY:
			return true
		}
	}
	return false
}

func nullGetter[T any](int) (T, bool) {
	var z T
	return z, false
}

func valid(a arrow.Array, i int) bool { return a.NullN() == 0 || a.IsValid(i) }

func intOf(a arrow.Array) (intGetter, error) {
	switch c := a.(type) {
	case *array.Int64:
		return func(i int) (int64, bool) { return c.Value(i), valid(c, i) }, nil
	case *array.Int32:
		return func(i int) (int64, bool) { return int64(c.Value(i)), valid(c, i) }, nil
	case *array.Int16:
		return func(i int) (int64, bool) { return int64(c.Value(i)), valid(c, i) }, nil
	case *array.Int8:
		return func(i int) (int64, bool) { return int64(c.Value(i)), valid(c, i) }, nil
	case *array.Uint32:
		return func(i int) (int64, bool) { return int64(c.Value(i)), valid(c, i) }, nil
	case *array.Uint16:
		return func(i int) (int64, bool) { return int64(c.Value(i)), valid(c, i) }, nil
	case *array.Uint8:
		return func(i int) (int64, bool) { return int64(c.Value(i)), valid(c, i) }, nil
	case *array.Null:
		return nullGetter[int64], nil
	}
	return nil, fmt.Errorf("%w: %s, want %s", ErrColumnType, a.DataType(), classInt.want())
}

// timeOf reads timestamps of any unit (a time zone is honoured by Arrow's
// definition: values are UTC instants; MEDS's naive times are read as UTC)
// and dates (midnight UTC).
func timeOf(a arrow.Array) (timeGetter, error) {
	switch c := a.(type) {
	case *array.Timestamp:
		var mul, div int64 = 1, 1
		switch c.DataType().(*arrow.TimestampType).Unit {
		case arrow.Second:
			mul = 1_000_000
		case arrow.Millisecond:
			mul = 1_000
		case arrow.Nanosecond:
			div = 1_000
		}
		return func(i int) (int64, bool) {
			v := int64(c.Value(i))
			if div > 1 {
				q := v / div
				if v%div < 0 {
					q-- // floor towards the past
				}
				return q, valid(c, i)
			}
			return v * mul, valid(c, i)
		}, nil
	case *array.Date32:
		return func(i int) (int64, bool) { return int64(c.Value(i)) * 86_400_000_000, valid(c, i) }, nil
	case *array.Date64:
		return func(i int) (int64, bool) { return int64(c.Value(i)) * 1_000, valid(c, i) }, nil
	case *array.Null:
		return nullGetter[int64], nil
	}
	return nil, fmt.Errorf("%w: %s, want %s", ErrColumnType, a.DataType(), classTime.want())
}

func strOf(a arrow.Array) (strGetter, error) {
	switch c := a.(type) {
	case *array.String:
		return func(i int) (string, bool) { return c.Value(i), valid(c, i) }, nil
	case *array.LargeString:
		return func(i int) (string, bool) { return c.Value(i), valid(c, i) }, nil
	case *array.Dictionary:
		dict, err := strOf(c.Dictionary())
		if err != nil {
			return nil, err
		}
		return func(i int) (string, bool) {
			if !valid(c, i) {
				return "", false
			}
			return dict(c.GetValueIndex(i))
		}, nil
	case *array.Null:
		return nullGetter[string], nil
	}
	return nil, fmt.Errorf("%w: %s, want %s", ErrColumnType, a.DataType(), classString.want())
}

// widen32 converts a float32 to the float64 with the same shortest decimal
// representation (float32 1.1 becomes float64 1.1, not 1.100000023841858),
// so that values read from MEDS's float32 column print as written and cast
// back to the same float32 on export.
func widen32(f float32) float64 {
	if f >= -1<<24 && f <= 1<<24 && f == float32(int32(f)) {
		return float64(f) // integers, the common case, need no decimal round trip
	}
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], float64(f), 'g', -1, 32)
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return float64(f) // NaN, ±Inf
	}
	return v
}

func floatOf(a arrow.Array) (floatGetter, error) {
	switch c := a.(type) {
	case *array.Float64:
		return func(i int) (float64, bool) { return c.Value(i), valid(c, i) }, nil
	case *array.Float32:
		return func(i int) (float64, bool) { return widen32(c.Value(i)), valid(c, i) }, nil
	case *array.Float16:
		return func(i int) (float64, bool) { return widen32(c.Value(i).Float32()), valid(c, i) }, nil
	case *array.Uint64:
		return func(i int) (float64, bool) { return float64(c.Value(i)), valid(c, i) }, nil
	case *array.Null:
		return nullGetter[float64], nil
	}
	if g, err := intOf(a); err == nil {
		return func(i int) (float64, bool) { v, ok := g(i); return float64(v), ok }, nil
	}
	return nil, fmt.Errorf("%w: %s, want %s", ErrColumnType, a.DataType(), classFloat.want())
}

func bytesOf(a arrow.Array) (bytesGetter, error) {
	switch c := a.(type) {
	case *array.FixedSizeBinary:
		return func(i int) ([]byte, bool) { return c.Value(i), valid(c, i) }, nil
	case *array.Binary:
		return func(i int) ([]byte, bool) { return c.Value(i), valid(c, i) }, nil
	case *array.LargeBinary:
		return func(i int) ([]byte, bool) { return c.Value(i), valid(c, i) }, nil
	case *array.Null:
		return nullGetter[[]byte], nil
	}
	return nil, fmt.Errorf("%w: %s, want %s", ErrColumnType, a.DataType(), classKey.want())
}
