package flightsvc

import (
	"context"
	"fmt"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// openDetail streams a detail dataset: every event of the dataset's kinds
// that passes the cohort and filter, joined with its detail rows (one
// output row per detail row; an event without detail rows gives one row
// with null detail columns). The cohort is read in chunks of subjects:
// each chunk's events, then its detail rows, each query drained before the
// next starts, so that a stream never holds more than one store connection
// (streams waiting on each other's connections could deadlock a small
// pool) and memory holds one chunk.
func openDetail(t timeline.DetailTable) func(context.Context, *Service, store.Cohort, store.Filter) (source, error) {
	return func(_ context.Context, s *Service, c store.Cohort, f store.Filter) (source, error) {
		schema := arrow.NewSchema(fieldsOf(detailColumns(t)), nil)
		return func(ctx context.Context, fn func(arrow.Record) error) error {
			return s.chunks(ctx, c, joinChunk, func(ids []int64) error {
				cc := store.Cohort{SubjectIDs: ids, HasCodes: c.HasCodes}
				er, err := readAhead(ctx, func() (array.RecordReader, error) { return s.store.Scan(ctx, cc, f) })
				if err != nil {
					return fmt.Errorf("flightsvc: scan: %w", err)
				}
				ev := &cursor{rr: er}
				defer ev.release()
				dr, err := readAhead(ctx, func() (array.RecordReader, error) { return s.store.Details(ctx, t, cc, f) })
				if err != nil {
					return fmt.Errorf("flightsvc: details: %w", err)
				}
				de := &cursor{rr: dr}
				defer de.release()
				j := &joiner{ctx: ctx, ev: ev, de: de, schema: schema, batch: s.batchRows(), mem: s.mem}
				return j.run(fn)
			})
		}, nil
	}
}

// joinChunk is the subjects of one chunk of a joined or matrix read.
const joinChunk = 64

// chunks calls fn with consecutive groups of at most n subjects of c, in
// order (no store read is open during fn).
func (s *Service) chunks(ctx context.Context, c store.Cohort, n int, fn func(ids []int64) error) error {
	var ids []int64
	var ferr error
	err := s.eachSubject(ctx, c, true, func(id int64) bool {
		ids = append(ids, id)
		if len(ids) < n {
			return true
		}
		ferr = fn(ids)
		ids = ids[:0]
		return ferr == nil
	})
	if err != nil {
		return err
	}
	if ferr != nil || len(ids) == 0 {
		return ferr
	}
	return fn(ids)
}

// readAhead drains a store read into memory and returns a reader over it.
func readAhead(ctx context.Context, open func() (array.RecordReader, error)) (array.RecordReader, error) {
	rr, err := open()
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	var recs []arrow.Record
	release := func() {
		for _, r := range recs {
			r.Release()
		}
	}
	for rr.Next() {
		r := rr.Record()
		r.Retain()
		recs = append(recs, r)
	}
	if err := rr.Err(); err != nil {
		release()
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		release()
		return nil, err
	}
	out, err := array.NewRecordReader(rr.Schema(), recs)
	release() // the reader holds its own references
	return out, err
}

func fieldsOf(cs columns) []arrow.Field {
	out := make([]arrow.Field, len(cs))
	for i, c := range cs {
		out[i] = c.field
	}
	return out
}

// cursor walks the rows of a record reader ordered by subject.
type cursor struct {
	rr  array.RecordReader
	rec arrow.Record
	row int
	eof bool
	err error
}

// peek returns the subject of the current row (ok false at the end).
func (c *cursor) peek() (int64, bool) {
	for !c.eof && (c.rec == nil || c.row >= int(c.rec.NumRows())) {
		if c.rec != nil {
			c.rec.Release()
			c.rec = nil
		}
		if !c.rr.Next() {
			c.eof = true
			c.err = c.rr.Err()
			break
		}
		c.rec = c.rr.Record()
		c.rec.Retain()
		c.row = 0
	}
	if c.eof {
		return 0, false
	}
	return c.rec.Column(0).(*array.Int64).Value(c.row), true
}

func (c *cursor) release() {
	if c.rec != nil {
		c.rec.Release()
		c.rec = nil
	}
	c.rr.Release()
}

// ref is one row of a retained record.
type ref struct {
	rec arrow.Record
	row int
}

type joiner struct {
	ctx    context.Context
	ev, de *cursor
	schema *arrow.Schema
	batch  int
	mem    memory.Allocator
}

func (j *joiner) run(fn func(arrow.Record) error) error {
	b := array.NewRecordBuilder(j.mem, j.schema)
	defer b.Release()
	flush := func() error {
		if b.Field(0).Len() == 0 {
			return nil
		}
		rec := b.NewRecord()
		defer rec.Release()
		return fn(rec)
	}
	evCols := []int{timeline.ColTime, timeline.ColCode, timeline.ColNumericValue, timeline.ColTextValue, timeline.ColUnit, timeline.ColAvailableAt, timeline.ColRecordKey}
	nDetail := j.schema.NumFields() - 1 - len(evCols)
	var held []arrow.Record
	defer func() {
		for _, r := range held {
			r.Release()
		}
	}()
	for {
		if err := j.ctx.Err(); err != nil {
			return err
		}
		es, eok := j.ev.peek()
		ds, dok := j.de.peek()
		if !eok && !dok {
			break
		}
		subj := es
		if !eok || (dok && ds < es) {
			subj = ds
		}
		// The subject's detail rows, by event key.
		details := map[timeline.Key][]ref{}
		for {
			s, ok := j.de.peek()
			if !ok || s != subj {
				break
			}
			rec := j.de.rec
			if len(held) == 0 || held[len(held)-1] != rec {
				rec.Retain()
				held = append(held, rec)
			}
			k := timeline.Key(rec.Column(1).(*array.FixedSizeBinary).Value(j.de.row))
			details[k] = append(details[k], ref{rec, j.de.row})
			j.de.row++
		}
		// The subject's events, each with its detail rows.
		for {
			s, ok := j.ev.peek()
			if !ok || s != subj {
				break
			}
			rec, i := j.ev.rec, j.ev.row
			k := timeline.Key(rec.Column(timeline.ColRecordKey).(*array.FixedSizeBinary).Value(i))
			ds := details[k]
			for n := 0; n == 0 || n < len(ds); n++ {
				b.Field(0).(*array.Int64Builder).Append(subj)
				for c, ec := range evCols {
					appendCell(b.Field(1+c), rec.Column(ec), i)
				}
				for c := 0; c < nDetail; c++ {
					fb := b.Field(1 + len(evCols) + c)
					if len(ds) == 0 {
						fb.AppendNull()
						continue
					}
					appendCell(fb, ds[n].rec.Column(2+c), ds[n].row)
				}
			}
			j.ev.row++
		}
		for _, r := range held {
			r.Release()
		}
		held = held[:0]
		if b.Field(0).Len() >= j.batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if j.ev.err != nil {
		return fmt.Errorf("flightsvc: scan: %w", j.ev.err)
	}
	if j.de.err != nil {
		return fmt.Errorf("flightsvc: details: %w", j.de.err)
	}
	return flush()
}

// appendCell appends row i of a to b (same type).
func appendCell(b array.Builder, a arrow.Array, i int) {
	if a.IsNull(i) {
		b.AppendNull()
		return
	}
	switch a := a.(type) {
	case *array.Int64:
		b.(*array.Int64Builder).Append(a.Value(i))
	case *array.Int32:
		b.(*array.Int32Builder).Append(a.Value(i))
	case *array.Float64:
		b.(*array.Float64Builder).Append(a.Value(i))
	case *array.String:
		b.(*array.StringBuilder).Append(a.Value(i))
	case *array.Boolean:
		b.(*array.BooleanBuilder).Append(a.Value(i))
	case *array.Timestamp:
		b.(*array.TimestampBuilder).Append(a.Value(i))
	case *array.FixedSizeBinary:
		b.(*array.FixedSizeBinaryBuilder).Append(a.Value(i))
	default:
		panic(fmt.Sprintf("flightsvc: appendCell: unsupported type %s", a.DataType()))
	}
}
