package vcf

import (
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/medtwin/medtwin/internal/testdata"
)

// rec is a record in comparable form; calls[i] is sample i.
type rec struct {
	Line   int64
	Chrom  string
	Pos    int64
	ID     string
	Ref    string
	Alts   []string
	Qual   float64
	Filter string
	Calls  []call
}

type call struct {
	GT      string
	Alleles []int
	Phased  bool
	AD      []int32
	DP      int32
	AF      []float64
	Err     string
}

type fileResult struct {
	h        *Header
	recs     []rec
	lineErrs []*LineError
}

// readFile reads a shared VCF through Open and Reader, as ingest does.
func readFile(t *testing.T, rel ...string) *fileResult {
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
		t.Fatalf("%s: %v", filepath.Join(rel...), err)
	}
	out := &fileResult{h: vr.Header()}
	var c Call
	for {
		r, err := vr.Read()
		if err == io.EOF {
			return out
		}
		var le *LineError
		if errors.As(err, &le) {
			out.lineErrs = append(out.lineErrs, le)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		x := rec{Line: r.Line, Chrom: string(r.Chrom), Pos: r.Pos, ID: string(r.ID), Ref: string(r.Ref), Qual: r.Qual, Filter: string(r.Filter)}
		for _, a := range r.Alts {
			x.Alts = append(x.Alts, string(a))
		}
		for i := range r.Samples {
			var y call
			if err := r.Call(i, &c); err != nil {
				y.Err = err.Error()
			} else {
				y = call{GT: string(c.GT), Alleles: append([]int{}, c.Alleles...), Phased: c.Phased, DP: c.DP}
				if c.AD != nil {
					y.AD = append([]int32{}, c.AD...)
				}
				if c.AF != nil {
					y.AF = append([]float64{}, c.AF...)
				}
			}
			x.Calls = append(x.Calls, y)
		}
		out.recs = append(out.recs, x)
	}
}

func (f *fileResult) at(t *testing.T, chrom string, pos int64) rec {
	t.Helper()
	for _, r := range f.recs {
		if r.Chrom == chrom && r.Pos == pos {
			return r
		}
	}
	t.Fatalf("no record at %s:%d", chrom, pos)
	return rec{}
}

