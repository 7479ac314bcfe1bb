package postgres

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/internal/sqlq"
	"github.com/medtwin/medtwin/timeline"
)

const (
	defaultBatchRows = 64 * 1024
	nSelectEvents    = 14
)

// eventColumns are the columns of an event read, in decodeEvent's order,
// and eventNulls the typed nulls that stand for the ones a projection
// leaves out (so the server neither reads nor sends them).
var (
	eventColumns = []string{"subject_id", "time", "code", "numeric_value", "text_value", "unit", "kind", "end_time", "source", "record_key", "superseded_at", "available_at", "recorded_at", "source_version"}
	eventNulls   = map[string]string{"numeric_value": "NULL::double precision", "text_value": "NULL::text", "unit": "NULL::text",
		"end_time": "NULL::timestamptz", "source": "NULL::text", "superseded_at": "NULL::timestamptz", "available_at": "NULL::timestamptz", "source_version": "NULL::bigint"}
)

// selectEvents is the head of an event read with f's projection.
func selectEvents(f store.Filter) string {
	return "SELECT " + sqlq.SelectList("e", eventColumns, f, func(c string) string { return eventNulls[c] }) + " FROM events e"
}

// Timeline implements store.Store.
func (s *Store) Timeline(ctx context.Context, subject int64, f store.Filter) (array.RecordReader, error) {
	q := newQuery()
	q.Add("e.subject_id = " + q.Bind(subject))
	q.Filter("e", f)
	return s.queryEvents(ctx, selectEvents(f)+q.Where()+` ORDER BY e.time NULLS FIRST, e.code, e.record_key, e.rev`, q.Args, f.BatchRows)
}

// Scan implements store.Store.
func (s *Store) Scan(ctx context.Context, c store.Cohort, f store.Filter) (array.RecordReader, error) {
	q := newQuery()
	q.Cohort("e", c, "events", "subject_codes")
	q.Filter("e", f)
	return s.queryEvents(ctx, selectEvents(f)+q.Where()+` ORDER BY e.subject_id, e.time NULLS FIRST, e.code, e.record_key, e.rev`, q.Args, f.BatchRows)
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
	b := timeline.NewBuilder(memory.DefaultAllocator)
	c := b.Columns()
	return newRowReader(rows, done, timeline.EventSchema, batchRows, "events", func(v [][]byte) error {
		return decodeEvent(&c, v)
	}, b.NewRecord, b.Release), nil
}

// rowReader streams binary result rows into records of at most batch rows,
// each row decoded straight into Arrow builders.
type rowReader struct {
	rows      pgx.Rows
	done      func()
	schema    *arrow.Schema
	batch     int
	what      string
	decode    func(v [][]byte) error
	newRecord func() arrow.Record
	release   func()
	rec       arrow.Record
	err       error
	eof       bool
	refs      int64
}

func newRowReader(rows pgx.Rows, done func(), schema *arrow.Schema, batch int, what string,
	decode func([][]byte) error, newRecord func() arrow.Record, release func()) *rowReader {
	return &rowReader{rows: rows, done: done, schema: schema, batch: batch, what: what,
		decode: decode, newRecord: newRecord, release: release, refs: 1}
}

func (r *rowReader) Retain() { atomic.AddInt64(&r.refs, 1) }
func (r *rowReader) Release() {
	if atomic.AddInt64(&r.refs, -1) == 0 {
		if r.rec != nil {
			r.rec.Release()
			r.rec = nil
		}
		r.rows.Close()
		r.done()
		r.release()
	}
}
func (r *rowReader) Schema() *arrow.Schema { return r.schema }
func (r *rowReader) Record() arrow.Record  { return r.rec }
func (r *rowReader) Err() error            { return r.err }

func (r *rowReader) Next() bool {
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
	if r.eof {
		return false
	}
	n := 0
	for n < r.batch && r.rows.Next() {
		if err := r.decode(r.rows.RawValues()); err != nil {
			r.fail(err)
			return false
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
	r.rec = r.newRecord()
	return true
}

func (r *rowReader) fail(err error) {
	r.err = fmt.Errorf("postgres: read %s: %w", r.what, err)
	r.eof = true
	r.rows.Close()
}

// decodeEvent appends one row of selectEvents.
func decodeEvent(c *timeline.ColumnBuilders, v [][]byte) error {
	if len(v) != nSelectEvents || len(v[0]) != 8 || len(v[6]) != 2 || len(v[9]) != 16 || len(v[12]) != 8 {
		return errMalformed
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
	return nil
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
	q := newQuery()
	sql, ok := q.Details(t, c, f)
	if !ok {
		return nil, fmt.Errorf("postgres: details: %w: unknown table %q", store.ErrInvalid, t)
	}
	schema := t.Schema()
	rows, done, err := s.query(ctx, sql, q.Args)
	if err != nil {
		return nil, fmt.Errorf("postgres: details: %w", err)
	}
	batch := f.BatchRows
	if batch <= 0 {
		batch = defaultBatchRows
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	nf := schema.NumFields()
	return newRowReader(rows, done, schema, batch, "details", func(v [][]byte) error {
		if len(v) != nf {
			return errMalformed
		}
		for i := 0; i < nf; i++ {
			if err := appendCell(b.Field(i), v[i]); err != nil {
				return fmt.Errorf("column %s: %w", schema.Field(i).Name, err)
			}
		}
		return nil
	}, b.NewRecord, b.Release), nil
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
