package postgres

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/jackc/pgx/v5"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// eventCopyCols is the column list of the events COPY, in table order.
const eventCopyCols = `subject_id, time, numeric_value, end_time, superseded_at, available_at, recorded_at, source_version, content_hash, record_key, rev, kind, code, text_value, unit, source`

// sampleProbes is how many keys of a batch are looked up before an
// optimistic COPY: enough to catch a re-ingest of known records at once,
// few enough to cost one short query.
const sampleProbes = 32

// row is one event row of a batch, in the order appends process them.
type row struct {
	sid    int64  // subject after merge remapping
	k0, k1 uint64 // the key as two big-endian words: cheap ordering
	key    timeline.Key
	i      int32 // row index in the record
	hash   int64
}

func cmpRow(a, b row) int {
	switch {
	case a.sid != b.sid:
		return cmp.Compare(a.sid, b.sid)
	case a.k0 != b.k0:
		return cmp.Compare(a.k0, b.k0)
	case a.k1 != b.k1:
		return cmp.Compare(a.k1, b.k1)
	}
	return cmp.Compare(a.i, b.i)
}

func cmpRowKey(r row, k rowKey) int {
	if r.sid != k.sid {
		return cmp.Compare(r.sid, k.sid)
	}
	return bytes.Compare(r.key[:], k.key[:])
}

func (r *row) setKey(k timeline.Key) {
	r.key = k
	r.k0 = binary.BigEndian.Uint64(k[:8])
	r.k1 = binary.BigEndian.Uint64(k[8:])
}

// current is the stored current version of a record.
type current struct {
	rev     int32
	hash    int64
	version int64 // 0: none
}

// pending is a row to insert.
type pending struct {
	r          *row
	rev        int32
	superseded bool // superseded by a later row of the same batch
}

type rowKey struct {
	sid int64
	key timeline.Key
}

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
	s.codes.add(a.newCodes)
	return res, nil
}

// appender holds what one Append computes once (hashes, subjects) and
// what each attempt decides.
type appender struct {
	s       *Store
	cols    *timeline.Columns
	batch   *timeline.Batch
	rows    []row
	raw     []int64 // the batch's distinct subject ids as given
	hasCode bool

	// per attempt
	remap    map[int64]int64
	hasEvts  map[int64]bool
	now      int64 // store clock, Unix µs
	newCodes []codePair
}

