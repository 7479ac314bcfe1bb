package dicom_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/medtwin/medtwin/ingest/dicom"
	"github.com/medtwin/medtwin/ingest/dicom/dicomtest"
	"github.com/medtwin/medtwin/internal/testdata"
)

// BenchmarkScan reads the metadata of CT slices cloned from the Philips
// series (real 512x512 slices with a 7.6 KB header). 1,000 files keep a
// run short; scripts/bench.d/50-dicom.sh measures 10,000 against dcmdump
// and gdcmscanner.
func BenchmarkScan(b *testing.B) {
	src := testdata.Path(b, "dicom", "series", "dcm_qa_ct_philips_std_brain_5mm")
	sources, _ := filepath.Glob(filepath.Join(src, "I*"))
	paths, err := dicomtest.WriteSeries(b.TempDir(), sources, 1000, 100)
	if err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		b.Run("files=1e3/workers="+string(rune('0'+workers)), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				err := dicom.Scan(context.Background(), paths, workers, func(r dicom.ReadResult) {
					if r.Err != nil {
						b.Fatal(r.Err)
					}
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(paths)*b.N)/b.Elapsed().Seconds(), "files/s")
		})
	}
}
