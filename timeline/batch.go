package timeline

import (
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// Batch is the unit an ingest adapter hands to a store: a record of events
// and the detail rows that hang off them. A store writes a batch in one
// transaction. Detail rows reference events of the same batch by
// (subject_id, record_key).
type Batch struct {
	Events   arrow.Record // EventSchema; never nil
	Variants arrow.Record // VariantSchema, or nil
	Imaging  arrow.Record // ImagingSchema, or nil
	Lesions  arrow.Record // LesionSchema, or nil
}

// Detail returns the batch's record for a detail table (nil when none).
func (b *Batch) Detail(t DetailTable) arrow.Record {
	switch t {
	case Variants:
		return b.Variants
	case Imaging:
		return b.Imaging
	case Lesions:
		return b.Lesions
	}
	return nil
}

// Rows returns the number of event rows.
func (b *Batch) Rows() int {
	if b == nil || b.Events == nil {
		return 0
	}
	return int(b.Events.NumRows())
}

// Release releases every record of the batch.
func (b *Batch) Release() {
	for _, r := range []arrow.Record{b.Events, b.Variants, b.Imaging, b.Lesions} {
		if r != nil {
			r.Release()
		}
	}
}

// BatchBuilder accumulates events and detail rows and hands them out as
// bounded batches. Not safe for concurrent use.
type BatchBuilder struct {
	mem     memory.Allocator
	limit   int
	Events  *Builder
	details map[DetailTable]*DetailBuilder
}

// NewBatchBuilder returns a builder whose batches hold at most limit event
// rows (DefaultBatchRows when limit <= 0).
func NewBatchBuilder(mem memory.Allocator, limit int, opts ...BuilderOption) *BatchBuilder {
	if limit <= 0 {
		limit = DefaultBatchRows
	}
	return &BatchBuilder{
		mem: mem, limit: limit, Events: NewBuilder(mem, opts...),
		details: make(map[DetailTable]*DetailBuilder),
	}
}

// Append validates and appends an event.
func (b *BatchBuilder) Append(e *Event) error { return b.Events.Append(e) }

// Detail returns the builder for a detail table, creating it on first use.
func (b *BatchBuilder) Detail(t DetailTable) *DetailBuilder {
	d, ok := b.details[t]
	if !ok {
		d = NewDetailBuilder(b.mem, t)
		b.details[t] = d
	}
	return d
}

// Len returns the event rows pending.
func (b *BatchBuilder) Len() int { return b.Events.Len() }

// Full reports whether the pending rows reached the limit.
func (b *BatchBuilder) Full() bool {
	if b.Events.Len() >= b.limit {
		return true
	}
	for _, d := range b.details {
		if d.Len() >= b.limit {
			return true
		}
	}
	return false
}

// Flush returns the pending rows as a batch, or nil when nothing is
// pending. The caller releases the batch.
func (b *BatchBuilder) Flush() *Batch {
	pending := b.Events.Len() > 0
	for _, d := range b.details {
		pending = pending || d.Len() > 0
	}
	if !pending {
		return nil
	}
	out := &Batch{Events: b.Events.NewRecord()}
	for t, d := range b.details {
		if d.Len() == 0 {
			continue
		}
		rec := d.NewRecord()
		switch t {
		case Variants:
			out.Variants = rec
		case Imaging:
			out.Imaging = rec
		case Lesions:
			out.Lesions = rec
		}
	}
	return out
}

// Release frees the builders.
func (b *BatchBuilder) Release() {
	b.Events.Release()
	for _, d := range b.details {
		d.Release()
	}
}
