package oncology

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

// Sample is one tumour sample's somatic variants.
type Sample struct {
	Sample   string           `json:"sample"`
	Time     *time.Time       `json:"time,omitempty"`
	Variants []SomaticVariant `json:"variants"`
}

// SomaticVariant is one somatic alteration found in a sample.
type SomaticVariant struct {
	Gene        string `json:"gene"`
	HGVSp       string `json:"hgvsp,omitempty"`
	HGVSc       string `json:"hgvsc,omitempty"`
	Protein     string `json:"protein,omitempty"` // one-letter protein change, e.g. L858R
	Chrom       string `json:"chrom,omitempty"`
	Pos         int64  `json:"pos,omitempty"`
	Ref         string `json:"ref,omitempty"`
	Alt         string `json:"alt,omitempty"`
	Consequence string `json:"consequence,omitempty"`
	// AlleleFraction is the variant allele fraction (0–1).
	AlleleFraction *float64       `json:"alleleFraction,omitempty"`
	Depth          *int32         `json:"depth,omitempty"`
	Actionable     *Actionability `json:"actionable,omitempty"`
	EventRef       string         `json:"eventRef"`
}

// Actionability is an entry of the built-in table of well-known actionable
// alterations.
type Actionability struct {
	Alteration string   `json:"alteration"`
	TumourType string   `json:"tumourType"`
	Therapies  []string `json:"therapies"`
	Evidence   string   `json:"evidence"`
	Source     string   `json:"source"`
}

// VAFSeries follows one alteration's allele fraction across samples.
type VAFSeries struct {
	Gene       string     `json:"gene"`
	Alteration string     `json:"alteration"`
	Points     []VAFPoint `json:"points"`
}

// VAFPoint is one sample's allele fraction of an alteration.
type VAFPoint struct {
	Time           *time.Time `json:"time,omitempty"`
	Sample         string     `json:"sample"`
	AlleleFraction float64    `json:"alleleFraction"`
	EventRef       string     `json:"eventRef"`
}

// actionRule is one row of the actionable-alteration table.
type actionRule struct {
	gene  string
	match func(protein string, v *timeline.Variant) bool
	Actionability
}

const oncoKBLevel1 = "OncoKB Level 1: FDA-recognised biomarker predictive of response to an FDA-approved drug in this indication (oncokb.org)"

// actionable is the built-in table: a deliberately small set of alterations
// with FDA-approved targeted therapy, each with the pivotal trial.
var actionable = []actionRule{
	{gene: "EGFR", match: proteinIs("L858R"), Actionability: Actionability{
		Alteration: "EGFR L858R", TumourType: "non-small cell lung cancer",
		Therapies: []string{"osimertinib", "erlotinib", "gefitinib", "afatinib"}, Evidence: oncoKBLevel1,
		Source: "FLAURA: Soria JC et al. N Engl J Med 2018;378:113–125"}},
	{gene: "EGFR", match: egfrExon19Deletion, Actionability: Actionability{
		Alteration: "EGFR exon 19 deletion", TumourType: "non-small cell lung cancer",
		Therapies: []string{"osimertinib", "erlotinib", "gefitinib", "afatinib"}, Evidence: oncoKBLevel1,
		Source: "FLAURA: Soria JC et al. N Engl J Med 2018;378:113–125"}},
	{gene: "EGFR", match: proteinIs("T790M"), Actionability: Actionability{
		Alteration: "EGFR T790M", TumourType: "non-small cell lung cancer",
		Therapies: []string{"osimertinib"}, Evidence: oncoKBLevel1,
		Source: "AURA3: Mok TS et al. N Engl J Med 2017;376:629–640"}},
	{gene: "KRAS", match: proteinIs("G12C"), Actionability: Actionability{
		Alteration: "KRAS G12C", TumourType: "non-small cell lung cancer",
		Therapies: []string{"sotorasib", "adagrasib"}, Evidence: oncoKBLevel1,
		Source: "CodeBreaK 100: Skoulidis F et al. N Engl J Med 2021;384:2371–2381"}},
	{gene: "BRAF", match: proteinIs("V600E"), Actionability: Actionability{
		Alteration: "BRAF V600E", TumourType: "melanoma; non-small cell lung cancer; colorectal cancer",
		Therapies: []string{"dabrafenib + trametinib", "vemurafenib", "encorafenib + cetuximab (colorectal)"}, Evidence: oncoKBLevel1,
		Source: "Chapman PB et al. N Engl J Med 2011;364:2507–2516 (melanoma); Planchard D et al. Lancet Oncol 2016;17:984–993 (NSCLC); BEACON: Kopetz S et al. N Engl J Med 2019;381:1632–1643 (colorectal)"}},
	{gene: "ALK", match: isFusion, Actionability: Actionability{
		Alteration: "ALK fusion", TumourType: "non-small cell lung cancer",
		Therapies: []string{"alectinib", "crizotinib", "lorlatinib"}, Evidence: oncoKBLevel1,
		Source: "ALEX: Peters S et al. N Engl J Med 2017;377:829–838; PROFILE 1014: Solomon BJ et al. N Engl J Med 2014;371:2167–2177"}},
	{gene: "ROS1", match: isFusion, Actionability: Actionability{
		Alteration: "ROS1 fusion", TumourType: "non-small cell lung cancer",
		Therapies: []string{"crizotinib", "entrectinib"}, Evidence: oncoKBLevel1,
		Source: "Shaw AT et al. N Engl J Med 2014;371:1963–1971"}},
}

