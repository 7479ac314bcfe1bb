package vcf

import (
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/medtwin/medtwin/internal/testdata"
)

// picks reads a shared file and returns, per record and ALT allele, the
// transcript PickTranscript chooses: "line alt: SYMBOL Consequence Feature
// HGVSc HGVSp (n entries)".
func picks(t *testing.T, rel ...string) map[string]string {
	t.Helper()
	f, err := os.Open(testdata.Path(t, append([]string{"vcf"}, rel...)...))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, zr, err := Open(f)
	if err != nil {
		t.Fatal(err)
	}
	if zr != nil {
		defer zr.Close()
	}
	vr, err := NewReader(src)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var ts []Transcript
	var idx []int
	for {
		rec, err := vr.Read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		ts = rec.Transcripts(vr.Header().Annotations[0], ts)
		for k := 1; k <= len(rec.Alts); k++ {
			var best int
			best, idx = PickTranscript(ts, rec, k, idx)
			key := fmt.Sprintf("%d %s", rec.Line, rec.Alts[k-1])
			if best < 0 {
				out[key] = "none"
				continue
			}
			b := &ts[best]
			out[key] = fmt.Sprintf("%s %s %s %s %s (%d)", b.Symbol, b.Consequence, b.Feature, b.HGVSc, b.HGVSp, len(idx))
		}
	}
}

func TestPickTranscript(t *testing.T) {
	for _, c := range []struct {
		file []string
		want map[string]string
	}{
		{[]string{"vep", "bcftools_split-vep.select-tr-expr.vcf"}, map[string]string{
			// VEP v110, 29 entries: the MANE Select transcript of GNB1.
			"8 C": "GNB1 missense_variant ENST00000378609 ENST00000378609.9:c.727A>G ENSP00000367872.3:p.Thr243Ala (29)",
			"7 T": "ATAD3A 3_prime_UTR_variant&NMD_transcript_variant ENST00000339113 ENST00000339113.9:c.*1128C>T  (1)",
		}},
		{[]string{"vep", "snpeff_mixed_10_hgvs.vep.vcf"}, map[string]string{
			// VEP v76 without CANONICAL: the most severe protein-coding entry;
			// a multi-allelic record split by VEP's trimmed alleles.
			"10 TCCCCGCC": "SMPDL3B frameshift_variant&feature_elongation ENST00000411604 ENST00000411604.1:c.110_111delCAinsGCC ENSP00000388092.1:p.Pro37ArgfsTer22 (7)",
			"10 TCCCCCCC": "SMPDL3B frameshift_variant&feature_elongation ENST00000411604 ENST00000411604.1:c.106_111delCCCCCAinsCCCCCCC ENSP00000388092.1:p.Thr38HisfsTer21 (7)",
		}},
		{[]string{"bgzip", "gnomad.exomes.r2.1.1.sites.test_b38.vcf.gz"}, map[string]string{
			// gnomAD's "vep" field; canonical RUNX1 for an in-frame deletion.
			"883 C": "RUNX1 inframe_deletion ENST00000300305 ENST00000300305.3:c.1098_1103delCGGCAT ENSP00000300305.3:p.Ile366_Gly367del (7)",
		}},
		{[]string{"bcftools", "split-vep.2.vcf"}, map[string]string{
			"8 T": "WASH7P non_coding_transcript_exon_variant ENST00000438504 ENST00000438504.2:n.1682T>A  (7)",
		}},
		{[]string{"snpeff", "no_fileformat", "cancer_pedigree.ann.vcf"}, map[string]string{
			// SnpEff cancer mode: "G-C" entries (G against C) are not G's.
			"8 C":  "OR4F5 initiator_codon_variant ENST00000335137 c.1A>C p.Met1? (1)",
			"8 G":  "OR4F5 start_lost ENST00000335137 c.1A>G p.Met1? (1)",
			"9 A":  "OR4F5 stop_gained ENST00000335137 c.759G>A p.Trp253* (1)",
			"10 G": "OR4F5 missense_variant ENST00000335137 c.421A>G p.Thr141Ala (1)",
		}},
		{[]string{"snpeff", "test_vcf_ann_plus_sign.vcf"}, map[string]string{
			// Empty Allele field, "+"-joined effects.
			"9 ACC": "GRMZM2G384255 5_prime_UTR_truncation+exon_loss_variant GRMZM2G384255_T01 c.-6_-1delTTACCC  (1)",
		}},
		{[]string{"snpeff", "EML4-ALK_fusion.ann.vcf"}, map[string]string{
			// The chr2 inversion behind EML4-ALK: 132 entries, ALK chosen.
			"69 <INV>": "ALK intron_variant NM_004304.4 c.3172+675_3172+679del>TTI<ins>TGI<  (132)",
		}},
	} {
		got := picks(t, c.file...)
		for k, w := range c.want {
			if got[k] != w {
				t.Errorf("%s line %s:\n got %q\nwant %q", strings.Join(c.file, "/"), k, got[k], w)
			}
		}
	}
}

func TestClinVarSite(t *testing.T) {
	f, err := os.Open(testdata.Path(t, "vcf", "clinvar", "clinvar_testset.vcf.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, zr, _ := Open(f)
	defer zr.Close()
	vr, err := NewReader(src)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]site{}
	for {
		rec, err := vr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[fmt.Sprintf("%s:%d", rec.Chrom, rec.Pos)] = siteInfo(rec)
	}
	for k, w := range map[string]site{
		"1:925952": {rsid: "", clnsig: "Uncertain_significance", gene: "SAMD11", consequence: "missense_variant", clnhgvs: "NC_000001.11:g.925952G>A"},
		// RS gives the rsID; MC lists two consequences, the more severe wins.
		"2:264985": {rsid: "rs11691572", clnsig: "Benign", gene: "ACP1", consequence: "missense_variant", clnhgvs: "NC_000002.12:g.264985G>T"},
	} {
		if got[k] != w {
			t.Errorf("%s: %+v, want %+v", k, got[k], w)
		}
	}
}
