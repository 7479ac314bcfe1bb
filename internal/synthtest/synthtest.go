// Package synthtest ingests a generated synthetic cohort (package synth)
// through the real ingest adapters, for tests that need a whole
// multimodal cohort in a store.
package synthtest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/all"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/sqlite"
	"github.com/medtwin/medtwin/synth"
)

// Ingest runs every adapter over the cohort synth wrote to dir, with its
// sample manifest, into target, and returns the run's report; the caller
// checks the counts it cares about. A run that cannot start fails tb.
func Ingest(ctx context.Context, tb testing.TB, target ingest.Target, dir string) *ingest.Report {
	tb.Helper()
	reg, err := all.Registry()
	if err != nil {
		tb.Fatal(err)
	}
	r := &ingest.Runner{Target: target, Registry: reg, Env: ingest.Env{Options: ingest.Options{Samples: filepath.Join(dir, synth.ManifestFile)}}}
	rep, err := r.Run(ctx, []string{dir})
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

// Cohort generates the cohort cfg describes, reads its truth.json, and
// ingests it into a new SQLite store in a temporary directory (closed when
// the test ends). It returns the store, the truth and the ingest report.
func Cohort(ctx context.Context, tb testing.TB, cfg synth.Config) (store.Store, *synth.Truth, *ingest.Report) {
	tb.Helper()
	if _, err := synth.Generate(ctx, cfg); err != nil {
		tb.Fatal(err)
	}
	truth, err := synth.ReadTruth(cfg.Out)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "medtwin.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, truth, Ingest(ctx, tb, s, cfg.Out)
}
