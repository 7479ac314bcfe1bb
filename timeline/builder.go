package timeline

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// DefaultFutureTolerance is how far in the future an event time may lie
// before the row is rejected (clock skew between systems, scheduled
// procedures recorded the day before).
const DefaultFutureTolerance = 48 * time.Hour

// DefaultBatchRows bounds the rows of one record built by ingest adapters:
// large enough to amortise a store transaction, small enough that memory
// stays bounded whatever the input size.
const DefaultBatchRows = 64 * 1024

// BuilderOption configures a Builder.
type BuilderOption func(*Builder)

// WithClock sets the clock used for recorded_at defaults and the future
// check (tests pin it).
func WithClock(now func() time.Time) BuilderOption { return func(b *Builder) { b.now = now } }

// WithFutureTolerance sets how far in the future a time may be.
func WithFutureTolerance(d time.Duration) BuilderOption {
	return func(b *Builder) { b.tolerance = d }
}

// Builder appends validated events to Arrow column builders and produces
// records of EventSchema. Not safe for concurrent use.
type Builder struct {
	mem       memory.Allocator
	now       func() time.Time
	tolerance time.Duration
	limitUS   int64 // cached now+tolerance, refreshed per record
	stampUS   int64 // recorded_at default for this record

	subject    *array.Int64Builder
	tm         *array.TimestampBuilder
	code       *array.StringBuilder
	num        *array.Float64Builder
	text       *array.StringBuilder
	unit       *array.StringBuilder
	kind       *array.Int8Builder
	end        *array.TimestampBuilder
	source     *array.StringBuilder
	key        *array.FixedSizeBinaryBuilder
	superseded *array.TimestampBuilder
	available  *array.TimestampBuilder
	recorded   *array.TimestampBuilder
	version    *array.Int64Builder
	dict       arrow.Array
}

// NewBuilder returns a builder allocating from mem.
func NewBuilder(mem memory.Allocator, opts ...BuilderOption) *Builder {
	b := &Builder{mem: mem, now: time.Now, tolerance: DefaultFutureTolerance}
	for _, o := range opts {
		o(b)
	}
	b.subject = array.NewInt64Builder(mem)
	b.tm = array.NewTimestampBuilder(mem, TimestampType)
	b.code = array.NewStringBuilder(mem)
	b.num = array.NewFloat64Builder(mem)
	b.text = array.NewStringBuilder(mem)
	b.unit = array.NewStringBuilder(mem)
	b.kind = array.NewInt8Builder(mem)
	b.end = array.NewTimestampBuilder(mem, TimestampType)
	b.source = array.NewStringBuilder(mem)
	b.key = array.NewFixedSizeBinaryBuilder(mem, KeyType)
	b.superseded = array.NewTimestampBuilder(mem, TimestampType)
	b.available = array.NewTimestampBuilder(mem, TimestampType)
	b.recorded = array.NewTimestampBuilder(mem, TimestampType)
	b.version = array.NewInt64Builder(mem)
	b.dict = kindDictionary(mem)
	b.refreshClock()
	return b
}

func kindDictionary(mem memory.Allocator) arrow.Array {
	sb := array.NewStringBuilder(mem)
	defer sb.Release()
	for _, k := range Kinds() {
		sb.Append(k.String())
	}
	return sb.NewArray()
}

func (b *Builder) refreshClock() {
	now := b.now()
	b.stampUS = now.UnixMicro()
	b.limitUS = now.Add(b.tolerance).UnixMicro()
}

// Validate checks an event against the schema's rules without appending it.
// The error wraps one of the package's sentinel errors and names the field,
// never the value.
func (b *Builder) Validate(e *Event) error {
	return validate(e, b.limitUS)
}

func validate(e *Event, limitUS int64) error {
	switch {
	case e.SubjectID == 0:
		return fmt.Errorf("subject_id: %w", ErrNoSubject)
	case e.Code == "":
		return fmt.Errorf("code: %w", ErrNoCode)
	case !e.Kind.Valid():
		return fmt.Errorf("kind: %w: %d", ErrUnknownKind, int8(e.Kind))
	case e.HasValue && (math.IsNaN(e.Value) || math.IsInf(e.Value, 0)):
		return fmt.Errorf("numeric_value: %w", ErrNonFinite)
	}
	for _, f := range [...]struct {
		name, s string
	}{{"code", e.Code}, {"text_value", e.Text}, {"unit", e.Unit}, {"source", e.Source}} {
		if !ValidText(f.s) {
			return fmt.Errorf("%s: %w", f.name, ErrBadText)
		}
	}
	if us, ok := Micros(e.Time); ok && us > limitUS {
		return fmt.Errorf("time: %w", ErrFutureTime)
	}
	if us, ok := Micros(e.AvailableAt); ok && us > limitUS {
		return fmt.Errorf("available_at: %w", ErrFutureTime)
	}
	if !e.EndTime.IsZero() && !e.Time.IsZero() && e.EndTime.Before(e.Time) {
		return fmt.Errorf("end_time: %w", ErrBadInterval)
	}
	return nil
}

