package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/store"
)

func fileReport(format, name string, inserted, rejected int64, skipped map[string]int64, err error) *ingest.FileReport {
	f := &ingest.FileReport{Input: &ingest.Input{Name: name}, Format: format, Result: store.AppendResult{Inserted: inserted},
		Rejected: rejected, Skipped: skipped, Err: err, Finished: time.Unix(1, 0)}
	if rejected > 0 {
		f.Errors = []*ingest.ParseError{ingest.Rejectf(name, "line 3", "valueQuantity", "not a number")}
	}
	return f
}

// The text report lists every file of a small run, and summarises a large
// one per format with only the files that need attention listed.
func TestWriteReport(t *testing.T) {
	small := &ingest.Report{RunID: 1, Files: []*ingest.FileReport{
		fileReport("fhir", "Observation.ndjson", 10, 1, nil, nil),
		fileReport("vcf", "a.vcf.gz", 5, 0, map[string]int64{"reference-call": 2}, nil),
	}}
	large := &ingest.Report{RunID: 2}
	for i := 0; i < 120; i++ {
		large.Files = append(large.Files, fileReport("dicom", fmt.Sprintf("d/%03d.dcm", i), 1, 0, nil, nil))
	}
	for i := 0; i < 3; i++ {
		large.Files = append(large.Files, fileReport("vcf", fmt.Sprintf("v%d.vcf.gz", i), 4, 0, map[string]int64{"reference-call": 5}, nil))
	}
	large.Files = append(large.Files,
		fileReport("dicom", "d/bad.dcm", 0, 0, nil, errors.New("d/bad.dcm: tag (0008,0018): missing SOPInstanceUID")),
		fileReport("fhir", "Observation.ndjson", 7, 2, nil, nil))
	many := &ingest.Report{RunID: 3}
	for i := 0; i < 150; i++ {
		many.Files = append(many.Files, fileReport("fhir", fmt.Sprintf("f%03d.ndjson", i), 1, 1, nil, nil))
	}

	tests := []struct {
		name      string
		rep       *ingest.Report
		want      []string // lines that must appear, in this order
		wantNot   []string
		wantLines int // at most this many lines (0: no bound checked)
	}{
		{"small run lists every file", small, []string{
			"STATUS   FORMAT  FILE                INSERTED  DUPLICATE  SUPERSEDED  STALE  REJECTED",
			"partial  fhir    Observation.ndjson  10        0          0           0      1",
			"ok       vcf     a.vcf.gz            5         0          0           0      0",
			"rejected: Observation.ndjson: line 3: valueQuantity: not a number",
			"not mapped: a.vcf.gz: reference-call=2",
			"run 1: 2 files, 15 inserted, 0 duplicate, 0 superseded, 0 stale, 1 rejected, 0 failed files",
		}, nil, 0},
		{"large run is summarised per format", large, []string{
			"FORMAT  FILES  INSERTED  DUPLICATE  SUPERSEDED  STALE  REJECTED  FAILED",
			"dicom   121    120       0          0           0      0         1",
			"vcf     3      12        0          0           0      0         0",
			"fhir    1      7         0          0           0      2         0",
			"files that need attention (2):",
			"failed   dicom   d/bad.dcm",
			"partial  fhir    Observation.ndjson",
			"error: d/bad.dcm: tag (0008,0018): missing SOPInstanceUID",
			"rejected: Observation.ndjson: line 3: valueQuantity: not a number",
			"rejected: Observation.ndjson: 1 more",
			"not mapped: vcf: reference-call=15 (3 files)",
			"run 2: 125 files, 139 inserted, 0 duplicate, 0 superseded, 0 stale, 2 rejected, 1 failed files",
		}, []string{"d/000.dcm", "not mapped: v0.vcf.gz"}, 0},
		{"many bad files are bounded", many, []string{
			"files that need attention (150):",
			"… and 100 more (--json lists every file)",
			"… 50 more error lines (--json lists them, up to 100 per file)",
			"run 3: 150 files, 150 inserted",
		}, []string{"f149.ndjson"}, 1 + 2 + 2 + 1 + reportFiles + 1 + reportLines + 1 + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			writeReport(&b, tc.rep)
			out := b.String()
			rest := out
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("report lacks %q (or it is out of order):\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
			for _, w := range tc.wantNot {
				if strings.Contains(out, w) {
					t.Errorf("report has %q:\n%s", w, out)
				}
			}
			if n := strings.Count(out, "\n"); tc.wantLines > 0 && n > tc.wantLines {
				t.Errorf("report has %d lines, want at most %d", n, tc.wantLines)
			}
		})
	}
}
