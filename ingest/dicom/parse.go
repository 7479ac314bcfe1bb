package dicom

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/suyashkumar/dicom/pkg/charset"
)

// Element is one attribute of a data set. Value holds the raw value bytes in
// the data set's byte order (a slice of the buffer the file was read into);
// sequences hold Items instead.
type Element struct {
	Tag       Tag
	VR        VR
	Offset    int64 // byte offset of the element's tag in the (inflated) stream
	Value     []byte
	Items     []*Dataset
	Undefined bool // the value length was undefined (sequences, encapsulated data)
}

// Dataset is a list of elements in file order: the top level of a file or
// one sequence item.
type Dataset struct {
	Elements  []Element
	BigEndian bool
	sorted    bool
	cs        *charset.CodingSystem
}

// Find returns the element with tag t, or nil.
func (d *Dataset) Find(t Tag) *Element {
	if d == nil {
		return nil
	}
	els := d.Elements
	if d.sorted {
		i := sort.Search(len(els), func(i int) bool { return els[i].Tag >= t })
		if i < len(els) && els[i].Tag == t {
			return &els[i]
		}
		return nil
	}
	for i := range els {
		if els[i].Tag == t {
			return &els[i]
		}
	}
	return nil
}

func (d *Dataset) order() binary.ByteOrder {
	if d.BigEndian {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// errNeedMore asks the reader for more bytes: the data set continues past
// the buffer but not past the end of the file.
type errNeedMore struct{ need int64 }

func (e *errNeedMore) Error() string { return "need more data" }

var errStop = errors.New("stop")

// maxDepth bounds sequence nesting: real files nest a handful of levels;
// deeper nesting is hostile input.
const maxDepth = 32

// pixelLoc is where the top-level pixel data element sits.
type pixelLoc struct {
	found     bool
	tag       Tag
	vr        VR
	offset    int64 // stream offset of the element's tag
	value     int64 // stream offset of the value
	length    uint32
	undefined bool
}

// parser walks a data set held in buf, which starts at stream offset base;
// size is the stream's total length (to tell a truncated file from a
// buffer that needs more bytes).
type parser struct {
	buf      []byte
	base     int64
	size     int64
	big      bool
	implicit bool
	stopAt   bool // stop at the top-level pixel data element
	pixel    pixelLoc
	cs       *charset.CodingSystem
	elements int
	csErr    error
	topEls   []Element // storage for the top-level elements (reused by Reader)
}

func (p *parser) u16(b []byte, big bool) uint16 {
	if big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (p *parser) u32(b []byte, big bool) uint32 {
	if big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// short reports the end of the buffer at pos, needing n more bytes: more
// data when the stream has it, else truncation at tag t.
func (p *parser) short(pos int, n int64, t Tag) error {
	end := p.base + int64(pos) + n
	if end <= p.size {
		return &errNeedMore{need: end}
	}
	return tagErr(t, p.base+int64(pos), ErrTruncated, "%d bytes needed, file ends at byte %d", n, p.size)
}

const undefinedLength = 0xFFFFFFFF

// dataset parses elements from pos up to end (a buffer index; -1: up to
// the end of the stream, or until an item delimiter when item is true).
// It returns the position after the last element consumed.
func (p *parser) dataset(pos int, end int64, big, implicit, item bool, depth int, top bool) (*Dataset, int, error) {
	ds := &Dataset{BigEndian: big, sorted: true, cs: p.cs}
	if top {
		ds.Elements = p.topEls
	}
	if depth > maxDepth {
		return nil, pos, tagErr(TagItem, p.base+int64(pos), ErrMalformed, "sequences nested deeper than %d", maxDepth)
	}
	var last Tag
	for {
		if end >= 0 && p.base+int64(pos) >= end {
			break
		}
		if pos >= len(p.buf) && end < 0 && !item && p.base+int64(pos) >= p.size {
			break // clean end of stream
		}
		if pos+8 > len(p.buf) {
			if end < 0 && !item && p.base+int64(pos) == p.size {
				break
			}
			return nil, pos, p.short(pos, 8, last)
		}
		b := p.buf[pos:]
		t := Tag(uint32(p.u16(b, big))<<16 | uint32(p.u16(b[2:], big)))
		if t>>16 == 0xFFFE {
			switch t {
			case TagItemDelimitation:
				if item {
					ds.Elements = ds.Elements[:len(ds.Elements):len(ds.Elements)]
					return ds, pos + 8, nil
				}
			case TagSeqDelimitation:
				if top {
					// A stray sequence delimiter at the top level (seen after
					// some re-encoded data sets): skip it.
					pos += 8
					continue
				}
			}
			return nil, pos, tagErr(t, p.base+int64(pos), ErrMalformed, "unexpected item tag")
		}
		if top && p.stopAt && isPixelTag(t) {
			if err := p.pixelElement(pos, t, big, implicit); err != nil {
				return nil, pos, err
			}
			return ds, pos, errStop
		}
		var (
			vr  VR
			vl  uint32
			hdr int
		)
		if implicit {
			vl = p.u32(b[4:], big)
			hdr = 8
			if v, ok := dictVR(t); ok {
				vr = v
			} else {
				vr = VRUN
			}
		} else {
			vr = vrOf(b[4], b[5])
			if !knownVR(vr) {
				return nil, pos, tagErr(t, p.base+int64(pos), ErrMalformed, "invalid VR %q", validVRText(b[4:6]))
			}
			if longVR(vr) {
				if pos+12 > len(p.buf) {
					return nil, pos, p.short(pos, 12, t)
				}
				vl = p.u32(b[8:], big)
				hdr = 12
			} else {
				vl = uint32(p.u16(b[6:], big))
				hdr = 8
			}
		}
		p.elements++
		if t < last {
			ds.sorted = false
		}
		last = t
		el := Element{Tag: t, VR: vr, Offset: p.base + int64(pos)}
		vpos := pos + hdr
		switch {
		case vr == VRSQ || (vl == undefinedLength && vr == VRUN):
			// UN of undefined length is a sequence in implicit VR little
			// endian (PS3.5 §6.2.2, CP-246).
			ibig, iimp := big, implicit
			if vr == VRUN {
				ibig, iimp = false, true
				el.VR = VRSQ
			}
			items, next, err := p.sequence(vpos, vl, ibig, iimp, depth+1, t)
			if err != nil {
				return nil, pos, err
			}
			el.Items = items
			el.Undefined = vl == undefinedLength
			pos = next
		case vl == undefinedLength:
			// Encapsulated data inside a data set (an icon image): skip its
			// fragments.
			next, err := p.skipFragments(vpos, big, t)
			if err != nil {
				return nil, pos, err
			}
			el.Undefined = true
			pos = next
		default:
			vend := int64(vpos) + int64(vl)
			if end >= 0 && p.base+vend > end {
				return nil, pos, tagErr(t, el.Offset, ErrMalformed, "value length %d runs past the end of its item", vl)
			}
			if vend > int64(len(p.buf)) {
				return nil, pos, p.short(pos, int64(hdr)+int64(vl), t)
			}
			el.Value = p.buf[vpos:vend:vend]
			pos = int(vend)
			if top && t == TagSpecificCharacterSet {
				p.setCharset(el.Value)
				ds.cs = p.cs
			}
		}
		ds.Elements = append(ds.Elements, el)
	}
	if item {
		if end < 0 {
			return nil, pos, p.short(pos, 8, TagItemDelimitation)
		}
	}
	return ds, pos, nil
}

func validVRText(b []byte) string {
	out := make([]byte, 0, 8)
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			out = append(out, c)
		} else {
			out = append(out, []byte("\\x")...)
			out = append(out, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		}
	}
	return string(out)
}

func (p *parser) setCharset(v []byte) {
	names := splitValues(trimValue(v, false))
	if len(names) == 0 {
		return
	}
	// A leading empty value means the default repertoire (PS3.3 C.12.1.1.2).
	// github.com/suyashkumar/dicom v1.1.0 panics on some names it lists
	// (ISO_IR 166, found by FuzzDICOMMeta): an unusable character set is a
	// warning, text is then read as UTF-8 or Latin-1.
	defer func() {
		if r := recover(); r != nil {
			p.csErr = fmt.Errorf("specific character set %q not supported", strings.Join(names, `\`))
		}
	}()
	cs, err := charset.ParseSpecificCharacterSet(names)
	if err != nil {
		p.csErr = err
		return
	}
	p.cs = &cs
}

// sequence parses the items of a sequence whose value starts at pos.
func (p *parser) sequence(pos int, vl uint32, big, implicit bool, depth int, seq Tag) ([]*Dataset, int, error) {
	var items []*Dataset
	end := int64(-1)
	if vl != undefinedLength {
		end = p.base + int64(pos) + int64(vl)
		if end > p.size {
			return nil, pos, tagErr(seq, p.base+int64(pos), ErrTruncated, "sequence length %d runs past the end of the file", vl)
		}
	}
	for {
		if end >= 0 && p.base+int64(pos) >= end {
			if p.base+int64(pos) > end {
				return nil, pos, tagErr(seq, p.base+int64(pos), ErrMalformed, "items overrun the sequence length")
			}
			return items, pos, nil
		}
		if pos+8 > len(p.buf) {
			return nil, pos, p.short(pos, 8, seq)
		}
		b := p.buf[pos:]
		t := Tag(uint32(p.u16(b, big))<<16 | uint32(p.u16(b[2:], big)))
		il := p.u32(b[4:], big)
		switch t {
		case TagSeqDelimitation:
			if end < 0 {
				return items, pos + 8, nil
			}
			return nil, pos, tagErr(seq, p.base+int64(pos), ErrMalformed, "sequence delimiter inside a sequence of defined length")
		case TagItem:
		default:
			return nil, pos, tagErr(seq, p.base+int64(pos), ErrMalformed, "expected an item, found %s", t)
		}
		if len(items) > 1<<20 {
			return nil, pos, tagErr(seq, p.base+int64(pos), ErrMalformed, "too many items")
		}
		var (
			ds   *Dataset
			next int
			err  error
		)
		if il == undefinedLength {
			ds, next, err = p.dataset(pos+8, -1, big, implicit, true, depth, false)
		} else {
			iend := p.base + int64(pos) + 8 + int64(il)
			if end >= 0 && iend > end {
				return nil, pos, tagErr(seq, p.base+int64(pos), ErrMalformed, "item length %d runs past the end of its sequence", il)
			}
			if iend > p.size {
				return nil, pos, tagErr(seq, p.base+int64(pos), ErrTruncated, "item length %d runs past the end of the file", il)
			}
			ds, next, err = p.dataset(pos+8, iend, big, implicit, false, depth, false)
		}
		if err != nil {
			var te *TagError
			if errors.As(err, &te) && te.Context == "" {
				te.Context = "item " + itoa(len(items)+1) + " of " + seq.String()
			}
			return nil, pos, err
		}
		items = append(items, ds)
		pos = next
	}
}

// skipFragments skips the items of encapsulated data up to and including
// the sequence delimiter, using item lengths (never scanning for the
// delimiter, which may occur inside a fragment).
func (p *parser) skipFragments(pos int, big bool, t Tag) (int, error) {
	for {
		if pos+8 > len(p.buf) {
			return pos, p.short(pos, 8, t)
		}
		b := p.buf[pos:]
		it := Tag(uint32(p.u16(b, big))<<16 | uint32(p.u16(b[2:], big)))
		il := p.u32(b[4:], big)
		switch it {
		case TagSeqDelimitation:
			return pos + 8, nil
		case TagItem:
			if il == undefinedLength {
				return pos, tagErr(t, p.base+int64(pos), ErrMalformed, "fragment of undefined length")
			}
			next := int64(pos) + 8 + int64(il)
			if next > int64(len(p.buf)) {
				return pos, p.short(pos, 8+int64(il), t)
			}
			pos = int(next)
		default:
			return pos, tagErr(t, p.base+int64(pos), ErrMalformed, "expected a fragment item, found %s", it)
		}
	}
}

// pixelElement records the top-level pixel data element at pos and checks
// that its value fits in the stream.
func (p *parser) pixelElement(pos int, t Tag, big, implicit bool) error {
	if pos+8 > len(p.buf) {
		return p.short(pos, 8, t)
	}
	b := p.buf[pos:]
	loc := pixelLoc{found: true, tag: t, offset: p.base + int64(pos)}
	hdr := 8
	if implicit {
		loc.vr = VROW
		loc.length = p.u32(b[4:], big)
	} else {
		loc.vr = vrOf(b[4], b[5])
		if !knownVR(loc.vr) {
			return tagErr(t, loc.offset, ErrMalformed, "invalid VR %q", validVRText(b[4:6]))
		}
		if longVR(loc.vr) {
			if pos+12 > len(p.buf) {
				return p.short(pos, 12, t)
			}
			loc.length = p.u32(b[8:], big)
			hdr = 12
		} else {
			loc.length = uint32(p.u16(b[6:], big))
		}
	}
	loc.value = loc.offset + int64(hdr)
	loc.undefined = loc.length == undefinedLength
	if !loc.undefined && loc.value+int64(loc.length) > p.size {
		return tagErr(t, loc.offset, ErrTruncated, "value length %d but only %d bytes remain", loc.length, p.size-loc.value)
	}
	p.pixel = loc
	return nil
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
