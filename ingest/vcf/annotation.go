package vcf

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/medtwin/medtwin/ingest/variant"
)

// Transcript is one entry of a transcript annotation field (one comma-
// separated item of CSQ or ANN): the fields this reader interprets, and the
// whole entry. Its slices point into the reader's buffer.
type Transcript struct {
	Raw         []byte
	Allele      []byte
	Consequence []byte
	Impact      []byte
	Symbol      []byte
	Gene        []byte
	Feature     []byte
	FeatureType []byte
	Biotype     []byte
	HGVSc       []byte
	HGVSp       []byte
	Canonical   []byte // VEP CANONICAL ("YES")
	MANE        []byte // VEP MANE_SELECT (a RefSeq accession when selected)
	Pick        []byte // VEP PICK ("1")
	ClinSig     []byte // VEP CLIN_SIG
	AlleleNum   []byte // VEP ALLELE_NUM
	Existing    []byte // VEP Existing_variation (rsIDs, COSMIC ids…)

	severity int
	biotype  int
}

func (t *Transcript) set(r role, v []byte) {
	switch r {
	case roleAllele:
		t.Allele = v
	case roleConsequence:
		t.Consequence = v
	case roleImpact:
		t.Impact = v
	case roleSymbol:
		t.Symbol = v
	case roleGene:
		t.Gene = v
	case roleFeature:
		t.Feature = v
	case roleFeatureType:
		t.FeatureType = v
	case roleBiotype:
		t.Biotype = v
	case roleHGVSc:
		t.HGVSc = v
	case roleHGVSp:
		t.HGVSp = v
	case roleCanonical:
		t.Canonical = v
	case roleMANE:
		t.MANE = v
	case rolePick:
		t.Pick = v
	case roleClinSig:
		t.ClinSig = v
	case roleAlleleNum:
		t.AlleleNum = v
	case roleExisting:
		t.Existing = v
	}
}

// Transcripts parses the record's value of annotation field a into dst
// (reused); nil when the record does not carry it.
func (r *Record) Transcripts(a *Annotation, dst []Transcript) []Transcript {
	dst = dst[:0]
	val, ok := r.InfoValue(a.ID)
	if !ok || len(val) == 0 || len(val) == 1 && val[0] == '.' {
		return dst
	}
	last := a.lastRole
	for len(val) > 0 {
		entry := val
		if j := bytes.IndexByte(val, ','); j >= 0 {
			entry, val = val[:j], val[j+1:]
		} else {
			val = nil
		}
		if len(entry) == 0 {
			continue
		}
		dst = append(dst, Transcript{Raw: entry})
		t := &dst[len(dst)-1]
		// Fields up to the last one of interest.
		rest := entry
		for f := 0; f <= last; f++ {
			j := indexShort(rest, '|')
			v := rest
			if j >= 0 {
				v = rest[:j]
			}
			if r := a.roles[f]; r != roleNone {
				if a.Tool == "SnpEff" {
					v = bytes.TrimSpace(v)
				}
				t.set(r, v)
			}
			if j < 0 {
				break
			}
			rest = rest[j+1:]
		}
		t.severity = r.sev.get(t.Consequence, t.Impact)
		t.biotype = biotypePriority(t.Biotype)
	}
	return dst
}

// matchesAllele reports whether transcript t annotates ALT allele k
// (1-based) of rec: by VEP's ALLELE_NUM when given, else by its Allele
// field, compared with the ALT as written and with VEP's trimmed form
// (when every allele shares its first base, VEP drops it and writes an
// empty allele as "-"), and for symbolic alleles with VEP's SO class name.
// SnpEff's cancer-mode entries ("G-C": ALT G against allele C) do not
// match: they describe one ALT relative to another, not to the reference.
// With a single ALT every entry matches (SnpEff and old VEP may leave the
// allele empty).
func matchesAllele(t *Transcript, rec *Record, k int) bool {
	if len(t.AlleleNum) > 0 {
		n, err := strconv.Atoi(string(t.AlleleNum))
		return err == nil && n == k
	}
	if len(rec.Alts) == 1 {
		return len(t.Allele) == 0 || bytes.IndexByte(t.Allele, '-') <= 0 || string(t.Allele) == "-"
	}
	alt := rec.Alts[k-1]
	if bytes.Equal(t.Allele, alt) {
		return true
	}
	if trimmed, ok := vepAllele(rec, k); ok && bytes.Equal(t.Allele, trimmed) {
		return true
	}
	if len(alt) > 2 && alt[0] == '<' {
		cls := symbolicClass(alt)
		return cls != "" && string(t.Allele) == cls
	}
	return false
}

