package export_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/export"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// memSource serves prebuilt timeline records, so that benchmarks measure
// the export alone (conversion, encoding, files), not a store's scan.
type memSource struct {
	recs   []arrow.Record
	rows   int64
	lo, hi int64
}

func (m *memSource) Scan(context.Context, store.Cohort, store.Filter) (array.RecordReader, error) {
	return array.NewRecordReader(timeline.EventSchema, m.recs)
}
func (m *memSource) Details(context.Context, timeline.DetailTable, store.Cohort, store.Filter) (array.RecordReader, error) {
	return nil, fmt.Errorf("no details")
}
func (m *memSource) Count(context.Context, store.Cohort, store.Filter) (int64, error) {
	return m.rows, nil
}
func (m *memSource) SubjectRange(context.Context) (int64, int64, error) { return m.lo, m.hi, nil }

// newMemSource builds rows events, 200 a subject, in store-sized batches
// of 64Ki rows: labs with units and sources, as a hospital store holds.
func newMemSource(b *testing.B, rows int) *memSource {
	m := &memSource{lo: 1}
	bb := timeline.NewBatchBuilder(memory.DefaultAllocator, 64*1024)
	defer bb.Release()
	codes := []string{"LOINC//1742-6", "LOINC//1920-8", "LOINC//777-3", "LOINC//2160-0", "LOINC//1975-2", "LOINC//8867-4"}
	units := []string{"U/L", "U/L", "10*9/L", "mg/dL", "mg/dL", "/min"}
	t0 := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < rows; i++ {
		subject := int64(1 + i/200)
		c := i % len(codes)
		e := timeline.Event{SubjectID: subject, Time: t0.Add(time.Duration(i%200) * time.Hour), Code: codes[c], Unit: units[c],
			Value: float64(i%997) / 7, HasValue: true, Kind: timeline.KindLab, Source: fmt.Sprintf("labs.ndjson#%d", i),
			Key: timeline.NewKey(fmt.Sprint(i))}
		if err := bb.Append(&e); err != nil {
			b.Fatal(err)
		}
		if bb.Full() {
			bt := bb.Flush()
			m.recs = append(m.recs, bt.Events)
		}
		m.hi = subject
	}
	if bt := bb.Flush(); bt != nil {
		m.recs = append(m.recs, bt.Events)
	}
	m.rows = int64(rows)
	return m
}

// BenchmarkExport measures each format's writer on 1,000,000 rows (enough
// for several files, row groups and, with subject buckets, partitions)
// served from memory.
func BenchmarkExport(b *testing.B) {
	src := newMemSource(b, 1_000_000)
	dir := b.TempDir()
	for _, c := range []struct {
		name string
		o    export.Options
		out  string
	}{
		{"format=meds", export.Options{Format: export.FormatMEDS}, "meds"},
		{"format=meds/buckets=8", export.Options{Format: export.FormatMEDS, Partition: export.PartitionSubjectBucket, Buckets: 8}, "medsb"},
		{"format=parquet", export.Options{Format: export.FormatParquet}, "full"},
		{"format=arrow", export.Options{Format: export.FormatArrow}, "-"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				o := c.o
				o.Overwrite = true
				out := c.out
				if out != "-" {
					out = filepath.Join(dir, out)
				}
				res, err := export.Export(context.Background(), src, out, io.Discard, o)
				if err != nil {
					b.Fatal(err)
				}
				if res.Rows != src.rows {
					b.Fatalf("%d rows", res.Rows)
				}
			}
			b.ReportMetric(float64(src.rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
