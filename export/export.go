// Package export writes a cohort's rows out of a store for data scientists:
// a MEDS 0.4 dataset, Parquet files of medtwin's own schema (the timeline
// or a detail table), or an Arrow IPC stream or file.
//
// Every format streams: records go from the store's cohort scan (ordered by
// subject, then time) to the output batch by batch, so memory stays
// bounded by the batch and row-group sizes whatever the cohort size (the
// set of distinct codes, kept for MEDS's codes.parquet, is the one thing
// that grows, with the vocabulary rather than the cohort).
//
// Directory outputs (MEDS, Parquet) are written into a hidden temporary
// directory beside the target and renamed into place when complete, so an
// interrupted export never leaves a half dataset at the target path.
//
// # Files and partitioning
//
// Output files split only at subject boundaries: each subject's rows are in
// exactly one file, contiguous and in time order (static rows first), as
// MEDS requires. A file holds about RowsPerFile rows (DefaultRowsPerFile),
// in row groups of RowGroupRows.
//
// Large cohorts are Hive-partitioned by subject bucket —
// subject_bucket=NN/part-NNNNN.parquet (under data/ for MEDS) — so that
// Spark, Trino or DuckDB (hive_partitioning) read buckets in parallel and
// prune them. A bucket is a contiguous range of subject ids: the cohort's
// id range cut into Buckets equal ranges, bucket = (subject_id − lo) /
// width, so one pass over the scan's subject order fills the buckets one
// after the other with a single file open at a time. PartitionAuto
// partitions when the export holds more than AutoPartitionRows rows
// (DefaultAutoPartitionRows), with one bucket per DefaultBucketRows rows
// (between 2 and 1024) unless Buckets says otherwise.
package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// Sentinel errors.
var (
	// ErrOptions: an impossible combination of options (MEDS of a detail
	// table, partitioning a stream).
	ErrOptions = errors.New("export: invalid options")
	// ErrExists: the output path exists and overwriting was not asked for.
	ErrExists = errors.New("export: output exists")
	// ErrUnordered: the store yielded rows out of subject/time order, which
	// would break MEDS's one-subject-one-shard rule.
	ErrUnordered = errors.New("export: rows out of subject/time order")
)

// Format is an output format.
type Format string

// Formats.
const (
	FormatMEDS    Format = "meds"
	FormatParquet Format = "parquet"
	FormatArrow   Format = "arrow"
)

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatMEDS, FormatParquet, FormatArrow:
		return f, nil
	}
	return "", fmt.Errorf("%w: format %q (want meds, parquet or arrow)", ErrOptions, s)
}

// Dataset names what is exported: the timeline or one detail table.
type Dataset string

// DatasetTimeline is the event table; the detail tables are named as
// timeline.DetailTable (variants, imaging, lesions).
const DatasetTimeline Dataset = "timeline"

// ParseDataset accepts timeline, variants, imaging (or imaging_features)
// and lesions.
func ParseDataset(s string) (Dataset, error) {
	switch s {
	case "timeline", "events":
		return DatasetTimeline, nil
	case "imaging_features":
		return Dataset(timeline.Imaging), nil
	}
	for _, t := range timeline.DetailTables() {
		if string(t) == s {
			return Dataset(t), nil
		}
	}
	return "", fmt.Errorf("%w: dataset %q (want timeline, variants, imaging_features or lesions)", ErrOptions, s)
}

// Partition says how directory outputs are laid out.
type Partition int

// Partitionings.
const (
	PartitionAuto          Partition = iota // subject buckets above AutoPartitionRows
	PartitionNone                           // flat files
	PartitionSubjectBucket                  // always subject buckets
)

// ParsePartition accepts auto, none and subject-bucket.
func ParsePartition(s string) (Partition, error) {
	switch s {
	case "auto", "":
		return PartitionAuto, nil
	case "none":
		return PartitionNone, nil
	case "subject-bucket", "subject_bucket", "hive":
		return PartitionSubjectBucket, nil
	}
	return 0, fmt.Errorf("%w: partition %q (want auto, none or subject-bucket)", ErrOptions, s)
}

// IPCFormat is the Arrow IPC flavour.
type IPCFormat string

// IPC formats.
const (
	IPCStream IPCFormat = "stream" // the streaming format (.arrows); required for stdout
	IPCFile   IPCFormat = "file"   // the random-access file format (.arrow, Feather v2)
)

// Defaults.
const (
	DefaultRowsPerFile       = 1_000_000
	DefaultRowGroupRows      = 128 * 1024
	DefaultAutoPartitionRows = 5_000_000
	DefaultBucketRows        = 1_000_000
	maxBuckets               = 1024
)

