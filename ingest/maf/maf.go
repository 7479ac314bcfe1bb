// Package maf ingests Mutation Annotation Format files (GDC, TCGA,
// cBioPortal, vcf2maf, GATK Funcotator, maftools): tab-separated, "#"
// comment lines anywhere before the header, columns found by name
// (case-insensitive, in any order), plain or gzip compressed. Each row
// becomes a `variant` event (code by ingest/variant) with a row in the
// variants detail table.
//
// Required columns: Chromosome, Start_Position, Reference_Allele,
// Tumor_Seq_Allele2 (or Tumor_Seq_Allele1) and Tumor_Sample_Barcode; a file
// without one of them stops with the missing column named. Used when
// present: Hugo_Symbol ("Unknown" means none), NCBI_Build,
// Tumor_Seq_Allele1, Variant_Classification, Consequence, IMPACT, HGVSc,
// HGVSp, HGVSp_Short, Protein_Change (maftools/oncotator), Transcript_ID
// (or Annotation_Transcript, Feature), dbSNP_RS, Mutation_Status, FILTER,
// CLIN_SIG, t_depth, t_ref_count, t_alt_count, tumor_f, i_TumorVAF_WU
// (percent), all_effects.
//
// A row is rejected, with its line number and column, when it has another
// number of columns than the header (empty trailing columns aside), or a
// Start_Position that is not a positive integer, or no Tumor_Sample_Barcode.
// The rest of the file goes on.
//
// Alleles and positions are kept in MAF convention (1-based Start_Position;
// "-" for the empty allele of an insertion or deletion): without the
// reference sequence an indel cannot be re-anchored to VCF's padded form,
// so MAF indels do not compare equal to the same indel read from a VCF.
// SNVs and MNVs do.
//
// The ALT allele is Tumor_Seq_Allele2, or Tumor_Seq_Allele1 when allele 2
// equals the reference. The genotype is written 0/1 (or 1/1) from the two
// tumour alleles. A row is germline when Mutation_Status says Germline,
// somatic when it says anything else (Somatic, LOH, …), else as the sample
// manifest's tumor_normal says, else somatic. The numeric value is the
// allele fraction for somatic rows (t_alt_count / (t_ref_count +
// t_alt_count), else t_alt_count / t_depth, else tumor_f, else
// i_TumorVAF_WU / 100) and the dosage for germline ones. Rows whose FILTER
// column holds values other than PASS, "." and the user's --filter values
// are counted as filtered unless --keep-all, and so are rows classified
// Silent, Intron, 3'UTR, 3'Flank, 5'UTR, 5'Flank, IGR or RNA (as
// cBioPortal's importer does).
package maf

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/samples"
	"github.com/medtwin/medtwin/ingest/variant"
)

// nonCoding lists the Variant_Classification values cBioPortal skips on
// import (docs.cbioportal.org/file-formats, "Mutation data"); --keep-all
// keeps them.
var nonCoding = map[string]bool{
	"Silent": true, "Intron": true, "3'UTR": true, "3'Flank": true,
	"5'UTR": true, "5'Flank": true, "IGR": true, "RNA": true,
}

// Sentinel errors.
var (
	// ErrNoHeader: the file has no header line.
	ErrNoHeader = errors.New("maf: no header line")
	// ErrMissingColumn: a required column is absent.
	ErrMissingColumn = errors.New("maf: required column missing")
	// ErrColumns: a row has another number of columns than the header.
	ErrColumns = errors.New("wrong number of columns")
	// ErrPosition: Start_Position is not a positive integer.
	ErrPosition = errors.New("not a positive integer")
	// ErrEmpty: a required value is empty.
	ErrEmpty = errors.New("empty")
)

// Skip categories.
const (
	SkipFiltered = "filtered"
	// SkipNonCoding counts rows whose Variant_Classification is one that
	// cBioPortal drops on import (silent, intronic, UTR, flanking,
	// intergenic, RNA): they carry no protein change for the oncology twin.
	SkipNonCoding = "non-coding-or-silent"
	SkipNoAlt     = "no-alt"
	SkipUnlinked  = "samples-unlinked"
)

// Adapter ingests MAF files.
type Adapter struct{}

// New returns the MAF adapter.
func New() *Adapter { return &Adapter{} }

