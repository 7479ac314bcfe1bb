package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/internal/appendplan"
	"github.com/medtwin/medtwin/timeline"
)

const (
	eventCols   = "subject_id, record_key, rev, time, code, numeric_value, text_value, unit, kind, end_time, source, superseded_at, available_at, recorded_at, source_version, content_hash"
	nEventCols  = 16
	insertChunk = 256 // rows per multi-row INSERT (16 params each)
	lookupChunk = 256 // (subject, key) pairs per existence query
	idChunk     = 500 // subject ids per IN list
)

// errKnownRecord: the optimistic insert met a record already stored.
var errKnownRecord = errors.New("sqlite: known record")

// Append implements store.Store.
//
// The first attempt is optimistic: when a sample of the batch's keys are
// all new, the rows are inserted without looking each key up, and the
// primary key (a known record always has its rev 0 stored) catches the
// rare known record; the transaction is then rolled back and the batch
// decided key by key.
func (s *Store) Append(ctx context.Context, b *timeline.Batch) (store.AppendResult, error) {
	var res store.AppendResult
	if b == nil || b.Events == nil {
		return res, fmt.Errorf("sqlite: append: %w: nil batch", store.ErrInvalid)
	}
	cols, err := timeline.ColumnsOf(b.Events)
	if err != nil {
		return res, fmt.Errorf("sqlite: append: %w: %v", store.ErrInvalid, err)
	}
	a := &appender{s: s, ctx: ctx, cols: cols, batch: b}
	a.rows, a.raw = appendplan.Rows(cols)
	for _, optimistic := range []bool{true, false} {
		err = s.tx(ctx, func(tx *sql.Tx) error {
			a.tx = tx
			r, err := a.run(optimistic)
			res = r
			return err
		})
		if !errors.Is(err, errKnownRecord) {
			break
		}
	}
	if err != nil {
		return store.AppendResult{}, fmt.Errorf("sqlite: append: %w", err)
	}
	s.codes.Add(a.newCodes)
	return res, nil
}

// appender holds what one Append computes once (hashes, order) and what
// each attempt decides.
type appender struct {
	s     *Store
	ctx   context.Context
	cols  *timeline.Columns
	batch *timeline.Batch
	rows  []appendplan.Row
	raw   []int64 // the batch's distinct subject ids as given

	// per attempt
	tx       *sql.Tx
	now      int64
	remap    map[int64]int64
	newCodes []appendplan.CodePair
}

func (a *appender) run(optimistic bool) (store.AppendResult, error) {
	var res store.AppendResult
	a.now = a.s.now().UnixMicro()
	a.newCodes = nil
	if err := a.subjects(); err != nil {
		return res, err
	}
	appendplan.Remap(a.rows, a.cols, a.remap)
	cur := make(map[appendplan.Key]appendplan.Current)
	if optimistic {
		if err := a.lookup(appendplan.Sample(len(a.rows)), cur); err != nil {
			return res, err
		}
		optimistic = len(cur) == 0
	}
	if !optimistic {
		probe, err := a.probeRows()
		if err != nil {
			return res, err
		}
		if err := a.lookup(probe, cur); err != nil {
			return res, err
		}
	}
	ins, sup, res := appendplan.Decide(a.rows, cur, a.version)
	if len(sup) > 0 {
		st, err := a.tx.PrepareContext(a.ctx, `UPDATE events SET superseded_at = ? WHERE subject_id = ? AND record_key = ? AND rev = ?`)
		if err != nil {
			return res, err
		}
		for _, x := range sup {
			if _, err := st.ExecContext(a.ctx, a.now, x.SID, x.Key.Key[:], x.Rev); err != nil {
				st.Close()
				return res, err
			}
		}
		st.Close()
	}
	if err := a.insertEvents(ins); err != nil {
		if optimistic && isPrimaryKeyViolation(err) {
			return res, errKnownRecord
		}
		return res, err
	}
	a.newCodes = a.s.codes.Missing(appendplan.NewCodes(ins, func(i int32) string { return a.cols.Code.Value(int(i)) }))
	if err := a.writeCodes(); err != nil {
		return res, err
	}
	for _, t := range timeline.DetailTables() {
		rec := a.batch.Detail(t)
		if rec == nil {
			continue
		}
		nd, err := a.writeDetail(t, rec)
		if err != nil {
			return res, err
		}
		res.Details += nd
	}
	return res, nil
}

func isPrimaryKeyViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func (a *appender) version(i int32) int64 {
	if a.cols.Version.IsValid(int(i)) {
		return a.cols.Version.Value(int(i))
	}
	return 0
}

