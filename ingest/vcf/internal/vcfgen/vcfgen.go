// Package vcfgen writes the synthetic VCF of the genomic ingest benchmark
// (PERF-ANCHORS.md): single-sample records over chr1–chr22, FORMAT
// GT:DP:GQ:AD, INFO DP;AF;CSQ with one to three VEP-style CSQ entries of 22
// fields, about 480 bytes per record. The output is deterministic for a
// seed.
package vcfgen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
)

// CSQFields is the CSQ field list of the header.
const CSQFields = "Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|HGVSp|cDNA_position|CDS_position|Protein_position|Amino_acids|Codons|Existing_variation|DISTANCE|STRAND|FLAGS|CANONICAL"

// Sample is the sample column's name.
const Sample = "BENCH0001"

var (
	bases   = []byte("ACGT")
	aas     = []string{"Ala", "Arg", "Asn", "Asp", "Cys", "Gln", "Glu", "Gly", "His", "Ile", "Leu", "Lys", "Met", "Phe", "Pro", "Ser", "Thr", "Trp", "Tyr", "Val"}
	csqs    = []string{"missense_variant", "synonymous_variant", "intron_variant", "3_prime_UTR_variant", "splice_region_variant&intron_variant", "stop_gained", "upstream_gene_variant"}
	impacts = []string{"MODERATE", "LOW", "MODIFIER", "MODIFIER", "LOW", "HIGH", "MODIFIER"}
	gts     = []string{"0/1", "0/1", "1/1", "0|1", "1|0", "0/0"}
)

// Write writes a header and n records.
func Write(w io.Writer, n int, seed uint64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	fmt.Fprintf(bw, "##fileformat=VCFv4.2\n##source=medtwin-vcfgen\n##reference=GRCh38\n")
	for c := 1; c <= 22; c++ {
		fmt.Fprintf(bw, "##contig=<ID=chr%d>\n", c)
	}
	fmt.Fprintf(bw, `##INFO=<ID=DP,Number=1,Type=Integer,Description="Total depth">
##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">
##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: %s">
##FILTER=<ID=PASS,Description="All filters passed">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">
##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO	FORMAT	%s
`, CSQFields, Sample)
	perChrom := n/22 + 1
	var line []byte
	for i := 0; i < n; i++ {
		chrom := i/perChrom + 1
		pos := int64(10000 + (i%perChrom)*150 + rng.IntN(100))
		ref := bases[rng.IntN(4)]
		alt := bases[(int(ref)+1+rng.IntN(3))%4]
		if alt == ref {
			alt = bases[(rng.IntN(3)+1)%4]
		}
		dp := 20 + rng.IntN(80)
		altReads := rng.IntN(dp)
		line = line[:0]
		line = append(line, "chr"...)
		line = strconv.AppendInt(line, int64(chrom), 10)
		line = append(line, '\t')
		line = strconv.AppendInt(line, pos, 10)
		line = append(line, '\t')
		if rng.IntN(3) == 0 {
			line = append(line, "rs"...)
			line = strconv.AppendInt(line, int64(rng.IntN(1e9)), 10)
		} else {
			line = append(line, '.')
		}
		line = append(line, '\t', ref, '\t', alt, '\t')
		line = strconv.AppendInt(line, int64(30+rng.IntN(3000)), 10)
		line = append(line, ".00\tPASS\tDP="...)
		line = strconv.AppendInt(line, int64(dp), 10)
		line = append(line, ";AF="...)
		line = strconv.AppendFloat(line, float64(altReads)/float64(dp), 'f', 3, 64)
		line = append(line, ";CSQ="...)
		gene := rng.IntN(20000)
		ntx := 1 + rng.IntN(3)
		for t := 0; t < ntx; t++ {
			if t > 0 {
				line = append(line, ',')
			}
			c := rng.IntN(len(csqs))
			protPos := 1 + rng.IntN(1500)
			cdsPos := protPos*3 - rng.IntN(3)
			tx := 100000 + gene*10 + t
			line = append(line, alt, '|')
			line = append(line, csqs[c]...)
			line = append(line, '|')
			line = append(line, impacts[c]...)
			line = fmt.Appendf(line, "|GENE%d|ENSG%011d|Transcript|ENST%011d.%d|protein_coding|%d/12||ENST%011d.%d:c.%d%c>%c|ENSP%011d.%d:p.%s%d%s|%d|%d|%d|X/Y|aXc/aYc|",
				gene, gene, tx, 1+t, 1+rng.IntN(12), tx, 1+t, cdsPos, ref, alt, tx, 1+t, aas[rng.IntN(20)], protPos, aas[rng.IntN(20)], cdsPos+60, cdsPos, protPos)
			if rng.IntN(2) == 0 {
				line = fmt.Appendf(line, "rs%d", rng.IntN(1e9))
			}
			line = append(line, "||1||"...)
			if t == 0 {
				line = append(line, "YES"...)
			}
		}
		line = append(line, "\tGT:DP:GQ:AD\t"...)
		line = append(line, gts[rng.IntN(len(gts))]...)
		line = append(line, ':')
		line = strconv.AppendInt(line, int64(dp), 10)
		line = append(line, ':')
		line = strconv.AppendInt(line, int64(rng.IntN(99)), 10)
		line = append(line, ':')
		line = strconv.AppendInt(line, int64(dp-altReads), 10)
		line = append(line, ',')
		line = strconv.AppendInt(line, int64(altReads), 10)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}
