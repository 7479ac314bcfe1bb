package meds

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/timeline"
)

// Adapter reads MEDS datasets and Parquet files with the MEDS core columns
// (medtwin's own full-schema Parquet export included). Build it with New.
type Adapter struct{}

// New returns the MEDS adapter.
func New() *Adapter { return &Adapter{} }

// Name implements ingest.Adapter.
func (*Adapter) Name() string { return "meds" }

// Detect implements ingest.Adapter: a Parquet file (PAR1 magic) whose
// footer names the MEDS data columns (subject_id, time, code) or one of the
// metadata shapes (codes, subject splits, labels); a Parquet file whose
// footer cannot be read (so that the run reports it rather than skipping
// it); or a metadata/dataset.json.
func (*Adapter) Detect(path string, head []byte) bool {
	if filepath.Base(path) == DatasetFile && filepath.Base(filepath.Dir(path)) == MetadataDir {
		return isDatasetJSON(head)
	}
	if !bytes.HasPrefix(head, parquetMagic) {
		return false
	}
	role, err := probe(path)
	if err != nil {
		return true
	}
	return role != RoleUnknown
}

// groupError is a failure that stops the whole group (the store failing,
// the context cancelled), not just one file.
type groupError struct{ err error }

func (e *groupError) Error() string { return e.err.Error() }
func (e *groupError) Unwrap() error { return e.err }

// Ingest implements ingest.Adapter.
func (a *Adapter) Ingest(ctx context.Context, env *ingest.Env, files []*ingest.Input, sink ingest.Sink) error {
	for _, in := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		fs := sink.File(in)
		err := a.ingestFile(ctx, env, in, fs)
		var ge *groupError
		if errors.As(err, &ge) {
			fs.Done(ge.err)
			return ge.err
		}
		fs.Done(err)
	}
	return nil
}

func (a *Adapter) ingestFile(ctx context.Context, env *ingest.Env, in *ingest.Input, fs ingest.FileSink) error {
	if filepath.Base(in.Path) == DatasetFile {
		if err := in.HashFile(); err != nil {
			return err
		}
		in.MarkRead(in.Size)
		fs.Skip("metadata:dataset", 1)
		return nil
	}
	f, err := os.Open(in.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	// The manifest's SHA-256 is computed on the side (the Parquet reader
	// reads by random access), on the second core.
	hashed := make(chan error, 1)
	go func() { hashed <- in.HashFile() }()
	var done int64
	progress := func(n int64) { done += n; in.MarkRead(n) }
	err = ReadFile(ctx, env, in.Name, systemFor(in.Path, env.Options.Namespace), f, fs, progress)
	if herr := <-hashed; err == nil && herr != nil {
		err = fmt.Errorf("hashing: %w", herr)
	}
	if rest := in.Size - done; rest > 0 {
		in.MarkRead(rest)
	}
	return err
}

// knownColumn is a column the reader maps when present.
type knownColumn struct {
	name     string
	class    columnClass
	required bool
}

// knownColumns: the MEDS core, then the extension columns of medtwin's
// full schema. superseded_at and recorded_at describe the exporting
// store's history and are not read: the receiving store keeps its own.
var knownColumns = []knownColumn{
	{ColSubjectID, classInt, true},
	{ColTime, classTime, true},
	{ColCode, classString, true},
	{ColNumericValue, classFloat, false},
	{ColTextValue, classString, false},
	{"unit", classString, false},
	{"kind", classString, false},
	{"end_time", classTime, false},
	{"source", classString, false},
	{"record_key", classKey, false},
	{"available_at", classTime, false},
	{"source_version", classInt, false},
}

// ReadFile reads one MEDS Parquet file from r into fs, resolving subject
// ids in the identifier system given. name is the provenance name used in
// source locators and errors. progress (may be nil) receives the compressed
// bytes of each row group read. Metadata files (codes, subject splits,
// labels) are counted as skipped. A bad row is rejected with its row group
// and row; a fatal error (unreadable footer or page, wrong column type) is
// returned as an *ingest.ParseError, keeping the batches written before
// it; a store or context failure is returned as is.
func ReadFile(ctx context.Context, env *ingest.Env, name, system string, r parquet.ReaderAtSeeker, fs ingest.FileSink, progress func(int64)) (err error) {
	if progress == nil {
		progress = func(int64) {}
	}
	size, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	mem := boundedAllocator{Allocator: env.Mem, max: allocLimit(size)}
	pf, err := openParquet(r, mem, size)
	if err != nil {
		return &ingest.ParseError{Source: name, Record: "footer", Err: err}
	}
	defer pf.Close()
	md := pf.MetaData()
	switch role := RoleOf(md.Schema); role {
	case RoleCodes, RoleSplits:
		fs.Skip("metadata:"+role.String(), md.NumRows)
		return nil
	case RoleLabels:
		fs.Skip("labels", md.NumRows)
		return nil
	case RoleUnknown:
		return &ingest.ParseError{Source: name, Err: fmt.Errorf("%w: a MEDS data file has subject_id, time and code", ErrMissingColumn)}
	}

	batch := int64(env.BatchRows)
	if batch <= 0 {
		batch = timeline.DefaultBatchRows
	}
	fr, err := newFileReader(pf, batch, mem)
	if err != nil {
		return &ingest.ParseError{Source: name, Record: "footer", Err: err}
	}
	leaves, err := mapColumns(fr)
	if err != nil {
		var pe *ingest.ParseError
		if errors.As(err, &pe) {
			pe.Source = name
			return pe
		}
		return &ingest.ParseError{Source: name, Err: err}
	}

	d := &decoder{ctx: ctx, env: env, name: name, system: system, fs: fs, bb: env.NewBatchBuilder(),
		sids: make(map[int64]int64), seen: make(map[timeline.Key]uint32)}
	defer d.bb.Release()
	for rg := 0; rg < pf.NumRowGroups(); rg++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := d.rowGroup(fr, leaves, rg); err != nil {
			// The rows pending came from whole, decoded records: keep
			// them, unless the store or the context is what failed.
			var ge *groupError
			if !errors.As(err, &ge) && ctx.Err() == nil {
				if ferr := d.flush(); ferr != nil {
					return ferr
				}
			}
			return err
		}
		progress(md.RowGroup(rg).TotalCompressedSize())
	}
	return d.flush()
}

