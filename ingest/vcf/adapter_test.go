package vcf_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/bgzf"
	"github.com/medtwin/medtwin/ingest/vcf"
	"github.com/medtwin/medtwin/internal/testdata"
	"github.com/medtwin/medtwin/store"
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

func ingestPaths(t *testing.T, s *sqlite.Store, opts ingest.Options, paths ...string) *ingest.Report {
	t.Helper()
	reg, err := ingest.NewRegistry(vcf.New())
	if err != nil {
		t.Fatal(err)
	}
	r := &ingest.Runner{Target: s, Registry: reg, Env: ingest.Env{Options: opts, BatchRows: 1000}, Command: "test"}
	rep, err := r.Run(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func bgzipBytes(t *testing.T, body []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := bgzf.NewWriter(&b, 0)
	w.Write(body)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func load(t *testing.T, s *sqlite.Store, id timeline.Identifier) *twin.View {
	t.Helper()
	subj, err := s.Lookup(context.Background(), id)
	if err != nil {
		t.Fatalf("no patient %s: %v", id, err)
	}
	v, err := twin.Load(context.Background(), s, subj, time.Time{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func variantEvents(v *twin.View) map[string]timeline.Event {
	out := map[string]timeline.Event{}
	for _, e := range v.Events(timeline.KindVariant) {
		out[e.Code] = e
	}
	return out
}

// A germline VCF as a clinical pipeline writes it (GRCh38, VEP CSQ):
// PNPLA3 rs738409 heterozygous, TM6SF2 rs58542926 homozygous reference,
// HSD17B13 rs72613567 homozygous for the insertion without annotation.
// Coordinates: REFERENCE.md §9.
const liverVCF = `##fileformat=VCFv4.2
##reference=file:///ref/GRCh38/Homo_sapiens_assembly38.fasta
##contig=<ID=chr4,length=190214555>
##contig=<ID=chr19,length=58617616>
##contig=<ID=chr22,length=50818468>
##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">
##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|HGVSc|HGVSp|Existing_variation|CANONICAL|MANE_SELECT">
##FILTER=<ID=PASS,Description="All filters passed">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO	FORMAT	LIVER-0042
chr4	87310240	rs72613567	T	TA	402.1	PASS	DP=28	GT:AD:DP	1/1:0,28:28
chr19	19268740	rs58542926	C	T	95.3	PASS	DP=30;CSQ=T|missense_variant|MODERATE|TM6SF2|ENSG00000213996|Transcript|ENST00000389363|protein_coding|ENST00000389363.9:c.499G>A|ENSP00000374014.4:p.Glu167Lys|rs58542926|YES|NM_001001524.3	GT:AD:DP	0/0:30,0:30
chr22	43928847	rs738409	C	G	812.77	PASS	DP=32;CSQ=G|upstream_gene_variant|MODIFIER|SAMM50|ENSG00000100347|Transcript|ENST00000350028|protein_coding|||rs738409||,G|missense_variant|MODERATE|PNPLA3|ENSG00000100344|Transcript|ENST00000423180|protein_coding|ENST00000423180.2:c.444C>G|ENSP00000397987.2:p.Ile148Met|rs738409||,G|missense_variant|MODERATE|PNPLA3|ENSG00000100344|Transcript|ENST00000216180|protein_coding|ENST00000216180.8:c.444C>G|ENSP00000216180.3:p.Ile148Met|rs738409|YES|NM_025225.3	GT:AD:DP	0/1:17,15:32
`

const liverManifest = `sample,system,value,collected,tissue,tumor_normal
LIVER-0042,urn:oid:2.16.840.1.113883.19.5|MRN,MRN-0042,2024-03-01,blood,normal
`

var mrn = timeline.Identifier{System: "urn:oid:2.16.840.1.113883.19.5|MRN", Value: "MRN-0042"}

func TestPNPLA3EndToEnd(t *testing.T) {
	dir := t.TempDir()
	vcfPath := writeFile(t, dir, "liver.vcf", liverVCF)
	manifest := writeFile(t, dir, "samples.csv", liverManifest)
	s := openStore(t)
	rep := ingestPaths(t, s, ingest.Options{Samples: manifest}, vcfPath)
	f := rep.Files[0]
	if f.Err != nil || f.Rejected != 0 || f.Result.Inserted != 2 || f.Skipped[vcf.SkipReference] != 1 || f.Format != "vcf" {
		t.Fatalf("report: %+v errors %v", f, f.Errors)
	}

	v := load(t, s, mrn)
	ev := variantEvents(v)
	collected := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	e, ok := ev["GENE//PNPLA3//p.Ile148Met"]
	if !ok {
		t.Fatalf("no PNPLA3 event; codes %v", keys(ev))
	}
	if !e.HasValue || e.Value != 1 || !e.Time.Equal(collected) || e.Text != "missense_variant" || e.Source != "liver.vcf#line 15" {
		t.Errorf("PNPLA3 event %+v", e)
	}
	if e, ok := ev["GENE//.//chr4-87310240-T-TA"]; !ok || e.Value != 2 {
		t.Errorf("HSD17B13 insertion without annotation: %+v (codes %v)", e, keys(ev))
	}
	if len(ev) != 2 {
		t.Errorf("events %v; the TM6SF2 reference call is not stored by default", keys(ev))
	}
	var d *timeline.Variant
	for i, x := range v.Details().Variants {
		if x.Chrom == "chr22" && x.Pos == 43928847 {
			d = &v.Details().Variants[i]
		}
	}
	if d == nil {
		t.Fatal("no detail row at chr22:43928847")
	}
	want := timeline.Variant{SubjectID: d.SubjectID, Key: d.Key, Sample: "LIVER-0042", Assembly: "GRCh38", Chrom: "chr22", Pos: 43928847,
		Ref: "C", Alt: "G", RSID: "rs738409", Qual: 812.77, Filter: "PASS", Genotype: "0/1", Zygosity: "heterozygous",
		Depth: 32, AltDepth: 15, AlleleFraction: 15.0 / 32, Origin: "germline", Gene: "PNPLA3", Consequence: "missense_variant",
		Impact: "MODERATE", HGVSc: "c.444C>G", HGVSp: "p.Ile148Met", Transcript: "ENST00000216180", Annotations: d.Annotations}
	if *d != want {
		t.Errorf("detail\n got %+v\nwant %+v", *d, want)
	}
	if d.Key != e.Key {
		t.Error("detail row and event have different keys")
	}
	// Every entry of the allele is kept, the chosen one and the others.
	for _, s := range []string{`"field":"CSQ"`, `"SYMBOL":"SAMM50"`, `"Feature":"ENST00000423180"`, `"MANE_SELECT":"NM_025225.3"`} {
		if !strings.Contains(d.Annotations, s) {
			t.Errorf("annotations lack %s: %s", s, d.Annotations)
		}
	}

	// Re-ingest, plain and BGZF-compressed under another name: no-op.
	z := filepath.Join(dir, "liver.vcf.gz")
	os.WriteFile(z, bgzipBytes(t, []byte(liverVCF)), 0o644)
	rep = ingestPaths(t, s, ingest.Options{Samples: manifest}, vcfPath, z)
	for _, f := range rep.Files {
		if f.Result.Inserted != 0 || f.Result.Superseded != 0 || f.Result.Duplicate != 2 || f.Rejected != 0 {
			t.Errorf("re-ingest %s: %+v", f.Input.Name, f.Result)
		}
	}

	// --keep-all stores the reference call with dosage 0.
	rep = ingestPaths(t, s, ingest.Options{Samples: manifest, KeepAll: true}, vcfPath)
	if rep.Files[0].Result.Inserted != 1 || rep.Files[0].Result.Duplicate != 2 {
		t.Errorf("keep-all: %+v", rep.Files[0].Result)
	}
	ev = variantEvents(load(t, s, mrn))
	if e, ok := ev["GENE//TM6SF2//p.Glu167Lys"]; !ok || !e.HasValue || e.Value != 0 {
		t.Errorf("TM6SF2 reference call under keep-all: %+v", e)
	}
}

// Without a manifest, --sample-system links the sample name as an
// identifier of that system; the event is static (no collection date).
func TestSampleSystem(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "liver.vcf", liverVCF)
	s := openStore(t)
	rep := ingestPaths(t, s, ingest.Options{SampleSystem: "urn:mrn"}, p)
	if rep.Files[0].Skipped[vcf.SkipUnlinked] != 0 {
		t.Errorf("unlinked: %v", rep.Files[0].Skipped)
	}
	e, ok := variantEvents(load(t, s, timeline.Identifier{System: "urn:mrn", Value: "LIVER-0042"}))["GENE//PNPLA3//p.Ile148Met"]
	if !ok || !e.Time.IsZero() || e.Value != 1 {
		t.Errorf("PNPLA3 by sample system: %+v", e)
	}
}

// The specification's example ingested: exactly the calls that carry an
// ALT allele, split per allele, PASS only.
func TestSpecificationExampleIngest(t *testing.T) {
	p := testdata.Path(t, "vcf", "hts-specs", "simple.vcf")
	s := openStore(t)
	rep := ingestPaths(t, s, ingest.Options{SampleSystem: "test"}, p)
	f := rep.Files[0]
	wantSkips := map[string]int64{vcf.SkipFiltered: 3, vcf.SkipNoAlt: 3, vcf.SkipReference: 5}
	if f.Result.Inserted != 10 || f.Rejected != 0 || fmt.Sprint(f.Skipped) != fmt.Sprint(wantSkips) {
		t.Errorf("report %+v skipped %v", f.Result, f.Skipped)
	}
	got := map[string][]string{}
	for _, sample := range []string{"NA00001", "NA00002", "NA00003"} {
		v := load(t, s, timeline.Identifier{System: "test", Value: sample})
		for _, d := range v.Details().Variants {
			e, _ := v.Event(d.Key)
			got[sample] = append(got[sample], fmt.Sprintf("%s %v %s %s %s", e.Code, e.Value, d.Genotype, d.Zygosity, d.Assembly))
		}
		sort.Strings(got[sample])
	}
	want := map[string][]string{
		"NA00001": {"GENE//.//chr20-1110696-A-G 1 1|2 heterozygous NCBI36", "GENE//.//chr20-1110696-A-T 1 1|2 heterozygous NCBI36", "GENE//.//chr20-1234567-GTC-G 1 0/1 heterozygous NCBI36"},
		"NA00002": {"GENE//.//chr20-1110696-A-G 1 2|1 heterozygous NCBI36", "GENE//.//chr20-1110696-A-T 1 2|1 heterozygous NCBI36", "GENE//.//chr20-1234567-GTC-GTCT 1 0/2 heterozygous NCBI36", "GENE//.//chr20-14370-G-A 1 1|0 heterozygous NCBI36"},
		"NA00003": {"GENE//.//chr20-1110696-A-T 2 2/2 homozygous NCBI36", "GENE//.//chr20-1234567-GTC-G 2 1/1 homozygous NCBI36", "GENE//.//chr20-14370-G-A 2 1/1 homozygous NCBI36"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("calls\n got %v\nwant %v", got, want)
	}
	// --keep-all adds the filtered record and the calls without the allele.
	rep = ingestPaths(t, s, ingest.Options{SampleSystem: "test", KeepAll: true}, p)
	if r := rep.Files[0].Result; r.Inserted != 8 || r.Duplicate != 10 {
		t.Errorf("keep-all %+v skipped %v", r, rep.Files[0].Skipped)
	}
}

// Unlinked samples are stored under their own patient, never dropped, and
// counted.
func TestUnlinkedSamples(t *testing.T) {
	p := testdata.Path(t, "vcf", "hts-specs", "simple.vcf")
	s := openStore(t)
	rep := ingestPaths(t, s, ingest.Options{}, p)
	if f := rep.Files[0]; f.Skipped[vcf.SkipUnlinked] != 3 || f.Result.Inserted != 10 {
		t.Errorf("report %+v skipped %v", f.Result, f.Skipped)
	}
	v := load(t, s, timeline.Identifier{System: "vcf-sample:simple.vcf", Value: "NA00003"})
	if len(v.Details().Variants) != 3 {
		t.Errorf("NA00003 has %d variants", len(v.Details().Variants))
	}
}

// Tumour/normal pair: somatic values are allele fractions; the normal's
// reference calls are not stored.
func TestSomatic(t *testing.T) {
	p := testdata.Path(t, "vcf", "somatic", "gatk_mutect2_cfdna-unfiltered.vcf")
	dir := t.TempDir()
	m := writeFile(t, dir, "m.csv", "sample,system,value,tumor_normal\nTUMOR,mrn,P1,tumor\nNORMAL,mrn,P1,normal\n")
	s := openStore(t)
	rep := ingestPaths(t, s, ingest.Options{Samples: m}, p)
	if f := rep.Files[0]; f.Result.Inserted != 116 || f.Rejected != 0 {
		t.Errorf("report %+v skipped %v", f.Result, f.Skipped)
	}
	v := load(t, s, timeline.Identifier{System: "mrn", Value: "P1"})
	found := false
	for _, d := range v.Details().Variants {
		if d.Origin != "somatic" || d.Sample != "TUMOR" {
			t.Fatalf("stored %s call of %s", d.Origin, d.Sample)
		}
		if d.Chrom == "chr1" && d.Pos == 12921386 {
			found = true
			e, _ := v.Event(d.Key)
			if e.Value != 0.011 || d.Depth != 2039 || d.AltDepth != 23 || d.Genotype != "0/1" || d.Assembly != "GRCh37" {
				t.Errorf("1:12921386 %+v event %+v", d, e)
			}
		}
	}
	if !found {
		t.Error("no call at 1:12921386")
	}
}

// Bad lines are rejected with file, line and reason; the rest is stored;
// nothing in the messages comes from the data.
func TestBadLines(t *testing.T) {
	body := `##fileformat=VCFv4.3
##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO	FORMAT	SECRET-SAMPLE
chr1	100	.	A	G	50	PASS	DP=10	GT	0/1
chr1	101	.	A	G	50	PASS	DP=10
chr1	1x2	.	A	G	50	PASS	DP=10	GT	0/1
chr1	103	.	A	G	50	PASS	DP=tenreads	GT	0/1
chr1	104	.	A	G	50	PASS	DP=10	GT	0/3
chr1	105	.	A	G	50	PASS	DP=10	GT:DP	1/1:many
chr1	106	.	A,C	G	50	PASS	DP=10	GT	0/1
chr1	107	.	A	G	abc	PASS	DP=10	GT	0/1
chr1	108	.	A	G	50	PASS	DP=10	GT	1/1
`
	dir := t.TempDir()
	p := writeFile(t, dir, "bad.vcf", body)
	s := openStore(t)
	rep := ingestPaths(t, s, ingest.Options{SampleSystem: "mrn"}, p)
	f := rep.Files[0]
	want := []string{
		"bad.vcf: line 7: wrong number of columns: 8, want 10",
		"bad.vcf: line 8: POS: POS is not a non-negative integer",
		"bad.vcf: line 9: INFO/DP: value does not fit its declared type: not a 32-bit Integer",
		"bad.vcf: line 10: sample 1 FORMAT/GT: malformed genotype: allele 3, but the record has 1 ALT",
		"bad.vcf: line 11: sample 1 FORMAT/DP: value does not fit its declared type: not a 32-bit Integer",
		"bad.vcf: line 12: REF: REF is not a sequence of bases",
		"bad.vcf: line 13: QUAL: QUAL is not a number",
	}
	var got []string
	for _, e := range f.Errors {
		got = append(got, e.Error())
		for _, secret := range []string{"SECRET", "tenreads", "many"} {
			if strings.Contains(e.Error(), secret) {
				t.Errorf("error message carries data: %v", e)
			}
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || f.Rejected != 7 || f.Result.Inserted != 2 || f.Status() != store.FilePartial {
		t.Errorf("errors\n got %q\nwant %q\nresult %+v", got, want, f.Result)
	}
	if !errors.Is(f.Errors[2], vcf.ErrType) || !errors.Is(f.Errors[1], vcf.ErrPos) || !errors.Is(f.Errors[0], vcf.ErrColumns) {
		t.Error("errors do not wrap the package's sentinels")
	}
	rep = ingestPaths(t, s, ingest.Options{SampleSystem: "mrn"}, p)
	if r := rep.Files[0].Result; r.Inserted != 0 || r.Duplicate != 2 {
		t.Errorf("re-ingest %+v", r)
	}
}

// bigVCF is a single-sample VCF of n heterozygous SNVs (several BGZF
// blocks).
func bigVCF(n int) []byte {
	var b bytes.Buffer
	b.WriteString("##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "chr2\t%d\t.\tA\tG\t%d\tPASS\tNOTE=%0240d\tGT\t0/1\n", 1000+i, i%100, i)
	}
	return b.Bytes()
}

func blockOffsets(t *testing.T, z []byte) []int {
	t.Helper()
	var offs []int
	for off := 0; off < len(z); {
		offs = append(offs, off)
		size := int(z[off+16]) | int(z[off+17])<<8
		off += size + 1
	}
	return offs
}

func TestDamagedBGZF(t *testing.T) {
	const n = 3000
	plain := bigVCF(n)
	z := bgzipBytes(t, plain)
	offs := blockOffsets(t, z)
	if len(offs) < 8 {
		t.Fatalf("only %d blocks", len(offs))
	}
	dir := t.TempDir()
	s := openStore(t)

	// Truncated inside block 4: the records before the cut are kept, the
	// cut line is rejected with its line number and the block's offset.
	cut := filepath.Join(dir, "cut.vcf.gz")
	os.WriteFile(cut, z[:offs[4]+(offs[5]-offs[4])/2], 0o644)
	rep := ingestPaths(t, s, ingest.Options{SampleSystem: "mrn"}, cut)
	f := rep.Files[0]
	kept := f.Result.Inserted
	if f.Rejected != 1 || kept == 0 || kept >= n || f.Err != nil {
		t.Fatalf("truncated: %+v rejected %d errors %v", f.Result, f.Rejected, f.Errors)
	}
	msg := f.Errors[0].Error()
	wantMsg := fmt.Sprintf("cut.vcf.gz: line %d: compressed data damaged: BGZF block at byte %d: bgzf: truncated block", kept+4, offs[4])
	if !strings.HasPrefix(msg, wantMsg) || !errors.Is(f.Errors[0], bgzf.ErrTruncated) {
		t.Errorf("truncation error %q, want prefix %q", msg, wantMsg)
	}

	// A corrupt block in the middle: its lines are lost and reported, the
	// blocks after it are read.
	bad := bytes.Clone(z)
	bad[offs[6]-8] ^= 0xff // CRC of block 5
	badPath := filepath.Join(dir, "crc.vcf.gz")
	os.WriteFile(badPath, bad, 0o644)
	s2 := openStore(t)
	rep = ingestPaths(t, s2, ingest.Options{SampleSystem: "mrn"}, badPath)
	f = rep.Files[0]
	if f.Rejected != 1 || !errors.Is(f.Errors[0], bgzf.ErrChecksum) || f.Result.Inserted >= n || f.Result.Inserted < n-400 {
		t.Errorf("corrupt block: %+v errors %v", f.Result, f.Errors)
	}
	lost := n - f.Result.Inserted

	// Re-ingesting the intact file adds exactly what was lost: nothing
	// twice, nothing missing.
	good := filepath.Join(dir, "good.vcf.gz")
	os.WriteFile(good, z, 0o644)
	rep = ingestPaths(t, s2, ingest.Options{SampleSystem: "mrn"}, good)
	if r := rep.Files[0].Result; r.Inserted != lost || r.Duplicate != n-lost || rep.Files[0].Rejected != 0 {
		t.Errorf("intact re-ingest %+v (lost %d)", r, lost)
	}

	// Cut at a block boundary: every line read, but the missing EOF block
	// is reported.
	edge := filepath.Join(dir, "edge.vcf.gz")
	os.WriteFile(edge, z[:offs[3]], 0o644)
	rep = ingestPaths(t, openStore(t), ingest.Options{SampleSystem: "mrn"}, edge)
	if f := rep.Files[0]; f.Rejected < 1 || !errors.Is(f.Errors[len(f.Errors)-1], vcf.ErrNoEOFMarker) {
		t.Errorf("cut at boundary: %+v %v", f.Result, f.Errors)
	}

	// A plain gzip stream cut short: reported, the rest before it kept.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	gzPath := filepath.Join(dir, "cut-plain.vcf.gz")
	os.WriteFile(gzPath, gz.Bytes()[:gz.Len()/2], 0o644)
	rep = ingestPaths(t, openStore(t), ingest.Options{SampleSystem: "mrn"}, gzPath)
	if f := rep.Files[0]; f.Rejected != 1 || f.Result.Inserted == 0 || !errors.Is(f.Errors[0], vcf.ErrDamaged) {
		t.Errorf("cut gzip: %+v %v", f.Result, f.Errors)
	}
}

func TestZygosity(t *testing.T) {
	for _, c := range []struct {
		alleles []int
		k       int
		want    string
	}{
		{[]int{0, 1}, 1, "heterozygous"},
		{[]int{1, 1}, 1, "homozygous"},
		{[]int{1}, 1, "hemizygous"},
		{[]int{0, 0}, 1, "reference"},
		{[]int{2, 2}, 1, "absent"},
		{[]int{1, 2}, 2, "heterozygous"},
		{[]int{-1, 1}, 1, "unknown"},
		{[]int{-1, -1}, 1, "unknown"},
		{nil, 1, "unknown"},
		{[]int{0, 0, 1}, 1, "heterozygous"},
		{[]int{0, -1}, 1, "unknown"},
	} {
		if got := vcf.Zygosity(&vcf.Call{Alleles: c.alleles}, c.k); got != c.want {
			t.Errorf("%v allele %d: %s, want %s", c.alleles, c.k, got, c.want)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var _ = math.NaN
