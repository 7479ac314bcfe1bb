package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sort"
	"sync/atomic"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/internal/sqlq"
	"github.com/medtwin/medtwin/timeline"
)

const (
	defaultBatchRows = 64 * 1024
	// scanCacheKiB is the page cache of a connection while it streams a
	// cohort scan (the connection's usual cache is cacheKiB). A scan reads
	// each page once, in key order, so a large cache only holds pages it
	// will not read again: at 64 MiB per connection, four parallel Flight
	// endpoints held 256 MiB of dead pages between them.
	scanCacheKiB = 4 * 1024
	// Rows come in primary-key order (subject, record key, rev): no SQLite
	// sorter, which costs more than the rest of a timeline read and, for a
	// cohort scan, would sort the whole result before the first row. The
	// reader sorts each subject's rows itself (see subjectSorter).
	byPrimaryKey = ` ORDER BY e.subject_id, e.record_key, e.rev`
)

// eventColumns are the columns of an event read, in readGroup's order.
var eventColumns = []string{"subject_id", "time", "code", "numeric_value", "text_value", "unit", "kind", "end_time", "source", "record_key", "superseded_at", "available_at", "recorded_at", "source_version", "rev"}

// selectEvents is the head of an event read with f's projection: the
// columns it leaves out are read as NULL (never decoded).
func selectEvents(f store.Filter) string {
	return "SELECT " + sqlq.SelectList("e", eventColumns, f, func(string) string { return "NULL" }) + " FROM events e"
}

// Timeline implements store.Store.
func (s *Store) Timeline(ctx context.Context, subject int64, f store.Filter) (array.RecordReader, error) {
	q := newQuery()
	q.Add("e.subject_id = " + q.Bind(subject))
	q.Filter("e", f)
	return s.queryEvents(ctx, selectEvents(f)+q.Where()+byPrimaryKey, q.Args, f.BatchRows)
}

// Scan implements store.Store.
func (s *Store) Scan(ctx context.Context, c store.Cohort, f store.Filter) (array.RecordReader, error) {
	q := newQuery()
	q.Cohort("e", c, "events", "subject_codes")
	q.Filter("e", f)
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: scan: %w", err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", scanCacheKiB)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("sqlite: scan: %w", err)
	}
	r, err := s.queryEventsOn(ctx, conn, selectEvents(f)+q.Where()+byPrimaryKey, q.Args, f.BatchRows)
	if err != nil {
		restoreCache(conn)
		return nil, err
	}
	r.conn = conn
	return r, nil
}