// Name implements ingest.Adapter.
func (*Adapter) Name() string { return "maf" }

// Detect implements ingest.Adapter: the first line that is not a comment
// is a tab-separated header naming Tumor_Sample_Barcode and Chromosome or
// Hugo_Symbol.
func (*Adapter) Detect(_ string, head []byte) bool {
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		var sample, locus bool
		for _, f := range bytes.Split(line, []byte{'\t'}) {
			switch strings.ToLower(string(bytes.TrimSpace(f))) {
			case "tumor_sample_barcode":
				sample = true
			case "chromosome", "hugo_symbol":
				locus = true
			}
		}
		return sample && locus
	}
	return false
}

// column indexes (-1 when absent).
type columns struct {
	chrom, start, ref, alt1, alt2, sample, symbol, build, class, consequence, impact int
	hgvsc, hgvsp, hgvspShort, proteinChange, transcript, rs, status, filter, clinsig int
	tDepth, tRef, tAlt, tumorF, vafPercent, allEffects                               int
}

func findColumns(header []string) (columns, error) {
	idx := map[string]int{}
	for i, h := range header {
		k := strings.ToLower(strings.TrimSpace(h))
		if _, dup := idx[k]; !dup {
			idx[k] = i
		}
	}
	get := func(names ...string) int {
		for _, n := range names {
			if i, ok := idx[strings.ToLower(n)]; ok {
				return i
			}
		}
		return -1
	}
	c := columns{
		chrom: get("Chromosome"), start: get("Start_Position", "Start_position"), ref: get("Reference_Allele"),
		alt1: get("Tumor_Seq_Allele1"), alt2: get("Tumor_Seq_Allele2"), sample: get("Tumor_Sample_Barcode"),
		symbol: get("Hugo_Symbol"), build: get("NCBI_Build"), class: get("Variant_Classification"),
		consequence: get("Consequence"), impact: get("IMPACT"), hgvsc: get("HGVSc"), hgvsp: get("HGVSp"),
		hgvspShort: get("HGVSp_Short"), proteinChange: get("Protein_Change"),
		transcript: get("Transcript_ID", "Annotation_Transcript", "Feature"), rs: get("dbSNP_RS"),
		status: get("Mutation_Status"), filter: get("FILTER"), clinsig: get("CLIN_SIG"),
		tDepth: get("t_depth"), tRef: get("t_ref_count"), tAlt: get("t_alt_count"), tumorF: get("tumor_f"),
		vafPercent: get("i_TumorVAF_WU"), allEffects: get("all_effects"),
	}
	for _, r := range []struct {
		i    int
		name string
	}{{c.chrom, "Chromosome"}, {c.start, "Start_Position"}, {c.ref, "Reference_Allele"}, {c.sample, "Tumor_Sample_Barcode"}} {
		if r.i < 0 {
			return c, fmt.Errorf("%w: %s", ErrMissingColumn, r.name)
		}
	}
	if c.alt1 < 0 && c.alt2 < 0 {
		return c, fmt.Errorf("%w: Tumor_Seq_Allele2", ErrMissingColumn)
	}
	return c, nil
}

// Ingest implements ingest.Adapter.
func (a *Adapter) Ingest(ctx context.Context, env *ingest.Env, files []*ingest.Input, sink ingest.Sink) error {
	return variant.IngestFiles(ctx, env, files, sink, func(ctx context.Context, l *samples.Linker, in *ingest.Input, fs ingest.FileSink) error {
		return ingestFile(ctx, env, l, in, fs)
	})
}

