// Command vcfbench is the genomic ingest benchmark's helper
// (scripts/bench.d/40-vcf.sh): "gen N FILE" writes the synthetic VCF of N
// records (FILE ending in .gz: BGZF); "parse FILE" reads a VCF with
// medtwin's reader (BGZF decompressed on every core), parses every record,
// its genotype and its CSQ transcript choice, and prints records and
// records/s.
package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/medtwin/medtwin/ingest/bgzf"
	"github.com/medtwin/medtwin/ingest/vcf"
	"github.com/medtwin/medtwin/ingest/vcf/internal/vcfgen"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "vcfbench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 3 && args[0] == "gen" {
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return err
		}
		f, err := os.Create(args[2])
		if err != nil {
			return err
		}
		var w io.Writer = f
		var zw *bgzf.Writer
		if strings.HasSuffix(args[2], ".gz") {
			zw = bgzf.NewWriter(f, 0)
			w = zw
		}
		if err := vcfgen.Write(w, n, 1); err != nil {
			return err
		}
		if zw != nil {
			if err := zw.Close(); err != nil {
				return err
			}
		}
		return f.Close()
	}
	if len(args) == 2 && args[0] == "parse" {
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		start := time.Now()
		n, err := vcf.ParseAll(f)
		if err != nil {
			return err
		}
		d := time.Since(start)
		fmt.Printf("%d records in %.3f s = %.0f records/s\n", n, d.Seconds(), float64(n)/d.Seconds())
		return nil
	}
	return fmt.Errorf("usage: vcfbench gen N FILE | vcfbench parse FILE")
}
