package variant

import "testing"

func TestProtein(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"p.I148M", "p.Ile148Met"}, // PNPLA3 rs738409, as MAF HGVSp_Short writes it
		{"p.Ile148Met", "p.Ile148Met"},
		{"ENSP00000216180.3:p.Ile148Met", "p.Ile148Met"},
		{"p.(Ile148Met)", "p.Ile148Met"},
		{"p.(I148M)", "p.Ile148Met"},
		{"p.V600E", "p.Val600Glu"},
		{"p.R248*", "p.Arg248Ter"},
		{"p.Q61X", "p.Gln61Ter"}, // legacy stop
		{"p.L10=", "p.Leu10="},
		{"ENSP00000367872.3:p.Leu10%3D", "p.Leu10="},
		{"p.E746_A750del", "p.Glu746_Ala750del"},
		{"p.E746_A750delinsQP", "p.Glu746_Ala750delinsGlnPro"},
		{"p.K3_L4insA", "p.Lys3_Leu4insAla"},
		{"p.A767_V769dup", "p.Ala767_Val769dup"},
		{"p.R97Gfs*12", "p.Arg97GlyfsTer12"},
		{"p.R97fs", "p.Arg97fs"},
		{"p.R97fs*?", "p.Arg97fsTer?"},
		{"p.*110Lext*17", "p.Ter110LeuextTer17"},
		{"p.M1ext-5", "p.Met1ext-5"},
		{"p.M1?", "p.Met1?"},
		{"p.Met1?", "p.Met1?"},
		{"p.?", "p.?"},
		{"ENST00000408989.2:c.516C>T(p.%3D)", "p.="},
		{"p.=", "p.="},
		// Not valid one-letter HGVS: kept as written.
		{"p.X125_splice", "p.X125_splice"},
		{"p.WQ288fs", "p.WQ288fs"},
		{"p.599_600insDFREYEY", "p.599_600insDFREYEY"},
		{"p.-770fs", "p.-770fs"},
		{"p.V600", "p.V600"},
		{"", ""},
	} {
		if got := Protein(c.in); got != c.want {
			t.Errorf("Protein(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCode(t *testing.T) {
	for _, c := range []struct {
		gene, p, c, g, chrom string
		pos                  int64
		ref, alt, want       string
	}{
		{"PNPLA3", "ENSP00000216180.3:p.Ile148Met", "ENST00000216180.8:c.444C>G", "", "chr22", 43928847, "C", "G", "GENE//PNPLA3//p.Ile148Met"},
		{"PNPLA3", "p.I148M", "", "", "chr22", 43928847, "C", "G", "GENE//PNPLA3//p.Ile148Met"},
		{"TP53", "", "ENST00000269305.4:c.375+1G>A", "", "chr17", 7579312, "C", "T", "GENE//TP53//c.375+1G>A"},
		{"GNB1", "p.?", "c.1A>G", "", "chr1", 1, "T", "C", "GENE//GNB1//c.1A>G"},
		{"PNPLA3", "", "", "NC_000022.11:g.43928847C>G", "chr22", 43928847, "C", "G", "GENE//PNPLA3//NC_000022.11:g.43928847C>G"},
		{"", "", "", "", "chr22", 43928847, "C", "G", "GENE//.//chr22-43928847-C-G"},
		{"", "", "", "", "chr1", 5, "A", "AACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT", "GENE//.//chr1-5-A-AACGTACGTA..53bp"},
	} {
		if got := Code(c.gene, c.p, c.c, c.g, c.chrom, c.pos, c.ref, c.alt); got != c.want {
			t.Errorf("Code(%q, %q, %q) = %q, want %q", c.gene, c.p, c.c, got, c.want)
		}
	}
}

func TestChrom(t *testing.T) {
	for in, want := range map[string]string{
		"1": "chr1", "chr1": "chr1", "CHR1": "chr1", "22": "chr22", "chr22": "chr22", "10": "chr10",
		"X": "chrX", "chrx": "chrX", "Y": "chrY", "MT": "chrM", "chrM": "chrM", "M": "chrM",
		"23": "23", "0": "0", "GL000192.1": "GL000192.1", "chrUn_gl000220": "chrUn_gl000220",
		"chr1_KI270706v1_random": "chr1_KI270706v1_random", "HLA-A*01:01": "HLA-A*01:01", "<1>": "<1>", "": "",
	} {
		if got := Chrom(in); got != want {
			t.Errorf("Chrom(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAssembly(t *testing.T) {
	for in, want := range map[string]string{
		"GRCh38": GRCh38, "hg38": GRCh38, "38": GRCh38, "file:///ref/Homo_sapiens_assembly38.fasta": GRCh38,
		"b37": GRCh37, "/ifs/depot/assemblies/H.sapiens/b37/b37.fasta": GRCh37, "GRCh37": GRCh37, "37": GRCh37,
		"file:///lustre/ref/human_g1k_v37.fasta": GRCh37, "file:///seq/references/Homo_sapiens_assembly19/v1/Homo_sapiens_assembly19.fasta": GRCh37,
		"file:///seq/references/1000Genomes-NCBI37.fasta": GRCh37, "hs37d5": GRCh37,
		"file:///seq/references/1000GenomesPilot-NCBI36.fasta": NCBI36, "B36": NCBI36, "hg18": NCBI36,
		"test": "", "file://test": "", "": "",
	} {
		if got := Assembly(in); got != want {
			t.Errorf("Assembly(%q) = %q, want %q", in, got, want)
		}
	}
	if AssemblyFromLength("chr22", 50818468) != GRCh38 || AssemblyFromLength("1", 249250621) != GRCh37 || AssemblyFromLength("1", 1000) != "" {
		t.Error("AssemblyFromLength")
	}
}
