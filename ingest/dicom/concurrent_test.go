package dicom_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/dicom"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/sqlite"
	"github.com/medtwin/medtwin/synth"
	"github.com/medtwin/medtwin/timeline"
)

// Studies written concurrently (Env.Writers > 1, as for PostgreSQL) give
// the same stored events and the same report, in the same order, as
// studies written one after another.
func TestConcurrentStudyWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := synth.DefaultConfig(40, 11, dir)
	cfg.CTFraction, cfg.CTCols, cfg.CTRows, cfg.CTSlices = 0.1, 16, 16, 4
	if _, err := synth.Generate(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	type result struct {
		files  []string
		events []string
	}
	run := func(writers int) result {
		t.Helper()
		s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "medtwin.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		reg, err := ingest.NewRegistry(dicom.New())
		if err != nil {
			t.Fatal(err)
		}
		r := &ingest.Runner{Target: s, Registry: reg, Command: "test",
			Env: ingest.Env{Writers: writers, Options: ingest.Options{Samples: filepath.Join(dir, synth.ManifestFile)}}}
		rep, err := r.Run(ctx, []string{filepath.Join(dir, "dicom")})
		if err != nil {
			t.Fatal(err)
		}
		var res result
		for _, f := range rep.Files {
			res.files = append(res.files, f.Status()+" "+f.Input.Name)
		}
		rr, err := s.Scan(ctx, store.Cohort{}, store.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		defer rr.Release()
		for rr.Next() {
			evs, err := timeline.Events(rr.Record())
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				// Subject ids are allocated in arrival order: compare
				// events by what they say, not by the id.
				res.events = append(res.events, strings.Join([]string{e.Time.String(), e.Code, e.Source, e.Text}, "|"))
			}
		}
		slices.Sort(res.events)
		return res
	}
	one, four := run(1), run(4)
	if len(one.events) == 0 || len(one.files) < 40 {
		t.Fatalf("cohort too small to tell: %d files, %d events", len(one.files), len(one.events))
	}
	if !slices.Equal(one.files, four.files) {
		t.Errorf("report with 4 writers differs from 1 writer:\n1: %v\n4: %v", one.files, four.files)
	}
	if !slices.Equal(one.events, four.events) {
		t.Errorf("stored events differ: %d with 1 writer, %d with 4", len(one.events), len(four.events))
	}
}
