package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMaintainCommand(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "m.db")
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"--db", db, "maintain"}, strings.NewReader(""), &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "maintenance done") {
		t.Errorf("output %q", out.String())
	}
	if code := run(context.Background(), []string{"--db", db, "maintain", "extra"}, strings.NewReader(""), &out, &errOut); code != exitUsage {
		t.Errorf("maintain with an argument: exit %d, want %d", code, exitUsage)
	}
	// The PostgreSQL store through --db, in a schema of its own, when a test
	// database is configured.
	u := os.Getenv("MEDTWIN_TEST_POSTGRES")
	if u == "" {
		t.Log("PostgreSQL part skipped: set MEDTWIN_TEST_POSTGRES to a database URL")
		return
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("medtwin_cli_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	if code := run(ctx, []string{"--db", u + sep + "search_path=" + schema, "-q", "maintain"}, strings.NewReader(""), &out, &errOut); code != exitOK {
		t.Fatalf("postgres: exit %d: %s", code, errOut.String())
	}
}
