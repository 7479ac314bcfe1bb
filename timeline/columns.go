package timeline

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// Columns gives typed access to a record of EventSchema. Strings returned
// by its accessors alias the record's buffers: copy them (strings.Clone) to
// keep them after the record is released.
type Columns struct {
	Rec        arrow.Record
	SubjectID  *array.Int64
	Time       *array.Timestamp
	Code       *array.String
	Value      *array.Float64
	Text       *array.String
	Unit       *array.String
	kindIdx    arrow.Array
	kindMap    []Kind
	EndTime    *array.Timestamp
	Source     *array.String
	Key        *array.FixedSizeBinary
	Superseded *array.Timestamp
	Available  *array.Timestamp
	Recorded   *array.Timestamp
	Version    *array.Int64
}

// ColumnsOf checks that rec has the event schema (by column names and types;
// the kind dictionary may come in any order, as after a Parquet round trip)
// and returns typed accessors.
func ColumnsOf(rec arrow.Record) (*Columns, error) {
	s := rec.Schema()
	if s.NumFields() < numEventCols {
		return nil, fmt.Errorf("timeline: %w: %d columns, want %d", ErrSchema, s.NumFields(), numEventCols)
	}
	for i := 0; i < numEventCols; i++ {
		want, got := EventSchema.Field(i), s.Field(i)
		if want.Name != got.Name {
			return nil, fmt.Errorf("timeline: %w: column %d is %q, want %q", ErrSchema, i, got.Name, want.Name)
		}
		if i != ColKind && !arrow.TypeEqual(want.Type, got.Type) {
			return nil, fmt.Errorf("timeline: %w: column %q is %s, want %s", ErrSchema, got.Name, got.Type, want.Type)
		}
	}
	c := &Columns{Rec: rec}
	var ok [numEventCols]bool
	c.SubjectID, ok[0] = rec.Column(ColSubjectID).(*array.Int64)
	c.Time, ok[1] = rec.Column(ColTime).(*array.Timestamp)
	c.Code, ok[2] = rec.Column(ColCode).(*array.String)
	c.Value, ok[3] = rec.Column(ColNumericValue).(*array.Float64)
	c.Text, ok[4] = rec.Column(ColTextValue).(*array.String)
	c.Unit, ok[5] = rec.Column(ColUnit).(*array.String)
	ok[6] = c.initKind(rec.Column(ColKind)) == nil
	c.EndTime, ok[7] = rec.Column(ColEndTime).(*array.Timestamp)
	c.Source, ok[8] = rec.Column(ColSource).(*array.String)
	c.Key, ok[9] = rec.Column(ColRecordKey).(*array.FixedSizeBinary)
	c.Superseded, ok[10] = rec.Column(ColSupersededAt).(*array.Timestamp)
	c.Available, ok[11] = rec.Column(ColAvailableAt).(*array.Timestamp)
	c.Recorded, ok[12] = rec.Column(ColRecordedAt).(*array.Timestamp)
	c.Version, ok[13] = rec.Column(ColSourceVersion).(*array.Int64)
	for i, v := range ok {
		if !v {
			return nil, fmt.Errorf("timeline: %w: column %q has an unexpected array type", ErrSchema, EventSchema.Field(i).Name)
		}
	}
	return c, nil
}

func (c *Columns) initKind(a arrow.Array) error {
	switch k := a.(type) {
	case *array.Dictionary:
		dict, ok := k.Dictionary().(*array.String)
		if !ok {
			return ErrSchema
		}
		c.kindMap = make([]Kind, dict.Len())
		for i := range c.kindMap {
			kk, err := ParseKind(dict.Value(i))
			if err != nil {
				return err
			}
			c.kindMap[i] = kk
		}
		c.kindIdx = k
		return nil
	case *array.String:
		c.kindIdx = k
		return nil
	}
	return ErrSchema
}

// Len returns the number of rows.
func (c *Columns) Len() int { return int(c.Rec.NumRows()) }

