package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/internal/testdata"
	"github.com/medtwin/medtwin/store/backend"
	"github.com/medtwin/medtwin/timeline"
)

// TestTwinCommandOncology: a patient with lesion measurements from two
// imaging reports (the second signed two days after the scan) and a drug,
// appended to an embedded store, then `medtwin twin --json` as of two
// times: before the second report the course has no follow-up; after it,
// a partial response that names the measurements it used.
func TestTwinCommandOncology(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "medtwin.db")
	s, err := backend.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	ident := timeline.Identifier{System: "urn:test:mrn", Value: "onc-1"}
	sid, err := s.Resolve(ctx, ident)
	if err != nil {
		t.Fatal(err)
	}
	day := func(d string) time.Time { t, _ := time.Parse("2006-01-02", d); return t }
	bb := timeline.NewBatchBuilder(memory.DefaultAllocator, 0)
	defer bb.Release()
	add := func(e timeline.Event) {
		t.Helper()
		e.SubjectID = sid
		if err := bb.Append(&e); err != nil {
			t.Fatal(err)
		}
	}
	add(timeline.Event{Time: day("2024-01-15"), Code: "RXNORM//2555", Text: "cisplatin", Kind: timeline.KindMedication,
		Source: "test#drug", Key: timeline.NewKey("drug")})
	lesion := func(study, date, avail, id string, long float64) {
		k := timeline.NewKey(study, id)
		e := timeline.Event{Time: day(date), Code: "LOINC//21889-1", Kind: timeline.KindLesion, Source: "sr-" + study + ".dcm", Key: k}
		if avail != "" {
			e.AvailableAt = day(avail)
		}
		add(e)
		d := timeline.LesionDetail{SubjectID: sid, Key: k, LesionID: id, StudyUID: study, Site: "liver",
			LongAxisMM: long, ShortAxisMM: timeline.NoFloat, X: timeline.NoFloat, Y: timeline.NoFloat, Z: timeline.NoFloat}
		if err := bb.Detail(timeline.Lesions).AppendLesion(&d); err != nil {
			t.Fatal(err)
		}
	}
	lesion("1.2.3.1", "2024-01-10", "", "L1", 50)
	lesion("1.2.3.1", "2024-01-10", "", "L2", 30)
	lesion("1.2.3.2", "2024-03-10", "2024-03-12", "L1", 30)
	lesion("1.2.3.2", "2024-03-10", "2024-03-12", "L2", 20)
	b := bb.Flush()
	if _, err := s.Append(ctx, b); err != nil {
		t.Fatal(err)
	}
	b.Release()
	s.Close()

	type course struct {
		Criteria   string `json:"criteria"`
		Current    bool   `json:"current"`
		TimePoints []struct {
			Overall      string  `json:"overall"`
			SumMM        float64 `json:"sumMm"`
			Measurements []struct {
				LesionID string  `json:"lesionId"`
				ValueMM  float64 `json:"valueMm"`
				EventRef string  `json:"eventRef"`
			} `json:"measurements"`
		} `json:"timePoints"`
	}
	var out struct {
		Oncology struct {
			Courses []course `json:"courses"`
			Lesions []any    `json:"lesions"`
		} `json:"oncology"`
	}
	for _, c := range []struct {
		asOf    string
		overall string
	}{{"2024-03-11", ""}, {"2024-03-12", "PR"}} {
		code, stdout, stderr := runCLI(t, "--db", dsn, "twin", "--patient", ident.String(), "--as-of", c.asOf, "--json")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Oncology.Courses) != 1 || !out.Oncology.Courses[0].Current || len(out.Oncology.Lesions) != 2 {
			t.Fatalf("as of %s: oncology = %+v", c.asOf, out.Oncology)
		}
		tps := out.Oncology.Courses[0].TimePoints
		if c.overall == "" {
			if len(tps) != 0 {
				t.Errorf("as of %s: the unsigned report was used: %+v", c.asOf, tps)
			}
			continue
		}
		if len(tps) != 1 || tps[0].Overall != c.overall || tps[0].SumMM != 50 || len(tps[0].Measurements) != 2 {
			t.Fatalf("as of %s: time points = %+v", c.asOf, tps)
		}
		for _, m := range tps[0].Measurements {
			if !strings.HasPrefix(m.EventRef, "sr-1.2.3.2.dcm@") {
				t.Errorf("measurement %+v does not name the report it came from", m)
			}
		}
	}
	code, text, stderr := runCLI(t, "--db", dsn, "twin", "--patient", ident.String(), "--as-of", "2024-03-12")
	if code != exitOK || !strings.Contains(text, "RECIST 1.1") || !strings.Contains(text, "2024-03-10 PR (sum 50 mm, -37.5 %)") {
		t.Errorf("text output (exit %d, %s):\n%s", code, stderr, text)
	}
	if code, _, stderr := runCLI(t, "--db", dsn, "twin", "--patient", ident.String(), "--irecist", "maybe"); code != exitUsage {
		t.Errorf("--irecist maybe: exit %d (%s), want usage error", code, stderr)
	}
}

