package maf_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/maf"
	"github.com/medtwin/medtwin/internal/testdata"
	"github.com/medtwin/medtwin/timeline"
)

// memSink keeps nothing: it checks and releases batches.
type memSink struct {
	mu   sync.Mutex
	rows int
	t    *testing.T
}

func (s *memSink) File(*ingest.Input) ingest.FileSink { return s }
func (s *memSink) Write(_ context.Context, b *timeline.Batch) error {
	defer b.Release()
	if b.Variants == nil || b.Variants.NumRows() != b.Events.NumRows() {
		s.t.Fatalf("batch of %d events with mismatched details", b.Events.NumRows())
	}
	s.mu.Lock()
	s.rows += b.Rows()
	s.mu.Unlock()
	return nil
}
func (s *memSink) Reject(*ingest.ParseError) {}
func (s *memSink) Skip(string, int64)        {}
func (s *memSink) Done(error)                {}

type countResolver struct{ n int64 }

func (r *countResolver) Resolve(context.Context, ...timeline.Identifier) (int64, error) {
	r.n++
	return r.n, nil
}

// FuzzMAF: no MAF content makes the adapter panic, and every stored event
// has its detail row.
func FuzzMAF(f *testing.F) {
	f.Add([]byte("#version 2.4\nHugo_Symbol\tChromosome\tStart_Position\tReference_Allele\tTumor_Seq_Allele1\tTumor_Seq_Allele2\tTumor_Sample_Barcode\tHGVSp_Short\tt_ref_count\tt_alt_count\n" +
		"PNPLA3\t22\t43928847\tC\tC\tG\tS1\tp.I148M\t10\t5\n"))
	f.Add([]byte("Chromosome\tStart_Position\tReference_Allele\tTumor_Seq_Allele2\tTumor_Sample_Barcode\n1\t5\t-\tA\tS\n"))
	if root := testdata.Root(); root != "" {
		if b, err := os.ReadFile(filepath.Join(root, "maf", "vcf2maf_test.maf")); err == nil {
			f.Add(b)
		}
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "f.maf")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		in, err := ingest.NewInput(p, "f.maf", nil)
		if err != nil {
			t.Fatal(err)
		}
		env := &ingest.Env{Mem: memory.DefaultAllocator, Resolver: &countResolver{}, BatchRows: 7, Now: time.Now,
			Logger: slog.New(slog.DiscardHandler)}
		if err := maf.New().Ingest(context.Background(), env, []*ingest.Input{in}, &memSink{t: t}); err != nil {
			t.Fatal(err)
		}
	})
}
