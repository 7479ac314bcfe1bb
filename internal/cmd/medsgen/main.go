// Command medsgen writes a deterministic synthetic MEDS data file of any
// size, for benchmarks and interrupted-ingest tests:
//
//	go run ./internal/cmd/medsgen -rows 1000000 -out big.parquet
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/medtwin/medtwin/ingest/meds/medstest"
)

func main() {
	rows := flag.Int64("rows", 1_000_000, "rows to write (whole subjects, so a few more)")
	per := flag.Int("events", 200, "events per subject")
	seed := flag.Uint64("seed", 1, "random seed")
	rg := flag.Int64("row-group-rows", 128*1024, "rows per row group")
	out := flag.String("out", "", "output file")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "medsgen: -out is required")
		os.Exit(2)
	}
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "medsgen:", err)
		os.Exit(1)
	}
	n, err := medstest.Synth(f, *rows, *per, *seed, medstest.Options{RowGroupRows: *rg})
	if err != nil {
		fmt.Fprintln(os.Stderr, "medsgen:", err)
		os.Exit(1)
	}
	fmt.Println(n)
}