// Source is what an export reads: store.Store satisfies it.
type Source interface {
	Scan(ctx context.Context, c store.Cohort, f store.Filter) (array.RecordReader, error)
	Details(ctx context.Context, t timeline.DetailTable, c store.Cohort, f store.Filter) (array.RecordReader, error)
	Count(ctx context.Context, c store.Cohort, f store.Filter) (int64, error)
	SubjectRange(ctx context.Context) (lo, hi int64, err error)
}

// Auditor records reads; a Source that is one gets an audit entry per
// exported subject when Options.Audit is set.
type Auditor interface {
	WriteAudit(ctx context.Context, entries ...store.AuditEntry) error
}

// Options select and shape an export. The zero value of every field but
// Format is a sensible default.
type Options struct {
	Format  Format
	Dataset Dataset // DatasetTimeline when empty
	Cohort  store.Cohort
	Filter  store.Filter

	Partition         Partition
	Buckets           int   // subject buckets when partitioned (0: one per DefaultBucketRows rows)
	AutoPartitionRows int64 // PartitionAuto threshold (DefaultAutoPartitionRows when 0)
	RowsPerFile       int64 // DefaultRowsPerFile when 0
	RowGroupRows      int64 // DefaultRowGroupRows when 0
	Compression       string
	IPC               IPCFormat // IPCStream when empty
	MEDS              MEDSOptions

	// Overwrite replaces an existing output.
	Overwrite bool
	Mem       memory.Allocator
	Now       func() time.Time
	// Progress, when set, counts rows written; Total, when set, receives
	// the number of rows to write once known (timeline exports).
	Progress, Total *atomic.Int64
	// Audit, when set and the source is an Auditor, records one entry per
	// exported subject.
	Audit *store.AuditEntry
}

// Result describes a finished export.
type Result struct {
	Rows     int64
	Subjects int64
	Files    []string // relative to the output (empty for a single file or stdout)
	Buckets  int      // 0 when not partitioned
	Codes    int      // distinct codes (MEDS)
	Elapsed  time.Duration
}

