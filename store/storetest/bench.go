package storetest

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/internal/benchdata"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// BenchOpener returns a fresh, empty store for a benchmark.
type BenchOpener func(b *testing.B) store.Store

// Bench runs the store benchmarks every backend shares (sizes are small
// enough for `go test -bench`; scripts/bench.d/10-store.sh runs the
// issue's sizes through internal/storebench):
//
//   - Append/rows=65536: one ingest batch (timeline.DefaultBatchRows) of new
//     rows per op, arriving in time order over 100 patients.
//   - Timeline/events=1000: one patient's whole timeline (the 1,000
//     events) out of 100 patients.
//   - Scan/rows=100000: a full cohort scan into Arrow records.
func Bench(b *testing.B, open BenchOpener) {
	b.Run("Append/rows=65536", func(b *testing.B) { benchAppend(b, open) })
	b.Run("Timeline/events=1000", func(b *testing.B) { benchTimeline(b, open) })
	b.Run("Scan/rows=100000", func(b *testing.B) { benchScan(b, open) })
}

// Subjects resolves the identifiers of benchdata patients 0…n-1 in s and
// returns their subject ids.
func Subjects(tb testing.TB, s store.Store, n int) []int64 {
	tb.Helper()
	ids := make([]int64, n)
	for p := range ids {
		sid, err := s.Resolve(ctx, benchdata.Identifier(p))
		if err != nil {
			tb.Fatal(err)
		}
		ids[p] = sid
	}
	return ids
}

// Load resolves spec's patients in s and appends spec's events in its
// batches; it returns the subject ids.
func Load(tb testing.TB, s store.Store, spec benchdata.Spec) []int64 {
	tb.Helper()
	ids := Subjects(tb, s, spec.Patients)
	err := spec.Batches(ids, func(bt *timeline.Batch) error {
		defer bt.Release()
		_, err := s.Append(ctx, bt)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ids
}

func benchAppend(b *testing.B, open BenchOpener) {
	s := open(b)
	const rows = timeline.DefaultBatchRows
	spec := benchdata.Spec{Patients: 100, Events: 1 << 30}
	ids := Subjects(b, s, spec.Patients)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		bb := timeline.NewBatchBuilder(memory.DefaultAllocator, rows, timeline.WithFutureTolerance(1<<62))
		for r := i * rows; r < (i+1)*rows; r++ {
			e := spec.Event(r, ids)
			if err := bb.Append(&e); err != nil {
				b.Fatal(err)
			}
		}
		batch := bb.Flush()
		bb.Release()
		b.StartTimer()
		res, err := s.Append(ctx, batch)
		if err != nil || res.Inserted != rows {
			b.Fatalf("append: %+v, %v", res, err)
		}
		batch.Release()
	}
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
}

func benchTimeline(b *testing.B, open BenchOpener) {
	s := open(b)
	ids := Load(b, s, benchdata.Spec{Patients: 100, Events: 1000})
	if err := s.Maintain(ctx); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		rr, err := s.Timeline(ctx, ids[rng.IntN(len(ids))], store.Filter{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rr.Next() {
			n += int(rr.Record().NumRows())
		}
		if err := rr.Err(); err != nil || n != 1000 {
			b.Fatalf("timeline: %d rows, %v", n, err)
		}
		rr.Release()
	}
	b.ReportMetric(float64(b.N*1000)/time.Since(start).Seconds(), "rows/s")
}

func benchScan(b *testing.B, open BenchOpener) {
	s := open(b)
	Load(b, s, benchdata.Spec{Patients: 100, Events: 1000})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rr, err := s.Scan(ctx, store.Cohort{}, store.Filter{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rr.Next() {
			n += int(rr.Record().NumRows())
		}
		if err := rr.Err(); err != nil || n != 100000 {
			b.Fatalf("scan: %d rows, %v", n, err)
		}
		rr.Release()
	}
	b.ReportMetric(float64(b.N*100000)/b.Elapsed().Seconds(), "rows/s")
}
