package variant

import "strings"

// severity: Ensembl rank × 10; SnpEff-only terms in between.
var severity = map[string]int{
	"chromosome_number_variation":                    5,
	"exon_loss_variant":                              8,
	"transcript_ablation":                            10,
	"gene_fusion":                                    12,
	"bidirectional_gene_fusion":                      12,
	"splice_acceptor_variant":                        20,
	"splice_donor_variant":                           30,
	"stop_gained":                                    40,
	"frameshift_variant":                             50,
	"rare_amino_acid_variant":                        55,
	"stop_lost":                                      60,
	"start_lost":                                     70,
	"transcript_amplification":                       80,
	"feature_elongation":                             90,
	"feature_truncation":                             100,
	"5_prime_UTR_truncation":                         100,
	"3_prime_UTR_truncation":                         100,
	"disruptive_inframe_insertion":                   110,
	"conservative_inframe_insertion":                 110,
	"inframe_insertion":                              110,
	"disruptive_inframe_deletion":                    120,
	"conservative_inframe_deletion":                  120,
	"inframe_deletion":                               120,
	"missense_variant":                               130,
	"protein_altering_variant":                       140,
	"splice_donor_5th_base_variant":                  150,
	"splice_region_variant":                          160,
	"splice_donor_region_variant":                    170,
	"splice_polypyrimidine_tract_variant":            180,
	"incomplete_terminal_codon_variant":              190,
	"initiator_codon_variant":                        195,
	"start_retained_variant":                         200,
	"start_retained":                                 200,
	"stop_retained_variant":                          210,
	"synonymous_variant":                             220,
	"coding_sequence_variant":                        230,
	"mature_miRNA_variant":                           240,
	"5_prime_UTR_premature_start_codon_gain_variant": 245,
	"5_prime_UTR_variant":                            250,
	"3_prime_UTR_variant":                            260,
	"non_coding_transcript_exon_variant":             270,
	"non_coding_exon_variant":                        270,
	"conserved_intron_variant":                       275,
	"intron_variant":                                 280,
	"NMD_transcript_variant":                         290,
	"non_coding_transcript_variant":                  300,
	"intragenic_variant":                             305,
	"coding_transcript_variant":                      310,
	"upstream_gene_variant":                          320,
	"downstream_gene_variant":                        330,
	"TFBS_ablation":                                  340,
	"TFBS_amplification":                             350,
	"TF_binding_site_variant":                        360,
	"regulatory_region_ablation":                     370,
	"regulatory_region_amplification":                380,
	"regulatory_region_variant":                      390,
	"intergenic_variant":                             400,
	"intergenic_region":                              400,
	"conserved_intergenic_variant":                   400,
	"sequence_variant":                               410,
}

// BiotypePriority ranks transcript biotypes as vcf2maf does when it picks
// the effect to report (protein-coding first, then immunoglobulin/T-cell
// receptor segments, then other transcribed RNA, then decay-prone and
// pseudogene transcripts); lower is preferred.
func BiotypePriority(biotype string) int {
	switch {
	case biotype == "protein_coding" || biotype == "Coding" || biotype == "mRNA":
		return 1
	case biotype == "LRG_gene" || strings.HasPrefix(biotype, "IG_") && !strings.HasSuffix(biotype, "pseudogene") ||
		strings.HasPrefix(biotype, "TR_") && !strings.HasSuffix(biotype, "pseudogene") || biotype == "polymorphic_pseudogene":
		return 2
	case biotype == "":
		return 6
	case biotype == "nonsense_mediated_decay" || biotype == "non_stop_decay" || biotype == "retained_intron" ||
		biotype == "processed_transcript" || strings.Contains(biotype, "pseudogene"):
		return 5
	case strings.Contains(biotype, "RNA") || strings.Contains(biotype, "rna") || biotype == "antisense" ||
		strings.HasPrefix(biotype, "sense_") || biotype == "ribozyme" || biotype == "TEC":
		return 3
	}
	return 4
}

// Severity ranks a consequence: lower is more severe. It accepts Sequence
// Ontology terms as VEP and SnpEff write them, several joined by "&" (VEP)
// or "+" (SnpEff), in which case the most severe counts. Unknown terms rank
// by impact (HIGH, MODERATE, LOW, MODIFIER) when given, else last. It does
// not allocate.
//
// The order is Ensembl's "Calculated variant consequences" table
// (https://www.ensembl.org/info/genome/variation/prediction/predicted_data.html,
// release 110), with SnpEff's additional terms placed beside the Ensembl
// term of the same impact and meaning.
func Severity(consequence, impact []byte) int {
	best := unknownSeverity(impact)
	for len(consequence) > 0 {
		i := 0
		for i < len(consequence) && consequence[i] != '&' && consequence[i] != '+' && consequence[i] != ',' {
			i++
		}
		if r, ok := severity[string(consequence[:i])]; ok && r < best {
			best = r
		}
		if i == len(consequence) {
			break
		}
		consequence = consequence[i+1:]
	}
	return best
}

func unknownSeverity(impact []byte) int {
	switch string(impact) {
	case "HIGH":
		return 85
	case "MODERATE":
		return 135
	case "LOW":
		return 215
	case "MODIFIER":
		return 350
	}
	return 1000
}
