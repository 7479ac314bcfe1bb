package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/medtwin/medtwin/export"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

func newExportCmd(a *app) *cobra.Command {
	var (
		format, out, dataset, partition, ipcFormat  string
		subjects, hasCodes, kinds, codes, splits    string
		from, to, asOf, knownBy                     string
		medsExt                                     string
		minSubject, maxSubject, partitionRows, rows int64
		rowGroupRows                                int64
		buckets, batchRows                          int
		asJSON                                      bool
		o                                           export.Options
	)
	cmd := &cobra.Command{
		Use:   "export --format meds|parquet|arrow --out PATH [cohort and dataset flags]",
		Short: "Export timelines as MEDS, Parquet or Arrow IPC",
		Long: `Export a cohort's timeline (or a detail table) for data scientists.

  meds     a MEDS 0.4 dataset directory: data/N.parquet (subject_id int64, time timestamp[us],
           code, numeric_value float32, text_value), metadata/dataset.json,
           metadata/codes.parquet (every code, with descriptions from the code table) and
           metadata/subject_splits.parquet (train/tuning/held_out by a hash of the subject id:
           the same patient lands in the same split in every export)
  parquet  medtwin's full schema: a directory of part-NNNNN.parquet files, or one file when
           --out ends in .parquet
  arrow    an Arrow IPC stream (--ipc file for the random-access file format); --out - writes
           the stream to stdout

Rows are sorted by subject and time; each subject's rows are in exactly one file. Exports of
more than --partition-rows rows (default 5,000,000) are Hive-partitioned by subject bucket,
subject_bucket=NN/part-NNNNN.parquet, each bucket a contiguous range of subject ids, so Spark,
Trino or DuckDB read them in parallel (--partition subject-bucket forces it, none prevents it).
Directory outputs are written aside and renamed into place when complete.

--as-of T keeps what could have been known at T (no value reported later leaks in);
--known-by K reproduces what this platform held at K. Every exported patient is written to
the audit log.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var err error
			if o.Format, err = export.ParseFormat(format); err != nil {
				return usageErr("--format: %v", err)
			}
			if out == "" {
				return usageErr("--out is required")
			}
			if o.Dataset, err = export.ParseDataset(dataset); err != nil {
				return usageErr("--dataset: %v", err)
			}
			if o.Partition, err = export.ParsePartition(partition); err != nil {
				return usageErr("--partition: %v", err)
			}
			o.IPC = export.IPCFormat(ipcFormat)
			o.Buckets, o.AutoPartitionRows, o.RowsPerFile, o.RowGroupRows = buckets, partitionRows, rows, rowGroupRows
			o.Filter.BatchRows = batchRows
			for name, p := range map[string]*time.Time{"--from": &o.Filter.From, "--to": &o.Filter.To, "--as-of": &o.Filter.AsOf, "--known-by": &o.Filter.KnownBy} {
				v := map[string]string{"--from": from, "--to": to, "--as-of": asOf, "--known-by": knownBy}[name]
				if v == "" {
					continue
				}
				if *p, err = parseCLITime(v); err != nil {
					return usageErr("%s: %v", name, err)
				}
			}
			for _, k := range splitList(kinds) {
				kk, err := timeline.ParseKind(k)
				if err != nil {
					return usageErr("--kinds: %v", err)
				}
				o.Filter.Kinds = append(o.Filter.Kinds, kk)
			}
			o.Filter.Codes = splitList(codes)
			o.Cohort.HasCodes = splitList(hasCodes)
			o.Cohort.MinSubject, o.Cohort.MaxSubject = minSubject, maxSubject
			o.MEDS.Extensions = splitList(medsExt)
			if medsExt == "all" {
				o.MEDS.Extensions = export.ExtensionColumns
			}
			if o.MEDS.Splits, err = parseSplits(splits); err != nil {
				return usageErr("--splits: %v", err)
			}

			s, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			if o.Cohort.SubjectIDs, err = resolveSubjects(cmd, s, subjects); err != nil {
				return err
			}
			o.Audit = &store.AuditEntry{Actor: cliActor(), Role: "cli", Action: "export",
				Fields: []string{string(o.Dataset), string(o.Format)}, Detail: "medtwin export"}
			var done, total atomic.Int64
			o.Progress, o.Total = &done, &total
			prog := startProgressLate(a.stderr, a.quiet, "export", "rows", total.Load, done.Load)
			res, err := export.Export(ctx, s, out, a.stdout, o)
			prog.Stop()
			if err != nil {
				if errors.Is(err, export.ErrOptions) || errors.Is(err, export.ErrExists) {
					return &exitError{code: exitUsage, err: err}
				}
				return err
			}
			if asJSON && out != "-" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Out      string   `json:"out"`
					Format   string   `json:"format"`
					Dataset  string   `json:"dataset"`
					Rows     int64    `json:"rows"`
					Subjects int64    `json:"subjects"`
					Codes    int      `json:"codes,omitempty"`
					Buckets  int      `json:"buckets,omitempty"`
					Files    []string `json:"files,omitempty"`
					Seconds  float64  `json:"seconds"`
				}{out, string(o.Format), string(o.Dataset), res.Rows, res.Subjects, res.Codes, res.Buckets, res.Files, res.Elapsed.Seconds()})
			}
			if !a.quiet {
				layout := ""
				if len(res.Files) > 0 {
					layout = fmt.Sprintf(", %d files", len(res.Files))
				}
				if res.Buckets > 0 {
					layout += fmt.Sprintf(" in %d subject buckets", res.Buckets)
				}
				fmt.Fprintf(a.stderr, "exported %d rows of %d subjects as %s to %s%s in %.2fs (%.0f rows/s)\n",
					res.Rows, res.Subjects, o.Format, out, layout, res.Elapsed.Seconds(), float64(res.Rows)/max(res.Elapsed.Seconds(), 1e-9))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "", "meds, parquet or arrow (required)")
	f.StringVar(&out, "out", "", "output directory (meds, parquet), file (arrow, *.parquet) or - for stdout (arrow)")
	f.StringVar(&dataset, "dataset", "timeline", "timeline, variants, imaging_features or lesions (meds: timeline only)")
	f.StringVar(&subjects, "subjects", "", "cohort: comma-separated subject ids or SYSTEM|VALUE identifiers, or @FILE with one per line")
	f.StringVar(&hasCodes, "has-code", "", "cohort: subjects with an event of any of these codes (comma-separated; a trailing * matches by prefix)")
	f.Int64Var(&minSubject, "subject-min", 0, "cohort: lowest subject id (inclusive)")
	f.Int64Var(&maxSubject, "subject-max", 0, "cohort: highest subject id (inclusive)")
	f.StringVar(&from, "from", "", "events at or after this time (RFC 3339 or date)")
	f.StringVar(&to, "to", "", "events before this time")
	f.StringVar(&kinds, "kinds", "", "comma-separated event kinds (lab, vital, diagnosis, …)")
	f.StringVar(&codes, "codes", "", "comma-separated codes (a trailing * matches by prefix)")
	f.StringVar(&asOf, "as-of", "", "keep what could have been known at this time (no later-reported values)")
	f.StringVar(&knownBy, "known-by", "", "reproduce what this platform held at this time")
	f.StringVar(&partition, "partition", "auto", "auto, none or subject-bucket (Hive subject_bucket=NN directories)")
	f.IntVar(&buckets, "buckets", 0, "subject buckets when partitioned (default: one per 1,000,000 rows, 2 to 1024)")
	f.Int64Var(&partitionRows, "partition-rows", export.DefaultAutoPartitionRows, "partition automatically above this many rows")
	f.Int64Var(&rows, "rows-per-file", export.DefaultRowsPerFile, "rows per file (files split at subject boundaries)")
	f.Int64Var(&rowGroupRows, "row-group-rows", export.DefaultRowGroupRows, "rows per Parquet row group")
	f.StringVar(&o.Compression, "compression", "snappy", "Parquet compression: snappy, zstd, gzip or none")
	f.StringVar(&ipcFormat, "ipc", "stream", "Arrow IPC format: stream or file")
	f.StringVar(&o.MEDS.DatasetName, "dataset-name", "medtwin", "MEDS dataset.json dataset_name")
	f.StringVar(&o.MEDS.DatasetVersion, "dataset-version", "", "MEDS dataset.json dataset_version (default: today's date)")
	f.StringVar(&medsExt, "meds-extensions", "", "extra MEDS columns: all, or some of unit,kind,end_time,available_at,source,record_key,source_version")
	f.StringVar(&splits, "splits", "80,10,10", "MEDS subject split percentages train,tuning,held_out")
	f.BoolVar(&o.Overwrite, "force", false, "replace an existing output")
	f.IntVar(&batchRows, "batch-rows", 0, "rows per record batch read from the store (default 65536)")
	f.BoolVar(&asJSON, "json", false, "print the export summary as JSON on stdout")
	return cmd
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseSplits(s string) (export.Splits, error) {
	parts := splitList(s)
	if len(parts) != 3 {
		return export.Splits{}, fmt.Errorf("want three percentages train,tuning,held_out")
	}
	var v [3]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || f < 0 {
			return export.Splits{}, fmt.Errorf("%q is not a percentage", p)
		}
		v[i] = f
	}
	sum := v[0] + v[1] + v[2]
	if sum <= 0 {
		return export.Splits{}, fmt.Errorf("percentages sum to 0")
	}
	return export.Splits{Train: v[0] / sum, Tuning: v[1] / sum, HeldOut: v[2] / sum}, nil
}

// resolveSubjects reads --subjects: ids, SYSTEM|VALUE identifiers (looked
// up, never created), or @FILE with one per line.
func resolveSubjects(cmd *cobra.Command, s store.Store, arg string) ([]int64, error) {
	if arg == "" {
		return nil, nil
	}
	var items []string
	if strings.HasPrefix(arg, "@") {
		f, err := os.Open(arg[1:])
		if err != nil {
			return nil, usageErr("--subjects: %v", err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
				items = append(items, line)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, usageErr("--subjects: %v", err)
		}
	} else {
		items = splitList(arg)
	}
	ids := make([]int64, 0, len(items))
	for i, it := range items {
		if id, err := strconv.ParseInt(it, 10, 64); err == nil {
			ids = append(ids, id)
			continue
		}
		ident, err := timeline.ParseIdentifier(it)
		if err != nil {
			return nil, usageErr("--subjects: item %d is neither a subject id nor SYSTEM|VALUE", i+1)
		}
		id, err := s.Lookup(cmd.Context(), ident)
		if err != nil {
			// Never echo the identifier: it may be an MRN.
			return nil, usageErr("--subjects: item %d: %v", i+1, err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
