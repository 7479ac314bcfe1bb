package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/all"
	"github.com/medtwin/medtwin/store"
)

func newIngestCmd(a *app) *cobra.Command {
	var (
		opts      ingest.Options
		batchRows int
		asJSON    bool
		filters   string
	)
	cmd := &cobra.Command{
		Use:   "ingest [flags] PATH...",
		Short: "Ingest files or directories (format detected from content)",
		Long: `Ingest files or directories (walked recursively). The format of each file is detected
from its content: MEDS dataset directory or Parquet, FHIR Bundle JSON or Bulk NDJSON (.gz),
VCF (plain, gzip, BGZF), MAF, DICOM (files, directories, DICOMDIR), imaging feature CSV
(pyradiomics or long form).

Re-ingesting a file is a no-op: records are keyed by their source identity. Bad records are
rejected with their file and locator and the rest goes on.

Exit codes: 0 every record ingested; 1 the run failed; 2 usage; 3 the run finished but some
records or files were rejected (the report lists them).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if filters != "" {
				opts.VariantFilters = strings.Split(filters, ",")
			}
			reg, err := all.Registry()
			if err != nil {
				return err
			}
			s, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			counter := &ingest.Counter{}
			r := &ingest.Runner{
				Target: s, Registry: reg, Counter: counter,
				Env:     ingest.Env{Logger: a.log, Options: opts, BatchRows: batchRows},
				Command: "ingest " + strings.Join(args, " "),
			}
			var total int64
			for _, p := range args {
				total += pathSize(p)
			}
			prog := startProgress(a.stderr, a.quiet || asJSON, "ingest", total, counter.Load)
			rep, runErr := r.Run(ctx, args)
			prog.Stop()
			if rep != nil {
				if asJSON {
					if err := writeReportJSON(a.stdout, rep); err != nil {
						return err
					}
				} else {
					writeReport(a.stderr, rep)
				}
			}
			if runErr != nil {
				return runErr
			}
			if !rep.Clean() {
				return &exitError{code: exitRejected}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Samples, "samples", "", "sample manifest CSV: sample,system,value[,collected,tissue,tumor_normal]")
	f.StringVar(&opts.SampleSystem, "sample-system", "", "identifier system that VCF/MAF sample names belong to when no manifest row names them")
	f.BoolVar(&opts.Features, "features", false, "compute pixel-derived imaging features while ingesting DICOM")
	f.BoolVar(&opts.KeepAll, "keep-all", false, "keep filtered variants and reference genotypes")
	f.StringVar(&filters, "filter", "", "comma-separated VCF FILTER values to keep (default PASS)")
	f.StringVar(&opts.Namespace, "namespace", "", "namespace of source-local patient ids (e.g. a FHIR server base URL)")
	f.IntVar(&batchRows, "batch-rows", 0, "rows per store transaction (default 65536)")
	f.BoolVar(&asJSON, "json", false, "print the run report as JSON on stdout")
	return cmd
}

// Text report limits: up to reportFiles files the report lists every
// file; beyond, it gives one row per format and lists only the files that
// need attention (failed, or with rejected records). reportLines bounds
// the error lines. --json always lists every file and error.
const (
	reportFiles = 50
	reportLines = 100
)

func writeReport(w io.Writer, rep *ingest.Report) {
	files := rep.Files
	if len(files) > reportFiles {
		writeFormatSummary(w, rep.Files)
		files = nil
		for _, f := range rep.Files {
			if f.Status() != store.FileOK {
				files = append(files, f)
			}
		}
		if len(files) > 0 {
			fmt.Fprintf(w, "\nfiles that need attention (%d):\n", len(files))
		}
	}
	if len(files) > 0 {
		shown := files[:min(len(files), reportFiles)]
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "STATUS\tFORMAT\tFILE\tINSERTED\tDUPLICATE\tSUPERSEDED\tSTALE\tREJECTED")
		for _, f := range shown {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\n", f.Status(), f.Format, f.Input.Name,
				f.Result.Inserted, f.Result.Duplicate, f.Result.Superseded, f.Result.Stale, f.Rejected)
		}
		tw.Flush()
		if len(files) > len(shown) {
			fmt.Fprintf(w, "… and %d more (--json lists every file)\n", len(files)-len(shown))
		}
	}
	lines := 0
	line := func(format string, args ...any) {
		if lines < reportLines {
			fmt.Fprintf(w, format, args...)
		}
		lines++
	}
	for _, f := range rep.Files {
		if f.Err != nil {
			line("error: %v\n", f.Err)
		}
		for _, e := range f.Errors {
			line("rejected: %v\n", e)
		}
		if f.Rejected > int64(len(f.Errors)) {
			line("rejected: %s: %d more\n", f.Input.Name, f.Rejected-int64(len(f.Errors)))
		}
	}
	if lines > reportLines {
		fmt.Fprintf(w, "… %d more error lines (--json lists them, up to %d per file)\n", lines-reportLines, ingest.DefaultMaxErrors)
	}
	writeNotMapped(w, rep.Files, len(rep.Files) > reportFiles)
	if len(rep.Unrecognised) > 0 {
		fmt.Fprintf(w, "skipped %d files of no known format (e.g. %s)\n", len(rep.Unrecognised), rep.Unrecognised[0])
	}
	res, rej, failed := rep.Totals()
	fmt.Fprintf(w, "run %d: %d files, %d inserted, %d duplicate, %d superseded, %d stale, %d rejected, %d failed files\n",
		rep.RunID, len(rep.Files), res.Inserted, res.Duplicate, res.Superseded, res.Stale, rej, failed)
}

// writeFormatSummary writes one row per format, in the order the formats
// first appear in the report.
func writeFormatSummary(w io.Writer, files []*ingest.FileReport) {
	type sum struct {
		files, failed int
		res           store.AppendResult
		rejected      int64
	}
	var order []string
	by := map[string]*sum{}
	for _, f := range files {
		s := by[f.Format]
		if s == nil {
			s = &sum{}
			by[f.Format] = s
			order = append(order, f.Format)
		}
		s.files++
		s.res.Add(f.Result)
		s.rejected += f.Rejected
		if f.Err != nil {
			s.failed++
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FORMAT\tFILES\tINSERTED\tDUPLICATE\tSUPERSEDED\tSTALE\tREJECTED\tFAILED")
	for _, name := range order {
		s := by[name]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", name, s.files, s.res.Inserted, s.res.Duplicate,
			s.res.Superseded, s.res.Stale, s.rejected, s.failed)
	}
	tw.Flush()
}

// writeNotMapped writes what was read and deliberately not mapped: per
// file, or summed per format when byFormat (many files).
func writeNotMapped(w io.Writer, files []*ingest.FileReport, byFormat bool) {
	line := func(name string, skipped map[string]int64, suffix string) {
		cats := make([]string, 0, len(skipped))
		for c := range skipped {
			cats = append(cats, c)
		}
		sort.Strings(cats)
		parts := make([]string, len(cats))
		for i, c := range cats {
			parts[i] = fmt.Sprintf("%s=%d", c, skipped[c])
		}
		fmt.Fprintf(w, "not mapped: %s: %s%s\n", name, strings.Join(parts, " "), suffix)
	}
	if !byFormat {
		for _, f := range files {
			if len(f.Skipped) > 0 {
				line(f.Input.Name, f.Skipped, "")
			}
		}
		return
	}
	var order []string
	sums := map[string]map[string]int64{}
	count := map[string]int{}
	for _, f := range files {
		if len(f.Skipped) == 0 {
			continue
		}
		if sums[f.Format] == nil {
			sums[f.Format] = map[string]int64{}
			order = append(order, f.Format)
		}
		count[f.Format]++
		for c, n := range f.Skipped {
			sums[f.Format][c] += n
		}
	}
	for _, format := range order {
		line(format, sums[format], fmt.Sprintf(" (%d files)", count[format]))
	}
}

type jsonFile struct {
	File       string           `json:"file"`
	Format     string           `json:"format"`
	Status     string           `json:"status"`
	Inserted   int64            `json:"inserted"`
	Duplicate  int64            `json:"duplicate"`
	Superseded int64            `json:"superseded"`
	Stale      int64            `json:"stale"`
	Details    int64            `json:"details"`
	Rejected   int64            `json:"rejected"`
	Skipped    map[string]int64 `json:"skipped,omitempty"`
	Errors     []string         `json:"errors,omitempty"`
	Error      string           `json:"error,omitempty"`
}

func writeReportJSON(w io.Writer, rep *ingest.Report) error {
	out := struct {
		Run          int64      `json:"run"`
		Files        []jsonFile `json:"files"`
		Unrecognised []string   `json:"unrecognised,omitempty"`
	}{Run: rep.RunID, Files: []jsonFile{}, Unrecognised: rep.Unrecognised}
	for _, f := range rep.Files {
		jf := jsonFile{File: f.Input.Name, Format: f.Format, Status: f.Status(), Inserted: f.Result.Inserted,
			Duplicate: f.Result.Duplicate, Superseded: f.Result.Superseded, Stale: f.Result.Stale,
			Details: f.Result.Details, Rejected: f.Rejected, Skipped: f.Skipped}
		for _, e := range f.Errors {
			jf.Errors = append(jf.Errors, e.Error())
		}
		if f.Err != nil {
			jf.Error = f.Err.Error()
		}
		out.Files = append(out.Files, jf)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