// restoreCache gives a scan's connection its usual page cache back and
// returns it to the pool. The connection is closed instead when that fails
// (the pool opens a fresh one with the usual pragmas).
func restoreCache(conn *sql.Conn) {
	if _, err := conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA cache_size = -%d", cacheKiB)); err != nil {
		conn.Raw(func(any) error { return driver.ErrBadConn }) //nolint:errcheck // marks the connection bad: closed, not reused
	}
	conn.Close()
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
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM events e`+q.Where(), q.Args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count: %w", err)
	}
	return n, nil
}

// querier is what an event read runs on: the pool or one pinned connection.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) queryEvents(ctx context.Context, query string, args []any, batchRows int) (array.RecordReader, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	return s.queryEventsOn(ctx, s.db, query, args, batchRows)
}

func (s *Store) queryEventsOn(ctx context.Context, db querier, query string, args []any, batchRows int) (*eventReader, error) {
	if batchRows <= 0 {
		batchRows = defaultBatchRows
	}
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read events: %w", err)
	}
	return &eventReader{rows: rows, group: timeline.NewBuilder(memory.DefaultAllocator), b: timeline.NewBuilder(memory.DefaultAllocator), batch: batchRows, refs: 1}, nil
}

// eventReader streams query rows (in primary-key order) into EventSchema
// records of at most batch rows, each subject's rows sorted by time (static
// first), code, record key and rev.
type eventReader struct {
	rows  *sql.Rows
	group *timeline.Builder // the current subject's rows, as read
	revs  []int64
	b     *timeline.Builder // output, sorted
	batch int
	// pending: a sorted group not yet fully copied to the output.
	pending *sortedGroup
	subject int64
	rec     arrow.Record
	err     error
	eof     bool
	refs    int64
	conn    *sql.Conn // a scan's pinned connection, given back on Release
}

func (r *eventReader) Retain() { atomic.AddInt64(&r.refs, 1) }
func (r *eventReader) Release() {
	if atomic.AddInt64(&r.refs, -1) == 0 {
		if r.rec != nil {
			r.rec.Release()
			r.rec = nil
		}
		if r.pending != nil {
			r.pending.rec.Release()
			r.pending = nil
		}
		r.rows.Close()
		r.group.Release()
		r.b.Release()
		if r.conn != nil {
			restoreCache(r.conn)
		}
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
	for r.b.Len() < r.batch {
		if r.pending != nil {
			if r.pending.copyTo(r.b, r.batch-r.b.Len()) {
				r.pending.rec.Release()
				r.pending = nil
			}
			continue
		}
		if r.eof {
			break
		}
		if !r.readGroup() {
			break
		}
	}
	if r.err != nil || r.b.Len() == 0 {
		return false
	}
	r.rec = r.b.NewRecord()
	return true
}

// readGroup reads the rows of the next subject and makes them the pending
// sorted group; false at the end or on an error.
func (r *eventReader) readGroup() bool {
	c := r.group.Columns()
	var (
		subject, kind, rev                                int64
		tm, end, superseded, available, recorded, version sql.NullInt64
		num                                               sql.NullFloat64
		code, text, unit, source                          sql.RawBytes
		key                                               sql.RawBytes
	)
	r.revs = r.revs[:0]
	for {
		if !r.rows.Next() {
			r.eof = true
			if err := r.rows.Err(); err != nil {
				r.err = fmt.Errorf("sqlite: read events: %w", err)
				return false
			}
			break
		}
		if err := r.rows.Scan(&subject, &tm, &code, &num, &text, &unit, &kind, &end, &source, &key, &superseded, &available, &recorded, &version, &rev); err != nil {
			r.err = fmt.Errorf("sqlite: read events: %w", err)
			r.eof = true
			return false
		}
		if r.group.Len() > 0 && subject != r.subject {
			// The row starts the next subject: keep it for the next group.
			g := r.finishGroup()
			r.subject = subject
			r.appendRow(&c, subject, tm, code, num, text, unit, kind, end, source, key, superseded, available, recorded, version, rev)
			r.pending = g
			return true
		}
		r.subject = subject
		r.appendRow(&c, subject, tm, code, num, text, unit, kind, end, source, key, superseded, available, recorded, version, rev)
	}
	if r.group.Len() == 0 {
		return false
	}
	r.pending = r.finishGroup()
	return true
}

func (r *eventReader) appendRow(c *timeline.ColumnBuilders, subject int64, tm sql.NullInt64, code sql.RawBytes, num sql.NullFloat64,
	text, unit sql.RawBytes, kind int64, end sql.NullInt64, source, key sql.RawBytes,
	superseded, available, recorded, version sql.NullInt64, rev int64) {
	c.SubjectID.Append(subject)
	appendTime(c.Time, tm)
	c.Code.BinaryBuilder.Append(code)
	if num.Valid {
		c.Value.Append(num.Float64)
	} else {
		c.Value.AppendNull()
	}
	appendBytes(c.Text, text)
	appendBytes(c.Unit, unit)
	c.Kind.Append(int8(kind - 1))
	appendTime(c.EndTime, end)
	appendBytes(c.Source, source)
	c.Key.Append(key)
	appendTime(c.SupersededAt, superseded)
	appendTime(c.AvailableAt, available)
	appendTime(c.RecordedAt, recorded)
	if version.Valid {
		c.Version.Append(version.Int64)
	} else {
		c.Version.AppendNull()
	}
	r.revs = append(r.revs, rev)
}

// finishGroup turns the rows read so far into a sorted group.
func (r *eventReader) finishGroup() *sortedGroup {
	rec := r.group.NewRecord()
	cols, _ := timeline.ColumnsOf(rec) // our own schema: cannot fail
	g := &sortedGroup{rec: rec, cols: cols, perm: make([]int, rec.NumRows())}
	revs := r.revs
	for i := range g.perm {
		g.perm[i] = i
	}
	sort.Slice(g.perm, func(x, y int) bool {
		i, j := g.perm[x], g.perm[y]
		ti, tj := cols.Time.IsNull(i), cols.Time.IsNull(j)
		switch {
		case ti != tj:
			return ti // static rows first
		case !ti && cols.Time.Value(i) != cols.Time.Value(j):
			return cols.Time.Value(i) < cols.Time.Value(j)
		}
		if ci, cj := cols.Code.Value(i), cols.Code.Value(j); ci != cj {
			return ci < cj
		}
		if c := bytes.Compare(cols.Key.Value(i), cols.Key.Value(j)); c != 0 {
			return c < 0
		}
		return revs[i] < revs[j]
	})
	r.revs = r.revs[:0]
	return g
}

// sortedGroup is one subject's rows and the order to emit them in.
type sortedGroup struct {
	rec  arrow.Record
	cols *timeline.Columns
	perm []int
	next int
}

// copyTo appends up to n rows to b in sorted order; true when all are out.
func (g *sortedGroup) copyTo(b *timeline.Builder, n int) bool {
	c := b.Columns()
	src := g.cols
	for ; n > 0 && g.next < len(g.perm); n-- {
		i := g.perm[g.next]
		g.next++
		c.SubjectID.Append(src.SubjectID.Value(i))
		copyTime(c.Time, src.Time, i)
		c.Code.Append(src.Code.Value(i))
		if src.Value.IsValid(i) {
			c.Value.Append(src.Value.Value(i))
		} else {
			c.Value.AppendNull()
		}
		copyString(c.Text, src.Text, i)
		copyString(c.Unit, src.Unit, i)
		c.Kind.Append(int8(src.Kind(i)) - 1)
		copyTime(c.EndTime, src.EndTime, i)
		copyString(c.Source, src.Source, i)
		c.Key.Append(src.Key.Value(i))
		copyTime(c.SupersededAt, src.Superseded, i)
		copyTime(c.AvailableAt, src.Available, i)
		copyTime(c.RecordedAt, src.Recorded, i)
		if src.Version.IsValid(i) {
			c.Version.Append(src.Version.Value(i))
		} else {
			c.Version.AppendNull()
		}
	}
	return g.next == len(g.perm)
}

func copyTime(b *array.TimestampBuilder, a *array.Timestamp, i int) {
	if a.IsNull(i) {
		b.AppendNull()
	} else {
		b.Append(a.Value(i))
	}
}

func copyString(b *array.StringBuilder, a *array.String, i int) {
	if a.IsNull(i) {
		b.AppendNull()
	} else {
		b.Append(a.Value(i))
	}
}

func appendTime(b *array.TimestampBuilder, v sql.NullInt64) {
	if v.Valid {
		b.Append(arrow.Timestamp(v.Int64))
	} else {
		b.AppendNull()
	}
}

func appendBytes(b *array.StringBuilder, v sql.RawBytes) {
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
	query, ok := q.Details(t, c, f)
	if !ok {
		return nil, fmt.Errorf("sqlite: details: %w: unknown table %q", store.ErrInvalid, t)
	}
	schema := t.Schema()
	rows, err := s.db.QueryContext(ctx, query, q.Args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: details: %w", err)
	}
	batch := f.BatchRows
	if batch <= 0 {
		batch = defaultBatchRows
	}
	return &detailReader{rows: rows, schema: schema, b: array.NewRecordBuilder(memory.DefaultAllocator, schema), batch: batch, refs: 1}, nil
}

type detailReader struct {
	rows   *sql.Rows
	schema *arrow.Schema
	b      *array.RecordBuilder
	batch  int
	rec    arrow.Record
	err    error
	done   bool
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
	if r.done {
		return false
	}
	nf := r.schema.NumFields()
	dest := make([]any, nf)
	for i, f := range r.schema.Fields() {
		switch f.Type.ID() {
		case arrow.STRING:
			dest[i] = new(sql.NullString)
		case arrow.INT64, arrow.INT32, arrow.BOOL:
			dest[i] = new(sql.NullInt64)
		case arrow.FLOAT64:
			dest[i] = new(sql.NullFloat64)
		case arrow.FIXED_SIZE_BINARY:
			dest[i] = new([]byte)
		}
	}
	n := 0
	for n < r.batch && r.rows.Next() {
		if err := r.rows.Scan(dest...); err != nil {
			r.err = fmt.Errorf("sqlite: read details: %w", err)
			r.done = true
			return false
		}
		for i := 0; i < nf; i++ {
			appendCell(r.b.Field(i), dest[i])
		}
		n++
	}
	if n < r.batch {
		r.done = true
		if err := r.rows.Err(); err != nil {
			r.err = fmt.Errorf("sqlite: read details: %w", err)
			return false
		}
	}
	if n == 0 {
		return false
	}
	r.rec = r.b.NewRecord()
	return true
}

func appendCell(b array.Builder, v any) {
	switch d := v.(type) {
	case *sql.NullString:
		if d.Valid {
			b.(*array.StringBuilder).Append(d.String)
		} else {
			b.AppendNull()
		}
	case *sql.NullFloat64:
		if d.Valid {
			b.(*array.Float64Builder).Append(d.Float64)
		} else {
			b.AppendNull()
		}
	case *sql.NullInt64:
		if !d.Valid {
			b.AppendNull()
			return
		}
		switch bb := b.(type) {
		case *array.Int64Builder:
			bb.Append(d.Int64)
		case *array.Int32Builder:
			bb.Append(int32(d.Int64))
		case *array.BooleanBuilder:
			bb.Append(d.Int64 != 0)
		}
	case *[]byte:
		b.(*array.FixedSizeBinaryBuilder).Append(*d)
	}
}
