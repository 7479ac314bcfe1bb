package liver

import (
	"strings"

	"github.com/medtwin/medtwin/timeline"
)

// Genetics is the patient's genotype at the four common liver-disease
// variants (REFERENCE.md §9) and a combined risk summary.
type Genetics struct {
	Variants []VariantCall `json:"variants"`
	Summary  RiskSummary   `json:"summary"`
}

// Variant call statuses.
const (
	Called      = "called"       // a genotype at the variant was read
	NotReported = "not reported" // no row at the variant: not genotyped, or reference in a variant-only VCF
	NoCall      = "no call"      // a row with a missing genotype (./.)
	Conflicting = "conflicting"  // rows disagree
)

// VariantCall is the genotype at one variant.
type VariantCall struct {
	RSID   string `json:"rsid"`
	Gene   string `json:"gene"`
	Change string `json:"change"`
	// EffectAllele is the allele whose copies are counted (forward strand
	// as in a VCF); Effect says whether it raises or lowers risk.
	EffectAllele string `json:"effectAllele"`
	Effect       string `json:"effect"`
	Status       string `json:"status"`
	Assembly     string `json:"assembly,omitempty"`
	Genotype     string `json:"genotype,omitempty"`
	// EffectAlleles counts copies of EffectAllele (0-2); RiskAlleles counts
	// copies of the risk-raising allele (for a protective variant, the
	// other allele).
	EffectAlleles *int   `json:"effectAlleles"`
	RiskAlleles   *int   `json:"riskAlleles"`
	EventRef      string `json:"eventRef,omitempty"`
	key           timeline.Key
}

// RiskSummary combines the calls.
type RiskSummary struct {
	// Score is the genetic risk score of Gellert-Kristensen et al.
	// (Hepatology 2020;72:845): the number of risk alleles at PNPLA3
	// rs738409 (G), TM6SF2 rs58542926 (T) and HSD17B13 rs72613567 (T, the
	// non-protective allele), 0-6; nil unless all three were called.
	Score *int `json:"score"`
	// ExtendedScore adds the MBOAT7 rs641738 T alleles (0-8): an unweighted
	// medtwin summary, not a published score; nil unless all four were
	// called.
	ExtendedScore *int     `json:"extendedScore"`
	Missing       []string `json:"missing"`
	Method        string   `json:"method"`
}

type rep struct {
	pos      int64
	ref, alt string
}

type locus struct {
	rsid, gene, change, chrom string
	effect                    string // the effect allele (the alt of reps)
	protective                bool
	reps                      map[string][]rep // by assembly
}

// liverLoci are the variants of REFERENCE.md §9, with their VCF
// representations on GRCh38 and GRCh37 (dbSNP/Ensembl coordinates). The
// HSD17B13 insertion is accepted left-aligned (T>TA, as normalised VCFs
// write it) and one base to the right (A>AA, as Ensembl writes it).
var liverLoci = []locus{
	{rsid: "rs738409", gene: "PNPLA3", change: "p.Ile148Met (I148M)", chrom: "22", effect: "G",
		reps: map[string][]rep{"GRCh38": {{43928847, "C", "G"}}, "GRCh37": {{44324727, "C", "G"}}}},
	{rsid: "rs58542926", gene: "TM6SF2", change: "p.Glu167Lys (E167K)", chrom: "19", effect: "T",
		reps: map[string][]rep{"GRCh38": {{19268740, "C", "T"}}, "GRCh37": {{19379549, "C", "T"}}}},
	{rsid: "rs72613567", gene: "HSD17B13", change: "splice donor insertion (T>TA)", chrom: "4", effect: "TA", protective: true,
		reps: map[string][]rep{
			"GRCh38": {{87310240, "T", "TA"}, {87310241, "A", "AA"}},
			"GRCh37": {{88231392, "T", "TA"}, {88231393, "A", "AA"}},
		}},
	{rsid: "rs641738", gene: "MBOAT7", change: "MBOAT7/TMC4 (C>T)", chrom: "19", effect: "T",
		reps: map[string][]rep{"GRCh38": {{54173068, "C", "T"}}, "GRCh37": {{54676763, "C", "T"}}}},
}

