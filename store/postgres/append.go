package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/jackc/pgx/v5"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/internal/appendplan"
	"github.com/medtwin/medtwin/timeline"
)

// eventCopyCols is the column list of the events COPY, in table order.
const eventCopyCols = `subject_id, time, numeric_value, end_time, superseded_at, available_at, recorded_at, source_version, content_hash, record_key, rev, kind, code, text_value, unit, source`

// Append implements store.Store.
func (s *Store) Append(ctx context.Context, b *timeline.Batch) (store.AppendResult, error) {
	if b == nil || b.Events == nil {
		return store.AppendResult{}, fmt.Errorf("postgres: append: %w: nil batch", store.ErrInvalid)
	}
	cols, err := timeline.ColumnsOf(b.Events)
	if err != nil {
		return store.AppendResult{}, fmt.Errorf("postgres: append: %w: %v", store.ErrInvalid, err)
	}
	a := newAppender(s, cols, b)
	var res store.AppendResult
	err = s.retryTx(ctx, func(tx pgx.Tx, attempt int) error {
		r, err := a.run(ctx, tx, attempt == 0)
		res = r
		return err
	})
	if err != nil {
		return store.AppendResult{}, fmt.Errorf("postgres: append: %w", err)
	}
	s.codes.Add(a.newCodes)
	s.freshenStats(ctx)
	return res, nil
}

// appender holds what one Append computes once (hashes, subjects) and
// what each attempt decides.
type appender struct {
	s       *Store
	cols    *timeline.Columns
	batch   *timeline.Batch
	rows    []appendplan.Row
	raw     []int64 // the batch's distinct subject ids as given
	hasCode bool

	// per attempt
	remap    map[int64]int64
	now      int64 // store clock, Unix µs
	newCodes []appendplan.CodePair
}

func newAppender(s *Store, cols *timeline.Columns, b *timeline.Batch) *appender {
	a := &appender{s: s, cols: cols, batch: b}
	a.rows, a.raw = appendplan.Rows(cols)
	return a
}

func (a *appender) run(ctx context.Context, tx pgx.Tx, optimistic bool) (store.AppendResult, error) {
	var res store.AppendResult
	a.now = a.s.now().UnixMicro()
	a.newCodes = nil
	// Appends share the merge lock: a merge waits for them and they for it,
	// so no row lands on a subject that is being merged away.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared($1, $2)`, a.s.ns, lockMerge); err != nil {
		return res, err
	}
	if err := a.subjects(ctx, tx); err != nil {
		return res, err
	}
	appendplan.Remap(a.rows, a.cols, a.remap)

	cur := map[appendplan.Key]appendplan.Current{}
	if optimistic {
		// A sample of the batch's keys, all new: COPY under a savepoint
		// and let the unique key catch the rare known record. The sample
		// costs a few index probes; knowing which subjects already have
		// events would cost one per subject.
		if err := a.lookup(ctx, tx, appendplan.Sample(len(a.rows)), cur); err != nil {
			return res, err
		}
		if len(cur) == 0 {
			r, err := a.optimisticWrite(ctx, tx)
			if err == nil {
				return a.finish(ctx, tx, r)
			}
			if !errors.Is(err, errKnownRecord) {
				return res, err
			}
		}
	}
	// Rows of subjects that already have events may name known records.
	probe, err := a.probeRows(ctx, tx)
	if err != nil {
		return res, err
	}
	if err := a.lookup(ctx, tx, probe, cur); err != nil {
		return res, err
	}
	r, err := a.write(ctx, tx, cur)
	if err != nil {
		return res, err
	}
	return a.finish(ctx, tx, r)
}

