package postgres

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

const (
	defaultBatchRows = 64 * 1024
	selectEvents     = `SELECT e.subject_id, e.time, e.code, e.numeric_value, e.text_value, e.unit, e.kind, e.end_time, e.source, e.record_key, e.superseded_at, e.available_at, e.recorded_at, e.source_version FROM events e`
	nSelectEvents    = 14
)

// Timeline implements store.Store.
func (s *Store) Timeline(ctx context.Context, subject int64, f store.Filter) (array.RecordReader, error) {
	q := newQuery()
	q.Add("e.subject_id = " + q.Bind(subject))
	q.Filter("e", f)
	return s.queryEvents(ctx, selectEvents+q.Where()+` ORDER BY e.time NULLS FIRST, e.code, e.record_key, e.rev`, q.Args, f.BatchRows)
}

// Scan implements store.Store.
func (s *Store) Scan(ctx context.Context, c store.Cohort, f store.Filter) (array.RecordReader, error) {
	q := newQuery()
	q.Cohort("e", c, "events", "subject_codes")
	q.Filter("e", f)
	return s.queryEvents(ctx, selectEvents+q.Where()+` ORDER BY e.subject_id, e.time NULLS FIRST, e.code, e.record_key, e.rev`, q.Args, f.BatchRows)
}

