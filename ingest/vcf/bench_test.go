package vcf

import (
	"bytes"
	"fmt"
	"testing"

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
