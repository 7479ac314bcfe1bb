package vcf

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/timeline"

	"github.com/medtwin/medtwin/ingest/bgzf"
	"github.com/medtwin/medtwin/ingest/vcf/internal/vcfgen"
)

// benchData returns the benchmark VCF (vcfgen) of n records, plain and
// BGZF. 100,000 records (48 MB) are enough for a steady rate and keep the
// benchmark's set-up short; scripts/bench.d/40-vcf.sh runs the full 10^6.
func benchData(b *testing.B, n int) (plain, z []byte) {
	b.Helper()
	var buf bytes.Buffer
	if err := vcfgen.Write(&buf, n, 1); err != nil {
		b.Fatal(err)
	}
	var zb bytes.Buffer
	zw := bgzf.NewWriter(&zb, 0)
	zw.Write(buf.Bytes())
	zw.Close()
	return buf.Bytes(), zb.Bytes()
}

func BenchmarkParse(b *testing.B) {
	const n = 100000
	plain, z := benchData(b, n)
	for _, c := range []struct {
		name string
		data []byte
	}{{"input=plain", plain}, {"input=bgzf", z}} {
		b.Run(fmt.Sprintf("records=1e5/%s", c.name), func(b *testing.B) {
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				got, err := ParseAll(bytes.NewReader(c.data))
				if err != nil || got != n {
					b.Fatal(got, err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// discardSink checks and drops batches: BenchmarkIngest measures the
// adapter (parse, link, name, build Arrow rows) without a store.
type discardSink struct{ rows int }

func (s *discardSink) File(*ingest.Input) ingest.FileSink { return s }
func (s *discardSink) Write(_ context.Context, b *timeline.Batch) error {
	s.rows += b.Rows()
	b.Release()
	return nil
}
func (s *discardSink) Reject(*ingest.ParseError) {}
func (s *discardSink) Skip(string, int64)        {}
func (s *discardSink) Done(error)                {}

type oneSubject struct{}

func (oneSubject) Resolve(context.Context, ...timeline.Identifier) (int64, error) { return 1, nil }

func BenchmarkIngest(b *testing.B) {
	const n = 100000
	_, z := benchData(b, n)
	p := filepath.Join(b.TempDir(), "bench.vcf.gz")
	if err := os.WriteFile(p, z, 0o644); err != nil {
		b.Fatal(err)
	}
	b.Run("records=1e5/store=none", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			in, err := ingest.NewInput(p, "bench.vcf.gz", nil)
			if err != nil {
				b.Fatal(err)
			}
			env := &ingest.Env{Mem: memory.DefaultAllocator, Resolver: oneSubject{}, Now: time.Now,
				Logger: slog.New(slog.DiscardHandler), Options: ingest.Options{SampleSystem: "bench"}}
			sink := &discardSink{}
			if err := New().Ingest(context.Background(), env, []*ingest.Input{in}, sink); err != nil || sink.rows == 0 {
				b.Fatal(err, sink.rows)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
	})
}
