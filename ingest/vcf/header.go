package vcf

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/medtwin/medtwin/ingest/variant"
)

// Type is the value type of an INFO or FORMAT field.
type Type uint8

// Value types (VCF 4.3 §1.4.2).
const (
	TypeString Type = iota
	TypeInteger
	TypeFloat
	TypeFlag
	TypeCharacter
)

func (t Type) String() string {
	return [...]string{"String", "Integer", "Float", "Flag", "Character"}[t]
}

// Number kinds: how many values a field has.
const (
	NumberFixed     = iota // Number=N
	NumberA                // one per ALT allele
	NumberR                // one per allele, REF included
	NumberG                // one per genotype
	NumberUnbounded        // "." or a kind this reader does not count (LA, LR, LG, P, M)
)

// Def is an INFO or FORMAT definition.
type Def struct {
	ID          string
	Number      string // as written
	Type        Type
	Description string
	kind        int
	n           int
}

// Kind returns the definition's number kind and, for NumberFixed, N.
func (d *Def) Kind() (kind, n int) { return d.kind, d.n }

// Contig is a ##contig line.
type Contig struct {
	ID       string
	Length   int64 // 0 when not given
	Assembly string
}

// Header is a parsed VCF header.
type Header struct {
	// Version is the VCF version ("4.3"); "" when the file has no
	// ##fileformat line (accepted, see the package documentation).
	Version string
	Infos   map[string]*Def
	Formats map[string]*Def
	Filters map[string]string
	Contigs []Contig
	Samples []string
	// Reference is the ##reference value as written.
	Reference string
	// Assembly is the reference assembly recognised from the header
	// (GRCh38, GRCh37, NCBI36), or "" (see the package documentation).
	Assembly string
	// Origins holds what the header says about samples: Somatic or Germline
	// by sample name, from GATK's ##tumor_sample/##normal_sample,
	// ##PEDIGREE=<Derived=…,Original=…> and ##SAMPLE=<…,Genomes=…>.
	Origins map[string]string
	// Annotations are the INFO fields carrying VEP- or SnpEff-style
	// transcript annotations, in header order.
	Annotations []*Annotation
	// Lines is the number of header lines, #CHROM included.
	Lines int64

	assemblyHint string
}

// Annotation describes an INFO field of pipe-separated transcript
// annotations (VEP CSQ, SnpEff ANN), from the field list in its header
// Description.
type Annotation struct {
	ID       string   // the INFO key: CSQ, ANN, vep…
	Tool     string   // "VEP" or "SnpEff"
	Fields   []string // field names in order
	roles    []role   // per field
	lastRole int      // index of the last field with a role
}

type role uint8

const (
	roleNone role = iota
	roleAllele
	roleConsequence
	roleImpact
	roleSymbol
	roleGene
	roleFeature
	roleFeatureType
	roleBiotype
	roleHGVSc
	roleHGVSp
	roleCanonical
	roleMANE
	rolePick
	roleClinSig
	roleAlleleNum
	roleExisting
	numRoles
)

var roleNames = map[string]role{
	"allele": roleAllele, "consequence": roleConsequence, "annotation": roleConsequence,
	"impact": roleImpact, "annotation_impact": roleImpact, "symbol": roleSymbol, "gene_name": roleSymbol,
	"gene": roleGene, "gene_id": roleGene, "feature": roleFeature, "feature_id": roleFeature,
	"feature_type": roleFeatureType, "biotype": roleBiotype, "transcript_biotype": roleBiotype,
	"hgvsc": roleHGVSc, "hgvs.c": roleHGVSc, "hgvsp": roleHGVSp, "hgvs.p": roleHGVSp,
	"canonical": roleCanonical, "mane_select": roleMANE, "mane": roleMANE, "pick": rolePick,
	"clin_sig": roleClinSig, "allele_num": roleAlleleNum, "existing_variation": roleExisting,
}

