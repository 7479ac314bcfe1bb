// Package teststore opens empty stores of either backend for tests of the
// layers above the store: "sqlite" in a temporary directory, "postgres" in
// a schema of its own (dropped at the end) of the database named by
// MEDTWIN_TEST_POSTGRES, skipping the test when the variable is unset.
package teststore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/backend"
	"github.com/medtwin/medtwin/store/sqlite"
)

// EnvPostgres names the variable holding the test database URL.
const EnvPostgres = "MEDTWIN_TEST_POSTGRES"

// Backends are the backend names Open accepts.
var Backends = []string{"sqlite", "postgres"}

// Open returns an empty store of a backend, closed by t.Cleanup. poolConns
// sizes the PostgreSQL pool (0: the driver's default).
func Open(t testing.TB, kind string, poolConns int) store.Store {
	t.Helper()
	ctx := context.Background()
	if kind != "postgres" {
		s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	url := os.Getenv(EnvPostgres)
	if url == "" {
		t.Skipf("PostgreSQL tests skipped: set %s to a database URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable", EnvPostgres)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvPostgres, err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "medtwin_t_" + hex.EncodeToString(b)
	_, err = conn.Exec(ctx, `CREATE SCHEMA `+schema)
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	dsn := url + sep + "search_path=" + schema
	if poolConns > 0 {
		dsn += "&pool_max_conns=" + strconv.Itoa(poolConns)
	}
	s, err := backend.Open(ctx, dsn)
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
}