// assembly maps a variant's declared assembly to GRCh38 or GRCh37; an
// undeclared assembly is GRCh38, an unknown one "".
func assembly(a string) string {
	switch strings.ToLower(strings.TrimSpace(a)) {
	case "", "grch38", "hg38", "b38", "grch38.p13", "grch38.p14":
		return "GRCh38"
	case "grch37", "hg19", "b37", "grch37.p13", "hs37d5":
		return "GRCh37"
	}
	if strings.HasPrefix(strings.ToLower(a), "grch38") {
		return "GRCh38"
	}
	if strings.HasPrefix(strings.ToLower(a), "grch37") {
		return "GRCh37"
	}
	return ""
}

func chromName(c string) string {
	c = strings.TrimSpace(c)
	if len(c) > 3 && strings.EqualFold(c[:3], "chr") {
		c = c[3:]
	}
	return strings.ToUpper(c)
}

// altCopies counts copies of a row's alt allele in its genotype; ploidy is
// the number of alleles. ok is false for a missing genotype.
func altCopies(v *timeline.Variant) (n, ploidy int, ok bool) {
	gt := strings.TrimSpace(v.Genotype)
	if gt != "" {
		alleles := strings.FieldsFunc(gt, func(r rune) bool { return r == '/' || r == '|' })
		simple := true
		for _, a := range alleles {
			switch a {
			case ".":
				return 0, len(alleles), false
			case "0":
			case "1":
				n++
			default:
				simple = false
			}
		}
		if simple {
			return n, len(alleles), true
		}
		ploidy = len(alleles)
	}
	if ploidy == 0 {
		ploidy = 2
	}
	switch strings.ToLower(v.Zygosity) {
	case "heterozygous":
		return 1, ploidy, true
	case "homozygous":
		return ploidy, ploidy, true
	case "hemizygous":
		return 1, 1, true
	case "reference":
		return 0, ploidy, true
	}
	return 0, ploidy, false
}

// Genotypes reads the liver-disease variants from variant detail rows
// (germline rows only), matching by chromosome, position and alleles on the
// row's assembly.
func Genotypes(vs []timeline.Variant) Genetics {
	g := Genetics{Variants: []VariantCall{}, Summary: RiskSummary{Missing: []string{},
		Method: "Gellert-Kristensen 2020 genetic risk score (PNPLA3 G + TM6SF2 T + HSD17B13 non-insertion T alleles, 0-6); " +
			"extended score adds MBOAT7 T alleles (unweighted, 0-8)"}}
	for _, l := range liverLoci {
		c := VariantCall{RSID: l.rsid, Gene: l.gene, Change: l.change, EffectAllele: l.effect, Effect: "risk", Status: NotReported}
		if l.protective {
			c.Effect = "protective"
		}
		var counts []int
		for i := range vs {
			v := &vs[i]
			if strings.EqualFold(v.Origin, "somatic") || chromName(v.Chrom) != l.chrom {
				continue
			}
			asm := assembly(v.Assembly)
			for _, r := range l.reps[asm] {
				if v.Pos != r.pos {
					continue
				}
				swapped := false
				switch {
				case v.Ref == r.ref && v.Alt == r.alt:
				case len(r.ref) == 1 && len(r.alt) == 1 && v.Ref == r.alt && v.Alt == r.ref:
					swapped = true
				default:
					continue
				}
				c.Assembly, c.Genotype, c.EventRef, c.key = asm, v.Genotype, v.Key.String(), v.Key
				n, ploidy, ok := altCopies(v)
				if !ok {
					if c.Status == NotReported {
						c.Status = NoCall
					}
					continue
				}
				if swapped {
					n = ploidy - n
				}
				counts = append(counts, n)
			}
		}
		if len(counts) > 0 {
			c.Status = Called
			for _, n := range counts[1:] {
				if n != counts[0] {
					c.Status = Conflicting
				}
			}
			if c.Status == Called {
				eff := counts[0]
				risk := eff
				if l.protective {
					risk = 2 - eff
				}
				c.EffectAlleles, c.RiskAlleles = &eff, &risk
			}
		}
		g.Variants = append(g.Variants, c)
	}
	score, ext := 0, 0
	complete, extComplete := true, true
	for _, c := range g.Variants {
		if c.RiskAlleles == nil {
			g.Summary.Missing = append(g.Summary.Missing, c.Gene+" "+c.RSID+" ("+c.Status+")")
			extComplete = false
			if c.Gene != "MBOAT7" {
				complete = false
			}
			continue
		}
		ext += *c.RiskAlleles
		if c.Gene != "MBOAT7" {
			score += *c.RiskAlleles
		}
	}
	if complete {
		g.Summary.Score = &score
	}
	if extComplete {
		g.Summary.ExtendedScore = &ext
	}
	return g
}
