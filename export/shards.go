package export

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"strconv"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"

	"github.com/medtwin/medtwin/store"
)

// BucketColumn is the Hive partition key of partitioned outputs.
const BucketColumn = "subject_bucket"

// buckets cuts a subject id range [lo, lo+span) into n contiguous ranges
// of (nearly) equal width: bucket = (subject_id − lo) × n / span.
type buckets struct {
	lo     int64
	span   uint64
	n      int
	digits int
}

func (b *buckets) of(subject int64) int {
	if subject <= b.lo {
		return 0
	}
	off := uint64(subject - b.lo)
	if off >= b.span {
		return b.n - 1
	}
	hi, lo := bits.Mul64(off, uint64(b.n))
	q, _ := bits.Div64(hi, lo, b.span) // hi < span since off < span
	return int(q)
}

func (b *buckets) dir(i int) string {
	return fmt.Sprintf("%s=%0*d", BucketColumn, b.digits, i)
}

// planBuckets sizes the buckets for a cohort: the id range is the cohort's
// explicit ids, else the store's range narrowed by the cohort's bounds.
func planBuckets(ctx context.Context, src Source, c store.Cohort, n int, total int64) (*buckets, error) {
	var lo, hi int64
	if len(c.SubjectIDs) > 0 {
		lo, hi = math.MaxInt64, math.MinInt64
		for _, s := range c.SubjectIDs {
			lo, hi = min(lo, s), max(hi, s)
		}
	} else {
		var err error
		lo, hi, err = src.SubjectRange(ctx)
		if err != nil {
			return nil, fmt.Errorf("export: subject range: %w", err)
		}
	}
	if c.MinSubject > 0 && c.MinSubject > lo {
		lo = c.MinSubject
	}
	if c.MaxSubject > 0 && c.MaxSubject < hi {
		hi = c.MaxSubject
	}
	if hi < lo {
		hi = lo
	}
	if n <= 0 {
		n = int(min(max((total+DefaultBucketRows-1)/DefaultBucketRows, 2), maxBuckets))
	}
	span := uint64(hi-lo) + 1
	if uint64(n) > span {
		n = int(span)
	}
	return &buckets{lo: lo, span: span, n: n, digits: max(2, len(strconv.Itoa(n-1)))}, nil
}

func codec(name string) (compress.Compression, error) {
	switch name {
	case "", "snappy":
		return compress.Codecs.Snappy, nil
	case "zstd":
		return compress.Codecs.Zstd, nil
	case "gzip":
		return compress.Codecs.Gzip, nil
	case "none", "uncompressed":
		return compress.Codecs.Uncompressed, nil
	}
	return 0, fmt.Errorf("%w: compression %q (want snappy, zstd, gzip or none)", ErrOptions, name)
}

// writerProps are the Parquet properties of every file an export writes:
// the chosen codec, statistics (so readers prune by subject_id and time),
// dictionary encoding except for columns of unique values.
func (e *exporter) writerProps() (*parquet.WriterProperties, pqarrow.ArrowWriterProperties) {
	c, _ := codec(e.o.Compression)
	// Parquet's own buffers come from the Go allocator, not Options.Mem:
	// v15's buffered page writer hands one 256-byte reset buffer per
	// column chunk to the garbage collector instead of releasing it, which
	// a checked allocator would report.
	props := parquet.NewWriterProperties(
		parquet.WithAllocator(memory.DefaultAllocator),
		parquet.WithCompression(c),
		parquet.WithMaxRowGroupLength(e.o.RowGroupRows),
		parquet.WithDictionaryFor("record_key", false),
		parquet.WithDictionaryFor("source", false),
		// Sorted ids and times compress as well without a dictionary, and
		// v15's int64 dictionary encoder allocates per value.
		parquet.WithDictionaryFor("subject_id", false),
		parquet.WithDictionaryFor("time", false),
		parquet.WithDictionaryFor("end_time", false),
		parquet.WithDictionaryFor("available_at", false),
		parquet.WithCreatedBy("medtwin"),
	)
	// The Arrow schema is stored in the file so that Arrow readers get the
	// exact types back (time zones, large_utf8, dictionaries).
	return props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(memory.DefaultAllocator))
}

// shardWriter writes records (subject_id first, ordered by subject) into
// Parquet files under root, starting a new file only at a subject boundary:
// when the current file reached rowsPerFile rows or, when partitioned, the
// subject's bucket changes.
type shardWriter struct {
	e           *exporter
	root        string
	schema      *arrow.Schema
	rowsPerFile int64
	bk          *buckets
	name        func(seq int) string
	open        func(w io.Writer) (recordWriter, error)

	cur       recordWriter
	curRows   int64
	curBucket int
	seq       map[int]int
	files     []string
	cursor    subjectCursor
}

