package vcf

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/bgzf"
	"github.com/medtwin/medtwin/ingest/samples"
	"github.com/medtwin/medtwin/ingest/variant"
)

// ErrNoEOFMarker: a BGZF file ends without bgzip's EOF block, so it may
// have been cut at a block boundary.
var ErrNoEOFMarker = errors.New("BGZF EOF marker missing: the file may be truncated")

// Skip categories reported per file (counts of sample × ALT allele calls
// read but not stored, and of unlinked samples).
const (
	SkipFiltered  = "filtered"          // FILTER (or the sample's FT) not kept
	SkipReference = "reference-call"    // germline genotype without the ALT allele
	SkipNoCall    = "no-call"           // germline genotype missing or absent
	SkipNoAlt     = "no-alt"            // ALT ".", "*", "<*>" or "<NON_REF>": no variant allele
	SkipSitesOnly = "sites-only"        // records of a file without samples
	SkipUnlinked  = "samples-unlinked"  // samples with no patient link (stored, see ingest/samples)
	SkipAbsent    = "somatic-not-found" // somatic sample without the allele (GT, AF or depth)
)

// Adapter ingests VCF files. See the package documentation.
type Adapter struct{}

// New returns the VCF adapter.
func New() *Adapter { return &Adapter{} }

// Name implements ingest.Adapter.
func (*Adapter) Name() string { return "vcf" }

// Detect implements ingest.Adapter: a ##fileformat=VCF line, or a header
// of "##" lines leading to the #CHROM column line.
func (*Adapter) Detect(_ string, head []byte) bool {
	if bytes.HasPrefix(head, []byte("##fileformat=VCF")) || bytes.HasPrefix(head, []byte("#CHROM\tPOS\tID\tREF\tALT")) {
		return true
	}
	return bytes.HasPrefix(head, []byte("##")) && bytes.Contains(head, []byte("\n#CHROM\tPOS\tID\tREF\tALT\t"))
}

// Ingest implements ingest.Adapter.
func (a *Adapter) Ingest(ctx context.Context, env *ingest.Env, files []*ingest.Input, sink ingest.Sink) error {
	return variant.IngestFiles(ctx, env, files, sink, func(ctx context.Context, l *samples.Linker, in *ingest.Input, fs ingest.FileSink) error {
		return ingestFile(ctx, env, l, in, fs)
	})
}

// Open returns a reader of a VCF file's text: BGZF decompressed in
// parallel, plain gzip sequentially, anything else as is. The returned
// *bgzf.Reader is nil for uncompressed input.
func Open(r io.Reader) (io.Reader, *bgzf.Reader, error) {
	br := bufio.NewReaderSize(r, 4*bgzf.MaxBlockSize)
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, nil, err
	}
	if !bgzf.IsGzip(magic) {
		return br, nil, nil
	}
	zr, err := bgzf.NewReader(br)
	if err != nil {
		return nil, nil, err
	}
	return zr, zr, nil
}

type fileState struct {
	ctx     context.Context
	env     *ingest.Env
	in      *ingest.Input
	fs      ingest.FileSink
	w       *variant.Writer
	h       *Header
	links   []samples.Link
	origin  []string
	names   []string
	allowed map[string]bool
	chroms  map[string]string
	calls   []Call
	callErr []error
	ts      []Transcript
	idx     []int
	skips   map[string]int64
	call    variant.Call
	json    []byte
}

