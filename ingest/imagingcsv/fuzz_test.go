package imagingcsv

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/timeline"
)

type nopSink struct{}

func (nopSink) Write(_ context.Context, b *timeline.Batch) error { b.Release(); return nil }
func (nopSink) Reject(*ingest.ParseError)                        {}
func (nopSink) Skip(string, int64)                               {}
func (nopSink) Done(error)                                       {}

type oneSubject struct{}

func (oneSubject) Resolve(context.Context, ...timeline.Identifier) (int64, error) { return 1, nil }

// FuzzImagingCSV: any bytes after a recognised header are rejected row by
// row or ingested, never a panic.
func FuzzImagingCSV(f *testing.F) {
	for _, p := range []string{"testdata/pyradiomics.csv", "testdata/long.csv"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(strings.Join(LongColumns, ",") + "\nS,P,,2024-01-01,x,1,mm,,a,1\n"))
	dir := f.TempDir()
	env := &ingest.Env{Mem: memory.DefaultAllocator, Resolver: oneSubject{}, Codes: timeline.DefaultCodes(), Now: time.Now}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "f.csv")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Skip()
		}
		in, err := ingest.NewInput(p, "f.csv", nil)
		if err != nil {
			t.Skip()
		}
		_ = New().file(context.Background(), env, in, nopSink{})
	})
}
