package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

const (
	eventCols   = "subject_id, record_key, rev, time, code, numeric_value, text_value, unit, kind, end_time, source, superseded_at, available_at, recorded_at, source_version, content_hash"
	nEventCols  = 16
	insertChunk = 128 // rows per multi-row INSERT (16 params each)
	lookupChunk = 256 // (subject, key) pairs per existence query
)

type rowKey struct {
	subject int64
	key     timeline.Key
}

type current struct {
	rev     int64
	hash    int64
	version int64 // 0: unknown
	pending int   // index+1 into pending rows when inserted by this batch
}

// Append implements store.Store.
func (s *Store) Append(ctx context.Context, b *timeline.Batch) (store.AppendResult, error) {
	var res store.AppendResult
	if b == nil || b.Events == nil {
		return res, fmt.Errorf("sqlite: append: %w: nil batch", store.ErrInvalid)
	}
	cols, err := timeline.ColumnsOf(b.Events)
	if err != nil {
		return res, fmt.Errorf("sqlite: append: %w: %v", store.ErrInvalid, err)
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		a := &appender{s: s, tx: tx, ctx: ctx, now: s.now().UnixMicro()}
		r, err := a.run(cols, b)
		res = r
		return err
	})
	if err != nil {
		return store.AppendResult{}, fmt.Errorf("sqlite: append: %w", err)
	}
	return res, nil
}

type appender struct {
	s       *Store
	tx      *sql.Tx
	ctx     context.Context
	now     int64
	remap   map[int64]int64
	pending [][]any
}

func (a *appender) subject(id int64) (int64, error) {
	if to, ok := a.remap[id]; ok {
		return to, nil
	}
	to := id
	var into int64
	err := a.tx.QueryRowContext(a.ctx, `SELECT into_subject FROM merges WHERE from_subject = ?`, id).Scan(&into)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return 0, err
	default:
		to = into
	}
	ok, err := subjectExists(a.ctx, a.tx, to)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("%w: subject %d does not exist (resolve identifiers first)", store.ErrInvalid, id)
	}
	a.remap[id] = to
	return to, nil
}

func (a *appender) run(cols *timeline.Columns, b *timeline.Batch) (store.AppendResult, error) {
	var res store.AppendResult
	n := cols.Len()
	a.remap = make(map[int64]int64)
	subjects := make([]int64, n)
	hasEvents := make(map[int64]bool)
	for i := 0; i < n; i++ {
		sid, err := a.subject(cols.SubjectID.Value(i))
		if err != nil {
			return res, err
		}
		subjects[i] = sid
		if _, ok := hasEvents[sid]; !ok {
			var one int
			err := a.tx.QueryRowContext(a.ctx, `SELECT 1 FROM events WHERE subject_id = ? LIMIT 1`, sid).Scan(&one)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return res, err
			}
			hasEvents[sid] = err == nil
		}
	}

	// Current versions of the batch's keys, for subjects that have events.
	cur := make(map[rowKey]*current)
	var probe []int
	for i := 0; i < n; i++ {
		if hasEvents[subjects[i]] {
			probe = append(probe, i)
		}
	}
	for start := 0; start < len(probe); start += lookupChunk {
		end := min(start+lookupChunk, len(probe))
		if err := a.lookup(cols, subjects, probe[start:end], cur); err != nil {
			return res, err
		}
	}

	keys := make(map[rowKey]bool, n)
	codes := make(map[string]map[int64]bool)
	for i := 0; i < n; i++ {
		e := cols.Event(i)
		e.SubjectID = subjects[i]
		if !timeline.ValidText(e.Code) || !timeline.ValidText(e.Text) || !timeline.ValidText(e.Unit) || !timeline.ValidText(e.Source) {
			return res, fmt.Errorf("%w: row %d: %v", store.ErrInvalid, i, timeline.ErrBadText)
		}
		rk := rowKey{subjects[i], e.Key}
		keys[rk] = true
		h := int64(timeline.ContentHash(&e))
		c, known := cur[rk]
		rev := int64(0)
		if known {
			switch {
			case c.hash == h:
				res.Duplicate++
				continue
			case e.SourceVersion != 0 && c.version != 0 && e.SourceVersion <= c.version:
				res.Stale++
				continue
			}
			if c.pending > 0 {
				a.pending[c.pending-1][11] = a.now // superseded_at of a row of this batch
			} else if _, err := a.tx.ExecContext(a.ctx, `UPDATE events SET superseded_at = ? WHERE subject_id = ? AND record_key = ? AND rev = ?`,
				a.now, rk.subject, rk.key[:], c.rev); err != nil {
				return res, err
			}
			rev = c.rev + 1
			res.Superseded++
		} else {
			res.Inserted++
		}
		var version any
		if e.SourceVersion != 0 {
			version = e.SourceVersion
		}
		key := rk.key
		a.pending = append(a.pending, []any{
			e.SubjectID, key[:], rev, micros(e.Time), e.Code, nullFloat(e), nullString(e.Text),
			nullString(e.Unit), int(e.Kind), micros(e.EndTime), nullString(e.Source), nil,
			micros(e.AvailableAt), a.now, version, h,
		})
		cur[rk] = &current{rev: rev, hash: h, version: e.SourceVersion, pending: len(a.pending)}
		if codes[e.Code] == nil {
			codes[e.Code] = make(map[int64]bool)
		}
		codes[e.Code][e.SubjectID] = true
	}
	if err := a.flushEvents(); err != nil {
		return res, err
	}
	if err := a.writeCodes(codes); err != nil {
		return res, err
	}
	for _, t := range timeline.DetailTables() {
		rec := b.Detail(t)
		if rec == nil {
			continue
		}
		nd, err := a.writeDetail(t, rec, keys)
		if err != nil {
			return res, err
		}
		res.Details += nd
	}
	return res, nil
}

