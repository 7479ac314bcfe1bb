package maf_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/maf"
	"github.com/medtwin/medtwin/ingest/vcf"
	"github.com/medtwin/medtwin/internal/testdata"
	"github.com/medtwin/medtwin/store/sqlite"
	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "medtwin.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func run(t *testing.T, s *sqlite.Store, opts ingest.Options, paths ...string) *ingest.Report {
	t.Helper()
	reg, err := ingest.NewRegistry(vcf.New(), maf.New())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := (&ingest.Runner{Target: s, Registry: reg, Env: ingest.Env{Options: opts}, Command: "test"}).Run(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func variants(t *testing.T, s *sqlite.Store, id timeline.Identifier) (*twin.View, map[string]timeline.Variant) {
	t.Helper()
	subj, err := s.Lookup(context.Background(), id)
	if err != nil {
		t.Fatalf("no patient %s: %v", id, err)
	}
	v, err := twin.Load(context.Background(), s, subj, time.Time{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]timeline.Variant{}
	for _, d := range v.Details().Variants {
		e, _ := v.Event(d.Key)
		out[e.Code] = d
	}
	return v, out
}

func TestDetect(t *testing.T) {
	a := maf.New()
	root := testdata.Path(t, "maf")
	entries, _ := os.ReadDir(root)
	n := 0
	for _, e := range entries {
		if e.Name() == "SOURCES.md" {
			continue
		}
		head, _, err := ingest.ReadHead(filepath.Join(root, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !a.Detect(e.Name(), head) {
			t.Errorf("%s not detected", e.Name())
		}
		if vcf.New().Detect(e.Name(), head) {
			t.Errorf("%s detected as VCF", e.Name())
		}
		n++
	}
	if n != 6 {
		t.Errorf("%d MAF files", n)
	}
	for _, head := range []string{"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n", "Hugo_Symbol,Chromosome,Tumor_Sample_Barcode\n", "patient_id\tcode\n"} {
		if a.Detect("x", []byte(head)) {
			t.Errorf("%q detected as MAF", head)
		}
	}
}

// Every shared MAF parses; the counts are the files' rows. By default the
// rows cBioPortal drops on import (Silent, Intron, UTR, flank, IGR, RNA)
// are counted as skipped; the non-coding column says how many each file
// has (counted with awk over Variant_Classification).
func TestSharedFiles(t *testing.T) {
	s := openStore(t)
	rep := run(t, s, ingest.Options{}, testdata.Path(t, "maf"))
	nonCoding := map[string]int64{
		"maf/cbioportal_study_es_0_data_mutations_extended.maf": 2,
		"maf/maftools_tcga_laml.maf.gz":                         475,
		"maf/vcf2maf_test.maf":                                  4,
		"maf/vcf2maf_test_b38_output.maf":                       4,
	}
	want := map[string][3]int64{ // inserted, duplicate, rejected
		"maf/cbioportal_study_es_0_data_mutations_extended.maf": {36 - 2, 0, 0},
		// Funcotator's test MAF holds placeholders (Start_Position
		// "A000000006"): every row is rejected, with its line.
		"maf/gatk_funcotator_ExampleMafFileForTests.maf": {0, 0, 7},
		"maf/maftools_tcga_laml.maf.gz":                  {2207 - 475, 0, 0},
		"maf/vcf2maf_minimalist_test_maf.tsv":            {645, 0, 0},
		// Two identical APC rows: one record.
		"maf/vcf2maf_test.maf":            {19 - 4, 1, 0},
		"maf/vcf2maf_test_b38_output.maf": {25 - 4, 0, 0},
	}
	for _, f := range rep.Files {
		w, ok := want[f.Input.Name]
		if !ok {
			t.Errorf("%s: unexpected file", f.Input.Name)
			continue
		}
		if got := [3]int64{f.Result.Inserted, f.Result.Duplicate, f.Rejected}; got != w || f.Err != nil || f.Format != "maf" {
			t.Errorf("%s: %v, want %v (err %v, errors %v)", f.Input.Name, got, w, f.Err, f.Errors)
		}
		if got := f.Skipped[maf.SkipNonCoding]; got != nonCoding[f.Input.Name] {
			t.Errorf("%s: %d non-coding rows skipped, want %d", f.Input.Name, got, nonCoding[f.Input.Name])
		}
		delete(want, f.Input.Name)
	}
	if len(want) != 0 {
		t.Errorf("not ingested: %v", want)
	}
	fun := rep.Files[1]
	if !strings.HasPrefix(fun.Errors[0].Error(), "maf/gatk_funcotator_ExampleMafFileForTests.maf: line 6: Start_Position: not a positive integer") ||
		!errors.Is(fun.Errors[0], maf.ErrPosition) {
		t.Errorf("funcotator: %v", fun.Errors[0])
	}

	// Specific rows.
	_, laml := variants(t, s, timeline.Identifier{System: "maf-sample:maftools_tcga_laml.maf.gz", Value: "TCGA-AB-2825"})
	d, ok := laml["GENE//DNMT3A//p.Arg882His"]
	if !ok || d.Chrom != "chr2" || d.Pos != 25457242 || d.Ref != "C" || d.Alt != "T" || d.Assembly != "GRCh37" ||
		math.Abs(d.AlleleFraction-0.4324) > 1e-9 || d.Origin != "somatic" || d.Consequence != "Missense_Mutation" || d.Transcript != "" {
		t.Errorf("LAML DNMT3A R882H (Protein_Change p.R882H, i_TumorVAF_WU 43.24): %+v", d)
	}
	_, es := variants(t, s, timeline.Identifier{System: "maf-sample:cbioportal_study_es_0_data_mutations_extended.maf", Value: "TCGA-A1-A0SB-01"})
	if d, ok := es["GENE//TP53//c.993+2T>G"]; !ok || d.HGVSp != "p.X331_splice" || d.Consequence != "splice_donor_variant" {
		t.Errorf("TP53 splice site (HGVSp_Short p.X331_splice: the c. change names it): %+v, codes %v", d, keys(es))
	}
	if d, ok := es["GENE//TP53//p.Gly199Val"]; !ok || d.HGVSc != "c.596G>T" || d.Transcript != "ENST00000269305" || d.Genotype != "0/1" {
		t.Errorf("TP53 G199V: %+v", d)
	}
	_, es2 := variants(t, s, timeline.Identifier{System: "maf-sample:cbioportal_study_es_0_data_mutations_extended.maf", Value: "TCGA-A1-A0SB-02"})
	if d, ok := es2["GENE//MYB//p.Tyr10IlefsTer2"]; !ok || d.Ref != "-" || d.Alt != "A" || d.Pos != 135507043 {
		t.Errorf("MYB insertion kept in MAF convention: %+v", d)
	}
	v, b38 := variants(t, s, timeline.Identifier{System: "maf-sample:vcf2maf_test_b38_output.maf", Value: "TUMOR"})
	d = b38["GENE//RUNX1//p.Leu429Arg"]
	if d.RSID != "rs2056450952" || d.Depth != 54 || d.AltDepth != 21 || math.Abs(d.AlleleFraction-21.0/54) > 1e-12 ||
		d.Assembly != "GRCh38" || d.Chrom != "chr21" || !strings.Contains(d.Annotations, `"field":"all_effects"`) || d.Impact != "MODERATE" {
		t.Errorf("RUNX1 L429R: %+v", d)
	}
	if e, _ := v.Event(d.Key); !e.HasValue || math.Abs(e.Value-21.0/54) > 1e-12 || !e.Time.IsZero() {
		t.Errorf("RUNX1 event: %+v", e)
	}
	_, mini := variants(t, s, timeline.Identifier{System: "maf-sample:vcf2maf_minimalist_test_maf.tsv", Value: "TCGA-A1-A0SF-01A-11D-A142-09"})
	if _, ok := mini["GENE//.//chr1-3599659-C-T"]; !ok {
		t.Errorf("minimal MAF codes %v", keys(mini))
	}
	_, v2m := variants(t, s, timeline.Identifier{System: "maf-sample:vcf2maf_test.maf", Value: "TUMOR"})
	if _, ok := v2m["GENE//.//chr1-15557977-TG-CA"]; ok {
		t.Errorf("vcf2maf intergenic row stored without --keep-all")
	}
	keep := openStore(t)
	run(t, keep, ingest.Options{KeepAll: true}, testdata.Path(t, "maf", "vcf2maf_test.maf"))
	_, v2m = variants(t, keep, timeline.Identifier{System: "maf-sample:vcf2maf_test.maf", Value: "TUMOR"})
	if d, ok := v2m["GENE//.//chr1-15557977-TG-CA"]; !ok || d.Depth != 16 || d.AltDepth != 5 {
		t.Errorf("vcf2maf Unknown gene with --keep-all: %+v %v", d, keys(v2m))
	}

	// Re-ingest: a no-op.
	rep = run(t, s, ingest.Options{}, testdata.Path(t, "maf"))
	for _, f := range rep.Files {
		if f.Result.Inserted != 0 || f.Result.Superseded != 0 {
			t.Errorf("re-ingest %s: %+v", f.Input.Name, f.Result)
		}
	}
}

// Columns in any order, comment lines, germline rows, a manifest, bad rows.
func TestColumnsAnyOrder(t *testing.T) {
	body := "#version 2.4\n## a comment\n" +
		"t_alt_count\tTumor_Sample_Barcode\tHGVSp_Short\tReference_Allele\tTumor_Seq_Allele2\tStart_Position\tchromosome\tHugo_Symbol\tt_ref_count\tMutation_Status\tNCBI_Build\tTumor_Seq_Allele1\n" +
		"15\tS-1\tp.I148M\tC\tG\t43928847\t22\tPNPLA3\t17\tGermline\tGRCh38\tC\n" +
		"30\tS-1\tp.V600E\tA\tT\t140753336\t7\tBRAF\t70\tSomatic\tGRCh38\tA\t\t\n" +
		"30\tS-1\tp.V600E\tA\tT\t1407x\t7\tBRAF\t70\tSomatic\tGRCh38\tA\n" +
		"30\t\tp.V600E\tA\tT\t140753336\t7\tBRAF\t70\tSomatic\tGRCh38\tA\n" +
		"30\tS-1\tp.V600E\tA\n"
	dir := t.TempDir()
	p := filepath.Join(dir, "x.maf")
	os.WriteFile(p, []byte(body), 0o644)
	m := filepath.Join(dir, "m.csv")
	os.WriteFile(m, []byte("sample,system,value,collected\nS-1,mrn,M1,2023-11-05\n"), 0o644)
	s := openStore(t)
	rep := run(t, s, ingest.Options{Samples: m}, p)
	f := rep.Files[0]
	wantErrs := []string{
		"x.maf: line 6: Start_Position: not a positive integer",
		"x.maf: line 7: Tumor_Sample_Barcode: empty",
		"x.maf: line 8: wrong number of columns: 4, want 12",
	}
	if f.Result.Inserted != 2 || f.Rejected != 3 {
		t.Fatalf("%+v %v", f.Result, f.Errors)
	}
	for i, w := range wantErrs {
		if f.Errors[i].Error() != w {
			t.Errorf("error %d: %q, want %q", i, f.Errors[i], w)
		}
	}
	v, got := variants(t, s, timeline.Identifier{System: "mrn", Value: "M1"})
	d := got["GENE//PNPLA3//p.Ile148Met"]
	e, _ := v.Event(d.Key)
	if d.Origin != "germline" || e.Value != 1 || d.Zygosity != "heterozygous" || d.Chrom != "chr22" || d.Pos != 43928847 ||
		!e.Time.Equal(time.Date(2023, 11, 5, 0, 0, 0, 0, time.UTC)) || d.Assembly != "GRCh38" {
		t.Errorf("germline PNPLA3 from a MAF: %+v %+v", d, e)
	}
	d = got["GENE//BRAF//p.Val600Glu"]
	if e, _ := v.Event(d.Key); d.Origin != "somatic" || e.Value != 0.3 {
		t.Errorf("BRAF V600E: %+v %+v", d, e)
	}

	// A required column missing stops the file, naming the column.
	p2 := filepath.Join(dir, "y.maf")
	os.WriteFile(p2, []byte("Hugo_Symbol\tChromosome\tTumor_Sample_Barcode\tReference_Allele\tTumor_Seq_Allele2\nA\t1\tS\tC\tT\n"), 0o644)
	rep = run(t, s, ingest.Options{}, p2)
	if err := rep.Files[0].Err; !errors.Is(err, maf.ErrMissingColumn) || !strings.Contains(err.Error(), "Start_Position") {
		t.Errorf("missing column: %v", err)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