// subjects maps the batch's subject ids through merges and checks that
// they exist.
func (a *appender) subjects() error {
	a.remap = make(map[int64]int64, len(a.raw))
	for _, sid := range a.raw {
		a.remap[sid] = sid
	}
	err := a.eachID(`SELECT from_subject, into_subject FROM merges WHERE from_subject IN `, a.raw, func(rows *sql.Rows) error {
		var from, into int64
		if err := rows.Scan(&from, &into); err != nil {
			return err
		}
		a.remap[from] = into
		return nil
	})
	if err != nil {
		return err
	}
	ids := make([]int64, 0, len(a.remap))
	for _, to := range a.remap {
		ids = append(ids, to)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	found := make(map[int64]bool, len(ids))
	err = a.eachID(`SELECT subject_id FROM subjects WHERE subject_id IN `, ids, func(rows *sql.Rows) error {
		var sid int64
		if err := rows.Scan(&sid); err != nil {
			return err
		}
		found[sid] = true
		return nil
	})
	if err != nil {
		return err
	}
	for _, sid := range a.raw {
		if !found[a.remap[sid]] {
			return fmt.Errorf("%w: subject %d does not exist (resolve identifiers first)", store.ErrInvalid, sid)
		}
	}
	return nil
}

// eachID runs query (ending in "IN ") over ids in chunks and calls fn for
// each result row.
func (a *appender) eachID(query string, ids []int64, fn func(*sql.Rows) error) error {
	args := make([]any, 0, idChunk)
	for start := 0; start < len(ids); start += idChunk {
		part := ids[start:min(start+idChunk, len(ids))]
		args = args[:0]
		for _, id := range part {
			args = append(args, id)
		}
		rows, err := a.tx.QueryContext(a.ctx, query+"("+strings.TrimSuffix(strings.Repeat("?,", len(part)), ",")+")", args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := fn(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// probeRows returns the rows whose subject already has events: only those
// can name a stored record.
func (a *appender) probeRows() ([]int, error) {
	var probe []int
	for j := 0; j < len(a.rows); {
		sid := a.rows[j].SID
		end := j + 1
		for end < len(a.rows) && a.rows[end].SID == sid {
			end++
		}
		var one int
		err := a.tx.QueryRowContext(a.ctx, `SELECT 1 FROM events WHERE subject_id = ? LIMIT 1`, sid).Scan(&one)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, err
		default:
			for k := j; k < end; k++ {
				probe = append(probe, k)
			}
		}
		j = end
	}
	return probe, nil
}

// lookup reads the current versions of the records at rows idx.
func (a *appender) lookup(idx []int, cur map[appendplan.Key]appendplan.Current) error {
	for start := 0; start < len(idx); start += lookupChunk {
		if err := a.lookupChunk(idx[start:min(start+lookupChunk, len(idx))], cur); err != nil {
			return err
		}
	}
	return nil
}

func (a *appender) lookupChunk(idx []int, cur map[appendplan.Key]appendplan.Current) error {
	var sb strings.Builder
	sb.WriteString(`SELECT subject_id, record_key, rev, content_hash, source_version FROM events WHERE superseded_at IS NULL AND (subject_id, record_key) IN (VALUES `)
	args := make([]any, 0, 2*len(idx))
	for j, i := range idx {
		if j > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("(?,?)")
		args = append(args, a.rows[i].SID, a.rows[i].Key[:])
	}
	sb.WriteByte(')')
	rows, err := a.tx.QueryContext(a.ctx, sb.String(), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k       appendplan.Key
			key     []byte
			c       appendplan.Current
			version sql.NullInt64
		)
		if err := rows.Scan(&k.SID, &key, &c.Rev, &c.Hash, &version); err != nil {
			return err
		}
		copy(k.Key[:], key)
		c.Version = version.Int64
		cur[k] = c
	}
	return rows.Err()
}

// insertEvents inserts rows (in primary-key order: b-tree pages are visited
// once, in order, rather than at random for time-ordered input) in
// multi-row statements; the full-size statement is prepared once per batch.
// OR FAIL: the rows were decided against the store (or the attempt is
// optimistic and a constraint error rolls it back), so SQLite needs no
// statement journal.
func (a *appender) insertEvents(ins []appendplan.Pending) error {
	m := a.multi("INSERT OR FAIL INTO events ("+eventCols+") VALUES ", nEventCols, insertChunk)
	defer m.close()
	args := make([]any, 0, insertChunk*nEventCols)
	for start := 0; start < len(ins); start += insertChunk {
		chunk := ins[start:min(start+insertChunk, len(ins))]
		args = args[:0]
		for j := range chunk {
			var err error
			if args, err = a.eventArgs(args, &chunk[j]); err != nil {
				return err
			}
		}
		if err := m.exec(len(chunk), args); err != nil {
			return err
		}
	}
	return nil
}

// multiStmt runs a multi-row INSERT of up to per rows; the full-size
// statement is prepared once (SQLite parses and plans a statement of
// thousands of parameters each time it is not).
type multiStmt struct {
	a      *appender
	prefix string
	ncols  int
	per    int
	full   *sql.Stmt
}

func (a *appender) multi(prefix string, ncols, per int) *multiStmt {
	return &multiStmt{a: a, prefix: prefix, ncols: ncols, per: per}
}

// exec inserts rows rows (at most per) whose arguments are args.
func (m *multiStmt) exec(rows int, args []any) error {
	if rows == 0 {
		return nil
	}
	if rows < m.per {
		_, err := m.a.tx.ExecContext(m.a.ctx, multiInsert(m.prefix, m.ncols, rows), args...)
		return err
	}
	if m.full == nil {
		st, err := m.a.tx.PrepareContext(m.a.ctx, multiInsert(m.prefix, m.ncols, m.per))
		if err != nil {
			return err
		}
		m.full = st
	}
	_, err := m.full.ExecContext(m.a.ctx, args...)
	return err
}

func (m *multiStmt) close() {
	if m.full != nil {
		m.full.Close()
	}
}

// eventArgs appends the insert arguments of one row, in eventCols order.
func (a *appender) eventArgs(args []any, p *appendplan.Pending) ([]any, error) {
	c := a.cols
	i := int(p.R.I)
	code := c.Code.Value(i)
	text, unit, source := timeline.StringAt(c.Text, i), timeline.StringAt(c.Unit, i), timeline.StringAt(c.Source, i)
	if !timeline.ValidText(code) || !timeline.ValidText(text) || !timeline.ValidText(unit) || !timeline.ValidText(source) {
		return nil, fmt.Errorf("%w: row %d: %v", store.ErrInvalid, i, timeline.ErrBadText)
	}
	var value, superseded, version any
	if c.Value.IsValid(i) {
		value = c.Value.Value(i)
	}
	if p.Superseded {
		superseded = a.now // by a later row of this batch
	}
	if c.Version.IsValid(i) {
		if v := c.Version.Value(i); v != 0 {
			version = v
		}
	}
	return append(args,
		p.R.SID, p.R.Key[:], int64(p.Rev), microsAt(c.Time, i), code, value, nullString(text),
		nullString(unit), int64(c.Kind(i)), microsAt(c.EndTime, i), nullString(source), superseded,
		microsAt(c.Available, i), a.now, version, p.R.Hash,
	), nil
}

func microsAt(col *array.Timestamp, i int) any {
	if col.IsNull(i) {
		return nil
	}
	return int64(col.Value(i))
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
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

// writeCodes stores the attempt's new (code, subject) pairs.
func (a *appender) writeCodes() error {
	appendplan.SortCodes(a.newCodes)
	const per = 256
	m := a.multi("INSERT OR IGNORE INTO subject_codes (code, subject_id) VALUES ", 2, per)
	defer m.close()
	args := make([]any, 0, 2*per)
	for start := 0; start < len(a.newCodes); start += per {
		part := a.newCodes[start:min(start+per, len(a.newCodes))]
		args = args[:0]
		for _, p := range part {
			args = append(args, p.Code, p.Subject)
		}
		if err := m.exec(len(part), args); err != nil {
			return err
		}
	}
	return nil
}

// writeDetail upserts a detail record; every row must belong to an event of
// the batch.
func (a *appender) writeDetail(t timeline.DetailTable, rec arrow.Record) (int64, error) {
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
	ncols := len(names)
	per := max(1, 4000/ncols)
	m := a.multi("INSERT OR REPLACE INTO "+string(t)+" ("+strings.Join(names, ", ")+") VALUES ", ncols, per)
	defer m.close()
	n := int(rec.NumRows())
	subj := rec.Column(0).(*array.Int64)
	keyCol := rec.Column(1).(*array.FixedSizeBinary)
	var args []any
	flush := func(rows int) error {
		err := m.exec(rows, args)
		args = args[:0]
		return err
	}
	rows := 0
	for i := 0; i < n; i++ {
		sid, ok := a.remap[subj.Value(i)]
		var k timeline.Key
		copy(k[:], keyCol.Value(i))
		if ok {
			_, ok = slices.BinarySearchFunc(a.rows, appendplan.Key{SID: sid, Key: k}, appendplan.CmpRowKey)
		}
		if !ok {
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
