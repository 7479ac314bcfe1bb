// Command obsgen writes the synthetic FHIR Observation NDJSON that the FHIR
// ingest benchmark (scripts/bench.d/30-fhir.sh) reads.
//
//	go run ./ingest/fhir/internal/obsgen/cmd/obsgen -size 1G -out obs.ndjson
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/medtwin/medtwin/ingest/fhir/internal/obsgen"
)

func main() {
	size := flag.String("size", "1G", "bytes to write (suffix K, M or G)")
	patients := flag.Int("patients", 10000, "distinct patients")
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("out", "-", "output file (- for stdout)")
	flag.Parse()
	n, err := parseSize(*size)
	if err != nil {
		fmt.Fprintln(os.Stderr, "obsgen:", err)
		os.Exit(2)
	}
	w := os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "obsgen:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	lines, written, err := obsgen.Write(w, obsgen.Options{Bytes: n, Patients: *patients, Seed: *seed})
	if err != nil {
		fmt.Fprintln(os.Stderr, "obsgen:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "obsgen: %d Observations, %d bytes\n", lines, written)
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad -size %q", s)
	}
	return n * mult, nil
}
