// Command dcmbench generates DICOM benchmark data and times the metadata
// scan of ingest/dicom (scripts/bench.d/50-dicom.sh runs it).
//
//	dcmbench gen -n 10000 -out DIR SOURCE...   clones with new UIDs and PatientIDs
//	dcmbench scan [-workers N] [-runs R] DIR   metadata-only read of every file, files/s
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/medtwin/medtwin/ingest/dicom"
	"github.com/medtwin/medtwin/ingest/dicom/dicomtest"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: dcmbench gen|scan ...")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "gen":
		fl := flag.NewFlagSet("gen", flag.ExitOnError)
		n := fl.Int("n", 10000, "files")
		per := fl.Int("per-study", 100, "slices per patient/study")
		out := fl.String("out", "", "output directory")
		fl.Parse(os.Args[2:])
		if *out == "" || fl.NArg() == 0 {
			fmt.Fprintln(os.Stderr, "gen: -out and source files required")
			os.Exit(2)
		}
		if _, err := dicomtest.WriteSeries(*out, fl.Args(), *n, *per); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "scan":
		fl := flag.NewFlagSet("scan", flag.ExitOnError)
		workers := fl.Int("workers", 0, "parallel readers (GOMAXPROCS when 0)")
		runs := fl.Int("runs", 5, "runs; the median is reported")
		fl.Parse(os.Args[2:])
		var paths []string
		filepath.WalkDir(fl.Arg(0), func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				paths = append(paths, p)
			}
			return nil
		})
		var times []time.Duration
		for r := 0; r < *runs; r++ {
			bad := 0
			start := time.Now()
			if err := dicom.Scan(context.Background(), paths, *workers, func(res dicom.ReadResult) {
				if res.Err != nil {
					bad++
				}
			}); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			times = append(times, time.Since(start))
			if bad > 0 {
				fmt.Fprintf(os.Stderr, "%d files failed\n", bad)
				os.Exit(1)
			}
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		med := times[len(times)/2]
		fmt.Printf("%d files %.3f s %.0f files/s\n", len(paths), med.Seconds(), float64(len(paths))/med.Seconds())
	default:
		fmt.Fprintln(os.Stderr, "usage: dcmbench gen|scan ...")
		os.Exit(2)
	}
}