// Count implements store.Store.
func (s *Store) Count(ctx context.Context, c store.Cohort, f store.Filter) (int64, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	q := newQuery()
	q.Cohort("e", c, "events", "subject_codes")
	q.Filter("e", f)
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM events e`+q.Where(), q.Args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count: %w", err)
	}
	return n, nil
}

// query starts a streaming query whose context is also cancelled by Close.
// Result columns come in the binary format: the readers decode raw values.
func (s *Store) query(ctx context.Context, sql string, args []any) (pgx.Rows, func(), error) {
	if s.closed.Load() {
		return nil, nil, store.ErrClosed
	}
	qctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.base, cancel)
	done := func() { stop(); cancel() }
	rows, err := s.pool.Query(qctx, sql, args...)
	if err != nil {
		done()
		return nil, nil, err
	}
	for i, fd := range rows.FieldDescriptions() {
		// pgx asks for text columns in the text format: the same bytes.
		if fd.Format != pgx.BinaryFormatCode && fd.DataTypeOID != pgtype.TextOID && fd.DataTypeOID != pgtype.VarcharOID {
			rows.Close()
			done()
			return nil, nil, fmt.Errorf("column %d (%s) not in the binary format", i, fd.Name)
		}
	}
	return rows, done, nil
}

func (s *Store) queryEvents(ctx context.Context, sql string, args []any, batchRows int) (array.RecordReader, error) {
	if batchRows <= 0 {
		batchRows = defaultBatchRows
	}
	rows, done, err := s.query(ctx, sql, args)
	if err != nil {
		if err == store.ErrClosed {
			return nil, err
		}
		return nil, fmt.Errorf("postgres: read events: %w", err)
	}
	return &eventReader{rows: rows, done: done, b: timeline.NewBuilder(memory.DefaultAllocator), batch: batchRows, refs: 1}, nil
}

// eventReader decodes binary result rows straight into the timeline's Arrow
// builders, at most batch rows per record.
type eventReader struct {
	rows  pgx.Rows
	done  func()
	b     *timeline.Builder
	batch int
	rec   arrow.Record
	err   error
	eof   bool
	refs  int64
}

func (r *eventReader) Retain() { atomic.AddInt64(&r.refs, 1) }
func (r *eventReader) Release() {
	if atomic.AddInt64(&r.refs, -1) == 0 {
		if r.rec != nil {
			r.rec.Release()
			r.rec = nil
		}
		r.rows.Close()
		r.done()
		r.b.Release()
	}
}
func (r *eventReader) Schema() *arrow.Schema { return timeline.EventSchema }
func (r *eventReader) Record() arrow.Record  { return r.rec }
func (r *eventReader) Err() error            { return r.err }

func (r *eventReader) Next() bool {
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
	if r.eof {
		return false
	}
	c := r.b.Columns()
	n := 0
	for n < r.batch && r.rows.Next() {
		v := r.rows.RawValues()
		if len(v) != nSelectEvents || len(v[0]) != 8 || len(v[6]) != 2 || len(v[9]) != 16 || len(v[12]) != 8 {
			r.fail(errMalformed)
			return false
		}
		c.SubjectID.Append(int64(binary.BigEndian.Uint64(v[0])))
		appendTS(c.Time, v[1])
		c.Code.BinaryBuilder.Append(v[2])
		if v[3] == nil {
			c.Value.AppendNull()
		} else {
			c.Value.Append(math.Float64frombits(binary.BigEndian.Uint64(v[3])))
		}
		appendText(c.Text, v[4])
		appendText(c.Unit, v[5])
		c.Kind.Append(int8(binary.BigEndian.Uint16(v[6])) - 1)
		appendTS(c.EndTime, v[7])
		appendText(c.Source, v[8])
		c.Key.Append(v[9])
		appendTS(c.SupersededAt, v[10])
		appendTS(c.AvailableAt, v[11])
		appendTS(c.RecordedAt, v[12])
		if v[13] == nil {
			c.Version.AppendNull()
		} else {
			c.Version.Append(int64(binary.BigEndian.Uint64(v[13])))
		}
		n++
	}
	if n < r.batch {
		r.eof = true
		if err := r.rows.Err(); err != nil {
			r.fail(err)
			return false
		}
	}
	if n == 0 {
		return false
	}
	r.rec = r.b.NewRecord()
	return true
}

func (r *eventReader) fail(err error) {
	r.err = fmt.Errorf("postgres: read events: %w", err)
	r.eof = true
	r.rows.Close()
}

var errMalformed = fmt.Errorf("unexpected binary row layout")

func appendTS(b *array.TimestampBuilder, v []byte) {
	if v == nil {
		b.AppendNull()
	} else {
		b.Append(arrow.Timestamp(int64(binary.BigEndian.Uint64(v)) + pgEpochMicros))
	}
}

func appendText(b *array.StringBuilder, v []byte) {
	if v == nil {
		b.AppendNull()
	} else {
		b.BinaryBuilder.Append(v)
	}
}

// Details implements store.Store.
func (s *Store) Details(ctx context.Context, t timeline.DetailTable, c store.Cohort, f store.Filter) (array.RecordReader, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	schema := t.Schema()
	if schema == nil {
		return nil, fmt.Errorf("postgres: details: %w: unknown table %q", store.ErrInvalid, t)
	}
	cols := make([]string, schema.NumFields())
	for i, fl := range schema.Fields() {
		cols[i] = "d." + pgx.Identifier{fl.Name}.Sanitize()
	}
	q := newQuery()
	q.Cohort("d", c, "events", "subject_codes")
	q.Filter("e", f)
	sql := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + pgx.Identifier{string(t)}.Sanitize() +
		` d JOIN events e ON e.subject_id = d.subject_id AND e.record_key = d.record_key` +
		q.Where() + ` ORDER BY d.subject_id, e.time NULLS FIRST, d.record_key`
	rows, done, err := s.query(ctx, sql, q.Args)
	if err != nil {
		return nil, fmt.Errorf("postgres: details: %w", err)
	}
	batch := f.BatchRows
	if batch <= 0 {
		batch = defaultBatchRows
	}
	return &detailReader{rows: rows, done: done, schema: schema, b: array.NewRecordBuilder(memory.DefaultAllocator, schema), batch: batch, refs: 1}, nil
}

type detailReader struct {
	rows   pgx.Rows
	done   func()
	schema *arrow.Schema
	b      *array.RecordBuilder
	batch  int
	rec    arrow.Record
	err    error
	eof    bool
	refs   int64
}

func (r *detailReader) Retain() { atomic.AddInt64(&r.refs, 1) }
func (r *detailReader) Release() {
	if atomic.AddInt64(&r.refs, -1) == 0 {
		if r.rec != nil {
			r.rec.Release()
			r.rec = nil
		}
		r.rows.Close()
		r.done()
		r.b.Release()
	}
}
func (r *detailReader) Schema() *arrow.Schema { return r.schema }
func (r *detailReader) Record() arrow.Record  { return r.rec }
func (r *detailReader) Err() error            { return r.err }

func (r *detailReader) Next() bool {
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
	if r.eof {
		return false
	}
	nf := r.schema.NumFields()
	n := 0
	for n < r.batch && r.rows.Next() {
		v := r.rows.RawValues()
		if len(v) != nf {
			r.fail(errMalformed)
			return false
		}
		for i := 0; i < nf; i++ {
			if err := appendCell(r.b.Field(i), v[i]); err != nil {
				r.fail(fmt.Errorf("column %s: %w", r.schema.Field(i).Name, err))
				return false
			}
		}
		n++
	}
	if n < r.batch {
		r.eof = true
		if err := r.rows.Err(); err != nil {
			r.fail(err)
			return false
		}
	}
	if n == 0 {
		return false
	}
	r.rec = r.b.NewRecord()
	return true
}

func (r *detailReader) fail(err error) {
	r.err = fmt.Errorf("postgres: read details: %w", err)
	r.eof = true
	r.rows.Close()
}

// appendCell decodes one binary value into an Arrow builder of the type the
// copy encoder maps it from.
func appendCell(b array.Builder, v []byte) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	want := 0
	switch bb := b.(type) {
	case *array.StringBuilder:
		bb.BinaryBuilder.Append(v)
		return nil
	case *array.Int64Builder:
		if want = 8; len(v) == want {
			bb.Append(int64(binary.BigEndian.Uint64(v)))
			return nil
		}
	case *array.Int32Builder:
		if want = 4; len(v) == want {
			bb.Append(int32(binary.BigEndian.Uint32(v)))
			return nil
		}
	case *array.Float64Builder:
		if want = 8; len(v) == want {
			bb.Append(math.Float64frombits(binary.BigEndian.Uint64(v)))
			return nil
		}
	case *array.BooleanBuilder:
		if want = 1; len(v) == want {
			bb.Append(v[0] != 0)
			return nil
		}
	case *array.FixedSizeBinaryBuilder:
		if want = 16; len(v) == want {
			bb.Append(v)
			return nil
		}
	default:
		return fmt.Errorf("unsupported builder %T", b)
	}
	return fmt.Errorf("%d-byte value, want %d", len(v), want)
}