var dash = []byte("-")

// vepAllele returns ALT k in VEP's form when it differs from the ALT.
func vepAllele(rec *Record, k int) ([]byte, bool) {
	if len(rec.Ref) == 0 {
		return nil, false
	}
	first := rec.Ref[0]
	sameLen := true
	for _, a := range rec.Alts {
		if len(a) == 0 || a[0] != first || a[0] == '<' {
			return nil, false
		}
		sameLen = sameLen && len(a) == len(rec.Ref)
	}
	if sameLen {
		return nil, false // SNVs and MNVs are not trimmed
	}
	a := rec.Alts[k-1][1:]
	if len(a) == 0 {
		return dash, true
	}
	return a, true
}

func symbolicClass(alt []byte) string {
	s := strings.Trim(string(alt), "<>")
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	switch s {
	case "DEL":
		return "deletion"
	case "DUP":
		return "duplication"
	case "INS":
		return "insertion"
	case "INV":
		return "inversion"
	case "CNV":
		return "copy_number_variation"
	}
	return ""
}

// PickTranscript chooses the transcript to report for ALT allele k
// (1-based) among ts and lists (in idx, reused) the entries of that allele.
// The rule is vcf2maf's: order the allele's entries by biotype (protein-
// coding first), then consequence severity (most severe first); the gene is
// that of the first entry with a gene symbol; within that gene report the
// MANE Select transcript, else VEP's canonical one, else VEP's PICK, else
// the most severe. It returns -1 when no entry belongs to the allele.
func PickTranscript(ts []Transcript, rec *Record, k int, idx []int) (int, []int) {
	idx = idx[:0]
	for i := range ts {
		if matchesAllele(&ts[i], rec, k) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return -1, idx
	}
	better := func(a, b *Transcript) bool { // a ranks before b
		if a.biotype != b.biotype {
			return a.biotype < b.biotype
		}
		return a.severity < b.severity
	}
	// The first entry (in rank order) that names a gene.
	gene := -1
	for _, i := range idx {
		if len(ts[i].Symbol) > 0 && (gene < 0 || better(&ts[i], &ts[gene])) {
			gene = i
		}
	}
	if gene < 0 {
		best := idx[0]
		for _, i := range idx[1:] {
			if better(&ts[i], &ts[best]) {
				best = i
			}
		}
		return best, idx
	}
	sym := ts[gene].Symbol
	pick := -1
	score := func(t *Transcript) int {
		switch {
		case len(t.MANE) > 0:
			return 3
		case string(t.Canonical) == "YES" || string(t.Canonical) == "1":
			return 2
		case string(t.Pick) == "1":
			return 1
		}
		return 0
	}
	for _, i := range idx {
		if !bytes.Equal(ts[i].Symbol, sym) {
			continue
		}
		if pick < 0 {
			pick = i
			continue
		}
		si, sp := score(&ts[i]), score(&ts[pick])
		if si > sp || si == sp && better(&ts[i], &ts[pick]) {
			pick = i
		}
	}
	return pick, idx
}

// biotypePriority caches variant.BiotypePriority for the few biotype names
// a file uses.
func biotypePriority(b []byte) int {
	switch string(b) {
	case "protein_coding":
		return 1
	case "":
		return variant.BiotypePriority("")
	}
	return variant.BiotypePriority(string(b))
}

// severityCache remembers the severity of recent consequence strings: a
// file uses few distinct ones, and comparing bytes is cheaper than the map
// lookups of variant.Severity.
type severityCache struct {
	e [32]struct {
		cons, impact []byte
		sev          int
		ok           bool
	}
}

func (c *severityCache) get(cons, impact []byte) int {
	if c == nil {
		return variant.Severity(cons, impact)
	}
	h := len(cons)
	if h > 0 {
		h = h*31 + int(cons[0])*7 + int(cons[len(cons)-1])
	}
	h += len(impact)
	e := &c.e[h&31]
	if e.ok && bytes.Equal(e.cons, cons) && bytes.Equal(e.impact, impact) {
		return e.sev
	}
	e.sev = variant.Severity(cons, impact)
	e.cons = append(e.cons[:0], cons...)
	e.impact = append(e.impact[:0], impact...)
	e.ok = true
	return e.sev
}