// Kind returns row i's kind.
func (c *Columns) Kind(i int) Kind {
	switch k := c.kindIdx.(type) {
	case *array.Dictionary:
		return c.kindMap[k.GetValueIndex(i)]
	case *array.String:
		kk, _ := ParseKind(k.Value(i))
		return kk
	}
	return 0
}

// TimeAt returns a timestamp column's value at i; zero when null.
func TimeAt(a *array.Timestamp, i int) time.Time {
	if a.IsNull(i) {
		return time.Time{}
	}
	return FromMicros(int64(a.Value(i)))
}

// StringAt returns a string column's value at i; empty when null.
func StringAt(a *array.String, i int) string {
	if a.IsNull(i) {
		return ""
	}
	return a.Value(i)
}

// RecordKey returns row i's record key.
func (c *Columns) RecordKey(i int) Key {
	var k Key
	copy(k[:], c.Key.Value(i))
	return k
}

// Event materialises row i. Strings alias the record (see Columns).
func (c *Columns) Event(i int) Event {
	e := Event{
		SubjectID:    c.SubjectID.Value(i),
		Time:         TimeAt(c.Time, i),
		Code:         c.Code.Value(i),
		Text:         StringAt(c.Text, i),
		Unit:         StringAt(c.Unit, i),
		Kind:         c.Kind(i),
		EndTime:      TimeAt(c.EndTime, i),
		Source:       StringAt(c.Source, i),
		Key:          c.RecordKey(i),
		SupersededAt: TimeAt(c.Superseded, i),
		AvailableAt:  TimeAt(c.Available, i),
		RecordedAt:   TimeAt(c.Recorded, i),
	}
	if c.Value.IsValid(i) {
		e.Value, e.HasValue = c.Value.Value(i), true
	}
	if c.Version.IsValid(i) {
		e.SourceVersion = c.Version.Value(i)
	}
	return e
}

// Events materialises every row of rec, copying strings so the events
// outlive the record.
func Events(rec arrow.Record) ([]Event, error) {
	c, err := ColumnsOf(rec)
	if err != nil {
		return nil, err
	}
	out := make([]Event, c.Len())
	for i := range out {
		out[i] = c.Event(i)
		out[i].cloneStrings()
	}
	return out, nil
}

func (e *Event) cloneStrings() {
	e.Code = clone(e.Code)
	e.Text = clone(e.Text)
	e.Unit = clone(e.Unit)
	e.Source = clone(e.Source)
}

func clone(s string) string {
	if s == "" {
		return ""
	}
	return string(append([]byte(nil), s...))
}

// ReadAll drains a record reader of EventSchema records into events and
// releases the reader.
func ReadAll(rr array.RecordReader) ([]Event, error) {
	defer rr.Release()
	var out []Event
	for rr.Next() {
		evs, err := Events(rr.Record())
		if err != nil {
			return nil, err
		}
		out = append(out, evs...)
	}
	return out, rr.Err()
}

// ContentHash hashes what an event says (not who recorded it when): time,
// code, value, text, unit, kind, end time and availability. A known record
// key arriving with a different content hash supersedes the stored row.
func ContentHash(e *Event) uint64 {
	h := fnv.New64a()
	var b [8]byte
	put := func(v uint64) {
		binary.LittleEndian.PutUint64(b[:], v)
		h.Write(b[:])
	}
	putTime := func(t time.Time) {
		if us, ok := Micros(t); ok {
			put(1)
			put(uint64(us))
		} else {
			put(0)
		}
	}
	putString := func(s string) {
		put(uint64(len(s)))
		h.Write([]byte(s))
	}
	putTime(e.Time)
	putString(e.Code)
	if e.HasValue {
		put(1)
		put(math.Float64bits(e.Value))
	} else {
		put(0)
	}
	putString(e.Text)
	putString(e.Unit)
	put(uint64(e.Kind))
	putTime(e.EndTime)
	putTime(e.AvailableAt)
	return h.Sum64()
}
