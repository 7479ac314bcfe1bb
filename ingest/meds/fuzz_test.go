package meds_test

import (
	"bytes"
	"context"
	"hash/fnv"
	"os"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet/compress"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/meds"
	"github.com/medtwin/medtwin/ingest/meds/medstest"
	"github.com/medtwin/medtwin/timeline"
)

// fakeSink counts what a reader hands a file sink.
type fakeSink struct {
	rows, rejected, skipped int64
}

func (f *fakeSink) Write(_ context.Context, b *timeline.Batch) error {
	f.rows += int64(b.Rows())
	b.Release()
	return nil
}
func (f *fakeSink) Reject(*ingest.ParseError) { f.rejected++ }
func (f *fakeSink) Skip(_ string, n int64)    { f.skipped += n }
func (f *fakeSink) Done(error)                {}

// hashResolver gives each identifier a stable positive subject id.
type hashResolver struct{}

func (hashResolver) Resolve(_ context.Context, ids ...timeline.Identifier) (int64, error) {
	h := fnv.New64a()
	h.Write([]byte(ids[0].String()))
	return int64(h.Sum64()>>2) + 1, nil
}

func seedFile(t testing.TB, o medstest.Options, rows ...medstest.Row) []byte {
	var buf bytes.Buffer
	w, err := medstest.NewWriter(&buf, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzReadFile feeds arbitrary bytes to the MEDS reader: it must never
// panic, and every row it reads is either written or rejected.
func FuzzReadFile(f *testing.F) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	rows := []medstest.Row{
		r(1, time.Time{}, "GENDER//F"), r(1, at, "LOINC//1742-6").V(30), r(1, at, "NOTE").T("text"),
		r(2, at, "LOINC//1742-6").V(1.1).NullSubject(), r(2, at, ""),
	}
	f.Add(seedFile(f, medstest.Options{}, rows...))
	f.Add(seedFile(f, medstest.Options{RowGroupRows: 2, Compression: compress.Codecs.Uncompressed}, rows...))
	f.Add(seedFile(f, medstest.Options{SubjectAsString: true}, rows...))
	f.Add(seedFile(f, medstest.Options{NoValueColumns: true}, rows[:2]...))
	var big bytes.Buffer
	if _, err := medstest.Synth(&big, 300, 30, 1, medstest.Options{RowGroupRows: 100, Compression: compress.Codecs.Uncompressed}); err != nil {
		f.Fatal(err)
	}
	f.Add(big.Bytes())
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		env := &ingest.Env{Mem: memory.NewGoAllocator(), Resolver: hashResolver{}, Codes: timeline.DefaultCodes(), BatchRows: 64, Now: time.Now}
		sink := &fakeSink{}
		_ = meds.ReadFile(context.Background(), env, "fuzz.parquet", "meds:fuzz", bytes.NewReader(data), sink, nil)
	})
}

// BenchmarkReadFile measures the reader alone (Parquet decode, mapping,
// validated Arrow batches; no store) on a synthetic MEDS file of 200,000
// rows — large enough for several row groups and batches — or on the file
// MEDTWIN_MEDS_BENCH_FILE names (scripts/bench.d/20-meds.sh).
func BenchmarkReadFile(b *testing.B) {
	var data []byte
	if p := os.Getenv("MEDTWIN_MEDS_BENCH_FILE"); p != "" {
		var err error
		if data, err = os.ReadFile(p); err != nil {
			b.Fatal(err)
		}
	} else {
		var buf bytes.Buffer
		if _, err := medstest.Synth(&buf, 200_000, 200, 1, medstest.Options{RowGroupRows: 64 * 1024}); err != nil {
			b.Fatal(err)
		}
		data = buf.Bytes()
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	var rows int64
	for i := 0; i < b.N; i++ {
		env := &ingest.Env{Mem: memory.NewGoAllocator(), Resolver: hashResolver{}, Codes: timeline.DefaultCodes(), Now: time.Now}
		sink := &fakeSink{}
		if err := meds.ReadFile(context.Background(), env, "bench.parquet", "meds:bench", bytes.NewReader(data), sink, nil); err != nil {
			b.Fatal(err)
		}
		if sink.rejected != 0 {
			b.Fatalf("%d rows rejected", sink.rejected)
		}
		rows = sink.rows
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
