package agreement

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
)

// MarshalFinite encodes a struct (or a pointer to one) as encoding/json
// would, except that float64 fields holding NaN or an infinity, which JSON
// cannot represent, are written as null ("not computable"). Field order,
// tags, "-" and omitempty are honoured; nested values are encoded by
// encoding/json (and so by their own MarshalJSON). The result types of
// this package marshal through it.
func MarshalFinite(v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return []byte("null"), nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil, fmt.Errorf("agreement: MarshalFinite of a %s", rv.Kind())
	}
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	rt := rv.Type()
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fv := rv.Field(i)
		if strings.Contains(","+opts+",", ",omitempty,") && fv.IsZero() {
			continue
		}
		var enc []byte
		if fv.Kind() == reflect.Float64 && (math.IsNaN(fv.Float()) || math.IsInf(fv.Float(), 0)) {
			enc = []byte("null")
		} else {
			var err error
			if enc, err = json.Marshal(fv.Interface()); err != nil {
				return nil, fmt.Errorf("agreement: field %s: %w", f.Name, err)
			}
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		b.Write(enc)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// MarshalJSON writes NaN as null.
func (x BA) MarshalJSON() ([]byte, error) { return MarshalFinite(x) }

// MarshalJSON writes NaN as null.
func (x Interval) MarshalJSON() ([]byte, error) { return MarshalFinite(x) }

// MarshalJSON writes NaN as null.
func (x ICC) MarshalJSON() ([]byte, error) { return MarshalFinite(x) }

// MarshalJSON writes NaN as null.
func (x ICCs) MarshalJSON() ([]byte, error) { return MarshalFinite(x) }

// MarshalJSON writes NaN as null.
func (x Proportion) MarshalJSON() ([]byte, error) { return MarshalFinite(x) }

// MarshalJSON writes NaN as null.
func (x ErrorSummary) MarshalJSON() ([]byte, error) { return MarshalFinite(x) }

// MarshalJSON writes NaN as null.
func (x TwoSample) MarshalJSON() ([]byte, error) { return MarshalFinite(x) }

// MarshalJSON writes NaN as null.
func (x VarianceTest) MarshalJSON() ([]byte, error) { return MarshalFinite(x) }

// MarshalJSON writes NaN as null.
func (x Slope) MarshalJSON() ([]byte, error) { return MarshalFinite(x) }

// MarshalJSON writes NaN as null.
func (x Shift) MarshalJSON() ([]byte, error) { return MarshalFinite(x) }