func ingestFile(ctx context.Context, env *ingest.Env, linker *samples.Linker, in *ingest.Input, fs ingest.FileSink) error {
	rc, err := in.OpenStream()
	if err != nil {
		return err
	}
	defer rc.Close()
	r := &fileReader{br: bufio.NewReaderSize(rc, 1<<20)}
	var header []string
	for {
		line, err := r.next()
		if err == io.EOF {
			return ErrNoHeader
		}
		if err != nil {
			return fmt.Errorf("line %d: %w", r.line, err)
		}
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		header = strings.Split(string(line), "\t")
		break
	}
	cols, err := findColumns(header)
	if err != nil {
		return fmt.Errorf("line %d: %w", r.line, err)
	}
	allowed := map[string]bool{"PASS": true, ".": true, "": true}
	for _, f := range env.Options.VariantFilters {
		allowed[strings.TrimSpace(f)] = true
	}
	w := variant.NewWriter(env, fs, in.Name)
	defer w.Release()
	unlinkedSystem := samples.UnlinkedSystem("maf", in.Path)
	unlinked := map[string]bool{}
	skips := map[string]int64{}
	fields := make([][]byte, 0, len(header))
	var call variant.Call
	for {
		line, err := r.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("line %d: %w", r.line, err)
		}
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		loc := "line " + strconv.FormatInt(r.line, 10)
		reject := func(field string, err error) {
			fs.Reject(&ingest.ParseError{Source: in.Name, Record: loc, Field: field, Err: err})
		}
		fields = fields[:0]
		for _, f := range bytes.Split(line, []byte{'\t'}) {
			fields = append(fields, f)
		}
		for len(fields) > len(header) && len(fields[len(fields)-1]) == 0 {
			fields = fields[:len(fields)-1] // trailing tabs
		}
		if len(fields) != len(header) {
			reject("", fmt.Errorf("%w: %d, want %d", ErrColumns, len(fields), len(header)))
			continue
		}
		get := func(i int) string {
			if i < 0 {
				return ""
			}
			return strings.TrimSpace(string(fields[i]))
		}
		sample := get(cols.sample)
		if sample == "" {
			reject("Tumor_Sample_Barcode", ErrEmpty)
			continue
		}
		pos, err := strconv.ParseInt(get(cols.start), 10, 64)
		if err != nil || pos <= 0 {
			reject("Start_Position", ErrPosition)
			continue
		}
		chrom := get(cols.chrom)
		if chrom == "" {
			reject("Chromosome", ErrEmpty)
			continue
		}
		ref := get(cols.ref)
		if ref == "" {
			reject("Reference_Allele", ErrEmpty)
			continue
		}
		a1, a2 := get(cols.alt1), get(cols.alt2)
		alt := a2
		if alt == "" || alt == ref {
			alt = a1
		}
		if alt == "" || alt == ref {
			skips[SkipNoAlt]++
			continue
		}
		filter := get(cols.filter)
		if !env.Options.KeepAll && !filterPass(filter, allowed) {
			skips[SkipFiltered]++
			continue
		}
		if !env.Options.KeepAll && nonCoding[get(cols.class)] {
			skips[SkipNonCoding]++
			continue
		}
		link, err := linker.Link(ctx, sample, unlinkedSystem)
		if err != nil {
			return &variant.StoreError{Err: err}
		}
		if !link.Linked {
			unlinked[sample] = true
		}
		origin := samples.Somatic
		switch status := strings.ToLower(get(cols.status)); {
		case status == "germline":
			origin = samples.Germline
		case status != "" && status != "unknown" && status != "none":
			origin = samples.Somatic
		case link.Origin != "":
			origin = link.Origin
		}
		gt, dosage := genotype(ref, alt, a1, a2)
		tRef, tAlt, tDepth := count(get(cols.tRef)), count(get(cols.tAlt)), count(get(cols.tDepth))
		af := math.NaN()
		switch {
		case tAlt >= 0 && tRef >= 0 && tAlt+tRef > 0:
			af = float64(tAlt) / float64(tAlt+tRef)
		case tAlt >= 0 && tDepth > 0:
			af = float64(tAlt) / float64(tDepth)
		default:
			if f, err := strconv.ParseFloat(get(cols.tumorF), 64); err == nil && f >= 0 && f <= 1 {
				af = f
			} else if p, err := strconv.ParseFloat(get(cols.vafPercent), 64); err == nil && p >= 0 && p <= 100 {
				af = p / 100
			}
		}
		depth := tDepth
		if depth < 0 && tRef >= 0 && tAlt >= 0 {
			depth = tRef + tAlt
		}
		symbol := get(cols.symbol)
		if strings.EqualFold(symbol, "Unknown") || symbol == "." {
			symbol = ""
		}
		hgvsp := get(cols.hgvsp)
		if hgvsp == "" || hgvsp == "." {
			hgvsp = get(cols.hgvspShort)
		}
		if hgvsp == "" || hgvsp == "." {
			hgvsp = get(cols.proteinChange)
		}
		if hgvsp == "." {
			hgvsp = ""
		}
		consequence := get(cols.consequence)
		if consequence == "" {
			consequence = get(cols.class)
		}
		rs := get(cols.rs)
		if !strings.HasPrefix(strings.ToLower(rs), "rs") {
			rs = ""
		}
		call = variant.Call{Time: link.Collected, Locator: loc}
		v := &call.Variant
		v.SubjectID = link.Subject
		v.Sample = sample
		v.Assembly = variant.Assembly(get(cols.build))
		v.Chrom = variant.Chrom(chrom)
		v.Pos = pos
		v.Ref, v.Alt = ref, alt
		v.RSID = rs
		v.Qual = math.NaN()
		v.Filter = filter
		v.Genotype = gt
		v.Zygosity = "heterozygous"
		if dosage == 2 {
			v.Zygosity = "homozygous"
		}
		v.Depth = int32(min(depth, math.MaxInt32))
		v.AltDepth = int32(min(tAlt, math.MaxInt32))
		v.AlleleFraction = af
		v.Origin = origin
		v.Gene = symbol
		v.Consequence = consequence
		v.Impact = get(cols.impact)
		v.HGVSc = variant.StripAccession(get(cols.hgvsc))
		v.HGVSp = variant.Protein(hgvsp)
		v.Transcript = get(cols.transcript)
		v.ClinicalSignificance = get(cols.clinsig)
		v.Annotations = allEffects(get(cols.allEffects))
		if origin == samples.Somatic {
			if !math.IsNaN(af) {
				call.Value, call.HasValue = af, true
			}
		} else {
			call.Value, call.HasValue = float64(dosage), true
		}
		if err := w.Add(ctx, &call); err != nil {
			return &variant.StoreError{Err: err}
		}
	}
	if len(unlinked) > 0 {
		fs.Skip(SkipUnlinked, int64(len(unlinked)))
		env.Logger.Warn("maf: samples not linked to a patient; each stored under its own patient (see --samples, --sample-system)",
			"file", in.Name, "samples", len(unlinked), "system", unlinkedSystem)
	}
	for c, n := range skips {
		fs.Skip(c, n)
	}
	if err := w.Flush(ctx); err != nil {
		return &variant.StoreError{Err: err}
	}
	return nil
}

