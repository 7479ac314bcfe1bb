package dicom

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// trimValue strips the padding DICOM allows around string values: trailing
// NULs and spaces, and (for non-text VRs) leading spaces.
func trimValue(b []byte, text bool) []byte {
	for len(b) > 0 && (b[len(b)-1] == 0 || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	if !text {
		for len(b) > 0 && b[0] == ' ' {
			b = b[1:]
		}
	}
	return b
}

func splitValues(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	parts := strings.Split(string(b), "\\")
	for i, s := range parts {
		parts[i] = strings.Trim(s, " \x00")
	}
	return parts
}

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// decodeText converts a text value to UTF-8 with the data set's Specific
// Character Set (github.com/suyashkumar/dicom/pkg/charset); invalid bytes
// become U+FFFD.
func (d *Dataset) decodeText(b []byte) string {
	if ascii(b) {
		return string(b)
	}
	if d.cs != nil && d.cs.Ideographic != nil {
		if s, err := d.cs.Ideographic.Bytes(b); err == nil {
			return string(s)
		}
	}
	if d.cs != nil && d.cs.Alphabetic != nil {
		if s, err := d.cs.Alphabetic.Bytes(b); err == nil {
			return string(s)
		}
	}
	if utf8.Valid(b) {
		return string(b)
	}
	// Default repertoire is ISO 646; real files without a Specific
	// Character Set mostly mean Latin-1.
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// String returns the element's whole value as a string (multiple values
// stay joined by backslashes), padding removed, text decoded to UTF-8.
// It returns "" for binary VRs and sequences.
func (d *Dataset) String(t Tag) string {
	e := d.Find(t)
	if e == nil || e.Value == nil {
		return ""
	}
	switch e.VR {
	case VROB, VROW, VROD, VROF, VROL, VROV, VRUN, VRSQ, VRUS, VRSS, VRUL, VRSL, VRFL, VRFD, VRAT, VRSV, VRUV:
		if e.VR == VRUN && ascii(e.Value) { // UN in implicit data sets: private text
			return string(trimValue(e.Value, false))
		}
		return ""
	}
	text := textVR(e.VR)
	v := trimValue(e.Value, text)
	if text {
		return d.decodeText(v)
	}
	return string(v)
}

// Strings returns the element's values split at backslashes.
func (d *Dataset) Strings(t Tag) []string {
	s := d.String(t)
	if s == "" {
		return nil
	}
	return splitValues([]byte(s))
}

// Floats returns the numeric values of a DS, IS, FL, FD, US, SS, UL or SL
// element. ok is false when the element is absent, empty or not numeric.
func (d *Dataset) Floats(t Tag) (out []float64, ok bool) {
	e := d.Find(t)
	if e == nil || len(e.Value) == 0 {
		return nil, false
	}
	bo := d.order()
	switch e.VR {
	case VRDS, VRIS:
		for _, s := range strings.Split(string(trimValue(e.Value, false)), "\\") {
			s = strings.Trim(s, " \x00")
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, false
			}
			out = append(out, f)
		}
		return out, len(out) > 0
	case VRFL:
		for i := 0; i+4 <= len(e.Value); i += 4 {
			out = append(out, float64(math.Float32frombits(bo.Uint32(e.Value[i:]))))
		}
	case VRFD:
		for i := 0; i+8 <= len(e.Value); i += 8 {
			out = append(out, math.Float64frombits(bo.Uint64(e.Value[i:])))
		}
	case VRUS:
		for i := 0; i+2 <= len(e.Value); i += 2 {
			out = append(out, float64(bo.Uint16(e.Value[i:])))
		}
	case VRSS:
		for i := 0; i+2 <= len(e.Value); i += 2 {
			out = append(out, float64(int16(bo.Uint16(e.Value[i:]))))
		}
	case VRUL:
		for i := 0; i+4 <= len(e.Value); i += 4 {
			out = append(out, float64(bo.Uint32(e.Value[i:])))
		}
	case VRSL:
		for i := 0; i+4 <= len(e.Value); i += 4 {
			out = append(out, float64(int32(bo.Uint32(e.Value[i:]))))
		}
	case VRUN, VROB:
		// Implicit-VR private or unknown tags: cannot interpret.
		return nil, false
	default:
		return nil, false
	}
	for _, f := range out {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false
		}
	}
	return out, len(out) > 0
}

// Float returns the first numeric value of an element.
func (d *Dataset) Float(t Tag) (float64, bool) {
	e := d.Find(t)
	if e == nil {
		return 0, false
	}
	// Fast path for the common single-valued DS/IS.
	if e.VR == VRDS || e.VR == VRIS {
		v := trimValue(e.Value, false)
		if i := indexByte(v, '\\'); i >= 0 {
			v = trimValue(v[:i], false)
		}
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, false
		}
		return f, true
	}
	fs, ok := d.Floats(t)
	if !ok {
		return 0, false
	}
	return fs[0], true
}

// Int returns the first value of an integer element (IS, US, SS, UL, SL).
func (d *Dataset) Int(t Tag) (int, bool) {
	f, ok := d.Float(t)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return 0, false
	}
	return int(f), true
}

// Seq returns the items of a sequence element (nil when absent).
func (d *Dataset) Seq(t Tag) []*Dataset {
	e := d.Find(t)
	if e == nil {
		return nil
	}
	return e.Items
}

// Item returns the first item of a sequence, or nil.
func (d *Dataset) Item(t Tag) *Dataset {
	items := d.Seq(t)
	if len(items) == 0 {
		return nil
	}
	return items[0]
}

// Tags returns the first value of an AT element.
func (d *Dataset) AttributeTag(t Tag) (Tag, bool) {
	e := d.Find(t)
	if e == nil || e.VR != VRAT || len(e.Value) < 4 {
		return 0, false
	}
	bo := d.order()
	return NewTag(bo.Uint16(e.Value), bo.Uint16(e.Value[2:])), true
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

var _ = binary.LittleEndian