// TestTwinCommandOncologyDICOMSR is the acceptance test of issue 8:
// `medtwin ingest` of DICOM SR measurement reports, then `medtwin twin
// --json` shows the oncology twin with the lesion followed across the two
// reports and a response that names the measurements it used.
//
// The baseline report is the shared highdicom TID 1500 document
// (dicom/sr/highdicom_sr_document_with_multiple_groups.dcm): one lung nodule,
// "Diameter" 10.0 mm, with a tracking identifier and UID, study of
// 2004-01-19 (dcmdump: StudyDate 20040119, NumericValue [10.0]). The
// follow-up is the same report patched byte for byte (same lengths): study
// 2004-03-22, new study/series/SOP instance UIDs, the diameter 6.0 mm (both its
// FloatingPointValue and its NumericValue), the
// tracking UID unchanged. RECIST 1.1: 6 mm is −40 % from 10 mm: PR.
func TestTwinCommandOncologyDICOMSR(t *testing.T) {
	src := testdata.Path(t, "dicom", "sr", "highdicom_sr_document_with_multiple_groups.dcm")
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "baseline.dcm"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	follow := append([]byte(nil), raw...)
	patch := func(old, new string, want int) {
		t.Helper()
		if len(old) != len(new) {
			t.Fatalf("patch %q: length changes", old)
		}
		if n := bytes.Count(follow, []byte(old)); n != want {
			t.Fatalf("patch %q: %d occurrences, want %d", old, n, want)
		}
		follow = bytes.ReplaceAll(follow, []byte(old), []byte(new))
	}
	// (0008,0020) StudyDate DA and (0008,0023) ContentDate DA, explicit VR LE.
	patch("\x08\x00\x20\x00DA\x08\x0020040119", "\x08\x00\x20\x00DA\x08\x0020040322", 1)
	patch("\x08\x00\x23\x00DA\x08\x0020230501", "\x08\x00\x23\x00DA\x08\x0020040323", 1)
	patch("1.3.6.1.4.1.5962.1.2.1.20040119072730.12322", "1.3.6.1.4.1.5962.1.2.1.20040322072730.12322", 2) // StudyInstanceUID
	patch("1.2.826.0.1.3680043.10.511.3.88061033799943655762803486145080506", "1.2.826.0.1.3680043.10.511.3.88061033799943655762803486145080507", 2)
	patch("1.2.826.0.1.3680043.10.511.3.12844365707683420681097016214614630", "1.2.826.0.1.3680043.10.511.3.12844365707683420681097016214614631", 1)
	// (0040,A161) FloatingPointValue FD 10 → 6 (IEEE 754 little endian) and
	// (0040,A30A) NumericValue DS "10.0" → "6.0 " (DS pads with a space).
	patch("\x40\x00\x61\xa1FD\x08\x00\x00\x00\x00\x00\x00\x00\x24\x40", "\x40\x00\x61\xa1FD\x08\x00\x00\x00\x00\x00\x00\x00\x18\x40", 1)
	patch("\x40\x00\x0a\xa3DS\x04\x0010.0", "\x40\x00\x0a\xa3DS\x04\x006.0 ", 1)
	if err := os.WriteFile(filepath.Join(dir, "followup.dcm"), follow, 0o644); err != nil {
		t.Fatal(err)
	}

	dsn := "sqlite:" + filepath.Join(t.TempDir(), "medtwin.db")
	if code, _, stderr := runCLI(t, "--db", dsn, "ingest", "--quiet", dir); code != exitOK && code != exitRejected {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "--db", dsn, "twin", "--patient", "urn:dicom:patient-id|1CT1", "--json")
	if code != exitOK {
		t.Fatalf("twin: exit %d: %s", code, stderr)
	}
	var out struct {
		Oncology struct {
			Lesions []struct {
				ID           string `json:"id"`
				Organ        string `json:"organ"`
				Measurements []struct {
					LongAxisMM float64 `json:"longAxisMm"`
					MatchBasis string  `json:"matchBasis"`
				} `json:"measurements"`
			} `json:"lesions"`
			Courses []struct {
				Current  bool `json:"current"`
				Baseline struct {
					SumMM   float64  `json:"sumMm"`
					Targets []string `json:"targets"`
				} `json:"baseline"`
				TimePoints []struct {
					Time            time.Time `json:"time"`
					Overall         string    `json:"overall"`
					PctFromBaseline float64   `json:"pctFromBaseline"`
					Measurements    []struct {
						LesionID string  `json:"lesionId"`
						ValueMM  float64 `json:"valueMm"`
						EventRef string  `json:"eventRef"`
					} `json:"measurements"`
				} `json:"timePoints"`
			} `json:"courses"`
		} `json:"oncology"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	o := out.Oncology
	if len(o.Lesions) != 1 || o.Lesions[0].Organ != "lung" || len(o.Lesions[0].Measurements) != 2 ||
		o.Lesions[0].Measurements[0].LongAxisMM != 10 || o.Lesions[0].Measurements[1].LongAxisMM != 6 ||
		o.Lesions[0].Measurements[1].MatchBasis != "tracking identifier" {
		t.Fatalf("lesions = %+v", o.Lesions)
	}
	if len(o.Courses) != 1 || !o.Courses[0].Current || o.Courses[0].Baseline.SumMM != 10 || len(o.Courses[0].TimePoints) != 1 {
		t.Fatalf("courses = %+v", o.Courses)
	}
	tp := o.Courses[0].TimePoints[0]
	if tp.Time.Format("2006-01-02") != "2004-03-22" || tp.Overall != "PR" || tp.PctFromBaseline != -40 || len(tp.Measurements) != 1 ||
		tp.Measurements[0].ValueMM != 6 || !strings.Contains(tp.Measurements[0].EventRef, "followup.dcm#") {
		t.Errorf("time point = %+v", tp)
	}
}
