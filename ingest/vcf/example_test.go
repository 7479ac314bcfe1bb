package vcf_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/medtwin/medtwin/ingest/vcf"
)

func ExampleReader() {
	const file = `##fileformat=VCFv4.2
##contig=<ID=chr22,length=50818468>
##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: Allele|Consequence|SYMBOL|HGVSp|CANONICAL">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO	FORMAT	S1
chr22	43928847	rs738409	C	G	50	PASS	CSQ=G|missense_variant|PNPLA3|ENSP00000216180.3:p.Ile148Met|YES	GT:AD	0/1:17,15
`
	r, err := vcf.NewReader(strings.NewReader(file))
	if err != nil {
		panic(err)
	}
	fmt.Println("assembly:", r.Header().Assembly)
	var call vcf.Call
	var ts []vcf.Transcript
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err)
		}
		rec.Call(0, &call)
		dosage, _ := call.Dosage(1)
		ts = rec.Transcripts(r.Header().Annotations[0], ts)
		best, _ := vcf.PickTranscript(ts, rec, 1, nil)
		fmt.Printf("%s:%d %s>%s %s dosage %d, %s %s, allele fraction %.2f\n", rec.Chrom, rec.Pos, rec.Ref, rec.Alts[0],
			call.GT, dosage, ts[best].Symbol, ts[best].HGVSp, call.AlleleFraction(1, rec.Alts[0]))
	}
	// Output:
	// assembly: GRCh38
	// chr22:43928847 C>G 0/1 dosage 1, PNPLA3 ENSP00000216180.3:p.Ile148Met, allele fraction 0.47
}