// ValidText reports whether s can be stored as text everywhere: valid UTF-8
// without NUL bytes.
func ValidText(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

// Append validates e and appends it. A rejected event leaves the builder
// unchanged; the error says which rule it broke.
func (b *Builder) Append(e *Event) error {
	if err := validate(e, b.limitUS); err != nil {
		return err
	}
	b.subject.Append(e.SubjectID)
	appendTime(b.tm, e.Time)
	b.code.Append(e.Code)
	if e.HasValue {
		b.num.Append(e.Value)
	} else {
		b.num.AppendNull()
	}
	appendString(b.text, e.Text)
	appendString(b.unit, e.Unit)
	b.kind.Append(int8(e.Kind) - 1)
	appendTime(b.end, e.EndTime)
	appendString(b.source, e.Source)
	b.key.Append(e.Key[:])
	appendTime(b.superseded, e.SupersededAt)
	appendTime(b.available, e.AvailableAt)
	if us, ok := Micros(e.RecordedAt); ok {
		b.recorded.Append(arrow.Timestamp(us))
	} else {
		b.recorded.Append(arrow.Timestamp(b.stampUS))
	}
	if e.SourceVersion != 0 {
		b.version.Append(e.SourceVersion)
	} else {
		b.version.AppendNull()
	}
	return nil
}

func appendTime(tb *array.TimestampBuilder, t time.Time) {
	if us, ok := Micros(t); ok {
		tb.Append(arrow.Timestamp(us))
	} else {
		tb.AppendNull()
	}
}

func appendString(sb *array.StringBuilder, s string) {
	if s == "" {
		sb.AppendNull()
	} else {
		sb.Append(s)
	}
}

// Len returns the number of rows appended since the last NewRecord.
func (b *Builder) Len() int { return b.subject.Len() }

// NewRecord returns the rows appended so far as a record of EventSchema and
// resets the builder. The caller releases the record.
func (b *Builder) NewRecord() arrow.Record {
	n := int64(b.subject.Len())
	idx := b.kind.NewArray()
	defer idx.Release()
	kinds := array.NewDictionaryArray(KindType, idx, b.dict)
	cols := []arrow.Array{
		b.subject.NewArray(), b.tm.NewArray(), b.code.NewArray(), b.num.NewArray(),
		b.text.NewArray(), b.unit.NewArray(), kinds, b.end.NewArray(),
		b.source.NewArray(), b.key.NewArray(), b.superseded.NewArray(),
		b.available.NewArray(), b.recorded.NewArray(), b.version.NewArray(),
	}
	rec := array.NewRecord(EventSchema, cols, n)
	for _, c := range cols {
		c.Release()
	}
	b.refreshClock()
	return rec
}

// Release frees the builder's buffers.
func (b *Builder) Release() {
	for _, r := range []interface{ Release() }{
		b.subject, b.tm, b.code, b.num, b.text, b.unit, b.kind, b.end, b.source,
		b.key, b.superseded, b.available, b.recorded, b.version, b.dict,
	} {
		r.Release()
	}
}

// NewEventRecord builds one record from events, for tests and small callers.
// It stops at the first invalid event.
func NewEventRecord(mem memory.Allocator, events []Event, opts ...BuilderOption) (arrow.Record, error) {
	b := NewBuilder(mem, opts...)
	defer b.Release()
	for i := range events {
		if err := b.Append(&events[i]); err != nil {
			return nil, fmt.Errorf("timeline: event %d: %w", i, err)
		}
	}
	return b.NewRecord(), nil
}

// ColumnBuilders exposes a Builder's column builders to store readers that
// decode stored (already validated) rows straight into Arrow. A reader
// appends exactly one value to every column per row; Kind takes the
// dictionary index, which is Kind-1.
type ColumnBuilders struct {
	SubjectID    *array.Int64Builder
	Time         *array.TimestampBuilder
	Code         *array.StringBuilder
	Value        *array.Float64Builder
	Text         *array.StringBuilder
	Unit         *array.StringBuilder
	Kind         *array.Int8Builder
	EndTime      *array.TimestampBuilder
	Source       *array.StringBuilder
	Key          *array.FixedSizeBinaryBuilder
	SupersededAt *array.TimestampBuilder
	AvailableAt  *array.TimestampBuilder
	RecordedAt   *array.TimestampBuilder
	Version      *array.Int64Builder
}

// Columns returns the builder's column builders (see ColumnBuilders).
func (b *Builder) Columns() ColumnBuilders {
	return ColumnBuilders{
		SubjectID: b.subject, Time: b.tm, Code: b.code, Value: b.num, Text: b.text,
		Unit: b.unit, Kind: b.kind, EndTime: b.end, Source: b.source, Key: b.key,
		SupersededAt: b.superseded, AvailableAt: b.available, RecordedAt: b.recorded,
		Version: b.version,
	}
}