// annotationOf recognises a VEP or SnpEff field list in an INFO
// description; nil when there is none.
func annotationOf(id, desc string) *Annotation {
	var tool, list string
	switch {
	case strings.Contains(desc, "Functional annotations:"):
		tool = "SnpEff"
		list = desc[strings.Index(desc, "Functional annotations:")+len("Functional annotations:"):]
	case strings.Contains(desc, "Format:"):
		tool = "VEP"
		list = desc[strings.Index(desc, "Format:")+len("Format:"):]
	default:
		return nil
	}
	list = strings.Trim(strings.TrimSpace(list), "'\" ")
	a := &Annotation{ID: id, Tool: tool}
	var seen [numRoles]bool
	for _, f := range strings.Split(list, "|") {
		f = strings.TrimSpace(f)
		r := roleNames[strings.ToLower(f)]
		if seen[r] {
			r = roleNone // a repeated name: the first one counts
		}
		seen[r] = true
		a.Fields = append(a.Fields, f)
		a.roles = append(a.roles, r)
	}
	for i, r := range a.roles {
		if r != roleNone {
			a.lastRole = i
		}
	}
	// A transcript annotation names its allele and consequence; other
	// pipe lists (SnpEff LOF/NMD, bcftools BCSQ) are not this.
	if !seen[roleAllele] || !seen[roleConsequence] {
		return nil
	}
	return a
}

// Reserved INFO keys (VCF 4.3 §1.6.1) are not typed unless the header
// declares them: the specification's conformance suite accepts them
// undeclared with any value (hts-specs 4.3 passed_body_info.vcf).

// parseMeta reads one "##" line into h.
func (h *Header) parseMeta(line []byte) error {
	s := string(line[2:])
	key, val, ok := strings.Cut(s, "=")
	if !ok {
		return nil // free text: allowed, ignored
	}
	switch key {
	case "fileformat":
		v, ok := strings.CutPrefix(val, "VCFv")
		if !ok || !validVersion(v) {
			return fmt.Errorf("%w: ##fileformat: not VCFv4.x", ErrHeader)
		}
		h.Version = v
	case "INFO", "FORMAT":
		kv, err := structured(val)
		if err != nil {
			return fmt.Errorf("%w: ##%s: %v", ErrHeader, key, err)
		}
		d := &Def{ID: kv["ID"], Number: kv["Number"], Description: kv["Description"]}
		if d.ID == "" {
			return fmt.Errorf("%w: ##%s without ID", ErrHeader, key)
		}
		switch kv["Type"] {
		case "Integer":
			d.Type = TypeInteger
		case "Float":
			d.Type = TypeFloat
		case "Flag":
			d.Type = TypeFlag
		case "Character":
			d.Type = TypeCharacter
		default:
			d.Type = TypeString // String, or a type this reader does not check
		}
		switch d.Number {
		case "A":
			d.kind = NumberA
		case "R":
			d.kind = NumberR
		case "G":
			d.kind = NumberG
		default:
			if n, err := strconv.Atoi(d.Number); err == nil && n >= 0 {
				d.kind, d.n = NumberFixed, n
			} else {
				d.kind = NumberUnbounded
			}
		}
		m := h.Infos
		if key == "FORMAT" {
			m = h.Formats
		}
		if _, dup := m[d.ID]; !dup { // the first definition counts
			m[d.ID] = d
			if key == "INFO" {
				if a := annotationOf(d.ID, d.Description); a != nil {
					h.Annotations = append(h.Annotations, a)
				}
			}
		}
	case "FILTER":
		if kv, err := structured(val); err == nil {
			h.Filters[kv["ID"]] = kv["Description"]
		}
	case "contig":
		kv, err := structured(val)
		if err != nil {
			return fmt.Errorf("%w: ##contig: %v", ErrHeader, err)
		}
		c := Contig{ID: kv["ID"], Assembly: kv["assembly"]}
		if l, err := strconv.ParseInt(kv["length"], 10, 64); err == nil {
			c.Length = l
		}
		h.Contigs = append(h.Contigs, c)
	case "reference":
		h.Reference = val
	case "assembly":
		h.hint(val)
	case "VEP":
		// ##VEP="v110" … assembly="GRCh38" …
		if i := strings.Index(val, "assembly="); i >= 0 {
			if f := strings.Fields(val[i+len("assembly="):]); len(f) > 0 {
				h.hint(strings.Trim(f[0], `"`))
			}
		}
	case "SnpEffCmd":
		h.hint(val) // the database name: SnpEff GRCh37.75 …
	case "tumor_sample":
		h.Origins[val] = "somatic"
	case "normal_sample":
		h.Origins[val] = "germline"
	case "PEDIGREE":
		if kv, err := structured(val); err == nil && kv["Derived"] != "" && kv["Original"] != "" {
			h.Origins[kv["Derived"]] = "somatic"
			if _, ok := h.Origins[kv["Original"]]; !ok {
				h.Origins[kv["Original"]] = "germline"
			}
		}
	case "SAMPLE":
		if kv, err := structured(val); err == nil && kv["ID"] != "" {
			switch strings.ToLower(kv["Genomes"]) {
			case "tumor", "tumour", "somatic":
				h.Origins[kv["ID"]] = "somatic"
			case "germline", "normal":
				h.Origins[kv["ID"]] = "germline"
			}
		}
	}
	return nil
}

