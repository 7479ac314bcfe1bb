package graph

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/backend"
	"github.com/medtwin/medtwin/store/sqlite"
)

const envPostgres = "MEDTWIN_TEST_POSTGRES"

// openStore opens an empty store of a backend: "sqlite" in a temporary
// directory, "postgres" in a schema of its own in the database named by
// MEDTWIN_TEST_POSTGRES (skipping when it is unset).
func openStore(t testing.TB, kind string) store.Store {
	t.Helper()
	ctx := context.Background()
	switch kind {
	case "postgres":
		url := os.Getenv(envPostgres)
		if url == "" {
			t.Skipf("PostgreSQL tests skipped: set %s to a database URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable", envPostgres)
		}
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatalf("connect to %s: %v", envPostgres, err)
		}
		b := make([]byte, 6)
		rand.Read(b)
		schema := "medtwin_graph_" + hex.EncodeToString(b)
		_, err = conn.Exec(ctx, `CREATE SCHEMA `+schema)
		conn.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		s, err := backend.Open(ctx, url+sep+"search_path="+schema+"&pool_max_conns=40")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			s.Close()
			conn, err := pgx.Connect(context.Background(), url)
			if err != nil {
				t.Errorf("drop schema: %v", err)
				return
			}
			defer conn.Close(context.Background())
			if _, err := conn.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
				t.Errorf("drop schema: %v", err)
			}
		})
		return s
	default:
		s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}