// openParquet opens a Parquet file's footer. Parquet readers stream column
// chunks through a buffer rather than reading them whole, so memory stays
// bounded by the batch size even for huge row groups.
func openParquet(r parquet.ReaderAtSeeker, mem memory.Allocator, size int64) (pf *file.Reader, err error) {
	defer func() {
		if p := recover(); p != nil {
			pf, err = nil, fmt.Errorf("%w: %v", ErrCorrupt, p)
		}
	}()
	props := parquet.NewReaderProperties(mem)
	props.BufferedStreamEnabled = true
	props.BufferSize = min(1<<20, max(4<<10, size)) // per column chunk being read
	pf, err = file.NewParquetReader(r, file.WithReadProps(props))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return pf, nil
}

// arrowSchemaKey is the footer entry where Arrow writers store the Arrow
// schema. The reader ignores it: every type it needs is derived from the
// Parquet schema, and arrow v15 trusts that entry's flatbuffer lengths, so
// a damaged one can make it allocate without bound (a fatal out-of-memory,
// not a recoverable panic).
const arrowSchemaKey = "ARROW:schema"

func newFileReader(pf *file.Reader, batch int64, mem memory.Allocator) (fr *pqarrow.FileReader, err error) {
	defer func() {
		if p := recover(); p != nil {
			fr, err = nil, fmt.Errorf("%w: schema: %v", ErrCorrupt, p)
		}
	}()
	for _, kv := range pf.MetaData().KeyValueMetadata() {
		if kv != nil && kv.Key == arrowSchemaKey {
			kv.Key = "medtwin:ignored:" + arrowSchemaKey
		}
	}
	fr, err = pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: batch}, mem)
	if err != nil {
		return nil, fmt.Errorf("%w: schema: %v", ErrCorrupt, err)
	}
	return fr, nil
}

