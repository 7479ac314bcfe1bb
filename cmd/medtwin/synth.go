package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/medtwin/medtwin/synth"
)

func newSynthCmd(a *app) *cobra.Command {
	var (
		patients int
		seed     int64
		out      string
		ctSize   string
		ctFrac   float64
		gz       bool
		events   int
		end      string
		shard    int
		workers  int
		asJSON   bool
		force    bool
	)
	cmd := &cobra.Command{
		Use:   "synth --patients N --seed S --out DIR",
		Short: "Generate a deterministic synthetic multimodal cohort",
		Long: `Generate a synthetic cohort in the formats medtwin ingests: FHIR R4 Bulk NDJSON
(fhir/), germline and somatic VCF.gz (BGZF) and a MAF (genomics/), the sample manifest
(manifest.csv), CT series and TID 1500 measurement reports (dicom/), imaging AI outputs in
the long CSV format (imaging-ai/), and truth.json, what the generator put in (for tests;
medtwin never reads it).

Three storylines run through the cohort beside background patients: liver disease
(steatosis progressing to fibrosis in some), pneumonia episodes, and oncology (stage,
markers, lines of therapy, lesions responding or progressing on CT). The same seed gives
the same bytes, whatever the number of workers.

Then: medtwin ingest --samples DIR/manifest.csv DIR`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if patients <= 0 {
				return usageErr("synth: --patients must be a positive number")
			}
			if out == "" {
				return usageErr("synth: --out DIR is required")
			}
			cfg := synth.DefaultConfig(patients, seed, out)
			var err error
			if cfg.CTCols, cfg.CTRows, cfg.CTSlices, err = parseCTSize(ctSize); err != nil {
				return usageErr("synth: %v", err)
			}
			if end != "" {
				if cfg.End, err = parseCLITime(end); err != nil {
					return usageErr("synth: --end: %v", err)
				}
			}
			cfg.Overwrite = force
			cfg.CTFraction, cfg.Gzip, cfg.EventsPerPatient, cfg.ShardPatients, cfg.Workers = ctFrac, gz, events, shard, workers
			var done atomic.Int64
			cfg.Progress = func(n, _ int) { done.Store(int64(n)) }
			start := time.Now()
			prog := startProgressUnit(a.stderr, a.quiet || asJSON, "synth", "patients", int64(patients), done.Load)
			sum, err := synth.Generate(cmd.Context(), cfg)
			prog.Stop()
			if err != nil {
				if errors.Is(err, synth.ErrConfig) {
					return usageErr("%v", err)
				}
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(sum)
			}
			if !a.quiet {
				fmt.Fprintf(a.stderr, "synth: %d patients, %d clinical records, %d CT studies (%d image files, %d reports), %d samples, %d AI rows: %d files, %.1f MB in %s (%.1fs)\n",
					sum.Patients, sum.Events(), sum.Studies, sum.CTFiles, sum.Reports, sum.Samples, sum.AIRows, sum.Files, float64(sum.Bytes)/1e6, out, time.Since(start).Seconds())
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&patients, "patients", 0, "number of patients")
	f.Int64Var(&seed, "seed", 1, "random seed (same seed, same files)")
	f.StringVar(&out, "out", "", "output directory")
	f.StringVar(&ctSize, "ct-size", "64x64x32", "CT matrix: COLSxROWSxSLICES, or N for NxNx(N/2)")
	f.Float64Var(&ctFrac, "ct-fraction", 1, "share of patients whose CT studies carry pixel data (reports and AI outputs are written for all)")
	f.BoolVar(&gz, "gzip", false, "gzip the FHIR NDJSON files")
	f.IntVar(&events, "events-per-patient", 150, "approximate clinical records per patient (routine visits fill up to it)")
	f.StringVar(&end, "end", "2025-06-30", "the cohort's today: nothing happens after it")
	f.IntVar(&shard, "shard-patients", 10000, "patients per NDJSON file")
	f.IntVar(&workers, "workers", 0, "generator goroutines (default GOMAXPROCS; does not change the output)")
	f.BoolVar(&force, "force", false, "replace a cohort already in --out (removes its fhir, genomics, dicom, imaging-ai, manifest.csv, truth.json)")
	f.BoolVar(&asJSON, "json", false, "print the summary as JSON on stdout")
	return cmd
}

// parseCTSize reads COLSxROWSxSLICES or N (N×N×N/2).
func parseCTSize(s string) (cols, rows, slices int, err error) {
	parts := strings.Split(strings.ToLower(strings.TrimSpace(s)), "x")
	nums := make([]int, len(parts))
	for i, p := range parts {
		if nums[i], err = strconv.Atoi(p); err != nil || nums[i] <= 0 {
			return 0, 0, 0, fmt.Errorf("--ct-size %q: want COLSxROWSxSLICES (64x64x32) or N", s)
		}
	}
	switch len(nums) {
	case 1:
		return nums[0], nums[0], max(4, nums[0]/2), nil
	case 3:
		return nums[0], nums[1], nums[2], nil
	}
	return 0, 0, 0, fmt.Errorf("--ct-size %q: want COLSxROWSxSLICES (64x64x32) or N", s)
}