// probeRows returns the rows whose subject already has events: only those
// can name a stored record (a concurrent insert of the same key fails the
// COPY, and the retry probes again).
func (a *appender) probeRows(ctx context.Context, tx pgx.Tx) ([]int, error) {
	sids := make([]int64, 0, len(a.raw))
	for j := range a.rows {
		if j == 0 || a.rows[j].SID != a.rows[j-1].SID {
			sids = append(sids, a.rows[j].SID)
		}
	}
	rows, err := tx.Query(ctx, `
		SELECT k.s FROM unnest($1::bigint[]) AS k(s)
		 WHERE EXISTS (SELECT 1 FROM events e WHERE e.subject_id = k.s)`, sids)
	if err != nil {
		return nil, err
	}
	has := make(map[int64]bool, len(sids))
	for rows.Next() {
		var sid int64
		if err := rows.Scan(&sid); err != nil {
			rows.Close()
			return nil, err
		}
		has[sid] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var probe []int
	for j := range a.rows {
		if has[a.rows[j].SID] {
			probe = append(probe, j)
		}
	}
	return probe, nil
}

// errKnownRecord: the optimistic COPY met a record already stored.
var errKnownRecord = errors.New("postgres: known record")

// optimisticWrite writes the batch assuming none of its records is stored,
// under a savepoint: a unique violation (a known record) rolls it back.
func (a *appender) optimisticWrite(ctx context.Context, tx pgx.Tx) (store.AppendResult, error) {
	if _, err := tx.Exec(ctx, `SAVEPOINT optimistic`); err != nil {
		return store.AppendResult{}, err
	}
	r, err := a.write(ctx, tx, nil)
	if isUniqueViolation(err) {
		if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT optimistic`); err != nil {
			return store.AppendResult{}, err
		}
		return store.AppendResult{}, errKnownRecord
	}
	if err != nil {
		return store.AppendResult{}, err
	}
	_, err = tx.Exec(ctx, `RELEASE SAVEPOINT optimistic`)
	return r, err
}

// subjects maps the batch's subject ids through merges and checks that
// they exist.
func (a *appender) subjects(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `
		SELECT k.s, t.id,
		       EXISTS (SELECT 1 FROM subjects x WHERE x.subject_id = t.id)
		  FROM unnest($1::bigint[]) AS k(s)
		  LEFT JOIN merges m ON m.from_subject = k.s
		 CROSS JOIN LATERAL (SELECT COALESCE(m.into_subject, k.s) AS id) t`, a.raw)
	if err != nil {
		return err
	}
	a.remap = make(map[int64]int64, len(a.raw))
	var missing int64
	for rows.Next() {
		var from, to int64
		var ok bool
		if err := rows.Scan(&from, &to, &ok); err != nil {
			rows.Close()
			return err
		}
		if !ok && missing == 0 {
			missing = from
		}
		a.remap[from] = to
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if missing != 0 {
		return fmt.Errorf("%w: subject %d does not exist (resolve identifiers first)", store.ErrInvalid, missing)
	}
	return nil
}

// lookup reads the current versions of the records at rows idx.
func (a *appender) lookup(ctx context.Context, tx pgx.Tx, idx []int, cur map[appendplan.Key]appendplan.Current) error {
	const chunk = 1 << 16
	for start := 0; start < len(idx); start += chunk {
		part := idx[start:min(start+chunk, len(idx))]
		sids := make([]int64, len(part))
		keys := make([][16]byte, len(part))
		for j, k := range part {
			sids[j], keys[j] = a.rows[k].SID, a.rows[k].Key
		}
		// OFFSET 0 keeps the lateral subquery a per-key index probe; as a
		// plain join the planner would sort the whole table to merge.
		rows, err := tx.Query(ctx, `
			SELECT k.s, k.r, e.rev, e.content_hash, e.source_version
			  FROM unnest($1::bigint[], $2::uuid[]) AS k(s, r)
			 CROSS JOIN LATERAL (SELECT rev, content_hash, source_version FROM events e
			                      WHERE e.subject_id = k.s AND e.record_key = k.r AND e.superseded_at IS NULL OFFSET 0) e`,
			sids, keys)
		if err != nil {
			return err
		}
		for rows.Next() {
			var (
				rk      appendplan.Key
				c       appendplan.Current
				version *int64
			)
			if err := rows.Scan(&rk.SID, &rk.Key, &c.Rev, &c.Hash, &version); err != nil {
				rows.Close()
				return err
			}
			if version != nil {
				c.Version = *version
			}
			cur[rk] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// write decides each row against the stored versions cur (nil: none
// stored), supersedes stored rows and COPYs the new ones.
func (a *appender) write(ctx context.Context, tx pgx.Tx, cur map[appendplan.Key]appendplan.Current) (store.AppendResult, error) {
	ins, sup, res := appendplan.Decide(a.rows, cur, a.version)
	if len(sup) > 0 {
		supS := make([]int64, len(sup))
		supK := make([][16]byte, len(sup))
		supV := make([]int32, len(sup))
		for i, x := range sup {
			supS[i], supK[i], supV[i] = x.SID, x.Key.Key, x.Rev
		}
		tag, err := tx.Exec(ctx, `
			UPDATE events e SET superseded_at = $1
			  FROM unnest($2::bigint[], $3::uuid[], $4::integer[]) AS k(s, r, v)
			 WHERE e.subject_id = k.s AND e.record_key = k.r AND e.rev = k.v AND e.superseded_at IS NULL`,
			timeline.FromMicros(a.now), supS, supK, supV)
		if err != nil {
			return res, err
		}
		if tag.RowsAffected() != int64(len(supS)) {
			return res, errConflict
		}
	}
	if len(ins) > 0 {
		if err := a.copyEvents(ctx, tx, ins); err != nil {
			return res, err
		}
	}
	a.collectCodes(ins)
	return res, nil
}

func (a *appender) version(i int32) int64 {
	if a.cols.Version.IsValid(int(i)) {
		return a.cols.Version.Value(int(i))
	}
	return 0
}

func (a *appender) copyEvents(ctx context.Context, tx pgx.Tx, ins []appendplan.Pending) error {
	c := a.cols
	recorded := a.now
	nowSup := a.now
	ts := func(w *copyBuf, col *array.Timestamp, i int) {
		if col.IsNull(i) {
			w.null()
		} else {
			w.timestamp(int64(col.Value(i)))
		}
	}
	str := func(w *copyBuf, col *array.String, i int) error {
		if col.IsNull(i) {
			w.null()
			return nil
		}
		v := col.Value(i)
		if !checkText(v) {
			return errText
		}
		w.bytes(v)
		return nil
	}
	src := newCopySource(len(ins), func(w *copyBuf, j int) error {
		p := &ins[j]
		i := int(p.R.I)
		w.fields(16)
		w.int64(p.R.SID)
		ts(w, c.Time, i)
		if c.Value.IsValid(i) {
			w.float64(c.Value.Value(i))
		} else {
			w.null()
		}
		ts(w, c.EndTime, i)
		if p.Superseded {
			w.timestamp(nowSup)
		} else {
			w.null()
		}
		ts(w, c.Available, i)
		w.timestamp(recorded)
		if c.Version.IsValid(i) {
			w.int64(c.Version.Value(i))
		} else {
			w.null()
		}
		w.int64(p.R.Hash)
		w.uuid(p.R.Key[:])
		w.int32(p.Rev)
		w.int16(int16(c.Kind(i)))
		code := c.Code.Value(i)
		if code == "" || !checkText(code) {
			return fmt.Errorf("%w: row %d: bad code", store.ErrInvalid, i)
		}
		w.bytes(code)
		if err := str(w, c.Text, i); err != nil {
			return fmt.Errorf("text_value of row %d: %w", i, err)
		}
		if err := str(w, c.Unit, i); err != nil {
			return fmt.Errorf("unit of row %d: %w", i, err)
		}
		if err := str(w, c.Source, i); err != nil {
			return fmt.Errorf("source of row %d: %w", i, err)
		}
		return nil
	})
	_, err := tx.Conn().PgConn().CopyFrom(ctx, src, `COPY events (`+eventCopyCols+`) FROM STDIN (FORMAT binary)`)
	if src.err != nil {
		return src.err
	}
	return err
}

// collectCodes notes the (code, subject) pairs of written rows that the
// code cache does not hold yet.
func (a *appender) collectCodes(ins []appendplan.Pending) {
	a.newCodes = a.s.codes.Missing(appendplan.NewCodes(ins, func(i int32) string { return a.cols.Code.Value(int(i)) }))
}

// finish writes subject codes and detail rows.
func (a *appender) finish(ctx context.Context, tx pgx.Tx, res store.AppendResult) (store.AppendResult, error) {
	if len(a.newCodes) > 0 {
		appendplan.SortCodes(a.newCodes)
		codes := make([]string, len(a.newCodes))
		sids := make([]int64, len(a.newCodes))
		for i, p := range a.newCodes {
			codes[i], sids[i] = p.Code, p.Subject
		}
		if _, err := tx.Exec(ctx, `INSERT INTO subject_codes (code, subject_id) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING`, codes, sids); err != nil {
			return res, err
		}
	}
	for _, t := range timeline.DetailTables() {
		rec := a.batch.Detail(t)
		if rec == nil || rec.NumRows() == 0 {
			continue
		}
		n, err := a.writeDetail(ctx, tx, t, rec)
		if err != nil {
			return res, err
		}
		res.Details += n
	}
	return res, nil
}

// writeDetail upserts a detail record: each row must belong to an event of
// the batch; a later row for the same event replaces an earlier one, and
// the stored detail of the event is replaced.
func (a *appender) writeDetail(ctx context.Context, tx pgx.Tx, t timeline.DetailTable, rec arrow.Record) (int64, error) {
	schema := t.Schema()
	if !rec.Schema().Equal(schema) {
		return 0, fmt.Errorf("%w: %s record with a foreign schema", store.ErrInvalid, t)
	}
	n := int(rec.NumRows())
	subj := rec.Column(0).(*array.Int64)
	keyCol := rec.Column(1).(*array.FixedSizeBinary)
	drows := make([]appendplan.Row, n)
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
		drows[i] = appendplan.Row{SID: sid, I: int32(i)}
		drows[i].SetKey(k)
	}
	slices.SortFunc(drows, appendplan.CmpRow)
	// Imaging rows are keyed by event and series (migration 0002): an
	// imaging_study event keeps one row per series.
	series := func(int32) string { return "" }
	conflict := "subject_id, record_key"
	if t == timeline.Imaging {
		col := rec.Column(schema.FieldIndices("series_uid")[0]).(*array.String)
		series = func(i int32) string { return col.Value(int(i)) }
		conflict += ", series_uid"
		slices.SortFunc(drows, func(x, y appendplan.Row) int {
			if c := appendplan.CmpRowKey(x, appendplan.Key{SID: y.SID, Key: y.Key}); c != 0 {
				return c
			}
			if c := strings.Compare(series(x.I), series(y.I)); c != 0 {
				return c
			}
			return cmp.Compare(x.I, y.I) // batch order: the last row wins
		})
	}
	keep := drows[:0]
	for j := range drows {
		if j+1 < len(drows) && drows[j+1].SID == drows[j].SID && drows[j+1].Key == drows[j].Key && series(drows[j+1].I) == series(drows[j].I) {
			continue // a later row of the same event (and series) wins
		}
		keep = append(keep, drows[j])
	}
	enc := make([]cellEncoder, schema.NumFields())
	for c := 2; c < len(enc); c++ {
		e, err := newCellEncoder(rec.Column(c))
		if err != nil {
			return 0, err
		}
		if t == timeline.Imaging && schema.Field(c).Name == "series_uid" {
			col, inner := rec.Column(c), e
			e = func(w *copyBuf, i int) error {
				if col.IsNull(i) {
					w.bytes("") // NOT NULL key column
					return nil
				}
				return inner(w, i)
			}
		}
		enc[c] = e
	}
	name := pgx.Identifier{string(t)}.Sanitize()
	stage := pgx.Identifier{"medtwin_stage_" + string(t)}.Sanitize()
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS `+stage+` (LIKE `+name+`) ON COMMIT DELETE ROWS`); err != nil {
		return 0, err
	}
	names := make([]string, schema.NumFields())
	sets := make([]string, 0, schema.NumFields())
	for i, f := range schema.Fields() {
		names[i] = pgx.Identifier{f.Name}.Sanitize()
		if i >= 2 {
			sets = append(sets, names[i]+" = EXCLUDED."+names[i])
		}
	}
	list := strings.Join(names, ", ")
	src := newCopySource(len(keep), func(w *copyBuf, j int) error {
		r := &keep[j]
		w.fields(len(enc))
		w.int64(r.SID)
		w.uuid(r.Key[:])
		for c := 2; c < len(enc); c++ {
			if err := enc[c](w, int(r.I)); err != nil {
				return fmt.Errorf("%s row %d column %s: %w", t, r.I, schema.Field(c).Name, err)
			}
		}
		return nil
	})
	if _, err := tx.Conn().PgConn().CopyFrom(ctx, src, `COPY `+stage+` (`+list+`) FROM STDIN (FORMAT binary)`); err != nil {
		if src.err != nil {
			return 0, src.err
		}
		return 0, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO `+name+` (`+list+`) SELECT `+list+` FROM `+stage+
		` ON CONFLICT (`+conflict+`) DO UPDATE SET `+strings.Join(sets, ", ")); err != nil {
		return 0, err
	}
	return int64(n), nil
}