// mapColumns checks the known columns' types and returns their leaf
// indices.
func mapColumns(fr *pqarrow.FileReader) (leaves []int, err error) {
	defer func() {
		if p := recover(); p != nil {
			leaves, err = nil, fmt.Errorf("%w: schema: %v", ErrCorrupt, p)
		}
	}()
	sc, err := fr.Schema()
	if err != nil {
		return nil, fmt.Errorf("%w: schema: %v", ErrCorrupt, err)
	}
	for _, k := range knownColumns {
		idx := sc.FieldIndices(k.name)
		if len(idx) == 0 {
			if k.required {
				return nil, &ingest.ParseError{Field: k.name, Err: ErrMissingColumn}
			}
			continue
		}
		i := idx[0]
		t := sc.Field(i).Type
		if !k.class.accepts(t) || i >= len(fr.Manifest.Fields) || !fr.Manifest.Fields[i].IsLeaf() {
			return nil, &ingest.ParseError{Field: k.name, Err: fmt.Errorf("%w: %s, want %s", ErrColumnType, t, k.class.want())}
		}
		leaves = append(leaves, fr.Manifest.Fields[i].ColIndex)
	}
	return leaves, nil
}

// rowCols are the getters of one record's known columns (nil: absent).
type rowCols struct {
	subject intGetter
	time    timeGetter
	code    strGetter
	num     floatGetter
	text    strGetter
	unit    strGetter
	kind    strGetter
	end     timeGetter
	source  strGetter
	key     bytesGetter
	avail   timeGetter
	version intGetter
}

func colsOf(rec arrow.Record) (*rowCols, error) {
	c := &rowCols{}
	var err error
	for i, f := range rec.Schema().Fields() {
		a := rec.Column(i)
		switch f.Name {
		case ColSubjectID:
			c.subject, err = intOf(a)
		case ColTime:
			c.time, err = timeOf(a)
		case ColCode:
			c.code, err = strOf(a)
		case ColNumericValue:
			c.num, err = floatOf(a)
		case ColTextValue:
			c.text, err = strOf(a)
		case "unit":
			c.unit, err = strOf(a)
		case "kind":
			c.kind, err = strOf(a)
		case "end_time":
			c.end, err = timeOf(a)
		case "source":
			c.source, err = strOf(a)
		case "record_key":
			c.key, err = bytesOf(a)
		case "available_at":
			c.avail, err = timeOf(a)
		case "source_version":
			c.version, err = intOf(a)
		}
		if err != nil {
			return nil, &ingest.ParseError{Field: f.Name, Err: err}
		}
	}
	if c.subject == nil || c.time == nil || c.code == nil {
		return nil, fmt.Errorf("%w: subject_id, time and code", ErrMissingColumn)
	}
	return c, nil
}

// decoder turns rows into events, batch by batch.
type decoder struct {
	ctx    context.Context
	env    *ingest.Env
	name   string
	system string
	fs     ingest.FileSink
	bb     *timeline.BatchBuilder

	// subject resolution: rows come grouped by subject, so the last one is
	// nearly always the next one; the map bounds store round trips.
	lastMEDS int64
	lastSID  int64
	haveLast bool
	sids     map[int64]int64

	// occurrence numbering of identical rows within one (subject, time)
	// group, so that true repeats keep distinct derived keys.
	groupSubject int64
	groupTime    int64
	groupStatic  bool
	groupInit    bool
	seen         map[timeline.Key]uint32

	kh     timeline.KeyHasher
	keyBuf []byte
	src    []byte
	kinds  map[string]timeline.Kind
}

// kindOf is KindOf, memoised per file (codes repeat).
func (d *decoder) kindOf(code string) timeline.Kind {
	if k, ok := d.kinds[code]; ok {
		return k
	}
	k := KindOf(code, d.env.Codes)
	if d.kinds == nil || len(d.kinds) >= 1<<14 {
		d.kinds = make(map[string]timeline.Kind)
	}
	d.kinds[strings.Clone(code)] = k
	return k
}

