package synth

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"time"

	"github.com/klauspost/compress/flate"
)

// locus is a germline variant the cohort is genotyped at.
type locus struct {
	RSID, Gene, Chrom string
	Pos               int
	Ref, Alt          string
	AF                float64
	Consequence       string
	Impact            string
	HGVSc, HGVSp      string
	Feature, GeneID   string
}

// liverLoci are the four liver-disease variants of REFERENCE.md §9
// (GRCh38). Allele frequencies are gnomAD non-Finnish European figures,
// rounded. Annotations are VEP-style: HGVS is given where it is well
// established (PNPLA3 I148M, TM6SF2 E167K); the HSD17B13 splice insertion
// and the MBOAT7/TMC4 variant carry their gene, consequence and rsID only.
var liverLoci = []locus{
	{"rs738409", "PNPLA3", "chr22", 43928847, "C", "G", 0.23, "missense_variant", "MODERATE", "ENST00000216180.8:c.444C>G", "ENSP00000216180.3:p.Ile148Met", "ENST00000216180", "ENSG00000100344"},
	{"rs58542926", "TM6SF2", "chr19", 19268740, "C", "T", 0.07, "missense_variant", "MODERATE", "ENST00000389133.8:c.499G>A", "ENSP00000373785.3:p.Glu167Lys", "ENST00000389133", "ENSG00000213996"},
	{"rs72613567", "HSD17B13", "chr4", 87310240, "T", "TA", 0.25, "splice_donor_region_variant&intron_variant", "LOW", "", "", "ENST00000328546", "ENSG00000170509"},
	{"rs641738", "MBOAT7", "chr19", 54173068, "C", "T", 0.43, "upstream_gene_variant", "MODIFIER", "", "", "ENST00000338624", "ENSG00000125505"},
}

// GRCh38 contig lengths of the chromosomes the files use.
var contigs = []struct {
	id  string
	len int
}{{"chr4", 190214555}, {"chr7", 159345973}, {"chr12", 133275309}, {"chr17", 83257441}, {"chr19", 58617616}, {"chr22", 50818468}}

const csqFields = "Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|HGVSc|HGVSp|Existing_variation|CANONICAL"

// genomics draws the patient's samples and somatic calls.
func (g *gen) genomics(r rng, p *patient) {
	if p.Genotyped {
		p.Samples = append(p.Samples, sample{ID: fmt.Sprintf("DNA%07d", p.Index*3+1), Collected: p.Start.Add(days(r.uniform(0, 120))).Truncate(24 * time.Hour), Tissue: "blood"})
	}
	ot := p.Oncology
	if ot == nil || len(ot.Variants) == 0 && r.chance(0.3) {
		return
	}
	lab := "vcf"
	if r.chance(0.5) {
		lab = "maf"
	}
	normal := ""
	if p.Genotyped {
		normal = p.Samples[0].ID
	}
	tissue := map[string]string{"colorectal": "colon", "nsclc": "lung", "hcc": "liver", "pancreas": "pancreas"}[ot.Cancer]
	t := sample{ID: fmt.Sprintf("TUM%07d", p.Index*3+2), Collected: ot.Diagnosed.Add(-days(r.uniform(5, 20))).Truncate(24 * time.Hour), Tissue: tissue, Tumor: true, Lab: lab}
	p.Samples = append(p.Samples, t)
	purity := r.uniform(0.3, 0.8)
	for _, name := range ot.Variants {
		for _, h := range []hotspot{krasG12D, krasG12C, krasG12V, egfrL858R, brafV600E, tp53R175H, tp53R248Q, tp53R273H, tp53R249S} {
			if h.Gene+" "+h.HGVSpShort == name {
				p.Somatic = append(p.Somatic, somaticCall{Variant: h, VAF: round(clamp(purity/2*r.lognorm(1, 0.15), 0.05, 0.95), 3),
					Depth: r.between(180, 900), Sample: t.ID, Normal: normal})
			}
		}
	}
}

func gtString(n int) string { return [...]string{"0/0", "0/1", "1/1"}[n] }

// vcfHeader writes the meta lines shared by every VCF of the cohort.
func vcfHeader(w io.Writer, date time.Time, extra string, samples []string) {
	fmt.Fprintf(w, "##fileformat=VCFv4.2\n##fileDate=%s\n##source=medtwin-synth\n##reference=GRCh38\n", date.Format("20060102"))
	for _, c := range contigs {
		fmt.Fprintf(w, "##contig=<ID=%s,length=%d,assembly=GRCh38>\n", c.id, c.len)
	}
	fmt.Fprintf(w, "##FILTER=<ID=PASS,Description=\"All filters passed\">\n")
	fmt.Fprintf(w, "##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Consequence annotations from Ensembl VEP. Format: %s\">\n", csqFields)
	io.WriteString(w, extra)
	io.WriteString(w, "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT")
	for _, s := range samples {
		io.WriteString(w, "\t"+s)
	}
	io.WriteString(w, "\n")
}

