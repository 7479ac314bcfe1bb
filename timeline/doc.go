// Package timeline defines medtwin's columnar patient timeline: the Arrow
// schemas of the event table and its typed detail tables (variants, imaging,
// lesions), builders that append validated rows into bounded record batches,
// the record-key hash that makes ingest idempotent, and the code table that
// maps the clinical concepts the twins need to the codes and units that
// report them.
//
// The event schema is a superset of MEDS (subject_id, time, code,
// numeric_value, text_value): any MEDS tool reads an export unchanged. The
// extra columns carry what a clinical platform needs: the kind of event, an
// end time for intervals, provenance, the record key and the two clocks of
// the design (available_at for as-of reads, recorded_at and superseded_at
// for known-by reads).
//
// Builders are not safe for concurrent use; records they produce are
// immutable and may be shared once built.
package timeline
