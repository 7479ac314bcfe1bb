// Package variant holds what the VCF and MAF adapters share about a
// variant: its event code, record key and names (chromosome, assembly,
// protein HGVS in three-letter form), the severity order of Sequence
// Ontology consequences used to pick a transcript, and a Writer that turns
// one allele of one sample into a `variant` timeline event plus its row in
// the variants detail table.
//
// # Event code
//
// A variant event's code is GENE//<symbol>//<name>, where <name> is the
// first of:
//
//  1. the protein change in HGVS three-letter form, without the protein
//     accession and without the parentheses of a predicted change:
//     GENE//PNPLA3//p.Ile148Met. One-letter forms (MAF HGVSp_Short
//     p.I148M, Protein_Change) are converted: each amino acid letter to its
//     three-letter code, '*' to Ter; a legacy trailing X in a substitution,
//     frameshift or extension (p.Q61X) means a stop and becomes Ter. A
//     string that is not valid one-letter HGVS (p.WQ288fs, p.X125_splice)
//     is kept as written. p.?, p.= and p.0 alone say nothing about the
//     protein and fall through to the next choice, as does vcf2maf's
//     p.X125_splice;
//  2. the coding (c.) or non-coding (n.) HGVS of the chosen transcript,
//     without the transcript accession: GENE//TP53//c.375+1G>A;
//  3. the genomic HGVS given by ClinVar (CLNHGVS, g. on the RefSeq
//     chromosome accession);
//  4. the allele in gnomAD form CHROM-POS-REF-ALT with the normalised
//     chromosome name: GENE//.//chr22-43928847-C-G. Sequences longer than
//     50 bases are shortened to their first 10 bases and their length
//     (ACGTACGTAC..120bp); the detail row keeps them whole.
//
// The symbol is the HGNC symbol of the chosen transcript's gene (VEP
// SYMBOL, SnpEff Gene_Name, ClinVar GENEINFO, MAF Hugo_Symbol) or "." when
// there is none (intergenic variants; MAF "Unknown").
//
// # Chromosome names
//
// The primary human chromosomes are written with the "chr" prefix whatever
// the source uses (22, chr22, CHR22 → chr22; X, Y; M and MT → chrM), so
// that files aligned to Ensembl/NCBI and UCSC-style references compare
// equal. Other contigs (GL000192.1, chrUn_…, HLA-A*01:01) are kept as
// written. Positions and alleles are as in the source (VCF: 1-based POS,
// REF/ALT as written, never re-normalised; MAF: see ingest/maf).
//
// # Record key
//
// sample + chromosome (normalised) + position + REF + ALT: re-ingesting a
// file, or a re-annotated version of it, updates rather than duplicates.
package variant