const germlineFormat = "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n" +
	"##FORMAT=<ID=GQ,Number=1,Type=Integer,Description=\"Genotype quality\">\n" +
	"##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Read depth\">\n"

// germlineBatch is the genotypes of up to GermlineBatch samples, written as
// one multi-sample VCF (a genotyping batch).
type germlineCall struct {
	sample string
	geno   [4]int
	gq, dp [4]int
}

func writeGermlineVCF(w io.Writer, date time.Time, calls []germlineCall) {
	names := make([]string, len(calls))
	for i, c := range calls {
		names[i] = c.sample
	}
	vcfHeader(w, date, germlineFormat, names)
	var b []byte
	for k, l := range liverLoci {
		b = b[:0]
		b = append(b, l.Chrom...)
		b = append(b, '\t')
		b = strconv.AppendInt(b, int64(l.Pos), 10)
		b = append(b, '\t')
		b = append(b, l.RSID...)
		b = append(b, '\t')
		b = append(b, l.Ref...)
		b = append(b, '\t')
		b = append(b, l.Alt...)
		b = append(b, "\t.\tPASS\tCSQ="...)
		b = append(b, csq(l.Alt, l.Consequence, l.Impact, l.Gene, l.GeneID, l.Feature, l.HGVSc, l.HGVSp, l.RSID)...)
		b = append(b, "\tGT:GQ:DP"...)
		for _, c := range calls {
			b = append(b, '\t')
			b = append(b, gtString(c.geno[k])...)
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(c.gq[k]), 10)
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(c.dp[k]), 10)
		}
		b = append(b, '\n')
		w.Write(b)
	}
}

func csq(allele, consequence, impact, gene, geneID, feature, hgvsc, hgvsp, existing string) string {
	// VEP writes the inserted bases of an insertion as the allele.
	return allele + "|" + consequence + "|" + impact + "|" + gene + "|" + geneID + "|Transcript|" + feature + "|protein_coding|" +
		hgvsc + "|" + hgvsp + "|" + existing + "|YES"
}

// writeSomaticVCF writes one tumour's calls (with its matched normal when
// there is one), as a somatic caller would.
func writeSomaticVCF(w io.Writer, date time.Time, tumor, normal string, calls []somaticCall) {
	extra := "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n" +
		"##FORMAT=<ID=AD,Number=R,Type=Integer,Description=\"Allelic depths for the ref and alt alleles\">\n" +
		"##FORMAT=<ID=AF,Number=A,Type=Float,Description=\"Allele fraction of the alt allele\">\n" +
		"##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Read depth\">\n" +
		"##tumor_sample=" + tumor + "\n"
	samples := []string{tumor}
	if normal != "" {
		extra += "##normal_sample=" + normal + "\n"
		samples = append(samples, normal)
	}
	vcfHeader(w, date, extra, samples)
	sorted := append([]somaticCall(nil), calls...)
	sortCalls(sorted)
	for _, c := range sorted {
		h := c.Variant
		alt := int(float64(c.Depth)*c.VAF + 0.5)
		fmt.Fprintf(w, "%s\t%d\t.\t%s\t%s\t.\tPASS\tCSQ=%s\tGT:AD:AF:DP\t0/1:%d,%d:%.3f:%d",
			h.Chrom, h.Pos, h.Ref, h.Alt,
			csq(h.Alt, h.Consequence, "MODERATE", h.Gene, "", h.Transcript, h.Transcript+":"+h.HGVSc, h.HGVSp, ""),
			c.Depth-alt, alt, float64(alt)/float64(c.Depth), c.Depth)
		if normal != "" {
			nd := c.Depth / 2
			fmt.Fprintf(w, "\t0/0:%d,0:0.000:%d", nd, nd)
		}
		io.WriteString(w, "\n")
	}
}

func chromRank(c string) int {
	n, _ := strconv.Atoi(c[3:])
	return n
}

func sortCalls(cs []somaticCall) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0; j-- {
			a, b := cs[j-1].Variant, cs[j].Variant
			if chromRank(a.Chrom) > chromRank(b.Chrom) || chromRank(a.Chrom) == chromRank(b.Chrom) && a.Pos > b.Pos {
				cs[j-1], cs[j] = cs[j], cs[j-1]
			}
		}
	}
}