func nullFloat(e timeline.Event) any {
	if e.HasValue {
		return e.Value
	}
	return nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (a *appender) lookup(cols *timeline.Columns, subjects []int64, idx []int, cur map[rowKey]*current) error {
	var sb strings.Builder
	sb.WriteString(`SELECT subject_id, record_key, rev, content_hash, source_version FROM events WHERE superseded_at IS NULL AND (subject_id, record_key) IN (VALUES `)
	args := make([]any, 0, 2*len(idx))
	for j, i := range idx {
		if j > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("(?,?)")
		args = append(args, subjects[i], cols.Key.Value(i))
	}
	sb.WriteByte(')')
	rows, err := a.tx.QueryContext(a.ctx, sb.String(), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			rk      rowKey
			key     []byte
			c       current
			version sql.NullInt64
		)
		if err := rows.Scan(&rk.subject, &key, &c.rev, &c.hash, &version); err != nil {
			return err
		}
		copy(rk.key[:], key)
		c.version = version.Int64
		cur[rk] = &c
	}
	return rows.Err()
}

// flushEvents inserts the pending rows in primary-key order (b-tree pages
// are visited once, in order, rather than at random for time-ordered
// input), in multi-row statements: the full-size statement is prepared once
// per batch. OR FAIL: the rows were checked against the store, and a
// constraint error fails the whole transaction anyway, so SQLite needs no
// statement journal.
func (a *appender) flushEvents() error {
	rows := a.pending
	sort.Slice(rows, func(i, j int) bool {
		si, sj := rows[i][0].(int64), rows[j][0].(int64)
		if si != sj {
			return si < sj
		}
		if c := bytes.Compare(rows[i][1].([]byte), rows[j][1].([]byte)); c != 0 {
			return c < 0
		}
		return rows[i][2].(int64) < rows[j][2].(int64)
	})
	const prefix = "INSERT OR FAIL INTO events (" + eventCols + ") VALUES "
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	args := make([]any, 0, insertChunk*nEventCols)
	for start := 0; start < len(rows); start += insertChunk {
		end := min(start+insertChunk, len(rows))
		chunk := rows[start:end]
		args = args[:0]
		for _, r := range chunk {
			args = append(args, r...)
		}
		var err error
		if len(chunk) == insertChunk {
			if full == nil {
				if full, err = a.tx.PrepareContext(a.ctx, multiInsert(prefix, nEventCols, insertChunk)); err != nil {
					return err
				}
			}
			_, err = full.ExecContext(a.ctx, args...)
		} else {
			_, err = a.tx.ExecContext(a.ctx, multiInsert(prefix, nEventCols, len(chunk)), args...)
		}
		if err != nil {
			return err
		}
	}
	a.pending = nil
	return nil
}

