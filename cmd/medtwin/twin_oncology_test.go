package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

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
