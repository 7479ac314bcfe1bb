package variant

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/samples"
	"github.com/medtwin/medtwin/timeline"
)

// Call is one allele of one sample as the adapters hand it over: the detail
// row (SubjectID, Sample, locus, genotype, annotation…) and what only the
// event carries.
type Call struct {
	timeline.Variant
	// Time is the sample's collection time; zero means static.
	Time time.Time
	// Value is the dosage (germline) or allele fraction (somatic).
	Value    float64
	HasValue bool
	// GenomicHGVS is a genomic HGVS for the code when the annotation has no
	// protein or transcript change (ClinVar CLNHGVS).
	GenomicHGVS string
	// Locator locates the source record ("line 12").
	Locator string
}

// Writer appends variant events and their detail rows to bounded batches
// and writes each full batch to its file sink. Not safe for concurrent use.
type Writer struct {
	bb     *timeline.BatchBuilder
	fs     ingest.FileSink
	source string
	kh     timeline.KeyHasher
	ev     timeline.Event
	n      int64
}

// NewWriter returns a writer for one file; source is the file's provenance
// name.
func NewWriter(env *ingest.Env, fs ingest.FileSink, source string) *Writer {
	return &Writer{bb: env.NewBatchBuilder(), fs: fs, source: source}
}

// Add appends one call. A call the timeline refuses (a collection time in
// the future) is rejected through the sink with its locator; the error
// returned is the store's, when a full batch fails to write.
func (w *Writer) Add(ctx context.Context, c *Call) error {
	v := &c.Variant
	v.Key = Key(&w.kh, v.Sample, v.Chrom, v.Pos, v.Ref, v.Alt)
	w.ev = timeline.Event{
		SubjectID: v.SubjectID,
		Time:      c.Time,
		Code:      Code(v.Gene, v.HGVSp, v.HGVSc, c.GenomicHGVS, v.Chrom, v.Pos, v.Ref, v.Alt),
		Value:     c.Value,
		HasValue:  c.HasValue,
		Text:      v.Consequence,
		Kind:      timeline.KindVariant,
		Source:    w.source + "#" + c.Locator,
		Key:       v.Key,
	}
	if err := w.bb.Append(&w.ev); err != nil {
		w.fs.Reject(&ingest.ParseError{Source: w.source, Record: c.Locator, Err: err})
		return nil
	}
	if err := w.bb.Detail(timeline.Variants).AppendVariant(v); err != nil {
		// Append accepted the event, so subject and key are set: this is a
		// programming error, not bad input.
		return fmt.Errorf("variant: detail row: %w", err)
	}
	w.n++
	if w.bb.Full() {
		return w.Flush(ctx)
	}
	return nil
}

// Flush writes the pending rows.
func (w *Writer) Flush(ctx context.Context) error {
	if b := w.bb.Flush(); b != nil {
		return w.fs.Write(ctx, b)
	}
	return nil
}

// Added returns how many calls were accepted.
func (w *Writer) Added() int64 { return w.n }

// Release frees the writer's builders.
func (w *Writer) Release() { w.bb.Release() }

// StoreError marks an error that stops a whole group of files (the store
// failing, the context ending) rather than one file.
type StoreError struct{ Err error }

func (e *StoreError) Error() string { return e.Err.Error() }
func (e *StoreError) Unwrap() error { return e.Err }

// IngestFiles is the file loop of the genomic adapters: it loads the run's
// sample linking (ingest/samples), then ingests each file with fn, ending
// each file with fn's error. It stops at a *StoreError (returning its
// cause) or when the context ends.
func IngestFiles(ctx context.Context, env *ingest.Env, files []*ingest.Input, sink ingest.Sink,
	fn func(ctx context.Context, linker *samples.Linker, in *ingest.Input, fs ingest.FileSink) error) error {
	linker, err := samples.NewLinker(env)
	if err != nil {
		return err
	}
	for _, in := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		fs := sink.File(in)
		err := fn(ctx, linker, in, fs)
		fs.Done(err)
		var se *StoreError
		if errors.As(err, &se) {
			return se.Err
		}
	}
	return nil
}