// MAF columns (GDC MAF, the subset cBioPortal and vcf2maf use).
var mafColumns = []string{"Hugo_Symbol", "Entrez_Gene_Id", "Center", "NCBI_Build", "Chromosome", "Start_Position", "End_Position",
	"Strand", "Variant_Classification", "Variant_Type", "Reference_Allele", "Tumor_Seq_Allele1", "Tumor_Seq_Allele2", "dbSNP_RS",
	"Tumor_Sample_Barcode", "Matched_Norm_Sample_Barcode", "HGVSc", "HGVSp", "HGVSp_Short", "Transcript_ID", "Exon_Number",
	"t_depth", "t_ref_count", "t_alt_count", "n_depth", "n_ref_count", "n_alt_count"}

func writeMAFHeader(w io.Writer) {
	io.WriteString(w, "#version 2.4\n")
	for i, c := range mafColumns {
		if i > 0 {
			io.WriteString(w, "\t")
		}
		io.WriteString(w, c)
	}
	io.WriteString(w, "\n")
}

func writeMAFRows(w io.Writer, calls []somaticCall) {
	for _, c := range calls {
		h := c.Variant
		alt := int(float64(c.Depth)*c.VAF + 0.5)
		nd, nn := "", ""
		if c.Normal != "" {
			nd, nn = strconv.Itoa(c.Depth/2), strconv.Itoa(c.Depth/2)
		}
		normalAlt := ""
		if c.Normal != "" {
			normalAlt = "0"
		}
		fmt.Fprintf(w, "%s\t%d\tsynth-lab\tGRCh38\t%s\t%d\t%d\t+\tMissense_Mutation\tSNP\t%s\t%s\t%s\tnovel\t%s\t%s\t%s\t%s\t%s\t%s\t\t%d\t%d\t%d\t%s\t%s\t%s\n",
			h.Gene, h.Entrez, h.Chrom, h.Pos, h.Pos, h.Ref, h.Ref, h.Alt, c.Sample, c.Normal, h.HGVSc, h.HGVSp, h.HGVSpShort, h.Transcript,
			c.Depth, c.Depth-alt, alt, nd, nn, normalAlt)
	}
}

// bgzfWriter writes BGZF (SAM/BAM specification §4.1): gzip members of
// at most 64 KiB carrying their compressed size in the BC extra field,
// and the EOF marker block on Close, so that bgzip, tabix and htslib read
// the files.
type bgzfWriter struct {
	w   io.Writer
	buf []byte
	out bytes.Buffer
	fw  *flate.Writer
	err error
}

const bgzfData = 0xff00

func newBGZF(w io.Writer) *bgzfWriter {
	fw, _ := flate.NewWriter(nil, flate.DefaultCompression)
	return &bgzfWriter{w: w, buf: make([]byte, 0, bgzfData), fw: fw}
}

func (z *bgzfWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && z.err == nil {
		k := min(len(p), bgzfData-len(z.buf))
		z.buf = append(z.buf, p[:k]...)
		p = p[k:]
		if len(z.buf) == bgzfData {
			z.block(z.buf)
			z.buf = z.buf[:0]
		}
	}
	return n, z.err
}

func (z *bgzfWriter) block(data []byte) {
	z.out.Reset()
	z.out.Write([]byte{31, 139, 8, 4, 0, 0, 0, 0, 0, 255, 6, 0, 'B', 'C', 2, 0, 0, 0})
	z.fw.Reset(&z.out)
	z.fw.Write(data)
	z.fw.Close()
	var tail [8]byte
	binary.LittleEndian.PutUint32(tail[0:], crc32.ChecksumIEEE(data))
	binary.LittleEndian.PutUint32(tail[4:], uint32(len(data)))
	z.out.Write(tail[:])
	b := z.out.Bytes()
	binary.LittleEndian.PutUint16(b[16:], uint16(len(b)-1))
	if _, err := z.w.Write(b); err != nil && z.err == nil {
		z.err = err
	}
}

// bgzfEOF is the empty block that ends a BGZF file.
var bgzfEOF = []byte{0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 0x06, 0, 0x42, 0x43, 0x02, 0, 0x1b, 0, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0}

func (z *bgzfWriter) Close() error {
	if len(z.buf) > 0 {
		z.block(z.buf)
		z.buf = z.buf[:0]
	}
	if z.err == nil {
		_, z.err = z.w.Write(bgzfEOF)
	}
	return z.err
}
