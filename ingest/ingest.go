// Package ingest turns source files into timeline batches in a store. It
// defines the Adapter interface each format implements (ingest/fhir,
// ingest/vcf, ingest/maf, ingest/dicom, ingest/meds, ingest/imagingcsv), a
// Registry that detects formats by content, and a Runner that walks paths,
// hands each adapter its files, writes every batch in one transaction,
// counts accepted, rejected and duplicate records per file and records the
// run's manifest.
//
// Adapters stream: memory stays bounded by the batch size whatever the file
// size. A bad record is reported with its file and locator (line, entry,
// tag) and the rest of the file goes on; a fatal error stops that file,
// keeping the batches already written, and the run goes on with the next.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/timeline"
)

// Sentinel errors.
var (
	// ErrUnrecognised: no adapter claims the file.
	ErrUnrecognised = errors.New("ingest: unrecognised format")
	// ErrDuplicateAdapter: an adapter name registered twice.
	ErrDuplicateAdapter = errors.New("ingest: adapter registered twice")
)

// Adapter reads one source format.
type Adapter interface {
	// Name is the format's short name (fhir, vcf, maf, dicom, meds, …).
	Name() string
	// Detect reports whether a file is in this format. head holds the
	// file's first bytes (up to HeadSize), decompressed when the file is
	// gzip/BGZF compressed.
	Detect(path string, head []byte) bool
	// Ingest reads the files (all of this format in one run, in the order
	// given) and writes batches to sink. It returns an error only when the
	// whole group cannot go on (context cancelled, store failing); a file's
	// own fatal error goes to that file's Done.
	Ingest(ctx context.Context, env *Env, files []*Input, sink Sink) error
}

// HeadSize is how many leading bytes Detect sees.
const HeadSize = 16 << 10

// Resolver maps patient identifiers to subject ids (store.Store does).
type Resolver interface {
	Resolve(ctx context.Context, ids ...timeline.Identifier) (int64, error)
}

// Options are the user's choices that adapters read.
type Options struct {
	// Samples is the path of a sample manifest CSV
	// (sample,system,value[,collected,tissue,tumor_normal]).
	Samples string
	// SampleSystem links sample names without a manifest entry to patients
	// by this identifier system (e.g. the VCF sample name is the MRN).
	SampleSystem string
	// Features computes pixel-derived imaging features while ingesting DICOM.
	Features bool
	// KeepAll keeps filtered variants and reference genotypes.
	KeepAll bool
	// VariantFilters are the FILTER values kept (default PASS and ".").
	VariantFilters []string
	// Namespace names the source system for source-local ids (FHIR
	// Patient.id without a server base). Empty: derived per adapter.
	Namespace string
}

// Env is what an adapter may use. It is shared by the adapters of a run.
type Env struct {
	Mem       memory.Allocator
	Resolver  Resolver
	Codes     *timeline.CodeTable
	BatchRows int
	Now       func() time.Time
	Logger    *slog.Logger
	Options   Options
	// Writers is how many store writes an adapter that writes many small
	// units (DICOM studies) may have in flight at once; 1 when 0. Runner
	// sets it from a target that says how many it serves well
	// (ConcurrentWriter).
	Writers int
}

// ConcurrentWriter is a Target that gains from concurrent writes: a server
// database, where one write is several network round trips. The embedded
// store serialises its writers and does not implement it.
type ConcurrentWriter interface {
	ConcurrentWrites() int
}

// WriteLimit returns how many writes an adapter may have in flight (Writers,
// at least 1).
func (e *Env) WriteLimit() int { return max(1, e.Writers) }

// NewBatchBuilder returns a batch builder configured from the environment.
func (e *Env) NewBatchBuilder() *timeline.BatchBuilder {
	return timeline.NewBatchBuilder(e.Mem, e.BatchRows, timeline.WithClock(e.Now))
}

// Sink receives an adapter's output, per file.
type Sink interface {
	// File returns the sink of one input. Adapters that aggregate several
	// files (a DICOM series) may open a sink for an Input they make, such as
	// the series directory.
	File(in *Input) FileSink
}

// FileSink receives the output of one file. Its methods are safe for
// concurrent use.
type FileSink interface {
	// Write stores a batch in one transaction and releases it.
	Write(ctx context.Context, b *timeline.Batch) error
	// Reject records a bad record; the rest of the file goes on.
	Reject(err *ParseError)
	// Skip counts records that were read but deliberately not mapped (an
	// unmapped FHIR resource type, a filtered variant), by category.
	Skip(category string, n int64)
	// Done ends the file; err is the file's fatal error, if any.
	Done(err error)
}

// ParseError locates a bad record. It never carries patient data: Record
// and Field are locators, Err says what rule was broken.
type ParseError struct {
	Source string // file name
	Record string // locator: "line 12", "entry 3", "row group 1 row 17", "tag (0010,0020)"
	Field  string // field or element, when known
	Err    error
}

func (e *ParseError) Error() string {
	msg := e.Source
	if e.Record != "" {
		msg += ": " + e.Record
	}
	if e.Field != "" {
		msg += ": " + e.Field
	}
	return fmt.Sprintf("%s: %v", msg, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Rejectf builds a ParseError.
func Rejectf(source, record, field string, format string, args ...any) *ParseError {
	return &ParseError{Source: source, Record: record, Field: field, Err: fmt.Errorf(format, args...)}
}

// Input is one file handed to an adapter.
type Input struct {
	// Path is the file's path on disk.
	Path string
	// Name is its provenance name: the path relative to the argument it was
	// found under, prefixed by that argument's base name.
	Name string
	Size int64
	// Compressed is true when the file starts with a gzip member (BGZF
	// included).
	Compressed bool

	counter  *Counter
	hash     *hashState
	explicit bool // named on the command line, not found in a directory
}

// Counter counts bytes read across inputs, for progress display.
type Counter struct{ n atomicInt64 }

// Load returns the bytes counted so far.
func (c *Counter) Load() int64 { return c.n.Load() }

type countingReader struct {
	r io.Reader
	c *Counter
	h *hashState
}

func (cr *countingReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	if n > 0 {
		if cr.c != nil {
			cr.c.n.Add(int64(n))
		}
		if cr.h != nil {
			cr.h.write(p[:n])
		}
	}
	return n, err
}
