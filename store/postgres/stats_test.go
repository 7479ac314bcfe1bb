package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/medtwin/medtwin/internal/benchdata"
	"github.com/medtwin/medtwin/store/postgres"
	"github.com/medtwin/medtwin/store/postgres/pgtest"
	"github.com/medtwin/medtwin/store/storetest"
)

// A load must leave planner statistics behind even where autovacuum is off
// (it is in CI): without them, the cached generic plan of the identifier
// lookup scanned the whole identifiers table for every new patient, and
// ingesting 100,000 patients slowed to a crawl (docs/scale.md).
func TestLoadRefreshesPlannerStatistics(t *testing.T) {
	url := pgtest.URL(t)
	schema := pgtest.Schema(t, url)
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	s, err := postgres.OpenConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	postgres.SetStatsEvery(s, 0)

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	reltuples := func(table string) float64 {
		t.Helper()
		var n float64
		if err := conn.QueryRow(ctx, `SELECT reltuples FROM pg_class WHERE oid = ($1 || '.' || $2)::regclass`, schema, table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, table := range []string{"events", "identifiers", "subjects"} {
		if n := reltuples(table); n > 0 {
			t.Fatalf("%s: reltuples %v before any load; want none (never analysed)", table, n)
		}
	}

	spec := benchdata.Spec{Patients: 3000, Events: 4, BatchRows: 1000}
	storetest.Load(t, s, spec)
	// Each table was analysed at least once it passed the threshold, and the
	// last ANALYZE saw about half of its final rows or more (one per doubling
	// of the pages; a third leaves room for the page holding the remainder).
	for table, rows := range map[string]int{"events": spec.Rows(), "identifiers": spec.Patients, "subjects": spec.Patients} {
		if n := reltuples(table); n < float64(rows)/3 {
			t.Errorf("%s: statistics count %v rows after loading %d; want at least %d", table, n, rows, rows/3)
		}
	}
}