func multiInsert(prefix string, ncols, nrows int) string {
	var sb strings.Builder
	sb.Grow(len(prefix) + nrows*(ncols*2+3))
	sb.WriteString(prefix)
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", ncols), ",") + ")"
	for i := 0; i < nrows; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(row)
	}
	return sb.String()
}

func (a *appender) writeCodes(codes map[string]map[int64]bool) error {
	var args []any
	for code, subs := range codes {
		for sid := range subs {
			args = append(args, code, sid)
		}
	}
	const per = 256
	for start := 0; start < len(args); start += 2 * per {
		end := min(start+2*per, len(args))
		if _, err := a.tx.ExecContext(a.ctx, multiInsert("INSERT OR IGNORE INTO subject_codes (code, subject_id) VALUES ", 2, (end-start)/2), args[start:end]...); err != nil {
			return err
		}
	}
	return nil
}

// writeDetail upserts a detail record; every row must belong to an event of
// the batch.
func (a *appender) writeDetail(t timeline.DetailTable, rec arrow.Record, keys map[rowKey]bool) (int64, error) {
	schema := t.Schema()
	if !rec.Schema().Equal(schema) {
		return 0, fmt.Errorf("%w: %s record with a foreign schema", store.ErrInvalid, t)
	}
	names := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		names[i] = `"` + f.Name + `"`
	}
	// Imaging rows are keyed by their event and series (one row per series
	// of an imaging_study event): series_uid is NOT NULL in the table.
	notNullCol := -1
	if t == timeline.Imaging {
		notNullCol = schema.FieldIndices("series_uid")[0]
	}
	prefix := "INSERT OR REPLACE INTO " + string(t) + " (" + strings.Join(names, ", ") + ") VALUES "
	ncols := len(names)
	per := max(1, 4000/ncols)
	n := int(rec.NumRows())
	subj := rec.Column(0).(*array.Int64)
	keyCol := rec.Column(1).(*array.FixedSizeBinary)
	var args []any
	flush := func(rows int) error {
		if rows == 0 {
			return nil
		}
		_, err := a.tx.ExecContext(a.ctx, multiInsert(prefix, ncols, rows), args...)
		args = args[:0]
		return err
	}
	rows := 0
	for i := 0; i < n; i++ {
		sid, err := a.subject(subj.Value(i))
		if err != nil {
			return 0, err
		}
		var k timeline.Key
		copy(k[:], keyCol.Value(i))
		if !keys[rowKey{sid, k}] {
			return 0, fmt.Errorf("%w: %s row %d has no event in its batch", store.ErrInvalid, t, i)
		}
		args = append(args, sid, k[:])
		for c := 2; c < ncols; c++ {
			v := cellValue(rec.Column(c), i)
			if v == nil && c == notNullCol {
				v = "" // part of the primary key (migration 0002)
			}
			if str, ok := v.(string); ok && !timeline.ValidText(str) {
				return 0, fmt.Errorf("%w: %s row %d column %s: %v", store.ErrInvalid, t, i, schema.Field(c).Name, timeline.ErrBadText)
			}
			args = append(args, v)
		}
		rows++
		if rows == per {
			if err := flush(rows); err != nil {
				return 0, err
			}
			rows = 0
		}
	}
	if err := flush(rows); err != nil {
		return 0, err
	}
	return int64(n), nil
}

// cellValue converts an Arrow cell to a database/sql argument.
func cellValue(col arrow.Array, i int) any {
	if col.IsNull(i) {
		return nil
	}
	switch c := col.(type) {
	case *array.String:
		return c.Value(i)
	case *array.Int64:
		return c.Value(i)
	case *array.Int32:
		return int64(c.Value(i))
	case *array.Float64:
		return c.Value(i)
	case *array.Boolean:
		if c.Value(i) {
			return 1
		}
		return 0
	case *array.FixedSizeBinary:
		return append([]byte(nil), c.Value(i)...)
	}
	panic(fmt.Sprintf("sqlite: unsupported detail column type %s", col.DataType()))
}
