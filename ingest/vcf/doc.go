// Package vcf reads VCF 4.0–4.5 files (plain, gzip, or BGZF decompressed
// in parallel by ingest/bgzf) and ingests their variants: each ALT allele
// of each sample becomes a `variant` timeline event (see ingest/variant for
// the code) with a row in the variants detail table.
//
// # Reading
//
// Reader parses the header (INFO/FORMAT definitions with Number and Type,
// FILTERs, contigs, samples, reference and assembly, VEP/SnpEff annotation
// field lists) and then one line per Read, splitting columns in place
// without allocating per field. A file without a ##fileformat line is read
// when its header leads to a #CHROM line (SnpEff's cancer example is such a
// file); a ##fileformat line that is not VCFv4.x stops the file.
//
// A data line is rejected, with its line number and the column or key at
// fault, when it has the wrong number of columns, a POS that is not a
// non-negative integer, an empty or non-base REF, an empty ALT allele, a
// QUAL that is not a number, or an INFO value that does not fit the Type of
// its header definition (Integer within 32 bits, Float, Character, Flag
// without a value or written 0/1) or, for a numeric field with a fixed
// Number, has another number of values (a lone "." stands for a missing
// vector; counts per allele, A/R/G, are not checked: tools that split or
// merge records leave them stale, htslib's own test file among them). Keys the
// header does not define are not checked (the specification's conformance
// suite accepts the reserved keys undeclared). A sample whose FORMAT value
// does not fit its Type, whose GT is malformed or names an allele the
// record lacks, or that has more values than FORMAT keys, is rejected for
// that line alone; the other samples of the line are kept. FORMAT counts
// are not checked: callers often declare them wrongly (vcf2maf's test VCF
// declares AD Number=G and writes R values). Records need not be sorted.
//
// Compressed damage is local: a truncated, corrupt or checksum-failing BGZF
// block is reported as one rejected line (the line it cut, standing for
// the lines the block held) and reading resumes at the next block; line
// numbers after a lost block count only the lines read. A BGZF file without
// bgzip's EOF block is reported (it may have been cut at a block boundary).
// A cut plain gzip stream ends the file after the same report.
//
// # Genotypes and values
//
// GT may be phased, unphased, haploid, polyploid, partly or wholly missing,
// with VCF 4.4's leading phase indicator. Multi-allelic records are split:
// ALT k of a sample gets dosage = the number of copies of k in its GT and a
// zygosity with respect to k: hemizygous, homozygous, heterozygous,
// reference (only REF called), absent (another ALT called, not this one),
// unknown (no GT, nothing called, or this ALT beside a missing call). The
// event's numeric value is the dosage for germline samples (none when the
// GT is incomplete) and the allele fraction for somatic ones: FORMAT AF
// (or MuTect's FA), else AD[k] / sum(AD), else Strelka's tier-1 counts.
// Depth is DP or the sum of AD. Symbolic (<DEL>, <INS:ME>) and breakend
// ALTs are kept as written.
//
// ALT ".", "*" (an allele spanning from an upstream deletion), "<*>" and
// "<NON_REF>" (gVCF reference blocks) are not variant alleles and are never
// stored.
//
// # Annotations
//
// Transcript annotations are read from any INFO field whose header
// Description carries a VEP field list ("Format: Allele|Consequence|…": CSQ,
// gnomAD's vep) or SnpEff's ("Functional annotations: 'Allele | Annotation
// | …'": ANN), by field name, in whatever order the header gives. Entries
// are assigned to ALT alleles (ALLELE_NUM, else the Allele field against
// the ALT and VEP's trimmed form) and one is chosen per allele by
// PickTranscript (vcf2maf's rule: the most severe gene, then its MANE
// Select, canonical or picked transcript). The chosen entry fills gene,
// consequence, impact, HGVS c./p. and transcript; every entry of the allele
// is kept in the detail row's annotations column as JSON
// ({"field":"CSQ","tool":"VEP","entries":[{"Allele":"G",…},…]}). Without
// annotations, ClinVar's GENEINFO, MC and CLNHGVS supply gene, consequence
// and the genomic HGVS; CLNSIG (else VEP's CLIN_SIG) gives the clinical
// significance. The rsID comes from ID, ClinVar's RS or VEP's
// Existing_variation.
//
// # What is stored
//
// By default a call is stored when every FILTER value of the record (and
// the sample's FT, when present) is PASS, "." (not filtered) or one of the
// user's --filter values, and, for a germline sample, its GT carries the
// ALT allele; a somatic sample is stored unless its GT (or, without GT, its
// allele fraction or depth) shows the allele absent. --keep-all stores every
// call. What is not stored is counted per file by category (see the Skip
// constants). Samples are linked to patients by ingest/samples; a sample is
// somatic or germline by the manifest's tumor_normal, else the header
// (##tumor_sample/##normal_sample, ##PEDIGREE Derived/Original, ##SAMPLE
// Genomes), else when named TUMOR/TUMOUR (as somatic callers name it),
// else germline. A file without samples (ClinVar, gnomAD sites) is read
// and checked but stores nothing: no patient.
//
// Two records with the same sample, chromosome, position, REF and ALT are
// one record key: the later one supersedes the earlier.
package vcf