func ingestFile(ctx context.Context, env *ingest.Env, linker *samples.Linker, in *ingest.Input, fs ingest.FileSink) error {
	raw, err := in.Open()
	if err != nil {
		return err
	}
	defer raw.Close()
	src, zr, err := Open(raw)
	if err != nil {
		return err
	}
	if zr != nil {
		defer zr.Close()
	}
	vr, err := NewReader(src)
	if err != nil {
		return err
	}
	h := vr.Header()
	st := &fileState{ctx: ctx, env: env, in: in, fs: fs, h: h, chroms: map[string]string{}, skips: map[string]int64{},
		allowed: map[string]bool{"PASS": true, ".": true}}
	for _, f := range env.Options.VariantFilters {
		if f = strings.TrimSpace(f); f != "" {
			st.allowed[f] = true
		}
	}
	unlinkedSystem := samples.UnlinkedSystem("vcf", in.Path)
	unlinked := 0
	for _, name := range h.Samples {
		l, err := linker.Link(ctx, name, unlinkedSystem)
		if err != nil {
			return &variant.StoreError{Err: err}
		}
		if !l.Linked {
			unlinked++
		}
		st.links = append(st.links, l)
		st.origin = append(st.origin, sampleOrigin(l.Origin, h.Origins[name], name))
		st.names = append(st.names, name)
	}
	if unlinked > 0 {
		fs.Skip(SkipUnlinked, int64(unlinked))
		env.Logger.Warn("vcf: samples not linked to a patient; each stored under its own patient (see --samples, --sample-system)",
			"file", in.Name, "samples", unlinked, "system", unlinkedSystem)
	}
	st.calls = make([]Call, len(h.Samples))
	st.callErr = make([]error, len(h.Samples))
	st.w = variant.NewWriter(env, fs, in.Name)
	defer st.w.Release()

	damaged := false
	for {
		rec, err := vr.Read()
		if err == io.EOF {
			break
		}
		var le *LineError
		if errors.As(err, &le) {
			damaged = damaged || errors.Is(le, ErrDamaged)
			fs.Reject(&ingest.ParseError{Source: in.Name, Record: "line " + strconv.FormatInt(le.Line, 10), Field: le.Field, Err: le.Err})
			continue
		}
		if err != nil {
			return err
		}
		if err := st.record(rec); err != nil {
			return &variant.StoreError{Err: err}
		}
	}
	if zr != nil && !zr.SawEOFMarker() && !damaged {
		fs.Reject(&ingest.ParseError{Source: in.Name, Record: "end of file", Err: ErrNoEOFMarker})
	}
	for c, n := range st.skips {
		fs.Skip(c, n)
	}
	if err := st.w.Flush(ctx); err != nil {
		return &variant.StoreError{Err: err}
	}
	return nil
}

// sampleOrigin: the manifest, then the header, then the sample names
// TUMOR/TUMOUR and NORMAL (as somatic callers name them), else germline.
func sampleOrigin(manifest, header, name string) string {
	switch {
	case manifest != "":
		return manifest
	case header != "":
		return header
	}
	switch strings.ToUpper(name) {
	case "TUMOR", "TUMOUR":
		return samples.Somatic
	}
	return samples.Germline
}

func (st *fileState) chrom(raw []byte) string {
	if c, ok := st.chroms[string(raw)]; ok {
		return c
	}
	c := variant.Chrom(string(raw))
	if len(st.chroms) < 1<<16 {
		st.chroms[string(raw)] = c
	}
	return c
}

func (st *fileState) filterPass(f []byte) bool {
	if st.env.Options.KeepAll || len(f) == 0 {
		return true
	}
	for len(f) > 0 {
		v := f
		if j := bytes.IndexByte(f, ';'); j >= 0 {
			v, f = f[:j], f[j+1:]
		} else {
			f = nil
		}
		if !st.allowed[string(v)] {
			return false
		}
	}
	return true
}

func noAlt(alt []byte) bool {
	switch string(alt) {
	case "*", "<*>", "<NON_REF>", "<X>":
		return true
	}
	return false
}

// record turns one record into calls: one per sample and ALT allele kept.
func (st *fileState) record(rec *Record) error {
	ns := len(st.h.Samples)
	if ns == 0 {
		st.skips[SkipSitesOnly]++
		return nil
	}
	if len(rec.Alts) == 0 {
		st.skips[SkipNoAlt] += int64(ns)
		return nil
	}
	keepAll := st.env.Options.KeepAll
	if !st.filterPass(rec.Filter) {
		st.skips[SkipFiltered] += int64(ns * len(rec.Alts))
		return nil
	}
	for i := range st.calls {
		st.callErr[i] = rec.Call(i, &st.calls[i])
		if st.callErr[i] != nil {
			var le *LineError
			if errors.As(st.callErr[i], &le) {
				st.fs.Reject(&ingest.ParseError{Source: st.in.Name, Record: "line " + strconv.FormatInt(le.Line, 10), Field: le.Field, Err: le.Err})
			}
		}
	}
	var chrom, locator string
	var ann *Annotation
	for _, a := range st.h.Annotations {
		if _, ok := rec.InfoValue(a.ID); ok {
			ann = a
			break
		}
	}
	// Annotations and site facts are read only for a record with a call
	// to store.
	parsed := false
	var site site
	for k := 1; k <= len(rec.Alts); k++ {
		alt := rec.Alts[k-1]
		if noAlt(alt) {
			st.skips[SkipNoAlt] += int64(ns)
			continue
		}
		var allele alleleAnnotation
		annotated := false
		for i := range st.calls {
			if st.callErr[i] != nil {
				continue
			}
			c := &st.calls[i]
			if !keepAll && len(c.FT) > 0 && !st.filterPass(c.FT) {
				st.skips[SkipFiltered]++
				continue
			}
			origin := st.origin[i]
			dosage, complete := c.Dosage(k)
			af := c.AlleleFraction(k, alt)
			if !keepAll {
				if origin == samples.Germline {
					if len(c.Alleles) == 0 || !c.Called() {
						st.skips[SkipNoCall]++
						continue
					}
					if dosage == 0 {
						st.skips[SkipReference]++
						continue
					}
				} else if dosage == 0 && (c.Called() || af <= 0) {
					st.skips[SkipAbsent]++
					continue
				}
			}
			if !parsed {
				parsed = true
				chrom = st.chrom(rec.Chrom)
				locator = "line " + strconv.FormatInt(rec.Line, 10)
				site = siteInfo(rec)
				st.ts = st.ts[:0]
				if ann != nil {
					st.ts = rec.Transcripts(ann, st.ts)
				}
			}
			if !annotated {
				annotated = true
				if ann != nil {
					allele = st.annotate(ann, rec, k)
				}
			}
			if err := st.emit(rec, k, i, chrom, locator, &site, &allele, dosage, complete, af); err != nil {
				return err
			}
		}
	}
	return nil
}

