package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/sqlite"
	"github.com/medtwin/medtwin/timeline"
)

// evalStore writes 12 patients, each with one liver CT read by a
// radiologist (DICOM SR mean attenuation) and by "FatAI": version 1 reads
// 3 HU low until 2024-06-01, version 2 reads true.
func evalStore(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	nan := math.NaN()
	for i := 0; i < 12; i++ {
		id, err := s.Resolve(ctx, timeline.Identifier{System: "urn:test", Value: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		when := time.Date(2024, time.Month(1+i), 3, 9, 0, 0, 0, time.UTC)
		truth := 40 + float64(i)
		ver, bias := "1", -3.0
		if i >= 5 {
			ver, bias = "2", 0
		}
		jitter := 0.3 * float64(i%3-1)
		bb := timeline.NewBatchBuilder(memory.DefaultAllocator, 1000)
		study := fmt.Sprintf("2.25.%d", i+1)
		for j, f := range []struct {
			code, alg, ver, roi, site string
			v                         float64
		}{
			{"DCM//112031//mean", "", "", "liver ROI", "SNOMED//10200004", truth},
			{"IMAGING//CT//liver_mean_hu", "FatAI", ver, "liver", "", truth + bias + jitter},
		} {
			k := timeline.NewKey("cli-eval", fmt.Sprint(i, j))
			e := timeline.Event{SubjectID: id, Time: when, Code: f.code, Value: f.v, HasValue: true, Unit: "[hnsf'U]",
				Kind: timeline.KindImagingFeature, Key: k, Source: "test"}
			if err := bb.Append(&e); err != nil {
				t.Fatal(err)
			}
			d := timeline.ImagingDetail{SubjectID: id, Key: k, StudyUID: study, Modality: "CT", Instances: -1, Rows: -1, Columns: -1,
				PixelSpacingRow: nan, PixelSpacingCol: nan, SliceThickness: nan, SliceSpacing: nan, RescaleSlope: nan, RescaleIntercept: nan,
				Algorithm: f.alg, AlgorithmVersion: f.ver, ROI: f.roi, FindingSite: f.site}
			if err := bb.Detail(timeline.Imaging).AppendImaging(&d); err != nil {
				t.Fatal(err)
			}
		}
		b := bb.Flush()
		if _, err := s.Append(ctx, b); err != nil {
			t.Fatal(err)
		}
		b.Release()
		bb.Release()
	}
	return "sqlite:" + path
}

func TestEvaluateCommand(t *testing.T) {
	db := evalStore(t)
	code, out, errs := runCLI(t, "--db", db, "evaluate", "--algorithm", "FatAI", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep struct {
		Algorithm  string
		Subjects   int
		Quantities []struct {
			Quantity  string
			Pairing   struct{ Paired int }
			ByVersion []struct {
				Value       string
				BlandAltman struct{ Bias float64 }
			}
			ChangePoints []struct {
				To      string
				Flagged bool
			}
		}
		PairingRules []struct{ Name string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.Algorithm != "FatAI" || rep.Subjects != 12 || len(rep.Quantities) != 1 || rep.Quantities[0].Pairing.Paired != 12 {
		t.Fatalf("report: %+v", rep)
	}
	q := rep.Quantities[0]
	if len(q.ByVersion) != 2 || math.Abs(q.ByVersion[0].BlandAltman.Bias+3) > 0.1 || math.Abs(q.ByVersion[1].BlandAltman.Bias) > 0.2 {
		t.Errorf("versions: %+v", q.ByVersion)
	}
	if len(q.ChangePoints) != 1 || q.ChangePoints[0].To != "2" || !q.ChangePoints[0].Flagged {
		t.Errorf("change points: %+v", q.ChangePoints)
	}
	if len(rep.PairingRules) != 5 {
		t.Errorf("pairing rules: %+v", rep.PairingRules)
	}
	// Every patient read was audited.
	ctx := context.Background()
	s, err := sqlite.Open(ctx, strings.TrimPrefix(db, "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	log, err := s.AuditLog(ctx, store.AuditQuery{})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 12 || log[0].Action != "cli-evaluate" || !strings.Contains(log[0].Detail, "FatAI") {
		t.Errorf("audit: %d entries, first %+v", len(log), log[0])
	}

	// One version; the text report; the list.
	if code, out, _ := runCLI(t, "--db", db, "evaluate", "--algorithm", "FatAI", "--version", "2"); code != exitOK ||
		!strings.Contains(out, "version 2") || strings.Contains(out, "version 1 ") {
		t.Errorf("--version 2: exit %d\n%s", code, out)
	}
	if code, out, _ := runCLI(t, "--db", db, "evaluate", "--algorithm", "FatAI"); code != exitOK || !strings.Contains(out, "CHANGE") {
		t.Errorf("text: exit %d\n%s", code, out)
	}
	if code, out, _ := runCLI(t, "--db", db, "evaluate", "--list"); code != exitOK || !strings.Contains(out, "FatAI") {
		t.Errorf("--list: exit %d\n%s", code, out)
	}
}

func TestEvaluateCommandErrors(t *testing.T) {
	db := evalStore(t)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"evaluate"}, exitUsage, "--algorithm is required"},
		{[]string{"evaluate", "--algorithm", "FatAI", "--as-of", "yesterday"}, exitUsage, "--as-of"},
		{[]string{"evaluate", "--algorithm", "FatAI", "--alpha", "2"}, exitUsage, "--alpha"},
		{[]string{"evaluate", "--algorithm", "NoSuchAI"}, exitFailure, "no outputs"},
		{[]string{"evaluate", "--algorithm", "FatAI", "--from", "2025-01-01", "--to", "2024-01-01"}, exitFailure, "from must be before to"},
	} {
		code, _, errs := runCLI(t, append([]string{"--db", db}, c.args...)...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errs, c.code, c.want)
		}
	}
}