func (d *decoder) rowGroup(fr *pqarrow.FileReader, leaves []int, rg int) error {
	loc := func() string { return "row group " + strconv.Itoa(rg) }
	rr, err := getRecordReader(d.ctx, fr, leaves, rg)
	if err != nil {
		return &ingest.ParseError{Source: d.name, Record: loc(), Err: err}
	}
	defer rr.Release()
	offset := 0
	want := fr.ParquetReader().MetaData().RowGroup(rg).NumRows()
	for {
		rec, ok, err := nextRecord(rr)
		if err != nil {
			return &ingest.ParseError{Source: d.name, Record: fmt.Sprintf("row group %d from row %d", rg, offset), Err: err}
		}
		if !ok {
			// A damaged page can end a column early without an error:
			// the footer's row count says whether the group was whole.
			if int64(offset) != want {
				return &ingest.ParseError{Source: d.name, Record: fmt.Sprintf("row group %d from row %d", rg, offset),
					Err: fmt.Errorf("%w: read %d of the row group's %d rows", ErrCorrupt, offset, want)}
			}
			return nil
		}
		c, err := colsOf(rec)
		if err != nil {
			var pe *ingest.ParseError
			if errors.As(err, &pe) {
				pe.Source, pe.Record = d.name, loc()
				return pe
			}
			return &ingest.ParseError{Source: d.name, Record: loc(), Err: err}
		}
		n := int(rec.NumRows())
		for i := 0; i < n; i++ {
			if err := d.row(c, i, rg, offset+i); err != nil {
				return err
			}
		}
		offset += n
		if err := d.ctx.Err(); err != nil {
			return &groupError{err}
		}
	}
}

func getRecordReader(ctx context.Context, fr *pqarrow.FileReader, leaves []int, rg int) (rr pqarrow.RecordReader, err error) {
	defer func() {
		if p := recover(); p != nil {
			rr, err = nil, fmt.Errorf("%w: %v", ErrCorrupt, p)
		}
	}()
	rr, err = fr.GetRecordReader(ctx, leaves, []int{rg})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return rr, nil
}

// nextRecord advances the Parquet record reader, turning the library's
// panics on malformed pages into ErrCorrupt.
func nextRecord(rr pqarrow.RecordReader) (rec arrow.Record, ok bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			rec, ok, err = nil, false, fmt.Errorf("%w: %v", ErrCorrupt, p)
		}
	}()
	if rr.Next() {
		return rr.Record(), true, nil
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return nil, false, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return nil, false, nil
}

func (d *decoder) reject(rg, row int, field string, err error) {
	d.fs.Reject(&ingest.ParseError{Source: d.name, Record: fmt.Sprintf("row group %d row %d", rg, row), Field: field, Err: err})
}