func (h *Header) hint(s string) {
	if h.assemblyHint == "" {
		h.assemblyHint = variant.Assembly(s)
	}
}

func validVersion(v string) bool {
	major, minor, ok := strings.Cut(v, ".")
	if !ok || major != "4" || minor == "" {
		return false
	}
	for _, c := range minor {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// finish settles what depends on the whole header: the assembly, from
// contig lengths first (unambiguous), then contig assembly attributes, then
// ##assembly, ##VEP and ##SnpEffCmd, then ##reference.
func (h *Header) finish() {
	for _, c := range h.Contigs {
		if a := variant.AssemblyFromLength(c.ID, c.Length); a != "" {
			h.Assembly = a
			return
		}
	}
	for _, c := range h.Contigs {
		if a := variant.Assembly(c.Assembly); a != "" {
			h.Assembly = a
			return
		}
	}
	if h.assemblyHint != "" {
		h.Assembly = h.assemblyHint
		return
	}
	h.Assembly = variant.Assembly(h.Reference)
}

// parseColumns reads the #CHROM line.
func (h *Header) parseColumns(line []byte) error {
	cols := bytes.Split(line, []byte{'\t'})
	want := []string{"#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"}
	if len(cols) < len(want) {
		return fmt.Errorf("%w: #CHROM line: %d columns, want at least 8 (tab-separated)", ErrHeader, len(cols))
	}
	for i, w := range want {
		if string(bytes.TrimSpace(cols[i])) != w {
			return fmt.Errorf("%w: #CHROM line: column %d is not %s", ErrHeader, i+1, w)
		}
	}
	if len(cols) == 8 {
		return nil
	}
	if string(bytes.TrimSpace(cols[8])) != "FORMAT" {
		return fmt.Errorf("%w: #CHROM line: column 9 is not FORMAT", ErrHeader)
	}
	seen := map[string]bool{}
	for i, c := range cols[9:] {
		name := string(bytes.TrimRight(c, "\r"))
		if name == "" {
			return fmt.Errorf("%w: #CHROM line: sample column %d has no name", ErrHeader, i+1)
		}
		if seen[name] {
			return fmt.Errorf("%w: #CHROM line: sample column %d repeats an earlier sample name", ErrHeader, i+1)
		}
		seen[name] = true
		h.Samples = append(h.Samples, name)
	}
	if len(h.Samples) == 0 {
		return fmt.Errorf("%w: #CHROM line: FORMAT without samples", ErrHeader)
	}
	return nil
}

// structured parses <key=value,key="quoted, \"value\"",...>.
func structured(s string) (map[string]string, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '<' || s[len(s)-1] != '>' {
		return nil, fmt.Errorf("not <key=value,...>")
	}
	s = s[1 : len(s)-1]
	kv := map[string]string{}
	for len(s) > 0 {
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return nil, fmt.Errorf("key without value")
		}
		key := strings.TrimSpace(s[:eq])
		s = s[eq+1:]
		var val string
		if len(s) > 0 && s[0] == '"' {
			var b strings.Builder
			i := 1
			closed := false
			for ; i < len(s); i++ {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					i++
					b.WriteByte(s[i])
					continue
				}
				if c == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				return nil, fmt.Errorf("unterminated quoted value")
			}
			val = b.String()
			s = s[i:]
			if len(s) > 0 {
				if s[0] != ',' {
					return nil, fmt.Errorf("text after a quoted value")
				}
				s = s[1:]
			}
		} else {
			i := strings.IndexByte(s, ',')
			if i < 0 {
				val, s = s, ""
			} else {
				val, s = s[:i], s[i+1:]
			}
		}
		if _, dup := kv[key]; !dup {
			kv[key] = val
		}
	}
	return kv, nil
}
