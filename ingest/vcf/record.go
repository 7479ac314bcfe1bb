package vcf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unsafe"
)

// Sentinel errors. A *LineError wraps one of them.
var (
	// ErrHeader: the header is malformed (fatal for the file).
	ErrHeader = errors.New("vcf: bad header")
	// ErrColumns: a data line has the wrong number of tab-separated columns.
	ErrColumns = errors.New("wrong number of columns")
	// ErrPos: POS is not a non-negative integer.
	ErrPos = errors.New("POS is not a non-negative integer")
	// ErrRef: REF is empty or not a sequence of bases.
	ErrRef = errors.New("REF is not a sequence of bases")
	// ErrAlt: an ALT allele is empty or malformed.
	ErrAlt = errors.New("malformed ALT")
	// ErrQual: QUAL is neither "." nor a number.
	ErrQual = errors.New("QUAL is not a number")
	// ErrType: an INFO or FORMAT value does not fit its declared Type.
	ErrType = errors.New("value does not fit its declared type")
	// ErrCount: a numeric INFO field has more or fewer values than its
	// fixed Number.
	ErrCount = errors.New("wrong number of values for its declared Number")
	// ErrGenotype: a GT value is malformed or names an allele that the
	// record does not have.
	ErrGenotype = errors.New("malformed genotype")
	// ErrSample: a sample column has more values than FORMAT has keys.
	ErrSample = errors.New("more sample values than FORMAT keys")
	// ErrDamaged: compressed input was damaged; the line (and, for BGZF,
	// the lines of the lost block) could not be read.
	ErrDamaged = errors.New("compressed data damaged")
	// ErrLineTooLong: a line exceeds MaxLineSize.
	ErrLineTooLong = errLineTooLong
	// ErrHeaderLine: a "#" line after the #CHROM line.
	ErrHeaderLine = errors.New("header line among data lines")
)

// LineError locates a bad data line. It never carries data from the line:
// Field names the column or key ("POS", "INFO/DP", "sample 2 FORMAT/AD").
type LineError struct {
	Line  int64
	Field string
	Err   error
}

