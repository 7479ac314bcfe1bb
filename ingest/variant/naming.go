package variant

import (
	"strconv"
	"strings"

	"github.com/medtwin/medtwin/timeline"
)

// Chrom returns the normalised name of a chromosome (see the package
// documentation): chr1–chr22, chrX, chrY, chrM for the primary human
// chromosomes in any common spelling, other contigs unchanged.
func Chrom(raw string) string {
	s := raw
	if len(s) > 3 && (s[0] == 'c' || s[0] == 'C') && (s[1] == 'h' || s[1] == 'H') && (s[2] == 'r' || s[2] == 'R') {
		s = s[3:]
	}
	switch len(s) {
	case 1:
		switch c := s[0]; {
		case c >= '1' && c <= '9':
			return "chr" + s
		case c == 'X' || c == 'x':
			return "chrX"
		case c == 'Y' || c == 'y':
			return "chrY"
		case c == 'M' || c == 'm':
			return "chrM"
		}
	case 2:
		if (s[0] == 'M' || s[0] == 'm') && (s[1] == 'T' || s[1] == 't') {
			return "chrM"
		}
		if s[0] >= '1' && s[0] <= '2' && s[1] >= '0' && s[1] <= '9' && (s[0] == '1' || s[1] <= '2') {
			return "chr" + s
		}
	}
	return raw
}

// Assemblies, as written in the variants detail table.
const (
	GRCh38 = "GRCh38"
	GRCh37 = "GRCh37"
	NCBI36 = "NCBI36"
)

// Assembly recognises a human reference assembly from how files name it:
// GRCh38/hg38/b38/38/Homo_sapiens_assembly38/GCA_000001405.15 (and later
// patches), GRCh37/hg19/b37/37/hs37d5/human_g1k_v37/Homo_sapiens_assembly19/
// NCBI37, NCBI36/hg18/b36/36. It returns "" when s names none of them.
// Paths and file names are searched (…/b37/b37.fasta → GRCh37).
func Assembly(s string) string {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "38":
		return GRCh38
	case "37":
		return GRCh37
	case "36":
		return NCBI36
	}
	for _, c := range assemblyHints {
		for _, h := range c.hints {
			if strings.Contains(t, h) {
				return c.name
			}
		}
	}
	return ""
}

var assemblyHints = []struct {
	name  string
	hints []string
}{
	{GRCh38, []string{"grch38", "hg38", "b38", "assembly38", "gca_000001405.15", "gca_000001405.2", "hs38"}},
	{GRCh37, []string{"grch37", "hg19", "b37", "hs37d5", "g1k_v37", "assembly19", "ncbi37", "gca_000001405.1", "hs37"}},
	{NCBI36, []string{"ncbi36", "hg18", "b36", "ncbi_36"}},
}

// AssemblyFromLength recognises an assembly from the length of a primary
// chromosome (chr1, chr21, chr22, chrX, in any spelling accepted by Chrom);
// "" when the length is not one of GRCh38, GRCh37 or NCBI36. Lengths from
// the assemblies' NCBI records (GCF_000001405.26, .13 and .12).
func AssemblyFromLength(chrom string, length int64) string {
	switch Chrom(chrom) {
	case "chr1":
		switch length {
		case 248956422:
			return GRCh38
		case 249250621:
			return GRCh37
		case 247249719:
			return NCBI36
		}
	case "chr21":
		switch length {
		case 46709983:
			return GRCh38
		case 48129895:
			return GRCh37
		case 46944323:
			return NCBI36
		}
	case "chr22":
		switch length {
		case 50818468:
			return GRCh38
		case 51304566:
			return GRCh37
		case 49691432:
			return NCBI36
		}
	case "chrX":
		switch length {
		case 156040895:
			return GRCh38
		case 155270560:
			return GRCh37
		case 154913754:
			return NCBI36
		}
	}
	return ""
}

// Key returns the record key of one allele of one sample.
func Key(h *timeline.KeyHasher, sample, chrom string, pos int64, ref, alt string) timeline.Key {
	var buf [20]byte
	h.Add("variant")
	h.Add(sample)
	h.Add(chrom)
	h.AddBytes(strconv.AppendInt(buf[:0], pos, 10))
	h.Add(ref)
	h.Add(alt)
	return h.Sum()
}

// Locus returns the allele in gnomAD form CHROM-POS-REF-ALT, long
// sequences shortened (see the package documentation).
func Locus(chrom string, pos int64, ref, alt string) string {
	var b strings.Builder
	b.Grow(len(chrom) + 24 + min(len(ref), 64) + min(len(alt), 64))
	b.WriteString(chrom)
	b.WriteByte('-')
	b.WriteString(strconv.FormatInt(pos, 10))
	b.WriteByte('-')
	writeShort(&b, ref)
	b.WriteByte('-')
	writeShort(&b, alt)
	return b.String()
}

const maxCodeSeq = 50

func writeShort(b *strings.Builder, s string) {
	if len(s) <= maxCodeSeq {
		b.WriteString(s)
		return
	}
	b.WriteString(s[:10])
	b.WriteString("..")
	b.WriteString(strconv.Itoa(len(s)))
	b.WriteString("bp")
}

// Code returns the event code of a variant (see the package documentation).
// hgvsp and hgvsc may carry their accession prefix (ENSP…:p.…,
// ENST…:c.…) and VEP's percent escapes; genomic is a ClinVar CLNHGVS.
func Code(gene, hgvsp, hgvsc, genomic, chrom string, pos int64, ref, alt string) string {
	if gene == "" {
		gene = "."
	}
	name := ""
	if p := Protein(hgvsp); informativeProtein(p) {
		name = p
	} else if c := StripAccession(Unescape(hgvsc)); c != "" {
		name = c
	} else if genomic != "" {
		name = genomic
	} else {
		name = Locus(chrom, pos, ref, alt)
	}
	return "GENE//" + gene + "//" + name
}

func informativeProtein(p string) bool {
	switch p {
	case "", "p.", "p.?", "p.=", "p.0", "p.0?":
		return false
	}
	// vcf2maf writes splice-site changes as p.X125_splice, which names no
	// protein change: the c. change says more.
	return strings.HasPrefix(p, "p.") && !strings.HasSuffix(p, "_splice")
}