func (e *exporter) newShardWriter(root string, schema *arrow.Schema, bk *buckets, name func(int) string, open func(io.Writer) (recordWriter, error)) *shardWriter {
	return &shardWriter{e: e, root: root, schema: schema, rowsPerFile: e.o.RowsPerFile, bk: bk, name: name, open: open, seq: map[int]int{}}
}

// pqarrowFile opens pqarrow writers of schema sc.
func (e *exporter) pqarrowFile(sc *arrow.Schema) func(io.Writer) (recordWriter, error) {
	return func(w io.Writer) (recordWriter, error) {
		props, aprops := e.writerProps()
		fw, err := pqarrow.NewFileWriter(sc, w, props, aprops)
		if err != nil {
			return nil, err
		}
		return &pqWriter{FileWriter: fw, half: max(1, e.o.RowGroupRows/2)}, nil
	}
}

// flatFile opens flat writers of schema sc (naive timestamps kept naive).
func (e *exporter) flatFile(sc *arrow.Schema) func(io.Writer) (recordWriter, error) {
	return func(w io.Writer) (recordWriter, error) {
		props, aprops := e.writerProps()
		return newFlatWriter(w, sc, props, aprops)
	}
}

func (w *shardWriter) Write(rec arrow.Record) error {
	start := 0
	err := w.cursor.each(rec.Column(0).(*array.Int64), func(i int, s int64) error {
		b := 0
		if w.bk != nil {
			b = w.bk.of(s)
		}
		if w.cur != nil && b == w.curBucket && w.curRows+int64(i-start) < w.rowsPerFile {
			return nil
		}
		if err := w.writeSlice(rec, start, i); err != nil {
			return err
		}
		start = i
		return w.rotate(b)
	})
	if err != nil {
		return err
	}
	return w.writeSlice(rec, start, int(rec.NumRows()))
}

func (w *shardWriter) writeSlice(rec arrow.Record, from, to int) error {
	if to <= from {
		return nil
	}
	part := rec
	if from != 0 || to != int(rec.NumRows()) {
		part = rec.NewSlice(int64(from), int64(to))
		defer part.Release()
	}
	if err := w.cur.Write(part); err != nil {
		return fmt.Errorf("export: writing %s: %w", w.files[len(w.files)-1], err)
	}
	w.curRows += int64(to - from)
	return nil
}

// rotate closes the current file and opens the next one of bucket b.
func (w *shardWriter) rotate(b int) error {
	if err := w.Close(); err != nil {
		return err
	}
	rel := w.name(w.seq[b])
	w.seq[b]++
	if w.bk != nil {
		rel = filepath.Join(w.bk.dir(b), rel)
	}
	path := filepath.Join(w.root, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fw, err := w.open(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("export: %s: %w", rel, err)
	}
	w.cur, w.curRows, w.curBucket = fw, 0, b
	w.files = append(w.files, filepath.ToSlash(rel))
	return nil
}

// Close finishes the current file. A writer that never received a row
// writes one empty file, so that readers still find the schema.
func (w *shardWriter) Close() error {
	if w.cur == nil {
		return nil
	}
	err := w.cur.Close() // closes the file too
	w.cur = nil
	if err != nil {
		return fmt.Errorf("export: closing %s: %w", w.files[len(w.files)-1], err)
	}
	return nil
}

// finish closes the last file, writing an empty one when there was none.
func (w *shardWriter) finish() ([]string, error) {
	if len(w.files) == 0 {
		w.bk = nil
		if err := w.rotate(0); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return w.files, nil
}

func partName(seq int) string { return fmt.Sprintf("part-%05d.parquet", seq) }

// parquetDir writes medtwin's schema (the reader's) as a directory of
// Parquet files.
func (e *exporter) parquetDir(rr array.RecordReader, dir string, bk *buckets) error {
	w := e.newShardWriter(dir, rr.Schema(), bk, partName, e.pqarrowFile(rr.Schema()))
	err := e.each(rr, w.Write)
	if err != nil {
		w.Close()
		return err
	}
	if e.files, err = w.finish(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(e.provenance(bk), "", "  ")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ProvenanceFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	e.files = append(e.files, ProvenanceFile)
	return nil
}

// ProvenanceFile, in a Parquet directory export, describes the export
// (Provenance). Its leading underscore makes Spark, Trino and DuckDB's
// globbing skip it.
const ProvenanceFile = "_medtwin.json"

// parquetFile writes medtwin's schema as one Parquet file.
func (e *exporter) parquetFile(rr array.RecordReader, f io.Writer) error {
	fw, err := e.pqarrowFile(rr.Schema())(nopCloser{f})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	err = e.each(rr, fw.Write)
	if cerr := fw.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("export: %w", cerr)
	}
	return err
}

// nopCloser keeps pqarrow from closing a file the caller closes.
type nopCloser struct{ io.Writer }
