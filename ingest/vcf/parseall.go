package vcf

import (
	"io"
)

// ParseAll reads a VCF stream (compressed or not) through every step of
// parsing that ingest performs before building rows: each record's
// columns and INFO types, every sample's FORMAT values and genotype, and
// the transcript choice of each ALT allele. It returns the number of
// records; bad lines are counted as records and skipped. It is the
// parse-only half of the genomic ingest benchmark.
func ParseAll(r io.Reader) (int64, error) {
	src, zr, err := Open(r)
	if err != nil {
		return 0, err
	}
	if zr != nil {
		defer zr.Close()
	}
	vr, err := NewReader(src)
	if err != nil {
		return 0, err
	}
	var (
		n     int64
		call  Call
		ts    []Transcript
		idx   []int
		annot = vr.Header().Annotations
	)
	for {
		rec, err := vr.Read()
		if err == io.EOF {
			return n, nil
		}
		n++
		if err != nil {
			if _, ok := err.(*LineError); ok {
				continue
			}
			return n, err
		}
		for i := range rec.Samples {
			_ = rec.Call(i, &call)
		}
		for _, a := range annot {
			ts = rec.Transcripts(a, ts)
			for k := 1; k <= len(rec.Alts); k++ {
				_, idx = PickTranscript(ts, rec, k, idx)
			}
		}
	}
}
