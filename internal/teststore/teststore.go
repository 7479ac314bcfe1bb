// Package teststore opens an empty store of either backend for tests of the
// layers above the store: "sqlite" in a temporary directory, "postgres"
// through store/postgres/pgtest (a schema of its own in the database named
// by MEDTWIN_TEST_POSTGRES, skipping the test when it is unset).
package teststore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/postgres/pgtest"
	"github.com/medtwin/medtwin/store/sqlite"
)

// Backends are the backend names Open accepts.
var Backends = []string{"sqlite", "postgres"}

// Open returns an empty store of a backend, closed when the test ends.
func Open(t testing.TB, kind string) store.Store {
	t.Helper()
	if kind == "postgres" {
		return pgtest.Open(t)
	}
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
