package variant_test

import (
	"fmt"

	"github.com/medtwin/medtwin/ingest/variant"
)

func ExampleCode() {
	// MAF's HGVSp_Short is one-letter; the code is three-letter.
	fmt.Println(variant.Code("PNPLA3", "p.I148M", "", "", variant.Chrom("22"), 43928847, "C", "G"))
	// No protein change: the coding change, without its transcript.
	fmt.Println(variant.Code("TP53", "", "ENST00000269305.4:c.993+2T>G", "", "chr17", 7576851, "A", "C"))
	// No gene: the locus.
	fmt.Println(variant.Code("", "", "", "", variant.Chrom("MT"), 3243, "A", "G"))
	// Output:
	// GENE//PNPLA3//p.Ile148Met
	// GENE//TP53//c.993+2T>G
	// GENE//.//chrM-3243-A-G
}