func proteinIs(p string) func(string, *timeline.Variant) bool {
	return func(protein string, _ *timeline.Variant) bool { return protein == p }
}

// egfrExon19Deletion matches in-frame deletions (del, delins) starting in
// EGFR exon 19, codons 729–761 (NM_005228; the common E746_A750del and
// L747_P753delinsS lie inside), or a source that names the exon 19
// deletion in words.
func egfrExon19Deletion(protein string, v *timeline.Variant) bool {
	if i := strings.Index(protein, "del"); i > 0 {
		if start, ok := firstCodon(protein[:i]); ok && start >= 729 && start <= 761 {
			return true
		}
	}
	for _, s := range []string{v.HGVSp, v.Consequence, v.Annotations} {
		l := strings.ToLower(strings.ReplaceAll(s, " ", ""))
		if strings.Contains(l, "exon19del") || strings.Contains(l, "ex19del") {
			return true
		}
	}
	return false
}

// firstCodon reads the first position of a one-letter protein change
// ("E746_A750" → 746).
func firstCodon(s string) (int, bool) {
	i := 0
	for i < len(s) && (s[i] < '0' || s[i] > '9') {
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if i == j {
		return 0, false
	}
	n, err := strconv.Atoi(s[i:j])
	return n, err == nil
}

// isFusion matches a rearrangement named as a fusion: the gene field names
// two genes (EML4-ALK, EML4::ALK) or the consequence, protein change,
// alternate allele or annotation says "fusion".
func isFusion(_ string, v *timeline.Variant) bool {
	if len(geneTokens(v.Gene)) >= 2 {
		return true
	}
	for _, s := range []string{v.Consequence, v.HGVSp, v.Alt, v.Annotations} {
		if strings.Contains(strings.ToLower(s), "fusion") {
			return true
		}
	}
	return false
}

func geneTokens(g string) []string {
	return strings.FieldsFunc(strings.ToUpper(g), func(r rune) bool {
		return r == '-' || r == ':' || r == '/' || r == ',' || r == ';' || r == ' ' || r == '_' || r == '&'
	})
}

var aminoAcids = map[string]string{
	"Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E", "Gly": "G",
	"His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F", "Pro": "P", "Ser": "S",
	"Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V", "Ter": "*", "Sec": "U", "Pyl": "O", "Xaa": "X",
}

// normalizeProtein turns an HGVS protein change in any common spelling
// ("NP_005219.2:p.(Leu858Arg)", "p.L858R", "L858R") into one-letter form
// without prefix ("L858R"). It returns "" for an empty or unknown change
// ("p.?", "p.=").
func normalizeProtein(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[i+1:]
	}
	s = strings.TrimPrefix(s, "p.")
	s = strings.TrimPrefix(s, "(")
	s = strings.TrimSpace(strings.TrimSuffix(s, ")"))
	if s == "" || s == "?" || s == "=" || s == "0" {
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if i+3 <= len(s) {
			if one, ok := aminoAcids[s[i:i+3]]; ok {
				b.WriteString(one)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func (r *actionRule) applies(gene, protein string, v *timeline.Variant) bool {
	found := false
	for _, g := range geneTokens(gene) {
		if g == r.gene {
			found = true
			break
		}
	}
	return found && r.match(protein, v)
}

func actionabilityOf(v *timeline.Variant, protein string) *Actionability {
	for i := range actionable {
		if actionable[i].applies(v.Gene, protein, v) {
			a := actionable[i].Actionability
			return &a
		}
	}
	return nil
}

func somatic(v *twin.View) ([]Sample, []VAFSeries) {
	bySample := map[string]*Sample{}
	var order []string
	type point struct {
		gene, alt string
		p         VAFPoint
	}
	var pts []point
	for _, d := range v.Details().Variants {
		d := d
		if !strings.EqualFold(d.Origin, "somatic") {
			continue
		}
		e, ok := v.Event(d.Key)
		if !ok {
			continue
		}
		name := d.Sample
		if name == "" {
			name = "(unnamed sample)"
		}
		s, ok := bySample[name]
		if !ok {
			s = &Sample{Sample: name, Variants: []SomaticVariant{}}
			bySample[name] = s
			order = append(order, name)
		}
		if !e.Time.IsZero() && (s.Time == nil || e.Time.Before(*s.Time)) {
			s.Time = optT(e.Time)
		}
		protein := normalizeProtein(d.HGVSp)
		sv := SomaticVariant{
			Gene: d.Gene, HGVSp: d.HGVSp, HGVSc: d.HGVSc, Protein: protein, Chrom: d.Chrom, Pos: d.Pos,
			Ref: d.Ref, Alt: d.Alt, Consequence: d.Consequence, EventRef: twin.EventRef(e),
		}
		if !math.IsNaN(d.AlleleFraction) {
			sv.AlleleFraction = optF(d.AlleleFraction)
		}
		if d.Depth >= 0 {
			dp := d.Depth
			sv.Depth = &dp
		}
		sv.Actionable = actionabilityOf(&d, protein)
		s.Variants = append(s.Variants, sv)
		if sv.AlleleFraction != nil {
			alt := protein
			if alt == "" {
				alt = fmt.Sprintf("%s:%d %s>%s", d.Chrom, d.Pos, d.Ref, d.Alt)
			}
			pts = append(pts, point{gene: d.Gene, alt: alt, p: VAFPoint{Time: optT(e.Time), Sample: name, AlleleFraction: *sv.AlleleFraction, EventRef: sv.EventRef}})
		}
	}
	samples := make([]Sample, 0, len(order))
	for _, n := range order {
		s := bySample[n]
		sort.SliceStable(s.Variants, func(i, j int) bool {
			if s.Variants[i].Gene != s.Variants[j].Gene {
				return s.Variants[i].Gene < s.Variants[j].Gene
			}
			return s.Variants[i].Pos < s.Variants[j].Pos
		})
		samples = append(samples, *s)
	}
	sort.SliceStable(samples, func(i, j int) bool {
		a, b := samples[i].Time, samples[j].Time
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		}
		return a.Before(*b)
	})
	// Allele fraction over time: alterations seen in two or more samples.
	type key struct{ gene, alt string }
	series := map[key]*VAFSeries{}
	var keys []key
	for _, p := range pts {
		k := key{p.gene, p.alt}
		s, ok := series[k]
		if !ok {
			s = &VAFSeries{Gene: p.gene, Alteration: p.alt}
			series[k] = s
			keys = append(keys, k)
		}
		s.Points = append(s.Points, p.p)
	}
	out := []VAFSeries{}
	for _, k := range keys {
		s := series[k]
		samplesSeen := map[string]bool{}
		for _, p := range s.Points {
			samplesSeen[p.Sample] = true
		}
		if len(samplesSeen) < 2 {
			continue
		}
		sort.SliceStable(s.Points, func(i, j int) bool {
			a, b := s.Points[i].Time, s.Points[j].Time
			if a == nil || b == nil {
				return a == nil && b != nil
			}
			return a.Before(*b)
		})
		out = append(out, *s)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Gene != out[j].Gene {
			return out[i].Gene < out[j].Gene
		}
		return out[i].Alteration < out[j].Alteration
	})
	return samples, out
}