// Every VCF of the shared test data parses; the table says what each one
// holds. A file added to the test data without a row here fails the test.
func TestSharedFiles(t *testing.T) {
	type want struct {
		version  string
		samples  int
		records  int
		bad      int // rejected lines
		badCalls int // rejected sample calls
		assembly string
		annot    string // annotation INFO ids, comma-separated
	}
	files := map[string]want{
		"bcftools/gvcf.merge.1.vcf":                        {"4.1", 1, 1, 0, 0, "GRCh37", ""},
		"bcftools/missing.vcf":                             {"4.1", 3, 5, 0, 0, "GRCh37", ""},
		"bcftools/norm.symbolic.vcf":                       {"4.2", 0, 4, 0, 0, "", ""},
		"bcftools/roh.1.vcf.gz":                            {"4.2", 1, 3124, 0, 0, "GRCh37", ""},
		"bcftools/split-vep.2.vcf":                         {"4.2", 0, 3, 0, 0, "GRCh37", "CSQ"},
		"bcftools/view.vcf":                                {"4.1", 3, 15, 0, 0, "GRCh37", ""},
		"bgzip/gnomad.exomes.r2.1.1.sites.test_b38.vcf.gz": {"4.2", 0, 7, 0, 0, "GRCh38", "vep"},
		"clinvar/clinvar_testset.vcf.gz":                   {"4.1", 0, 50, 0, 0, "GRCh38", ""},
		// Negative tests of the specification's suite: see TestInvalidFiles.
		"hts-specs/invalid/v4.3_failed_body_info_integer_overflow.vcf": {"4.3", 0, 0, 1, 0, "", ""},
		"hts-specs/invalid/v4.3_failed_body_ref_000.vcf":               {"4.3", 2, 0, 1, 0, "", ""},
		"hts-specs/invalid/v4.3_failed_body_samples_ploidy_000.vcf":    {"4.3", 1, 1, 0, 0, "", ""},
		"hts-specs/invalid/v4.3_failed_body_unsorted_000.vcf":          {"4.3", 2, 6, 0, 0, "", ""},
		"hts-specs/invalid/v4.3_failed_fileformat_001.vcf":             {},
		"hts-specs/simple.vcf":                                         {"4.3", 3, 5, 0, 0, "NCBI36", ""},
		"hts-specs/sv44.vcf":                                           {"4.4", 1, 9, 0, 0, "", ""},
		"hts-specs/v4.1_passed_body_alt.vcf":                           {"4.1", 2, 20, 0, 1, "", ""},
		"hts-specs/v4.2_complexfile_passed_000.vcf":                    {"4.2", 100, 27, 0, 0, "GRCh37", ""},
		"hts-specs/v4.2_passed_body_samples.vcf":                       {"4.2", 2, 6, 0, 0, "", ""},
		"hts-specs/v4.3_passed_body_info.vcf":                          {"4.3", 2, 51, 0, 0, "", ""},
		"hts-specs/v4.3_passed_meta_sample.vcf":                        {"4.3", 0, 1, 0, 0, "", ""},
		"hts-specs/v4.5_zero_length_LAA.vcf":                           {"4.5", 2, 6, 0, 0, "", ""},
		"htslib/formatmissing.vcf":                                     {"4.3", 3, 1, 0, 0, "", ""},
		"htslib/large_chr.vcf":                                         {"4.2", 0, 12, 0, 0, "", ""},
		"htslib/modhdr.vcf.gz":                                         {"4.3", 0, 0, 0, 0, "GRCh37", ""},
		"htslib/tabix_vcf_file.vcf":                                    {"4.1", 2, 15, 0, 0, "GRCh37", ""},
		"htslib/vcf44_1.vcf":                                           {"4.4", 2, 28, 0, 0, "", ""},
		"snpeff/EML4-ALK_fusion.ann.vcf":                               {"4.1", 1, 117, 0, 0, "GRCh37", "ANN"},
		"snpeff/no_fileformat/cancer_pedigree.ann.vcf":                 {"", 2, 3, 0, 0, "", "ANN"},
		"snpeff/test_vcf_ann_plus_sign.vcf":                            {"4.1", 1, 1, 0, 0, "", "ANN"},
		"somatic/gatk_M2_test_custom_maf_fields.vcf":                   {"4.1", 2, 6, 0, 0, "GRCh37", ""},
		"somatic/gatk_mutect2_cfdna-unfiltered.vcf":                    {"4.2", 2, 111, 0, 0, "GRCh37", ""},
		"somatic/vcf2maf_test.vcf":                                     {"4.2", 2, 20, 0, 0, "", ""},
		"somatic/vcf2maf_test_b38.vcf":                                 {"4.2", 2, 25, 0, 0, "GRCh38", ""},
		"somatic/vcf2maf_test_delly.vcf":                               {"4.2", 2, 15, 0, 0, "GRCh37", ""},
		"somatic/vcf2maf_test_mutect.vcf":                              {"4.1", 2, 500, 0, 0, "GRCh37", ""},
		"somatic/vcf2maf_test_strelka.vcf":                             {"4.1", 2, 240, 0, 0, "", ""},
		"vep/bcftools_split-vep.select-tr-expr.vcf":                    {"4.1", 0, 4, 0, 0, "GRCh38", "CSQ"},
		"vep/snpeff_mixed_10_hgvs.vep.vcf":                             {"4.0", 0, 18, 0, 0, "", "CSQ"},
	}
	root := testdata.Path(t, "vcf")
	var found []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".vcf") || strings.HasSuffix(p, ".vcf.gz")) {
			rel, _ := filepath.Rel(root, p)
			found = append(found, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(found)
	if len(found) == 0 {
		t.Fatal("no VCF files found")
	}
	for _, name := range found {
		w, ok := files[name]
		if !ok {
			t.Errorf("%s: not in the table of this test", name)
			continue
		}
		if name == "hts-specs/invalid/v4.3_failed_fileformat_001.vcf" {
			continue // its header is refused: TestInvalidFiles
		}
		t.Run(name, func(t *testing.T) {
			f := readFile(t, strings.Split(name, "/")...)
			badCalls := 0
			for _, r := range f.recs {
				for _, c := range r.Calls {
					if c.Err != "" {
						badCalls++
					}
				}
			}
			var annot []string
			for _, a := range f.h.Annotations {
				annot = append(annot, a.ID)
			}
			got := want{f.h.Version, len(f.h.Samples), len(f.recs), len(f.lineErrs), badCalls, f.h.Assembly, strings.Join(annot, ",")}
			if got != w {
				t.Errorf("got  %+v\nwant %+v\nline errors: %v", got, w, f.lineErrs)
			}
		})
	}
	if len(found) != len(files) {
		t.Errorf("%d files in the table, %d found", len(files), len(found))
	}
}

// The VCF specification's example (VCF 4.3 §1.1, hts-specs simple.vcf):
// every record and genotype as the specification documents them.
func TestSpecificationExample(t *testing.T) {
	f := readFile(t, "hts-specs", "simple.vcf")
	h := f.h
	if !reflect.DeepEqual(h.Samples, []string{"NA00001", "NA00002", "NA00003"}) {
		t.Errorf("samples %v", h.Samples)
	}
	if len(h.Contigs) != 1 || h.Contigs[0] != (Contig{ID: "20", Length: 62435964, Assembly: "B36"}) {
		t.Errorf("contigs %+v", h.Contigs)
	}
	if d := h.Infos["AF"]; d == nil || d.Type != TypeFloat || d.Number != "A" {
		t.Errorf("INFO AF %+v", d)
	}
	if d := h.Infos["DB"]; d == nil || d.Type != TypeFlag {
		t.Errorf("INFO DB %+v", d)
	}
	if d := h.Formats["HQ"]; d == nil || d.Type != TypeInteger || d.Number != "2" {
		t.Errorf("FORMAT HQ %+v", d)
	}
	if h.Filters["q10"] != "Quality below 10" || h.Reference != "file:///seq/references/1000GenomesPilot-NCBI36.fasta" || h.Lines != 19 {
		t.Errorf("filters %v reference %q lines %d", h.Filters, h.Reference, h.Lines)
	}
	u := func(gt string, phased bool, dp int32, alleles ...int) call {
		return call{GT: gt, Alleles: alleles, Phased: phased, DP: dp}
	}
	want := []rec{
		{20, "20", 14370, "rs6054257", "G", []string{"A"}, 29, "PASS", []call{u("0|0", true, 1, 0, 0), u("1|0", true, 8, 1, 0), u("1/1", false, 5, 1, 1)}},
		{21, "20", 17330, ".", "T", []string{"A"}, 3, "q10", []call{u("0|0", true, 3, 0, 0), u("0|1", true, 5, 0, 1), u("0/0", false, 3, 0, 0)}},
		{22, "20", 1110696, "rs6040355", "A", []string{"G", "T"}, 67, "PASS", []call{u("1|2", true, 6, 1, 2), u("2|1", true, 0, 2, 1), u("2/2", false, 4, 2, 2)}},
		{23, "20", 1230237, ".", "T", nil, 47, "PASS", []call{u("0|0", true, 7, 0, 0), u("0|0", true, 4, 0, 0), u("0/0", false, 2, 0, 0)}},
		{24, "20", 1234567, "microsat1", "GTC", []string{"G", "GTCT"}, 50, "PASS", []call{u("0/1", false, 4, 0, 1), u("0/2", false, 2, 0, 2), u("1/1", false, 3, 1, 1)}},
	}
	if len(f.lineErrs) != 0 || !reflect.DeepEqual(f.recs, want) {
		t.Errorf("records:\n got %+v\nwant %+v\nerrors %v", f.recs, want, f.lineErrs)
	}
}

func TestGenotypes(t *testing.T) {
	// htslib's VCF 4.4 phasing torture test: explicit leading phase,
	// polyploid, haploid, missing alleles.
	f := readFile(t, "htslib", "vcf44_1.vcf")
	for _, c := range []struct {
		pos    int64
		sample int
		gt     string
		al     []int
		phased bool
	}{
		{61462, 0, "0|0|1", []int{0, 0, 1}, true},
		{61462, 1, "0/1", []int{0, 1}, false},
		{61480, 0, "0", []int{0}, false},
		{61480, 1, "/0|1", []int{0, 1}, false},
		{61481, 1, "|0/1", []int{0, 1}, false},
		{61487, 1, "|1", []int{1}, true},
		{61493, 0, "|0|0", []int{0, 0}, true},
		{61496, 0, "", nil, false}, // a sample column "." has every value missing
		{61498, 0, "./1", []int{-1, 1}, false},
		{61499, 1, "|.|1", []int{-1, 1}, true},
		{61505, 1, "|.|.", []int{-1, -1}, true},
	} {
		r := f.at(t, "1", c.pos)
		got := r.Calls[c.sample]
		if got.GT != c.gt || len(got.Alleles)+len(c.al) > 0 && !reflect.DeepEqual(got.Alleles, c.al) || got.Phased != c.phased {
			t.Errorf("1:%d sample %d: %+v, want %s %v phased=%v", c.pos, c.sample, got, c.gt, c.al, c.phased)
		}
	}
	// bcftools' view.vcf: haploid X/Y calls, a missing sample column, a
	// multi-allelic indel, multiple FILTER values.
	v := readFile(t, "bcftools", "view.vcf")
	if r := v.at(t, "X", 2942109); r.Calls[0].GT != "0" || r.Calls[1].GT != "1" || !reflect.DeepEqual(r.Calls[1].Alleles, []int{1}) {
		t.Errorf("X:2942109 %+v", r.Calls)
	}
	if r := v.at(t, "Y", 8657215); r.Calls[2].GT != "" || r.Calls[2].DP != -1 {
		t.Errorf("Y:8657215 '.' sample %+v", r.Calls[2])
	}
	if r := v.at(t, "20", 271225); !reflect.DeepEqual(r.Alts, []string{"TTTA", "TA"}) || r.Filter != "StrandBias" || !reflect.DeepEqual(r.Calls[0].Alleles, []int{0, 2}) {
		t.Errorf("20:271225 %+v", r)
	}
	if r := v.at(t, "20", 126310); r.Filter != "StrandBias;EndDistBias" {
		t.Errorf("20:126310 filter %q", r.Filter)
	}
	if r := v.at(t, "11", 5464562); !reflect.DeepEqual(r.Calls[0].Alleles, []int{-1, -1}) || r.Calls[0].DP != -1 {
		t.Errorf("11:5464562 ./. %+v", r.Calls[0])
	}
	// htslib: a site with 305 ALT alleles and a haploid call of allele 2.
	tb := readFile(t, "htslib", "tabix_vcf_file.vcf")
	n305 := false
	for _, r := range tb.recs {
		n305 = n305 || len(r.Alts) == 305
	}
	if !n305 {
		t.Error("no record with 305 ALT alleles")
	}
}

func TestValues(t *testing.T) {
	// Allele depths with missing entries, depth, allele fractions.
	b38 := readFile(t, "somatic", "vcf2maf_test_b38.vcf")
	r := b38.at(t, "21", 34792292)
	if !reflect.DeepEqual(r.Calls[0].AD, []int32{-1, 21}) || r.Calls[0].DP != 54 || !reflect.DeepEqual(r.Calls[1].AD, []int32{-1, -1}) || r.Calls[1].DP != 0 {
		t.Errorf("21:34792292 %+v", r.Calls)
	}
	m2 := readFile(t, "somatic", "gatk_mutect2_cfdna-unfiltered.vcf")
	r = m2.at(t, "1", 12919576)
	if c := r.Calls[0]; !reflect.DeepEqual(c.AD, []int32{1566, 2}) || len(c.AF) != 1 || c.AF[0] != 1.760e-03 || c.DP != 1568 {
		t.Errorf("Mutect2 1:12919576 tumour %+v", c)
	}
	if !math.IsNaN(r.Qual) || r.Filter != "." {
		t.Errorf("Mutect2 QUAL %v FILTER %q", r.Qual, r.Filter)
	}
	mu := readFile(t, "somatic", "vcf2maf_test_mutect.vcf")
	r = mu.at(t, "1", 2453125)
	if c := r.Calls[1]; !reflect.DeepEqual(c.Alleles, []int{0}) || len(c.AF) != 1 || c.AF[0] != 0.146 || r.Filter != "REJECT" {
		t.Errorf("MuTect FA %+v", r)
	}
	// Large positions (htslib: POS up to 2^31-1).
	lc := readFile(t, "htslib", "large_chr.vcf")
	maxPos := int64(0)
	for _, r := range lc.recs {
		maxPos = max(maxPos, r.Pos)
	}
	if maxPos != 2147483647 {
		t.Errorf("largest POS %d", maxPos)
	}
	// Every ALT form of the 4.1 suite, symbolic and breakend, kept as text.
	alt := readFile(t, "hts-specs", "v4.1_passed_body_alt.vcf")
	var alts []string
	for _, r := range alt.recs {
		alts = append(alts, r.Alts...)
	}
	for _, a := range []string{"<DEL>", "<DUP:TANDEM>", "<DEL:ME:SOME1>", "<CNV>", "*", ".A", "A.", "]1:100]AGT", "[1:100[AGT", "AGT]1:100]", "AGT[1:100["} {
		found := false
		for _, x := range alts {
			found = found || x == a
		}
		if !found {
			t.Errorf("ALT %q not read (have %q)", a, alts)
		}
	}
	// ALT "." with a genotype naming allele 1: that call is rejected, the
	// other sample of the line is kept.
	r = alt.at(t, "1", 1900)
	for _, x := range alt.recs {
		if x.Pos == 1900 && len(x.Alts) == 0 {
			r = x
		}
	}
	if len(r.Alts) != 0 || r.Calls[0].Err != "" || !strings.Contains(r.Calls[1].Err, "sample 2 FORMAT/GT") {
		t.Errorf("1:1900 ALT . : %+v", r)
	}
	// 4.4 structural variants: symbolic alleles and breakends as written.
	sv := readFile(t, "hts-specs", "sv44.vcf")
	var svAlts []string
	for _, r := range sv.recs {
		svAlts = append(svAlts, r.Alts[0])
	}
	if want := []string{"T", "<DEL>", "T[chrA:5[", "]chrA:2]A", "<DEL>", "GAAA", "<DUP>", "<INS>", ".CCCCCCG"}; !reflect.DeepEqual(svAlts, want) {
		t.Errorf("sv44 ALTs %q", svAlts)
	}
	// 4.5: unsorted, no final newline, an empty sample column.
	laa := readFile(t, "hts-specs", "v4.5_zero_length_LAA.vcf")
	var pos []int64
	for _, r := range laa.recs {
		pos = append(pos, r.Pos)
	}
	if !reflect.DeepEqual(pos, []int64{100, 200, 400, 300, 500, 600}) {
		t.Errorf("4.5 positions %v", pos)
	}
	// Missing values of every kind.
	ms := readFile(t, "bcftools", "missing.vcf")
	if r := ms.at(t, "1", 3000002); !math.IsNaN(r.Qual) || r.Filter != "." || len(r.Calls[0].Alleles) != 0 {
		t.Errorf("missing.vcf 1:3000002 %+v", r)
	}
	// Strelka: no GT, tier counts give the allele fraction.
	st := readFile(t, "somatic", "vcf2maf_test_strelka.vcf")
	if r := st.at(t, "1", 12170228); len(r.Calls[1].Alleles) != 0 || r.Calls[1].DP != 57 {
		t.Errorf("strelka %+v", r.Calls)
	}
}

func TestCallFractions(t *testing.T) {
	c := Call{AD: []int32{30, 10}, DP: -1, TAR: -1, TIR: -1, Tier1: [4]int32{-1, -1, -1, -1}}
	if af := c.AlleleFraction(1, []byte("T")); af != 0.25 || c.Depth() != 40 || c.AltDepth(1, nil) != 10 {
		t.Errorf("from AD: %v %d", af, c.Depth())
	}
	c = Call{DP: -1, TAR: -1, TIR: -1, Tier1: [4]int32{0, 0, 2, 57}} // Strelka SNV C>T: TU=57 of 59
	if af := c.AlleleFraction(1, []byte("T")); math.Abs(af-57.0/59) > 1e-12 || c.AltDepth(1, []byte("T")) != 57 {
		t.Errorf("from Strelka tiers: %v", af)
	}
	c = Call{DP: -1, TAR: 30, TIR: 10, Tier1: [4]int32{-1, -1, -1, -1}}
	if af := c.AlleleFraction(1, []byte("TA")); af != 0.25 {
		t.Errorf("from Strelka indel counts: %v", af)
	}
	c = Call{AF: []float64{0.3, math.NaN()}, AD: []int32{5, 5, 0}, DP: 10, TAR: -1, TIR: -1, Tier1: [4]int32{-1, -1, -1, -1}}
	if c.AlleleFraction(1, nil) != 0.3 || c.AlleleFraction(2, nil) != 0 {
		t.Error("AF, then AD for a missing AF")
	}
}

func TestInvalidFiles(t *testing.T) {
	f := readFile(t, "hts-specs", "invalid", "v4.3_failed_body_info_integer_overflow.vcf")
	if len(f.lineErrs) != 1 || f.lineErrs[0].Line != 5 || f.lineErrs[0].Field != "INFO/INT" || !errors.Is(f.lineErrs[0], ErrType) {
		t.Errorf("integer overflow: %v", f.lineErrs)
	}
	f = readFile(t, "hts-specs", "invalid", "v4.3_failed_body_ref_000.vcf")
	if len(f.lineErrs) != 1 || f.lineErrs[0].Field != "REF" || !errors.Is(f.lineErrs[0], ErrRef) {
		t.Errorf("REF C,A: %v", f.lineErrs)
	}
	// Accepted, as documented: FORMAT counts are not checked, and records
	// need not be sorted.
	f = readFile(t, "hts-specs", "invalid", "v4.3_failed_body_samples_ploidy_000.vcf")
	if len(f.recs) != 1 || f.recs[0].Calls[0].Err != "" {
		t.Errorf("PL cardinality: %+v", f.recs)
	}
	f = readFile(t, "hts-specs", "invalid", "v4.3_failed_body_unsorted_000.vcf")
	if len(f.recs) != 6 || f.recs[3].Pos != 1400 || f.recs[4].Pos != 500 {
		t.Errorf("unsorted: %+v", f.recs)
	}
	p := testdata.Path(t, "vcf", "hts-specs", "invalid", "v4.3_failed_fileformat_001.vcf")
	fh, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, err := NewReader(fh); !errors.Is(err, ErrHeader) || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("fileformat 'VCF v4.3': %v", err)
	}
}

