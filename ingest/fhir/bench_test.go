package fhir_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/fhir"
	"github.com/medtwin/medtwin/ingest/fhir/internal/obsgen"
	"github.com/medtwin/medtwin/timeline"
)

// discardSink counts rows and releases batches: the adapter's throughput
// without a store.
type discardSink struct{ rows, rejected int64 }

func (d *discardSink) File(*ingest.Input) ingest.FileSink { return d }
func (d *discardSink) Write(_ context.Context, b *timeline.Batch) error {
	d.rows += int64(b.Rows())
	b.Release()
	return nil
}
func (d *discardSink) Reject(*ingest.ParseError) { d.rejected++ }
func (d *discardSink) Skip(string, int64)        {}
func (d *discardSink) Done(error)                {}

// benchFile runs the adapter (parse, map, build Arrow batches; no store)
// over an NDJSON file of Observations and reports MB/s and resources/s.
func benchFile(b *testing.B, path string, workers int) {
	resources := countLines(b, path)
	in, err := ingest.NewInput(path, filepath.Base(path), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(in.Size)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		sink := &discardSink{}
		env := testEnv(b, newMapResolver())
		a := &fhir.Adapter{Workers: workers}
		if err := a.Ingest(context.Background(), env, []*ingest.Input{in}, sink); err != nil {
			b.Fatal(err)
		}
		if sink.rejected > 0 || sink.rows < int64(resources) {
			b.Fatalf("%d rows, %d rejected of %d resources", sink.rows, sink.rejected, resources)
		}
	}
	b.ReportMetric(float64(resources)*float64(b.N)/b.Elapsed().Seconds(), "resources/s")
}

// BenchmarkNDJSON measures parse-only throughput on generated Observations:
// 64 MB (about 75k resources) is large enough to amortise start-up and
// small enough for a CI machine; MEDTWIN_FHIR_BENCH_FILE names a larger
// file (scripts/bench.d/30-fhir.sh generates 1 GB).
func BenchmarkNDJSON(b *testing.B) {
	path := os.Getenv("MEDTWIN_FHIR_BENCH_FILE")
	if path == "" {
		path = filepath.Join(b.TempDir(), "obs.ndjson")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := obsgen.Write(f, obsgen.Options{Bytes: 64 << 20, Seed: 1}); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	b.Run("workers=1", func(b *testing.B) { benchFile(b, path, 1) })
	b.Run("workers=2", func(b *testing.B) { benchFile(b, path, 2) })
}

func countLines(b *testing.B, path string) int {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	n := 0
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err != nil {
			return n
		}
	}
}