func (d *decoder) row(c *rowCols, i, rg, row int) error {
	sv, ok := c.subject(i)
	if !ok {
		d.reject(rg, row, ColSubjectID, ErrNullSubject)
		return nil
	}
	code, ok := c.code(i)
	if !ok || code == "" {
		d.reject(rg, row, ColCode, ErrNullCode)
		return nil
	}
	sid, err := d.subject(sv)
	if err != nil {
		return &groupError{fmt.Errorf("resolving subject: %w", err)}
	}
	e := timeline.Event{SubjectID: sid, Code: code}
	us, timed := c.time(i)
	if timed {
		e.Time = timeline.FromMicros(us)
	}
	if c.num != nil {
		e.Value, e.HasValue = c.num(i)
	}
	if c.text != nil {
		e.Text, _ = c.text(i)
	}
	if c.unit != nil {
		e.Unit, _ = c.unit(i)
	}
	if c.kind != nil {
		if s, ok := c.kind(i); ok && s != "" {
			k, err := timeline.ParseKind(s)
			if err != nil {
				d.reject(rg, row, "kind", fmt.Errorf("%w: unknown kind", ErrBadValue))
				return nil
			}
			e.Kind = k
		}
	}
	if !e.Kind.Valid() {
		e.Kind = d.kindOf(code)
	}
	if c.end != nil {
		if v, ok := c.end(i); ok {
			e.EndTime = timeline.FromMicros(v)
		}
	}
	if c.avail != nil {
		if v, ok := c.avail(i); ok {
			e.AvailableAt = timeline.FromMicros(v)
		}
	}
	if c.version != nil {
		e.SourceVersion, _ = c.version(i)
	}
	if e.HasValue && e.Unit != "" {
		if ci, ok := d.env.Codes.Lookup(code); !ok || ci.Unit != e.Unit {
			v, u, err := d.env.Codes.Normalize(code, e.Value, e.Unit)
			if err != nil {
				d.reject(rg, row, "unit", fmt.Errorf("%w: %v", ErrBadValue, err))
				return nil
			}
			e.Value, e.Unit = v, u
		}
	}
	if c.key != nil {
		if b, ok := c.key(i); ok {
			if len(b) != timeline.KeySize {
				d.reject(rg, row, "record_key", fmt.Errorf("%w: %d bytes, want %d", ErrBadValue, len(b), timeline.KeySize))
				return nil
			}
			copy(e.Key[:], b)
		}
	}
	if e.Key.IsZero() {
		e.Key = d.deriveKey(sv, us, timed, &e)
	}
	if c.source != nil {
		e.Source, _ = c.source(i) // a null source stays null
	} else {
		// Built in a reused buffer: the batch builder copies the string
		// before the buffer changes.
		d.src = append(d.src[:0], d.name...)
		d.src = append(d.src, "#row-group="...)
		d.src = strconv.AppendInt(d.src, int64(rg), 10)
		d.src = append(d.src, ",row="...)
		d.src = strconv.AppendInt(d.src, int64(row), 10)
		e.Source = unsafe.String(&d.src[0], len(d.src))
	}
	if err := d.bb.Append(&e); err != nil {
		d.reject(rg, row, "", err)
		return nil
	}
	if d.bb.Full() {
		return d.flush()
	}
	return nil
}

// deriveKey computes the record key of a row without one: a hash of what
// the row says (time, code, numeric value, text value) plus, for the n-th
// repeat of an identical row of the same subject and time, its occurrence
// number. The subject is not part of the key: keys are scoped by subject
// in the store.
func (d *decoder) deriveKey(subject, us int64, timed bool, e *timeline.Event) timeline.Key {
	if !d.groupInit || d.groupSubject != subject || d.groupStatic == timed || (timed && d.groupTime != us) {
		if len(d.seen) > 64 {
			d.seen = make(map[timeline.Key]uint32)
		} else {
			clear(d.seen)
		}
		d.groupInit, d.groupSubject, d.groupStatic, d.groupTime = true, subject, !timed, us
	}
	// One length-prefixed buffer, hashed in one write.
	b := append(d.keyBuf[:0], "meds"...)
	if timed {
		b = append(b, 1)
		b = binary.LittleEndian.AppendUint64(b, uint64(us))
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(e.Code)))
	b = append(b, e.Code...)
	if e.HasValue {
		b = append(b, 1)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(e.Value))
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(e.Text)))
	b = append(b, e.Text...)
	d.keyBuf = b
	d.kh.AddBytes(b)
	k := d.kh.Sum()
	n := d.seen[k]
	d.seen[k] = n + 1
	if n > 0 {
		d.kh.AddBytes(k[:])
		d.kh.Add(strconv.FormatUint(uint64(n), 10))
		k = d.kh.Sum()
	}
	return k
}

func (d *decoder) subject(v int64) (int64, error) {
	if d.haveLast && v == d.lastMEDS {
		return d.lastSID, nil
	}
	sid, ok := d.sids[v]
	if !ok {
		var err error
		sid, err = d.env.Resolver.Resolve(d.ctx, timeline.Identifier{System: d.system, Value: strconv.FormatInt(v, 10)})
		if err != nil {
			return 0, err
		}
		if len(d.sids) >= 1<<16 {
			d.sids = make(map[int64]int64)
		}
		d.sids[v] = sid
	}
	d.lastMEDS, d.lastSID, d.haveLast = v, sid, true
	return sid, nil
}

func (d *decoder) flush() error {
	b := d.bb.Flush()
	if b == nil {
		return nil
	}
	if err := d.fs.Write(d.ctx, b); err != nil {
		return &groupError{err}
	}
	return nil
}