func TestHeaderFacts(t *testing.T) {
	m2 := readFile(t, "somatic", "gatk_M2_test_custom_maf_fields.vcf")
	if m2.h.Origins["SM-74P4M"] != "somatic" || m2.h.Origins["SM-74NEG"] != "germline" {
		t.Errorf("GATK tumor/normal headers: %v", m2.h.Origins)
	}
	ped := readFile(t, "snpeff", "no_fileformat", "cancer_pedigree.ann.vcf")
	if ped.h.Origins["Patient_01_Somatic"] != "somatic" || ped.h.Origins["Patient_01_Germline"] != "germline" {
		t.Errorf("PEDIGREE: %v", ped.h.Origins)
	}
	ms := readFile(t, "hts-specs", "v4.3_passed_meta_sample.vcf")
	_ = ms
	vep := readFile(t, "vep", "bcftools_split-vep.select-tr-expr.vcf")
	a := vep.h.Annotations[0]
	if a.Tool != "VEP" || a.Fields[0] != "Allele" || a.Fields[3] != "SYMBOL" || len(a.Fields) != 122 {
		t.Errorf("VEP fields %s %d %q", a.Tool, len(a.Fields), a.Fields[:4])
	}
	ann := readFile(t, "snpeff", "EML4-ALK_fusion.ann.vcf").h.Annotations[0]
	if ann.Tool != "SnpEff" || ann.Fields[9] != "HGVS.c" || len(ann.Fields) != 16 {
		t.Errorf("SnpEff fields %s %q", ann.Tool, ann.Fields)
	}
}