func (e *LineError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("line %d: %s: %v", e.Line, e.Field, e.Err)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// Record is one data line. Its byte slices point into the reader's buffer
// and are valid until the next Read.
type Record struct {
	Line    int64
	Chrom   []byte
	Pos     int64
	ID      []byte
	Ref     []byte
	Alts    [][]byte // empty when ALT is "."
	Qual    float64  // NaN when "."
	Filter  []byte
	Info    []byte
	Format  []byte   // nil in a file without samples
	Samples [][]byte // one per header sample

	h    *Header
	info []infoField
	fc   *formatCache
	sev  *severityCache
}

type infoField struct {
	key, val []byte
	hasVal   bool
}

// InfoValue returns the raw value of an INFO key; ok is false when the key
// is absent. A flag has an empty value.
func (r *Record) InfoValue(key string) (val []byte, ok bool) {
	for i := range r.info {
		if string(r.info[i].key) == key {
			return r.info[i].val, true
		}
	}
	return nil, false
}

// Flag reports whether a flag INFO key is set (present, and not "=0").
func (r *Record) Flag(key string) bool {
	v, ok := r.InfoValue(key)
	return ok && !(len(v) == 1 && v[0] == '0')
}

// Reader reads a VCF stream: NewReader parses the header, then each Read
// returns one record. Not safe for concurrent use.
type Reader struct {
	lr  *lineReader
	h   *Header
	rec Record
	fc  formatCache
	sev severityCache
}

// NewReader reads the header of a VCF stream (already decompressed; see
// ingest/bgzf). A malformed header is an error wrapping ErrHeader with the
// line at fault.
func NewReader(r io.Reader) (*Reader, error) {
	vr := &Reader{lr: newLineReader(r), h: &Header{
		Infos: map[string]*Def{}, Formats: map[string]*Def{}, Filters: map[string]string{}, Origins: map[string]string{},
	}}
	for first := true; ; first = false {
		line, err := vr.lr.next()
		if err == io.EOF {
			if first {
				return nil, fmt.Errorf("%w: empty file", ErrHeader)
			}
			return nil, fmt.Errorf("%w: no #CHROM line", ErrHeader)
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", vr.lr.line, err)
		}
		switch {
		case bytes.HasPrefix(line, []byte("##")):
			if err := vr.h.parseMeta(line); err != nil {
				return nil, fmt.Errorf("line %d: %w", vr.lr.line, err)
			}
		case bytes.HasPrefix(line, []byte("#CHROM")):
			if err := vr.h.parseColumns(line); err != nil {
				return nil, fmt.Errorf("line %d: %w", vr.lr.line, err)
			}
			vr.h.Lines = vr.lr.line
			vr.h.finish()
			vr.rec.h = vr.h
			vr.rec.fc = &vr.fc
			vr.rec.sev = &vr.sev
			return vr, nil
		default:
			return nil, fmt.Errorf("line %d: %w: not a VCF header line (want ## or #CHROM)", vr.lr.line, ErrHeader)
		}
	}
}

// Header returns the file's header.
func (r *Reader) Header() *Header { return r.h }

// Read returns the next record; io.EOF at the end. A bad line comes back
// as a *LineError and the next Read goes on with the following line; any
// other error is fatal.
func (r *Reader) Read() (*Record, error) {
	for {
		line, err := r.lr.next()
		if err != nil {
			var de *damageError
			switch {
			case errors.As(err, &de):
				return nil, &LineError{Line: r.lr.line, Err: fmt.Errorf("%w: %w", ErrDamaged, de.err)}
			case err == errLineTooLong:
				return nil, &LineError{Line: r.lr.line, Err: err}
			}
			return nil, err
		}
		if len(line) == 0 {
			continue
		}
		if line[0] == '#' {
			return nil, &LineError{Line: r.lr.line, Err: ErrHeaderLine}
		}
		if err := r.parse(line); err != nil {
			return nil, err
		}
		return &r.rec, nil
	}
}

func (r *Reader) lineErr(field string, err error) error {
	return &LineError{Line: r.lr.line, Field: field, Err: err}
}

var fixedNames = [8]string{"CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"}

func (r *Reader) parse(line []byte) error {
	rec := &r.rec
	rec.Line = r.lr.line
	var cols [8][]byte
	rest := line
	more := false
	for i := 0; i < 8; i++ {
		j := bytes.IndexByte(rest, '\t')
		if j < 0 {
			if i < 7 {
				return r.lineErr("", fmt.Errorf("%w: %d, want %d", ErrColumns, i+1, r.wantColumns()))
			}
			cols[i] = rest
			break
		}
		cols[i] = rest[:j]
		rest = rest[j+1:]
		if i == 7 {
			more = true
		}
	}
	// FORMAT and samples.
	rec.Format = nil
	rec.Samples = rec.Samples[:0]
	ns := len(r.h.Samples)
	if ns == 0 {
		if more {
			return r.lineErr("", fmt.Errorf("%w: %d, want 8 (the header names no samples)", ErrColumns, 9+bytes.Count(rest, []byte{'\t'})))
		}
	} else {
		if !more {
			return r.lineErr("", fmt.Errorf("%w: 8, want %d", ErrColumns, r.wantColumns()))
		}
		j := bytes.IndexByte(rest, '\t')
		if j < 0 {
			return r.lineErr("", fmt.Errorf("%w: 9, want %d", ErrColumns, r.wantColumns()))
		}
		rec.Format = rest[:j]
		rest = rest[j+1:]
		for {
			j := bytes.IndexByte(rest, '\t')
			if j < 0 {
				rec.Samples = append(rec.Samples, rest)
				break
			}
			rec.Samples = append(rec.Samples, rest[:j])
			rest = rest[j+1:]
		}
		if len(rec.Samples) != ns {
			return r.lineErr("", fmt.Errorf("%w: %d, want %d", ErrColumns, 9+len(rec.Samples), r.wantColumns()))
		}
	}
	for i, c := range cols {
		if len(c) == 0 {
			return r.lineErr(fixedNames[i], errors.New("empty column"))
		}
	}
	rec.Chrom = cols[0]
	pos, ok := parseUint(cols[1])
	if !ok {
		return r.lineErr("POS", ErrPos)
	}
	rec.Pos = pos
	rec.ID = cols[2]
	rec.Ref = cols[3]
	for _, c := range rec.Ref {
		if !isBase(c) {
			return r.lineErr("REF", ErrRef)
		}
	}
	rec.Alts = rec.Alts[:0]
	if alt := cols[4]; !(len(alt) == 1 && alt[0] == '.') {
		for {
			j := bytes.IndexByte(alt, ',')
			a := alt
			if j >= 0 {
				a = alt[:j]
			}
			if len(a) == 0 || bytes.IndexByte(a, ' ') >= 0 {
				return r.lineErr("ALT", ErrAlt)
			}
			rec.Alts = append(rec.Alts, a)
			if j < 0 {
				break
			}
			alt = alt[j+1:]
		}
	}
	if q := cols[5]; len(q) == 1 && q[0] == '.' {
		rec.Qual = math.NaN()
	} else {
		v, ok := parseFloat(q)
		if !ok {
			return r.lineErr("QUAL", ErrQual)
		}
		rec.Qual = v
	}
	rec.Filter = cols[6]
	rec.Info = cols[7]
	return r.parseInfo()
}

func (r *Reader) wantColumns() int {
	if n := len(r.h.Samples); n > 0 {
		return 9 + n
	}
	return 8
}

func (r *Reader) parseInfo() error {
	rec := &r.rec
	rec.info = rec.info[:0]
	info := rec.Info
	if len(info) == 1 && info[0] == '.' {
		return nil
	}
	for len(info) > 0 {
		field := info
		if j := bytes.IndexByte(info, ';'); j >= 0 {
			field, info = info[:j], info[j+1:]
		} else {
			info = nil
		}
		if len(field) == 0 {
			continue
		}
		f := infoField{key: field}
		if eq := bytes.IndexByte(field, '='); eq >= 0 {
			f.key, f.val, f.hasVal = field[:eq], field[eq+1:], true
		}
		if d := r.h.Infos[string(f.key)]; d != nil {
			if err := checkInfo(d, f.val, f.hasVal); err != nil {
				return r.lineErr("INFO/"+d.ID, err)
			}
		}
		rec.info = append(rec.info, f)
	}
	return nil
}

// checkInfo checks an INFO value against its definition: every value of
// the declared type and, for a numeric or Character field with a fixed
// Number, that many values (a lone "." stands for a missing vector). Counts
// that depend on the ALT alleles (A, R, G) are not checked: tools that
// split or merge records often leave them stale (htslib's own test VCF has
// AC=249 on a site with 305 ALT alleles), and a String may hold commas as
// text.
func checkInfo(d *Def, val []byte, hasVal bool) error {
	if d.Type == TypeFlag {
		if !hasVal || len(val) == 1 && (val[0] == '0' || val[0] == '1') {
			return nil
		}
		return fmt.Errorf("%w: a Flag takes no value", ErrType)
	}
	if !hasVal {
		return fmt.Errorf("%w: no value for a %s field", ErrType, d.Type)
	}
	n, err := checkValues(d.Type, val)
	if err != nil {
		return err
	}
	if d.Type != TypeString && d.kind == NumberFixed && d.n > 0 && n != d.n && !(n == 1 && len(val) == 1 && val[0] == '.') {
		return fmt.Errorf("%w: %d values, Number=%s", ErrCount, n, d.Number)
	}
	return nil
}

// checkValues checks each comma-separated value against t and returns how
// many there are.
func checkValues(t Type, val []byte) (int, error) {
	if t == TypeString {
		return 1, nil // not split: a String may hold commas as text
	}
	n := 0
	for {
		v := val
		j := bytes.IndexByte(val, ',')
		if j >= 0 {
			v = val[:j]
		}
		n++
		if !(len(v) == 1 && v[0] == '.') {
			switch t {
			case TypeInteger:
				if _, ok := parseInt32(v); !ok {
					return n, fmt.Errorf("%w: not a 32-bit Integer", ErrType)
				}
			case TypeFloat:
				if !isFloat(v) {
					return n, fmt.Errorf("%w: not a Float", ErrType)
				}
			case TypeCharacter:
				if len(v) != 1 {
					return n, fmt.Errorf("%w: not a single Character", ErrType)
				}
			case TypeFlag:
				return n, fmt.Errorf("%w: a Flag takes no value", ErrType)
			}
		}
		if j < 0 {
			return n, nil
		}
		val = val[j+1:]
	}
}

func isBase(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// parseUint parses a non-negative decimal integer up to 2^62.
func parseUint(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseInt32 parses a VCF Integer: optional sign, digits, within the range
// BCF can hold (-2^31+8 … 2^31-1; the lowest values are reserved).
func parseInt32(b []byte) (int32, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) > 10 {
		return 0, false
	}
	n, ok := parseUint(b)
	if neg {
		n = -n
	}
	if !ok || n > math.MaxInt32 || n < math.MinInt32+8 {
		return 0, false
	}
	return int32(n), true
}

// isFloat reports whether b is a VCF Float: a decimal with optional
// fraction and exponent, or NaN/Inf/Infinity in any case, with an optional
// sign.
func isFloat(b []byte) bool {
	i := 0
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	rest := b[i:]
	if len(rest) >= 3 && len(rest) <= 8 && (rest[0]|0x20 == 'n' || rest[0]|0x20 == 'i') {
		switch string(bytes.ToLower(rest)) {
		case "nan", "inf", "infinity":
			return true
		}
		return false
	}
	digits := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
		digits++
	}
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		e := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			e++
		}
		if e == 0 {
			return false
		}
	}
	return i == len(b)
}

// parseFloat parses a VCF Float without allocating.
func parseFloat(b []byte) (float64, bool) {
	if !isFloat(b) {
		return 0, false
	}
	v, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(b), len(b)), 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return v, true // ±Inf or 0 on over/underflow, as C's strtod
		}
		return 0, false
	}
	return v, true
}