// genotype writes the tumour genotype from the two tumour alleles (0 for
// REF, 1 for ALT, 2 for another allele) and the dosage of ALT; without
// Tumor_Seq_Allele1 the call is taken as heterozygous.
func genotype(ref, alt, a1, a2 string) (string, int) {
	idx := func(a string) (string, int) {
		switch a {
		case ref:
			return "0", 0
		case alt:
			return "1", 1
		case "":
			return "0", 0
		}
		return "2", 0
	}
	g1, d1 := idx(a1)
	g2, d2 := idx(a2)
	if a2 == "" {
		g2, d2 = "1", 1
	}
	if g1 > g2 {
		g1, g2 = g2, g1
	}
	return g1 + "/" + g2, d1 + d2
}

func count(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

func filterPass(f string, allowed map[string]bool) bool {
	for _, v := range strings.FieldsFunc(f, func(r rune) bool { return r == ';' || r == ',' }) {
		if !allowed[strings.TrimSpace(v)] {
			return false
		}
	}
	return true
}

// allEffects keeps vcf2maf's all_effects (every transcript's effect, ";"
// separated) as the detail row's annotations, in the JSON shape of the VCF
// adapter's.
func allEffects(s string) string {
	if s == "" || s == "." {
		return ""
	}
	var entries []string
	for _, e := range strings.Split(s, ";") {
		if e != "" {
			entries = append(entries, e)
		}
	}
	b, _ := json.Marshal(struct {
		Field   string   `json:"field"`
		Tool    string   `json:"tool"`
		Entries []string `json:"entries"`
	}{"all_effects", "vcf2maf", entries})
	return string(b)
}

// fileReader reads lines of any length.
type fileReader struct {
	br   *bufio.Reader
	buf  []byte
	line int64
}

func (r *fileReader) next() ([]byte, error) {
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.buf = append(r.buf, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(r.buf) > 0 {
			err = nil
		}
		if err != nil {
			return nil, err
		}
		r.line++
		return bytes.TrimRight(r.buf, "\r\n"), nil
	}
}