// site is what a record says for every allele and sample: ClinVar fields
// and the rsID.
type site struct {
	rsid, clnsig, gene, consequence, clnhgvs string
}

func siteInfo(rec *Record) site {
	var s site
	if id := rec.ID; len(id) > 2 && (id[0] == 'r' || id[0] == 'R') && (id[1] == 's' || id[1] == 'S') {
		v := id
		if j := bytes.IndexByte(v, ';'); j >= 0 {
			v = v[:j]
		}
		s.rsid = string(v)
	} else if rs, ok := rec.InfoValue("RS"); ok && len(rs) > 0 {
		if j := bytes.IndexByte(rs, ','); j >= 0 {
			rs = rs[:j]
		}
		s.rsid = "rs" + string(rs)
	}
	if v, ok := rec.InfoValue("CLNSIG"); ok && len(v) > 0 && string(v) != "." {
		s.clnsig = string(v)
	}
	if v, ok := rec.InfoValue("GENEINFO"); ok && len(v) > 0 && string(v) != "." {
		// SYMBOL:GeneID|SYMBOL:GeneID
		g := v
		if j := bytes.IndexByte(g, ':'); j >= 0 {
			g = g[:j]
		}
		s.gene = string(g)
	}
	if v, ok := rec.InfoValue("MC"); ok && len(v) > 0 {
		// SO:0001583|missense_variant,SO:…|…: the most severe.
		best, bestSev := "", 1<<30
		for _, e := range bytes.Split(v, []byte{','}) {
			if j := bytes.IndexByte(e, '|'); j >= 0 {
				term := e[j+1:]
				if sev := variant.Severity(term, nil); sev < bestSev {
					best, bestSev = string(term), sev
				}
			}
		}
		s.consequence = best
	}
	if v, ok := rec.InfoValue("CLNHGVS"); ok && len(v) > 0 && string(v) != "." {
		if j := bytes.IndexByte(v, ','); j >= 0 {
			v = v[:j]
		}
		s.clnhgvs = string(v)
	}
	return s
}

// alleleAnnotation is the chosen transcript of one ALT allele and all of
// the allele's entries.
type alleleAnnotation struct {
	gene, consequence, impact, hgvsc, hgvsp, transcript, clinsig, existing string
	all                                                                    string
}

func (st *fileState) annotate(a *Annotation, rec *Record, k int) alleleAnnotation {
	var out alleleAnnotation
	best, idx := PickTranscript(st.ts, rec, k, st.idx)
	st.idx = idx
	if best < 0 {
		return out
	}
	t := &st.ts[best]
	out.consequence = string(t.Consequence)
	out.impact = string(t.Impact)
	if !intergenic(t) {
		// SnpEff names an intergenic region after its two flanking genes
		// (PLA2G4A-BRINP3) and gives it a genomic n. change: neither is a
		// gene or transcript change.
		out.gene = string(t.Symbol)
		out.hgvsc = string(t.HGVSc)
		out.hgvsp = string(t.HGVSp)
	}
	out.transcript = string(t.Feature)
	out.clinsig = string(t.ClinSig)
	for _, e := range bytes.Split(t.Existing, []byte{'&'}) {
		if len(e) > 2 && e[0] == 'r' && e[1] == 's' {
			out.existing = string(e)
			break
		}
	}
	st.json = annotationJSON(st.json, a, st.ts, idx)
	out.all = string(st.json)
	return out
}

func intergenic(t *Transcript) bool {
	switch string(t.Consequence) {
	case "intergenic_variant", "intergenic_region", "conserved_intergenic_variant":
		return true
	}
	return string(t.FeatureType) == "intergenic_region"
}