func newAppender(s *Store, cols *timeline.Columns, b *timeline.Batch) *appender {
	n := cols.Len()
	a := &appender{s: s, cols: cols, batch: b, rows: make([]row, n)}
	seen := make(map[int64]struct{})
	for i := 0; i < n; i++ {
		e := cols.Event(i)
		r := &a.rows[i]
		r.i = int32(i)
		r.setKey(e.Key)
		r.hash = int64(timeline.ContentHash(&e))
		sid := cols.SubjectID.Value(i)
		if _, ok := seen[sid]; !ok {
			seen[sid] = struct{}{}
			a.raw = append(a.raw, sid)
		}
	}
	slices.Sort(a.raw)
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
	for i := range a.rows {
		a.rows[i].sid = a.remap[a.cols.SubjectID.Value(int(a.rows[i].i))]
	}
	slices.SortFunc(a.rows, cmpRow)

	// Rows of subjects that already have events may name known records.
	var probe []int
	for j := range a.rows {
		if a.hasEvts[a.rows[j].sid] {
			probe = append(probe, j)
		}
	}
	cur := map[rowKey]current{}
	switch {
	case len(probe) == 0:
		// Nothing can be known (a concurrent insert of the same key fails
		// the COPY, and the retry probes).
	case optimistic:
		sample := make([]int, 0, sampleProbes)
		for k := 0; k < sampleProbes && k < len(probe); k++ {
			sample = append(sample, probe[k*len(probe)/min(sampleProbes, len(probe))])
		}
		if err := a.lookup(ctx, tx, sample, cur); err != nil {
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
		fallthrough
	default:
		if err := a.lookup(ctx, tx, probe, cur); err != nil {
			return res, err
		}
	}
	r, err := a.write(ctx, tx, cur)
	if err != nil {
		return res, err
	}
	return a.finish(ctx, tx, r)
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
// they exist; it also notes which already have events.
func (a *appender) subjects(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `
		SELECT k.s, t.id,
		       EXISTS (SELECT 1 FROM subjects x WHERE x.subject_id = t.id),
		       EXISTS (SELECT 1 FROM events e WHERE e.subject_id = t.id)
		  FROM unnest($1::bigint[]) AS k(s)
		  LEFT JOIN merges m ON m.from_subject = k.s
		 CROSS JOIN LATERAL (SELECT COALESCE(m.into_subject, k.s) AS id) t`, a.raw)
	if err != nil {
		return err
	}
	a.remap = make(map[int64]int64, len(a.raw))
	a.hasEvts = make(map[int64]bool, len(a.raw))
	var missing int64
	for rows.Next() {
		var from, to int64
		var ok, has bool
		if err := rows.Scan(&from, &to, &ok, &has); err != nil {
			rows.Close()
			return err
		}
		if !ok && missing == 0 {
			missing = from
		}
		a.remap[from] = to
		a.hasEvts[to] = has
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
func (a *appender) lookup(ctx context.Context, tx pgx.Tx, idx []int, cur map[rowKey]current) error {
	const chunk = 1 << 16
	for start := 0; start < len(idx); start += chunk {
		part := idx[start:min(start+chunk, len(idx))]
		sids := make([]int64, len(part))
		keys := make([][16]byte, len(part))
		for j, k := range part {
			sids[j], keys[j] = a.rows[k].sid, a.rows[k].key
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
				rk      rowKey
				c       current
				version *int64
			)
			if err := rows.Scan(&rk.sid, &rk.key, &c.rev, &c.hash, &version); err != nil {
				rows.Close()
				return err
			}
			if version != nil {
				c.version = *version
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
func (a *appender) write(ctx context.Context, tx pgx.Tx, cur map[rowKey]current) (store.AppendResult, error) {
	var res store.AppendResult
	ins := make([]pending, 0, len(a.rows))
	var supS []int64
	var supK [][16]byte
	var supV []int32
	for j := 0; j < len(a.rows); {
		// One group: the rows of one record, in batch order.
		end := j + 1
		for end < len(a.rows) && a.rows[end].sid == a.rows[j].sid && a.rows[end].key == a.rows[j].key {
			end++
		}
		c, known := cur[rowKey{a.rows[j].sid, a.rows[j].key}]
		last := -1 // index into ins of the group's newest row
		for k := j; k < end; k++ {
			r := &a.rows[k]
			e := a.version(r)
			rev := int32(0)
			if known {
				switch {
				case c.hash == r.hash:
					res.Duplicate++
					continue
				case e != 0 && c.version != 0 && e <= c.version:
					res.Stale++
					continue
				}
				if last >= 0 {
					ins[last].superseded = true
				} else {
					supS, supK, supV = append(supS, r.sid), append(supK, r.key), append(supV, c.rev)
				}
				rev = c.rev + 1
				res.Superseded++
			} else {
				res.Inserted++
			}
			ins = append(ins, pending{r: r, rev: rev})
			last = len(ins) - 1
			c, known = current{rev: rev, hash: r.hash, version: e}, true
		}
		j = end
	}
	if len(supS) > 0 {
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

func (a *appender) version(r *row) int64 {
	if a.cols.Version.IsValid(int(r.i)) {
		return a.cols.Version.Value(int(r.i))
	}
	return 0
}

func (a *appender) copyEvents(ctx context.Context, tx pgx.Tx, ins []pending) error {
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
		i := int(p.r.i)
		w.fields(16)
		w.int64(p.r.sid)
		ts(w, c.Time, i)
		if c.Value.IsValid(i) {
			w.float64(c.Value.Value(i))
		} else {
			w.null()
		}
		ts(w, c.EndTime, i)
		if p.superseded {
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
		w.int64(p.r.hash)
		w.uuid(p.r.key[:])
		w.int32(p.rev)
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
// code cache does not hold yet. Rows come sorted by subject, and a subject
// has few distinct codes in a batch: a short list per subject beats a map
// lookup per row.
func (a *appender) collectCodes(ins []pending) {
	var distinct []codePair
	var group []string
	for j := 0; j < len(ins); {
		sid := ins[j].r.sid
		group = group[:0]
		for ; j < len(ins) && ins[j].r.sid == sid; j++ {
			code := a.cols.Code.Value(int(ins[j].r.i))
			if !slices.Contains(group, code) {
				group = append(group, code)
				distinct = append(distinct, codePair{code, sid})
			}
		}
	}
	a.newCodes = a.s.codes.missing(distinct)
}

// finish writes subject codes and detail rows.
func (a *appender) finish(ctx context.Context, tx pgx.Tx, res store.AppendResult) (store.AppendResult, error) {
	if len(a.newCodes) > 0 {
		slices.SortFunc(a.newCodes, func(x, y codePair) int {
			if c := strings.Compare(x.code, y.code); c != 0 {
				return c
			}
			return int(x.subject - y.subject)
		})
		codes := make([]string, len(a.newCodes))
		sids := make([]int64, len(a.newCodes))
		for i, p := range a.newCodes {
			codes[i], sids[i] = p.code, p.subject
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
	drows := make([]row, n)
	for i := 0; i < n; i++ {
		sid, ok := a.remap[subj.Value(i)]
		var k timeline.Key
		copy(k[:], keyCol.Value(i))
		if ok {
			_, ok = slices.BinarySearchFunc(a.rows, rowKey{sid, k}, cmpRowKey)
		}
		if !ok {
			return 0, fmt.Errorf("%w: %s row %d has no event in its batch", store.ErrInvalid, t, i)
		}
		drows[i] = row{sid: sid, i: int32(i)}
		drows[i].setKey(k)
	}
	slices.SortFunc(drows, cmpRow)
	// Imaging rows are keyed by event and series (migration 0002): an
	// imaging_study event keeps one row per series.
	series := func(int32) string { return "" }
	conflict := "subject_id, record_key"
	if t == timeline.Imaging {
		col := rec.Column(schema.FieldIndices("series_uid")[0]).(*array.String)
		series = func(i int32) string { return col.Value(int(i)) }
		conflict += ", series_uid"
		slices.SortFunc(drows, func(x, y row) int {
			if c := cmpRowKey(x, rowKey{y.sid, y.key}); c != 0 {
				return c
			}
			if c := strings.Compare(series(x.i), series(y.i)); c != 0 {
				return c
			}
			return cmp.Compare(x.i, y.i) // batch order: the last row wins
		})
	}
	keep := drows[:0]
	for j := range drows {
		if j+1 < len(drows) && drows[j+1].sid == drows[j].sid && drows[j+1].key == drows[j].key && series(drows[j+1].i) == series(drows[j].i) {
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
		w.int64(r.sid)
		w.uuid(r.key[:])
		for c := 2; c < len(enc); c++ {
			if err := enc[c](w, int(r.i)); err != nil {
				return fmt.Errorf("%s row %d column %s: %w", t, r.i, schema.Field(c).Name, err)
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