func (o *Options) defaults() error {
	if o.Dataset == "" {
		o.Dataset = DatasetTimeline
	}
	if o.Mem == nil {
		o.Mem = memory.DefaultAllocator
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RowsPerFile <= 0 {
		o.RowsPerFile = DefaultRowsPerFile
	}
	if o.RowGroupRows <= 0 {
		o.RowGroupRows = DefaultRowGroupRows
	}
	if o.AutoPartitionRows <= 0 {
		o.AutoPartitionRows = DefaultAutoPartitionRows
	}
	if o.IPC == "" {
		o.IPC = IPCStream
	}
	if o.Buckets < 0 || o.Buckets > maxBuckets {
		return fmt.Errorf("%w: buckets must be between 1 and %d", ErrOptions, maxBuckets)
	}
	if o.IPC != IPCStream && o.IPC != IPCFile {
		return fmt.Errorf("%w: ipc format %q (want stream or file)", ErrOptions, o.IPC)
	}
	if _, err := codec(o.Compression); err != nil {
		return err
	}
	switch o.Format {
	case FormatMEDS:
		if o.Dataset != DatasetTimeline {
			return fmt.Errorf("%w: MEDS holds the timeline only; export %s as parquet or arrow", ErrOptions, o.Dataset)
		}
		if err := o.MEDS.defaults(); err != nil {
			return err
		}
	case FormatParquet:
	case FormatArrow:
		if o.Partition == PartitionSubjectBucket {
			return fmt.Errorf("%w: an Arrow IPC export is one stream; partition Parquet or MEDS instead", ErrOptions)
		}
	default:
		return fmt.Errorf("%w: format %q", ErrOptions, o.Format)
	}
	return nil
}

// Export writes the rows selected by o from src to out (a directory for MEDS
// and partitioned Parquet, a file for Arrow and for Parquet when out ends in
// ".parquet"; "-" writes an Arrow stream to stdout).
func Export(ctx context.Context, src Source, out string, stdout io.Writer, o Options) (*Result, error) {
	start := time.Now()
	if err := o.defaults(); err != nil {
		return nil, err
	}
	if out == "" {
		return nil, fmt.Errorf("%w: no output path", ErrOptions)
	}
	if out == "-" && o.Format != FormatArrow {
		return nil, fmt.Errorf("%w: only --format arrow writes to stdout", ErrOptions)
	}
	if out == "-" && o.IPC == IPCFile {
		return nil, fmt.Errorf("%w: the Arrow file format needs a seekable file; use the stream format for stdout", ErrOptions)
	}
	single := o.Format == FormatArrow || (o.Format == FormatParquet && hasParquetExt(out))
	if single && o.Partition == PartitionSubjectBucket {
		return nil, fmt.Errorf("%w: a partitioned export is a directory; drop the .parquet extension", ErrOptions)
	}

	var total int64 = -1
	if o.Dataset == DatasetTimeline {
		n, err := src.Count(ctx, o.Cohort, o.Filter)
		if err != nil {
			return nil, fmt.Errorf("export: counting rows: %w", err)
		}
		total = n
		if o.Total != nil {
			o.Total.Store(n)
		}
	}
	var bk *buckets
	if !single && (o.Partition == PartitionSubjectBucket || (o.Partition == PartitionAuto && total > o.AutoPartitionRows)) && total != 0 {
		b, err := planBuckets(ctx, src, o.Cohort, o.Buckets, total)
		if err != nil {
			return nil, err
		}
		bk = b
	}

	rr, err := open(ctx, src, o)
	if err != nil {
		return nil, err
	}
	defer rr.Release()

	e := &exporter{ctx: ctx, o: o, src: src, total: total}
	if a, ok := src.(Auditor); ok && o.Audit != nil {
		e.audit = a
	}
	res := &Result{}
	switch {
	case out == "-":
		err = e.arrow(rr, stdout)
	case o.Format == FormatArrow:
		err = e.toFile(out, func(w io.WriteSeeker) error { return e.arrow(rr, w) })
	case single:
		err = e.toFile(out, func(w io.WriteSeeker) error { return e.parquetFile(rr, w) })
	case o.Format == FormatParquet:
		err = e.toDir(out, func(dir string) error { return e.parquetDir(rr, dir, bk) })
	case o.Format == FormatMEDS:
		err = e.toDir(out, func(dir string) error { return e.meds(rr, dir, bk) })
	}
	if err != nil {
		return nil, err
	}
	res.Rows, res.Subjects, res.Files, res.Codes = e.rows, e.subjects, e.files, e.codes
	if bk != nil {
		res.Buckets = bk.n
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

func open(ctx context.Context, src Source, o Options) (array.RecordReader, error) {
	var (
		rr  array.RecordReader
		err error
	)
	if o.Dataset == DatasetTimeline {
		rr, err = src.Scan(ctx, o.Cohort, o.Filter)
	} else {
		rr, err = src.Details(ctx, timeline.DetailTable(o.Dataset), o.Cohort, o.Filter)
	}
	if err != nil {
		return nil, fmt.Errorf("export: reading %s: %w", o.Dataset, err)
	}
	return rr, nil
}

// exporter carries one export's state.
type exporter struct {
	ctx   context.Context
	o     Options
	src   Source
	total int64

	rows     int64
	subjects int64
	files    []string
	codes    int

	cursor subjectCursor

	audit   Auditor
	pending []store.AuditEntry
}

// subjectCursor follows the subjects of consecutive records ordered by
// subject.
type subjectCursor struct {
	last int64
	have bool
}

// each calls fn at the first row of every subject of subj, and fails on a
// subject out of order.
func (c *subjectCursor) each(subj *array.Int64, fn func(row int, subject int64) error) error {
	for i := 0; i < subj.Len(); i++ {
		s := subj.Value(i)
		if c.have && s == c.last {
			continue
		}
		if c.have && s < c.last {
			return fmt.Errorf("%w: subject %d after %d", ErrUnordered, s, c.last)
		}
		c.last, c.have = s, true
		if err := fn(i, s); err != nil {
			return err
		}
	}
	return nil
}

// count tallies a record's rows and subjects (and audits new subjects).
func (e *exporter) count(rec arrow.Record) error {
	subj, ok := rec.Column(0).(*array.Int64)
	if !ok || rec.Schema().Field(0).Name != "subject_id" {
		return fmt.Errorf("export: %w: first column is not subject_id", timeline.ErrSchema)
	}
	err := e.cursor.each(subj, func(_ int, s int64) error {
		e.subjects++
		if e.audit == nil {
			return nil
		}
		a := *e.o.Audit
		a.SubjectID = s
		if a.Time.IsZero() {
			a.Time = e.o.Now()
		}
		e.pending = append(e.pending, a)
		if len(e.pending) >= 1000 {
			return e.flushAudit()
		}
		return nil
	})
	if err != nil {
		return err
	}
	e.rows += rec.NumRows()
	if e.o.Progress != nil {
		e.o.Progress.Add(rec.NumRows())
	}
	return nil
}

func (e *exporter) flushAudit() error {
	if e.audit == nil || len(e.pending) == 0 {
		return nil
	}
	if err := e.audit.WriteAudit(e.ctx, e.pending...); err != nil {
		return fmt.Errorf("export: audit log: %w", err)
	}
	e.pending = e.pending[:0]
	return nil
}

// each drains rr, calling fn for every record after counting it.
func (e *exporter) each(rr array.RecordReader, fn func(arrow.Record) error) error {
	for rr.Next() {
		if err := e.ctx.Err(); err != nil {
			return err
		}
		rec := rr.Record()
		if err := e.count(rec); err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil {
		return fmt.Errorf("export: reading %s: %w", e.o.Dataset, err)
	}
	return e.flushAudit()
}