// annotationJSON writes the allele's entries as a JSON object naming the
// field they came from and listing each entry as an object of its
// non-empty fields, named as in the header:
// {"field":"CSQ","tool":"VEP","entries":[{"Allele":"G",…},…]}. buf is
// reused between calls.
func annotationJSON(buf []byte, a *Annotation, ts []Transcript, idx []int) []byte {
	b := append(buf[:0], `{"field":`...)
	b = appendJSONString(b, a.ID)
	b = append(b, `,"tool":`...)
	b = appendJSONString(b, a.Tool)
	b = append(b, `,"entries":[`...)
	for n, i := range idx {
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		rest := ts[i].Raw
		first := true
		for f := 0; f < len(a.Fields); f++ {
			v := rest
			j := indexShort(rest, '|')
			if j >= 0 {
				v, rest = rest[:j], rest[j+1:]
			}
			if a.Tool == "SnpEff" {
				v = bytes.TrimSpace(v)
			}
			if len(v) > 0 {
				if !first {
					b = append(b, ',')
				}
				first = false
				b = appendJSONString(b, a.Fields[f])
				b = append(b, ':')
				b = appendJSONString(b, v)
			}
			if j < 0 {
				break
			}
		}
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD (as
// encoding/json does, without its HTML escaping).
func appendJSONString[S ~string | ~[]byte](b []byte, s S) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			case '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		var r rune
		var size int
		switch v := any(s).(type) {
		case string:
			r, size = utf8.DecodeRuneInString(v[i:])
		case []byte:
			r, size = utf8.DecodeRune(v[i:])
		}
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func (st *fileState) emit(rec *Record, k, i int, chrom, locator string, s *site, an *alleleAnnotation, dosage int, complete bool, af float64) error {
	c := &st.calls[i]
	l := st.links[i]
	origin := st.origin[i]
	alt := rec.Alts[k-1]
	call := &st.call
	*call = variant.Call{Time: l.Collected, Locator: locator, GenomicHGVS: s.clnhgvs}
	v := &call.Variant
	v.SubjectID = l.Subject
	v.Sample = st.names[i]
	v.Assembly = st.h.Assembly
	v.Chrom = chrom
	v.Pos = rec.Pos
	v.Ref = string(rec.Ref)
	v.Alt = string(alt)
	v.RSID = s.rsid
	if v.RSID == "" {
		v.RSID = an.existing
	}
	v.Qual = rec.Qual
	v.Filter = string(rec.Filter)
	v.Genotype = string(c.GT)
	v.Zygosity = Zygosity(c, k)
	v.Depth = c.Depth()
	v.AltDepth = c.AltDepth(k, alt)
	v.AlleleFraction = af
	v.Origin = origin
	v.Gene = an.gene
	if v.Gene == "" {
		v.Gene = s.gene
	}
	v.Consequence = an.consequence
	if v.Consequence == "" {
		v.Consequence = s.consequence
	}
	v.Impact = an.impact
	v.HGVSc = variant.StripAccession(variant.Unescape(an.hgvsc))
	v.HGVSp = variant.Protein(an.hgvsp)
	v.Transcript = an.transcript
	v.ClinicalSignificance = s.clnsig
	if v.ClinicalSignificance == "" {
		v.ClinicalSignificance = an.clinsig
	}
	v.Annotations = an.all
	if origin == samples.Somatic {
		if !math.IsNaN(af) {
			call.Value, call.HasValue = af, true
		}
	} else if complete {
		call.Value, call.HasValue = float64(dosage), true
	}
	return st.w.Add(st.ctx, call)
}

// Zygosity describes a genotype with respect to ALT allele k: hemizygous
// (one allele, this ALT), homozygous (every allele this ALT), heterozygous
// (this ALT and another allele), reference (only REF called), absent (no
// copy of this ALT but another ALT called), unknown (no genotype, nothing
// called, or a copy of this ALT beside missing calls).
func Zygosity(c *Call, k int) string {
	dosage, complete := c.Dosage(k)
	switch {
	case len(c.Alleles) == 0 || !c.Called():
		return "unknown"
	case dosage > 0 && !complete:
		return "unknown"
	case dosage > 0 && len(c.Alleles) == 1:
		return "hemizygous"
	case dosage == len(c.Alleles):
		return "homozygous"
	case dosage > 0:
		return "heterozygous"
	}
	for _, a := range c.Alleles {
		if a > 0 {
			return "absent"
		}
	}
	if complete {
		return "reference"
	}
	return "unknown"
}
