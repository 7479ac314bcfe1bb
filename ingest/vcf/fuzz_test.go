package vcf

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medtwin/medtwin/internal/testdata"
)

const fuzzHeader = `##fileformat=VCFv4.3
##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">
##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">
##INFO=<ID=DB,Number=0,Type=Flag,Description="dbSNP">
##INFO=<ID=VT,Number=1,Type=Character,Description="Type">
##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Feature|BIOTYPE|HGVSc|HGVSp|CANONICAL|ALLELE_NUM">
##INFO=<ID=ANN,Number=.,Type=String,Description="Functional annotations: 'Allele | Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | Transcript_BioType | Rank | HGVS.c | HGVS.p'">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Depths">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">
##FORMAT=<ID=AF,Number=A,Type=Float,Description="Fraction">
##FORMAT=<ID=FT,Number=1,Type=String,Description="Filter">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO	FORMAT	S1	S2
`

// exercise runs everything ingest does with a record, short of the store.
func exercise(vr *Reader) {
	var (
		c   Call
		ts  []Transcript
		idx []int
	)
	for {
		rec, err := vr.Read()
		if err == io.EOF {
			return
		}
		if err != nil {
			if _, ok := err.(*LineError); ok {
				continue
			}
			return
		}
		_ = siteInfo(rec)
		for i := range rec.Samples {
			if rec.Call(i, &c) != nil {
				continue
			}
			for k := 1; k <= len(rec.Alts); k++ {
				c.Dosage(k)
				Zygosity(&c, k)
				c.AlleleFraction(k, rec.Alts[k-1])
				c.AltDepth(k, rec.Alts[k-1])
				c.Depth()
			}
		}
		for _, a := range vr.Header().Annotations {
			ts = rec.Transcripts(a, ts)
			for k := 1; k <= len(rec.Alts); k++ {
				var best int
				best, idx = PickTranscript(ts, rec, k, idx)
				if best >= len(ts) {
					panic("pick out of range")
				}
				if js := annotationJSON(nil, a, ts, idx); !json.Valid(js) {
					panic("invalid annotation JSON: " + string(js))
				}
			}
		}
	}
}

// seedLines adds the data lines of the shared VCFs (when present) and of
// the package's own cases.
func seedLines(f *testing.F) {
	for _, l := range []string{
		"20\t14370\trs6054257\tG\tA\t29\tPASS\tDP=14;AF=0.5;DB\tGT:AD:DP\t0|0:1,2:3\t1/1:.,4:5",
		"chr22\t43928847\trs738409\tC\tG,T\t50\tPASS\tCSQ=G|missense_variant|MODERATE|PNPLA3|ENST1|protein_coding|c.444C>G|p.Ile148Met|YES|1\tGT:AF\t0/1:0.5,.\t2|1:.",
		"1\t100\t.\tACCT\tA,<DEL>,T[1:5[\t.\t.\tANN=A|frameshift_variant|HIGH|X|X|transcript|T|protein_coding|1/1|c.1del|p.L1fs\tGT:FT\t/0|1:PASS\t.",
		"1\t1\t.\tN\t.\t.\t.\t.\tGT\t.\t./.",
	} {
		f.Add([]byte(l))
	}
	root := testdata.Root()
	if root == "" {
		return
	}
	filepath.Walk(filepath.Join(root, "vcf"), func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(p, ".vcf") {
			return nil
		}
		fh, err := os.Open(p)
		if err != nil {
			return nil
		}
		defer fh.Close()
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		n := 0
		for sc.Scan() && n < 3 {
			if l := sc.Text(); l != "" && l[0] != '#' {
				f.Add([]byte(l))
				n++
			}
		}
		return nil
	})
}

// FuzzVCFRecord feeds arbitrary data lines to the line parser (under a
// header with typed INFO/FORMAT fields and VEP/SnpEff annotations): no
// line may panic, and a parsed record must be self-consistent.
func FuzzVCFRecord(f *testing.F) {
	seedLines(f)
	f.Fuzz(func(t *testing.T, line []byte) {
		vr, err := NewReader(strings.NewReader(fuzzHeader + string(line) + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		rec, err := vr.Read()
		if err == nil {
			if len(rec.Samples) != 2 || rec.Pos < 0 || len(rec.Ref) == 0 {
				t.Fatalf("inconsistent record %+v", rec)
			}
			for _, a := range rec.Alts {
				if len(a) == 0 {
					t.Fatal("empty ALT accepted")
				}
			}
		} else if _, ok := err.(*LineError); !ok && err != io.EOF {
			t.Fatalf("error of type %T: %v", err, err)
		}
		vr, _ = NewReader(strings.NewReader(fuzzHeader + string(line) + "\n"))
		exercise(vr)
	})
}

// FuzzVCF feeds whole files (header included) to the reader.
func FuzzVCF(f *testing.F) {
	f.Add([]byte(fuzzHeader + "1\t1\t.\tA\tG\t1\tPASS\t.\tGT\t0/1\t1/1\n"))
	f.Add([]byte("##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t5\t.\tA\tC\t.\t.\t.\n"))
	f.Add([]byte("##PEDIGREE=<Derived=T,Original=N>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tN\tT\n"))
	if root := testdata.Root(); root != "" {
		for _, p := range []string{"hts-specs/simple.vcf", "bcftools/split-vep.2.vcf", "htslib/vcf44_1.vcf"} {
			if b, err := os.ReadFile(filepath.Join(root, "vcf", p)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		vr, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		exercise(vr)
	})
}
