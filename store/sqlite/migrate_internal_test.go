package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// Migration 4 rebuilds variants as a rowid table: a database written by
// schema version 3 (variants WITHOUT ROWID) keeps its rows, gains the
// unique key index, and stores a 1.2 KB annotated variant without an
// overflow page per row.
func TestMigrationVariantsRowid(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "medtwin.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	// Put the database back to schema version 3: variants as it was.
	var ddl string
	if err := s.db.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'variants'`).Scan(&ddl); err != nil {
		t.Fatal(err)
	}
	v3 := strings.TrimSuffix(strings.TrimSpace(ddl), ")") + ", PRIMARY KEY (subject_id, record_key)) WITHOUT ROWID"
	annotations := strings.Repeat("CSQ|missense_variant|MODERATE|PNPLA3|ENSG00000100344|", 24) // about 1.3 KB
	for _, q := range []string{
		`DROP TABLE variants`,
		v3,
		`DELETE FROM schema_migrations WHERE version >= 4`,
	} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const rows = 2000
	_, err = s.db.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO variants (subject_id, record_key, chrom, pos, ref, alt, gene, annotations)
		SELECT i % 7, randomblob(16), 'chr22', 43928847 + i, 'C', 'G', 'PNPLA3', ? FROM n`, rows, annotations)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(ctx, path) // migrates to the current version
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n, withRowid int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*), count(rowid) FROM variants WHERE annotations = ?`, annotations).Scan(&n, &withRowid); err != nil {
		t.Fatalf("variants after migration: %v", err)
	}
	if n != rows || withRowid != rows {
		t.Fatalf("variants after migration: %d rows (%d with a rowid), want %d", n, withRowid, rows)
	}
	var unique int
	if err := s.db.QueryRowContext(ctx, `SELECT "unique" FROM pragma_index_list('variants') WHERE name = 'variants_key'`).Scan(&unique); err != nil || unique != 1 {
		t.Fatalf("variants_key index: unique=%d, %v", unique, err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO variants (subject_id, record_key) SELECT subject_id, record_key FROM variants LIMIT 1`); err == nil {
		t.Fatal("a second row with an existing key was accepted")
	}
	// On disk: about one page per three rows, not an overflow page per row.
	var pages int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM dbstat WHERE name = 'variants'`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if perRow := float64(pages) / rows; perRow > 0.5 {
		t.Errorf("variants take %.2f pages per row; want at most 0.5 (no overflow page per row)", perRow)
	}
}
